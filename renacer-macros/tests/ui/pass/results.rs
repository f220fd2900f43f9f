//! Result-returning functions keep `return` and `?` working.
#![deny(warnings)]

use std::io;

#[derive(Debug)]
struct MyError;

impl From<io::Error> for MyError {
    fn from(_: io::Error) -> Self {
        MyError
    }
}

#[renacer::trace]
fn io_result(path: &str) -> io::Result<String> {
    std::fs::read_to_string(path)
}

#[renacer::trace]
fn question_mark(path: &str) -> Result<usize, MyError> {
    let s = std::fs::read_to_string(path)?;
    if s.is_empty() {
        return Err(MyError);
    }
    Ok(s.len())
}

#[renacer::trace]
fn into_error(x: u32) -> Result<u32, Box<dyn std::error::Error>> {
    if x == 0 {
        return Err("zero".into());
    }
    let parsed: u32 = "12".parse()?;
    Ok(parsed + x)
}

#[renacer::trace]
fn borrowed_result(s: &str) -> Result<&str, MyError> {
    s.strip_prefix('x').ok_or(MyError)
}

#[renacer::trace]
fn impl_trait_in_result(n: u32) -> Result<impl Iterator<Item = u32>, MyError> {
    Ok(0..n)
}

type Alias<T> = Result<T, MyError>;

#[renacer::trace]
fn std_path() -> std::result::Result<(), MyError> {
    Ok(())
}

#[renacer::trace]
fn alias_not_named_result() -> Alias<u8> {
    Ok(1)
}

/// # Safety
/// `p` must be valid for reads. The body dereferences it without an
/// `unsafe` block (allowed in edition 2021): the closure that wraps a
/// `Result` body keeps the unsafe context of the function.
#[renacer::trace]
unsafe fn unsafe_result(p: *const u32) -> Result<u32, MyError> {
    if p.is_null() {
        return Err(MyError);
    }
    Ok(*p)
}

struct Holder {
    data: Vec<u8>,
}

impl Holder {
    #[renacer::trace]
    fn first(&self) -> Result<&u8, MyError> {
        self.data.first().ok_or(MyError)
    }

    #[renacer::trace]
    fn take(self) -> Result<Vec<u8>, MyError> {
        Ok(self.data)
    }
}

fn main() {
    let _ = io_result("/nonexistent");
    let _ = question_mark("/nonexistent");
    let _ = into_error(1);
    let _ = borrowed_result("xy");
    let _ = impl_trait_in_result(3).map(|it| it.count());
    let _ = std_path();
    let _ = alias_not_named_result();
    let x = 3u32;
    // SAFETY: `&x` is valid for reads.
    let _ = unsafe { unsafe_result(&x) };
    let h = Holder { data: vec![1] };
    let _ = h.first().copied();
    let _ = h.take();
}
