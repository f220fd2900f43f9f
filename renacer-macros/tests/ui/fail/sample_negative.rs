#[renacer::trace(sample = -0.5)]
fn f() {}

fn main() {}
