//! Proc macros of renacer. Use them through the `renacer` crate.
