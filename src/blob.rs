//! The content-addressed blob store: table bytes stored once by their SHA-256.
//!
//! Layout: `<store>/blobs/sha256/<first 2 hex digits>/<remaining 62 hex digits>`. A blob is
//! written to `<store>/blobs/tmp/`, fsynced, renamed into place and its directory fsynced,
//! so a blob either exists whole under its name or not at all. A blob file is never
//! modified. Reading verifies the bytes against the name as they stream.

use crate::error::{Error, IoContext, Result};
use crate::log::fsutil::{parent, sync_dir};
use crate::schema::hex;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Name of the blob folder inside a store directory.
pub const BLOB_DIR: &str = "blobs";

/// The content-addressed blob store of one store directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// The blob store in `store_dir/blobs`. Opening touches nothing on disk: the folders are
    /// created by the first write.
    pub fn open(store_dir: &Path) -> BlobStore {
        BlobStore {
            root: store_dir.join(BLOB_DIR),
        }
    }

    /// Creates `dir` (and its missing parents up to the store directory) durably.
    fn ensure_dir(&self, dir: &Path) -> Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        if let Some(up) = dir.parent().filter(|p| p.starts_with(parent(&self.root))) {
            self.ensure_dir(up)?;
        }
        std::fs::create_dir_all(dir).ctx("create directory", dir)?;
        sync_dir(parent(dir))
    }

    /// The folder that holds every blob under its name (two levels below it).
    pub fn objects_dir(&self) -> PathBuf {
        self.root.join("sha256")
    }

    /// Where the blob with this hash lives.
    pub fn path(&self, hash: &[u8; 32]) -> PathBuf {
        let hex = hex(hash);
        self.objects_dir().join(&hex[..2]).join(&hex[2..])
    }

    /// Whether the blob exists.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.path(hash).is_file()
    }

    /// Starts writing a blob whose hash is not known yet.
    pub fn writer(&self) -> Result<BlobWriter> {
        let tmp = self.root.join("tmp");
        self.ensure_dir(&tmp)?;
        let path = tmp.join(format!("{}.tmp", uuid::Uuid::new_v4()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .ctx("create", &path)?;
        Ok(BlobWriter {
            file: Some(file),
            path,
            len: 0,
        })
    }

    /// Opens the blob for reading; the reader fails at the end if the bytes do not hash to
    /// `hash`.
    pub fn reader(&self, hash: &[u8; 32]) -> Result<VerifiedReader<File>> {
        let path = self.path(hash);
        let file = File::open(&path).ctx("open blob", &path)?;
        Ok(VerifiedReader::new(file, *hash, path))
    }

    /// Reads the whole blob and checks its hash.
    pub fn verify(&self, hash: &[u8; 32]) -> Result<()> {
        let mut reader = self.reader(hash)?;
        let path = reader.path.clone();
        io::copy(&mut reader, &mut io::sink()).map_err(|e| blob_read_error(e, &path))?;
        Ok(())
    }
}

/// Turns an error from a [`VerifiedReader`] into the crate's error.
pub fn blob_read_error(error: io::Error, path: &Path) -> Error {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<HashMismatch>())
    {
        Some(mismatch) => Error::BlobMismatch {
            path: path.to_path_buf(),
            expected: hex(&mismatch.expected),
            actual: hex(&mismatch.actual),
        },
        None => Error::io("read blob", path, error),
    }
}

/// A blob being written to a temporary file. The writer does not hash: whoever produces the
/// bytes hashes them as they pass (the CSV scan does, see `schema::scan_csv`) and names the
/// blob with [`BlobWriter::finish`], so that an upload's bytes are hashed once. A wrong name
/// cannot go unnoticed: every read verifies the bytes against the name.
#[derive(Debug)]
pub struct BlobWriter {
    file: Option<File>,
    path: PathBuf,
    len: u64,
}

/// A written and synced blob that is not yet under its name.
#[derive(Debug)]
pub struct StagedBlob {
    tmp: PathBuf,
    /// SHA-256 of the bytes.
    pub hash: [u8; 32],
    /// Number of bytes.
    pub len: u64,
}

impl BlobWriter {
    /// Appends bytes.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.len += bytes.len() as u64;
        self.file
            .as_mut()
            .expect("open until finished")
            .write_all(bytes)
    }

    /// fsyncs the temporary file and names it `hash`, the SHA-256 of every byte written (the
    /// caller's to compute); the blob can then be published with [`StagedBlob::publish`].
    pub fn finish(mut self, hash: [u8; 32]) -> Result<StagedBlob> {
        let file = self.file.take().expect("finished once");
        file.sync_all().ctx("fsync", &self.path)?;
        Ok(StagedBlob {
            tmp: std::mem::take(&mut self.path),
            hash,
            len: self.len,
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl StagedBlob {
    /// Moves the blob under its name (if a blob with this hash exists, the copy is dropped:
    /// content is stored once), fsyncing the directories involved.
    pub fn publish(mut self, store: &BlobStore) -> Result<PathBuf> {
        let target = store.path(&self.hash);
        if target.is_file() {
            return Ok(target);
        }
        let dir = parent(&target).to_path_buf();
        store.ensure_dir(&dir)?;
        let tmp = std::mem::take(&mut self.tmp);
        std::fs::rename(&tmp, &target).ctx("rename blob into place", &target)?;
        sync_dir(&dir)?;
        sync_dir(parent(&tmp))?;
        Ok(target)
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The bytes read did not hash to the blob's name.
#[derive(Debug, thiserror::Error)]
#[error(
    "blob content does not match its hash (expected {}, got {})",
    hex(expected),
    hex(actual)
)]
pub struct HashMismatch {
    /// The hash the blob is stored under.
    pub expected: [u8; 32],
    /// The hash of the bytes read.
    pub actual: [u8; 32],
}

/// A reader that hashes what it reads and fails at end of input if the hash is wrong, so a
/// consumer never sees a clean end after damaged bytes.
#[derive(Debug)]
pub struct VerifiedReader<R> {
    inner: R,
    hasher: Sha256,
    expected: [u8; 32],
    /// The file being read (for error messages).
    pub path: PathBuf,
    done: bool,
}

impl<R: Read> VerifiedReader<R> {
    /// Wraps `inner`, expecting its bytes to hash to `expected`.
    pub fn new(inner: R, expected: [u8; 32], path: PathBuf) -> Self {
        VerifiedReader {
            inner,
            hasher: Sha256::new(),
            expected,
            path,
            done: false,
        }
    }
}

impl<R: Read> Read for VerifiedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n > 0 || buf.is_empty() {
            self.hasher.update(&buf[..n]);
            return Ok(n);
        }
        self.done = true;
        let actual: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        if actual == self.expected {
            Ok(0)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                HashMismatch {
                    expected: self.expected,
                    actual,
                },
            ))
        }
    }
}
