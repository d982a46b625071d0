//! `strata keygen`: a new Ed25519 signing key for checkpoints, written owner-only outside
//! the store folder, and the verifier key (vkey) to give to auditors.

use crate::context::Context;
use crate::error::CliResult;
use crate::output::Style;
use std::path::PathBuf;
use strata::report::KeygenLine;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str =
    "  strata keygen ~/.strata/signing.key\n  strata keygen /secure/key --name lab.example/trial-7";

/// Options of `strata keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the signing key (a new file, mode 0600, outside the store folder).
    pub key_file: PathBuf,
    /// The key's name (default: the store's origin, `strata/<store uuid>`).
    #[arg(long)]
    pub name: Option<String>,
}

/// Generates the key, writes it, prints the vkey.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let name = match args.name {
        Some(name) => name,
        None => {
            let store = ctx.open_store()?;
            strata::note::origin_for_store(&store.log().store_id())
        }
    };
    let key = strata::audit::generate_key(&name).map_err(strata::Error::from)?;
    let io = strata::io::Io::os();
    strata::audit::write_signing_key(&io, &args.key_file, &key, &ctx.store_dir)?;
    let vkey = key.verifier().to_string();
    let mut out = ctx.printer();
    out.json(&KeygenLine {
        key_file: args.key_file.display().to_string(),
        vkey: vkey.clone(),
        name: name.clone(),
    })?;
    out.line(format!(
        "{}: {} (mode 0600; keep it off the machine that holds the store if you can)",
        out.paint(Style::Green, "signing key written"),
        args.key_file.display()
    ))?;
    out.line(format!(
        "verifier key (give it to auditors, pin it): {vkey}"
    ))?;
    out.line(format!(
        "next: strata checkpoint --sign {}",
        args.key_file.display()
    ))
}
