//! Which datasets and versions hold some content: a table's bytes, by their SHA-256.

use super::event::Digest;
use super::Store;
use crate::error::Result;

/// A table of some version that holds the content looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentMatch {
    /// The dataset's id.
    pub dataset_id: uuid::Uuid,
    /// The dataset's name.
    pub dataset: String,
    /// The version.
    pub version: u64,
    /// Whether that version is the dataset's active one.
    pub active: bool,
    /// The table's id in the version (`table_0`, ...).
    pub table_id: String,
    /// The table's name.
    pub table: String,
    /// The file name it was uploaded from.
    pub source_file: String,
}

impl Store {
    /// Every table of every version whose bytes have the SHA-256 `hash`, in log order. The
    /// blob store is the content index: content it does not hold is in no version, and is
    /// answered without reading the log; otherwise the versions' upload events are read.
    pub fn find_content(&self, hash: &Digest) -> Result<Vec<ContentMatch>> {
        if !self.blobs().contains(&hash.0) {
            return Ok(Vec::new());
        }
        let mut matches = Vec::new();
        for (dataset, version, record) in self.all_tables()? {
            if record.content_hash != *hash {
                continue;
            }
            let catalog = self.catalog();
            let Some(ds) = catalog.find(&dataset) else {
                continue;
            };
            matches.push(ContentMatch {
                dataset_id: ds.id,
                dataset: ds.name.clone(),
                version,
                active: ds.active == version,
                table_id: record.table_id,
                table: record.name,
                source_file: record.source_file,
            });
        }
        Ok(matches)
    }
}
