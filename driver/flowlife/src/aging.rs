//! Idle timeouts per protocol and state, in seconds of the host clock (during `gufc replay`
//! the capture's timestamps). Defaults follow Linux conntrack's spirit, shortened where the
//! cache is the scarce resource.

use crate::conntrack::{State, TcpState};

/// Idle timeouts, in seconds, by protocol and connection state (defaults: docs/flow-life.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Timeouts {
    /// TCP before the handshake completes.
    pub tcp_handshake_s: u64,
    /// TCP with the handshake complete and no FIN yet.
    pub tcp_established_s: u64,
    /// TCP after a FIN in one direction.
    pub tcp_closing_s: u64,
    /// TCP after FIN both ways or RST (kept to absorb retransmissions, never cached).
    pub tcp_closed_s: u64,
    /// UDP before the first reply.
    pub udp_unreplied_s: u64,
    /// UDP after a reply.
    pub udp_replied_s: u64,
    /// ICMP and ICMPv6 query sessions, replied or not.
    pub icmp_s: u64,
    /// Any other protocol.
    pub other_s: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_handshake_s: 30,
            tcp_established_s: 300,
            tcp_closing_s: 30,
            tcp_closed_s: 10,
            udp_unreplied_s: 30,
            udp_replied_s: 120,
            icmp_s: 30,
            other_s: 60,
        }
    }
}

impl Timeouts {
    /// Idle timeout in nanoseconds for a connection of `proto` in `state`.
    pub fn idle_ns(&self, proto: u8, state: State) -> u64 {
        let s = match (proto, state) {
            (_, State::Tcp(TcpState::SynSent | TcpState::SynRecv)) => self.tcp_handshake_s,
            (_, State::Tcp(TcpState::Established)) => self.tcp_established_s,
            (_, State::Tcp(TcpState::Closing)) => self.tcp_closing_s,
            (_, State::Tcp(TcpState::Closed)) => self.tcp_closed_s,
            (1 | 58, _) => self.icmp_s,
            (17, State::Unreplied) => self.udp_unreplied_s,
            (17, State::Replied) => self.udp_replied_s,
            _ => self.other_s,
        };
        s * 1_000_000_000
    }
}
