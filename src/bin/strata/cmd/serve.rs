//! `strata serve`: the HTTP API and the browser UI over the store (`strata::server`).

use crate::context::Context;
use crate::error::{CliError, CliResult};
use std::net::SocketAddr;
use std::path::PathBuf;
use strata::server::{Server, ServerConfig, DEFAULT_PORT};

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata serve\n  strata serve --bind 127.0.0.1:9000\n  strata serve --bind 0.0.0.0:8640 --users users.toml";

/// Options of `strata serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on. Any address but the loopback needs --users.
    #[arg(long, value_name = "ADDR", default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    pub bind: SocketAddr,

    /// The users file (made with `strata user add`); without one the server runs in local
    /// mode: loopback only, every request acting as the OS account running it.
    #[arg(long, value_name = "FILE", env = "STRATA_USERS")]
    pub users: Option<PathBuf>,

    /// The largest upload accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_upload_bytes: u64,

    /// Requests per minute accepted from one client address (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 6000)]
    pub requests_per_minute: u32,

    /// Where uploads are spooled while they arrive (default: a private folder in the
    /// system's temporary folder).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
}

/// Serves until interrupted (Ctrl-C or SIGTERM).
pub fn run(ctx: &Context, args: Args) -> CliResult {
    ctx.require_store()?;
    let config = ServerConfig {
        bind: args.bind,
        users_file: args.users,
        max_upload_bytes: args.max_upload_bytes,
        requests_per_minute: args.requests_per_minute,
        spool_dir: args.spool_dir,
        ..ServerConfig::new(&ctx.store_dir)
    };
    let server = Server::bind(config).map_err(|e| CliError::error(e.to_string()))?;
    let mode = if server.is_local_mode() {
        format!(
            "local mode: every request acts as `{}`",
            strata::server::os_account()
        )
    } else {
        "users from the users file".to_string()
    };
    eprintln!(
        "strata serve: http://{} ({mode}); store {}; Ctrl-C stops it",
        server.local_addr(),
        server.store_dir().display()
    );
    server.run().map_err(|e| CliError::error(e.to_string()))
}
