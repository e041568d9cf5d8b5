//! Runs a capture through a simulated NIC with the slow path learning flows: packets enter
//! the key port one per cycle (or paced by their timestamps), the host handles every result
//! it would receive, and sweeps age and re-validate the cache on the capture's clock.

use std::collections::{BTreeMap, VecDeque};

use gufc_regmap::{Action, HitKind, KeyIn};

use crate::capture::{decode, CaptureReader, Decoded, PcapError, Skip};
use crate::slowpath::{HostVerdict, SlowPath};
use crate::stats::{reason_name, SlowPathStats};
use crate::subscriber::HostPacket;
use crate::wire::Wire;
use gufc::backend::{Bar, Sim};
use gufc::device::{Device, DeviceError};

/// The device clock assumed when pacing by timestamps: 250 MHz (4 ns per cycle).
pub const CLOCK_HZ: u64 = 250_000_000;

/// How fast packets arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Back to back: one packet per cycle whenever the device takes one.
    Max,
    /// The capture's own timing scaled by this factor (2.0 = twice as fast), on a
    /// [`CLOCK_HZ`] device clock. Idle gaps with nothing in flight are skipped, not simulated.
    Scaled(f64),
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Speed, String> {
        if s == "max" {
            return Ok(Speed::Max);
        }
        let t = s.strip_suffix('x').unwrap_or(s);
        match t.parse::<f64>() {
            Ok(f) if f > 0.0 && f.is_finite() => Ok(Speed::Scaled(f)),
            _ => Err(format!("'{s}': a speed is `max` or a positive factor of the capture's timing such as `1`, `0.5` or `10x`")),
        }
    }
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The capture file is unreadable or corrupt (the error names the byte offset).
    #[error(transparent)]
    Pcap(#[from] PcapError),
    /// A register access of the slow path failed or the device refused a command.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Results must leave the device in key order; this one did not (a device bug).
    #[error("result for packet tag {got} arrived where tag {expected} was due: the device reordered or lost a packet")]
    Order {
        /// The tag due next (`u32::MAX` if no packet was due at all).
        expected: u32,
        /// The tag of the result that arrived.
        got: u32,
    },
}

/// A point of the flow-cache hit rate over the run.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct HitPoint {
    /// Packets looked up so far (end of the window).
    pub packets: u64,
    /// Share of the window's packets decided by a current flow entry.
    pub hit_rate: f64,
}

/// Everything a replay counted; the JSON of `gufc replay --json` (docs/flow-life.md). Every
/// record is accounted for once: `packets_total = non_ip + truncated + malformed + Σchannels +
/// dropped + Σslow_path`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ReplayReport {
    /// Every record in the file.
    pub packets_total: u64,
    /// Frames that are neither IPv4 nor IPv6 (VLAN-tagged IP counts as IP).
    pub non_ip: u64,
    /// Frames whose capture ends before the headers of the key.
    pub truncated: u64,
    /// IP frames with inconsistent headers (not looked up).
    pub malformed: u64,
    /// Packets looked up by the device.
    pub lookups: u64,
    /// Looked-up frames that carried at least one VLAN tag.
    pub vlan_tagged: u64,
    /// Looked-up frames captured shorter than on the wire (headers complete).
    pub snapped: u64,
    /// Connections learned into the cache (each once).
    pub flows_learned: u64,
    /// Connections ended by their idle or closed timeout during the run.
    pub flows_expired: u64,
    /// Connections still tracked at the end of the capture.
    pub flows_active: u64,
    /// Packets decided by a current flow entry.
    pub cache_hits: u64,
    /// Packets the device dropped.
    pub dropped: u64,
    /// Packets the device sent to the slow path, by reason name (`miss`, `rule`, `stale`,
    /// `interest_*`, or a rule's own reason number).
    pub slow_path: BTreeMap<String, u64>,
    /// Packets the device delivered, by channel number.
    pub channels: BTreeMap<String, u64>,
    /// Host packets the slow path passed on to their channel ([`HostVerdict::Forward`]).
    pub host_forwarded: u64,
    /// Host packets the slow path kept ([`HostVerdict::Consume`]).
    pub host_consumed: u64,
    /// Host packets the slow path dropped ([`HostVerdict::Drop`]).
    pub host_dropped: u64,
    /// Device clock cycles simulated (skipped idle cycles not included).
    pub cycles: u64,
    /// Idle cycles skipped when pacing by timestamps.
    pub skipped_cycles: u64,
    /// `lookups / cycles`: 1.0 is line rate.
    pub lookups_per_cycle: f64,
    /// `cache_hits / lookups`.
    pub hit_rate: f64,
    /// The hit rate in successive windows of packets (at most 200 points).
    pub hit_rate_over_time: Vec<HitPoint>,
    /// The slow path's own counters at the end.
    pub host: SlowPathStats,
    /// Each subscriber's [`Subscriber::report`](crate::Subscriber::report), by name.
    pub subscribers: BTreeMap<String, serde_json::Value>,
}

