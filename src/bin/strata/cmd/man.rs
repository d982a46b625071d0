//! `strata man`: the man page (roff), generated from the command line's clap definitions.

use crate::args::Cli;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::stdout_error;
use clap::CommandFactory;
use std::io::Write;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata man > strata.1 && man ./strata.1
  strata man | gzip > /usr/local/share/man/man1/strata.1.gz
  strata man upload | man -l -";

/// Options of `strata man`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The page of this subcommand (`strata-upload(1)`, ...) instead of the main page.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// Writes the man page to standard output.
pub fn run(_ctx: &Context, args: Args) -> CliResult {
    let cli = Cli::command();
    let page = match &args.command {
        None => cli,
        Some(name) => {
            let sub = cli
                .find_subcommand(name)
                .ok_or_else(|| {
                    CliError::error(format!("no command `{name}`: `strata --help` lists them"))
                })?
                .clone();
            // Not `.version(..)`: commands with a `version` argument (rollback, diff) would
            // clash with the `--version` flag it adds.
            sub.name(format!("strata-{name}"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| CliError::io(format!("cannot render the man page: {e}")))?;
    let mut out = std::io::stdout().lock();
    out.write_all(&roff).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}
