//! The NIC model (docs/nic.md) end to end with no rules: frames in, completions in the
//! slow-path ring (or dropped by PARSE_POLICY), counted by parser reason. The lockstep test
//! against the RTL is sim/tests/nic.rs; this one checks the page's own promises.

use std::collections::HashMap;

use gufc_hw_model::v2::core::CoreConfig;
use gufc_hw_model::v2::nic::{Nic, NicConfig, NicIn};
use gufc_hw_model::v2::parser::beats;
use gufc_hw_model::v2::rule_stage::RuleStageConfig;
use gufc_hw_model::v2::top::TopConfig;
use gufc_regmap::{
    device, word::Cmpl0, word::Cmpl1, HitKind, Mmio, NicReg, ParseReason, RxqReg, SlowReason,
    Verdict,
};

const DESC: u64 = 0x10_0000;
const CMPL: u64 = 0x20_0000;
const BUF: u64 = 0x30_0000;

fn config(fb_depth: usize) -> NicConfig {
    NicConfig {
        top: TopConfig {
            core: CoreConfig {
                rule: RuleStageConfig {
                    entries: 64,
                    ..RuleStageConfig::default()
                },
                buckets: 16,
                ways: 2,
                channels: 3,
                ..CoreConfig::default()
            },
            local_entries: 4,
        },
        fb_depth,
        ..NicConfig::default()
    }
}

/// The NIC and a host: memory by address, every edge's writes applied, descriptor reads
/// answered the edge after.
struct Host {
    nic: Nic,
    mem: HashMap<u64, u8>,
    rd: Option<(u64, bool)>,
    edges: u64,
    /// Edge numbers of completion-ring writes and of interrupt messages taken.
    cmpl_writes: Vec<u64>,
    irqs: Vec<u64>,
}

impl Host {
    fn new(cfg: NicConfig) -> Host {
        let mut h = Host {
            nic: Nic::new(cfg),
            mem: HashMap::new(),
            rd: None,
            edges: 0,
            cmpl_writes: Vec::new(),
            irqs: Vec::new(),
        };
        for _ in 0..2 {
            h.edge(NicIn {
                rst: true,
                ..NicIn::default()
            });
        }
        // The packet path is reset one edge after the pin.
        h.idle(1);
        h
    }

    fn edge(&mut self, mut i: NicIn) -> bool {
        (i.w_ready, i.r_ready, i.irq_ready, i.rd) = (true, true, true, self.rd.take());
        let c = self.nic.comb(&i);
        if self.nic.irq().is_some() {
            self.irqs.push(self.edges);
        }
        if let Some(w) = &c.write {
            if (CMPL..BUF).contains(&w.addr) {
                self.cmpl_writes.push(self.edges);
            }
            for (k, b) in w.data.iter().enumerate() {
                if w.strb >> k & 1 != 0 {
                    self.mem.insert(w.addr + k as u64, *b);
                }
            }
        }
        if let Some(a) = c.read {
            let v = (0..8).fold(0u64, |v, k| v | (self.byte(a + k) as u64) << (8 * k));
            self.rd = Some((v, false));
        }
        self.nic.step(&i);
        self.edges += 1;
        c.rx_ready
    }

    fn byte(&self, a: u64) -> u8 {
        self.mem.get(&a).copied().unwrap_or(0)
    }

    fn word(&self, a: u64) -> u32 {
        (0..4).fold(0, |v, k| v | (self.byte(a + k) as u32) << (8 * k))
    }

    fn mmio(&mut self, m: Mmio) -> u32 {
        self.edge(NicIn {
            mmio: Some(m),
            ..NicIn::default()
        });
        self.nic.rdata()
    }

    fn write(&mut self, addr: u32, data: u32) {
        self.mmio(Mmio::Write { addr, data });
    }

    fn read(&mut self, addr: u32) -> u32 {
        self.mmio(Mmio::Read { addr })
    }

    fn send(&mut self, frame: &[u8], error: bool) {
        for b in beats(frame, error, self.nic.config().data_bytes) {
            while !self.edge(NicIn {
                rx: Some(b.clone()),
                ..NicIn::default()
            }) {}
        }
    }

    fn idle(&mut self, n: usize) {
        for _ in 0..n {
            self.edge(NicIn::default());
        }
    }
}

fn nic_reg(r: NicReg) -> u32 {
    device::NIC_BASE + 4 * r as u32
}

fn rxq(q: u32, r: RxqReg) -> u32 {
    device::RXQ_BASE + q * device::RXQ_STRIDE + 4 * r as u32
}

/// Queue `q` with 8 descriptors of 2 KiB buffers, all posted.
fn open(h: &mut Host, q: u32) {
    let base = q as u64 * 0x1000;
    for k in 0..8u64 {
        let buf = BUF + base * 16 + k * 0x800;
        for (j, b) in buf.to_le_bytes().iter().enumerate() {
            h.mem.insert(DESC + base + 8 * k + j as u64, *b);
        }
    }
    for (r, v) in [
        (RxqReg::DescBaseLo, (DESC + base) as u32),
        (RxqReg::CmplBaseLo, (CMPL + base) as u32),
        (RxqReg::Ring, 3 | 32 << 8),
        (RxqReg::Tail, 8),
        (RxqReg::Enable, 1),
    ] {
        h.write(rxq(q, r), v);
    }
}

