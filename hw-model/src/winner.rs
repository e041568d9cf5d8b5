//! Which of several matching TCAM entries wins, as one total order ("rank") over entries.
//!
//! Every lookup path (the scan, the index, the entries kept beside it) ranks entries only
//! through [`rank`], so the winner rule is defined in one place. RTL 1.x: highest PRIO, ties to
//! the lowest index. RTL 2.0 will use the lowest index among the plane's matching entries (the
//! driver orders a plane by priority); switching is the one line in [`RULE`].

/// The winner rules the hardware generations use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // LowestIndex is RTL 2.0's rule, selected when the model moves to it
pub(crate) enum WinnerRule {
    /// RTL 1.x: highest PRIO wins, ties go to the lowest index.
    PrioThenIndex,
    /// RTL 2.0: the lowest index wins, PRIO is not compared.
    LowestIndex,
}

/// The rule this model implements.
pub(crate) const RULE: WinnerRule = WinnerRule::PrioThenIndex;

/// Entry `i` with priority `prio` under [`RULE`]: of two matching entries the lower rank wins.
/// Ranks of different entries always differ (the index is part of every rank).
#[inline]
pub(crate) fn rank(prio: u16, i: u32) -> u64 {
    match RULE {
        WinnerRule::PrioThenIndex => (u64::from(u16::MAX - prio) << 32) | u64::from(i),
        WinnerRule::LowestIndex => u64::from(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RTL 1.x: the higher PRIO wins whatever the indexes; equal PRIO goes to the lower index.
    #[test]
    fn rule_1x_prio_then_lowest_index() {
        assert_eq!(RULE, WinnerRule::PrioThenIndex);
        assert!(rank(7, 900) < rank(6, 1));
        assert!(rank(u16::MAX, u32::MAX) < rank(u16::MAX - 1, 0));
        assert!(rank(5, 3) < rank(5, 4));
        assert!(rank(0, 0) < rank(0, 1));
    }
}
