#[renacer::trace(name = load_config)]
fn f() {}

fn main() {}
