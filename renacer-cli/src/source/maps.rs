//! `/proc/PID/maps`: which file is mapped where in a tracee.

use std::io;

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Offset in the file of `start`.
    pub offset: u64,
    /// Mapped with `x`.
    pub executable: bool,
    /// The file, `[vdso]`-style pseudo names, or empty (anonymous). A
    /// deleted file keeps the kernel's ` (deleted)` suffix.
    pub path: String,
}

/// Parse the text of `/proc/PID/maps`; malformed lines are skipped.
pub(super) fn parse(text: &str) -> Vec<Mapping> {
    text.lines().filter_map(parse_line).collect()
}

/// Read and parse `/proc/PID/maps`.
pub(super) fn read(pid: i32) -> io::Result<Vec<Mapping>> {
    std::fs::read_to_string(format!("/proc/{pid}/maps")).map(|t| parse(&t))
}

// `55d4c6a00000-55d4c6a02000 r-xp 00002000 08:01 1234567    /usr/bin/cat`
fn parse_line(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?;
    let offset = fields.next()?;
    let _dev = fields.next()?;
    let _inode = fields.next()?;
    let path = fields.next().unwrap_or("").trim_start();
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        offset: u64::from_str_radix(offset, 16).ok()?,
        executable: perms.as_bytes().get(2) == Some(&b'x'),
        path: path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_paths_spaces_and_pseudo_files() {
        let m = parse(
            "55d4c6a00000-55d4c6a02000 r-xp 00002000 08:01 1234567    /usr/bin/my prog\n\
             7ffd1b3f0000-7ffd1b3f2000 r-xp 00000000 00:00 0                          [vdso]\n\
             7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n\
             garbage\n",
        );
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0],
            Mapping {
                start: 0x55d4c6a00000,
                end: 0x55d4c6a02000,
                offset: 0x2000,
                executable: true,
                path: "/usr/bin/my prog".into(),
            }
        );
        assert_eq!(m[1].path, "[vdso]");
        assert!(!m[2].executable && m[2].path.is_empty());
    }

    #[test]
    fn own_maps_include_this_executable() {
        let exe = std::env::current_exe().unwrap();
        let maps = read(std::process::id() as i32).unwrap();
        assert!(maps
            .iter()
            .any(|m| m.executable && m.path == exe.to_str().unwrap()));
    }
}
