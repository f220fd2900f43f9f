//! Parsing of `#[trace(...)]` arguments into [`TraceArgs`].
//!
//! Kept apart from code generation (as in `tracing-attributes`) so every
//! validation rule lives in one place and each error points at the token the
//! user has to fix.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitFloat, LitStr, Token};

/// Most fields one site may capture: field indexes travel as `u8` and every
/// field costs a ring event, so a long list is almost certainly a mistake.
pub(crate) const MAX_FIELDS: usize = 16;

/// The validated options of one `#[trace(...)]` attribute.
#[derive(Default)]
pub(crate) struct TraceArgs {
    /// Span name override (`name = "..."`); the function name otherwise.
    pub(crate) name: Option<LitStr>,
    /// Per-site sampling rate in (0, 1] (`sample = 0.001`).
    pub(crate) sample: Option<LitFloat>,
    /// Transpiler decision `(category, name, literal)` (`decision = "c::n"`).
    pub(crate) decision: Option<Decision>,
    /// Where the transpiler made that decision, in its own input
    /// (`source = "fib.ruchy:3"`); the Rust location otherwise.
    pub(crate) source: Option<DecisionSource>,
    /// Captured fields, in declaration order (`fields(x, y = expr)`).
    pub(crate) fields: Vec<Field>,
    /// Path of the renacer crate (`crate = my_runtime::renacer`), for crates
    /// that rename or re-export it; `::renacer` otherwise.
    pub(crate) krate: Option<syn::Path>,
    /// `ret`: record the return value (`Debug`) as the field `return`.
    pub(crate) ret: Option<Ident>,
    /// `err`: record an `Err`'s `Display` as the field `error`, which
    /// becomes the span's status message.
    pub(crate) err: Option<Ident>,
}

impl TraceArgs {
    /// Index of the `return` field (after the user's fields).
    pub(crate) fn ret_index(&self) -> u8 {
        self.fields.len() as u8
    }
    /// Index of the `error` field (after the user's and `return`).
    pub(crate) fn err_index(&self) -> u8 {
        (self.fields.len() + usize::from(self.ret.is_some())) as u8
    }
}

impl TraceArgs {
    /// The macro ↔ runtime contract module: `<crate>::__private`.
    pub(crate) fn runtime(&self) -> proc_macro2::TokenStream {
        match &self.krate {
            Some(path) => quote::quote!(#path::__private),
            None => quote::quote!(::renacer::__private),
        }
    }
}

/// A `decision = "category::name"` option, split and checked.
pub(crate) struct Decision {
    pub(crate) category: String,
    pub(crate) name: String,
    /// The literal, whose span the decision id's `line!()` is tied to.
    pub(crate) lit: LitStr,
}

/// A `source = "FILE:LINE"` option: the decision's location in the
/// transpiler's input, which its id is computed over.
pub(crate) struct DecisionSource {
    pub(crate) file: String,
    pub(crate) line: u32,
}

/// How a field's value is recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldFormat {
    /// As the value itself (`IntoFieldValue`).
    Value,
    /// `%`: its `Display` form.
    Display,
    /// `?`: its `Debug` form.
    Debug,
}

/// One `fields(...)` entry: `x` (captures the variable `x`), `y = expr`,
/// with an optional `%` (Display) or `?` (Debug) sigil: `%x`, `y = ?expr`.
pub(crate) struct Field {
    pub(crate) name: Ident,
    pub(crate) value: Expr,
    pub(crate) format: FieldFormat,
}

/// A leading `%` or `?`, consumed.
fn parse_sigil(input: ParseStream<'_>) -> syn::Result<FieldFormat> {
    if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Ok(FieldFormat::Display)
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Ok(FieldFormat::Debug)
    } else {
        Ok(FieldFormat::Value)
    }
}

