//! Code generation for `#[trace]`: turns a parsed function and its
//! [`TraceArgs`] into the instrumented function.
//!
//! The expansion only names items of `::renacer::__private`, or
//! `<path>::__private` with `crate = path` (the
//! macro ↔ runtime contract documented there). The synchronous expansion is
//! deliberately flat — a `static`, one call, the original body — so the
//! unsampled path inlines to a decrement and a branch.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType, Type};

use crate::attr::{FieldFormat, TraceArgs};

/// Instruments `func` according to `args`.
pub(crate) fn expand(args: &TraceArgs, func: ItemFn) -> syn::Result<TokenStream> {
    if let Some(constness) = &func.sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "#[renacer::trace] cannot instrument a `const fn`: a span reads the clock at run time",
        ));
    }
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    // Locals the expansion introduces resolve at the macro's definition
    // site, so they can neither shadow nor be shadowed by user variables.
    let hyg = Span::mixed_site();
    let guard = quote_spanned!(hyg=> __renacer_guard);
    let rt = args.runtime();
    let brace_span = block.brace_token.span.join();

    let returns_result = returns_result(&sig.output);
    if let (Some(err), false) = (&args.err, returns_result) {
        return Err(syn::Error::new_spanned(
            err,
            "`err` records the error of a `Result`: this function does not return one",
        ));
    }
    let track_caller = has_track_caller(&attrs);
    if let (Some(opt), true) = (args.ret.as_ref().or(args.err.as_ref()), track_caller) {
        return Err(syn::Error::new_spanned(
            opt,
            format!("`{opt}` needs the body in a closure, which would change `#[track_caller]`'s location: remove one of them"),
        ));
    }
    let site = site_static(args, &sig);
    let (skip, enter) = enter_call(args, sig.asyncness.is_some());
    let fields = record_fields(args, &guard);
    let outcome = Outcome {
        ret: args.ret.as_ref().map(|_| args.ret_index()),
        result: returns_result,
        err: args.err.as_ref().map(|_| args.err_index()),
    };

    let body = if sig.asyncness.is_some() {
        // The span starts at the first poll (this code runs then) and ends
        // when the inner future completes, on whatever thread polls it. The
        // original body becomes an inner `async move` block so `return` and
        // `?` keep their meaning.
        let finish = if outcome.inspects() {
            async_finish(&rt, &guard, &block, &outcome)
        } else {
            quote! {
                #rt::AsyncSpan::instrument(#guard, async move #block).await
            }
        };
        quote! {
            #site
            #skip
            let #guard = #enter;
            #fields
            #finish
        }
    } else if outcome.inspects() && !track_caller {
        let result = quote_spanned!(hyg=> __renacer_result);
        let inspect = outcome.inspect(&rt, &quote!(&#result), &guard, &quote!(SpanGuard));
        quote! {
            #site
            #skip
            let #guard = #enter;
            #fields
            // A closure so that `return` and `?` in the body land here,
            // where the outcome is inspected; it inlines in optimized
            // builds. Called through `call_once` so it is an `FnOnce`: it
            // may then return references borrowed from the parameters it
            // captured (`Result<&mut T, E>`), exactly as the fn could.
            let #result = #rt::call_once(move || #block);
            #inspect
            #result
        }
    } else {
        // The body's statements follow the guard directly (no extra
        // braces: `unused_braces` would fire on a one-line body). A
        // `#[track_caller]` fn keeps its body out of any closure, so
        // `Location::caller()` is still its caller's; its `Err` results
        // are then not marked (documented in docs/macros.md).
        let stmts = &block.stmts;
        quote! {
            #site
            #skip
            let #guard = #enter;
            #fields
            #(#stmts)*
        }
    };

    // syn moves the body's inner attributes (`#![allow(..)]`) into `attrs`;
    // they must stay at the top of the body, where they also cover the
    // generated code.
    let (inner, outer): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|a| matches!(a.style, syn::AttrStyle::Inner(_)));
    // The new body keeps the original braces' span, so the fn item keeps
    // the user's span and lints on it (`dead_code` on an unused fn) report
    // as they would without the attribute.
    let mut braced = proc_macro2::Group::new(
        proc_macro2::Delimiter::Brace,
        quote! {
            #(#inner)*
            #body
        },
    );
    braced.set_span(brace_span);
    Ok(quote! {
        #(#outer)*
        #vis #sig #braced
    })
}

