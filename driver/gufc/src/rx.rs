//! Receive queues: the driver's side of a channel's descriptor and completion rings
//! (docs/dma.md). [`RxQueue::open`] programs the queue and posts its buffers, [`RxQueue::poll`]
//! takes the completions the NIC has written (by their phase bit: no register read), and
//! [`RxQueue::refill`] posts buffers again and rings the doorbell.
//!
//! The queue reaches the NIC through two small traits, so the same code runs wherever the
//! rings live: [`QueueRegs`] (the queue's registers) and [`DmaMemory`] (memory the NIC writes
//! by DMA, addressed by IOVA). The lockstep test of the receive DMA engine drives its Verilated
//! RTL and its model with this code.

use std::collections::VecDeque;

use gufc_regmap::{device, RxqReg};

/// Bytes of a completion record (words 0..6 from the classifier, word 7 index and flags).
pub const CMPL_BYTES: u64 = 32;
/// Buffers are 64-byte aligned; their size is a multiple of 64.
pub const BUF_ALIGN: u64 = 64;

/// The BAR0 offset of register `reg` of receive queue `chan` (docs/nic.md).
pub fn rxq_offset(chan: u8, reg: RxqReg) -> u32 {
    device::RXQ_BASE + u32::from(chan) * device::RXQ_STRIDE + 4 * reg as u32
}

/// A queue's registers.
pub trait QueueRegs {
    /// Writes register `reg` of receive queue `chan`.
    fn write(&mut self, chan: u8, reg: RxqReg, value: u32);
}

/// Memory the NIC reaches by DMA, by IOVA.
pub trait DmaMemory {
    /// Writes `bytes` at `iova` (descriptors).
    fn write(&mut self, iova: u64, bytes: &[u8]);
    /// Reads `out.len()` bytes at `iova` (completions, frames).
    fn read(&self, iova: u64, out: &mut [u8]);
}

/// Where a queue's rings and buffers are.
#[derive(Clone, Debug)]
pub struct RxQueueConfig {
    /// The channel.
    pub chan: u8,
    /// log2 of the ring size (1..=15).
    pub log2_size: u32,
    /// Bytes per buffer: a multiple of 64, at most 65,536.
    pub buf_bytes: u64,
    /// IOVA of the descriptor ring (8 bytes per entry).
    pub desc_ring: u64,
    /// IOVA of the completion ring (32 bytes per entry).
    pub cmpl_ring: u64,
}

/// Why a queue cannot be opened as asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RxError {
    /// The ring size is out of range.
    #[error("receive queue {chan}: ring size 2^{log2} out of range (2^1 .. 2^15)")]
    RingSize {
        /// The channel.
        chan: u8,
        /// The log2 asked for.
        log2: u32,
    },
    /// The buffer size is not a multiple of 64 in 64..=65,536.
    #[error("receive queue {chan}: buffer size {bytes} is not a multiple of 64 in 64..=65536")]
    BufSize {
        /// The channel.
        chan: u8,
        /// The size asked for.
        bytes: u64,
    },
    /// An address is not aligned as the NIC needs.
    #[error("receive queue {chan}: {what} IOVA {iova:#x} is not {align}-byte aligned")]
    Align {
        /// The channel.
        chan: u8,
        /// Which address.
        what: &'static str,
        /// The address.
        iova: u64,
        /// The alignment needed.
        align: u64,
    },
}

/// A frame the NIC delivered: its completion and where its bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Completion words 0..6, as the classifier filled them.
    pub cmpl: [u32; 7],
    /// The descriptor index it used.
    pub index: u16,
    /// The frame was longer than the buffer: only `buf_bytes` of it were written.
    pub truncated: bool,
    /// The buffer's IOVA.
    pub buffer: u64,
}

/// The driver's side of one receive queue.
#[derive(Clone, Debug)]
pub struct RxQueue {
    cfg: RxQueueConfig,
    tail: u16,
    next: u16,
    /// Buffers posted and not yet completed, in descriptor order.
    posted: VecDeque<u64>,
}

