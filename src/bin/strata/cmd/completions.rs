//! `strata completions`: a shell completion script, generated from the command line's clap
//! definitions.

use crate::args::Cli;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::stdout_error;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str =
    "  strata completions bash > ~/.local/share/bash-completion/completions/strata
  strata completions zsh > ~/.zfunc/_strata
  strata completions fish > ~/.config/fish/completions/strata.fish";

/// Options of `strata completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for the shell to standard output.
pub fn run(_ctx: &Context, args: Args) -> CliResult {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "strata", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}
