//! The `nines` command: parse the command line, call the library, print errors.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = nines::cli::Cli::parse();
    match nines::cli::execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            nines::cli::exit_status(&e)
        }
    }
}
