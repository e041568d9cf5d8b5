//! gufc's PCI face: the configuration space (identity from the register map, BAR0 = the
//! register block, BAR2 = the MSI-X table, one capability: MSI-X with a vector per channel)
//! and BAR2's contents. Software can size the BARs, set the command register and enable or
//! mask MSI-X; every other byte is read-only, as on a real function.

use gufc_regmap::device;

/// Bytes of configuration space (a conventional PCI function).
pub const CONFIG_SIZE: usize = 256;
/// BAR2: the MSI-X table (16 bytes a vector, up to 256 vectors) then the pending bits.
pub const BAR2_SIZE: u32 = 0x2000;
/// The pending-bit array's offset in BAR2.
pub const PBA_OFFSET: u32 = 0x1000;
/// Where the MSI-X capability sits in configuration space.
pub const MSIX_CAP: usize = 0x40;
/// PCI class: network controller (0x02), Ethernet (0x00), no programming interface.
pub const CLASS: [u8; 3] = [0x00, 0x00, 0x02];
/// PCI revision: the register map's version, major in the high nibble.
pub const REVISION: u8 = ((device::VERSION_MAJOR as u8) << 4) | (device::VERSION_MINOR as u8 & 0xf);

/// Configuration space plus BAR2, one per served device.
#[derive(Clone)]
pub struct PciFace {
    config: [u8; CONFIG_SIZE],
    writable: [u8; CONFIG_SIZE],
    msix_table: Vec<u32>,
    vectors: u16,
}

impl PciFace {
    /// The function after reset, with `vectors` MSI-X vectors (1..=256).
    pub fn new(vectors: u16) -> Self {
        let vectors = vectors.clamp(1, 256);
        let mut c = [0u8; CONFIG_SIZE];
        let mut w = [0u8; CONFIG_SIZE];
        let put16 = |c: &mut [u8; CONFIG_SIZE], at: usize, v: u16| {
            c[at..at + 2].copy_from_slice(&v.to_le_bytes())
        };
        let put32 = |c: &mut [u8; CONFIG_SIZE], at: usize, v: u32| {
            c[at..at + 4].copy_from_slice(&v.to_le_bytes())
        };
        put16(&mut c, 0x00, device::PCI_VENDOR as u16);
        put16(&mut c, 0x02, device::PCI_DEVICE as u16);
        put16(&mut c, 0x06, 1 << 4); // status: capability list present
        c[0x08] = REVISION;
        c[0x09..0x0c].copy_from_slice(&CLASS);
        put16(&mut c, 0x2c, device::PCI_VENDOR as u16); // subsystem vendor
        put16(&mut c, 0x2e, device::PCI_DEVICE as u16); // subsystem
        c[0x34] = MSIX_CAP as u8;
        // MSI-X: ID 0x11, end of list, table size N-1, table at BAR2+0, PBA at BAR2+PBA_OFFSET.
        c[MSIX_CAP] = 0x11;
        put16(&mut c, MSIX_CAP + 2, vectors - 1);
        put32(&mut c, MSIX_CAP + 4, 2);
        put32(&mut c, MSIX_CAP + 8, PBA_OFFSET | 2);
        // Writable: command (I/O, memory, bus master, SERR, INTx disable), cache line,
        // latency timer, BAR0 and BAR2 address bits, interrupt line, MSI-X enable and mask.
        put16(&mut w, 0x04, 0x0547);
        w[0x0c] = 0xff;
        w[0x0d] = 0xff;
        put32(&mut w, 0x10, !(device::BAR0_SIZE - 1) & !0xf);
        put32(&mut w, 0x18, !(BAR2_SIZE - 1) & !0xf);
        w[0x3c] = 0xff;
        w[MSIX_CAP + 3] = 0xc0;
        // Every vector starts masked (vector control bit 0).
        let mut msix_table = vec![0; 4 * vectors as usize];
        for v in 0..vectors as usize {
            msix_table[4 * v + 3] = 1;
        }
        PciFace {
            config: c,
            writable: w,
            msix_table,
            vectors,
        }
    }

