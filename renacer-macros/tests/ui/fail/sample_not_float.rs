#[renacer::trace(sample = 1)]
fn f() {}

fn main() {}
