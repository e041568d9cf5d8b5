//! The locality table: which addresses are "ours" (docs/timing.md, f1).

/// One locality entry, written by LOCAL_WRITE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LocalEntry {
    pub valid: bool,
    pub ipv6: bool,
    pub addr: u128,
    pub mask: u128,
}

pub(crate) struct Locality {
    pub entries: Vec<LocalEntry>,
}

impl Locality {
    pub fn new(n: u32) -> Locality {
        Locality {
            entries: vec![LocalEntry::default(); n as usize],
        }
    }

    pub fn reset(&mut self) {
        self.entries.fill(LocalEntry::default());
    }

    /// Is address `a` of family `ipv6` inside a valid entry?
    pub fn is_local(&self, a: u128, ipv6: bool) -> bool {
        self.entries
            .iter()
            .any(|e| e.valid && e.ipv6 == ipv6 && (a ^ e.addr) & e.mask == 0)
    }
}
