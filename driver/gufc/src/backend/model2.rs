//! The RTL 2.0 model (`gufc_hw_model::v2::top::Top`) as a backend: the same BAR0 as the 2.0
//! device, one clock edge per register access.

use super::{Clocked, ClockedBar};
use gufc_hw_model::v2::rule_stage::RuleStageConfig;
use gufc_hw_model::v2::top::{Top, TopConfig};
use gufc_hw_model::{Config, ConfigError};
use gufc_regmap::{CycleIn, CycleOut};

impl Clocked for Top {
    const NAME: &'static str = "model2";
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        Top::step(self, input)
    }
    fn cycle(&self) -> u64 {
        Top::cycle(self)
    }
}

/// BAR0 of a 2.0 [`Top`]: every register access is one clock edge of the model.
pub type Model2Bar = ClockedBar<Top>;

impl Model2Bar {
    /// A 2.0 model sized like the 1.x `config` (entries, buckets, ways, channels, locality
    /// entries), the rule stage's other parameters at their defaults (16 checkers, 6 flag bits).
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::check(&config)?;
        Ok(ClockedBar::wrap(Top::new(TopConfig::sized(&config))))
    }

    /// Whether `config` sizes a 2.0 device (also the NIC's classifier), without building one.
    pub fn check(config: &Config) -> Result<(), ConfigError> {
        config.validate()?;
        if !(config.tcam_entries as usize).is_multiple_of(RuleStageConfig::default().bank) {
            return Err(ConfigError {
                parameter: "tcam_entries",
                value: config.tcam_entries,
                allowed: "a multiple of 64 (the 2.0 rule stage's bank)",
            });
        }
        Ok(())
    }
}
