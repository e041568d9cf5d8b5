//! The frame parser (`rtl/v2/gufc_parser.v`; the contract is docs/parser.md): an AXI4-Stream of
//! Ethernet frames in, one [`Record`] (key, TCP flags, length, parser reason) out per frame.
//!
//! [`Parser`] follows the RTL edge for edge: two frame slots whose header windows the beats
//! fill, and a walker that takes a filled slot through its steps (Ethernet, IP, `ext_max`
//! extension headers, transport), one step per edge. [`parse`] is the same walk on one whole
//! frame without the clock, for the host and the tests. The walk reads only bytes the frame
//! wrote, so both give the same record (the lockstep test checks that on every frame).

use gufc_regmap::{Key, ParseReason};

/// The parser's parameters (the RTL's `DW / 8`, `HDR_BYTES`, `EXT_MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParserConfig {
    /// Bytes per beat: 8 (64-bit stream) up to 64, a multiple of 8.
    pub data_bytes: usize,
    /// The header window: frame bytes the walk can read; a multiple of `data_bytes`.
    pub hdr_bytes: usize,
    /// Extension headers walked, at least 1.
    pub ext_max: usize,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            data_bytes: 8,
            hdr_bytes: 128,
            ext_max: 4,
        }
    }
}

impl ParserConfig {
    /// Edges from a frame's last beat to its record's output edge when nothing waits.
    pub fn latency(&self) -> usize {
        self.ext_max + 3
    }
}

/// One AXI4-Stream beat: lane `j` is `data[j]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Beat {
    /// `data_bytes` lanes.
    pub data: Vec<u8>,
    /// `tkeep`, bit `j` for lane `j`.
    pub keep: u64,
    /// `tlast`.
    pub last: bool,
    /// `tuser`: the MAC saw an error in this frame.
    pub user: bool,
}

/// What a frame became (the `m_*` ports while `m_valid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The 7-tuple without locality bits; all zero unless `reason` is `None`.
    pub key: Key,
    /// TCP flags (0 for other protocols and on a reason).
    pub flags: u8,
    /// Frame length in bytes, saturated at 65,535.
    pub len: u16,
    /// Why no key (`None`: parsed).
    pub reason: ParseReason,
    /// VLAN tags (0..=2).
    pub tags: u8,
    /// The outer tag's TCI (0 without a tag).
    pub vlan: u16,
    /// Bit 0: a fragment; bit 1: not the first fragment (ports 0).
    pub frag: u8,
}

impl Record {
    /// `m_key` words 0..9, then `m_flags | m_reason << 8 | m_tags << 16 | m_frag << 18` and
    /// `m_len | m_vlan << 16`: the ports as the testbench trace holds them (all 0 for `None`,
    /// `m_valid` low).
    pub fn port_words(r: Option<&Record>) -> [u32; 12] {
        let mut w = [0u32; 12];
        if let Some(r) = r {
            w[..10].copy_from_slice(&r.key.words());
            w[10] = r.flags as u32
                | (r.reason as u32) << 8
                | (r.tags as u32) << 16
                | (r.frag as u32) << 18;
            w[11] = r.len as u32 | (r.vlan as u32) << 16;
        }
        w
    }
}

/// The walk over one frame's header window: the walker's registers.
#[derive(Clone, Copy, Debug)]
struct Walk {
    reason: ParseReason,
    len: u32,
    tags: u8,
    vlan: u16,
    v6: bool,
    l3: u32,
    /// The next header's offset, and the end of the IP packet.
    x: u32,
    end: u32,
    /// The next header's type (IP protocol or extension header).
    nh: u8,
    /// The walk goes on at `x`.
    chain: bool,
    frag: bool,
    later: bool,
    src: u128,
    dst: u128,
}

const TPIDS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

/// Extension header types the walk steps over.
fn is_ext(nh: u8, v6: bool) -> bool {
    nh == 51 || (v6 && matches!(nh, 0 | 43 | 44 | 60))
}

