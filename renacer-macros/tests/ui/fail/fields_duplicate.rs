#[renacer::trace(fields(x, x = 1))]
fn f(x: u32) -> u32 {
    x
}

fn main() {}