impl RxQueue {
    /// Programs the queue (rings, sizes), fills its completion ring with the phase the NIC's
    /// first pass does not write, posts `buffers` (at most the ring size) and enables it.
    pub fn open(
        cfg: RxQueueConfig,
        regs: &mut dyn QueueRegs,
        mem: &mut dyn DmaMemory,
        buffers: impl IntoIterator<Item = u64>,
    ) -> Result<RxQueue, RxError> {
        let chan = cfg.chan;
        if !(1..=15).contains(&cfg.log2_size) {
            return Err(RxError::RingSize {
                chan,
                log2: cfg.log2_size,
            });
        }
        if cfg.buf_bytes == 0 || cfg.buf_bytes > 65536 || !cfg.buf_bytes.is_multiple_of(BUF_ALIGN) {
            return Err(RxError::BufSize {
                chan,
                bytes: cfg.buf_bytes,
            });
        }
        for (what, iova, align) in [
            ("descriptor ring", cfg.desc_ring, 8),
            ("completion ring", cfg.cmpl_ring, CMPL_BYTES),
        ] {
            if !iova.is_multiple_of(align) {
                return Err(RxError::Align {
                    chan,
                    what,
                    iova,
                    align,
                });
            }
        }
        let size = 1u64 << cfg.log2_size;
        for slot in 0..size {
            mem.write(cfg.cmpl_ring + CMPL_BYTES * slot + 31, &[0x80]);
        }
        let w = |regs: &mut dyn QueueRegs, reg, v: u64| regs.write(chan, reg, v as u32);
        w(regs, RxqReg::DescBaseLo, cfg.desc_ring);
        w(regs, RxqReg::DescBaseHi, cfg.desc_ring >> 32);
        w(regs, RxqReg::CmplBaseLo, cfg.cmpl_ring);
        w(regs, RxqReg::CmplBaseHi, cfg.cmpl_ring >> 32);
        let units = (cfg.buf_bytes / 64) & 0xffff;
        w(regs, RxqReg::Ring, cfg.log2_size as u64 | units << 8);
        let mut q = RxQueue {
            cfg,
            tail: 0,
            next: 0,
            posted: VecDeque::new(),
        };
        q.refill(regs, mem, buffers)?;
        w(regs, RxqReg::Enable, 1);
        Ok(q)
    }

    /// The queue's configuration.
    pub fn config(&self) -> &RxQueueConfig {
        &self.cfg
    }

    fn size(&self) -> u16 {
        1 << self.cfg.log2_size
    }

    /// Buffers posted and not yet completed.
    pub fn posted(&self) -> usize {
        self.posted.len()
    }

    /// Posts buffers from `buffers` until the ring is full (the rest are not taken), then
    /// rings the doorbell once if any was posted. Returns how many were posted.
    pub fn refill(
        &mut self,
        regs: &mut dyn QueueRegs,
        mem: &mut dyn DmaMemory,
        buffers: impl IntoIterator<Item = u64>,
    ) -> Result<usize, RxError> {
        let mut n = 0;
        let mut it = buffers.into_iter();
        while self.posted.len() < self.size() as usize {
            let Some(buf) = it.next() else { break };
            if !buf.is_multiple_of(BUF_ALIGN) {
                return Err(RxError::Align {
                    chan: self.cfg.chan,
                    what: "buffer",
                    iova: buf,
                    align: BUF_ALIGN,
                });
            }
            let slot = (self.tail % self.size()) as u64;
            mem.write(self.cfg.desc_ring + 8 * slot, &buf.to_le_bytes());
            self.posted.push_back(buf);
            self.tail = self.tail.wrapping_add(1);
            n += 1;
        }
        if n > 0 {
            regs.write(self.cfg.chan, RxqReg::Tail, self.tail as u32);
        }
        Ok(n)
    }

