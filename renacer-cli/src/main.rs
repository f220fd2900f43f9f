//! `renacer`: a ptrace system-call tracer, strace-compatible on the command
//! line and in its output. This file only wires parsing to the tracer.

use renacer_cli::{args, tracer};

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().skip(1).collect();
    let opts = match args::parse(argv) {
        Ok(args::Parsed::Run(o)) => o,
        Ok(args::Parsed::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(args::Parsed::Version) => {
            println!("renacer {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("renacer: {e}");
            return ExitCode::from(2);
        }
    };
    match tracer::run(&opts) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("renacer: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
