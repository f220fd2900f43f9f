#[renacer::trace(sample = 0.5f32)]
fn f() {}

fn main() {}
