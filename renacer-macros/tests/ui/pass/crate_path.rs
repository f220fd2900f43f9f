//! `crate = path`: a transpiler runtime that re-exports renacer lets its
//! generated code name renacer through the runtime (the paired fail test
//! `crate_path_unresolved` shows the path is the one the expansion uses).
#![deny(warnings)]

mod my_runtime {
    pub use renacer;
}

#[renacer::trace(crate = my_runtime::renacer)]
fn through_the_runtime(x: u64) -> u64 {
    x + 1
}

#[renacer::trace(crate = crate::my_runtime::renacer, name = "renamed", fields(x))]
async fn async_through_the_runtime(x: u64) -> Result<u64, ()> {
    Ok(x)
}

fn main() {
    assert_eq!(through_the_runtime(1), 2);
    let _ = async_through_the_runtime(1);
}
