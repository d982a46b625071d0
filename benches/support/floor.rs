//! The floor of a durable write: bytes written in place into a file of zeros that were
//! written and synced beforehand, then `fdatasync`, which is what the log does for an append
//! (no change of file size, so the sync has no metadata to commit).
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::Path;

/// A file of synced zeros, overwritten from its start (wrapping around at its end).
pub struct PreallocatedFile {
    file: File,
    len: u64,
    at: u64,
}

impl PreallocatedFile {
    /// Creates `path` with `len` bytes of zeros, written and synced.
    pub fn create(path: &Path, len: u64) -> PreallocatedFile {
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)
            .expect("create preallocated file");
        let zeros = vec![0u8; 1 << 20];
        for at in (0..len).step_by(zeros.len()) {
            let n = zeros.len().min((len - at) as usize);
            file.write_all_at(&zeros[..n], at).expect("preallocate");
        }
        file.sync_all().expect("fsync");
        PreallocatedFile { file, len, at: 0 }
    }

    /// Writes `bytes` after the previous write (from the start again at the end of the
    /// file), then `fdatasync`s.
    pub fn write_durably(&mut self, bytes: &[u8]) {
        if self.at + bytes.len() as u64 > self.len {
            self.at = 0;
        }
        self.file.write_all_at(bytes, self.at).expect("write");
        self.file.sync_data().expect("fdatasync");
        self.at += bytes.len() as u64;
    }
}
