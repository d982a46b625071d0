//! The `strata` command: a thin shell over the library. Parses the command line, dispatches
//! to `cmd/<name>.rs`, prints errors as one `error: ...` line and maps them to exit codes
//! (0 success, 1 refused or problems found, 2 usage, input, IO or internal error).

// Store files are read and written through the library's IO seam (`strata::io`); only the
// user's own input files are read directly, each such place with an `allow` saying so.
#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

mod args;
mod cmd;
mod context;
mod display;
mod error;
mod output;

use args::{Cli, Command};
use clap::Parser;
use context::Context;
use error::{CliError, CliResult};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    std::panic::set_hook(Box::new(|info| {
        output::print_error(&format!(
            "internal error: {}; please report this as a bug",
            error::one_line(&info.to_string())
        ));
    }));
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => report(e),
        Err(_) => ExitCode::from(2),
    }
}

/// Runs the chosen command.
fn run(cli: Cli) -> CliResult {
    let ctx = Context {
        store_dir: cli.store,
        json: cli.json,
    };
    match cli.command {
        Command::Init(args) => cmd::init::run(&ctx, args),
        Command::Upload(args) => cmd::upload::run(&ctx, args),
        Command::Datasets(args) => cmd::datasets::run(&ctx, args),
        Command::History(args) => cmd::history::run(&ctx, args),
        Command::Show(args) => cmd::show::run(&ctx, args),
        Command::Diff(args) => cmd::diff::run(&ctx, args),
        Command::Rollback(args) => cmd::rollback::run(&ctx, args),
        Command::Cat(args) => cmd::cat::run(&ctx, args),
        Command::Log(args) => cmd::log::run(&ctx, args),
        Command::Verify(args) => cmd::verify::run(&ctx, args),
        Command::Dump(args) => cmd::dump::run(&ctx, args),
        Command::Stat(args) => cmd::stat::run(&ctx, args),
        Command::Repair(args) => cmd::repair::run(&ctx, args),
        Command::Demo(args) => cmd::demo::run(&ctx, args),
        Command::CheckQuery(args) => cmd::check_query::run(&ctx, args),
        Command::Snapshot(args) => cmd::snapshot::run(&ctx, args),
        #[cfg(feature = "sql")]
        Command::Query(args) => cmd::query::run(&ctx, args),
        #[cfg(feature = "sql")]
        Command::Materialize(args) => cmd::materialize::run(&ctx, args),
        #[cfg(feature = "sql")]
        Command::Export(args) => cmd::export::run(&ctx, args),
    }
}

/// Prints the error (if it has not been reported already) and returns its exit code.
fn report(error: CliError) -> ExitCode {
    if let CliError::Failed { message, .. } = &error {
        output::print_error(message);
    }
    error.exit_code()
}
