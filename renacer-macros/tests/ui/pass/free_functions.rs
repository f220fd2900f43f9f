//! Free functions of every supported shape compile under #[renacer::trace].
#![deny(warnings)]

use std::fmt::Display;

#[renacer::trace]
fn unit() {}

#[renacer::trace(name = "renamed")]
fn value(x: u32) -> u32 {
    x + 1
}

#[renacer::trace]
fn early_return(x: u32) -> u32 {
    if x > 10 {
        return 10;
    }
    x
}

#[renacer::trace]
fn generic<T: Clone + Default, const N: usize>(items: [T; N]) -> T
where
    T: std::fmt::Debug,
{
    items.first().cloned().unwrap_or_default()
}

#[renacer::trace]
fn impl_trait_arg(x: impl Display) -> String {
    x.to_string()
}

#[renacer::trace]
fn impl_trait_return(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[renacer::trace]
fn borrowed<'a>(a: &'a str, _b: &str) -> &'a str {
    a
}

#[renacer::trace]
fn elided(a: &str) -> &str {
    a.trim()
}

/// # Safety
/// `p` must be valid for reads.
#[renacer::trace]
unsafe fn unsafe_read(p: *const u32) -> u32 {
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[renacer::trace]
extern "C" fn c_abi(x: i32) -> i32 {
    x * 2
}

#[renacer::trace(sample = 0.001)]
fn sampled(x: u64) -> u64 {
    x.wrapping_mul(31)
}

#[renacer::trace(sample = 1.0, decision = "optimization::inline_candidate")]
fn decided(x: u64) -> u64 {
    x
}

#[renacer::trace(name = "r#type")]
fn r#type() {}

#[renacer::trace]
#[inline]
fn with_other_attrs() -> u8 {
    7
}

#[cfg_attr(all(), renacer::trace(decision = "codegen::clone_elided"))]
fn via_cfg_attr() {}

#[renacer::trace]
fn recursive(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        recursive(n - 1) + recursive(n - 2)
    }
}

#[renacer::trace]
fn nested_items() -> u32 {
    const K: u32 = 3;
    fn helper() -> u32 {
        K
    }
    helper()
}

#[renacer::trace]
fn inner_attributes() -> u32 {
    #![allow(unused_variables)]
    let unused = 1;
    2
}

#[renacer::trace]
fn mutates(v: &mut Vec<u32>) {
    v.push(1);
}

#[renacer::trace]
fn diverges() -> ! {
    std::process::exit(0)
}

fn main() {
    unit();
    let _ = value(1) + early_return(20);
    let _ = generic([1u8, 2, 3]);
    let _ = impl_trait_arg(5).len();
    let _ = impl_trait_return(3).sum::<u32>();
    let _ = borrowed("a", "b").len() + elided(" b ").len();
    let x = 5u32;
    // SAFETY: `&x` is a valid pointer.
    let _ = unsafe { unsafe_read(&x) };
    let _ = c_abi(2);
    let _ = sampled(3) + decided(4);
    r#type();
    let _ = with_other_attrs();
    via_cfg_attr();
    let _ = recursive(10) + u64::from(nested_items() + inner_attributes());
    let mut v = Vec::new();
    mutates(&mut v);
    if v.is_empty() {
        diverges();
    }
}
