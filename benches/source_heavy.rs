//! A syscall-heavy program for benches/source_cost.sh: 60,000 syscalls from
//! six call sites (stat, open, write, through helpers and inlined std
//! code), like a real program's mix of hot and cold sites.

use std::fs;
use std::io::Write;

#[inline(never)]
fn probe(p: &str) -> bool {
    fs::metadata(p).is_ok()
}

fn main() {
    let mut null = fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    let mut found = 0;
    for i in 0..10_000 {
        found += probe("/nonexistent/a") as u32;
        found += fs::metadata("/").is_ok() as u32;
        found += fs::File::open("/nonexistent/b").is_ok() as u32;
        null.write_all(b"x").unwrap();
        if i % 2 == 0 {
            null.write_all(b"yy").unwrap();
        } else {
            found += fs::read_link("/nonexistent/c").is_ok() as u32;
        }
        found += std::path::Path::new("/nonexistent/d").exists() as u32;
    }
    assert_eq!(found, 10_000);
}
