//! The cycle-accurate software model as a backend.

use super::{Clocked, ClockedBar};
use gufc_hw_model::{Config, ConfigError, Model};
use gufc_regmap::{CycleIn, CycleOut};

impl Clocked for Model {
    const NAME: &'static str = "model";
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        Model::step(self, input)
    }
    fn cycle(&self) -> u64 {
        Model::cycle(self)
    }
}

/// BAR0 of a [`Model`]: every register access is one clock edge of the model.
pub type ModelBar = ClockedBar<Model>;

impl ModelBar {
    /// A model device with `config`, or which parameter is out of range.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Ok(ClockedBar::wrap(Model::new(config)?))
    }

    /// The model itself.
    pub fn model(&self) -> &Model {
        self.device()
    }
}
