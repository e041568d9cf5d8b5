//! The NIC model behind the driver (`gufc::backend::NicModel`): receive queues opened with the
//! driver's own `RxQueue`, interrupts waited on (the model's wake-up), moderation, masking
//! with the pending bit, and a DMA fault raising the error vector and stopping the queue.

use gufc::backend::nic::HostMemory;
use gufc::backend::{Bar, NicModel};
use gufc::rx::{rxq_offset, RxQueue, RxQueueConfig};
use gufc_hw_model::v2::nic::NicConfig;
use gufc_hw_model::v2::top::TopConfig;
use gufc_regmap::{device, IrqField, NicReg, RxqReg};

const CHANNELS: u8 = 2;
const SLOW: u8 = CHANNELS;
const ERR: u16 = CHANNELS as u16 + 1;

fn nic() -> NicModel {
    let config = gufc_hw_model::Config {
        tcam_entries: 64,
        flow_buckets: 16,
        flow_ways: 2,
        channels: CHANNELS as u32,
        ..Default::default()
    };
    let cfg = NicConfig {
        top: TopConfig::sized(&config),
        ..NicConfig::default()
    };
    NicModel::new(cfg, HostMemory::new(0x10_0000, 1 << 20))
}

fn irq_field(v: u16, f: IrqField) -> u32 {
    device::IRQ_BASE + v as u32 * device::IRQ_STRIDE + 4 * f as u32
}

/// The slow-path queue with 8 buffers of 256 bytes; `unmapped`: its third buffer outside the
/// host's window.
fn open_slow(m: &mut NicModel, unmapped: bool) -> RxQueue {
    let mem = m.memory();
    let desc = mem.alloc(64, 64).unwrap();
    let cmpl = mem.alloc(256, 64).unwrap();
    let mut bufs: Vec<u64> = (0..8).map(|_| mem.alloc(256, 64).unwrap()).collect();
    if unmapped {
        bufs[2] = 0x4000_0000;
    }
    let cfg = RxQueueConfig {
        chan: SLOW,
        log2_size: 3,
        buf_bytes: 256,
        desc_ring: desc,
        cmpl_ring: cmpl,
    };
    let (regs, mem) = m.rx_parts();
    let q = RxQueue::open(cfg, regs, mem, bufs).unwrap();
    m.flush();
    q
}

fn arp() -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    f
}

#[test]
fn a_completion_wakes_the_waiter_and_moderation_counts_frames() {
    let mut m = nic();
    let mut q = open_slow(&mut m, false);
    m.write32(irq_field(SLOW as u16, IrqField::Mask), 0)
        .unwrap();
    // Nothing sent: nothing to wake for.
    assert_eq!(m.wait_irq(200), None);
    m.send(&arp(), false);
    assert_eq!(m.wait_irq(200), Some(SLOW as u16));
    assert_eq!(q.poll(m.memory(), 8).len(), 1);

    // One message per 3 frames.
    m.write32(irq_field(SLOW as u16, IrqField::Frames), 3)
        .unwrap();
    for _ in 0..6 {
        m.send(&arp(), false);
    }
    m.idle(300);
    assert_eq!(m.irqs()[SLOW as usize], 3, "1 + 6 / 3");
    assert_eq!(q.poll(m.memory(), 8).len(), 6);
}

#[test]
fn a_masked_vector_stays_pending_and_fires_when_unmasked() {
    let mut m = nic();
    let _q = open_slow(&mut m, false);
    m.send(&arp(), false);
    assert_eq!(m.wait_irq(300), None, "masked at reset");
    let pending = device::NIC_BASE + 4 * NicReg::IrqPending as u32;
    assert_eq!(m.read32(pending).unwrap(), 1 << SLOW);
    assert_eq!(
        m.read32(irq_field(SLOW as u16, IrqField::Pending)).unwrap(),
        1
    );
    m.write32(irq_field(SLOW as u16, IrqField::Mask), 0)
        .unwrap();
    assert_eq!(m.wait_irq(10), Some(SLOW as u16));
    assert_eq!(m.read32(pending).unwrap(), 0);
}

#[test]
fn a_dma_fault_raises_the_error_vector_and_stops_the_queue() {
    let mut m = nic();
    let mut q = open_slow(&mut m, true);
    m.write32(irq_field(ERR, IrqField::Mask), 0).unwrap();
    for _ in 0..4 {
        m.send(&arp(), false);
    }
    m.idle(400);
    assert_eq!(m.irqs()[ERR as usize], 1, "one fault");
    // The first two were delivered; the third faulted; the queue stopped and dropped the rest.
    assert_eq!(q.poll(m.memory(), 8).len(), 2);
    assert_eq!(m.read32(rxq_offset(SLOW, RxqReg::Error)).unwrap(), 1);
    assert_eq!(m.read32(rxq_offset(SLOW, RxqReg::DropDisabled)).unwrap(), 1);
}
