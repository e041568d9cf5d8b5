//! The C ABI of the Verilated models (sim/csrc/shim.inc). All `unsafe` of the crate is here.

use std::ffi::{c_char, c_void, CString};
use std::path::Path;

use crate::Config;
use gufc_regmap::KEY_WORDS;

/// One cycle's inputs and outputs; layout identical to `struct gufc_io` in csrc/gufc_io.h.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RtlIo {
    pub rst: u32,
    pub mmio_valid: u32,
    pub mmio_write: u32,
    pub mmio_addr: u32,
    pub mmio_wdata: u32,
    pub key_valid: u32,
    pub key_data: [u32; KEY_WORDS],
    pub key_len: u32,
    pub key_tag: u32,
    pub key_flags: u32,
    pub res_ready: u32,
    pub dump: u32,
    pub key_ready: u32,
    pub res_valid: u32,
    pub res_verdict: u32,
    pub res_channel: u32,
    pub res_reason: u32,
    pub res_kind: u32,
    pub res_stale: u32,
    pub res_src_local: u32,
    pub res_dst_local: u32,
    pub res_index: u32,
    pub res_len: u32,
    pub res_tag: u32,
    pub mmio_rdata: u32,
}

/// The entry points of one Verilated configuration.
pub(crate) struct VTable {
    new: unsafe extern "C" fn(u32) -> *mut c_void,
    step: unsafe extern "C" fn(*mut c_void, *mut RtlIo),
    trace_open: unsafe extern "C" fn(*mut c_void, *const c_char) -> i32,
    trace_close: unsafe extern "C" fn(*mut c_void),
    free: unsafe extern "C" fn(*mut c_void),
}

pub(crate) struct Built {
    pub name: &'static str,
    /// RTL 2.0 (rtl/v2/gufc_top.v) rather than 1.x.
    pub v2: bool,
    pub config: Config,
    vt: VTable,
}

include!(concat!(env!("OUT_DIR"), "/configs.rs"));

pub(crate) fn built() -> &'static [Built] {
    BUILT
}

/// An owned Verilated model instance, already reset once.
pub(crate) struct Instance {
    handle: *mut c_void,
    vt: &'static VTable,
}

// SAFETY: the instance (a VerilatedContext plus its model, built with one eval thread) is plain
// heap data owned by this handle; it is only touched through `&mut self`, so moving it to another
// thread and using it there one call at a time is sound.
unsafe impl Send for Instance {}

impl Instance {
    pub fn new(b: &'static Built, traceable: bool) -> Instance {
        // SAFETY: `new` has no preconditions; it returns a fresh, non-null heap instance (C++
        // `new` aborts rather than returning null).
        let handle = unsafe { (b.vt.new)(traceable as u32) };
        assert!(
            !handle.is_null(),
            "Verilated model {} could not be created",
            b.name
        );
        Instance { handle, vt: &b.vt }
    }

    pub fn step(&mut self, io: &mut RtlIo) {
        // SAFETY: `handle` is live (freed only in Drop) and `io` is a valid, exclusive RtlIo with
        // the C layout of `gufc_io`.
        unsafe { (self.vt.step)(self.handle, io) }
    }

    /// Starts a VCD at `path`; fails if the instance was not created traceable or the file
    /// cannot be opened.
    pub fn trace_open(&mut self, path: &Path) -> Result<(), i32> {
        let c = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| -3)?;
        // SAFETY: live handle; `c` is a NUL-terminated string that outlives the call (the shim
        // copies the name).
        let rc = unsafe { (self.vt.trace_open)(self.handle, c.as_ptr()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(rc)
        }
    }

    pub fn trace_close(&mut self) {
        // SAFETY: live handle; closing without an open trace is a no-op in the shim.
        unsafe { (self.vt.trace_close)(self.handle) }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: the handle came from `new`, is freed exactly once here and never used after.
        unsafe { (self.vt.free)(self.handle) }
    }
}
