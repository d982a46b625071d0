//! Crash states: what a power cut after a recorded operation could leave, under the model of
//! the module documentation, enumerated or sampled, and written out as a folder.

use super::{read_file, DataChange, Effect, Image, Meta, Node, Recorded};
use crate::io::backend::{Backend, OpenMode};
use crate::io::OsBackend;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The bytes of a page: a torn write keeps a prefix inside its first page, or up to its end.
const PAGE: u64 = 4096;

/// What became of one unsynced write (or truncation) in a crash state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fate {
    /// It reached the disk whole.
    Kept,
    /// It was lost.
    Lost,
    /// Only its first `n` bytes reached the disk.
    Torn(usize),
}

/// One crash state of a [`CrashPoint`]: how many of the metadata operations persisted, and
/// the fate of each unsynced change ([`CrashPoint::unsynced`], in order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CrashState {
    /// Metadata operations that persisted (a prefix of them, in issue order).
    pub metadata_kept: usize,
    /// The fate of each unsynced change, in history order.
    pub fates: Vec<Fate>,
}

/// An unsynced change to a file's bytes at the crash point.
#[derive(Debug, Clone)]
struct Unsynced {
    /// Index in the history.
    index: usize,
    inode: u64,
    change: DataChange,
}

impl Unsynced {
    /// Its possible fates: kept, lost, and for a write, torn inside its first page and, if it
    /// crosses one, at its first page boundary.
    fn fates(&self) -> Vec<Fate> {
        let mut fates = vec![Fate::Kept, Fate::Lost];
        if let DataChange::Write { offset, bytes } = &self.change {
            let len = bytes.len() as u64;
            let first_page = (PAGE - offset % PAGE).min(len);
            if first_page / 2 > 0 {
                fates.push(Fate::Torn((first_page / 2) as usize));
            }
            if first_page < len {
                fates.push(Fate::Torn(first_page as usize));
            }
        }
        fates
    }
}

/// What a crash state holds: every folder and file (relative to the root), files with their
/// bytes.
pub type CrashTree = BTreeMap<PathBuf, Option<Vec<u8>>>;

/// The crash states of a power cut right after one recorded operation (see
/// [`super::FaultBackend::crash_point`]).
#[derive(Clone)]
pub struct CrashPoint {
    base: Image,
    history: Vec<Recorded>,
    index: Option<usize>,
    /// The metadata operations, in issue order, with their history indices.
    metas: Vec<(usize, Meta)>,
    /// How many of them are durable for sure.
    metadata_min: usize,
    /// The history index of the last sync of each inode.
    last_sync: HashMap<u64, usize>,
    unsynced: Vec<Unsynced>,
}

impl fmt::Debug for CrashPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashPoint")
            .field("after", &self.index)
            .field("metadata", &(self.metadata_min..=self.metas.len()))
            .field("unsynced", &self.unsynced.len())
            .finish()
    }
}

