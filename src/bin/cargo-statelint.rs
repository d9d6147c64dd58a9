//! `cargo statelint ...`: cargo runs `cargo-statelint statelint ...`, as it does for
//! cargo-deny and clippy; the `statelint` argument is dropped and the rest is the same CLI.

use std::process::ExitCode;

fn main() -> ExitCode {
    statelint::fault::install_panic_hook();
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "statelint") {
        args.remove(1);
    }
    if let Some(first) = args.first_mut() {
        *first = "cargo statelint".into();
    }
    // As `cargo clippy` alone checks: `cargo statelint` and `cargo statelint -p api` mean
    // `cargo statelint check ..`.
    if statelint::commands::implies_check(&args[1..]) {
        args.insert(1, "check".into());
    }
    ExitCode::from(statelint::commands::main(args))
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
