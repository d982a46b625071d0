//! # strata
//!
//! An embedded, audit-grade store for versioned tabular datasets. Every change is an
//! immutable record in a checksummed, append-only segment log; state is rebuilt by replaying
//! that log. The on-disk format is specified byte by byte in `FORMAT.md`.
//!
//! The layers, from the bottom:
//! - [`format`]: pure encoders and decoders over byte slices (no IO);
//! - [`digest`]: the SHA-256 digest, its hex form and the domain tags of every hash;
//! - [`merkle`]: the RFC 6962 tree over the log: frontier, roots, proofs and verifiers;
//! - [`note`]: the C2SP text formats: signed notes, keys, checkpoints and proof files;
//! - [`io`]: the IO seam: every file operation goes through its [`io::Backend`] (the real
//!   file system by default), and [`paths`] names every folder and file of a store;
//! - [`log`]: the segment log on files: appends with group commit, multi-process writer lock,
//!   strict recovery, iteration, verification and explicit repair;
//! - [`blob`]: content-addressed table bytes;
//! - [`schema`]: streaming CSV ingest, type inference, schema fingerprints, drift and policy;
//! - [`store`]: datasets, versions and events; the catalog, snapshots, rollback, time travel;
//! - [`query`]: validating SQL and query plans against the schema of any version;
//! - `sql` (feature `sql`, on by default): running SQL over any versions with Apache
//!   DataFusion, columnar copies, exports and the row diff between versions;
//! - [`server`] (feature `server`, on by default): the HTTP API and browser UI of
//!   `strata serve`, a front end over the layers above.
//!
//! What front ends (the `strata` command line, a server) show is built here too:
//! - [`check`]: the whole-store check behind `strata verify`, with progress callbacks;
//! - [`audit`]: tamper evidence: the tree rebuilt, checkpoints, proofs and their offline checks;
//! - [`inspect`]: a damage-tolerant, record-level view of the segment files (`strata dump`);
//! - [`report`]: the JSON shapes of every `--json` output, as serde types;
//! - [`human`]: times, durations and ranges as people type and read them (`2 hours ago`,
//!   `30s`, `versions 1 to 4`).
//!
//! README.md has a tour of the store's API; FORMAT.md specifies every byte.
//!
//! ```
//! use strata::log::{Log, LogOptions};
//! use strata::format::RecordType;
//!
//! let dir = tempfile::tempdir()?;
//! let log = Log::create(dir.path(), LogOptions::default())?;
//! let seq = log.append(RecordType(0x100), b"hello")?;
//! assert_eq!(log.read(seq)?.body, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
// File IO goes through the seam (`io`): `clippy.toml` lists the `std::fs` functions and types
// that only its real backend may use.
#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod audit;
pub mod blob;
pub mod check;
pub mod digest;
pub mod error;
pub mod format;
pub mod human;
pub mod inspect;
pub mod io;
pub mod log;
pub mod merkle;
pub mod note;
pub mod paths;
pub mod query;
pub mod report;
pub mod schema;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "sql")]
pub mod sql;
pub mod store;

pub use error::{Error, ErrorKind, ReasonFor, Result};

/// The examples of README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use store::{Store, StoreOptions, UploadFile, UploadOutcome, UploadRequest, VersionRef};