impl CrashPoint {
    pub(super) fn new(base: Image, history: Vec<Recorded>, index: Option<usize>) -> CrashPoint {
        let metas: Vec<(usize, Meta)> = history
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.effect {
                Effect::Meta(meta) => Some((i, meta.clone())),
                _ => None,
            })
            .collect();
        let metadata_min = forced_metadata(&history, &metas);
        let mut last_sync = HashMap::new();
        for (i, recorded) in history.iter().enumerate() {
            if let Effect::Sync { inode } = recorded.effect {
                last_sync.insert(inode, i);
            }
        }
        let unsynced = history
            .iter()
            .enumerate()
            .filter_map(|(index, r)| match &r.effect {
                Effect::Data { inode, change }
                    if last_sync.get(inode).is_none_or(|&s| s < index) =>
                {
                    Some(Unsynced {
                        index,
                        inode: *inode,
                        change: change.clone(),
                    })
                }
                _ => None,
            })
            .collect();
        CrashPoint {
            base,
            history,
            index,
            metas,
            metadata_min,
            last_sync,
            unsynced,
        }
    }

    /// The operation the crash comes right after (`None`: before any).
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// How many metadata operations may persist: from the durable ones to all.
    pub fn metadata_range(&self) -> std::ops::RangeInclusive<usize> {
        self.metadata_min..=self.metas.len()
    }

    /// How many unsynced changes there are (the length of [`CrashState::fates`]).
    pub fn unsynced(&self) -> usize {
        self.unsynced.len()
    }

    /// The state with everything persisted: what the live file system shows.
    pub fn everything(&self) -> CrashState {
        CrashState {
            metadata_kept: self.metas.len(),
            fates: vec![Fate::Kept; self.unsynced.len()],
        }
    }

    /// The state with only what was synced: the least a crash can leave.
    pub fn only_synced(&self) -> CrashState {
        CrashState {
            metadata_kept: self.metadata_min,
            fates: vec![Fate::Lost; self.unsynced.len()],
        }
    }

    /// The unsynced changes that matter when `metadata_kept` metadata operations persisted:
    /// those to files present in that state (others are invisible whatever their fate).
    fn relevant(&self, metadata_kept: usize) -> Vec<usize> {
        let namespace = self.namespace(metadata_kept);
        let present: std::collections::HashSet<u64> = namespace
            .values()
            .filter_map(|n| match n {
                Node::File(inode) => Some(*inode),
                Node::Dir => None,
            })
            .collect();
        (0..self.unsynced.len())
            .filter(|&i| present.contains(&self.unsynced[i].inode))
            .collect()
    }

    /// How many distinct crash states [`Self::states`] yields (saturating).
    pub fn count(&self) -> u128 {
        self.metadata_range()
            .map(|kept| {
                self.relevant(kept).iter().fold(1u128, |n, &i| {
                    n.saturating_mul(self.unsynced[i].fates().len() as u128)
                })
            })
            .fold(0u128, u128::saturating_add)
    }

    /// Every crash state: each persisted metadata prefix, with every combination of fates of
    /// the unsynced changes to the files it holds (changes to other files are `Kept`).
    pub fn states(&self) -> impl Iterator<Item = CrashState> + '_ {
        self.metadata_range().flat_map(move |kept| {
            let relevant = self.relevant(kept);
            let choices: Vec<Vec<Fate>> =
                relevant.iter().map(|&i| self.unsynced[i].fates()).collect();
            let mut digits = vec![0usize; relevant.len()];
            let mut done = false;
            std::iter::from_fn(move || {
                if done {
                    return None;
                }
                let mut fates = vec![Fate::Kept; self.unsynced.len()];
                for (slot, (&i, &d)) in relevant.iter().zip(&digits).enumerate() {
                    fates[i] = choices[slot][d];
                }
                done = !advance(&mut digits, &choices);
                Some(CrashState {
                    metadata_kept: kept,
                    fates,
                })
            })
        })
    }

    /// `n` crash states drawn at random with `seed` (the same seed gives the same states):
    /// first [`Self::everything`] and [`Self::only_synced`], then random metadata prefixes
    /// with random fates.
    pub fn sample(&self, seed: u64, n: usize) -> Vec<CrashState> {
        let mut rng = SplitMix(seed);
        let mut out = vec![self.everything(), self.only_synced()];
        let range = self.metadata_range();
        while out.len() < n {
            let span = (range.end() - range.start() + 1) as u64;
            let kept = range.start() + rng.below(span) as usize;
            let mut fates = vec![Fate::Kept; self.unsynced.len()];
            for i in self.relevant(kept) {
                let options = self.unsynced[i].fates();
                fates[i] = options[rng.below(options.len() as u64) as usize];
            }
            out.push(CrashState {
                metadata_kept: kept,
                fates,
            });
        }
        out.truncate(n);
        out
    }

    /// The namespace after the first `metadata_kept` metadata operations.
    fn namespace(&self, metadata_kept: usize) -> BTreeMap<PathBuf, Node> {
        let mut namespace: BTreeMap<PathBuf, Node> = self
            .base
            .dirs
            .iter()
            .map(|d| (d.clone(), Node::Dir))
            .chain(
                self.base
                    .files
                    .iter()
                    .map(|(p, i)| (p.clone(), Node::File(*i))),
            )
            .collect();
        for (_, meta) in &self.metas[..metadata_kept.min(self.metas.len())] {
            match meta {
                Meta::Link { path, inode } => {
                    namespace.insert(path.clone(), Node::File(*inode));
                }
                Meta::Mkdir(path) => {
                    namespace.insert(path.clone(), Node::Dir);
                }
                Meta::Rename { from, to } => {
                    if let Some(node) = namespace.remove(from) {
                        namespace.insert(to.clone(), node);
                    }
                }
                Meta::Unlink(path) => {
                    namespace.remove(path);
                }
            }
        }
        namespace
    }

    /// The bytes of `inode` in `state`: its durable bytes, then every change in history
    /// order, the unsynced ones as their fates say.
    fn contents(&self, inode: u64, state: &CrashState) -> Vec<u8> {
        let mut bytes = self.base.data.get(&inode).cloned().unwrap_or_default();
        let synced_until = self.last_sync.get(&inode).copied();
        let mut unsynced = self.unsynced.iter().zip(&state.fates).peekable();
        for (index, recorded) in self.history.iter().enumerate() {
            let Effect::Data { inode: of, change } = &recorded.effect else {
                continue;
            };
            if *of != inode {
                continue;
            }
            let fate = if synced_until.is_some_and(|s| index < s) {
                Fate::Kept
            } else {
                while unsynced.peek().is_some_and(|(u, _)| u.index < index) {
                    unsynced.next();
                }
                match unsynced.peek() {
                    Some((u, fate)) if u.index == index => **fate,
                    _ => Fate::Kept,
                }
            };
            apply(&mut bytes, change, fate);
        }
        bytes
    }

    /// Every folder and file (relative to the root) of `state`, files with their bytes.
    pub fn tree(&self, state: &CrashState) -> CrashTree {
        self.namespace(state.metadata_kept)
            .into_iter()
            .map(|(path, node)| match node {
                Node::Dir => (path, None),
                Node::File(inode) => {
                    let bytes = self.contents(inode, state);
                    (path, Some(bytes))
                }
            })
            .collect()
    }

    /// Writes `state` into `dir` (which must exist and be empty): the file system the crash
    /// leaves, to be opened with the real backend.
    pub fn materialize(&self, state: &CrashState, dir: &Path) -> io::Result<()> {
        write_tree(&self.tree(state), dir)
    }

    /// One line saying what the state is, to reproduce a failure.
    pub fn describe(&self, state: &CrashState) -> String {
        let after = match self.index {
            Some(i) => format!("after op {i} ({:?})", self.history[i].op),
            None => "before any op".into(),
        };
        let changed: Vec<String> = self
            .unsynced
            .iter()
            .zip(&state.fates)
            .filter(|(_, f)| **f != Fate::Kept)
            .map(|(u, f)| format!("op {} {f:?}", u.index))
            .collect();
        format!(
            "crash {after}: {} of {} metadata ops kept (at least {}), unsynced changes not kept: [{}]",
            state.metadata_kept,
            self.metas.len(),
            self.metadata_min,
            changed.join(", ")
        )
    }
}

