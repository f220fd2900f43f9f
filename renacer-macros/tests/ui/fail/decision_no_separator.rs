#[renacer::trace(decision = "inline_candidate")]
fn f() {}

fn main() {}
