#[renacer::trace(level = "debug")]
fn f() {}

fn main() {}
