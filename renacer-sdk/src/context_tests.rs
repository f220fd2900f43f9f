//! Tests of the joined context: environment lookup and hand-off to children.

use super::*;

const SPEC_EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn environment_lookup() {
    let env = |tp: &'static str, ts: Option<&'static str>| {
        move |k: &str| match k {
            TRACEPARENT_ENV => Some(tp.to_string()),
            TRACESTATE_ENV => ts.map(str::to_string),
            _ => None,
        }
    };
    let rc = remote_context_from(env(SPEC_EXAMPLE, Some("rojo=1"))).unwrap();
    assert_eq!(
        rc.traceparent.trace_id,
        TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736)
    );
    assert_eq!(rc.tracestate.as_deref(), Some("rojo=1"));
    // A bad tracestate is dropped, the parent kept.
    let rc = remote_context_from(env(SPEC_EXAMPLE, Some("BAD"))).unwrap();
    assert_eq!(rc.tracestate, None);
    // A bad traceparent means a new trace.
    assert_eq!(remote_context_from(env("garbage", None)), None);
    assert_eq!(remote_context_from(|_| None), None);
}

#[test]
fn inject_env_hands_the_joined_context_to_a_child() {
    let tp = TraceParent::parse(SPEC_EXAMPLE).unwrap();
    crate::remote::set(Some(RemoteContext {
        traceparent: tp,
        tracestate: Some("rojo=1".into()),
    }));
    assert_eq!(current_traceparent().as_deref(), Some(SPEC_EXAMPLE));
    let mut cmd = std::process::Command::new("true");
    assert!(inject_env(&mut cmd));
    let envs: Vec<_> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    assert!(envs.contains(&(TRACEPARENT_ENV.into(), Some(SPEC_EXAMPLE.into()))));
    assert!(envs.contains(&(TRACESTATE_ENV.into(), Some("rojo=1".into()))));
    crate::remote::set(None);
    assert_eq!(current_traceparent(), None);
    assert!(!inject_env(&mut std::process::Command::new("true")));
}
