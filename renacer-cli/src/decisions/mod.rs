//! `renacer decisions …`: the transpiler-decision tools.
//!
//! * `renacer decisions report [--manifest PATH] [--format text|json]
//!   [--flamegraph SVG] TRACE`: what each decision cost at run time
//!   ([`report`]), from a JSON-lines span file or a unified JSON trace;
//! * `renacer decisions list [--format text|json] FILE`: the records of a
//!   decision log — renacer's msgpack log or Depyler's file, told apart by
//!   their layout — with a warning for a file cut short;
//! * `renacer decisions annotate --ruchy SRC.ruchy --manifest OUT.json
//!   [--transpiler VERSION] [-o OUT.rs] GENERATED.rs`: tie generated
//!   functions to their `.ruchy` lines ([`annotate`]).
//!
//! (A program called `decisions` is traced with `renacer -- decisions`.)

mod annotate;
mod flame;
mod list;
mod report;
mod spans;

use std::ffi::OsString;
use std::path::PathBuf;

const USAGE: &str = "\
usage: renacer decisions report [--manifest PATH] [--format text|json] [--flamegraph SVG] TRACE
       renacer decisions list [--format text|json] DECISIONS.msgpack
       renacer decisions annotate --ruchy SRC.ruchy --manifest OUT.json
                                  [--transpiler VERSION] [-o OUT.rs] GENERATED.rs

  TRACE            a JSON-lines span file (jsonl: sink) or a unified JSON trace
                   (renacer --format unified-json)
  --manifest PATH  decision_manifest.json: names and sources of the decision ids,
                   and the decisions that never ran
  --format F       text (default) or json (an array of rows, docs/formats.md)
  --flamegraph SVG also write a flame graph, frames labelled by decision

annotate adds #[cfg_attr(feature = \"trace\", renacer::trace(decision = \"codegen::NAME\",
source = \"SRC.ruchy:LINE\"))] above each generated fn of a .ruchy `fun`, and writes the
decision manifest (-o: the annotated file; default stdout).
";

/// The value of `flag` as a path.
fn path_value(p: &mut lexopt::Parser, flag: &str) -> Result<PathBuf, String> {
    p.value()
        .map(PathBuf::from)
        .map_err(|_| format!("option '{flag}' requires an argument"))
}

/// `--format text|json`: whether JSON was asked for.
fn json_format(p: &mut lexopt::Parser) -> Result<bool, String> {
    match path_value(p, "--format")?.to_str() {
        Some("json") => Ok(true),
        Some("text") => Ok(false),
        other => Err(format!(
            "invalid --format '{}' (text or json)",
            other.unwrap_or("?")
        )),
    }
}

/// The one-line error for an argument a subcommand does not take.
fn unexpected(arg: lexopt::Arg<'_>) -> String {
    use lexopt::Arg::{Long, Short, Value};
    match arg {
        Long(name) => format!("unrecognized option '--{name}' (see renacer decisions --help)"),
        Short(c) => format!("invalid option -- '{c}' (see renacer decisions --help)"),
        Value(v) => format!("unexpected argument '{}'", v.to_string_lossy()),
    }
}

#[derive(Debug, Default)]
struct AnnotateArgs {
    ruchy: Option<PathBuf>,
    manifest: Option<PathBuf>,
    transpiler: Option<String>,
    output: Option<PathBuf>,
    generated: Option<PathBuf>,
}

fn parse_annotate(args: Vec<OsString>) -> Result<AnnotateArgs, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut p = lexopt::Parser::from_args(args);
    let mut out = AnnotateArgs::default();
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Long("ruchy") => out.ruchy = Some(path_value(&mut p, "--ruchy")?),
            Long("manifest") => out.manifest = Some(path_value(&mut p, "--manifest")?),
            Long("transpiler") => {
                let v = path_value(&mut p, "--transpiler")?;
                out.transpiler = Some(v.to_string_lossy().into_owned());
            }
            Short('o') | Long("output") => out.output = Some(path_value(&mut p, "-o")?),
            Value(v) if out.generated.is_none() => out.generated = Some(PathBuf::from(v)),
            other => return Err(unexpected(other)),
        }
    }
    for (missing, what) in [
        (out.generated.is_none(), "the GENERATED.rs file"),
        (out.ruchy.is_none(), "--ruchy SRC.ruchy"),
        (out.manifest.is_none(), "--manifest OUT.json"),
    ] {
        if missing {
            return Err(format!(
                "decisions annotate needs {what} (see renacer decisions --help)"
            ));
        }
    }
    Ok(out)
}