/// Whether the fn carries `#[track_caller]`.
fn has_track_caller(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("track_caller"))
}

/// What the expansion does with the function's outcome.
struct Outcome {
    /// `ret`: the `return` field's index.
    ret: Option<u8>,
    /// The return type is a `Result`: an `Err` marks the span.
    result: bool,
    /// `err`: the `error` field's index.
    err: Option<u8>,
}

impl Outcome {
    /// Whether the outcome must be seen (so the body runs in a closure or
    /// is driven by hand).
    fn inspects(&self) -> bool {
        self.ret.is_some() || self.result
    }

    /// Records `ret`, marks an `Err`, records `err`, on span `span` of type
    /// `#rt::#ty` (`SpanGuard` or `AsyncSpan`), for the outcome `out` (a
    /// reference). Fields are only computed when the span is recorded.
    fn inspect(
        &self,
        rt: &TokenStream,
        out: &TokenStream,
        span: &TokenStream,
        ty: &TokenStream,
    ) -> TokenStream {
        let ret = self.ret.map(|i| {
            quote! {
                if #rt::#ty::is_recording(&#span) {
                    #rt::#ty::record_field(&#span, #i, #rt::DebugField(#out));
                }
            }
        });
        let result = self.result.then(|| {
            let err = self.err.map(|i| {
                quote! {
                    if let ::core::result::Result::Err(e) = #out {
                        if #rt::#ty::is_recording(&#span) {
                            #rt::#ty::record_field(&#span, #i, #rt::DisplayField(e));
                        }
                    }
                }
            });
            quote! {
                if ::core::result::Result::is_err(#out) {
                    #rt::#ty::set_error(&#span);
                    #err
                }
            }
        });
        quote! { #ret #result }
    }
}

