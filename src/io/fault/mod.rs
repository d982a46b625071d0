//! A fault-injecting backend, for tests: it records every file operation, fails any one of
//! them on demand, and builds the file systems a power cut could leave behind.
//!
//! [`FaultBackend`] wraps the real file system ([`super::OsBackend`]) under one folder (the
//! *root*, a store directory). Every operation a store makes through it happens for real, and
//! is also:
//!
//! - **recorded**, in order ([`FaultBackend::ops`]): opens (with their mode), writes (offset
//!   and bytes), `fdatasync`/`fsync`, directory creation, renames, removals, directory fsyncs
//!   and lock attempts. Reads are not recorded;
//! - **failable** ([`FaultBackend::fail`]): the `n`th operation from now, or the `n`th of a
//!   kind, returns the chosen errno (and does not happen: a failed write may write a prefix
//!   if asked, as a real one may), once or until [`FaultBackend::stop_failing`] (a full disk
//!   stays full until space is freed);
//! - **replayable as a crash** ([`FaultBackend::crash_point`]): after any recorded operation,
//!   the set of file systems a power cut at that moment could leave, which
//!   [`CrashPoint::states`] enumerates exhaustively, [`CrashPoint::sample`] samples with a
//!   seed (reproducibly), and [`CrashPoint::materialize`] writes into a fresh folder.
//!
//! # The persistence model
//!
//! As ALICE (Pillai et al., OSDI 2014) does, the model is stated, not assumed: it is that of
//! a journaling file system in ordered mode (ext4 `data=ordered`-like), with no help from
//! heuristics such as ext4's `auto_da_alloc`:
//!
//! - Everything under the root when the backend was created (or last
//!   [settled](FaultBackend::settle)) is durable.
//! - **File data**: the bytes of a file written before an `fdatasync` or `fsync` of it
//!   survive. Each write (or truncation) after the file's last sync independently survives
//!   whole, is lost, or is *torn*: only a prefix of it survives, cut inside its first 4 KiB
//!   page or at its first page boundary. A file never shows bytes nobody wrote (no garbage:
//!   ordered mode writes data before the metadata that exposes it); a lost write that
//!   extended a file leaves it shorter.
//! - **Metadata** (creating a file or a folder, a rename, a removal) persists in the order it
//!   was issued: a crash keeps a prefix of the metadata operations. The prefix holds at least
//!   every operation made durable by a directory fsync: a creation or a removal once its
//!   folder was synced after it, a rename once both folders were (the contract of
//!   [`super::Backend`]); and, since the order is kept, every operation before those.
//! - A file whose creation did not persist is absent, whatever was written to it; a failed
//!   operation did not happen (a failed write may have written its recorded prefix); a
//!   failed sync made nothing durable.
//!
//! This model never loses synced data, so a store must open in every state it produces.
//! It does not model media that lie about flushes, bit rot, or misdirected writes (the log's
//! checksums and `strata verify` are there for those).

mod crash;

pub use crash::{read_tree, write_tree, CrashPoint, CrashState, CrashTree, Fate};

use super::backend::{
    Backend, BackendFile, DirEntry, EntryKind, FileId, LockKind, Map, Metadata, OpenMode,
};
use super::OsBackend;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The kinds of operations [`FaultBackend`] records (and can fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// Opening a file (any mode, creating or not).
    Open,
    /// A positioned write.
    Write,
    /// `fdatasync`.
    SyncData,
    /// `fsync`.
    SyncAll,
    /// Creating a folder.
    CreateDir,
    /// A rename.
    Rename,
    /// Removing a file.
    Remove,
    /// An fsync of a folder.
    SyncDir,
    /// Trying to take a lock.
    Lock,
}

impl OpKind {
    /// Every kind, in declaration order.
    pub const ALL: [OpKind; 9] = [
        OpKind::Open,
        OpKind::Write,
        OpKind::SyncData,
        OpKind::SyncAll,
        OpKind::CreateDir,
        OpKind::Rename,
        OpKind::Remove,
        OpKind::SyncDir,
        OpKind::Lock,
    ];

