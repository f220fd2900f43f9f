#[renacer::trace(decision = "optimization::inline", source = "fib.ruchy:zero")]
fn f() {}

#[renacer::trace(decision = "optimization::inline", source = "fib.ruchy")]
fn g() {}

fn main() {}
