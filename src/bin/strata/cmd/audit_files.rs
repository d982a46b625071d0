//! What the tamper-evidence commands share: reading checkpoint files, pinned keys and
//! signing keys given on the command line.

use crate::error::{CliError, CliResult};
use std::path::Path;
use strata::io::Io;
use strata::note::{Checkpoint, VerifierKey};

/// Reads a checkpoint file (signed or not).
pub fn read_checkpoint(path: &Path) -> CliResult<Checkpoint> {
    let bytes = read(path)?;
    Checkpoint::parse(&bytes)
        .map_err(|e| CliError::error(format!("{}: not a checkpoint: {e}", path.display())))
}

/// Reads a file the user named.
pub fn read(path: &Path) -> CliResult<Vec<u8>> {
    Io::os()
        .read(path)
        .map_err(|e| CliError::io(format!("cannot read {}: {e}", path.display())))
}

/// What an offline check pins, shared by `verify-proof` and `verify-consistency`: the
/// verifier keys a checkpoint must be signed by, the log's origin, and the explicit choice to
/// accept an unsigned checkpoint instead.
#[derive(Debug, clap::Args)]
pub struct Pins {
    /// A pinned verifier key (the string, or a file holding it); repeatable.
    #[arg(long = "vkey", value_name = "VKEY")]
    pub vkeys: Vec<String>,
    /// The pinned origin (`strata/<store uuid>`): a proof of another log is refused.
    #[arg(long)]
    pub origin: String,
    /// Accept an unsigned checkpoint (only with no --vkey; its worth is where it was kept).
    #[arg(long, conflicts_with = "vkeys")]
    pub allow_unsigned: bool,
}

impl Pins {
    /// The keys to check signatures against. Refuses a check that pins nothing: no key and no
    /// `--allow-unsigned` would accept any checkpoint without saying so.
    pub fn trusted_keys(&self) -> CliResult<Vec<VerifierKey>> {
        let trusted = verifier_keys(&self.vkeys)?;
        if trusted.is_empty() && !self.allow_unsigned {
            return Err(CliError::error(
                "give the verifier key to pin with --vkey (or --allow-unsigned for an unsigned checkpoint)",
            ));
        }
        Ok(trusted)
    }
}

/// The pinned verifier keys: each `--vkey` is a vkey string or a file holding one.
pub fn verifier_keys(args: &[String]) -> CliResult<Vec<VerifierKey>> {
    args.iter()
        .map(|arg| {
            let text = if arg.contains('+') {
                arg.clone()
            } else {
                String::from_utf8_lossy(&read(Path::new(arg))?).into_owned()
            };
            VerifierKey::parse(&text)
                .map_err(|e| CliError::error(format!("--vkey {arg}: not a verifier key: {e}")))
        })
        .collect()
}

/// Writes `text` to `path` (durably, replacing it), or to standard output when `path` is
/// `None`.
pub fn write_out(out: &mut crate::output::Printer, path: Option<&Path>, text: &str) -> CliResult {
    match path {
        Some(path) => {
            let tmp = path.with_extension("strata-tmp");
            Io::os()
                .create_durably(path, &tmp, text.as_bytes())
                .map_err(|e| CliError::io(format!("cannot write {}: {e}", path.display())))
        }
        None => out.raw(text),
    }
}
