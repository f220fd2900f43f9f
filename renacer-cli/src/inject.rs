//! `-e inject=` / `-e fault=`: strace's syscall tampering, for tests that
//! need a call to fail (or return a chosen value, or raise a signal) on
//! its Nth invocation.
//!
//! `inject=SET:error=ERRNO|retval=N[:signal=SIG][:delay_enter=T][:delay_exit=T][:when=EXPR]`,
//! `fault=SET[:error=ERRNO][:when=EXPR]` (`fault` is `inject` with
//! `error=ENOSYS` by default). `when=N` fires on the Nth call of the set in
//! each thread, `N+` on the Nth and every later one, `N+S` on the Nth and
//! every Sth after; the default is every call. How (x86_64): at the call's
//! entry the tracer sets `orig_rax` to -1, so the kernel runs nothing and
//! returns `-ENOSYS`; at its exit the tracer writes the chosen result into
//! `rax` and, with `signal=`, delivers the signal as the tracee resumes.
//! The line ends with ` (INJECTED)`, as strace's does. `delay_enter=` /
//! `delay_exit=` hold the task that long (microseconds, or a number with
//! `s`, `ms`, `us` or `ns`) at the call's entry or exit stop before it may
//! go on; the tracer keeps serving every other task meanwhile, and the line
//! ends with ` (DELAYED)`.

use crate::filter::TraceSet;
use std::time::Duration;

/// What a rule does to a call it fires on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// The call fails with this errno.
    Error(i32),
    /// The call returns this value (without running).
    Retval(i64),
    /// The call runs; only a signal or a delay is injected.
    Run,
}

/// One `-e inject=` / `-e fault=` rule.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub set: TraceSet,
    pub action: Action,
    pub signal: Option<i32>,
    /// How long the task is held at the call's entry / exit stop.
    pub delay_enter: Option<Duration>,
    pub delay_exit: Option<Duration>,
    first: u64,
    /// `None`: only the `first`th call; `Some(s)`: then every `s`th.
    step: Option<u64>,
}

impl Rule {
    /// Parses the value of `inject=` (`fault` when `fault`).
    pub(crate) fn parse(value: &str, fault: bool) -> Result<Rule, String> {
        let qual = if fault { "fault" } else { "inject" };
        let mut parts = value.split(':');
        let set = TraceSet::parse(parts.next().unwrap_or(""))?;
        let (mut action, mut signal, mut when) = (None, None, None);
        let (mut delay_enter, mut delay_exit) = (None, None);
        for p in parts {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("invalid {qual}= item '{p}' (expected KEY=VALUE)"))?;
            match k {
                "error" => action = Some(Action::Error(errno_number(v)?)),
                "retval" if !fault => {
                    let n = v
                        .parse::<i64>()
                        .map_err(|_| format!("invalid retval '{v}'"))?;
                    action = Some(Action::Retval(n));
                }
                "signal" if !fault => {
                    signal = Some(
                        crate::decode::signals::number(v)
                            .ok_or_else(|| format!("invalid signal '{v}'"))?,
                    );
                }
                "when" => when = Some(parse_when(v)?),
                "delay_enter" if !fault => delay_enter = Some(parse_delay(k, v)?),
                "delay_exit" if !fault => delay_exit = Some(parse_delay(k, v)?),
                "poke_enter" | "poke_exit" => {
                    return Err(format!("{qual}: {k}= is not supported by renacer"))
                }
                _ => return Err(format!("invalid {qual}= key '{k}'")),
            }
        }
        let runs = signal.is_some() || delay_enter.is_some() || delay_exit.is_some();
        let action = match (action, runs, fault) {
            (Some(a), _, _) => a,
            (None, _, true) => Action::Error(libc::ENOSYS),
            (None, true, false) => Action::Run,
            (None, false, false) => {
                return Err(
                    "inject= needs error=, retval=, signal=, delay_enter= or delay_exit=".into(),
                );
            }
        };
        let (first, step) = when.unwrap_or((1, Some(1)));
        Ok(Rule {
            set,
            action,
            signal,
            delay_enter,
            delay_exit,
            first,
            step,
        })
    }

    /// Whether the rule fires on the `n`th (1-based) matching call.
    pub(crate) fn fires(&self, n: u64) -> bool {
        match self.step {
            _ if n < self.first => false,
            None => n == self.first,
            Some(s) => (n - self.first) % s.max(1) == 0,
        }
    }
}

