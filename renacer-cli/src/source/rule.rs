//! Which frames are the traced program's own code: the first such frame
//! of a syscall's stack is its `--source` location.
//!
//! A frame is **not** the program's own when
//! * its object is a system library (under `/lib*`, `/usr/lib*`,
//!   `/usr/libexec`), the vDSO or the dynamic loader — the program's main
//!   executable never is, wherever it is installed;
//! * its source file is the Rust standard library (`/rustc/<hash>/…` in
//!   rustup's builds, `…/lib/rustlib/src/…` with `rust-src`) or a crate
//!   from a cargo registry or git checkout (`…/registry/src/…`,
//!   `…/.cargo/git/…`) — dependencies the program did not write;
//! * it matches `--source-skip=REGEX` (file path or function name).

use regex::Regex;

use super::object::SymFrame;

/// Source files the program did not write.
const NOT_OWN_FILES: &str = r"^/rustc/[0-9a-f]+/|/lib/rustlib/src/|/registry/src/[^/]+/|/\.cargo/git/checkouts/|/\.rustup/toolchains/";

/// Directories of system libraries.
const SYSTEM_DIRS: [&str; 7] = [
    "/lib/",
    "/lib32/",
    "/lib64/",
    "/usr/lib/",
    "/usr/lib32/",
    "/usr/lib64/",
    "/usr/libexec/",
];

/// The rule, with the user's `--source-skip`.
pub(crate) struct Rule {
    files: Regex,
    extra: Option<Regex>,
}

impl Rule {
    /// The default rule plus `skip` (a `--source-skip` regex).
    pub(crate) fn new(skip: Option<Regex>) -> Rule {
        Rule {
            files: Regex::new(NOT_OWN_FILES).expect("valid built-in regex"),
            extra: skip,
        }
    }

    /// Whether an object (not the main executable) is a system library.
    pub(super) fn is_system_object(path: &str) -> bool {
        path.starts_with('[') || SYSTEM_DIRS.iter().any(|d| path.starts_with(d))
    }

    /// Whether a frame with line information is the program's own code.
    pub(super) fn is_own(&self, f: &SymFrame) -> bool {
        let Some(file) = f.file.as_deref() else {
            return false;
        };
        if self.files.is_match(file) {
            return false;
        }
        match &self.extra {
            Some(re) => {
                !re.is_match(file) && !f.function.as_deref().is_some_and(|n| re.is_match(n))
            }
            None => true,
        }
    }

    /// Whether a function name (a frame without line information) passes
    /// `--source-skip`.
    pub(super) fn is_own_symbol(&self, name: &str) -> bool {
        !self.extra.as_ref().is_some_and(|re| re.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(file: &str, function: &str) -> SymFrame {
        SymFrame {
            function: Some(function.into()),
            file: Some(file.into()),
            line: Some(1),
        }
    }

    #[test]
    fn std_and_registry_frames_are_not_the_programs() {
        let r = Rule::new(None);
        assert!(!r.is_own(&frame(
            "/rustc/4a4ef493e3a1488c6e321570238084b38948f6db/library/std/src/fs.rs",
            "std::fs::write"
        )));
        assert!(!r.is_own(&frame(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde-1.0.0/src/de.rs",
            "serde::de::f"
        )));
        assert!(!r.is_own(&frame(
            "/home/u/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/src/rust/library/core/src/ptr.rs",
            "core::ptr::drop"
        )));
        assert!(r.is_own(&frame("/work/app/src/main.rs", "app::main")));
        assert!(!r.is_own(&SymFrame {
            function: Some("f".into()),
            file: None,
            line: None
        }));
    }

    #[test]
    fn source_skip_matches_file_or_function() {
        let r = Rule::new(Some(Regex::new("vendor/|^mylog::").unwrap()));
        assert!(!r.is_own(&frame("/work/app/vendor/x.rs", "x::f")));
        assert!(!r.is_own(&frame("/work/app/src/log.rs", "mylog::write")));
        assert!(r.is_own(&frame("/work/app/src/main.rs", "app::main")));
        assert!(!r.is_own_symbol("mylog::write"));
        assert!(r.is_own_symbol("main"));
    }

    #[test]
    fn system_objects() {
        assert!(Rule::is_system_object(
            "/usr/lib/x86_64-linux-gnu/libc.so.6"
        ));
        assert!(Rule::is_system_object("/lib64/ld-linux-x86-64.so.2"));
        assert!(Rule::is_system_object("[vdso]"));
        assert!(!Rule::is_system_object("/work/app/target/debug/app"));
        assert!(!Rule::is_system_object("/opt/app/libplugin.so"));
    }
}
