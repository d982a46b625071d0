//! Signing keys on disk: generated, written owner-only (`0600`) and read back, never inside
//! a store's folder (whoever can write the store could then sign its forgeries).

use super::AuditError;
use crate::io::{Io, OpenMode};
use crate::note::SigningKey;
use std::path::{Path, PathBuf};

/// A new Ed25519 signing key named `name`, from the operating system's random source.
pub fn generate_key(name: &str) -> Result<SigningKey, AuditError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| AuditError::Invalid(format!("no random source for a key: {e}")))?;
    SigningKey::from_seed(name, seed).map_err(|e| AuditError::Invalid(e.what))
}

/// The absolute form of `path` with its existing ancestors resolved (symlinks included),
/// so that a path reaching into the store by another route is recognised.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest
                .iter()
                .rev()
                .fold(real, |p: PathBuf, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Refuses a key path inside the store's folder.
pub fn refuse_inside_store(key_path: &Path, store_dir: &Path) -> Result<(), AuditError> {
    if resolved(key_path).starts_with(resolved(store_dir)) {
        return Err(AuditError::Invalid(format!(
            "{} is inside the store folder {}: a signing key never lives in the store \
             (whoever can change the store could sign with it)",
            key_path.display(),
            store_dir.display()
        )));
    }
    Ok(())
}

/// Writes `key` to a new file at `path`, readable by its owner only, synced; refuses a path
/// inside `store_dir` or a file that exists.
pub fn write_signing_key(
    io: &Io,
    path: &Path,
    key: &SigningKey,
    store_dir: &Path,
) -> crate::Result<()> {
    refuse_inside_store(path, store_dir)?;
    let file = io.open(path, OpenMode::CreateNewPrivate)?;
    file.write_all_at(format!("{}\n", key.encode()).as_bytes(), 0)?;
    file.sync_all()?;
    Ok(())
}

/// Reads the signing key at `path`; refuses a path inside `store_dir`.
pub fn read_signing_key(io: &Io, path: &Path, store_dir: &Path) -> crate::Result<SigningKey> {
    refuse_inside_store(path, store_dir)?;
    let bytes = io.read(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        AuditError::Invalid(format!(
            "{} is not a signing key (not UTF-8)",
            path.display()
        ))
    })?;
    SigningKey::parse(text).map_err(|error| {
        AuditError::Malformed {
            file: path.display().to_string(),
            error,
        }
        .into()
    })
}
