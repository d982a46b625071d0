//! Where benchmarks build their data: `STRATA_BENCH_DIR` if set, else cargo's target tmp
//! folder (on the same disk as the build, not a tmpfs).
#![allow(dead_code)]

use std::path::PathBuf;

/// The folder benchmark data goes under.
pub fn bench_root() -> PathBuf {
    std::env::var_os("STRATA_BENCH_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")), PathBuf::from)
}

/// A new temporary folder under [`bench_root`], deleted when dropped.
pub fn tempdir() -> tempfile::TempDir {
    let root = bench_root();
    std::fs::create_dir_all(&root).expect("create bench folder");
    tempfile::tempdir_in(root).expect("create temp dir")
}
