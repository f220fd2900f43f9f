//! What users of `tracing::instrument` expect, at run time: `%` (Display)
//! and `?` (Debug) field sigils, `Option` fields (`None` records nothing),
//! `ret` (the return value, Debug) and `err` (the error's Display as the
//! status message), for sync and async fns; nothing is computed for spans
//! that are not recorded.

mod common;

use std::fmt;

struct Shown(u32);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shown#{}", self.0)
    }
}

#[derive(Debug)]
struct Config {
    retries: u8,
}

#[derive(Debug)]
struct BadInput(&'static str);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad input: {}", self.0)
    }
}

#[renacer::trace(fields(%shown, cfg = ?cfg, maybe, never = None::<u32>), ret)]
fn configure(shown: &Shown, cfg: &Config, maybe: Option<u64>) -> (u8, bool) {
    (cfg.retries, maybe.is_some())
}

#[renacer::trace(err, ret)]
fn parse(input: &'static str) -> Result<u32, BadInput> {
    input.parse().map_err(|_| BadInput(input))
}

#[renacer::trace(err)]
async fn parse_later(input: &'static str) -> Result<u32, BadInput> {
    parse(input)
}

#[renacer::trace(ret)]
async fn doubled(x: u32) -> u32 {
    x * 2
}

#[test]
fn sigils_options_ret_and_err_are_recorded() {
    let traced = common::start();
    assert_eq!(
        configure(&Shown(7), &Config { retries: 3 }, Some(9)),
        (3, true)
    );
    assert!(parse("12").is_ok());
    assert!(parse("x").is_err());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(rt.block_on(parse_later("y")).is_err());
    assert_eq!(rt.block_on(doubled(21)), 42);
    drop(rt);

    let spans = traced.spans();
    let c = common::one(&spans, "configure");
    assert_eq!(c["fields"]["shown"], "shown#7");
    assert_eq!(c["fields"]["cfg"], "Config { retries: 3 }");
    assert_eq!(c["fields"]["maybe"], 9);
    assert!(c["fields"].get("never").is_none(), "{c}");
    assert_eq!(c["fields"]["return"], "(3, true)");

    let parses = common::all(&spans, "parse");
    let ok = parses.iter().find(|p| p["status"] == "unset").unwrap();
    assert_eq!(ok["fields"]["return"], "Ok(12)");
    let failed = parses
        .iter()
        .find(|p| p["status"] == "error" && p["fields"]["error"] == "bad input: x")
        .unwrap();
    assert_eq!(failed["status_message"], "bad input: x", "{failed}");
    assert_eq!(failed["fields"]["return"], "Err(BadInput(\"x\"))");

    let later = common::one(&spans, "parse_later");
    assert_eq!(later["status"], "error");
    assert_eq!(later["status_message"], "bad input: y", "{later}");
    assert_eq!(common::one(&spans, "doubled")["fields"]["return"], "42");
}