/// Per-run options.
pub struct ReplayOptions<'a> {
    /// Packet pacing (default: the capture's own timing).
    pub speed: Speed,
    /// Host time between aging/re-validation sweeps (capture clock).
    pub sweep_interval_ns: u64,
    /// Called now and then with (bytes read, packets so far).
    pub progress: Option<&'a mut dyn FnMut(u64, u64)>,
    /// End every connection at the end (final counters to the subscribers).
    pub shutdown: bool,
}

impl Default for ReplayOptions<'_> {
    fn default() -> Self {
        ReplayOptions {
            speed: Speed::Scaled(1.0),
            sweep_interval_ns: 1_000_000_000,
            progress: None,
            shutdown: true,
        }
    }
}

struct Meta {
    tag: u32,
    ts_ns: u64,
    tcp_flags: u8,
    key: gufc_regmap::Key,
}

/// Packets kept queued on the wire ahead of the device.
const LOOKAHEAD: usize = 256;
const FIRST_WINDOW: u64 = 1000;
const MAX_POINTS: usize = 200;

struct HitCurve {
    window: u64,
    in_window: u64,
    hits_in_window: u64,
    points: Vec<HitPoint>,
    total: u64,
}

impl HitCurve {
    fn add(&mut self, hit: bool) {
        self.total += 1;
        self.in_window += 1;
        self.hits_in_window += hit as u64;
        if self.in_window == self.window {
            self.points.push(HitPoint {
                packets: self.total,
                hit_rate: self.hits_in_window as f64 / self.window as f64,
            });
            self.in_window = 0;
            self.hits_in_window = 0;
            if self.points.len() == MAX_POINTS {
                // Halve the resolution: merge neighbours, double the window.
                self.points = self
                    .points
                    .chunks(2)
                    .map(|p| HitPoint {
                        packets: p[1].packets,
                        hit_rate: (p[0].hit_rate + p[1].hit_rate) / 2.0,
                    })
                    .collect();
                self.window *= 2;
            }
        }
    }
    fn finish(&mut self) {
        if self.in_window > 0 {
            self.points.push(HitPoint {
                packets: self.total,
                hit_rate: self.hits_in_window as f64 / self.in_window as f64,
            });
        }
    }
}

/// One record of the traffic: a packet for the key port, or a frame the decoder skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// An IP packet, to be looked up.
    Packet(Packet),
    /// A frame that is not looked up, and why.
    Skipped(Skip),
}

/// A packet arriving at the NIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Capture timestamp, nanoseconds (the host clock during replay).
    pub ts_ns: u64,
    /// Its 7-tuple key, locality bits clear (the device computes them).
    pub key: gufc_regmap::Key,
    /// TCP flags (0 for other protocols).
    pub tcp_flags: u8,
    /// Wire length in bytes (saturated to 65535): what the byte counters add.
    pub len: u16,
    /// The frame carried a VLAN tag.
    pub vlan: bool,
    /// Captured shorter than on the wire (headers complete).
    pub snapped: bool,
}

