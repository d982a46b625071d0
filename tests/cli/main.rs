//! The `strata` command line, run as real processes against real stores: outcomes, JSON
//! shapes, exit codes, refusals, verification of damaged stores, following the log, closed
//! pipes and colour. One module per command; `support` has the shared helpers and
//! `json_contract` checks every `--json` output against the shapes of docs/CLI.md.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod audit;
mod cat;
mod check_query;
mod datasets;
mod demo;
mod diff;
mod dump;
mod gc;
mod general;
mod help;
mod history;
mod init;
mod json_contract;
mod log;
mod policy;
mod query;
mod repair;
mod rollback;
mod serve;
mod show;
mod snapshot;
mod stat;
mod upload;
mod verify;
