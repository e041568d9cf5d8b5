//! The client's DMA regions as the server holds them: IOVA ranges, each backed by a file the
//! client shared (or by nothing: then the device would reach it by DMA_READ/WRITE messages).
//! Nothing maps them yet: the packet path that writes into them is a later phase.

use std::fs::File;

/// Why a DMA_MAP or DMA_UNMAP is refused (each carries the errno the reply reports).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DmaError {
    /// Size zero, address or size not page aligned, or bad flags.
    #[error("DMA region {iova:#x}+{size:#x}: {why}")]
    Invalid {
        /// Requested IOVA.
        iova: u64,
        /// Requested size.
        size: u64,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The range overlaps a region already mapped.
    #[error(
        "DMA region {iova:#x}+{size:#x} overlaps the mapped region {old_iova:#x}+{old_size:#x}"
    )]
    Overlap {
        /// Requested IOVA.
        iova: u64,
        /// Requested size.
        size: u64,
        /// The region in the way.
        old_iova: u64,
        /// Its size.
        old_size: u64,
    },
    /// An unmap that covers no region, or cuts one in part.
    #[error("DMA unmap {iova:#x}+{size:#x}: {why}")]
    Unmap {
        /// Requested IOVA.
        iova: u64,
        /// Requested size.
        size: u64,
        /// What is wrong with it.
        why: &'static str,
    },
}

impl DmaError {
    /// The errno a reply carries.
    pub fn errno(&self) -> i32 {
        match self {
            DmaError::Invalid { .. } => libc::EINVAL,
            DmaError::Overlap { .. } => libc::EEXIST,
            DmaError::Unmap { .. } => libc::ENOENT,
        }
    }
}

/// One mapped region.
#[derive(Debug)]
pub struct Region {
    /// First IOVA.
    pub iova: u64,
    /// Length in bytes.
    pub size: u64,
    /// [`super::proto::DMA_READ_WRITE`] bits.
    pub prot: u32,
    /// The shared file and the offset of `iova` in it, if the client sent one.
    pub backing: Option<(File, u64)>,
}

/// The regions of one client connection, sorted by IOVA, never overlapping.
#[derive(Debug, Default)]
pub struct DmaMaps {
    regions: Vec<Region>,
}

/// DMA regions are whole pages.
pub const PAGE: u64 = 4096;

impl DmaMaps {
    /// Adds a region after checking it: non-empty, page-aligned, not wrapping past 2^64, not
    /// overlapping a mapped one, backed by a file long enough.
    pub fn map(&mut self, r: Region) -> Result<(), DmaError> {
        let (iova, size) = (r.iova, r.size);
        let invalid = |why| DmaError::Invalid { iova, size, why };
        if size == 0 {
            return Err(invalid("size zero"));
        }
        if !iova.is_multiple_of(PAGE) || !size.is_multiple_of(PAGE) {
            return Err(invalid("address and size must be multiples of 4096"));
        }
        if r.prot & !super::proto::DMA_READ_WRITE != 0 || r.prot == 0 {
            return Err(invalid("flags must be READ and/or WRITE"));
        }
        let Some(end) = iova.checked_add(size) else {
            return Err(invalid("wraps past the end of the address space"));
        };
        if let Some((file, offset)) = &r.backing {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if offset.checked_add(size).is_none_or(|e| e > len) {
                return Err(invalid(
                    "extends past the end of the file it is mapped from",
                ));
            }
        }
        let at = self.regions.partition_point(|o| o.iova < iova);
        for o in [at.checked_sub(1), Some(at)].into_iter().flatten() {
            if let Some(o) = self.regions.get(o) {
                if o.iova < end && iova < o.iova + o.size {
                    return Err(DmaError::Overlap {
                        iova,
                        size,
                        old_iova: o.iova,
                        old_size: o.size,
                    });
                }
            }
        }
        self.regions.insert(at, r);
        Ok(())
    }

    /// Removes the regions inside `iova..iova+size` (all of them with `all`); refuses, removing
    /// nothing, when the range cuts a region in part or covers none.
    pub fn unmap(&mut self, iova: u64, size: u64, all: bool) -> Result<usize, DmaError> {
        let err = |why| DmaError::Unmap { iova, size, why };
        if all {
            if iova != 0 || size != 0 {
                return Err(err("unmap-all takes address and size zero"));
            }
            return Ok(std::mem::take(&mut self.regions).len());
        }
        let end = iova.checked_add(size).ok_or(err("wraps"))?;
        let hits = |o: &Region| o.iova < end && iova < o.iova + o.size;
        if self
            .regions
            .iter()
            .any(|o| hits(o) && (o.iova < iova || o.iova + o.size > end))
        {
            return Err(err("cuts a mapped region in part"));
        }
        let before = self.regions.len();
        self.regions.retain(|o| !hits(o));
        match before - self.regions.len() {
            0 => Err(err("no region mapped there")),
            n => Ok(n),
        }
    }

    /// The mapped regions in IOVA order.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(iova: u64, size: u64) -> Region {
        Region {
            iova,
            size,
            prot: 3,
            backing: None,
        }
    }

    #[test]
    fn overlaps_wraps_and_partial_unmaps_are_refused_without_effect() {
        let mut m = DmaMaps::default();
        m.map(r(0x10000, 0x2000)).unwrap();
        m.map(r(0x20000, 0x1000)).unwrap();
        for (i, s) in [(0x11000, 0x1000), (0xf000, 0x2000), (0x1f000, 0x10000)] {
            assert!(
                matches!(m.map(r(i, s)), Err(DmaError::Overlap { .. })),
                "{i:#x}"
            );
        }
        let e = m.map(r(u64::MAX - 0xfff, 0x2000)).unwrap_err();
        assert!(e.to_string().contains("wraps"), "{e}");
        assert_eq!(m.map(r(0x30001, 0x1000)).unwrap_err().errno(), libc::EINVAL);
        assert_eq!(
            m.unmap(0x10000, 0x1000, false).unwrap_err().errno(),
            libc::ENOENT
        );
        assert_eq!(
            m.unmap(0x40000, 0x1000, false).unwrap_err().errno(),
            libc::ENOENT
        );
        assert_eq!(m.regions().len(), 2);
        assert_eq!(m.unmap(0x10000, 0x11000, false), Ok(2));
        assert!(m.regions().is_empty());
    }
}
