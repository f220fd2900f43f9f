//! `-u USER`: the identity a launched command runs as, resolved from the
//! password and group databases before the fork (the child may only make
//! syscalls between fork and execve).

use std::ffi::CString;

/// `-u USER` resolved before the fork (the child may only make syscalls):
/// the user's uid, primary gid and supplementary groups.
#[derive(Debug, Clone)]
pub(crate) struct RunAs {
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub groups: Vec<libc::gid_t>,
}

impl RunAs {
    /// Looks `user` up in the password and group databases.
    pub(crate) fn lookup(user: &str) -> Result<RunAs, String> {
        let name = CString::new(user).map_err(|_| format!("invalid user name '{user}'"))?;
        // SAFETY: a zeroed passwd is a valid out-struct; the buffer outlives
        // the call; `found` is set by the call.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: all pointers are valid for the call.
        let r = unsafe {
            libc::getpwnam_r(
                name.as_ptr(),
                &mut pw,
                buf.as_mut_ptr(),
                buf.len(),
                &mut found,
            )
        };
        if r != 0 || found.is_null() {
            return Err(format!("cannot find user '{user}'"));
        }
        let mut groups = vec![0 as libc::gid_t; 256];
        let mut n = groups.len() as libc::c_int;
        // SAFETY: `groups` holds `n` entries; the name is NUL-terminated.
        let r =
            unsafe { libc::getgrouplist(name.as_ptr(), pw.pw_gid, groups.as_mut_ptr(), &mut n) };
        groups.truncate(if r < 0 { 0 } else { n as usize });
        Ok(RunAs {
            uid: pw.pw_uid,
            gid: pw.pw_gid,
            groups,
        })
    }
}