    /// Takes up to `max` completions the NIC has written, in order. The buffers they name
    /// are the caller's until it posts them again with [`RxQueue::refill`].
    pub fn poll(&mut self, mem: &dyn DmaMemory, max: usize) -> Vec<Received> {
        let mut out = Vec::new();
        while out.len() < max && !self.posted.is_empty() {
            let slot = (self.next % self.size()) as u64;
            let mut rec = [0u8; CMPL_BYTES as usize];
            mem.read(self.cfg.cmpl_ring + CMPL_BYTES * slot, &mut rec);
            let word = |i: usize| u32::from_le_bytes(rec[4 * i..4 * i + 4].try_into().unwrap());
            let w7 = word(7);
            let phase = (self.next >> self.cfg.log2_size & 1) as u32;
            if w7 >> 31 != phase {
                break;
            }
            let mut cmpl = [0u32; 7];
            for (i, c) in cmpl.iter_mut().enumerate() {
                *c = word(i);
            }
            out.push(Received {
                cmpl,
                index: w7 as u16,
                truncated: w7 >> 30 & 1 != 0,
                buffer: self.posted.pop_front().unwrap(),
            });
            self.next = self.next.wrapping_add(1);
        }
        out
    }

    /// The bytes of a received frame of `len` bytes (its length as the completion's producer
    /// put it in), at most the buffer's size.
    pub fn frame(&self, mem: &dyn DmaMemory, r: &Received, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len.min(self.cfg.buf_bytes as usize)];
        mem.read(r.buffer, &mut b);
        b
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Default)]
    struct Host {
        mem: BTreeMap<u64, u8>,
    }

    impl DmaMemory for Host {
        fn write(&mut self, iova: u64, bytes: &[u8]) {
            for (i, b) in bytes.iter().enumerate() {
                self.mem.insert(iova + i as u64, *b);
            }
        }
        fn read(&self, iova: u64, out: &mut [u8]) {
            for (i, b) in out.iter_mut().enumerate() {
                *b = self.mem.get(&(iova + i as u64)).copied().unwrap_or(0);
            }
        }
    }

    struct Regs<'a>(&'a mut Vec<(u8, RxqReg, u32)>);
    impl QueueRegs for Regs<'_> {
        fn write(&mut self, chan: u8, reg: RxqReg, value: u32) {
            self.0.push((chan, reg, value));
        }
    }

    fn cfg() -> RxQueueConfig {
        RxQueueConfig {
            chan: 2,
            log2_size: 2,
            buf_bytes: 128,
            desc_ring: 0x1000,
            cmpl_ring: 0x2000,
        }
    }

    #[test]
    fn bad_sizes_and_alignments_are_refused_before_any_register_write() {
        let mut h = Host::default();
        let mut regs = Vec::new();
        for (c, want) in [
            (
                RxQueueConfig {
                    log2_size: 0,
                    ..cfg()
                },
                "ring size 2^0",
            ),
            (
                RxQueueConfig {
                    buf_bytes: 100,
                    ..cfg()
                },
                "buffer size 100",
            ),
            (
                RxQueueConfig {
                    cmpl_ring: 0x2010,
                    ..cfg()
                },
                "completion ring IOVA 0x2010",
            ),
        ] {
            let e = RxQueue::open(c, &mut Regs(&mut regs), &mut h, []).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
        assert!(regs.is_empty());
    }

    #[test]
    fn buffers_are_posted_up_to_the_ring_size_and_completions_taken_by_phase() {
        let mut h = Host::default();
        let mut regs = Vec::new();
        let bufs = (0..6u64).map(|i| 0x10000 + 0x100 * i);
        let mut q = RxQueue::open(cfg(), &mut Regs(&mut regs), &mut h, bufs).unwrap();
        assert_eq!(q.posted(), 4);
        assert!(
            regs.contains(&(2, RxqReg::Tail, 4)) && regs.last() == Some(&(2, RxqReg::Enable, 1))
        );
        assert!(q.poll(&h, 8).is_empty(), "nothing completed yet");
        // The NIC completes descriptor 0 (phase 0 on the first pass).
        let mut rec = [0u8; 32];
        rec[4..8].copy_from_slice(&77u32.to_le_bytes());
        rec[28..].copy_from_slice(&(1u32 << 30).to_le_bytes());
        h.write(0x2000, &rec);
        let got = q.poll(&h, 8);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (
                got[0].cmpl[1],
                got[0].index,
                got[0].truncated,
                got[0].buffer
            ),
            (77, 0, true, 0x10000)
        );
        assert_eq!(q.posted(), 3);
        assert_eq!(
            q.refill(&mut Regs(&mut regs), &mut h, [0x20000, 0x20100])
                .unwrap(),
            1
        );
    }
}
