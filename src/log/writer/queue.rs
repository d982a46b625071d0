//! Group commit: the append queue, its leader, and the gathering of a group.

use super::Mark;
use crate::format::{encoded_len, RecordType};
use crate::log::tiles::TileUpkeep;
use crate::log::{Durability, Log};
use crate::log::{Error, Result};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::ops::RangeInclusive;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

/// The longest a group leader waits for appends about to be queued.
const GATHER_MAX: Duration = Duration::from_micros(500);

/// A group of queued appends stops growing past this many bytes (beyond the leader's own).
const GROUP_BYTES: u64 = 1 << 20;

/// What writing a queued append gave: its range, and the end of the write that held it.
type Written = Result<(RangeInclusive<u64>, Option<Mark>)>;

/// One thread's append, waiting in the queue until a leader writes it.
#[derive(Debug)]
struct QueuedAppend {
    ticket: u64,
    records: Vec<(RecordType, Vec<u8>)>,
}

impl QueuedAppend {
    fn bytes(&self) -> u64 {
        self.records
            .iter()
            .map(|(_, body)| encoded_len(body.len()) as u64)
            .sum()
    }
}

/// Appends of one handle's threads, committed in groups (group commit, as LevelDB does it).
///
/// Invariant: when a leader finishes, it wakes every waiting append (`Log::group_done`), so
/// the first of them to run leads the next group; an append that finds no leader leads.
#[derive(Debug, Default)]
pub(crate) struct AppendQueue {
    next_ticket: u64,
    waiting: VecDeque<QueuedAppend>,
    /// A leader is gathering, writing or syncing a group.
    leader: bool,
    /// While the leader gathers: how many waiting appends it wants.
    gathering: Option<usize>,
    /// Appends in the last group, and how long its fdatasync took.
    last_group: usize,
    last_sync_duration: Duration,
    /// Outcomes of appends written by another thread, until their owners collect them.
    outcomes: HashMap<u64, Result<RangeInclusive<u64>>>,
    /// Threads asleep on `group_done` (counted under the queue mutex before they sleep, so
    /// that a leader makes a wake-up call only if one waits: none is missed).
    sleepers: usize,
}

impl AppendQueue {
    /// Takes the appends the next group commits: everything up to and including the
    /// leader's own (first come, first served), then more while under [`GROUP_BYTES`].
    fn take_group(&mut self, leader_ticket: u64) -> Vec<QueuedAppend> {
        let mut group = Vec::with_capacity(self.waiting.len());
        let mut bytes = 0;
        let mut has_leader = false;
        while let Some(next) = self.waiting.front() {
            if has_leader && bytes + next.bytes() > GROUP_BYTES {
                break;
            }
            let next = self.waiting.pop_front().expect("front exists");
            has_leader |= next.ticket == leader_ticket;
            bytes += next.bytes();
            group.push(next);
        }
        group
    }

    /// Whether a leader is gathering and now has the appends it waits for.
    fn gathered(&self) -> bool {
        self.gathering
            .is_some_and(|wanted| self.waiting.len() >= wanted)
    }
}

/// Hands the next leader the queue if a leader unwinds from a panic while committing, and
/// gives the appends of its group an error instead of leaving their threads waiting.
struct LeaderDuty<'a> {
    log: &'a Log,
    /// The group's appends not yet given an outcome.
    tickets: Vec<u64>,
}

impl Drop for LeaderDuty<'_> {
    fn drop(&mut self) {
        if self.tickets.is_empty() {
            return;
        }
        let error = self.log.poison(Error::Poisoned {
            file: self.log.dir.clone(),
            op: "commit",
            cause: Arc::new(io::Error::other(
                "a thread panicked while committing appends",
            )),
        });
        let mut queue = self.log.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.leader = false;
        for ticket in self.tickets.drain(..) {
            queue.outcomes.insert(ticket, Err(error.clone()));
        }
        drop(queue);
        self.log.group_done.notify_all();
    }
}

impl Log {
    /// Appends one record and returns its sequence number once it is as durable as
    /// [`super::LogOptions::durability`] promises. `record_type` must be at least
    /// [`RecordType::FIRST_APPLICATION`].
    pub fn append(&self, record_type: RecordType, body: &[u8]) -> Result<u64> {
        self.append_batch(&[(record_type, body)])
            .map(|range| *range.start())
    }

    /// Appends records with consecutive sequence numbers (never split by a segment roll) and
    /// returns their range once they are durable.
    ///
    /// Appends from several threads of one handle are committed in groups: the appends queue,
    /// and one thread (the leader) writes every queued append under one hold of the locks and
    /// runs one `fdatasync` for all of them (group commit).
    pub fn append_batch(&self, records: &[(RecordType, &[u8])]) -> Result<RangeInclusive<u64>> {
        if records.is_empty() {
            return Err(Error::InvalidOption(
                "append_batch needs at least one record".into(),
            ));
        }
        for (record_type, body) in records {
            Log::check_appendable(*record_type, body)?;
        }
        self.check_not_poisoned()?;
        let owned = records.iter().map(|(t, b)| (*t, b.to_vec())).collect();
        self.append_queued(owned)
    }

