#[renacer::trace(err)]
fn not_fallible() -> u32 {
    1
}

fn main() {
    not_fallible();
}
