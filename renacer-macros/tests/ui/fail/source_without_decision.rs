#[renacer::trace(source = "fib.ruchy:3")]
fn f() {}

fn main() {}