/// Drives `async move #block` like `AsyncSpan::instrument` does (each poll
/// inside `AsyncSpan::enter`), but keeps the span so that the output can be
/// recorded (`ret`, `err`) or mark it (`Err`) before it ends: `instrument`
/// consumes the span, so the outcome could not reach it afterwards.
fn async_finish(
    rt: &TokenStream,
    guard: &TokenStream,
    block: &syn::Block,
    outcome: &Outcome,
) -> TokenStream {
    let hyg = Span::mixed_site();
    let span = quote_spanned!(hyg=> __renacer_span);
    let fut = quote_spanned!(hyg=> __renacer_fut);
    let cx = quote_spanned!(hyg=> __renacer_cx);
    let poll = quote_spanned!(hyg=> __renacer_poll);
    let out = quote_spanned!(hyg=> __renacer_out);
    let s = quote_spanned!(hyg=> __renacer_s);
    let inspect = outcome.inspect(rt, &out, &s, &quote!(AsyncSpan));
    quote! {
        let mut #span = ::core::option::Option::Some(#guard);
        let mut #fut = ::core::pin::pin!(async move #block);
        ::core::future::poll_fn(move |#cx: &mut ::core::task::Context<'_>| {
            let #poll = match &#span {
                ::core::option::Option::Some(s) => {
                    let _scope = #rt::AsyncSpan::enter(s);
                    ::core::future::Future::poll(#fut.as_mut(), #cx)
                }
                ::core::option::Option::None => ::core::future::Future::poll(#fut.as_mut(), #cx),
            };
            if let ::core::task::Poll::Ready(#out) = &#poll {
                if let ::core::option::Option::Some(#s) = #span.take() {
                    #inspect
                    // Dropping the span ends it, at completion.
                    ::core::mem::drop(#s);
                }
            }
            #poll
        })
        .await
    }
}

/// The `static` [`Site`] (and decision-id `const`) of the function.
fn site_static(args: &TraceArgs, sig: &syn::Signature) -> TokenStream {
    let rt = args.runtime();
    let name = match &args.name {
        Some(lit) => lit.value(),
        None => sig.ident.unraw_string(),
    };
    let field_names = args
        .fields
        .iter()
        .map(|f| f.name.to_string())
        .chain(args.ret.as_ref().map(|_| "return".to_string()))
        .chain(args.err.as_ref().map(|_| "error".to_string()));
    let decision = match &args.decision {
        Some(d) => {
            let (category, dname) = (&d.category, &d.name);
            // `line!()` and `file!()` resolve to where the attribute is
            // written, the location a transpiler knows when it emits the
            // decision, so both sides compute the same id.
            let at = d.lit.span();
            match &args.source {
                // Tied to the transpiler's input (`source = "fib.ruchy:3"`),
                // where the decision was made: the id its manifest has.
                Some(src) => {
                    let (file, line) = (&src.file, src.line);
                    quote_spanned! {at=>
                        const __RENACER_DECISION: u64 = #rt::decision_id(#category, #dname, #file, #line);
                    }
                }
                None => quote_spanned! {at=>
                    const __RENACER_DECISION: u64 = #rt::decision_id(
                        #category, #dname, ::core::file!(), ::core::line!(),
                    );
                },
            }
        }
        None => quote! { const __RENACER_DECISION: u64 = 0; },
    };
    quote! {
        #decision
        static __RENACER_SITE: #rt::Site = #rt::Site::new(
            #name,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
            __RENACER_DECISION,
            &[#(#field_names),*],
        );
    }
}

