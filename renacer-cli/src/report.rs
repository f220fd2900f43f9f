//! renacer's own messages. Never a panic: `eprintln!`/`println!` panic when
//! their stream is closed (`renacer ... 2>&1 | head -1`), and a closed
//! stream must be a quiet condition that neither kills nor alters the
//! traced program.

use std::fmt;
use std::io::{self, Write};

/// One line on stderr; dropped if stderr is closed or full.
pub(crate) fn line(args: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

/// Text on stdout (`--help`, `--version`); dropped if stdout is closed.
pub(crate) fn stdout(text: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let _ = out.write_fmt(text).and_then(|()| out.flush());
}

/// `say!("...")`: [`line`] with `format!` syntax.
macro_rules! say {
    ($($t:tt)*) => {
        $crate::report::line(format_args!($($t)*))
    };
}
pub(crate) use say;
