//! The `--source` accuracy corpus, Rust side (compiled by tests/source.rs at
//! opt-level 0 to 3 with line tables). Every syscall made on purpose names
//! `renacer-mark/NN` in its arguments; the line that makes it carries the
//! comment `@mark NN`, which is the ground truth the test reads.

use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;

#[inline(never)]
fn open_at(p: &str) -> bool {
    fs::File::open(p).is_ok() // @mark 05 06
}

fn small_inlined(p: &str) -> bool {
    Path::new(p).exists() // @mark 07
}

fn generic<P: AsRef<Path>>(p: P) -> bool {
    fs::metadata(p).is_ok() // @mark 08 09
}

struct Logger {
    f: fs::File,
}

impl Logger {
    fn log(&mut self, line: &str) {
        self.f.write_all(line.as_bytes()).unwrap(); // @mark 12 13
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("exec") {
        let _ = fs::metadata("/nonexistent/renacer-mark/20"); // @mark 20
        return;
    }
    let _ = fs::metadata("/nonexistent/renacer-mark/01"); // @mark 01
    let _ = fs::read("/nonexistent/renacer-mark/02"); // @mark 02
    let _ = fs::create_dir("/nonexistent/renacer-mark/03"); // @mark 03
    let _ = fs::remove_file("/nonexistent/renacer-mark/04"); // @mark 04
    open_at("/nonexistent/renacer-mark/05");
    open_at("/nonexistent/renacer-mark/06");
    small_inlined("/nonexistent/renacer-mark/07");
    generic("/nonexistent/renacer-mark/08");
    generic(String::from("/nonexistent/renacer-mark/09"));
    let _ = fs::read_link("/nonexistent/renacer-mark/10"); // @mark 10
    let _ = fs::read_dir("/nonexistent/renacer-mark/11"); // @mark 11
    let null = fs::OpenOptions::new().write(true).open("/dev/null");
    let mut log = Logger { f: null.unwrap() };
    log.log("renacer-mark/12\n");
    log.log("renacer-mark/13\n");
    std::thread::spawn(|| fs::metadata("/nonexistent/renacer-mark/14").is_ok()) // @mark 14
        .join()
        .unwrap();
    let found = (15..18)
        .filter(|i| fs::metadata(format!("/nonexistent/renacer-mark/{i}")).is_ok()) // @mark 15 16 17
        .count();
    assert_eq!(found, 0);
    // A forked child (pre_exec runs between fork and exec), then an exec
    // of this program: both are traced with -f.
    let mut child = std::process::Command::new("/bin/true");
    // SAFETY: the closure only makes a system call; this process has no
    // other threads left (the one above was joined).
    unsafe {
        child.pre_exec(|| {
            let _ = fs::metadata("/nonexistent/renacer-mark/18"); // @mark 18
            Ok(())
        })
    };
    child.status().unwrap();
    let me = std::env::current_exe().unwrap();
    let st = std::process::Command::new(me).arg("exec").status().unwrap();
    assert!(st.success());
    let _ = fs::metadata("/nonexistent/renacer-mark/19"); // @mark 19
}