/// The per-site countdown (only with `sample = ..`) and the `enter*` call.
fn enter_call(args: &TraceArgs, is_async: bool) -> (TokenStream, TokenStream) {
    let rt = args.runtime();
    match &args.sample {
        None if is_async => (
            TokenStream::new(),
            quote!(#rt::enter_async(&__RENACER_SITE)),
        ),
        None => (TokenStream::new(), quote!(#rt::enter(&__RENACER_SITE))),
        Some(rate) => {
            let f = if is_async {
                quote!(enter_async_with_rate)
            } else {
                quote!(enter_with_rate)
            };
            let skip = quote! {
                ::std::thread_local! {
                    static __RENACER_SKIP: #rt::Cell<u64> =
                        const { #rt::Cell::new(0) };
                }
            };
            (
                skip,
                quote!(#rt::#f(&__RENACER_SITE, #rate, &__RENACER_SKIP)),
            )
        }
    }
}

/// `if guard.is_recording() { guard.record_field(i, &value); ... }`: values
/// are evaluated only for spans that are recorded.
fn record_fields(args: &TraceArgs, guard: &TokenStream) -> TokenStream {
    if args.fields.is_empty() {
        return TokenStream::new();
    }
    let rt = args.runtime();
    let records = args.fields.iter().enumerate().map(|(i, f)| {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        let value = &f.value;
        let arg = match f.format {
            FieldFormat::Value => quote_spanned!(value.span()=> &(#value)),
            FieldFormat::Display => quote_spanned!(value.span()=> #rt::DisplayField(&(#value))),
            FieldFormat::Debug => quote_spanned!(value.span()=> #rt::DebugField(&(#value))),
        };
        quote_spanned! {value.span()=>
            #guard.record_field(#index, #arg);
        }
    });
    quote! {
        if #guard.is_recording() {
            #(#records)*
        }
    }
}

/// Whether the declared return type is a `Result` (syntactically: its last
/// path segment is `Result`, which covers `io::Result<T>` and aliases).
fn returns_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    let mut ty: &Type = ty;
    while let Type::Paren(p) = ty {
        ty = &p.elem;
    }
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().is_some_and(|s| s.ident == "Result")
        }
        _ => false,
    }
}

/// `r#type` → `type`: span names are what a user reads.
trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for syn::Ident {
    fn unraw_string(&self) -> String {
        let s = self.to_token_stream().to_string();
        s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(args: TokenStream, item: TokenStream) -> String {
        let args: TraceArgs = syn::parse2(args).expect("args");
        let item: ItemFn = syn::parse2(item).expect("fn");
        expand(&args, item).expect("expansion").to_string()
    }

    #[test]
    fn sync_expansion_is_flat_no_closure_no_field_code() {
        let out = expanded(
            quote!(),
            quote!(
                fn f(x: u32) -> u32 {
                    x + 1
                }
            ),
        );
        assert_eq!(out.matches(":: renacer :: __private :: enter (").count(), 1);
        assert!(
            !out.contains("||"),
            "no closure on the plain sync path: {out}"
        );
        assert!(!out.contains("is_recording"), "{out}");
        assert!(!out.contains("thread_local"), "{out}");
        assert!(out.contains("const __RENACER_DECISION : u64 = 0"), "{out}");
    }

    #[test]
    fn options_select_the_runtime_entry_points() {
        let out = expanded(
            quote!(sample = 0.5, fields(x)),
            quote!(
                fn f(x: u32) -> u32 {
                    x
                }
            ),
        );
        assert!(out.contains("enter_with_rate (& __RENACER_SITE , 0.5 , & __RENACER_SKIP)"));
        assert!(out.contains("thread_local"), "{out}");
        assert!(out.contains("record_field (0u8 , & (x))"), "{out}");

        let out = expanded(
            quote!(),
            quote!(
                fn f() -> io::Result<()> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("set_error"), "{out}");

        let out = expanded(
            quote!(),
            quote!(
                async fn f() -> u8 {
                    1
                }
            ),
        );
        assert!(out.contains("enter_async (& __RENACER_SITE)"), "{out}");
        assert!(out.contains("instrument"), "{out}");

        let out = expanded(
            quote!(sample = 0.1),
            quote!(
                async fn f() -> Result<u8, ()> {
                    Ok(1)
                }
            ),
        );
        assert!(out.contains("enter_async_with_rate"), "{out}");
        assert!(out.contains("poll_fn"), "{out}");
        assert!(out.contains("set_error"), "{out}");
    }

    #[test]
    fn result_detection_is_by_last_path_segment() {
        let ret = |ty: TokenStream| -> ReturnType { syn::parse2(quote!(-> #ty)).expect("type") };
        assert!(returns_result(&ret(quote!(Result<u8, ()>))));
        assert!(returns_result(&ret(quote!(std::io::Result<u8>))));
        assert!(returns_result(&ret(quote!((anyhow::Result<()>)))));
        assert!(!returns_result(&ret(quote!(Option<u8>))));
        assert!(!returns_result(&ret(quote!(impl Iterator<Item = u8>))));
        assert!(!returns_result(&ReturnType::Default));
    }

    #[test]
    fn span_name_defaults_to_the_unraw_function_name() {
        let out = expanded(
            quote!(),
            quote!(
                fn r#type() {}
            ),
        );
        assert!(out.contains("Site :: new (\"type\""), "{out}");
        let out = expanded(
            quote!(name = "custom"),
            quote!(
                fn f() {}
            ),
        );
        assert!(out.contains("Site :: new (\"custom\""), "{out}");
    }

    #[test]
    fn const_fn_is_rejected() {
        let args: TraceArgs = syn::parse2(quote!()).expect("args");
        let item: ItemFn = syn::parse2(quote!(
            const fn f() {}
        ))
        .expect("fn");
        let err = expand(&args, item).expect_err("const fn must fail");
        assert!(err.to_string().contains("const fn"));
    }
}
