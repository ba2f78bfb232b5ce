//! `anpei`: the command-line entry point. Everything it does is in `cli`; `main` only maps
//! the outcome to an exit code.
#![forbid(unsafe_code)]

mod backup;
mod cli;
mod config;
mod import;
mod remind;
mod scan;

fn main() -> std::process::ExitCode {
    cli::main()
}