    /// The word the crate's error about such an operation contains (`Error::Io`'s `op`):
    /// "open" or "create" for opens (see [`Op::verb`]), "write", "fdatasync", ...
    pub fn verb(self) -> &'static str {
        match self {
            OpKind::Open => "open",
            OpKind::Write => "write",
            OpKind::SyncData => "fdatasync",
            OpKind::SyncAll => "fsync",
            OpKind::CreateDir => "create directory",
            OpKind::Rename => "rename",
            OpKind::Remove => "remove",
            OpKind::SyncDir => "fsync directory",
            OpKind::Lock => "lock",
        }
    }
}

/// One recorded operation.
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    /// Opening the file at `path` as `mode`; `created` if a file was created (or emptied).
    Open {
        /// The file.
        path: PathBuf,
        /// How.
        mode: OpenMode,
        /// Whether a file appeared at `path` or was emptied (`CreateTruncate` of one).
        created: bool,
    },
    /// Writing `bytes` at `offset`.
    Write {
        /// The file (the path it was opened at).
        path: PathBuf,
        /// Where.
        offset: u64,
        /// What.
        bytes: Arc<[u8]>,
    },
    /// `fdatasync` of a file.
    SyncData(PathBuf),
    /// `fsync` of a file.
    SyncAll(PathBuf),
    /// Creating a folder.
    CreateDir(PathBuf),
    /// Renaming `from` to `to`.
    Rename {
        /// The old path.
        from: PathBuf,
        /// The new path.
        to: PathBuf,
    },
    /// Removing a file.
    Remove(PathBuf),
    /// An fsync of a folder.
    SyncDir(PathBuf),
    /// Trying to take a lock on a file.
    Lock(PathBuf, LockKind),
}

impl Op {
    /// Its kind.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Open { .. } => OpKind::Open,
            Op::Write { .. } => OpKind::Write,
            Op::SyncData(_) => OpKind::SyncData,
            Op::SyncAll(_) => OpKind::SyncAll,
            Op::CreateDir(_) => OpKind::CreateDir,
            Op::Rename { .. } => OpKind::Rename,
            Op::Remove(_) => OpKind::Remove,
            Op::SyncDir(_) => OpKind::SyncDir,
            Op::Lock(..) => OpKind::Lock,
        }
    }

    /// The file or folder an error about this operation names (a rename's new path, as
    /// [`super::Io::rename`] reports it).
    pub fn path(&self) -> &Path {
        match self {
            Op::Open { path, .. } | Op::Write { path, .. } => path,
            Op::SyncData(p)
            | Op::SyncAll(p)
            | Op::CreateDir(p)
            | Op::Remove(p)
            | Op::SyncDir(p)
            | Op::Lock(p, _) => p,
            Op::Rename { to, .. } => to,
        }
    }

    /// The word an error about this operation contains: as [`OpKind::verb`], with "create"
    /// for an open whose mode creates (and never opens an existing file as it is).
    pub fn verb(&self) -> &'static str {
        match self {
            Op::Open { mode, .. } if mode.creates() && *mode != OpenMode::OpenOrCreate => "create",
            other => other.kind().verb(),
        }
    }

    /// Whether it can change what a crash leaves (opens of existing files without
    /// truncation, and locks, cannot).
    pub fn mutates(&self) -> bool {
        match self {
            Op::Open { created, .. } => *created,
            Op::Lock(..) => false,
            _ => true,
        }
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Open {
                path,
                mode,
                created,
            } => write!(
                f,
                "open {} {mode:?}{}",
                path.display(),
                if *created { " (created)" } else { "" }
            ),
            Op::Write {
                path,
                offset,
                bytes,
            } => write!(
                f,
                "write {} at {offset}, {} bytes",
                path.display(),
                bytes.len()
            ),
            Op::SyncData(p) => write!(f, "fdatasync {}", p.display()),
            Op::SyncAll(p) => write!(f, "fsync {}", p.display()),
            Op::CreateDir(p) => write!(f, "mkdir {}", p.display()),
            Op::Rename { from, to } => write!(f, "rename {} -> {}", from.display(), to.display()),
            Op::Remove(p) => write!(f, "unlink {}", p.display()),
            Op::SyncDir(p) => write!(f, "fsync directory {}", p.display()),
            Op::Lock(p, kind) => write!(f, "lock {} {kind:?}", p.display()),
        }
    }
}

/// Which operation a [`Fault`] fails, counted from when it is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAt {
    /// The `n`th recorded operation from now (0: the next one).
    Op(usize),
    /// The `n`th operation of this kind from now (0: the next one).
    Kind(OpKind, usize),
}

