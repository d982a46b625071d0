//! One module per subcommand, each with its `Args` and a `run(ctx, args)`.

pub mod cat;
pub mod check_query;
pub mod datasets;
pub mod demo;
pub mod diff;
pub mod dump;
#[cfg(feature = "sql")]
pub mod export;
pub mod history;
pub mod init;
pub mod log;
#[cfg(feature = "sql")]
pub mod materialize;
#[cfg(feature = "sql")]
pub mod query;
pub mod repair;
pub mod rollback;
pub mod show;
pub mod snapshot;
pub mod stat;
pub mod upload;
pub mod verify;
