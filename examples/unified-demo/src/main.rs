//! unified-demo: a small program that exercises every kind of work the
//! unified trace lines up — traced functions doing file I/O, a loopback TCP
//! exchange, two worker threads and a child process (this program again,
//! with the argument `child`).
//!
//! Run it under the CLI to see each syscall inside the function that issued
//! it: `renacer -f --format unified -- target/debug/unified-demo` (or
//! `--format perfetto -o trace.json` for ui.perfetto.dev). On its own it prints what
//! it did; with `RENACER_OUTPUT=jsonl:spans.jsonl` it also writes its spans.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;

#[renacer::trace]
fn write_config(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("demo.conf");
    let mut f = std::fs::File::create(&path)?;
    f.write_all(b"greeting = hello\nworkers = 2\n")?;
    f.sync_all()?;
    Ok(path)
}

#[renacer::trace]
fn load_config(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Sends `payload` to a loopback echo server and returns the echo.
#[renacer::trace]
fn tcp_roundtrip(payload: &[u8]) -> io::Result<Vec<u8>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::Builder::new()
        .name("echo-server".into())
        .spawn(move || serve_one(&listener))?;
    let mut client = TcpStream::connect(addr)?;
    client.write_all(payload)?;
    client.shutdown(std::net::Shutdown::Write)?;
    let mut echo = Vec::new();
    client.read_to_end(&mut echo)?;
    server
        .join()
        .map_err(|_| io::Error::other("echo server panicked"))??;
    Ok(echo)
}

#[renacer::trace]
fn serve_one(listener: &TcpListener) -> io::Result<()> {
    let (mut conn, _) = listener.accept()?;
    let mut buf = Vec::new();
    conn.read_to_end(&mut buf)?;
    conn.write_all(&buf)
}

/// One worker thread: writes its own file and reads it back.
#[renacer::trace]
fn worker(dir: &Path, n: u32) -> io::Result<usize> {
    let path = dir.join(format!("worker-{n}.txt"));
    std::fs::write(&path, format!("worker {n} was here\n").repeat(64))?;
    let back = std::fs::read(&path)?;
    std::fs::remove_file(&path)?;
    Ok(back.len())
}

#[renacer::trace]
fn run_workers(dir: &Path) -> io::Result<usize> {
    let handles: Vec<_> = (0..2u32)
        .map(|n| {
            let dir = dir.to_path_buf();
            thread::Builder::new()
                .name(format!("worker-{n}"))
                .spawn(move || worker(&dir, n))
        })
        .collect::<io::Result<_>>()?;
    let mut total = 0;
    for h in handles {
        total += h
            .join()
            .map_err(|_| io::Error::other("worker panicked"))??;
    }
    Ok(total)
}

/// Runs this program again as a child process and waits for it.
///
/// The child does not inherit `RENACER_OUTPUT`: its file sinks would
/// truncate the parent's files. Under the CLI the child still reports its
/// spans, through its own `<pid>.spool` in `RENACER_SPOOL`.
#[renacer::trace]
fn spawn_child(config: &Path) -> io::Result<()> {
    let status = Command::new(std::env::current_exe()?)
        .arg("child")
        .arg(config)
        .env_remove("RENACER_OUTPUT")
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("child failed: {status}")))
    }
}

/// The child's work: read the parent's config file.
#[renacer::trace]
fn child_main(config: &Path) -> io::Result<usize> {
    Ok(load_config(config)?.lines().count())
}

#[renacer::trace]
fn run() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("unified-demo-{}", std::process::id()));
    let path = write_config(&dir)?;
    let text = load_config(&path)?;
    let echo = tcp_roundtrip(text.as_bytes())?;
    if echo != text.as_bytes() {
        return Err(io::Error::other("echo differs from what was sent"));
    }
    println!("tcp: echoed {} bytes", echo.len());
    println!("workers: read back {} bytes", run_workers(&dir)?);
    spawn_child(&path)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn main() -> ExitCode {
    let _guard = renacer::init();
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("child") => match args.get(2) {
            Some(config) => {
                child_main(Path::new(config)).map(|n| println!("child: config has {n} lines"))
            }
            None => Err(io::Error::other("usage: unified-demo child CONFIG")),
        },
        Some(other) => Err(io::Error::other(format!(
            "unknown argument `{other}` (usage: unified-demo [child CONFIG])"
        ))),
        None => run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("unified-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
