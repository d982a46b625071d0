//! One module per subcommand, each with its `Args` and a `run(ctx, args)`.

pub mod audit_export;
mod audit_files;
pub mod cat;
pub mod check_query;
pub mod checkpoint;
pub mod completions;
pub mod consistency;
pub mod datasets;
pub mod demo;
pub mod diff;
pub mod dump;
pub mod find;
pub mod gc;
pub mod history;
pub mod init;
pub mod keygen;
pub mod log;
pub mod man;
pub mod policy;
pub mod prove;
pub mod repair;
pub mod rollback;
#[cfg(feature = "server")]
pub mod serve;
pub mod show;
pub mod snapshot;
pub mod stat;
pub mod upload;
#[cfg(feature = "server")]
pub mod user;
pub mod verify;
pub mod verify_consistency;
pub mod verify_proof;
