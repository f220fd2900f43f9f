#[renacer::trace(crate = "renacer")]
fn f() {}

fn main() {
    f();
}