fn udp(payload: usize) -> Vec<u8> {
    let total = 28 + payload;
    let mut f = vec![0u8; 14 + total];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&(total as u16).to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 0, 0, 1]);
    f[30..34].copy_from_slice(&[10, 0, 0, 2]);
    f[34..36].copy_from_slice(&1234u16.to_be_bytes());
    f[36..38].copy_from_slice(&53u16.to_be_bytes());
    for (k, b) in f[42..].iter_mut().enumerate() {
        *b = k as u8;
    }
    f
}

#[test]
fn frames_reach_the_slow_path_ring_with_their_completions() {
    let mut h = Host::new(config(512));
    let caps = h.read(nic_reg(NicReg::Caps));
    assert_eq!(caps, 3 | 8 << 8 | 512 << 16, "CAPS");
    open(&mut h, 3);
    let arp = {
        let mut f = vec![0u8; 60];
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        f
    };
    let frames = [(udp(100), false), (arp.clone(), false), (udp(20), true)];
    for (f, e) in &frames {
        h.send(f, *e);
    }
    h.idle(200);
    let want = [
        ParseReason::None,
        ParseReason::NonIp,
        ParseReason::FrameError,
    ];
    for (k, ((f, _), reason)) in frames.iter().zip(want).enumerate() {
        let at = CMPL + 0x3000 + 32 * k as u64;
        let w0 = Cmpl0::from_raw(h.word(at));
        let w1 = Cmpl1::from_raw(h.word(at + 4));
        assert_eq!(w0.len() as usize, f.len(), "frame {k} LEN");
        assert_eq!(w0.verdict(), Ok(Verdict::SlowPath), "frame {k}");
        assert_eq!(w1.channel(), 3, "frame {k}: the slow-path queue");
        assert_eq!(w1.parse_reason(), Ok(reason), "frame {k}");
        if reason == ParseReason::None {
            assert_eq!(w0.kind(), Ok(HitKind::Miss));
            assert_eq!(w0.reason(), SlowReason::Miss as u8);
        }
        assert_eq!(h.word(at + 24), k as u32, "frame {k}: seq");
        let w7 = h.word(at + 28);
        assert_eq!(w7 & 0xffff, k as u32, "frame {k}: HEAD");
        let buf = BUF + 0x3000 * 16 + k as u64 * 0x800;
        let got: Vec<u8> = (0..f.len() as u64).map(|j| h.byte(buf + j)).collect();
        assert_eq!(&got, f, "frame {k}: bytes in its buffer");
    }
    assert_eq!(h.read(rxq(3, RxqReg::Head)), 3);
    assert_eq!(h.read(nic_reg(NicReg::ParseCount)), 1);
    assert_eq!(h.read(nic_reg(NicReg::ParseCount) + 4 * 3), 1, "NON_IP");
    assert_eq!(h.read(nic_reg(NicReg::ParseCount) + 4), 1, "FRAME_ERROR");

    // PARSE_POLICY drops NON_IP: nothing more in the ring, still counted.
    h.write(nic_reg(NicReg::ParsePolicy), 1 << 3);
    h.send(&arp, false);
    h.idle(100);
    assert_eq!(h.read(rxq(3, RxqReg::Head)), 3);
    assert_eq!(h.read(nic_reg(NicReg::ParseCount) + 4 * 3), 2);
}

#[test]
fn a_frame_longer_than_the_frame_buffer_is_delivered_cut() {
    // 16 beats of 8 bytes: 128 bytes kept of a 300-byte frame.
    let mut h = Host::new(config(16));
    open(&mut h, 3);
    let f = udp(258);
    h.send(&f, false);
    h.send(&udp(10), false);
    h.idle(200);
    let w0 = Cmpl0::from_raw(h.word(CMPL + 0x3000));
    assert_eq!(w0.len() as usize, f.len(), "LEN is the length on the wire");
    let buf = BUF + 0x3000 * 16;
    let got: Vec<u8> = (0..128).map(|j| h.byte(buf + j)).collect();
    assert_eq!(&got[..], &f[..128]);
    assert_eq!(h.byte(buf + 128), 0, "nothing past the cut");
    assert_eq!(h.read(rxq(3, RxqReg::Head)), 2, "the next frame follows");
}

/// docs/timing.md, "The packet path": a 64-byte frame into an idle NIC (DW 64, 64 entries: the
/// classifier's latency A + 7 = 16), the host answering the descriptor read at the next edge.
/// Its last beat at edge t: record at t + 7, key taken at t + 8, result at t + 24 taken by the
/// DMA engine, DECIDE t + 25, descriptor read t + 26, answer t + 27, 8 data beats t + 28..35,
/// the completion's 4 beats t + 36..39, the event at t + 40, the message taken at t + 43.
#[test]
fn one_frame_from_its_last_beat_to_its_interrupt() {
    let mut h = Host::new(config(512));
    open(&mut h, 3);
    h.write(device::IRQ_BASE + 3 * device::IRQ_STRIDE + 8, 0);
    let f = udp(22);
    assert_eq!(f.len(), 64);
    h.send(&f, false);
    let t = h.edges - 1;
    h.idle(100);
    let w: Vec<u64> = h.cmpl_writes.iter().map(|e| e - t).collect();
    assert_eq!(w, [36, 37, 38, 39], "completion beats");
    let i: Vec<u64> = h.irqs.iter().map(|e| e - t).collect();
    assert_eq!(i, [43], "the interrupt message");
}
