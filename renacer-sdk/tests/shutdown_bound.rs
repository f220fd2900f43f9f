//! Exit is bounded: an exporter that never returns does not keep the guard
//! drop (or process exit) waiting beyond `shutdown_timeout`; the program
//! says so in one line and exits normally.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use renacer::model::SpanRecord;
use renacer::Exporter;

struct Hung;

impl Exporter for Hung {
    fn export(&mut self, _spans: &[SpanRecord]) {
        loop {
            std::thread::park();
        }
    }
}

const CHILD: &str = "RENACER_TEST_HUNG_EXPORTER";

#[test]
fn a_hung_exporter_does_not_block_exit() {
    if std::env::var_os(CHILD).is_some() {
        let guard = renacer::ConfigBuilder::defaults()
            .exporter(Box::new(Hung))
            .shutdown_timeout(Duration::from_millis(200))
            .init();
        drop(renacer::span!("stuck_in_the_exporter"));
        drop(guard); // returns after the timeout
        println!("guard dropped");
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_hung_exporter_does_not_block_exit",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A generous bound on the whole child (start-up included): a hang, not
    // a duration, is what this catches.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the program did not exit with a hung exporter");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert!(status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("guard dropped"), "{stdout}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("renacer: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("did not finish within 200 ms"),
        "{stderr}"
    );
}
