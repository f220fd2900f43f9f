//! The command-line entry point: parse `argv`, run the tracer, map the
//! outcome to an exit status. Shared by the real binary (`src/main.rs`) and
//! the e2e crate's `--features otlp` build of it, so both behave alike.

use crate::{args, tracer};
use std::ffi::OsString;
use std::process::ExitCode;

/// Runs `renacer` with `argv` (program name excluded): usage errors exit 2,
/// tracer errors their own code, otherwise the traced command's status.
pub fn main(mut argv: Vec<OsString>) -> ExitCode {
    if argv.first().is_some_and(|a| a == "decisions") {
        argv.remove(0);
        return ExitCode::from(crate::decisions::main(argv));
    }
    let opts = match args::parse(argv) {
        Ok(args::Parsed::Run(o)) => o,
        Ok(args::Parsed::Help) => {
            crate::report::stdout(format_args!("{}", args::USAGE));
            return ExitCode::SUCCESS;
        }
        Ok(args::Parsed::Version) => {
            crate::report::stdout(format_args!("renacer {}\n", env!("CARGO_PKG_VERSION")));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            crate::report::say!("renacer: {e}");
            return ExitCode::from(2);
        }
    };
    match tracer::run(&opts) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            crate::report::say!("renacer: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