/// `N`, `N+` or `N+S`.
fn parse_when(v: &str) -> Result<(u64, Option<u64>), String> {
    let bad = || format!("invalid when= expression '{v}' (expected N, N+ or N+STEP)");
    let num = |s: &str| s.parse::<u64>().ok().filter(|&n| n >= 1).ok_or_else(bad);
    Ok(match v.split_once('+') {
        None => (num(v)?, None),
        Some((a, "")) => (num(a)?, Some(1)),
        Some((a, b)) => (num(a)?, Some(num(b)?)),
    })
}

/// A delay: microseconds, or a (decimal) number with `s`, `ms`, `us` or
/// `ns`, as strace reads it.
fn parse_delay(key: &str, v: &str) -> Result<Duration, String> {
    let bad = || {
        format!("invalid {key}= '{v}' (expected microseconds, or a number with s, ms, us or ns)")
    };
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let scale = match unit {
        "" | "us" => 1e-6,
        "s" => 1.0,
        "ms" => 1e-3,
        "ns" => 1e-9,
        _ => return Err(bad()),
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    Duration::try_from_secs_f64(n * scale).map_err(|_| bad())
}

/// `ENOENT` or a number.
fn errno_number(v: &str) -> Result<i32, String> {
    if let Ok(n) = v.parse::<i32>() {
        return (1..4096)
            .contains(&n)
            .then_some(n)
            .ok_or_else(|| format!("invalid error number {n}"));
    }
    (1..4096)
        .find(|&e| crate::decode::ret::errno_name(e) == v)
        .ok_or_else(|| format!("invalid error name '{v}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::X86_64;

    #[test]
    fn rules_parse_like_strace() {
        let r = Rule::parse("openat:error=ENOENT:when=2+", false).unwrap();
        assert_eq!(r.action, Action::Error(libc::ENOENT));
        assert!(r.set.contains(&X86_64, 257));
        assert!(!r.fires(1) && r.fires(2) && r.fires(3));
        let r = Rule::parse("read:retval=7:when=3", false).unwrap();
        assert_eq!(r.action, Action::Retval(7));
        assert!(!r.fires(2) && r.fires(3) && !r.fires(4));
        let r = Rule::parse("write:error=5:when=1+2", false).unwrap();
        assert_eq!(r.action, Action::Error(5));
        assert!(r.fires(1) && !r.fires(2) && r.fires(3));
        let r = Rule::parse("close", true).unwrap();
        assert_eq!(r.action, Action::Error(libc::ENOSYS));
        assert!(r.fires(1) && r.fires(9));
        let r = Rule::parse("getpid:signal=USR1", false).unwrap();
        assert_eq!((r.action, r.signal), (Action::Run, Some(libc::SIGUSR1)));
        let r = Rule::parse("getpid:delay_enter=200000:delay_exit=1.5ms", false).unwrap();
        assert_eq!(r.action, Action::Run);
        assert_eq!(r.delay_enter, Some(Duration::from_millis(200)));
        assert_eq!(r.delay_exit, Some(Duration::from_micros(1500)));
        let r = Rule::parse("read:error=EIO:delay_exit=2s", false).unwrap();
        assert_eq!(r.action, Action::Error(libc::EIO));
        assert_eq!(r.delay_exit, Some(Duration::from_secs(2)));
        for bad in [
            "openat",
            "openat:error=ENOPE",
            "openat:error=ENOENT:when=0",
            "openat:error=ENOENT:when=x",
            "openat:frob=1",
            "openat:delay_enter=-1",
            "openat:delay_enter=1s5",
            "openat:delay_enter=ms",
            "openat:poke_enter=@arg1=00",
        ] {
            assert!(Rule::parse(bad, false).is_err(), "{bad}");
        }
        assert!(
            Rule::parse("openat:retval=1", true).is_err(),
            "fault has no retval"
        );
        assert!(
            Rule::parse("openat:delay_enter=1", true).is_err(),
            "fault has no delay"
        );
    }
}
