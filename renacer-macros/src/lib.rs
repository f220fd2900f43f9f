//! Proc macros of renacer. Use them through the `renacer` crate
//! (`#[renacer::trace]`); this crate's paths are not a stable API.
//!
//! Layout follows `tracing-attributes`: `attr` parses and validates the
//! attribute's options, `expand` generates code against
//! `renacer::__private`, and this file only wires the two together.

#![warn(missing_docs, unreachable_pub)]

use proc_macro::TokenStream;
use quote::ToTokens;

mod attr;
mod expand;

/// Records a span for every call of the function it is put on.
///
/// ```
/// #[renacer::trace]
/// fn load_config(path: &str) -> std::io::Result<String> {
///     std::fs::read_to_string(path)
/// }
///
/// // A hot function: sampled at 1 call in 1000 (per thread, geometric skips).
/// #[renacer::trace(sample = 0.001)]
/// fn step(x: u64) -> u64 {
///     x.wrapping_mul(31)
/// }
///
/// // A transpiler decision: its id is FNV-1a 64 over
/// // "optimization::inline_candidate::<file>::<line LE bytes>", computed at
/// // compile time; `fields` are evaluated only when the span is recorded.
/// #[renacer::trace(name = "fib", decision = "optimization::inline_candidate", fields(n))]
/// fn fib(n: u64) -> u64 {
///     if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
/// }
///
/// // async fn: the span covers the whole future, across awaits and threads.
/// #[renacer::trace]
/// async fn fetch(id: u32) -> u32 {
///     id + 1
/// }
/// # let _ = (load_config("/nonexistent"), step(1), fib(10), fetch(1));
/// ```
///
/// Options (all optional, comma-separated, each at most once):
/// - `name = "..."` — span name (default: the function name);
/// - `sample = <f64 in (0, 1]>` — this site's sampling rate, overriding the
///   global one;
/// - `decision = "category::name"` — a transpiler decision id;
/// - `fields(x, y = expr)` — values captured when the span is recorded;
/// - `crate = path` — where renacer is (default `::renacer`), for code that
///   reaches it through a runtime crate re-exporting it
///   (`crate = my_runtime::renacer`).
///
/// A function whose return type is spelled `...Result<..>` marks its span
/// as an error when it returns `Err`. `const fn` and items other than
/// functions are rejected at compile time.
#[proc_macro_attribute]
pub fn trace(attr: TokenStream, item: TokenStream) -> TokenStream {
    match trace_impl(attr, item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(err) => {
            // Emit the item untouched next to the error, so one mistake in
            // the attribute does not cascade into errors at every caller.
            let mut out: proc_macro2::TokenStream = item.into();
            out.extend(err.to_compile_error());
            out.into()
        }
    }
}

fn trace_impl(attr: TokenStream, item: TokenStream) -> syn::Result<proc_macro2::TokenStream> {
    let args: attr::TraceArgs = syn::parse(attr)?;
    let item: syn::Item = syn::parse(item)?;
    match item {
        syn::Item::Fn(func) => expand::expand(&args, func),
        syn::Item::Verbatim(tokens) => Err(syn::Error::new_spanned(
            tokens,
            "#[renacer::trace] needs a function with a body; on a trait, put it on the implementations",
        )),
        other => Err(syn::Error::new_spanned(
            item_head(&other),
            "#[renacer::trace] can only be applied to functions and methods",
        )),
    }
}

/// The tokens that name an item (`struct Foo`), so an error underlines
/// them rather than the whole item.
fn item_head(item: &syn::Item) -> proc_macro2::TokenStream {
    use syn::Item;
    let mut out = proc_macro2::TokenStream::new();
    match item {
        Item::Struct(s) => {
            s.struct_token.to_tokens(&mut out);
            s.ident.to_tokens(&mut out);
        }
        Item::Enum(e) => {
            e.enum_token.to_tokens(&mut out);
            e.ident.to_tokens(&mut out);
        }
        Item::Impl(i) => {
            i.impl_token.to_tokens(&mut out);
            i.self_ty.to_tokens(&mut out);
        }
        Item::Mod(m) => {
            m.mod_token.to_tokens(&mut out);
            m.ident.to_tokens(&mut out);
        }
        Item::Trait(t) => {
            t.trait_token.to_tokens(&mut out);
            t.ident.to_tokens(&mut out);
        }
        Item::Static(s) => {
            s.static_token.to_tokens(&mut out);
            s.ident.to_tokens(&mut out);
        }
        Item::Const(c) => {
            c.const_token.to_tokens(&mut out);
            c.ident.to_tokens(&mut out);
        }
        other => other.to_tokens(&mut out),
    }
    out
}
