//! Host memory the device may DMA into, mapped at a chosen IOVA in the device's IOMMU domain.
//!
//! The memory is a vm-memory [`MmapRegion`], which hands out volatile accessors only, never
//! Rust references: the device reads and writes it behind the compiler's back, so nothing may
//! assume its bytes stay put. The host side follows Rust's aliasing rules through the
//! [`DmaBuffer`] API: writing takes `&mut self` and reading `&self`, so two host threads never
//! store to it at once, nor read while another stores. What the device does meanwhile is
//! outside the Rust memory model (like MMIO); the device's protocol (a doorbell, an interrupt)
//! says when its bytes are complete.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use vm_memory::{MmapRegion, VolatileMemory, VolatileSlice};

use super::device::VfioPci;
use super::VfioError;

/// IOMMU mappings are made in whole pages (4 KiB on x86 VT-d and AMD-Vi).
const PAGE: usize = 4096;

/// Anonymous memory mapped for DMA at `iova`. Dropping it unmaps the IOVA range before the
/// memory is freed.
///
/// `DmaBuffer` is `Send` and `Sync`, and only [`DmaBuffer::write`] (with `&mut self`) stores
/// to it, so sharing `&DmaBuffer` between threads cannot race. Writing through a shared
/// reference does not compile:
///
/// ```compile_fail,E0596
/// fn fill(shared: &gufc::backend::vfio::DmaBuffer) {
///     shared.write(0, &[1, 2, 3]).unwrap();
/// }
/// ```
///
/// while the same with an exclusive one does:
///
/// ```
/// fn fill(own: &mut gufc::backend::vfio::DmaBuffer) {
///     own.write(0, &[1, 2, 3]).unwrap();
/// }
/// ```
pub struct DmaBuffer {
    dev: Arc<VfioPci>,
    /// Freed only once the IOVA mapping is gone (leaked if unmapping fails).
    pages: ManuallyDrop<Pages>,
    iova: u64,
    mapped: bool,
}

const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<DmaBuffer>();
};

impl DmaBuffer {
    /// Allocates `len` bytes (rounded up to pages), zeroed, and maps them at `iova`.
    pub fn new(dev: &Arc<VfioPci>, len: usize, iova: u64) -> Result<DmaBuffer, VfioError> {
        let pages = Pages::new(len).map_err(|source| VfioError::Io {
            addr: dev.addr(),
            what: format!("anonymous mmap of {len:#x} bytes for DMA"),
            source,
        })?;
        let mut buf = DmaBuffer {
            dev: dev.clone(),
            pages: ManuallyDrop::new(pages),
            iova,
            mapped: false,
        };
        // SAFETY: the range is `pages`' own anonymous mapping, which stays alive until `unmap`
        // has succeeded (Drop frees it only then, and leaks it otherwise), and it is accessed
        // only through vm-memory's volatile copies, never references: dma_map's contract.
        unsafe {
            buf.dev
                .dma_map(buf.iova, buf.pages.len(), buf.pages.as_ptr())
        }?;
        buf.mapped = true;
        Ok(buf)
    }

    /// Removes the IOVA mapping; afterwards device accesses to it fault in the IOMMU.
    pub fn unmap(&mut self) -> Result<(), VfioError> {
        if self.mapped {
            self.dev.dma_unmap(self.iova, self.pages.len())?;
            self.mapped = false;
        }
        Ok(())
    }

    /// The I/O virtual address the device uses for the buffer's first byte.
    pub fn iova(&self) -> u64 {
        self.iova
    }

    /// Size in bytes: the requested length rounded up to whole pages.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Always false: a buffer holds at least one page.
    pub fn is_empty(&self) -> bool {
        self.pages.len() == 0
    }

    fn err(&self, what: String) -> VfioError {
        VfioError::Unsupported {
            addr: self.dev.addr(),
            what,
        }
    }

