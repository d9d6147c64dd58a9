use std::process::ExitCode;

fn main() -> ExitCode {
    statelint::engine::parse::install_panic_hook();
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `cargo statelint check` runs `cargo-statelint statelint check`.
    if args.get(1).is_some_and(|a| a == "statelint") {
        args.remove(1);
    }
    ExitCode::from(statelint::commands::main(args))
}
