//! The durable-write helpers, one of each: creating a file durably (temporary file, fsync,
//! rename, directory fsync), creating folders durably, writing zeros, and cutting a range out
//! of a file.

use super::{Io, IoFile, OpenMode};
use super::{IoError, IoResult};
use crate::paths::parent;
use std::io;
use std::path::{Path, PathBuf};

impl Io {
    /// Creates `path` with `contents` durably: written to `tmp` (created, or emptied if a
    /// crash left it), fsynced, renamed to `path`, and the directory fsynced. A crash at any
    /// point leaves either no file at `path` or the whole file (plus perhaps `tmp`, which is
    /// never read).
    pub fn create_durably(&self, path: &Path, tmp: &Path, contents: &[u8]) -> IoResult<()> {
        let mut file = TempFile::create(self, tmp, OpenMode::CreateTruncate)?;
        file.write(contents)?;
        file.persist(path)
    }

    /// Starts writing a new file at `tmp` (which must not exist), to be written, then moved
    /// under its final name durably with [`TempFile::persist`]. Dropping it unpersisted removes
    /// it.
    pub fn create_temp(&self, tmp: &Path) -> IoResult<TempFile> {
        TempFile::create(self, tmp, OpenMode::CreateNew)
    }

    /// Creates the folder `dir` and any missing folder above it, fsyncing the parent of each
    /// folder it creates, so that `dir` survives power loss once this returns. A folder that
    /// exists is left as it is.
    pub fn ensure_dir_durably(&self, dir: &Path) -> IoResult<()> {
        if self.is_dir(dir) {
            return Ok(());
        }
        let up = parent(dir);
        if up != dir {
            self.ensure_dir_durably(up)?;
        }
        match self.backend.create_dir(dir) {
            Ok(()) => {}
            // Another process created it first; syncing its parent again is harmless.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && self.is_dir(dir) => {}
            Err(e) => return Err(IoError::new("create directory", dir, e)),
        }
        self.sync_dir(up)
    }

    /// Moves the bytes `from..to` of `file` out of it: a durable copy is created at `copy`
    /// (see [`Io::create_durably`], through `copy` + `.tmp`), then the range is zeroed in
    /// place. The zeros are not synced: the caller syncs the file before anything relies on
    /// them.
    pub fn cut_out(&self, file: &IoFile, from: u64, to: u64, copy: &Path) -> IoResult<()> {
        let mut bytes = vec![0u8; (to - from) as usize];
        file.read_exact_at(&mut bytes, from)?;
        self.create_durably(copy, &crate::paths::tmp_path(copy), &bytes)?;
        file.write_zeros(from, to)
    }
}

impl IoFile {
    /// Writes zero bytes over `from..to` of the file (growing it if it is shorter), in
    /// chunks of 64 KiB.
    pub fn write_zeros(&self, from: u64, to: u64) -> IoResult<()> {
        const CHUNK: usize = 64 * 1024;
        static ZEROS: [u8; CHUNK] = [0; CHUNK];
        let mut at = from;
        while at < to {
            let n = ((to - at) as usize).min(CHUNK);
            self.write_all_at(&ZEROS[..n], at)?;
            at += n as u64;
        }
        Ok(())
    }
}

/// A file being written under a temporary name, moved under its final name durably by
/// [`TempFile::persist`]; removed if dropped before that (so a failed write leaves nothing
/// behind, or at worst, after a crash, a temporary file that is never read).
#[derive(Debug)]
pub struct TempFile {
    io: Io,
    /// `None` once persisted.
    file: Option<IoFile>,
    path: PathBuf,
    written: u64,
    synced: bool,
}

impl TempFile {
    fn create(io: &Io, tmp: &Path, mode: OpenMode) -> IoResult<TempFile> {
        let file = io.open(tmp, mode)?;
        Ok(TempFile {
            io: io.clone(),
            file: Some(file),
            path: tmp.to_path_buf(),
            written: 0,
            synced: false,
        })
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of bytes written.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> IoResult<()> {
        let file = self.file.as_ref().expect("written before it is persisted");
        file.write_all_at(bytes, self.written)?;
        self.written += bytes.len() as u64;
        self.synced = false;
        Ok(())
    }

    /// fsyncs what was written (done by [`TempFile::persist`] if not done before).
    pub fn sync(&mut self) -> IoResult<()> {
        if !self.synced {
            let file = self.file.as_ref().expect("synced before it is persisted");
            file.sync_all()?;
            self.synced = true;
        }
        Ok(())
    }

    /// Moves the file to `target` durably: fsyncs it (unless synced since the last write),
    /// closes it, renames it to `target`, and fsyncs the folder of `target`, then the
    /// temporary folder if it is another one. `target`'s folder must exist.
    pub fn persist(mut self, target: &Path) -> IoResult<()> {
        self.sync()?;
        drop(self.file.take());
        self.io.rename(&self.path, target)?;
        // Renamed: nothing is left to remove, whatever happens next.
        let tmp = std::mem::take(&mut self.path);
        let (target_dir, tmp_dir) = (parent(target), parent(&tmp));
        self.io.sync_dir(target_dir)?;
        if tmp_dir != target_dir {
            self.io.sync_dir(tmp_dir)?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            drop(self.file.take());
            // Best effort: a leftover temporary file is never read.
            let _ = self.io.remove_file(&self.path);
        }
    }
}
