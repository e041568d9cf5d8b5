//! Build-time parameters of a Verilated configuration.

/// The device parameters; the capability registers report them. Same fields as
/// `gufc_hw_model::Config`, so a test can build both from one description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// TCAM rule entries N.
    pub tcam_entries: u32,
    /// Flow-cache buckets B (a power of two).
    pub flow_buckets: u32,
    /// Entries per bucket W.
    pub flow_ways: u32,
    /// Channels.
    pub channels: u32,
    /// Locality-table entries L.
    pub local_entries: u32,
}

impl Config {
    /// Flow-cache slots M = B x W.
    pub fn flow_slots(&self) -> u32 {
        self.flow_buckets * self.flow_ways
    }
}

impl std::fmt::Display for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "N={} B={} W={} channels={} L={}",
            self.tcam_entries, self.flow_buckets, self.flow_ways, self.channels, self.local_entries
        )
    }
}