fn annotate_main(args: AnnotateArgs) -> Result<(), String> {
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
    };
    let (generated, ruchy) = match (&args.generated, &args.ruchy) {
        (Some(g), Some(r)) => (g, r),
        _ => return Err("decisions annotate: missing arguments".into()),
    };
    let ruchy_name = ruchy
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut manifest = renacer_decisions::manifest::Manifest::new(
        "1.0",
        "",
        args.transpiler.as_deref().unwrap_or("ruchy"),
    );
    let out = annotate::annotate(&read(generated)?, &read(ruchy)?, &ruchy_name, &mut manifest)?;
    match &args.output {
        Some(p) => std::fs::write(p, out).map_err(|e| format!("{}: {e}", p.display()))?,
        None => crate::report::stdout(format_args!("{out}")),
    }
    if let Some(m) = &args.manifest {
        manifest
            .write(m)
            .map_err(|e| format!("{}: {e}", m.display()))?;
    }
    Ok(())
}

#[derive(Debug, Default)]
struct ReportArgs {
    manifest: Option<PathBuf>,
    json: bool,
    flamegraph: Option<PathBuf>,
    trace: Option<PathBuf>,
}

fn parse_report(args: Vec<OsString>) -> Result<ReportArgs, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut p = lexopt::Parser::from_args(args);
    let mut out = ReportArgs::default();
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Long("manifest") => out.manifest = Some(path_value(&mut p, "--manifest")?),
            Long("flamegraph") => out.flamegraph = Some(path_value(&mut p, "--flamegraph")?),
            Long("format") => out.json = json_format(&mut p)?,
            Long("help") | Short('h') => return Err(USAGE.trim_end().to_string()),
            Value(v) if out.trace.is_none() => out.trace = Some(PathBuf::from(v)),
            other => return Err(unexpected(other)),
        }
    }
    if out.trace.is_none() {
        return Err("decisions report needs a TRACE file (see renacer decisions --help)".into());
    }
    Ok(out)
}

/// `decisions list`: one line (or JSON object) per logged decision.
fn list_main(args: Vec<OsString>) -> Result<Result<(), String>, String> {
    let mut json = false;
    let mut file = None;
    let mut p = lexopt::Parser::from_args(args);
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            lexopt::Arg::Long("format") => json = json_format(&mut p)?,
            lexopt::Arg::Value(v) if file.is_none() => file = Some(PathBuf::from(v)),
            other => return Err(unexpected(other)),
        }
    }
    let file = file.ok_or("decisions list needs a FILE (see renacer decisions --help)")?;
    Ok(list::list(&file, json))
}

fn report_main(args: ReportArgs) -> Result<(), String> {
    let manifest = match &args.manifest {
        Some(p) => Some(
            renacer_decisions::manifest::Manifest::read(p)
                .map_err(|e| format!("{}: {e}", p.display()))?,
        ),
        None => None,
    };
    let trace = args
        .trace
        .as_deref()
        .unwrap_or_else(|| std::path::Path::new(""));
    let spans = spans::read(trace)?;
    let rows = report::rows(&spans, manifest.as_ref());
    let text = if args.json {
        format!("{:#}\n", report::json(&rows))
    } else {
        report::text(&rows)
    };
    crate::report::stdout(format_args!("{text}"));
    if let Some(svg) = &args.flamegraph {
        let f = std::fs::File::create(svg).map_err(|e| format!("{}: {e}", svg.display()))?;
        flame::write(&spans, manifest.as_ref(), std::io::BufWriter::new(f))
            .map_err(|e| format!("{}: {e}", svg.display()))?;
    }
    Ok(())
}

/// Runs `renacer decisions ARGS`; the exit status.
pub(crate) fn main(mut args: Vec<OsString>) -> u8 {
    let sub = if args.is_empty() {
        None
    } else {
        Some(args.remove(0))
    };
    let result = match sub.as_ref().and_then(|s| s.to_str()) {
        Some("report") => parse_report(args).map(report_main),
        Some("annotate") => parse_annotate(args).map(annotate_main),
        Some("list") => list_main(args),
        Some("--help" | "-h") | None => Err(USAGE.trim_end().to_string()),
        Some(other) => Err(format!(
            "unknown decisions command '{other}' (report, list or annotate)"
        )),
    };
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            crate::report::say!("renacer: {e}");
            1
        }
        Err(e) => {
            crate::report::say!("renacer: {e}");
            2
        }
    }
}