    /// Copies `data` into the buffer at `off` (nothing is written if it does not fit).
    pub fn write(&mut self, off: usize, data: &[u8]) -> Result<(), VfioError> {
        self.pages.write(off, data).map_err(|what| self.err(what))
    }

    /// Copies `out.len()` bytes from the buffer at `off`.
    pub fn read(&self, off: usize, out: &mut [u8]) -> Result<(), VfioError> {
        self.pages.read(off, out).map_err(|what| self.err(what))
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        match self.unmap() {
            // SAFETY: the device can no longer reach the memory, and `pages` is not used again.
            Ok(()) => unsafe { ManuallyDrop::drop(&mut self.pages) },
            Err(e) => eprintln!(
                "warning: {e}; leaking the buffer so the device cannot reach freed memory"
            ),
        }
    }
}

/// Zeroed anonymous memory in whole pages, accessed only through bounds-checked volatile
/// copies. Storing takes `&mut self`: the one place the host-side exclusivity is decided.
struct Pages(MmapRegion);

impl Pages {
    fn new(len: usize) -> std::io::Result<Pages> {
        let len = len.div_ceil(PAGE).max(1) * PAGE;
        MmapRegion::new(len)
            .map(Pages)
            .map_err(std::io::Error::other)
    }

    fn len(&self) -> usize {
        self.0.size()
    }

    fn as_ptr(&self) -> *mut u8 {
        self.0.as_ptr()
    }

    /// `n` bytes at `off`, or why not.
    fn slice(&self, off: usize, n: usize) -> Result<VolatileSlice<'_>, String> {
        self.0.get_slice(off, n).map_err(|e| {
            format!(
                "DMA buffer access {off:#x}+{n:#x} beyond {:#x} bytes ({e})",
                self.len()
            )
        })
    }

    fn write(&mut self, off: usize, data: &[u8]) -> Result<(), String> {
        self.slice(off, data.len())?.copy_from(data);
        Ok(())
    }

    fn read(&self, off: usize, out: &mut [u8]) -> Result<(), String> {
        self.slice(off, out.len())?.copy_to(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_up_and_start_zeroed() {
        for (ask, got) in [(0, PAGE), (1, PAGE), (PAGE, PAGE), (PAGE + 1, 2 * PAGE)] {
            let p = Pages::new(ask).unwrap();
            assert_eq!(p.len(), got, "{ask} bytes asked");
            assert_eq!(p.as_ptr() as usize % PAGE, 0, "page-aligned for the IOMMU");
            let mut all = vec![0xffu8; got];
            p.read(0, &mut all).unwrap();
            assert!(all.iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn write_then_read_back_at_offsets() {
        let mut p = Pages::new(2 * PAGE).unwrap();
        let pattern: Vec<u8> = (0..=255u8).collect();
        for off in [0, 1, 3, PAGE - 128, 2 * PAGE - 256] {
            p.write(off, &pattern).unwrap();
            let mut back = vec![0u8; 256];
            p.read(off, &mut back).unwrap();
            assert_eq!(back, pattern, "at {off:#x}");
        }
    }

    #[test]
    fn out_of_range_is_refused_and_writes_nothing() {
        let mut p = Pages::new(PAGE).unwrap();
        let e = p.write(PAGE - 2, &[0xaa; 4]).unwrap_err();
        assert!(
            e.starts_with("DMA buffer access 0xffe+0x4 beyond 0x1000 bytes"),
            "{e}"
        );
        let mut tail = [0xffu8; 2];
        p.read(PAGE - 2, &mut tail).unwrap();
        assert_eq!(
            tail,
            [0, 0],
            "a refused write must not store its first bytes"
        );
        assert!(p.read(PAGE, &mut [0u8; 1]).is_err());
        assert!(
            p.read(usize::MAX, &mut [0u8; 2]).is_err(),
            "offset overflow"
        );
        p.read(PAGE, &mut []).unwrap();
    }
}
