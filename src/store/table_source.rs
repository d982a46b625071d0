//! An owned handle on the bytes of one table content ([`TableBytesSource`]): what a reader
//! that outlives a borrow of the store (the SQL engine's scans, on their own threads) holds
//! to open the bytes, wherever they are stored, each time through a verifying reader.

use super::{Digest, TableBytesReader};
use crate::blob::{BlobStore, VerifiedReader};
use crate::error::Result;
use crate::format::TABLE_BYTES_HEAD_LEN;
use std::path::PathBuf;
use std::sync::Arc;

/// The body of a `table_bytes` record, shared by every reader of it.
#[derive(Debug, Clone)]
pub struct RecordBody(Arc<Vec<u8>>);

impl AsRef<[u8]> for RecordBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Where the bytes of a table content are (see [`super::Store::table_bytes_source`]).
#[derive(Debug, Clone)]
pub struct TableBytesSource {
    hash: Digest,
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    /// A blob file, opened by each reader.
    Blob(BlobStore),
    /// A `table_bytes` record's body (its head checked), read once from this segment.
    Inline { body: RecordBody, segment: PathBuf },
}

impl TableBytesSource {
    pub(super) fn blob(hash: Digest, blobs: BlobStore) -> Self {
        TableBytesSource {
            hash,
            place: Place::Blob(blobs),
        }
    }

    /// `body` is a whole `table_bytes` body whose head names `hash`.
    pub(super) fn inline(hash: Digest, body: Vec<u8>, segment: PathBuf) -> Self {
        TableBytesSource {
            hash,
            place: Place::Inline {
                body: RecordBody(Arc::new(body)),
                segment,
            },
        }
    }

    /// The content hash the bytes must have.
    pub fn content_hash(&self) -> &Digest {
        &self.hash
    }

    /// Whether the bytes are inside the log (else in a blob file).
    pub fn is_inline(&self) -> bool {
        matches!(self.place, Place::Inline { .. })
    }

    /// A reader of the bytes from their start; it fails at the end if they do not hash to
    /// [`TableBytesSource::content_hash`]. Its `path` is the blob file, or the segment holding
    /// the record.
    pub fn open(&self) -> Result<VerifiedReader<TableBytesReader>> {
        match &self.place {
            Place::Blob(blobs) => Ok(blobs
                .reader(&self.hash.0)?
                .map_inner(TableBytesReader::File)),
            Place::Inline { body, segment } => {
                let mut cursor = std::io::Cursor::new(body.clone());
                cursor.set_position(TABLE_BYTES_HEAD_LEN as u64);
                Ok(VerifiedReader::new(
                    TableBytesReader::Inline(cursor),
                    self.hash.0,
                    segment.clone(),
                ))
            }
        }
    }
}
