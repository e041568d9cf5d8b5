//! The cycle-accurate software model as a backend.

use super::{sim_access, Bar, BusError, Sim};
use gufc_hw_model::{Config, Model};
use gufc_regmap::{CycleIn, CycleOut, LookupResult, Mmio};

/// BAR0 of a [`Model`]: every register access is one clock edge of the model.
pub struct ModelBar {
    model: Model,
    held: Vec<LookupResult>,
}

impl ModelBar {
    /// A model device with `config`, or which parameter is out of range.
    pub fn new(config: Config) -> Result<Self, gufc_hw_model::ConfigError> {
        Ok(ModelBar {
            model: Model::new(config)?,
            held: Vec::new(),
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }
}

impl Bar for ModelBar {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        let model = &mut self.model;
        Ok(sim_access(
            &mut |i| model.step(i),
            &mut self.held,
            Mmio::Read { addr: off },
        ))
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        let model = &mut self.model;
        sim_access(
            &mut |i| model.step(i),
            &mut self.held,
            Mmio::Write {
                addr: off,
                data: val,
            },
        );
        Ok(())
    }
    fn name(&self) -> String {
        "model".into()
    }
}

impl Sim for ModelBar {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        self.model.step(input)
    }
    fn cycle(&self) -> u64 {
        self.model.cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        std::mem::take(&mut self.held)
    }
}