    /// MSI-X vectors (one per channel).
    pub fn vectors(&self) -> u16 {
        self.vectors
    }

    /// Reads `buf.len()` bytes of configuration space at `off` (bounds checked by the caller).
    pub fn config_read(&self, off: usize, buf: &mut [u8]) {
        buf.copy_from_slice(&self.config[off..off + buf.len()]);
    }

    /// Writes configuration space at `off`; read-only bits keep their value.
    pub fn config_write(&mut self, off: usize, data: &[u8]) {
        for (i, b) in data.iter().enumerate() {
            let (c, w) = (&mut self.config[off + i], self.writable[off + i]);
            *c = (*c & !w) | (b & w);
        }
    }

    /// Reads the 32-bit word of BAR2 at `off` (4-aligned, in range): table or pending bits.
    pub fn bar2_read(&self, off: u32) -> u32 {
        let i = (off / 4) as usize;
        match self.msix_table.get(i) {
            Some(&v) if off < PBA_OFFSET => v,
            _ => 0, // unused table room, and no vector is ever pending yet
        }
    }

    /// Writes the 32-bit word of BAR2 at `off`: message address and data, and the mask bit.
    pub fn bar2_write(&mut self, off: u32, val: u32) {
        let i = (off / 4) as usize;
        if off >= PBA_OFFSET {
            return;
        }
        if let Some(w) = self.msix_table.get_mut(i) {
            *w = if i % 4 == 3 { val & 1 } else { val };
        }
    }

    /// Back to power-on state (DEVICE_RESET).
    pub fn reset(&mut self) {
        *self = PciFace::new(self.vectors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read32(f: &PciFace, off: usize) -> u32 {
        let mut b = [0; 4];
        f.config_read(off, &mut b);
        u32::from_le_bytes(b)
    }

    #[test]
    fn identity_bar_sizing_and_msix() {
        let mut f = PciFace::new(16);
        assert_eq!(read32(&f, 0), device::PCI_DEVICE << 16 | device::PCI_VENDOR);
        assert_eq!(read32(&f, 8) >> 8, 0x020000, "class: Ethernet controller");
        // Sizing: all-ones in, size mask out; the ID is not writable.
        f.config_write(0x10, &[0xff; 4]);
        f.config_write(0x18, &[0xff; 4]);
        f.config_write(0, &[0; 4]);
        assert_eq!(!read32(&f, 0x10) + 1, device::BAR0_SIZE);
        assert_eq!(!read32(&f, 0x18) + 1, BAR2_SIZE);
        assert_eq!(read32(&f, 0) & 0xffff, device::PCI_VENDOR);
        // The capability list: one MSI-X capability with 16 vectors in BAR2.
        assert_eq!(read32(&f, 0x34) & 0xff, MSIX_CAP as u32);
        let cap = read32(&f, MSIX_CAP);
        assert_eq!(
            (cap & 0xff, (cap >> 8) & 0xff, (cap >> 16) & 0x7ff),
            (0x11, 0, 15)
        );
        f.config_write(MSIX_CAP + 2, &[0xff, 0xff]);
        assert_eq!(
            read32(&f, MSIX_CAP) >> 16,
            0xc000 | 15,
            "only enable and mask move"
        );
        assert_eq!(f.bar2_read(12), 1, "vectors start masked");
        f.bar2_write(12, 0xffff_fffe);
        f.bar2_write(0, 0xfee0_0000);
        assert_eq!((f.bar2_read(12), f.bar2_read(0)), (0, 0xfee0_0000));
        f.reset();
        assert_eq!(
            (f.bar2_read(12), f.bar2_read(0), read32(&f, 0x10)),
            (1, 0, 0)
        );
    }
}
