//! `renacer decisions annotate`: the step ruchy 4.2.1 does not do yet —
//! tie each generated Rust function to the `.ruchy` function it came from.
//!
//! For every `fun NAME(` (or `fn NAME(`) of the `.ruchy` source (except `main`, which is
//! the whole run), the generated `fn NAME(` gets, on the line above it,
//!
//! ```text
//! #[cfg_attr(feature = "trace", renacer::trace(decision = "codegen::NAME", source = "fib.ruchy:LINE"))]
//! ```
//!
//! so its spans carry the decision id of `codegen::NAME` at the `.ruchy`
//! line (the id in the manifest written beside). Nothing else changes:
//! with the `trace` feature off the attribute vanishes before expansion and
//! the crate is the transpiler's output. The manifest entry's `input` is the
//! `.ruchy` signature line, its `result` the generated Rust signature line.

use std::collections::HashMap;

use renacer_decisions::manifest::{Manifest, SourceLocation};

/// `fun NAME(` / `fn NAME(` (Ruchy has both), with an optional `pub`, at
/// the start of a line → NAME.
fn ruchy_fun(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("pub ").unwrap_or(t).trim_start();
    let rest = t
        .strip_prefix("fun ")
        .or_else(|| t.strip_prefix("fn "))?
        .trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    (rest[end..].trim_start().starts_with('(') || rest[end..].trim_start().starts_with('<'))
        .then_some(&rest[..end])
}

/// `fn NAME(` / `pub fn NAME<..>(` at the start of a line → NAME.
fn rust_fn(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("pub ").unwrap_or(t).trim_start();
    let rest = t.strip_prefix("fn ")?.trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The annotated source and its manifest. `ruchy_name` is the `.ruchy`
/// file's name as ids and the manifest record it.
pub(super) fn annotate(
    generated: &str,
    ruchy: &str,
    ruchy_name: &str,
    manifest: &mut Manifest,
) -> Result<String, String> {
    let mut funs: HashMap<&str, (u32, &str)> = HashMap::new();
    for (i, line) in ruchy.lines().enumerate() {
        if let Some(name) = ruchy_fun(line).filter(|n| *n != "main") {
            funs.insert(name, (i as u32 + 1, line.trim()));
        }
    }
    if funs.is_empty() {
        return Err(format!("{ruchy_name}: no `fun NAME(` definitions found"));
    }
    let mut out = String::with_capacity(generated.len() + 128 * funs.len());
    let mut done = Vec::new();
    for line in generated.split_inclusive('\n') {
        if let Some((name, &(at, sig))) = rust_fn(line).and_then(|n| funs.get_key_value(n)) {
            let indent = &line[..line.len() - line.trim_start().len()];
            let id = manifest.add(
                "codegen",
                name,
                SourceLocation {
                    file: ruchy_name.to_string(),
                    line: at,
                    column: None,
                },
                sig.into(),
                line.trim().trim_end_matches('{').trim().into(),
            );
            out.push_str(&format!(
                "{indent}#[cfg_attr(feature = \"trace\", renacer::trace(decision = \"codegen::{name}\", source = \"{ruchy_name}:{at}\"))]\n"
            ));
            done.push((name.to_string(), id));
        }
        out.push_str(line);
    }
    if done.is_empty() {
        return Err("no generated function matches a `.ruchy` function".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUCHY: &str = "fun fib(n: i32) -> i32 {\n    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }\n}\n\nfun main() {\n    println(fib(20))\n}\n";
    const RUST: &str = "fn fib(n: i32) -> i32 {\n    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }\n}\nfn main() {\n    println!(\"{}\", fib(20))\n}\n";

    #[test]
    fn annotates_matching_functions_and_writes_their_decisions() {
        let mut m = Manifest::new("1.0", "", "ruchy 4.2.1");
        let out = annotate(RUST, RUCHY, "fib.ruchy", &mut m).unwrap();
        let first = out.lines().next().unwrap();
        assert_eq!(
            first,
            "#[cfg_attr(feature = \"trace\", renacer::trace(decision = \"codegen::fib\", source = \"fib.ruchy:1\"))]"
        );
        // Removing the added line gives the transpiler's output back.
        let stripped: String = out
            .split_inclusive('\n')
            .filter(|l| !l.starts_with("#[cfg_attr(feature = \"trace\", renacer::trace("))
            .collect();
        assert_eq!(stripped, RUST);
        let id = renacer_decisions::decision_id("codegen", "fib", "fib.ruchy", 1);
        let e = &m.entries[&id];
        assert_eq!(e.input, "fun fib(n: i32) -> i32 {");
        assert_eq!(e.result, "fn fib(n: i32) -> i32");
        assert_eq!(m.entries.len(), 1, "main is not annotated");
    }

    #[test]
    fn nothing_to_annotate_is_an_error() {
        let mut m = Manifest::default();
        assert!(annotate(RUST, "let x = 1\n", "x.ruchy", &mut m).is_err());
        assert!(annotate("fn other() {}\n", RUCHY, "fib.ruchy", &mut m).is_err());
    }
}
