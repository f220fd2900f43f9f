#[renacer::trace(sample = "0.1")]
fn f() {}

fn main() {}
