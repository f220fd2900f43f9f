#[renacer::trace(sample = 0.0)]
fn f() {}

fn main() {}
