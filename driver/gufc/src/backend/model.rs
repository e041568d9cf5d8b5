//! The cycle-accurate software model as a backend.

use super::{Clocked, ClockedBar};
use gufc_hw_model::{Config, ConfigError, Model};
use gufc_regmap::{CycleIn, CycleOut, KeyIn};

impl Clocked for Model {
    const NAME: &'static str = "model";
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        Model::step(self, input)
    }
    fn cycle(&self) -> u64 {
        Model::cycle(self)
    }
    fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        Model::step_keys(self, keys, on_out)
    }
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        Model::set_lookup_threads(self, threads);
        true
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

    /// The model itself, to change how it computes (fast path, lookup threads); never its
    /// state.
    pub fn model_mut(&mut self) -> &mut Model {
        self.device_mut()
    }
}
