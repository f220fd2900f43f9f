#[renacer::trace]
struct Config {
    path: String,
}

fn main() {}
