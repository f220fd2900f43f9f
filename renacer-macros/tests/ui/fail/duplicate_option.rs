#[renacer::trace(name = "a", sample = 0.5, name = "b")]
fn f() {}

fn main() {}
