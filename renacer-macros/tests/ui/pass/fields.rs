//! `fields(...)` capture integers, floats, bools and strings by reference.
#![deny(warnings)]

#[renacer::trace(fields(n, doubled = n * 2, label = "fib", ratio = 0.5, ok = true))]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[renacer::trace(fields(path, len = path.len()))]
fn load(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[renacer::trace(fields(owned = name.clone(), count))]
async fn greet(name: String, count: i32) -> String {
    format!("{name} {count}")
}

fn main() {
    let _ = fib(5);
    let _ = load("/nonexistent");
    let _ = greet(String::from("a"), 1);
}
