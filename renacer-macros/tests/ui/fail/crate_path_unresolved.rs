// The expansion names `<crate path>::__private`, nothing under `::renacer`.
#[renacer::trace(crate = no_such_runtime)]
fn f() {}

fn main() {
    f();
}
