//! Host memory the device may DMA into, mapped at a chosen IOVA in the device's IOMMU domain.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use memmap2::{MmapOptions, MmapRaw};

use super::device::VfioPci;
use super::VfioError;

/// Anonymous memory mapped for DMA at `iova`. The device reads and writes it behind the
/// compiler's back, so it is only touched through volatile copies, never through references.
/// Dropping it unmaps the IOVA range before the memory is freed.
pub struct DmaBuffer {
    dev: Arc<VfioPci>,
    /// Freed only once the IOVA mapping is gone (leaked if unmapping fails).
    mem: ManuallyDrop<MmapRaw>,
    len: usize,
    iova: u64,
    mapped: bool,
}

impl DmaBuffer {
    /// Allocates `len` bytes (rounded up to pages), zeroed, and maps them at `iova`.
    pub fn new(dev: &Arc<VfioPci>, len: usize, iova: u64) -> Result<DmaBuffer, VfioError> {
        let page = 4096;
        let len = len.div_ceil(page).max(1) * page;
        let io = |what: &str, source| VfioError::Io {
            addr: dev.addr(),
            what: what.into(),
            source,
        };
        let mem: MmapRaw = MmapOptions::new()
            .len(len)
            .map_anon()
            .map_err(|e| io("anonymous mmap", e))?
            .into();
        let mut buf = DmaBuffer {
            dev: dev.clone(),
            mem: ManuallyDrop::new(mem),
            len,
            iova,
            mapped: false,
        };
        buf.map()?;
        Ok(buf)
    }

    fn map(&mut self) -> Result<(), VfioError> {
        // SAFETY: the range is our own anonymous mapping, alive until after `unmap` in Drop,
        // and it is only accessed through raw-pointer volatile copies (no references), which
        // is what dma_map's contract requires while the device can write it.
        unsafe { self.dev.dma_map(self.iova, self.len, self.mem.as_mut_ptr()) }?;
        self.mapped = true;
        Ok(())
    }

    /// Removes the IOVA mapping; afterwards device accesses to it fault in the IOMMU.
    pub fn unmap(&mut self) -> Result<(), VfioError> {
        if self.mapped {
            self.dev.dma_unmap(self.iova, self.len)?;
            self.mapped = false;
        }
        Ok(())
    }

    pub fn iova(&self) -> u64 {
        self.iova
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn range(&self, off: usize, n: usize) -> Result<(), VfioError> {
        if off.checked_add(n).is_none_or(|end| end > self.len) {
            return Err(VfioError::Unsupported {
                addr: self.dev.addr(),
                what: format!(
                    "DMA buffer access {off:#x}+{n:#x} beyond {:#x} bytes",
                    self.len
                ),
            });
        }
        Ok(())
    }

    /// Copies `data` into the buffer at `off`.
    pub fn write(&self, off: usize, data: &[u8]) -> Result<(), VfioError> {
        self.range(off, data.len())?;
        for (i, b) in data.iter().enumerate() {
            // SAFETY: `off + i < len` (checked above) inside our live mapping; volatile because
            // the device may access the same bytes.
            unsafe { std::ptr::write_volatile(self.mem.as_mut_ptr().add(off + i), *b) };
        }
        Ok(())
    }

    /// Copies `out.len()` bytes from the buffer at `off`.
    pub fn read(&self, off: usize, out: &mut [u8]) -> Result<(), VfioError> {
        self.range(off, out.len())?;
        for (i, b) in out.iter_mut().enumerate() {
            // SAFETY: as in `write`.
            *b = unsafe { std::ptr::read_volatile(self.mem.as_ptr().add(off + i)) };
        }
        Ok(())
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        match self.unmap() {
            // SAFETY: the device can no longer reach the memory, and `mem` is not used again.
            Ok(()) => unsafe { ManuallyDrop::drop(&mut self.mem) },
            Err(e) => eprintln!(
                "warning: {e}; leaking the buffer so the device cannot reach freed memory"
            ),
        }
    }
}
