//! `ruchy/fib.ruchy`, as `ruchy transpile` 4.2.1 generated it
//! (`transpiled/fib.rs`) plus the decision attributes of
//! `renacer decisions annotate` (`src/annotated/fib.rs`).

// Generated code, compiled as generated: its warnings are the transpiler's.
#[allow(warnings, clippy::all)]
mod program {
    include!("../annotated/fib.rs");

    /// The generated `main`.
    pub(super) fn run() {
        main()
    }
}

fn main() {
    #[cfg(feature = "trace")]
    let _guard = renacer::init();
    program::run();
}
