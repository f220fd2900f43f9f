//! Field sigils, `Option` fields, `ret` and `err` compile warning-free on
//! every fn shape.
#![deny(warnings)]

#[derive(Debug)]
struct E;

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("e")
    }
}

#[renacer::trace(fields(%name, len = ?name.len(), opt), ret)]
fn sync_fn(name: &str, opt: Option<&str>) -> usize { name.len() + opt.map_or(0, str::len) }

#[renacer::trace(err, ret)]
fn fallible(ok: bool) -> Result<u8, E> { if ok { Ok(1) } else { Err(E) } }

#[renacer::trace(err, fields(?x))]
async fn async_fallible(x: u8) -> Result<u8, E> { if x > 0 { Ok(x) } else { Err(E) } }

struct S;

impl S {
    #[renacer::trace(ret)]
    fn method(&self) -> &'static str { "s" }
}

fn main() {
    let _ = sync_fn("a", Some("b"));
    let _ = fallible(true);
    drop(async_fallible(1));
    let _ = S.method();
}