impl Parse for TraceArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = TraceArgs::default();
        let mut seen_fields: Option<Ident> = None;
        let mut source_key: Option<Ident> = None;
        while !input.is_empty() {
            // `crate` is a keyword: parse any identifier, keywords included.
            let key: Ident = input.call(Ident::parse_any).map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected an option: `name`, `sample`, `decision`, `source`, `fields`, `ret`, `err` or `crate`",
                )
            })?;
            match key.to_string().as_str() {
                "name" => {
                    reject_duplicate(args.name.is_some(), &key)?;
                    let lit = parse_value::<LitStr>(
                        input,
                        &key,
                        "a string literal, e.g. `name = \"load\"`",
                    )?;
                    if lit.value().is_empty() {
                        return Err(syn::Error::new_spanned(&lit, "`name` must not be empty"));
                    }
                    args.name = Some(lit);
                }
                "sample" => {
                    reject_duplicate(args.sample.is_some(), &key)?;
                    args.sample = Some(parse_sample(input, &key)?);
                }
                "decision" => {
                    reject_duplicate(args.decision.is_some(), &key)?;
                    let lit = parse_value::<LitStr>(
                        input,
                        &key,
                        "a string literal, e.g. `decision = \"optimization::inline_candidate\"`",
                    )?;
                    args.decision = Some(parse_decision(lit)?);
                }
                "source" => {
                    reject_duplicate(args.source.is_some(), &key)?;
                    let lit = parse_value::<LitStr>(
                        input,
                        &key,
                        "the decision's `FILE:LINE` in the transpiler's input, e.g. `source = \"fib.ruchy:3\"`",
                    )?;
                    args.source = Some(parse_source(&lit)?);
                    source_key = Some(key);
                }
                "fields" => {
                    reject_duplicate(seen_fields.is_some(), &key)?;
                    args.fields = parse_fields(input, &key)?;
                    seen_fields = Some(key);
                }
                "ret" => {
                    reject_duplicate(args.ret.is_some(), &key)?;
                    args.ret = Some(key);
                }
                "err" => {
                    reject_duplicate(args.err.is_some(), &key)?;
                    args.err = Some(key);
                }
                "crate" => {
                    reject_duplicate(args.krate.is_some(), &key)?;
                    args.krate = Some(parse_value::<syn::Path>(
                        input,
                        &key,
                        "the path of the renacer crate, e.g. `crate = my_runtime::renacer`",
                    )?);
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!(
                        "unknown option `{key}`; expected `name`, `sample`, `decision`, `source`, `fields`, `ret`, `err` or `crate`"
                    ),
                    ))
                }
            }
            if input.is_empty() {
                break;
            }
            input
                .parse::<Token![,]>()
                .map_err(|e| syn::Error::new(e.span(), "expected `,` between options"))?;
        }
        if let (Some(key), None) = (&source_key, &args.decision) {
            return Err(syn::Error::new_spanned(
                key,
                "`source` locates a decision: it needs `decision = \"category::name\"` too",
            ));
        }
        Ok(args)
    }
}

/// `"fib.ruchy:3"` → file and line (≥ 1).
fn parse_source(lit: &LitStr) -> syn::Result<DecisionSource> {
    let v = lit.value();
    match v.rsplit_once(':') {
        Some((file, line)) if !file.is_empty() => match line.parse::<u32>() {
            Ok(line) if line > 0 => Ok(DecisionSource {
                file: file.to_string(),
                line,
            }),
            _ => Err(syn::Error::new_spanned(
                lit,
                format!("`source` line must be a number ≥ 1, got `{line}` in \"{v}\""),
            )),
        },
        _ => Err(syn::Error::new_spanned(
            lit,
            format!("`source` must be `FILE:LINE`, e.g. \"fib.ruchy:3\", got \"{v}\""),
        )),
    }
}

fn reject_duplicate(already: bool, key: &Ident) -> syn::Result<()> {
    if already {
        return Err(syn::Error::new_spanned(
            key,
            format!("duplicate option `{key}`"),
        ));
    }
    Ok(())
}

