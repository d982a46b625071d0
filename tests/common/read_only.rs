//! The real file system where nothing can be written, shared by the tests of read-only stores.

use std::io;
use std::path::Path;
use strata::io::{Backend, BackendFile, DirEntry, Metadata, OpenMode, OsBackend};

/// The real file system where nothing can be written: every open but a read-only one, and
/// every change to a directory, fails with "permission denied", as on a read-only mount or in
/// another user's store.
#[derive(Debug)]
pub struct ReadOnlyFs(pub OsBackend);

fn denied() -> io::Error {
    io::Error::from(io::ErrorKind::PermissionDenied)
}

impl Backend for ReadOnlyFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        match mode {
            OpenMode::Read => self.0.open(path, mode),
            _ => Err(denied()),
        }
    }
    fn create_dir(&self, _: &Path) -> io::Result<()> {
        Err(denied())
    }
    fn rename(&self, _: &Path, _: &Path) -> io::Result<()> {
        Err(denied())
    }
    fn remove_file(&self, _: &Path) -> io::Result<()> {
        Err(denied())
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.0.read_dir(path)
    }
    fn sync_dir(&self, _: &Path) -> io::Result<()> {
        Err(denied())
    }
    fn metadata(&self, path: &Path) -> io::Result<Option<Metadata>> {
        self.0.metadata(path)
    }
}
