//! Counts and sizes of a store, as `strata stat` shows them.

use super::Store;
use crate::error::Result;
use crate::log::TornTail;
use std::collections::HashSet;
use std::path::PathBuf;

/// Counts and sizes of a store, as of its last open or refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStats {
    /// The store's directory.
    pub dir: PathBuf,
    /// The store's UUID.
    pub store_id: uuid::Uuid,
    /// Segment files in the log.
    pub segments: usize,
    /// Sealed segments (every one but the last, in a valid log).
    pub sealed_segments: usize,
    /// Bytes of segment headers and records (preallocated zeros excluded).
    pub log_record_bytes: u64,
    /// Bytes of the segment files on disk (preallocated zeros included).
    pub log_file_bytes: u64,
    /// Records in the log, the log's own included. Sequence numbers are gapless from 1, so
    /// this is also the last one.
    pub records: u64,
    /// The sequence number of the last record (0 for an empty log).
    pub last_seq: u64,
    /// Dataset events.
    pub events: u64,
    /// Datasets.
    pub datasets: usize,
    /// Versions over all datasets.
    pub versions: usize,
    /// Distinct table contents over all versions (by content hash).
    pub distinct_tables: usize,
    /// Distinct table contents stored inside the log (`table_bytes` records).
    pub inline_tables: usize,
    /// Files under the blob folder.
    pub blob_files: u64,
    /// Bytes of those files.
    pub blob_bytes: u64,
    /// Tile files in the `log/tree/` sidecar of tree hashes (a derived cache of proofs;
    /// deleting the folder loses nothing).
    pub tree_tiles: u64,
    /// Bytes of those files.
    pub tree_bytes: u64,
    /// The torn tail found when the store was opened (cut before the next append).
    pub torn_tail: Option<TornTail>,
    /// Blob files no event refers to (left by failed uploads; `strata gc` removes them).
    pub orphan_blobs: u64,
    /// Bytes of those files.
    pub orphan_blob_bytes: u64,
    /// Temporary files of interrupted (or running) writes.
    pub temp_files: u64,
    /// Bytes of those files.
    pub temp_file_bytes: u64,
    /// Columnar copies and index entries nothing uses (`strata gc` removes them).
    pub stale_copies: u64,
    /// Bytes of those files.
    pub stale_copy_bytes: u64,
}

impl Store {
    /// Counts and sizes: segments, records, events, datasets, versions, distinct tables,
    /// bytes in the log and in blobs, the torn tail found on open, and the files nothing reads
    /// ([`Store::leftovers`]). Reads every `upload_created` event of the log (for the distinct
    /// tables and the orphans) and lists the blob, snapshot and log folders.
    pub fn stats(&self) -> Result<StoreStats> {
        let segments = self.log.segments();
        let distinct_tables: HashSet<_> = self
            .all_tables()?
            .into_iter()
            .map(|(_, _, t)| t.content_hash)
            .collect();
        let blobs = self.blobs.usage()?;
        let leftovers = self.leftovers()?;
        let catalog = self.catalog();
        let last_seq = self.log.last_seq();
        let (tiles, _) = super::gc::tree_files(self.log.io(), &self.log.paths().tree_dir())?;
        Ok(StoreStats {
            dir: self.dir.clone(),
            store_id: self.log.store_id(),
            segments: segments.len(),
            sealed_segments: segments.iter().filter(|s| s.sealed).count(),
            log_record_bytes: segments.iter().map(|s| s.end_offset).sum(),
            log_file_bytes: segments.iter().map(|s| s.file_len).sum(),
            records: last_seq,
            last_seq,
            events: catalog.events,
            datasets: catalog.len(),
            versions: catalog.version_count(),
            distinct_tables: distinct_tables.len(),
            inline_tables: catalog.inline_table_count(),
            blob_files: blobs.files,
            blob_bytes: blobs.bytes,
            tree_tiles: tiles.len() as u64,
            tree_bytes: tiles.iter().map(|t| t.bytes).sum(),
            torn_tail: self.log.torn_tail(),
            orphan_blobs: leftovers.orphan_blobs.len() as u64,
            orphan_blob_bytes: leftovers.orphan_blob_bytes(),
            temp_files: leftovers.temp_files.len() as u64,
            temp_file_bytes: leftovers.temp_file_bytes(),
            stale_copies: leftovers.stale_copies.len() as u64,
            stale_copy_bytes: leftovers.stale_copy_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreOptions, UploadFile, UploadRequest};

    #[test]
    fn stats_count_segments_records_datasets_versions_distinct_tables_and_blob_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            inline_table_max: 0,
            ..StoreOptions::default()
        };
        let store = Store::create(dir.path(), options).unwrap();
        let (v1, v2): (&[u8], &[u8]) = (b"a,b\n1,2\n", b"a,b,c\n1,2,3\n");
        for (name, bytes, overwrite) in [("d", v1, false), ("d", v2, true), ("e", v1, false)] {
            let file = UploadFile::from_bytes("t.csv", bytes.to_vec());
            let request = UploadRequest {
                overwrite,
                ..UploadRequest::new(name, vec![file], "ana")
            };
            store.save_upload(request).unwrap();
        }
        let stats = store.stats().unwrap();
        assert_eq!((stats.segments, stats.sealed_segments), (1, 0));
        assert_eq!((stats.records, stats.last_seq, stats.events), (3, 3, 3));
        assert_eq!((stats.datasets, stats.versions), (2, 3));
        assert_eq!(
            stats.distinct_tables, 2,
            "e holds the same bytes as d's version 1"
        );
        assert_eq!(stats.blob_files, 2);
        assert_eq!(stats.blob_bytes, (v1.len() + v2.len()) as u64);
        assert_eq!(stats.log_record_bytes, store.log().len_bytes());
        assert!(stats.log_file_bytes >= stats.log_record_bytes);
        assert_eq!(stats.store_id, store.log().store_id());
        assert_eq!(stats.torn_tail, None);
        assert_eq!((stats.orphan_blobs, stats.temp_files), (0, 0));
        assert_eq!(stats.inline_tables, 0);
    }

    #[test]
    fn stats_count_tables_stored_inside_the_log_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path(), StoreOptions::default()).unwrap();
        let (v1, v2): (&[u8], &[u8]) = (b"a,b\n1,2\n", b"a,b,c\n1,2,3\n");
        for (name, bytes, overwrite) in [("d", v1, false), ("d", v2, true), ("e", v1, false)] {
            let file = UploadFile::from_bytes("t.csv", bytes.to_vec());
            let request = UploadRequest {
                overwrite,
                ..UploadRequest::new(name, vec![file], "ana")
            };
            store.save_upload(request).unwrap();
        }
        let stats = store.stats().unwrap();
        // Three events and two table_bytes records: e's content was d's version 1.
        assert_eq!((stats.records, stats.events), (5, 3));
        assert_eq!((stats.distinct_tables, stats.inline_tables), (2, 2));
        assert_eq!((stats.blob_files, stats.blob_bytes), (0, 0));
    }
}