/// Window reads; bytes past the window read 0.
struct Win<'a>(&'a [u8]);

impl Win<'_> {
    fn b(&self, o: u32) -> u8 {
        self.0.get(o as usize).copied().unwrap_or(0)
    }
    fn be16(&self, o: u32) -> u16 {
        u16::from_be_bytes([self.b(o), self.b(o + 1)])
    }
    fn be32(&self, o: u32) -> u32 {
        (self.be16(o) as u32) << 16 | self.be16(o + 2) as u32
    }
    fn be128(&self, o: u32) -> u128 {
        (0..4).fold(0u128, |a, i| a << 32 | self.be32(o + 4 * i) as u128)
    }
}

impl Walk {
    /// Ethernet and VLAN tags (the walker's start edge).
    fn ethernet(w: &Win, len: u16, bad: bool) -> Walk {
        let len = len as u32;
        let tag = |o| TPIDS.contains(&w.be16(o));
        let t1 = tag(12);
        let t2 = t1 && tag(16);
        let t3 = t2 && tag(20);
        let tags = t1 as u8 + t2 as u8;
        let mut s = Walk {
            reason: ParseReason::None,
            len,
            tags: 0,
            vlan: 0,
            v6: false,
            l3: 14 + 4 * tags as u32,
            x: 0,
            end: 0,
            nh: 0,
            chain: false,
            frag: false,
            later: false,
            src: 0,
            dst: 0,
        };
        if bad {
            s.reason = ParseReason::FrameError;
        } else if len < s.l3 {
            s.reason = ParseReason::Truncated;
        } else {
            s.tags = tags;
            s.vlan = if t1 { w.be16(14) } else { 0 };
            match w.be16(s.l3 - 2) {
                _ if t3 => s.reason = ParseReason::VlanDepth,
                0x0800 => s.v6 = false,
                0x86dd => s.v6 = true,
                _ => s.reason = ParseReason::NonIp,
            }
        }
        s
    }

    fn fail(&mut self, r: ParseReason) {
        self.reason = r;
    }

    /// The IP header (the next edge).
    fn ip(&mut self, w: &Win) {
        if self.reason != ParseReason::None {
            return;
        }
        let l3 = self.l3;
        let ver = w.b(l3) >> 4;
        if !self.v6 {
            let ihl = (w.b(l3) & 15) as u32;
            let tl = w.be16(l3 + 2) as u32;
            if self.len < l3 + 20 {
                return self.fail(ParseReason::Truncated);
            } else if ver != 4 {
                return self.fail(ParseReason::BadVersion);
            } else if ihl < 5 {
                return self.fail(ParseReason::BadIhl);
            } else if tl < 4 * ihl || l3 + tl > self.len {
                return self.fail(ParseReason::BadLength);
            }
            let fo = w.be16(l3 + 6) & 0x1fff;
            let mf = w.b(l3 + 6) & 0x20 != 0;
            self.end = l3 + tl;
            self.x = l3 + 4 * ihl;
            self.nh = w.b(l3 + 9);
            self.src = w.be32(l3 + 12) as u128;
            self.dst = w.be32(l3 + 16) as u128;
            self.frag = fo != 0 || mf;
            self.later = fo != 0;
        } else {
            let pl = w.be16(l3 + 4) as u32;
            if self.len < l3 + 40 {
                return self.fail(ParseReason::Truncated);
            } else if ver != 6 {
                return self.fail(ParseReason::BadVersion);
            } else if l3 + 40 + pl > self.len {
                return self.fail(ParseReason::BadLength);
            }
            self.end = l3 + 40 + pl;
            self.x = l3 + 40;
            self.nh = w.b(l3 + 6);
            self.src = w.be128(l3 + 8);
            self.dst = w.be128(l3 + 24);
        }
        self.chain = true;
    }

