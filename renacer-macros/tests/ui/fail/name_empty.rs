#[renacer::trace(name = "")]
fn f() {}

fn main() {}
