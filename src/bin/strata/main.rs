//! The `strata` command.

fn main() {
    println!("strata {}", env!("CARGO_PKG_VERSION"));
}