    /// One extension header (one edge each, `ext_max` of them).
    fn ext(&mut self, w: &Win, hdr_bytes: u32) {
        if self.reason != ParseReason::None || !self.chain {
            return;
        }
        if self.later || !is_ext(self.nh, self.v6) {
            self.chain = false;
            return;
        }
        let x = self.x;
        if x + 8 > self.end {
            return self.fail(ParseReason::Truncated);
        } else if x + 8 > hdr_bytes {
            return self.fail(ParseReason::LongChain);
        }
        let hl = match self.nh {
            44 => 8,
            51 => (w.b(x + 1) as u32 + 2) * 4,
            _ => (w.b(x + 1) as u32 + 1) * 8,
        };
        if self.nh == 51 && w.b(x + 1) == 0 {
            // AH is at least 12 bytes (RFC 4302): a length field of 0 is malformed.
            return self.fail(ParseReason::BadLength);
        } else if x + hl > self.end {
            return self.fail(ParseReason::Truncated);
        }
        if self.nh == 44 {
            self.frag = true;
            self.later = w.be16(x + 2) >> 3 != 0;
        }
        // IPv4 carries one AH, what follows it is the transport; after a later fragment's
        // fragment header come data.
        self.chain = self.v6 && !self.later;
        self.nh = w.b(x);
        self.x = x + hl;
    }

    /// The transport header and the record (the output edge; it only reads the registers, so
    /// a walker waiting for the output register repeats it unchanged).
    fn transport(&self, w: &Win, hdr_bytes: u32) -> Record {
        let mut s = *self;
        let (mut sport, mut dport, mut flags) = (0, 0, 0);
        if s.reason == ParseReason::None {
            let x = s.x;
            let n = match (s.nh, s.v6) {
                (6, _) => 20,
                (17, _) | (1, false) | (58, true) => 8,
                (132 | 136 | 33, _) => 4,
                _ => 0,
            };
            if s.chain && is_ext(s.nh, s.v6) {
                s.fail(ParseReason::LongChain);
            } else if s.later {
            } else if x + n > s.end {
                s.fail(ParseReason::Truncated);
            } else if n > 0 && x + 14 > hdr_bytes {
                s.fail(ParseReason::LongChain);
            } else if s.nh == 6 && (w.b(x + 12) >> 4) < 5 {
                s.fail(ParseReason::BadTcpOffset);
            } else if s.nh == 6 && x + 4 * (w.b(x + 12) >> 4) as u32 > s.end {
                s.fail(ParseReason::Truncated);
            } else if n > 0 {
                (sport, dport) = (w.be16(x), w.be16(x + 2));
                if s.nh == 6 {
                    flags = w.b(x + 13);
                } else if matches!((s.nh, s.v6), (1, false) | (58, true)) {
                    let ty = w.b(x);
                    let query = if s.v6 {
                        matches!(ty, 128 | 129)
                    } else {
                        matches!(ty, 0 | 8 | 13..=18)
                    };
                    dport = if query { w.be16(x + 4) } else { 0 };
                }
            }
        }
        let ok = s.reason == ParseReason::None;
        Record {
            key: if ok {
                Key {
                    src: s.src,
                    dst: s.dst,
                    ipv6: s.v6,
                    proto: s.nh,
                    sport,
                    dport,
                    ..Key::default()
                }
            } else {
                Key::default()
            },
            flags: if ok { flags } else { 0 },
            len: s.len as u16,
            reason: s.reason,
            tags: s.tags,
            vlan: s.vlan,
            frag: if ok {
                s.frag as u8 | (s.later as u8) << 1
            } else {
                0
            },
        }
    }
}

/// The record of one whole frame (`error`: the MAC flagged it), as the parser makes it from
/// packed beats (an empty frame is a last beat without `tkeep` bits: FRAME_ERROR).
pub fn parse(frame: &[u8], error: bool, cfg: &ParserConfig) -> Record {
    let hdr = cfg.hdr_bytes as u32;
    let w = Win(&frame[..frame.len().min(cfg.hdr_bytes)]);
    let bad = error || frame.is_empty();
    let mut s = Walk::ethernet(&w, frame.len().min(65535) as u16, bad);
    s.ip(&w);
    for _ in 0..cfg.ext_max {
        s.ext(&w, hdr);
    }
    s.transport(&w, hdr)
}