    /// Queues an append and waits until a leader has committed it; leads a group itself when
    /// no leader is active.
    fn append_queued(&self, records: Vec<(RecordType, Vec<u8>)>) -> Result<RangeInclusive<u64>> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push_back(QueuedAppend { ticket, records });
        if queue.gathered() {
            self.gathered.notify_one();
        }
        loop {
            if let Some(outcome) = queue.outcomes.remove(&ticket) {
                return outcome;
            }
            if !queue.leader {
                return self.lead_group(queue, ticket);
            }
            queue.sleepers += 1;
            queue = self
                .group_done
                .wait(queue)
                .unwrap_or_else(|e| e.into_inner());
            queue.sleepers -= 1;
        }
    }

    /// Commits a group that holds the append `ticket`: gathers, writes and syncs it, hands
    /// every other member its outcome, and wakes every waiting append (its members, and the
    /// appends queued meanwhile, one of which leads next).
    fn lead_group(
        &self,
        mut queue: MutexGuard<'_, AppendQueue>,
        ticket: u64,
    ) -> Result<RangeInclusive<u64>> {
        queue.leader = true;
        let mut queue = self.gather_appends(queue);
        let group = queue.take_group(ticket);
        queue.last_group = group.len();
        drop(queue);
        let mut duty = LeaderDuty {
            log: self,
            tickets: group.iter().map(|append| append.ticket).collect(),
        };
        let (outcomes, sync_duration, upkeep) = self.commit_group(&group);
        duty.tickets.clear();
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.leader = false;
        if let Some(duration) = sync_duration {
            queue.last_sync_duration = duration;
        }
        let mut mine = None;
        for (append, outcome) in group.into_iter().zip(outcomes) {
            if append.ticket == ticket {
                mine = Some(outcome);
            } else {
                queue.outcomes.insert(append.ticket, outcome);
            }
        }
        // One wake-up call for all (measured: a third less time until the woken threads have
        // queued again than one call per thread), after unlocking so they do not block on
        // the queue mutex; none if nobody waits (a lone writer).
        let wake = queue.sleepers > 0;
        drop(queue);
        if wake {
            self.group_done.notify_all();
        }
        // After the group is answered and another leader may start: no append waits on it.
        if let Some(job) = upkeep {
            self.upkeep_tiles(job);
        }
        mine.expect("a group holds its leader's append")
    }

    /// Before taking a group, waits (at most the last sync's duration, and [`GATHER_MAX`])
    /// until as many appends wait as the last group held: under concurrent load the threads
    /// that group released are about to append again, and one sync for all of them costs
    /// less than one more sync. A lone writer never waits: its last group held one append.
    fn gather_appends<'a>(
        &'a self,
        mut queue: MutexGuard<'a, AppendQueue>,
    ) -> MutexGuard<'a, AppendQueue> {
        let wanted = queue.last_group;
        if queue.waiting.len() >= wanted {
            return queue;
        }
        let deadline = Instant::now() + queue.last_sync_duration.min(GATHER_MAX);
        queue.gathering = Some(wanted);
        while queue.waiting.len() < wanted {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            queue = self
                .gathered
                .wait_timeout(queue, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        queue.gathering = None;
        queue
    }

    /// Writes a group under one hold of the locks and, in `Sync` mode, runs one sync for all
    /// of it. Returns one outcome per append, how long the sync took if one ran, and the
    /// sidecar tiles due if the group wrote a checkpoint record and was committed.
    fn commit_group(
        &self,
        group: &[QueuedAppend],
    ) -> (
        Vec<Result<RangeInclusive<u64>>>,
        Option<Duration>,
        Option<TileUpkeep>,
    ) {
        let (written, upkeep) = self.write_queued(group);
        let end = written
            .iter()
            .filter_map(|w| w.as_ref().ok().and_then(|(_, mark)| *mark))
            .max();
        let mut sync_duration = None;
        let mut sync_error = None;
        if let (Some(end), Durability::Sync) = (end, self.options.durability) {
            let started = Instant::now();
            if let Err(error) = self.sync_through(end) {
                sync_error = Some(error);
            }
            sync_duration = Some(started.elapsed());
        }
        let outcomes = written
            .into_iter()
            .map(|w| match (w, &sync_error) {
                (Err(error), _) => Err(error),
                (Ok(_), Some(error)) => Err(error.clone()),
                (Ok((range, _)), None) => Ok(range),
            })
            .collect();
        let upkeep = upkeep.filter(|_| sync_error.is_none());
        (outcomes, sync_duration, upkeep)
    }

    /// Writes queued appends with one `pwrite` (more only across a segment roll) under one
    /// hold of the locks; one outcome per append, and the sidecar tiles due once they are
    /// committed. The appends written before a failure keep their ranges (they are in the
    /// log); the others fail.
    fn write_queued(&self, group: &[QueuedAppend]) -> (Vec<Written>, Option<TileUpkeep>) {
        let mut guard = match self.lock_writer() {
            Ok(guard) => guard,
            Err(e) => return (group.iter().map(|_| Err(e.clone())).collect(), None),
        };
        let refs: Vec<Vec<(RecordType, &[u8])>> = group
            .iter()
            .map(|append| {
                append
                    .records
                    .iter()
                    .map(|(t, b)| (*t, b.as_slice()))
                    .collect()
            })
            .collect();
        let (ranges, outcome) = guard.write_appends(&refs, true);
        let upkeep = guard.take_tile_upkeep();
        let mark = guard.release();
        let mut ranges = ranges.into_iter();
        let written = group
            .iter()
            .map(|_| match (ranges.next(), &outcome) {
                (Some(range), _) => Ok((range, mark)),
                (None, Err(error)) => Err(error.clone()),
                (None, Ok(())) => unreachable!("every append is written when nothing failed"),
            })
            .collect();
        (written, upkeep)
    }
}
