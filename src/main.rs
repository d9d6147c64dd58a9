use std::process::ExitCode;

fn main() -> ExitCode {
    statelint::fault::install_panic_hook();
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `cargo statelint check` runs `cargo-statelint statelint check`.
    if args.get(1).is_some_and(|a| a == "statelint") {
        args.remove(1);
    }
    ExitCode::from(statelint::commands::main(args))
}

// Parsing allocates millions of small nodes and strings; mimalloc is markedly faster at that
// than the system allocator (and the benchmark's parse-only baseline uses it too).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
