//! The content-addressed blob store: table bytes stored once by their SHA-256.
//!
//! Layout: `<store>/blobs/sha256/<first 2 hex digits>/<remaining 62 hex digits>` (see
//! [`crate::paths`]). A blob is written to `<store>/blobs/tmp/` and hashed as it is written,
//! fsynced, renamed to its hash and both folders fsynced, so a blob either exists whole under
//! its name or not at all. A blob file is never modified. Reading verifies the bytes against
//! the name as they stream.

use crate::digest::{hex, Digest, Hasher};
use crate::error::{Error, Result};
use crate::io::{EntryKind, FileReader, Io, OpenMode, TempFile};
use crate::paths::{parent, StorePaths};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub use crate::paths::BLOB_DIR;

/// The content-addressed blob store of one store directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    paths: StorePaths,
    io: Io,
}

impl BlobStore {
    /// The blob store in `store_dir/blobs`, on the real file system. Opening touches nothing
    /// on disk: the folders are created by the first write.
    pub fn open(store_dir: &Path) -> BlobStore {
        BlobStore::open_with(store_dir, Io::default())
    }

    /// The blob store in `store_dir/blobs`, doing its IO through `io`.
    pub fn open_with(store_dir: &Path, io: Io) -> BlobStore {
        BlobStore {
            paths: StorePaths::new(store_dir),
            io,
        }
    }

    /// The folder that holds every blob under its name (two levels below it).
    pub fn objects_dir(&self) -> PathBuf {
        self.paths.blob_objects_dir()
    }

    /// Where the blob with this hash lives.
    pub fn path(&self, hash: &[u8; 32]) -> PathBuf {
        self.paths.blob(hash)
    }

    /// Whether the blob exists.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.io.is_file(&self.path(hash))
    }

    /// Starts writing a blob; its name is the hash of what is written.
    pub fn writer(&self) -> Result<BlobWriter> {
        self.io.ensure_dir_durably(&self.paths.blob_tmp_dir())?;
        let tmp = self.paths.blob_tmp(uuid::Uuid::new_v4());
        Ok(BlobWriter {
            file: self.io.create_temp(&tmp)?,
            hasher: Hasher::new(),
        })
    }

    /// Opens the blob for reading; the reader fails at the end if the bytes do not hash to
    /// `hash`.
    pub fn reader(&self, hash: &[u8; 32]) -> Result<VerifiedReader<FileReader>> {
        let path = self.path(hash);
        let file = self.io.open(&path, OpenMode::Read)?;
        Ok(VerifiedReader::new(file.reader(), *hash, path))
    }

    /// Reads the whole blob and checks its hash.
    pub fn verify(&self, hash: &[u8; 32]) -> Result<()> {
        let mut reader = self.reader(hash)?;
        let path = reader.path.clone();
        io::copy(&mut reader, &mut io::sink()).map_err(|e| blob_read_error(e, &path))?;
        Ok(())
    }

    /// How many blob files there are and how many bytes they hold (temporary files not
    /// counted). Reads the folders only.
    pub fn usage(&self) -> Result<BlobUsage> {
        let mut usage = BlobUsage::default();
        let objects = self.objects_dir();
        if !self.io.is_dir(&objects) {
            return Ok(usage);
        }
        for prefix in self.io.list_dir(&objects)? {
            if prefix.kind != EntryKind::Dir {
                continue;
            }
            let dir = objects.join(&prefix.name);
            for entry in self.io.list_dir(&dir)? {
                if entry.kind == EntryKind::File {
                    let path = dir.join(&entry.name);
                    usage.files += 1;
                    usage.bytes += self.io.metadata(&path)?.map_or(0, |m| m.len);
                }
            }
        }
        Ok(usage)
    }
}

/// What [`BlobStore::usage`] counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlobUsage {
    /// Blob files.
    pub files: u64,
    /// Bytes in them.
    pub bytes: u64,
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

/// A blob being written to a temporary file. The writer hashes every byte it writes, and
/// [`BlobWriter::finish`] names the blob by that hash: a blob's name is checked by the code
/// that writes it. (The CSV scan hands the writer each chunk as it reads it, so an upload's
/// bytes are still hashed once.)
#[derive(Debug)]
pub struct BlobWriter {
    file: TempFile,
    hasher: Hasher,
}

/// A written and synced blob that is not yet under its name.
#[derive(Debug)]
pub struct StagedBlob {
    file: TempFile,
    /// SHA-256 of the bytes.
    pub hash: Digest,
    /// Number of bytes.
    pub len: u64,
}

impl BlobWriter {
    /// Appends bytes (for a sink that reports [`io::Error`]s: the crate's error is inside).
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.file.write(bytes).map_err(io::Error::other)
    }

    /// Appends bytes.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        Ok(self.file.write(bytes)?)
    }

    /// fsyncs the temporary file and names it by the SHA-256 of every byte written; the
    /// blob can then be published with [`StagedBlob::publish`].
    pub fn finish(self) -> Result<StagedBlob> {
        let BlobWriter { mut file, hasher } = self;
        file.sync()?;
        Ok(StagedBlob {
            len: file.bytes_written(),
            hash: hasher.finish(),
            file,
        })
    }
}

impl StagedBlob {
    /// Moves the blob under its name (if a blob with this hash exists, the copy is dropped:
    /// content is stored once), fsyncing the directories involved.
    pub fn publish(self, store: &BlobStore) -> Result<PathBuf> {
        let target = store.path(&self.hash.0);
        if store.io.is_file(&target) {
            return Ok(target);
        }
        store.io.ensure_dir_durably(parent(&target))?;
        self.file.persist(&target)?;
        Ok(target)
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
    hasher: Hasher,
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
            hasher: Hasher::new(),
            expected,
            path,
            done: false,
        }
    }
}

impl<R> VerifiedReader<R> {
    /// The same reader over `f(inner)` (before anything is read: the hash so far is kept).
    pub fn map_inner<S>(self, f: impl FnOnce(R) -> S) -> VerifiedReader<S> {
        VerifiedReader {
            inner: f(self.inner),
            hasher: self.hasher,
            expected: self.expected,
            path: self.path,
            done: self.done,
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
        let actual = std::mem::take(&mut self.hasher).finish().0;
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
