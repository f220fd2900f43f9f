//! Compile-time behaviour of `#[renacer::trace]`: every supported function
//! shape compiles (`ui/pass`), every misuse fails with a clear message
//! pointing at the offending token (`ui/fail/*.stderr`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
