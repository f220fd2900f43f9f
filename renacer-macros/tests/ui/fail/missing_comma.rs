#[renacer::trace(name = "a" sample = 0.5)]
fn f() {}

fn main() {}
