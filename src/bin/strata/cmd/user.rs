//! `strata user`: the users file of `strata serve` (names, roles, salted password hashes,
//! API tokens).

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::Style;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use strata::server::users::{Role, UsersFile};

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata user add alice --role writer --users users.toml\n  strata user token alice --users users.toml\n  strata user list --users users.toml";

/// Options of `strata user`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The users file (created with mode 0600 if missing).
    #[arg(long, value_name = "FILE", env = "STRATA_USERS", global = true)]
    pub users: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// The `strata user` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Add a user; the password is asked for on a terminal, else read as one line of
    /// standard input.
    Add {
        /// The name (recorded as the actor of everything the user does).
        name: String,
        /// reader (read and export everything, verify), writer (also upload and roll
        /// back) or admin (also take snapshots).
        #[arg(long, value_name = "ROLE")]
        role: Role,
    },
    /// Set a new password for a user (asked for as with `add`).
    Passwd {
        /// The user's name.
        name: String,
    },
    /// Remove a user and their API tokens.
    Remove {
        /// The user's name.
        name: String,
    },
    /// List the users and their roles.
    List,
    /// Make an API token for a user (printed once: only its hash is kept).
    Token {
        /// The user's name.
        name: String,
    },
}

fn users_path(args: &Args) -> CliResult<&Path> {
    args.users.as_deref().ok_or_else(|| {
        CliError::error("name the users file with --users FILE (or set STRATA_USERS)")
    })
}

fn fail(e: strata::server::users::UsersError) -> CliError {
    match e {
        strata::server::users::UsersError::Refused(m) => CliError::refused(m),
        other => CliError::error(other.to_string()),
    }
}

/// Runs the subcommand.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let path = users_path(&args)?;
    let mut users = UsersFile::load_or_new(path).map_err(fail)?;
    let mut out = ctx.printer();
    match &args.action {
        Action::Add { name, role } => {
            let password = read_password(&format!("password for `{name}`"))?;
            users.add(name, *role, &password).map_err(fail)?;
            users.save(path).map_err(fail)?;
            out.json(&serde_json::json!({"user": name, "role": role, "status": "added"}))?;
            out.line(format!(
                "{}: `{name}` ({}) in {}",
                out.paint(Style::Green, "user added"),
                role.name(),
                path.display()
            ))
        }
        Action::Passwd { name } => {
            let password = read_password(&format!("new password for `{name}`"))?;
            users.set_password(name, &password).map_err(fail)?;
            users.save(path).map_err(fail)?;
            out.json(&serde_json::json!({"user": name, "status": "password_set"}))?;
            out.line(format!("password set for `{name}`"))
        }
        Action::Remove { name } => {
            users.remove(name).map_err(fail)?;
            users.save(path).map_err(fail)?;
            out.json(&serde_json::json!({"user": name, "status": "removed"}))?;
            out.line(format!("user removed: `{name}` (and their tokens)"))
        }
        Action::List => {
            for user in &users.users {
                out.json(&serde_json::json!({
                    "user": user.name,
                    "role": user.role,
                    "tokens": user.tokens.iter().map(|t| &t.id).collect::<Vec<_>>(),
                }))?;
                out.line(format!(
                    "{}  {}  {} token(s)",
                    user.name,
                    user.role.name(),
                    user.tokens.len()
                ))?;
            }
            Ok(())
        }
        Action::Token { name } => {
            let token = users.new_token(name).map_err(fail)?;
            users.save(path).map_err(fail)?;
            out.json(&serde_json::json!({"user": name, "token": token}))?;
            out.line(&token)?;
            if !out.is_json() {
                eprintln!(
                    "the token is shown once (only its hash is kept); send it as \
                     `Authorization: Bearer TOKEN`"
                );
            }
            Ok(())
        }
    }
}

/// A password: from the terminal without echo (asked twice), else one line of standard input.
fn read_password(prompt: &str) -> CliResult<String> {
    let read_error = |e: std::io::Error| CliError::error(format!("cannot read the password: {e}"));
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("{prompt}: ")).map_err(read_error)?;
        let again = rpassword::prompt_password("again: ").map_err(read_error)?;
        if first != again {
            return Err(CliError::error("the passwords differ; nothing was changed"));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(read_error)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
