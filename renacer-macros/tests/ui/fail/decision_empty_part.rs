#[renacer::trace(decision = "optimization::")]
fn f() {}

fn main() {}
