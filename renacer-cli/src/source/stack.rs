//! The tracee's stack, read a page at a time while one stack is unwound:
//! a typical unwind touches one to three pages, so it costs that many
//! `process_vm_readv` calls rather than one per word.

use crate::decode::Mem;

const PAGE: u64 = 4096;
/// Pages read at most per unwind (a deeper stack is cut there).
const MAX_PAGES: usize = 64;

/// Stack pages of one thread, for one unwind.
pub(super) struct Stack {
    mem: Mem,
    pages: Vec<(u64, Box<[u8]>)>,
}

impl Stack {
    pub(super) fn new(tid: i32) -> Stack {
        Stack {
            mem: Mem::of(tid),
            pages: Vec::new(),
        }
    }

    fn page(&mut self, base: u64) -> Option<&[u8]> {
        let i = match self.pages.iter().position(|(b, _)| *b == base) {
            Some(i) => i,
            None => {
                if self.pages.len() >= MAX_PAGES {
                    return None;
                }
                let bytes = self.mem.read(base, PAGE as usize)?;
                self.pages.push((base, bytes.into_boxed_slice()));
                self.pages.len() - 1
            }
        };
        Some(&self.pages[i].1)
    }

    /// The little-endian word at `addr`; `Err` when unreadable (framehop's
    /// signal that the stack ends).
    pub(super) fn word(&mut self, addr: u64) -> Result<u64, ()> {
        let mut out = [0u8; 8];
        for (k, byte) in out.iter_mut().enumerate() {
            let a = addr.checked_add(k as u64).ok_or(())?;
            let page = self.page(a & !(PAGE - 1)).ok_or(())?;
            *byte = page[(a % PAGE) as usize];
        }
        Ok(u64::from_le_bytes(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_words_across_a_page_boundary() {
        let buf: Vec<u8> = (0..3 * PAGE).map(|i| (i % 251) as u8).collect();
        let base = buf.as_ptr() as u64;
        let mut s = Stack::new(std::process::id() as i32);
        // A word that straddles two pages somewhere in the buffer.
        let boundary = (base + PAGE) & !(PAGE - 1);
        let at = boundary - 3;
        let i = (at - base) as usize;
        let want = u64::from_le_bytes(buf[i..i + 8].try_into().unwrap());
        assert_eq!(s.word(at), Ok(want));
        assert_eq!(s.word(u64::MAX - 2), Err(()));
    }
}
