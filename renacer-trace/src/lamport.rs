//! Lamport clocks (and tree depths) from the causal graph of a merged trace.
//!
//! Every item has at most two causal predecessors: its parent (a child starts
//! after its parent: this is also how a fork reaches the child process, whose
//! span is a child of the forking syscall) and the previous item of the same
//! thread (program order). The clock of an item is one more than the largest
//! clock of its predecessors, i.e. the length of the longest causal chain
//! ending at it. Wall clocks are never compared across threads or processes,
//! so clocks skewed between machines cannot reorder cause and effect.
//!
//! Computed with an iterative depth-first walk, O(n), no recursion (traces
//! are deep). An edge that would close a cycle (inconsistent input) is
//! ignored and counted instead of looping or panicking.

/// "No predecessor" in the index arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// Result of [`assign`].
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Clocks {
    /// Lamport clock per item, 1 for items without predecessors.
    pub lamport: Vec<u64>,
    /// Depth per item along (unbroken) parent edges, 0 for roots.
    pub depth: Vec<u32>,
    /// Edges ignored because they closed a cycle.
    pub cycles_broken: u64,
    /// Per item, whether its parent edge was one of the ignored ones.
    pub parent_broken: Vec<bool>,
}

/// Assigns clocks given each item's `parent` and program-order predecessor
/// `prev` (indices into the same arrays, or [`NONE`]).
pub(crate) fn assign(parent: &[u32], prev: &[u32]) -> Clocks {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let n = parent.len();
    assert_eq!(n, prev.len(), "parent and prev describe the same items");
    let mut state = vec![WHITE; n];
    let mut lamport = vec![0u64; n];
    let mut depth = vec![0u32; n];
    // Bit 0: parent edge broken, bit 1: prev edge broken.
    let mut broken = vec![0u8; n];
    let mut cycles = 0u64;
    let mut stack: Vec<u32> = Vec::new();
    for root in 0..n {
        if state[root] != WHITE {
            continue;
        }
        stack.push(root as u32);
        'walk: while let Some(&t) = stack.last() {
            let t = t as usize;
            state[t] = GREY;
            for (bit, p) in [(1u8, parent[t]), (2u8, prev[t])] {
                if p == NONE || broken[t] & bit != 0 {
                    continue;
                }
                let p = p as usize;
                match state.get(p) {
                    Some(&WHITE) => {
                        stack.push(p as u32);
                        continue 'walk;
                    }
                    Some(&GREY) | None => {
                        // On the current path (or out of range): a cycle.
                        broken[t] |= bit;
                        cycles += 1;
                    }
                    Some(_) => {}
                }
            }
            let mut l = 0;
            if parent[t] != NONE && broken[t] & 1 == 0 {
                l = lamport[parent[t] as usize];
                depth[t] = depth[parent[t] as usize] + 1;
            }
            if prev[t] != NONE && broken[t] & 2 == 0 {
                l = l.max(lamport[prev[t] as usize]);
            }
            lamport[t] = l + 1;
            state[t] = BLACK;
            stack.pop();
        }
    }
    Clocks {
        lamport,
        depth,
        cycles_broken: cycles,
        parent_broken: broken.iter().map(|b| b & 1 != 0).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_and_fork_get_increasing_clocks() {
        // 0 root; 1, 2 children of 0 in program order; 3 child of 1.
        let c = assign(&[NONE, 0, 0, 1], &[NONE, NONE, 1, NONE]);
        assert_eq!(c.lamport, [1, 2, 3, 3]);
        assert_eq!(c.depth, [0, 1, 1, 2]);
        assert_eq!(c.cycles_broken, 0);
    }

    #[test]
    fn cycles_are_broken_not_followed() {
        let c = assign(&[1, 0], &[NONE, NONE]);
        assert_eq!(c.cycles_broken, 1);
        assert!(c.lamport.iter().all(|&l| l >= 1));
        let c = assign(&[0], &[0]);
        assert_eq!(c.cycles_broken, 2);
        assert_eq!(c.lamport, [1]);
    }
}
