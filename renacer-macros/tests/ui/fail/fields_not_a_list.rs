#[renacer::trace(fields = x)]
fn f(x: u32) -> u32 {
    x
}

fn main() {}