/// Replays `reader` through `dev` with `slow` as the host. The device should be freshly
/// reset with its rules loaded.
pub fn replay<S: Sim>(
    dev: &mut Device<Wire<S>>,
    slow: &mut SlowPath,
    mut reader: CaptureReader,
    opts: ReplayOptions<'_>,
) -> Result<ReplayReport, ReplayError> {
    let arrivals = std::iter::from_fn(move || {
        let rec = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => return None,
            Err(e) => return Some(Err(ReplayError::Pcap(e))),
        };
        let pos = reader.position();
        Some(Ok((
            match decode(rec.link, &rec.data, rec.orig_len) {
                Decoded::Skip(s) => Arrival::Skipped(s),
                Decoded::Ip(f) => Arrival::Packet(Packet {
                    ts_ns: rec.ts_ns,
                    key: f.key,
                    tcp_flags: f.tcp_flags,
                    len: f.len,
                    vlan: f.vlan.is_some(),
                    snapped: (rec.data.len() as u32) < rec.orig_len,
                }),
            },
            pos,
        )))
    });
    run(dev, slow, arrivals, opts)
}

/// Runs arrivals (each with the byte position reached, for progress) through `dev` and `slow`.
pub fn run<S: Sim>(
    dev: &mut Device<Wire<S>>,
    slow: &mut SlowPath,
    mut arrivals: impl Iterator<Item = Result<(Arrival, u64), ReplayError>>,
    mut opts: ReplayOptions<'_>,
) -> Result<ReplayReport, ReplayError> {
    let mut rep = ReplayReport::default();
    let mut metas: VecDeque<Meta> = VecDeque::new();
    let mut curve = HitCurve {
        window: FIRST_WINDOW,
        in_window: 0,
        hits_in_window: 0,
        points: Vec::new(),
        total: 0,
    };
    let start_cycle = dev.bar().inner().cycle();
    let base = dev.bar().virtual_cycle();
    let mut ts0: Option<u64> = None;
    let mut last_sweep: Option<u64> = None;
    let mut now = 0u64;
    let mut eof = false;
    let mut tag = 0u32;
    let ended0 = |s: &SlowPathStats| {
        s.ended.get("idle").copied().unwrap_or(0) + s.ended.get("closed").copied().unwrap_or(0)
    };
    let expired0 = ended0(&slow.stats);
    let learned0 = slow.stats.flows_learned;
    let stall_budget = gufc::stream::stall_budget(dev.caps().latency as u64);
    let mut idle = 0u64;
    loop {
        while !eof && dev.bar().queued() < LOOKAHEAD {
            let Some(next) = arrivals.next() else {
                eof = true;
                break;
            };
            let (arrival, pos) = next?;
            rep.packets_total += 1;
            if rep.packets_total % 4096 == 0 {
                if let Some(p) = opts.progress.as_mut() {
                    p(pos, rep.packets_total);
                }
            }
            match arrival {
                Arrival::Skipped(Skip::NonIp) => rep.non_ip += 1,
                Arrival::Skipped(Skip::Truncated) => rep.truncated += 1,
                Arrival::Skipped(Skip::Malformed) => rep.malformed += 1,
                Arrival::Packet(p) => {
                    rep.vlan_tagged += p.vlan as u64;
                    rep.snapped += p.snapped as u64;
                    let t0 = *ts0.get_or_insert(p.ts_ns);
                    let release = match opts.speed {
                        Speed::Max => 0,
                        Speed::Scaled(x) => {
                            base + ((p.ts_ns.saturating_sub(t0)) as f64 * CLOCK_HZ as f64 / 1e9 / x)
                                as u64
                        }
                    };
                    dev.bar()
                        .push(key_in(p.key, p.len, tag, p.tcp_flags), release);
                    metas.push_back(Meta {
                        tag,
                        ts_ns: p.ts_ns,
                        tcp_flags: p.tcp_flags,
                        key: p.key,
                    });
                    tag = tag.wrapping_add(1);
                }
            }
        }
        if dev.bar().queued() == 0 && dev.bar().in_flight() == 0 && metas.is_empty() {
            break;
        }
        let skipped = dev.bar().skip_idle();
        rep.skipped_cycles += skipped;
        let queued = dev.bar().queued();
        dev.bar().tick();
        // A device that takes no key and returns no result for longer than its latency allows
        // ends the replay with an error, not an endless loop.
        let progress = skipped > 0 || dev.bar().queued() < queued || dev.bar().has_result();
        idle = if progress { 0 } else { idle + 1 };
        if idle >= stall_budget {
            return Err(DeviceError::StreamStalled {
                backend: dev.bar().name(),
                cycles: idle,
                sent: rep.lookups + dev.bar().in_flight(),
                received: rep.lookups,
                latency: dev.caps().latency as u64,
            }
            .into());
        }
        while let Some(r) = dev.bar().pop_result() {
            let m = metas.pop_front().ok_or(ReplayError::Order {
                expected: u32::MAX,
                got: r.tag,
            })?;
            if m.tag != r.tag {
                return Err(ReplayError::Order {
                    expected: m.tag,
                    got: r.tag,
                });
            }
            now = now.max(m.ts_ns);
            rep.lookups += 1;
            let hit = r.kind == HitKind::Flow;
            rep.cache_hits += hit as u64;
            curve.add(hit);
            match r.action {
                Action::Deliver { channel } => {
                    *rep.channels.entry(channel.to_string()).or_default() += 1
                }
                Action::Drop => rep.dropped += 1,
                Action::SlowPath { reason } => {
                    *rep.slow_path.entry(reason_name(reason)).or_default() += 1
                }
            }
            // The host never sees what a flow entry delivers or drops, nor what a rule drops.
            let host_sees = !matches!(
                (r.kind, r.action),
                (_, Action::Drop) | (HitKind::Flow, Action::Deliver { .. })
            );
            if host_sees {
                let pkt = HostPacket {
                    key: m.key,
                    tcp_flags: m.tcp_flags,
                    len: r.len,
                    ts_ns: m.ts_ns,
                    result: r,
                };
                match slow.handle(dev, &pkt)? {
                    HostVerdict::Forward { .. } => rep.host_forwarded += 1,
                    HostVerdict::Consume => rep.host_consumed += 1,
                    HostVerdict::Drop => rep.host_dropped += 1,
                }
            }
            let due = last_sweep.is_none_or(|t| now >= t + opts.sweep_interval_ns);
            if due {
                if last_sweep.is_some() {
                    slow.sweep(dev, now)?;
                }
                last_sweep = Some(now);
            }
        }
    }
    slow.sweep(dev, now)?;
    curve.finish();
    rep.flows_active = slow.table.len() as u64;
    rep.flows_expired = ended0(&slow.stats) - expired0;
    rep.flows_learned = slow.stats.flows_learned - learned0;
    if opts.shutdown {
        slow.shutdown(dev)?;
    }
    rep.cycles = dev.bar().inner().cycle() - start_cycle;
    rep.lookups_per_cycle = if rep.cycles == 0 {
        0.0
    } else {
        rep.lookups as f64 / rep.cycles as f64
    };
    rep.hit_rate = if rep.lookups == 0 {
        0.0
    } else {
        rep.cache_hits as f64 / rep.lookups as f64
    };
    rep.hit_rate_over_time = curve.points;
    rep.host = slow.stats.clone();
    for s in slow.subscribers() {
        rep.subscribers.insert(s.name().to_string(), s.report());
    }
    Ok(rep)
}

/// The key-port input for a packet.
pub fn key_in(key: gufc_regmap::Key, len: u16, tag: u32, tcp_flags: u8) -> KeyIn {
    KeyIn {
        key,
        len,
        tag,
        tcp_flags,
    }
}