/// Writes a crash tree into `dir`.
pub fn write_tree(tree: &CrashTree, dir: &Path) -> io::Result<()> {
    // Parents sort before their children.
    for (path, entry) in tree {
        let target = dir.join(path);
        match entry {
            None => OsBackend.create_dir(&target)?,
            Some(bytes) => {
                let file = OsBackend.open(&target, OpenMode::CreateNew)?;
                file.write_all_at(bytes, 0)?;
            }
        }
    }
    Ok(())
}

/// Reads a folder into a crash tree (for comparisons).
pub fn read_tree(dir: &Path) -> io::Result<CrashTree> {
    let mut tree = CrashTree::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        for entry in OsBackend.read_dir(&dir.join(&rel))? {
            let child = rel.join(&entry.name);
            match entry.kind {
                crate::io::EntryKind::Dir => {
                    tree.insert(child.clone(), None);
                    pending.push(child);
                }
                crate::io::EntryKind::File => {
                    let bytes = read_file(&dir.join(&child))?;
                    tree.insert(child, Some(bytes));
                }
                crate::io::EntryKind::Other => {}
            }
        }
    }
    Ok(tree)
}

fn apply(bytes: &mut Vec<u8>, change: &DataChange, fate: Fate) {
    match (change, fate) {
        (_, Fate::Lost) => {}
        (DataChange::Truncate, _) => bytes.clear(),
        (DataChange::Write { offset, bytes: new }, fate) => {
            let n = match fate {
                Fate::Torn(n) => n.min(new.len()),
                _ => new.len(),
            };
            let start = *offset as usize;
            if bytes.len() < start + n {
                bytes.resize(start + n, 0);
            }
            bytes[start..start + n].copy_from_slice(&new[..n]);
        }
    }
}

/// How many metadata operations are durable for sure: up to and including the last one that a
/// later fsync of each of its folders made durable (the order is kept, so all before it too).
fn forced_metadata(history: &[Recorded], metas: &[(usize, Meta)]) -> usize {
    let mut forced = 0;
    for (n, (index, meta)) in metas.iter().enumerate() {
        let synced_after = |dir: &PathBuf| {
            history[index + 1..]
                .iter()
                .any(|r| matches!(&r.effect, Effect::SyncDir(d) if d == dir))
        };
        if meta.dirs().iter().all(synced_after) {
            forced = n + 1;
        }
    }
    forced
}

/// Advances a mixed-radix counter; `false` once it wrapped around.
fn advance(digits: &mut [usize], choices: &[Vec<Fate>]) -> bool {
    for (digit, options) in digits.iter_mut().zip(choices) {
        *digit += 1;
        if *digit < options.len() {
            return true;
        }
        *digit = 0;
    }
    false
}

/// A small, seedable generator (SplitMix64), so that samples are reproducible without a
/// dependency.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
