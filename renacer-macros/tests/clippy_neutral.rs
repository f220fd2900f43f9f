//! Expansions are warning-neutral under clippy too: this file is compiled
//! by `cargo clippy --all-targets -- -D warnings` in CI, on the shapes that
//! used to warn (one-line bodies raised `unused_braces`; kept on one line,
//! hence the `rustfmt::skip`).
#![deny(warnings, clippy::all)]

#[rustfmt::skip]
mod shapes {
    #[renacer::trace]
    pub fn one_line(i: u64) -> u64 { i * 3 + 1 }

    #[renacer::trace(sample = 0.5)]
    pub fn sampled(i: u64) -> u64 { i + 1 }

    #[renacer::trace]
    pub fn fallible(fail: bool) -> Result<u32, String> { if fail { Err("no".into()) } else { Ok(1) } }

    #[renacer::trace]
    pub fn borrowed(v: &mut [u32]) -> Result<&mut u32, ()> { v.first_mut().ok_or(()) }

    #[renacer::trace]
    pub async fn later(x: u32) -> Result<u32, ()> { Ok(x) }
}

#[test]
fn shapes_that_used_to_warn_compile_and_run() {
    use shapes::*;
    assert_eq!(one_line(1), 4);
    assert_eq!(sampled(1), 2);
    assert!(fallible(true).is_err() && fallible(false).is_ok());
    let mut v = vec![1];
    *borrowed(&mut v).unwrap() += 1;
    assert_eq!(v, [2]);
    drop(later(1));
}
