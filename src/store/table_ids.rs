//! The stable ids of a dataset's tables, folded version by version.
//!
//! A table of a new version keeps the id of the table with the same display name in the
//! latest version that had one; other tables get the next unused `table_N`. The rule needs
//! every earlier version's tables, which live in their `upload_created` events: read on every
//! upload, that is one event read and decode per version (half an upload's CPU at 25
//! versions). The store keeps, per dataset, what the versions it has read so far hand out,
//! so that an upload reads only the versions added since, usually none.

use super::catalog::Dataset;
use super::event::TableRecord;
use crate::error::Result;
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// The table ids each dataset has handed out, as far as this handle has read its versions.
///
/// Not persisted: it is rebuilt from the log on demand, so it adds nothing to the format.
#[derive(Debug, Default)]
pub(super) struct TableIdCache {
    datasets: Mutex<HashMap<Uuid, HandedOut>>,
}

/// What the first `versions` versions of one dataset hand out.
#[derive(Debug, Default, Clone)]
struct HandedOut {
    /// How many versions (a prefix of the dataset's, by number) are folded in.
    versions: usize,
    /// The `upload_created` sequence number of the last version folded in. Versions are
    /// append-only, so a catalog whose version at that number has another sequence number
    /// comes from another log (cut by `repair` and written again): the fold starts over.
    last_created_seq: u64,
    /// Display name → the id of the table with that name in the latest version that had one.
    by_name: HashMap<String, String>,
    /// One more than the largest `N` of any `table_N` id handed out (0 if none).
    next: usize,
}

impl HandedOut {
    fn fold(&mut self, tables: &[TableRecord]) {
        for table in tables {
            if let Some(n) = table_number(&table.table_id) {
                self.next = self.next.max(n + 1);
            }
            self.by_name
                .insert(table.name.clone(), table.table_id.clone());
        }
    }

    /// The ids for tables named `names` in a new version (names are unique in a version).
    fn assign(&self, names: &[String]) -> Vec<String> {
        let mut next = self.next;
        names
            .iter()
            .map(|name| match self.by_name.get(name) {
                Some(known) => known.clone(),
                None => {
                    next += 1;
                    format!("table_{}", next - 1)
                }
            })
            .collect()
    }

    fn is_prefix_of(&self, dataset: &Dataset) -> bool {
        match self.versions.checked_sub(1) {
            None => true,
            Some(last) => dataset
                .versions
                .get(last)
                .is_some_and(|v| v.created_seq == self.last_created_seq),
        }
    }
}

/// `N` of a `table_N` id.
fn table_number(table_id: &str) -> Option<usize> {
    table_id.strip_prefix("table_")?.parse().ok()
}

impl TableIdCache {
    /// The ids for the tables named `names` of a new version of `dataset` (`None`: a new
    /// dataset). `read_tables` reads the tables of a version from its event; it is called
    /// once for each version this cache has not folded in yet.
    pub(super) fn assign(
        &self,
        dataset: Option<&Dataset>,
        names: &[String],
        read_tables: impl Fn(&Dataset, usize) -> Result<Vec<TableRecord>>,
    ) -> Result<Vec<String>> {
        let Some(dataset) = dataset else {
            return Ok(HandedOut::default().assign(names));
        };
        let mut handed = self.cached(dataset);
        for index in handed.versions..dataset.versions.len() {
            handed.fold(&read_tables(dataset, index)?);
            handed.versions = index + 1;
            handed.last_created_seq = dataset.versions[index].created_seq;
        }
        let ids = handed.assign(names);
        self.lock().insert(dataset.id, handed);
        Ok(ids)
    }

    /// The cached fold of `dataset`, or an empty one if there is none or it does not match.
    fn cached(&self, dataset: &Dataset) -> HandedOut {
        match self.lock().get(&dataset.id) {
            Some(handed) if handed.is_prefix_of(dataset) => handed.clone(),
            _ => HandedOut::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, HandedOut>> {
        // The map holds no invariant a panic could break halfway: every entry is replaced
        // whole.
        self.datasets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Delimiter, Schema};
    use crate::store::catalog::VersionMeta;
    use crate::store::event::Digest;
    use std::cell::Cell;

    fn dataset(created_seqs: &[u64]) -> Dataset {
        let versions = created_seqs
            .iter()
            .enumerate()
            .map(|(i, &seq)| VersionMeta {
                number: i as u64 + 1,
                hash: Digest([0; 32]),
                created_seq: seq,
                created_micros: 0,
            })
            .collect();
        Dataset {
            id: Uuid::from_u128(7),
            name: "d".into(),
            versions,
            active: 1,
            activations: Vec::new(),
            event_seqs: Vec::new(),
            updated_micros: 0,
        }
    }

    /// Version `index` has one table named by its seq, with id `table_{seq}`.
    fn tables_by_seq(ds: &Dataset, index: usize) -> Vec<TableRecord> {
        let seq = ds.versions[index].created_seq;
        vec![TableRecord {
            table_id: format!("table_{seq}"),
            name: format!("t{seq}"),
            source_file: "f.csv".into(),
            content_hash: Digest([0; 32]),
            byte_len: 0,
            row_count: 0,
            column_count: 0,
            schema: std::sync::Arc::new(Schema {
                columns: Vec::new(),
            }),
            fingerprint: Digest([0; 32]),
            delimiter: Delimiter::Comma,
        }]
    }

    #[test]
    fn each_version_is_read_once_and_a_cut_and_rewritten_log_is_read_again() {
        let cache = TableIdCache::default();
        let reads = Cell::new(0);
        let read = |ds: &Dataset, index: usize| {
            reads.set(reads.get() + 1);
            Ok(tables_by_seq(ds, index))
        };
        let names = ["t1".to_owned(), "new".to_owned()];
        let ids = cache.assign(Some(&dataset(&[1, 5])), &names, read).unwrap();
        assert_eq!(
            (ids, reads.get()),
            (vec!["table_1".into(), "table_6".into()], 2)
        );
        let ids = cache
            .assign(Some(&dataset(&[1, 5, 9])), &names, read)
            .unwrap();
        assert_eq!(
            (ids, reads.get()),
            (vec!["table_1".into(), "table_10".into()], 3)
        );
        // Version 3 now has another event: the log was cut before it and written again.
        let ids = cache
            .assign(Some(&dataset(&[1, 5, 8])), &names, read)
            .unwrap();
        assert_eq!(
            (ids, reads.get()),
            (vec!["table_1".into(), "table_9".into()], 6)
        );
        let ids = cache.assign(None, &names, read).unwrap();
        assert_eq!(
            (ids, reads.get()),
            (vec!["table_0".into(), "table_1".into()], 6)
        );
    }
}
