//! A real OpenTelemetry collector for the tests: the `rotel` agent (PyPI
//! package `rotel`), started on free loopback ports with its debug exporter,
//! whose stdout is captured and parsed into the spans and metrics it received.
//!
//! Finding the binary: `RENACER_ROTEL` (path of `rotel-agent`), else the path
//! recorded by `scripts/install-rotel.sh` in `target/rotel-venv`, else the
//! harness creates that venv itself (`python3 -m venv` + `pip install rotel`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::parse::{parse_metric_names, parse_spans, ReceivedSpan};

/// Workspace `target/` directory (where the venv is kept).
fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates `target/rotel-venv` with rotel installed; returns the agent path.
/// A lock directory keeps concurrent test binaries from installing twice.
fn install_rotel() -> Result<PathBuf, String> {
    let venv = target_dir().join("rotel-venv");
    let marker = venv.join("bin").join("rotel-agent-path");
    let lock = target_dir().join("rotel-venv.lock");
    let deadline = Instant::now() + Duration::from_secs(300);
    while std::fs::create_dir(&lock).is_err() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {}", lock.display()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let result = (|| {
        if let Ok(p) = std::fs::read_to_string(&marker) {
            return Ok(PathBuf::from(p.trim()));
        }
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "rotel",
        ]))?;
        let path = run(Command::new(venv.join("bin/python")).args([
            "-c",
            "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
        ]))?;
        std::fs::write(&marker, &path).map_err(|e| e.to_string())?;
        Ok(PathBuf::from(path))
    })();
    let _ = std::fs::remove_dir(&lock);
    result
}

/// Path of the `rotel-agent` binary (installed on first use if needed).
pub fn rotel_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("RENACER_ROTEL").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let marker = target_dir().join("rotel-venv/bin/rotel-agent-path");
        if let Ok(p) = std::fs::read_to_string(marker) {
            let p = PathBuf::from(p.trim());
            if p.exists() {
                return p;
            }
        }
        install_rotel().unwrap_or_else(|e| panic!("cannot find or install rotel: {e}"))
    })
    .clone()
}

/// A free loopback port (bound, then released for the collector to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

fn listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// A running rotel agent; killed on drop.
pub struct Rotel {
    child: Option<Child>,
    /// Whether rotel prints what it receives (off for benchmarks: printing
    /// every span would measure the collector's terminal output).
    debug: bool,
    pub grpc_port: u16,
    pub http_port: u16,
    output: Arc<Mutex<String>>,
}

impl Rotel {
    /// Starts rotel on two free ports and waits until both accept connections.
    pub fn start() -> Rotel {
        Rotel::start_mode(true)
    }

    /// Starts rotel without its debug output (received data is discarded
    /// unseen); for throughput measurements.
    pub fn start_quiet() -> Rotel {
        Rotel::start_mode(false)
    }

    fn start_mode(debug: bool) -> Rotel {
        for _ in 0..5 {
            if let Some(r) = Rotel::start_on(free_port(), free_port(), debug) {
                return r;
            }
        }
        panic!(
            "rotel did not start listening (binary {})",
            rotel_binary().display()
        );
    }

    /// Starts rotel on the given ports; `None` if it did not listen in time.
    pub fn start_on(grpc_port: u16, http_port: u16, debug: bool) -> Option<Rotel> {
        let output = Arc::new(Mutex::new(String::new()));
        let mut r = Rotel {
            child: None,
            debug,
            grpc_port,
            http_port,
            output,
        };
        r.spawn();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if listening(grpc_port) && listening(http_port) {
                return Some(r);
            }
            if let Some(Ok(Some(_))) = r.child.as_mut().map(|c| c.try_wait()) {
                return None; // exited: most likely a port was taken meanwhile
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn spawn(&mut self) {
        let dir = std::env::temp_dir().join(format!(
            "renacer-rotel-{}-{}",
            std::process::id(),
            self.grpc_port
        ));
        let _ = std::fs::create_dir_all(&dir);
        let mut child = Command::new(rotel_binary())
            .arg("start")
            .args([
                "--otlp-grpc-endpoint",
                &format!("127.0.0.1:{}", self.grpc_port),
            ])
            .args([
                "--otlp-http-endpoint",
                &format!("127.0.0.1:{}", self.http_port),
            ])
            .args(["--exporter", "blackhole"])
            .args(if self.debug {
                &[
                    "--debug-log",
                    "traces",
                    "--debug-log",
                    "metrics",
                    "--debug-log-verbosity",
                    "detailed",
                ][..]
            } else {
                &["--debug-log", "none"][..]
            })
            // Flush received data to the debug log quickly.
            .args(["--batch-timeout", "50ms"])
            .arg("--pid-file")
            .arg(dir.join("rotel.pid"))
            .arg("--log-file")
            .arg(dir.join("rotel.log"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", rotel_binary().display()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let out = self.output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
                    o.push_str(&line);
                    o.push('\n');
                }
            });
        }
        self.child = Some(child);
    }

    /// `http://127.0.0.1:<grpc port>`.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    /// `http://127.0.0.1:<http port>` (the SDK appends `/v1/traces`).
    pub fn http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Everything rotel printed so far.
    pub fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Spans received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        parse_spans(&self.output())
    }

    /// Names of the metrics received so far.
    pub fn metric_names(&self) -> Vec<String> {
        parse_metric_names(&self.output())
    }

    /// Polls until `done(spans)` holds or `timeout` passes; returns the last spans.
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if done(&spans) || Instant::now() > deadline {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls until at least `n` spans arrived (or `timeout`).
    pub fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        self.wait_for(timeout, |s| s.len() >= n)
    }

    /// Stops the agent (ports become free; nothing listens).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the agent again on the same ports, keeping earlier output.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.spawn();
            let wait_until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < wait_until {
                if listening(self.grpc_port) && listening(self.http_port) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            self.stop();
            assert!(
                Instant::now() < deadline,
                "rotel did not restart on its ports"
            );
        }
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        self.stop();
    }
}
