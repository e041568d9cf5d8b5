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
    entries: Vec<LocalEntry>,
    /// The valid entries only (their order does not matter: f1 ORs them).
    valid: Vec<LocalEntry>,
}

impl Locality {
    pub fn new(n: u32) -> Locality {
        Locality {
            entries: vec![LocalEntry::default(); n as usize],
            valid: Vec::with_capacity(n as usize),
        }
    }

    pub fn reset(&mut self) {
        self.entries.fill(LocalEntry::default());
        self.valid.clear();
    }

    pub fn write(&mut self, i: usize, e: LocalEntry) {
        self.entries[i] = e;
        self.valid.clear();
        self.valid.extend(self.entries.iter().filter(|e| e.valid));
    }

    /// Is address `a` of family `ipv6` inside a valid entry?
    #[inline]
    pub fn is_local(&self, a: u128, ipv6: bool) -> bool {
        self.valid
            .iter()
            .any(|e| e.ipv6 == ipv6 && (a ^ e.addr) & e.mask == 0)
    }
}
