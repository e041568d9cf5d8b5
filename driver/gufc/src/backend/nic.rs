//! The NIC model (`gufc_hw_model::v2::nic`, docs/nic.md) with a simulated host around it:
//! BAR0 is one clock edge per access ([`Bar`]), frames are offered to its receive port
//! ([`NicModel::send`]), its DMA reaches host memory through an IOVA window (outside it a
//! write is answered with `w_err` and a descriptor read with `rd_err`), and its interrupt
//! messages are counted per vector. The driver's receive queues ([`crate::rx::RxQueue`]) run
//! on it unchanged: their register writes are posted and applied by [`NicModel::flush`].

use std::collections::VecDeque;

use gufc_hw_model::v2::nic::{Nic, NicConfig, NicIn};
use gufc_hw_model::v2::parser::beats;
use gufc_regmap::{Mmio, RxqReg};

use super::{Bar, BusError};
use crate::rx::{rxq_offset, DmaMemory, QueueRegs};

/// Host memory the NIC may reach: one IOVA window, allocated from the bottom.
#[derive(Debug)]
pub struct HostMemory {
    base: u64,
    bytes: Vec<u8>,
    used: usize,
}

impl HostMemory {
    /// `len` bytes at IOVA `base`.
    pub fn new(base: u64, len: usize) -> HostMemory {
        HostMemory {
            base,
            bytes: vec![0; len],
            used: 0,
        }
    }

    /// The next `len` bytes aligned to `align` (a power of two), or `None` when the window is full.
    pub fn alloc(&mut self, len: usize, align: usize) -> Option<u64> {
        let start = self.used.next_multiple_of(align);
        (start + len <= self.bytes.len()).then(|| {
            self.used = start + len;
            self.base + start as u64
        })
    }

    fn range(&self, iova: u64, n: usize) -> Option<std::ops::Range<usize>> {
        let off = usize::try_from(iova.checked_sub(self.base)?).ok()?;
        (off.checked_add(n)? <= self.bytes.len()).then_some(off..off + n)
    }
}

impl DmaMemory for HostMemory {
    fn write(&mut self, iova: u64, bytes: &[u8]) {
        let r = self
            .range(iova, bytes.len())
            .expect("a write inside the window");
        self.bytes[r].copy_from_slice(bytes);
    }
    fn read(&self, iova: u64, out: &mut [u8]) {
        let r = self
            .range(iova, out.len())
            .expect("a read inside the window");
        out.copy_from_slice(&self.bytes[r]);
    }
}

/// Queue register writes waiting for [`NicModel::flush`] (the queues write descriptors to
/// memory first, then the doorbell: the order is kept).
#[derive(Debug, Default)]
pub struct PostedRegs(VecDeque<(u32, u32)>);

impl QueueRegs for PostedRegs {
    fn write(&mut self, chan: u8, reg: RxqReg, value: u32) {
        self.0.push_back((rxq_offset(chan, reg), value));
    }
}

/// The NIC model and its host.
pub struct NicModel {
    nic: Nic,
    mem: HostMemory,
    posted: PostedRegs,
    /// The descriptor read's answer, given at the next edge.
    answer: Option<(u64, bool)>,
    irqs: Vec<u64>,
    /// The message taken at the last edge.
    irq_taken: Option<u16>,
    edges: u64,
}

impl NicModel {
    /// The NIC after its reset edges, with `mem` as the host's DMA window.
    pub fn new(cfg: NicConfig, mem: HostMemory) -> NicModel {
        let mut m = NicModel {
            irqs: vec![0; cfg.vectors()],
            nic: Nic::new(cfg),
            mem,
            posted: PostedRegs::default(),
            answer: None,
            irq_taken: None,
            edges: 0,
        };
        for rst in [true, true, false] {
            m.edge(NicIn {
                rst,
                ..NicIn::default()
            });
        }
        m
    }

    /// The configuration.
    pub fn config(&self) -> &NicConfig {
        self.nic.config()
    }

    /// What the receive queues need: their posted register writes and host memory.
    pub fn rx_parts(&mut self) -> (&mut PostedRegs, &mut HostMemory) {
        (&mut self.posted, &mut self.mem)
    }

    /// Host memory.
    pub fn memory(&mut self) -> &mut HostMemory {
        &mut self.mem
    }

    /// Applies the posted queue register writes, one edge each.
    pub fn flush(&mut self) {
        while let Some((addr, data)) = self.posted.0.pop_front() {
            self.edge(NicIn {
                mmio: Some(Mmio::Write { addr, data }),
                ..NicIn::default()
            });
        }
    }

    /// Offers `frame` to the receive port beat by beat (`error`: `tuser` on its last beat)
    /// until every beat is taken; returns the edges it took.
    pub fn send(&mut self, frame: &[u8], error: bool) -> u64 {
        let start = self.edges;
        for b in beats(frame, error, self.nic.config().data_bytes) {
            let i = NicIn {
                rx: Some(b),
                ..NicIn::default()
            };
            while !self.edge(i.clone()) {}
        }
        self.edges - start
    }

    /// `n` edges with nothing offered.
    pub fn idle(&mut self, n: u64) {
        for _ in 0..n {
            self.edge(NicIn::default());
        }
    }

    /// Runs idle edges until an interrupt message is taken (the model's wake-up, as an eventfd
    /// is through VFIO), at most `max`; returns its vector.
    pub fn wait_irq(&mut self, max: u64) -> Option<u16> {
        for _ in 0..max {
            self.edge(NicIn::default());
            if self.irq_taken.is_some() {
                return self.irq_taken;
            }
        }
        None
    }

    /// Interrupt messages taken so far, by vector.
    pub fn irqs(&self) -> &[u64] {
        &self.irqs
    }

    /// Clock edges since construction.
    pub fn edges(&self) -> u64 {
        self.edges
    }

    /// One edge: the host always ready, its memory answering the DMA engine. Returns
    /// `rx_tready` before the edge.
    fn edge(&mut self, mut i: NicIn) -> bool {
        (i.w_ready, i.r_ready, i.irq_ready) = (true, true, true);
        i.rd = self.answer.take();
        let c = self.nic.comb(&i);
        if let Some(w) = &c.write {
            let n = w.data.len();
            match self.mem.range(w.addr, n) {
                Some(r) => {
                    let dst = &mut self.mem.bytes[r];
                    for (k, (d, s)) in dst.iter_mut().zip(&w.data).enumerate() {
                        if w.strb >> k & 1 != 0 {
                            *d = *s;
                        }
                    }
                }
                None => i.w_err = true,
            }
        }
        if let Some(a) = c.read {
            self.answer = Some(match self.mem.range(a, 8) {
                Some(r) => (
                    u64::from_le_bytes(self.mem.bytes[r].try_into().unwrap()),
                    false,
                ),
                None => (0, true),
            });
        }
        // irq_ready is always 1: the message shown before this edge is taken at it.
        self.irq_taken = self.nic.irq();
        if let Some(v) = self.irq_taken {
            self.irqs[v as usize] += 1;
        }
        self.nic.step(&i);
        self.edges += 1;
        c.rx_ready
    }

    fn access(&mut self, m: Mmio) -> u32 {
        self.edge(NicIn {
            mmio: Some(m),
            ..NicIn::default()
        });
        self.nic.rdata()
    }
}

impl Bar for NicModel {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        Ok(self.access(Mmio::Read { addr: off }))
    }
    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.access(Mmio::Write {
            addr: off,
            data: val,
        });
        Ok(())
    }
    fn name(&self) -> String {
        "model-nic".into()
    }
}