/// A frame slot: its header window and what capture learnt of the frame.
#[derive(Clone, Debug)]
struct Slot {
    win: Vec<u8>,
    len: u16,
    bad: bool,
    full: bool,
}

/// The parser, one [`Parser::step`] per rising edge.
#[derive(Clone, Debug)]
pub struct Parser {
    cfg: ParserConfig,
    slots: [Slot; 2],
    /// Capture: its slot, the beat within the frame (saturating at the window), bytes so far
    /// (saturating), error so far.
    cs: usize,
    beat: usize,
    cnt: u32,
    cerr: bool,
    /// Walker: its slot and step (0 idle; 1 IP; 2..=ext_max+1 extensions; ext_max+2 output).
    ws: usize,
    st: usize,
    walk: Option<Walk>,
    out: Option<Record>,
}

impl Parser {
    /// A parser out of reset.
    pub fn new(cfg: ParserConfig) -> Parser {
        assert!(
            cfg.data_bytes >= 8
                && cfg.data_bytes <= 64
                && cfg.data_bytes.is_multiple_of(8)
                && cfg.hdr_bytes.is_multiple_of(cfg.data_bytes)
                && cfg.hdr_bytes >= 64
                && cfg.ext_max >= 1,
            "parser configuration {cfg:?}"
        );
        let slot = Slot {
            win: vec![0; cfg.hdr_bytes],
            len: 0,
            bad: false,
            full: false,
        };
        Parser {
            cfg,
            slots: [slot.clone(), slot],
            cs: 0,
            beat: 0,
            cnt: 0,
            cerr: false,
            ws: 0,
            st: 0,
            walk: None,
            out: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ParserConfig {
        &self.cfg
    }

    /// `s_tready`: a beat offered at the next edge is taken.
    pub fn ready(&self) -> bool {
        !self.slots[self.cs].full
    }

    /// The record on `m_*` (`None`: `m_valid` is 0).
    pub fn out(&self) -> Option<&Record> {
        self.out.as_ref()
    }

    /// One rising edge: `rst`, the beat offered (`s_tvalid`), `m_ready`. Returns the record
    /// that transferred at this edge, if any.
    pub fn step(&mut self, rst: bool, beat: Option<&Beat>, m_ready: bool) -> Option<Record> {
        let taken = if m_ready { self.out } else { None };
        if rst {
            for s in &mut self.slots {
                s.full = false;
            }
            (self.cs, self.beat, self.cnt, self.cerr) = (0, 0, 0, false);
            (self.ws, self.st, self.out) = (0, 0, None);
            return taken;
        }
        let ready = self.ready();
        self.walker(taken.is_some());
        if let (Some(b), true) = (beat, ready) {
            self.capture(b);
        }
        taken
    }

    fn walker(&mut self, taken: bool) {
        let hdr = self.cfg.hdr_bytes as u32;
        let slot = &self.slots[self.ws];
        let w = Win(&slot.win);
        if taken {
            self.out = None;
        }
        match self.st {
            0 if slot.full => self.walk = Some(Walk::ethernet(&w, slot.len, slot.bad)),
            0 => return,
            1 => self.walk.as_mut().unwrap().ip(&w),
            st if st <= self.cfg.ext_max + 1 => self.walk.as_mut().unwrap().ext(&w, hdr),
            _ => {
                if self.out.is_none() {
                    self.out = Some(self.walk.as_ref().unwrap().transport(&w, hdr));
                    self.slots[self.ws].full = false;
                    self.ws ^= 1;
                    self.st = 0;
                }
                return;
            }
        }
        self.st += 1;
    }

    fn capture(&mut self, b: &Beat) {
        let n = self.cfg.data_bytes;
        let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        let keep = b.keep & all;
        let packed = if b.last {
            keep != 0 && keep & keep.wrapping_add(1) == 0
        } else {
            keep == all
        };
        let slot = &mut self.slots[self.cs];
        let base = self.beat * n;
        if base < self.cfg.hdr_bytes {
            slot.win[base..base + n].copy_from_slice(&b.data[..n]);
            self.beat += 1;
        }
        let cnt = (self.cnt + keep.count_ones()).min(65535);
        let err = self.cerr || b.user || !packed;
        if b.last {
            (slot.len, slot.bad, slot.full) = (cnt as u16, err, true);
            (self.cs, self.beat, self.cnt, self.cerr) = (self.cs ^ 1, 0, 0, false);
        } else {
            (self.cnt, self.cerr) = (cnt, err);
        }
    }
}

/// A frame as beats of `data_bytes` lanes, `tkeep` packed, `tuser` on the last beat if `error`.
pub fn beats(frame: &[u8], error: bool, data_bytes: usize) -> Vec<Beat> {
    let chunks: Vec<&[u8]> = if frame.is_empty() {
        vec![&[]]
    } else {
        frame.chunks(data_bytes).collect()
    };
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut data = c.to_vec();
            data.resize(data_bytes, 0);
            Beat {
                data,
                keep: if c.len() == 64 {
                    u64::MAX
                } else {
                    (1u64 << c.len()) - 1
                },
                last: i == last,
                user: error && i == last,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend_from_slice(&et.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn ipv4_tcp() -> Vec<u8> {
        let mut ip = vec![
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 168, 1, 1,
        ];
        ip.extend_from_slice(&[0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0, 0]);
        ip.extend_from_slice(&[0, 0, 0, 0]);
        eth(0x0800, &ip)
    }

    #[test]
    fn an_ipv4_tcp_frame_gives_its_key_and_flags() {
        let r = parse(&ipv4_tcp(), false, &ParserConfig::default());
        assert_eq!(r.reason, ParseReason::None);
        assert_eq!(r.key, Key::v4(0x0a000001, 0xc0a80101, 6, 1234, 80));
        assert_eq!((r.flags, r.len, r.tags), (0x12, 54, 0));
    }

    #[test]
    fn the_clocked_parser_answers_latency_edges_after_the_last_beat() {
        let cfg = ParserConfig::default();
        let mut p = Parser::new(cfg);
        let f = ipv4_tcp();
        let bs = beats(&f, false, cfg.data_bytes);
        let mut edge = 0;
        for b in &bs {
            assert!(p.ready());
            p.step(false, Some(b), true);
            edge += 1;
        }
        let last = edge;
        while p.out().is_none() {
            p.step(false, None, false);
            edge += 1;
        }
        assert_eq!(edge - last, cfg.latency());
        assert_eq!(p.out(), Some(&parse(&f, false, &cfg)));
        assert_eq!(p.step(false, None, true), Some(parse(&f, false, &cfg)));
        assert!(p.out().is_none());
    }

    #[test]
    fn malformed_frames_get_their_reasons() {
        let cfg = ParserConfig::default();
        let mut f = ipv4_tcp();
        assert_eq!(parse(&f, true, &cfg).reason, ParseReason::FrameError);
        assert_eq!(parse(&f[..20], false, &cfg).reason, ParseReason::Truncated);
        assert_eq!(
            parse(&eth(0x0806, &[0; 28]), false, &cfg).reason,
            ParseReason::NonIp
        );
        f[14] = 0x44;
        assert_eq!(parse(&f, false, &cfg).reason, ParseReason::BadIhl);
        f[14] = 0x65;
        assert_eq!(parse(&f, false, &cfg).reason, ParseReason::BadVersion);
        f[14] = 0x45;
        f[17] = 200;
        assert_eq!(parse(&f, false, &cfg).reason, ParseReason::BadLength);
        f[17] = 40;
        f[46] = 0x40;
        assert_eq!(parse(&f, false, &cfg).reason, ParseReason::BadTcpOffset);
        let r = parse(&f, false, &cfg);
        assert_eq!((r.key, r.flags, r.frag, r.len), (Key::default(), 0, 0, 54));
    }
}
