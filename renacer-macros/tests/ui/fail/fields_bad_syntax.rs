#[renacer::trace(fields(x y))]
fn f(x: u32, y: u32) -> u32 {
    x + y
}

fn main() {}