/// An injected failure: which operation, which errno, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The operation to fail.
    pub at: FaultAt,
    /// The errno it fails with (`libc::EIO`, `libc::ENOSPC`, ...).
    pub errno: i32,
    /// Keep failing every later operation of the same kind (from the failed one on) until
    /// [`FaultBackend::stop_failing`], as a full disk or a read-only remount would.
    pub sticky: bool,
    /// A failed write writes the first half of its bytes (as a real one may) before failing.
    pub torn_write: bool,
}

impl Fault {
    /// Fails the `n`th operation from now once with `errno`.
    pub fn nth(n: usize, errno: i32) -> Fault {
        Fault {
            at: FaultAt::Op(n),
            errno,
            sticky: false,
            torn_write: false,
        }
    }

    /// Fails the `n`th operation of `kind` from now once with `errno`.
    pub fn nth_of(kind: OpKind, n: usize, errno: i32) -> Fault {
        Fault {
            at: FaultAt::Kind(kind, n),
            ..Fault::nth(0, errno)
        }
    }

    /// The same fault, failing every later operation of its kind too until
    /// [`FaultBackend::stop_failing`].
    pub fn sticky(self) -> Fault {
        Fault {
            sticky: true,
            ..self
        }
    }

    /// The same fault, writing half of a failed write first.
    pub fn torn(self) -> Fault {
        Fault {
            torn_write: true,
            ..self
        }
    }
}

/// An operation that was made to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// Its index in [`FaultBackend::ops`].
    pub index: usize,
    /// The operation.
    pub op: Op,
    /// The errno it returned.
    pub errno: i32,
}

/// The real file system under `root`, recording, failing and crash-replaying every operation
/// (see the module documentation). Cloning gives another handle on the same recorder: two
/// stores opened on one folder through clones share one history.
#[derive(Clone)]
pub struct FaultBackend {
    shared: Arc<Shared>,
}

impl fmt::Debug for FaultBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultBackend")
            .field("root", &self.shared.root)
            .field("ops", &self.op_count())
            .finish()
    }
}

struct Shared {
    root: PathBuf,
    inner: OsBackend,
    state: Mutex<State>,
}

/// What the recorder knows.
struct State {
    /// What is durable: the tree when the backend was created or last settled.
    base: Image,
    /// The namespace as it is now (relative path -> node).
    live: BTreeMap<PathBuf, Node>,
    next_inode: u64,
    ops: Vec<Recorded>,
    armed: Option<Armed>,
    /// The kind a sticky fault keeps failing, and its errno.
    sticky: Option<(OpKind, i32)>,
    injected: Vec<Injected>,
}

/// An armed fault and where counting started.
struct Armed {
    fault: Fault,
    ops_at_arming: usize,
    kind_at_arming: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Dir,
    File(u64),
}

/// A durable tree: folders, files (by inode) and each inode's bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Image {
    pub(crate) dirs: BTreeSet<PathBuf>,
    pub(crate) files: BTreeMap<PathBuf, u64>,
    pub(crate) data: BTreeMap<u64, Vec<u8>>,
}

/// One recorded operation and what it did to the model.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) op: Op,
    pub(crate) effect: Effect,
}

/// What an operation did, in the terms of the persistence model.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// Nothing that can persist (a read-only open, a lock, a failed operation).
    None,
    /// A metadata operation (persists in order).
    Meta(Meta),
    /// A change to an inode's bytes.
    Data { inode: u64, change: DataChange },
    /// A sync of an inode's data.
    Sync { inode: u64 },
    /// A sync of a folder (relative path).
    SyncDir(PathBuf),
}

#[derive(Debug, Clone)]
pub(crate) enum Meta {
    /// A new file `inode` at `path`.
    Link {
        path: PathBuf,
        inode: u64,
    },
    Mkdir(PathBuf),
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    Unlink(PathBuf),
}

