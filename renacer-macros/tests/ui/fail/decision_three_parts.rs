#[renacer::trace(decision = "a::b::c")]
fn f() {}

fn main() {}
