//! The attribute never changes whether or how a function compiles: one-line
//! bodies raise no `unused_braces`, a `Result` borrowing from a parameter
//! compiles, and `#[track_caller]` still reports the caller.
#![deny(warnings)]

// The README's examples, as written there.
#[renacer::trace]
fn load_config(path: &str) -> std::io::Result<String> { std::fs::read_to_string(path) }

#[renacer::trace(name = "hot_loop", sample = 0.001)]
fn step(i: u64) -> u64 { i * 3 + 1 }

#[renacer::trace(decision = "optimization::inline_candidate")]
fn fib(n: u32) -> u64 { if n < 2 { n as u64 } else { fib(n - 1) + fib(n - 2) } }

struct Store {
    values: Vec<u32>,
}

#[renacer::trace]
fn slot(store: &mut Store, i: usize) -> Result<&mut u32, String> {
    store.values.get_mut(i).ok_or_else(|| format!("no slot {i}"))
}

impl Store {
    #[renacer::trace]
    fn first(&mut self) -> Result<&mut u32, ()> {
        if self.values.is_empty() {
            return Err(());
        }
        Ok(&mut self.values[0])
    }
}

#[track_caller]
#[renacer::trace]
fn caller_line() -> Result<u32, ()> { Ok(std::panic::Location::caller().line()) }

#[track_caller]
#[renacer::trace]
fn caller_line_plain() -> u32 { std::panic::Location::caller().line() }

fn main() {
    let _guard = renacer::init();
    let _ = load_config("Cargo.toml");
    assert_eq!(step(1), 4);
    assert_eq!(fib(10), 55);
    let mut store = Store { values: vec![1, 2] };
    *slot(&mut store, 1).unwrap() += 1;
    *store.first().unwrap() += 1;
    assert_eq!(store.values, [2, 3]);
    assert!(slot(&mut store, 9).is_err());
    let here = line!();
    assert_eq!(caller_line(), Ok(here + 1));
    assert_eq!(caller_line_plain(), here + 2);
}