impl Meta {
    /// The folders whose fsync makes it durable (all of them must be synced after it).
    pub(crate) fn dirs(&self) -> Vec<PathBuf> {
        match self {
            Meta::Link { path, .. } | Meta::Mkdir(path) | Meta::Unlink(path) => {
                vec![parent_of(path)]
            }
            Meta::Rename { from, to } => {
                let (a, b) = (parent_of(from), parent_of(to));
                if a == b {
                    vec![a]
                } else {
                    vec![a, b]
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum DataChange {
    Write { offset: u64, bytes: Arc<[u8]> },
    Truncate,
}

pub(crate) fn parent_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl FaultBackend {
    /// A backend over the real file system that records what happens under `root`; what is
    /// under `root` now (if anything) counts as durable.
    pub fn new(root: impl Into<PathBuf>) -> FaultBackend {
        let root = root.into();
        let base = read_image(&root);
        let backend = FaultBackend {
            shared: Arc::new(Shared {
                root,
                inner: OsBackend,
                state: Mutex::new(State {
                    base: Image::default(),
                    live: BTreeMap::new(),
                    next_inode: 0,
                    ops: Vec::new(),
                    armed: None,
                    sticky: None,
                    injected: Vec::new(),
                }),
            }),
        };
        backend.reset_to(base);
        backend
    }

    /// An [`super::Io`] doing its IO through this backend (for `LogOptions::io`).
    pub fn io(&self) -> super::Io {
        super::Io::new(self.clone())
    }

    /// The folder whose operations are recorded.
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// Declares everything under the root durable, as after a clean shutdown and a sync of
    /// the whole file system, and forgets the history: later crash points start from here.
    pub fn settle(&self) {
        let base = read_image(&self.shared.root);
        self.reset_to(base);
    }

    fn reset_to(&self, base: Image) {
        let mut state = self.state();
        let mut live = BTreeMap::new();
        for dir in &base.dirs {
            live.insert(dir.clone(), Node::Dir);
        }
        for (path, inode) in &base.files {
            live.insert(path.clone(), Node::File(*inode));
        }
        state.next_inode = base.data.keys().next_back().map_or(0, |i| i + 1);
        state.live = live;
        state.base = base;
        state.ops.clear();
        state.injected.clear();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every operation recorded since the backend was created or settled, in order.
    pub fn ops(&self) -> Vec<Op> {
        self.state().ops.iter().map(|r| r.op.clone()).collect()
    }

    /// How many operations were recorded.
    pub fn op_count(&self) -> usize {
        self.state().ops.len()
    }

    /// Arms `fault` (replacing any armed one); it counts operations from now.
    pub fn fail(&self, fault: Fault) {
        let mut state = self.state();
        let kind_at_arming = match fault.at {
            FaultAt::Op(_) => 0,
            FaultAt::Kind(kind, _) => state.ops.iter().filter(|r| r.op.kind() == kind).count(),
        };
        state.armed = Some(Armed {
            fault,
            ops_at_arming: state.ops.len(),
            kind_at_arming,
        });
    }

    /// Disarms any fault, and ends a sticky one (space was freed).
    pub fn stop_failing(&self) {
        let mut state = self.state();
        state.armed = None;
        state.sticky = None;
    }

    /// The operations made to fail so far (since creation or the last settle).
    pub fn injected(&self) -> Vec<Injected> {
        self.state().injected.clone()
    }

    /// Every crash state a power cut right after operation `index` (of [`Self::ops`]) could
    /// leave; `None` means before any recorded operation.
    pub fn crash_point(&self, index: Option<usize>) -> CrashPoint {
        let state = self.state();
        let end = index.map_or(0, |i| (i + 1).min(state.ops.len()));
        CrashPoint::new(state.base.clone(), state.ops[..end].to_vec(), index)
    }

    fn relative(&self, path: &Path) -> Option<PathBuf> {
        path.strip_prefix(&self.shared.root)
            .ok()
            .map(Path::to_path_buf)
    }

    /// Decides whether `op` fails: `Ok(None)` to go ahead (the caller records it once done),
    /// `Ok(Some(torn))` for a failing write that writes a prefix first, `Err` to fail at once
    /// (recorded here).
    fn admit(&self, op: &Op) -> io::Result<Option<TornFailure>> {
        let mut state = self.state();
        let index = state.ops.len();
        let kind = op.kind();
        let errno = match (state.sticky, &state.armed) {
            (Some((sticky_kind, errno)), _) if sticky_kind == kind => Some((errno, false)),
            (_, Some(armed)) if armed.hits(index, kind, &state.ops) => {
                Some((armed.fault.errno, armed.fault.torn_write))
            }
            _ => None,
        };
        let Some((errno, torn)) = errno else {
            return Ok(None);
        };
        if let Some(armed) = state.armed.take() {
            if armed.fault.sticky {
                state.sticky = Some((kind, armed.fault.errno));
            }
        }
        state.injected.push(Injected {
            index,
            op: op.clone(),
            errno,
        });
        state.ops.push(Recorded {
            op: op.clone(),
            effect: Effect::None,
        });
        match op {
            Op::Write { bytes, .. } if torn => Ok(Some(TornFailure {
                index,
                prefix: bytes.len() / 2,
                errno,
            })),
            _ => Err(io::Error::from_raw_os_error(errno)),
        }
    }

    /// Notes that the failed operation at `index` (a torn write) did have `effect`.
    fn record_torn(&self, index: usize, effect: Effect) {
        if let Some(recorded) = self.state().ops.get_mut(index) {
            recorded.effect = effect;
        }
    }

    /// Records a successful operation and its effect on the model.
    fn record(&self, op: Op, effect: Effect) {
        self.state().ops.push(Recorded { op, effect });
    }

    /// The inode of the file at `path` now, if it is tracked.
    fn inode_of(&self, path: &Path) -> Option<u64> {
        let rel = self.relative(path)?;
        match self.state().live.get(&rel) {
            Some(Node::File(inode)) => Some(*inode),
            _ => None,
        }
    }

    /// Updates the live namespace for a successful metadata operation; returns its effect.
    fn apply_meta(&self, meta: Meta) -> Effect {
        let mut state = self.state();
        match &meta {
            Meta::Link { path, inode } => {
                state.live.insert(path.clone(), Node::File(*inode));
            }
            Meta::Mkdir(path) => {
                state.live.insert(path.clone(), Node::Dir);
            }
            Meta::Rename { from, to } => {
                if let Some(node) = state.live.remove(from) {
                    state.live.insert(to.clone(), node);
                }
            }
            Meta::Unlink(path) => {
                state.live.remove(path);
            }
        }
        Effect::Meta(meta)
    }

    fn new_inode(&self) -> u64 {
        let mut state = self.state();
        state.next_inode += 1;
        state.next_inode - 1
    }
}

/// A write that fails after writing a prefix of its bytes.
struct TornFailure {
    /// Its index in the history.
    index: usize,
    prefix: usize,
    errno: i32,
}

impl Armed {
    fn hits(&self, index: usize, kind: OpKind, ops: &[Recorded]) -> bool {
        match self.fault.at {
            FaultAt::Op(n) => index == self.ops_at_arming + n,
            FaultAt::Kind(wanted, n) => {
                wanted == kind
                    && ops.iter().filter(|r| r.op.kind() == kind).count() == self.kind_at_arming + n
            }
        }
    }
}

/// Reads the tree under `root` into an image (an empty one if there is nothing).
fn read_image(root: &Path) -> Image {
    let mut image = Image::default();
    let mut pending = vec![PathBuf::new()];
    let mut inode = 0;
    while let Some(rel) = pending.pop() {
        let Ok(entries) = OsBackend.read_dir(&root.join(&rel)) else {
            continue;
        };
        for entry in entries {
            let child = rel.join(&entry.name);
            match entry.kind {
                EntryKind::Dir => {
                    image.dirs.insert(child.clone());
                    pending.push(child);
                }
                EntryKind::File => {
                    let bytes = read_file(&root.join(&child)).unwrap_or_default();
                    image.files.insert(child, inode);
                    image.data.insert(inode, bytes);
                    inode += 1;
                }
                EntryKind::Other => {}
            }
        }
    }
    image
}

pub(crate) fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = OsBackend.open(path, OpenMode::Read)?;
    let len = usize::try_from(file.size()?).unwrap_or(0);
    let mut bytes = vec![0; len];
    let mut done = 0;
    while done < len {
        match file.read_at(&mut bytes[done..], done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    bytes.truncate(done);
    Ok(bytes)
}

impl Backend for FaultBackend {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let existed = self.shared.inner.metadata(path)?.is_some();
        let created = match mode {
            OpenMode::CreateNew | OpenMode::CreateTruncate | OpenMode::CreateNewPrivate => true,
            OpenMode::OpenOrCreate => !existed,
            OpenMode::Read | OpenMode::ReadWrite => false,
        };
        let op = Op::Open {
            path: path.to_path_buf(),
            mode,
            created,
        };
        self.admit(&op)?;
        let file = match self.shared.inner.open(path, mode) {
            Ok(file) => file,
            Err(e) => {
                self.record(op, Effect::None);
                return Err(e);
            }
        };
        let rel = self.relative(path);
        let effect = match (&rel, created, existed, self.inode_of(path)) {
            (Some(_), true, true, Some(inode)) => Effect::Data {
                inode,
                change: DataChange::Truncate,
            },
            (Some(rel), true, _, _) => {
                let inode = self.new_inode();
                self.apply_meta(Meta::Link {
                    path: rel.clone(),
                    inode,
                })
            }
            _ => Effect::None,
        };
        self.record(op, effect);
        let inode = self.inode_of(path);
        Ok(Box::new(FaultFile {
            backend: self.clone(),
            inner: file,
            path: path.to_path_buf(),
            inode,
        }))
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        let op = Op::CreateDir(path.to_path_buf());
        self.admit(&op)?;
        let outcome = self.shared.inner.create_dir(path);
        let effect = match (&outcome, self.relative(path)) {
            (Ok(()), Some(rel)) => self.apply_meta(Meta::Mkdir(rel)),
            _ => Effect::None,
        };
        self.record(op, effect);
        outcome
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let op = Op::Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
        };
        self.admit(&op)?;
        let outcome = self.shared.inner.rename(from, to);
        let effect = match (&outcome, self.relative(from), self.relative(to)) {
            (Ok(()), Some(from), Some(to)) => self.apply_meta(Meta::Rename { from, to }),
            _ => Effect::None,
        };
        self.record(op, effect);
        outcome
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let op = Op::Remove(path.to_path_buf());
        self.admit(&op)?;
        let outcome = self.shared.inner.remove_file(path);
        let effect = match (&outcome, self.relative(path)) {
            (Ok(()), Some(rel)) => self.apply_meta(Meta::Unlink(rel)),
            _ => Effect::None,
        };
        self.record(op, effect);
        outcome
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.shared.inner.read_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let op = Op::SyncDir(path.to_path_buf());
        self.admit(&op)?;
        let outcome = self.shared.inner.sync_dir(path);
        let effect = match (&outcome, self.relative(path)) {
            (Ok(()), Some(rel)) => Effect::SyncDir(rel),
            _ => Effect::None,
        };
        self.record(op, effect);
        outcome
    }

    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>> {
        self.shared.inner.metadata(path)
    }
}

/// A file opened through a [`FaultBackend`].
struct FaultFile {
    backend: FaultBackend,
    inner: Box<dyn BackendFile>,
    path: PathBuf,
    /// The inode it was opened on (`None` outside the root).
    inode: Option<u64>,
}

impl fmt::Debug for FaultFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultFile")
            .field("path", &self.path)
            .field("inode", &self.inode)
            .finish()
    }
}

impl FaultFile {
    fn sync(&self, op: Op, sync: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
        self.backend.admit(&op)?;
        let outcome = sync();
        let effect = match (&outcome, self.inode) {
            (Ok(()), Some(inode)) => Effect::Sync { inode },
            _ => Effect::None,
        };
        self.backend.record(op, effect);
        outcome
    }

    fn written(&self, offset: u64, bytes: &[u8]) -> Effect {
        match self.inode {
            Some(inode) => Effect::Data {
                inode,
                change: DataChange::Write {
                    offset,
                    bytes: Arc::from(bytes),
                },
            },
            None => Effect::None,
        }
    }
}

impl BackendFile for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let op = Op::Write {
            path: self.path.clone(),
            offset,
            bytes: Arc::from(buf),
        };
        if let Some(torn) = self.backend.admit(&op)? {
            // The prefix reaches the file, then the write fails.
            let prefix = &buf[..torn.prefix];
            if self.inner.write_all_at(prefix, offset).is_ok() {
                self.backend
                    .record_torn(torn.index, self.written(offset, prefix));
            }
            return Err(io::Error::from_raw_os_error(torn.errno));
        }
        let outcome = self.inner.write_all_at(buf, offset);
        let effect = match &outcome {
            Ok(()) => self.written(offset, buf),
            Err(_) => Effect::None,
        };
        self.backend.record(op, effect);
        outcome
    }

    fn sync_data(&self) -> io::Result<()> {
        self.sync(Op::SyncData(self.path.clone()), || self.inner.sync_data())
    }

    fn sync_all(&self) -> io::Result<()> {
        self.sync(Op::SyncAll(self.path.clone()), || self.inner.sync_all())
    }

    fn size(&self) -> io::Result<u64> {
        self.inner.size()
    }

    fn id(&self) -> io::Result<FileId> {
        self.inner.id()
    }

    fn map(&self, len: u64) -> io::Result<Map> {
        self.inner.map(len)
    }

    fn try_lock(&self, kind: LockKind) -> io::Result<bool> {
        let op = Op::Lock(self.path.clone(), kind);
        self.backend.admit(&op)?;
        let outcome = self.inner.try_lock(kind);
        self.backend.record(op, Effect::None);
        outcome
    }

    fn unlock(&self) -> io::Result<()> {
        self.inner.unlock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Io;

    fn backend() -> (tempfile::TempDir, FaultBackend, Io) {
        let dir = tempfile::tempdir().unwrap();
        let backend = FaultBackend::new(dir.path());
        let io = backend.io();
        (dir, backend, io)
    }

    /// The distinct trees of every crash state after the last operation.
    fn trees(backend: &FaultBackend) -> Vec<CrashTree> {
        let point = backend.crash_point(backend.op_count().checked_sub(1));
        let mut trees: Vec<CrashTree> = point.states().map(|s| point.tree(&s)).collect();
        trees.sort();
        trees.dedup();
        trees
    }

    fn file(tree: &CrashTree, name: &str) -> Option<Vec<u8>> {
        tree.get(Path::new(name)).cloned().flatten()
    }

    #[test]
    fn an_unsynced_write_may_be_kept_lost_or_torn_and_a_synced_one_survives() {
        let (dir, backend, io) = backend();
        let path = dir.path().join("f");
        let f = io.open(&path, OpenMode::CreateNew).unwrap();
        io.sync_dir(dir.path()).unwrap();
        f.write_all_at(b"synced", 0).unwrap();
        f.sync_data().unwrap();
        f.write_all_at(b"-later", 6).unwrap();
        let contents: Vec<_> = trees(&backend).iter().map(|t| file(t, "f")).collect();
        assert_eq!(
            contents,
            [
                Some(b"synced".to_vec()),
                Some(b"synced-la".to_vec()),
                Some(b"synced-later".to_vec())
            ]
        );
    }

    #[test]
    fn a_file_whose_folder_was_not_synced_may_be_missing_even_if_its_data_was() {
        let (dir, backend, io) = backend();
        let f = io.open(&dir.path().join("f"), OpenMode::CreateNew).unwrap();
        f.write_all_at(b"x", 0).unwrap();
        f.sync_all().unwrap();
        let present: Vec<_> = trees(&backend).iter().map(|t| file(t, "f")).collect();
        assert_eq!(present, [None, Some(b"x".to_vec())]);
        io.sync_dir(dir.path()).unwrap();
        let present: Vec<_> = trees(&backend).iter().map(|t| file(t, "f")).collect();
        assert_eq!(present, [Some(b"x".to_vec())]);
    }

    #[test]
    fn a_rename_without_a_sync_of_the_file_may_expose_an_empty_file() {
        let (dir, backend, io) = backend();
        let (tmp, target) = (dir.path().join("f.tmp"), dir.path().join("f"));
        let f = io.open(&tmp, OpenMode::CreateNew).unwrap();
        f.write_all_at(b"data", 0).unwrap();
        drop(f);
        io.rename(&tmp, &target).unwrap();
        io.sync_dir(dir.path()).unwrap();
        let found: Vec<_> = trees(&backend).iter().map(|t| file(t, "f")).collect();
        assert!(found.contains(&Some(Vec::new())), "{found:?}");
        assert!(found.contains(&Some(b"data".to_vec())), "{found:?}");
    }

    #[test]
    fn metadata_persists_in_order() {
        let (dir, backend, io) = backend();
        for name in ["a", "b", "c"] {
            io.open(&dir.path().join(name), OpenMode::CreateNew)
                .unwrap();
        }
        let names: Vec<Vec<String>> = trees(&backend)
            .iter()
            .map(|t| t.keys().map(|p| p.display().to_string()).collect())
            .collect();
        // Never `b` without `a`, nor `c` without `b`.
        assert_eq!(names.len(), 4);
        for n in &names {
            let expected: Vec<String> = ["a", "b", "c"][..n.len()]
                .iter()
                .map(|s| s.to_string())
                .collect();
            assert_eq!(*n, expected);
        }
    }

    #[test]
    fn a_rename_is_durable_once_both_folders_are_synced() {
        let (dir, backend, io) = backend();
        io.create_dir(&dir.path().join("tmp")).unwrap();
        io.create_dir(&dir.path().join("obj")).unwrap();
        io.sync_dir(dir.path()).unwrap();
        let (from, to) = (dir.path().join("tmp/x"), dir.path().join("obj/x"));
        let f = io.open(&from, OpenMode::CreateNew).unwrap();
        f.sync_all().unwrap();
        io.sync_dir(&dir.path().join("tmp")).unwrap();
        io.rename(&from, &to).unwrap();
        io.sync_dir(&dir.path().join("obj")).unwrap();
        assert_eq!(trees(&backend).len(), 2, "the old folder is not synced yet");
        io.sync_dir(&dir.path().join("tmp")).unwrap();
        let trees = trees(&backend);
        assert_eq!(trees.len(), 1);
        assert!(trees[0].contains_key(Path::new("obj/x")));
        assert!(!trees[0].contains_key(Path::new("tmp/x")));
    }

    #[test]
    fn a_crash_state_is_written_out_as_a_folder_with_its_bytes() {
        let (dir, backend, io) = backend();
        io.create_dir(&dir.path().join("d")).unwrap();
        let f = io
            .open(&dir.path().join("d/f"), OpenMode::CreateNew)
            .unwrap();
        f.write_all_at(b"bytes", 0).unwrap();
        let point = backend.crash_point(Some(backend.op_count() - 1));
        let out = tempfile::tempdir().unwrap();
        point.materialize(&point.everything(), out.path()).unwrap();
        assert_eq!(
            read_tree(out.path()).unwrap(),
            read_tree(dir.path()).unwrap()
        );
        let empty = tempfile::tempdir().unwrap();
        point
            .materialize(&point.only_synced(), empty.path())
            .unwrap();
        assert!(read_tree(empty.path()).unwrap().is_empty());
    }

    #[test]
    fn a_fault_fails_the_chosen_operation_once_or_until_stopped() {
        let (dir, backend, io) = backend();
        let f = io.open(&dir.path().join("f"), OpenMode::CreateNew).unwrap();
        backend.fail(Fault::nth_of(OpKind::Write, 1, libc::ENOSPC));
        f.write_all_at(b"a", 0).unwrap();
        let error = f.write_all_at(b"b", 1).unwrap_err();
        assert!(
            error.to_string().contains("No space left on device"),
            "{error}"
        );
        assert!(error
            .to_string()
            .contains(&dir.path().join("f").display().to_string()));
        f.write_all_at(b"c", 1).unwrap();
        assert_eq!(backend.injected().len(), 1);
        backend.fail(Fault::nth_of(OpKind::SyncData, 0, libc::EIO).sticky());
        assert!(f.sync_data().is_err() && f.sync_data().is_err());
        f.write_all_at(b"d", 2).unwrap();
        backend.stop_failing();
        f.sync_data().unwrap();
        assert_eq!(read_file(&dir.path().join("f")).unwrap(), b"acd");
    }

    #[test]
    fn a_torn_failed_write_writes_half_of_its_bytes() {
        let (dir, backend, io) = backend();
        let f = io.open(&dir.path().join("f"), OpenMode::CreateNew).unwrap();
        backend.fail(Fault::nth_of(OpKind::Write, 0, libc::EIO).torn());
        assert!(f.write_all_at(b"abcd", 0).is_err());
        assert_eq!(read_file(&dir.path().join("f")).unwrap(), b"ab");
        let point = backend.crash_point(Some(backend.op_count() - 1));
        assert_eq!(point.unsynced(), 1, "the torn prefix is an unsynced write");
    }

    #[test]
    fn samples_are_reproducible_from_their_seed() {
        let (dir, backend, io) = backend();
        for i in 0..6u8 {
            let f = io
                .open(&dir.path().join(format!("f{i}")), OpenMode::CreateNew)
                .unwrap();
            f.write_all_at(&[i; 5000], 0).unwrap();
        }
        let point = backend.crash_point(Some(backend.op_count() - 1));
        assert!(point.count() > 100);
        assert_eq!(point.sample(7, 20), point.sample(7, 20));
        assert_ne!(point.sample(7, 20), point.sample(8, 20));
        assert_eq!(point.states().count() as u128, point.count());
    }
}
