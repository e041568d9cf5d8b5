//! What a subscriber still needs of a cached flow, and how several needs combine into the one
//! interest a hardware flow entry carries.

/// A subscriber's answer for one tuple about to be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Interest {
    /// Nothing: the flow can be fully offloaded.
    Nothing,
    /// Every packet.
    EveryPacket,
    /// Only TCP packets with SYN, FIN or RST.
    TcpControl,
    /// Every Nth packet (N ≥ 1) of the direction, by the entry's packet counter.
    Sample(u16),
    /// Only the counts: the entry's hardware counters, read at expiry or on demand.
    Count,
}

/// The interest a flow entry carries in hardware (FLOW_INTEREST.MODE/PERIOD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum HwInterest {
    /// MODE NONE: the entry sends no packet to the host.
    #[default]
    None,
    /// MODE EVERY_PACKET: every hit goes to the host (reason INTEREST_ALL).
    All,
    /// MODE TCP_CTRL: TCP packets with SYN, FIN or RST go to the host (reason INTEREST_CTRL).
    TcpCtrl,
    /// MODE SAMPLE with this PERIOD: a hit goes to the host when the entry's packet count,
    /// this packet included, is a multiple of it (reason INTEREST_SAMPLE). Never below 2 when
    /// made by [`Interest::hw`] or [`HwInterest::merge`].
    Sample(u16),
}

fn gcd(a: u16, b: u16) -> u16 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Interest {
    /// The interest a hardware entry needs to serve this one subscriber.
    pub fn hw(self) -> HwInterest {
        match self {
            Interest::Nothing | Interest::Count => HwInterest::None,
            Interest::EveryPacket | Interest::Sample(0) | Interest::Sample(1) => HwInterest::All,
            Interest::TcpControl => HwInterest::TcpCtrl,
            Interest::Sample(n) => HwInterest::Sample(n),
        }
    }

    /// Does this subscriber want a packet with these TCP flags that is number `nth` (1-based)
    /// of its flow entry's direction?
    pub fn wants(self, tcp_ctrl: bool, nth: u64) -> bool {
        match self {
            Interest::Nothing | Interest::Count => false,
            Interest::EveryPacket => true,
            Interest::TcpControl => tcp_ctrl,
            Interest::Sample(n) => n <= 1 || nth.is_multiple_of(n as u64),
        }
    }
}

impl HwInterest {
    /// The smallest hardware interest that delivers every packet either one selects: equal
    /// kinds merge (samples at the gcd of their periods, whose multiples include both), and
    /// two different kinds need every packet.
    pub fn merge(self, other: HwInterest) -> HwInterest {
        use HwInterest::*;
        match (self, other) {
            (None, x) | (x, None) => x,
            (All, _) | (_, All) => All,
            (TcpCtrl, TcpCtrl) => TcpCtrl,
            (Sample(a), Sample(b)) => match gcd(a, b) {
                1 => All,
                g => Sample(g),
            },
            _ => All,
        }
    }

    /// Combines every subscriber's answer.
    pub fn combine(answers: impl IntoIterator<Item = Interest>) -> HwInterest {
        answers
            .into_iter()
            .fold(HwInterest::None, |acc, i| acc.merge(i.hw()))
    }

    /// The device's form of this interest.
    pub fn to_device(self) -> gufc::device::FlowInterest {
        use gufc::device::FlowInterest;
        match self {
            HwInterest::None => FlowInterest::None,
            HwInterest::All => FlowInterest::All,
            HwInterest::TcpCtrl => FlowInterest::TcpCtrl,
            HwInterest::Sample(n) => FlowInterest::Sample(n),
        }
    }

    /// FLOW_INTEREST.MODE and PERIOD.
    pub fn mode_period(self) -> (u32, u32) {
        match self {
            HwInterest::None => (0, 0),
            HwInterest::All => (1, 0),
            HwInterest::TcpCtrl => (2, 0),
            HwInterest::Sample(n) => (3, n as u32),
        }
    }

    /// Whether the hardware would send this packet of the flow to the host: `ctrl` = it has
    /// SYN, FIN or RST; `count` = the entry's packet counter after this packet.
    pub fn selects(self, ctrl: bool, count: u64) -> bool {
        match self {
            HwInterest::None => false,
            HwInterest::All => true,
            HwInterest::TcpCtrl => ctrl,
            HwInterest::Sample(n) => n != 0 && count.is_multiple_of(n as u64),
        }
    }
}

impl std::fmt::Display for HwInterest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HwInterest::None => write!(f, "none (full offload)"),
            HwInterest::All => write!(f, "every packet"),
            HwInterest::TcpCtrl => write!(f, "TCP SYN/FIN/RST"),
            HwInterest::Sample(n) => write!(f, "every {n}th packet"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combination_is_the_smallest_superset() {
        use Interest::*;
        assert_eq!(HwInterest::combine([Nothing, Count]), HwInterest::None);
        assert_eq!(
            HwInterest::combine([Nothing, TcpControl]),
            HwInterest::TcpCtrl
        );
        assert_eq!(
            HwInterest::combine([Sample(4), Sample(6)]),
            HwInterest::Sample(2)
        );
        assert_eq!(HwInterest::combine([Sample(4), Sample(3)]), HwInterest::All);
        assert_eq!(
            HwInterest::combine([TcpControl, Sample(8)]),
            HwInterest::All
        );
        assert_eq!(
            HwInterest::combine([Count, EveryPacket, Nothing]),
            HwInterest::All
        );
        assert_eq!(HwInterest::combine([]), HwInterest::None);
        // Every packet either sample wants is selected by the combination.
        let c = HwInterest::combine([Sample(4), Sample(6)]);
        for n in 1..100u64 {
            if n % 4 == 0 || n % 6 == 0 {
                assert!(c.selects(false, n), "packet {n}");
            }
        }
    }
}
