//! Interrupt vectors with moderation, mask and pending bits (`rtl/v2/gufc_irq.v`; the
//! contract is docs/interrupts.md), edge for edge.

/// A configuration write's field (`cfg_field`): the register map's `[irq_field]`, the word a
/// vector's field has in BAR0 (docs/nic.md).
pub use gufc_regmap::IrqField;

/// One edge's inputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct IrqIn {
    /// `rst`.
    pub rst: bool,
    /// An event for this vector (`ev_valid`, `ev_vec`).
    pub event: Option<u16>,
    /// A configuration write: vector, field, data.
    pub cfg: Option<(u16, IrqField, u16)>,
    /// `irq_ready`.
    pub ready: bool,
}

#[derive(Clone, Copy, Debug)]
struct Vector {
    frames: u16,
    timer: u16,
    mask: bool,
    pending: bool,
    count: u16,
    armed: bool,
    age: u16,
}

const RESET: Vector = Vector {
    frames: 0,
    timer: 0,
    mask: true,
    pending: false,
    count: 0,
    armed: false,
    age: 0,
};

/// The interrupt block.
#[derive(Clone, Debug)]
pub struct Irq {
    v: Vec<Vector>,
    out: Option<u16>,
}

impl Irq {
    /// `vectors` vectors (1..=256), out of reset.
    pub fn new(vectors: usize) -> Irq {
        assert!((1..=256).contains(&vectors), "{vectors} vectors");
        Irq {
            v: vec![RESET; vectors],
            out: None,
        }
    }

    /// The message on `irq_valid`/`irq_vec`.
    pub fn message(&self) -> Option<u16> {
        self.out
    }

    /// The `pending` bits, vector `i` at bit `i % 64` of word `i / 64`.
    pub fn pending(&self) -> Vec<u64> {
        let mut w = vec![0u64; self.v.len().div_ceil(64)];
        for (i, v) in self.v.iter().enumerate() {
            w[i / 64] |= (v.pending as u64) << (i % 64);
        }
        w
    }

    /// One rising edge; returns the message that transferred at it.
    pub fn step(&mut self, i: &IrqIn) -> Option<u16> {
        let sent = if i.ready { self.out } else { None };
        if i.rst {
            self.v.fill(RESET);
            self.out = None;
            return sent;
        }
        let fires: Vec<bool> = self.v.iter().map(fires).collect();
        if sent.is_some() {
            self.out = None;
        }
        if self.out.is_none() {
            self.out = self
                .v
                .iter()
                .position(|v| v.pending && !v.mask)
                .map(|n| n as u16);
            if let Some(n) = self.out {
                self.v[n as usize].pending = false;
            }
        }
        for (n, v) in self.v.iter_mut().enumerate() {
            let ev = i.event == Some(n as u16);
            if fires[n] {
                v.pending = true;
                (v.count, v.age, v.armed) = (ev as u16, 0, ev);
            } else if ev {
                v.count = v.count.saturating_add(1);
                v.age = if v.armed { v.age.saturating_add(1) } else { 0 };
                v.armed = true;
            } else if v.armed {
                v.age = v.age.saturating_add(1);
            }
        }
        if let Some((n, field, data)) = i.cfg {
            if let Some(v) = self.v.get_mut(n as usize) {
                match field {
                    IrqField::Frames => v.frames = data,
                    IrqField::Timer => v.timer = data,
                    IrqField::Mask => v.mask = data & 1 != 0,
                    IrqField::Pending => {
                        if data & 1 != 0 && !fires[n as usize] {
                            v.pending = false;
                        }
                    }
                }
            }
        }
        sent
    }
}

/// The firing rule (docs/interrupts.md, step 1), on the state before the edge.
fn fires(v: &Vector) -> bool {
    v.armed
        && ((v.frames != 0 && v.count >= v.frames)
            || (v.timer != 0 && v.age >= v.timer)
            || (v.frames == 0 && v.timer == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(irq: &mut Irq, n: u16, f: IrqField, d: u16) {
        irq.step(&IrqIn {
            cfg: Some((n, f, d)),
            ready: true,
            ..IrqIn::default()
        });
    }

    /// Edges from an edge with an event on vector 0 to the edge after which its message shows.
    fn delay(irq: &mut Irq, events: usize) -> usize {
        for _ in 0..events {
            irq.step(&IrqIn {
                event: Some(0),
                ready: true,
                ..IrqIn::default()
            });
        }
        let mut edges = 0;
        while irq.message().is_none() {
            irq.step(&IrqIn::default());
            edges += 1;
            assert!(edges < 1000);
        }
        edges
    }

    #[test]
    fn moderation_timing_is_the_documented_one() {
        let mut irq = Irq::new(17);
        cfg(&mut irq, 0, IrqField::Mask, 0);
        assert_eq!(delay(&mut irq, 1), 2, "no moderation: message after e+2");
        assert_eq!(
            irq.step(&IrqIn {
                ready: true,
                ..IrqIn::default()
            }),
            Some(0)
        );
        cfg(&mut irq, 0, IrqField::Timer, 10);
        assert_eq!(delay(&mut irq, 1), 12, "timer t: t + 2");
        irq.step(&IrqIn {
            ready: true,
            ..IrqIn::default()
        });
        cfg(&mut irq, 0, IrqField::Frames, 3);
        assert_eq!(delay(&mut irq, 3), 2, "the third event fires");
        assert_eq!(irq.pending(), vec![0]);
    }

    #[test]
    fn a_masked_vector_stays_pending_until_unmasked() {
        let mut irq = Irq::new(2);
        irq.step(&IrqIn {
            event: Some(1),
            ..IrqIn::default()
        });
        irq.step(&IrqIn::default());
        irq.step(&IrqIn::default());
        assert_eq!((irq.message(), irq.pending()), (None, vec![2]));
        cfg(&mut irq, 1, IrqField::Mask, 0);
        irq.step(&IrqIn::default());
        assert_eq!((irq.message(), irq.pending()), (Some(1), vec![0]));
    }
}
