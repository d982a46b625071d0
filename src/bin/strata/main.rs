//! The `strata` command: a thin shell over the library. Parses the command line, dispatches
//! to `cmd/<name>.rs`, prints errors as one `error: ...` line (one JSON object on standard
//! error under `--json`) and maps them to exit codes
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
use strata::report::ErrorLine;

fn main() -> ExitCode {
    ignore_file_size_signal();
    // Known before parsing, so that a usage error can be reported as JSON too.
    let json_asked = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, json_asked),
    };
    let json = cli.json;
    std::panic::set_hook(Box::new(move |info| {
        let message = format!(
            "internal error: {}; please report this as a bug",
            error::one_line(&info.to_string())
        );
        if json {
            output::print_error_json(&ErrorLine::internal(message));
        } else {
            output::print_error(&message);
        }
    }));
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => report(e, json),
        Err(_) => ExitCode::from(2),
    }
}

/// Under a file-size limit (`ulimit -f`), a write past it raises SIGXFSZ, whose default
/// action kills the process without a word. Ignored, the write fails with EFBIG instead, and
/// is reported like any other IO error (which file, which operation), with nothing lost.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler, and runs before
    // any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Prints a command-line parsing failure (or the help or version asked for) and returns its
/// exit code; under `--json`, a failure is one JSON object (kind `invalid`).
fn usage_error(e: &clap::Error, json: bool) -> ExitCode {
    use clap::error::ErrorKind as Clap;
    let is_output = matches!(
        e.kind(),
        Clap::DisplayHelp | Clap::DisplayVersion | Clap::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if json && !is_output {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        let message = first.strip_prefix("error: ").unwrap_or(first);
        output::print_error_json(&ErrorLine::new(strata::ErrorKind::Invalid, message));
    } else {
        let _ = e.print();
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Runs the chosen command.
fn run(cli: Cli) -> CliResult {
    let ctx = Context::new(cli.store, cli.lock_timeout, cli.json)?;
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
        Command::Policy(args) => cmd::policy::run(&ctx, args),
        #[cfg(feature = "sql")]
        Command::Query(args) => cmd::query::run(&ctx, args),
        #[cfg(feature = "sql")]
        Command::Materialize(args) => cmd::materialize::run(&ctx, args),
        #[cfg(feature = "sql")]
        Command::Export(args) => cmd::export::run(&ctx, args),
        #[cfg(feature = "server")]
        Command::Serve(args) => cmd::serve::run(&ctx, args),
        #[cfg(feature = "server")]
        Command::User(args) => cmd::user::run(&ctx, args),
        Command::Keygen(args) => cmd::keygen::run(&ctx, args),
        Command::Checkpoint(args) => cmd::checkpoint::run(&ctx, args),
        Command::Prove(args) => cmd::prove::run(&ctx, args),
        Command::VerifyProof(args) => cmd::verify_proof::run(&ctx, args),
        Command::Consistency(args) => cmd::consistency::run(&ctx, args),
        Command::VerifyConsistency(args) => cmd::verify_consistency::run(&ctx, args),
        Command::AuditExport(args) => cmd::audit_export::run(&ctx, args),
        Command::Gc(args) => cmd::gc::run(&ctx, args),
        Command::Find(args) => cmd::find::run(&ctx, args),
        Command::Completions(args) => cmd::completions::run(&ctx, args),
        Command::Man(args) => cmd::man::run(&ctx, args),
    }
}

/// Prints the error (if it has not been reported already) and returns its exit code: one
/// `error: ...` line, or one JSON object under `--json`.
fn report(error: CliError, json: bool) -> ExitCode {
    if let CliError::Failed { kind, message } = &error {
        if json {
            output::print_error_json(&ErrorLine::new(*kind, message.as_str()));
        } else {
            output::print_error(message);
        }
    }
    error.exit_code()
}
