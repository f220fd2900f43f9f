// `dead_code` still fires on an unused traced fn (the attribute must not
// hide it).
#![deny(dead_code)]

#[renacer::trace]
fn never_called() -> u32 { 3 }

fn main() {}
