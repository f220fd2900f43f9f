#[renacer::trace(fields())]
fn f() {}

fn main() {}
