//! The model served over vfio-user inside the test process: the driver's register accesses
//! go driver → `VfioUserBar` → socket → `gufc::vfio_user::Server` → model, as they would from
//! another process or a VM. Keys reach the same model directly: the served PCI device has no
//! packet path yet (frames by DMA are the next phase), so the key port stays in-process.

use std::sync::{Arc, Mutex, MutexGuard};

use gufc::backend::{Bar, BusError, ModelBar, Sim};
use gufc::vfio_user::{ServeOptions, Server, VfioUserBar};
use gufc_hw_model::Config;
use gufc_regmap::{CycleIn, CycleOut, KeyIn, LookupResult};

/// The model, shared by the server thread (BAR0) and the test (key port).
#[derive(Clone)]
struct Shared(Arc<Mutex<ModelBar>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ModelBar> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Bar for Shared {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        self.lock().read32(off)
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.lock().write32(off, val)
    }
    fn name(&self) -> String {
        "model".into()
    }
}

/// A served model seen through vfio-user: [`Bar`] over the socket, [`Sim`] on the model.
pub struct Served {
    bar: VfioUserBar,
    model: Shared,
    _dir: tempfile::TempDir,
}

/// Serves a fresh model with `c` on a socket in a temporary directory and connects to it.
/// The server thread outlives the client; it waits for the next client until the test ends.
pub fn serve(c: Config) -> Served {
    let vectors = c.channels.clamp(1, 256) as u16;
    let model = Shared(Arc::new(Mutex::new(
        ModelBar::new(c).expect("valid model config"),
    )));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gufc.sock");
    let mut server = Server::bind(&path, ServeOptions { vectors, log: true }).expect("socket");
    let mut dev = model.clone();
    std::thread::spawn(move || server.run(&mut dev));
    let bar = VfioUserBar::open(&path, false).unwrap_or_else(|e| panic!("{e}"));
    Served {
        bar,
        model,
        _dir: dir,
    }
}

impl Bar for Served {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        self.bar.read32(off)
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.bar.write32(off, val)
    }
    fn name(&self) -> String {
        self.bar.name()
    }
}

impl Sim for Served {
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        self.model.lock().step(input)
    }
    fn cycle(&self) -> u64 {
        self.model.lock().cycle()
    }
    fn take_results(&mut self) -> Vec<LookupResult> {
        self.model.lock().take_results()
    }
    fn step_keys(&mut self, keys: &[KeyIn], on_out: &mut dyn FnMut(&CycleOut)) -> usize {
        self.model.lock().step_keys(keys, on_out)
    }
    fn set_lookup_threads(&mut self, threads: usize) -> bool {
        self.model.lock().set_lookup_threads(threads)
    }
}