/// Parses `= <T>` after `key`, with an error that says what was expected.
fn parse_value<T: Parse>(input: ParseStream<'_>, key: &Ident, expected: &str) -> syn::Result<T> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new_spanned(
            key,
            format!("`{key}` needs a value: {expected}"),
        ));
    }
    input.parse::<Token![=]>()?;
    let span = input.span();
    let fork = input.fork();
    match fork.parse::<T>() {
        Ok(_) => input.parse::<T>(),
        Err(_) => {
            // Point at the whole offending value, not just its first token.
            let bad: Expr = input
                .parse()
                .map_err(|_| syn::Error::new(span, format!("`{key}` must be {expected}")))?;
            Err(syn::Error::new_spanned(
                bad,
                format!("`{key}` must be {expected}"),
            ))
        }
    }
}

/// `sample = <float literal in (0, 1]>`: checked here so a bad rate is a
/// compile error, never a run-time surprise.
fn parse_sample(input: ParseStream<'_>, key: &Ident) -> syn::Result<LitFloat> {
    const EXPECTED: &str = "a float literal in (0, 1], e.g. `sample = 0.001`";
    if input.peek(Token![=]) && input.peek2(Token![-]) {
        input.parse::<Token![=]>()?;
        let negative: Expr = input.parse()?;
        return Err(syn::Error::new_spanned(
            negative,
            "`sample` must be in (0, 1], found a negative rate",
        ));
    }
    let lit: LitFloat = parse_value(input, key, EXPECTED)?;
    if !matches!(lit.suffix(), "" | "f64") {
        return Err(syn::Error::new_spanned(
            &lit,
            format!("`sample` must be an f64, found suffix `{}`", lit.suffix()),
        ));
    }
    let value: f64 = lit.base10_parse()?;
    if !(value > 0.0 && value <= 1.0) {
        return Err(syn::Error::new_spanned(
            &lit,
            format!(
                "`sample` must be in (0, 1], found {lit}; use a rate like 0.001, or remove the attribute to never trace"
            ),
        ));
    }
    Ok(lit)
}

/// `decision = "category::name"`: exactly two non-empty parts.
fn parse_decision(lit: LitStr) -> syn::Result<Decision> {
    let value = lit.value();
    let parts: Vec<&str> = value.split("::").collect();
    let valid = parts.len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && !p.chars().any(char::is_whitespace));
    if !valid {
        return Err(syn::Error::new_spanned(
            &lit,
            format!(
                "`decision` must be \"category::name\" with two non-empty parts and no spaces, found {value:?}"
            ),
        ));
    }
    Ok(Decision {
        category: parts[0].to_owned(),
        name: parts[1].to_owned(),
        lit,
    })
}

/// `fields(x, y = expr, ...)`.
fn parse_fields(input: ParseStream<'_>, key: &Ident) -> syn::Result<Vec<Field>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            key,
            "`fields` takes a list in parentheses, e.g. `fields(x, len = v.len())`",
        ));
    }
    let content;
    syn::parenthesized!(content in input);
    let list = Punctuated::<Field, Token![,]>::parse_terminated(&content)?;
    if list.is_empty() {
        return Err(syn::Error::new_spanned(
            key,
            "`fields()` is empty: name at least one field, or remove it",
        ));
    }
    if list.len() > MAX_FIELDS {
        return Err(syn::Error::new_spanned(
            key,
            format!(
                "at most {MAX_FIELDS} fields per function, found {}",
                list.len()
            ),
        ));
    }
    let fields: Vec<Field> = list.into_iter().collect();
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return Err(syn::Error::new_spanned(
                &f.name,
                format!("duplicate field `{}`", f.name),
            ));
        }
    }
    Ok(fields)
}

impl Parse for Field {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let shorthand = parse_sigil(input)?;
        let name: Ident = input.parse::<Ident>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a field: `name` (captures the variable `name`) or `name = expression`",
            )
        })?;
        if input.peek(Token![=]) && shorthand == FieldFormat::Value {
            input.parse::<Token![=]>()?;
            let format = parse_sigil(input)?;
            let value: Expr = input.parse()?;
            Ok(Field {
                name,
                value,
                format,
            })
        } else if input.is_empty() || input.peek(Token![,]) {
            let value = syn::parse_quote!(#name);
            Ok(Field {
                name,
                value,
                format: shorthand,
            })
        } else {
            Err(syn::Error::new(
                input.span(),
                "expected `,` or `= expression` after a field name",
            ))
        }
    }
}
