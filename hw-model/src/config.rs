//! Build-time parameters of a device and their legal ranges.

use std::fmt;

/// Build-time parameters of a device; the capability registers report them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// TCAM rule entries N (1..=65536).
    pub tcam_entries: u32,
    /// Flow-cache buckets B, a power of two (1..=2^20).
    pub flow_buckets: u32,
    /// Entries per bucket W (1..=8).
    pub flow_ways: u32,
    /// Channels (1..=256).
    pub channels: u32,
    /// Locality-table entries L (1..=255).
    pub local_entries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tcam_entries: 16384,
            flow_buckets: 4096,
            flow_ways: 8,
            channels: 16,
            local_entries: 16,
        }
    }
}

/// A [`Config`] parameter outside the range the hardware can be built with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field of [`Config`] that is out of range.
    pub parameter: &'static str,
    /// The value given.
    pub value: u32,
    /// What the parameter must be, in words.
    pub allowed: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "model config: {} = {} is out of range (must be {})",
            self.parameter, self.value, self.allowed
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Checks every parameter against the range the RTL supports.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |parameter, value: u32, ok: bool, allowed| {
            if ok {
                Ok(())
            } else {
                Err(ConfigError {
                    parameter,
                    value,
                    allowed,
                })
            }
        };
        let n = self.tcam_entries;
        check("tcam_entries", n, (1..=65536).contains(&n), "1..=65536")?;
        let b = self.flow_buckets;
        check(
            "flow_buckets",
            b,
            b.is_power_of_two() && b <= 1 << 20,
            "a power of two in 1..=1048576",
        )?;
        let w = self.flow_ways;
        check("flow_ways", w, (1..=8).contains(&w), "1..=8")?;
        let c = self.channels;
        check("channels", c, (1..=256).contains(&c), "1..=256")?;
        let l = self.local_entries;
        check("local_entries", l, (1..=255).contains(&l), "1..=255")?;
        Ok(())
    }

    /// Flow-cache entries M = B × W.
    pub fn flow_entries(&self) -> u32 {
        self.flow_buckets * self.flow_ways
    }
}
