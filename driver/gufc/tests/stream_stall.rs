//! A packet stream on a device that stops answering ends with a clear error in bounded time,
//! never a hang: one device loses every result, another never accepts a key.
#![cfg(feature = "model")]

use std::time::{Duration, Instant};

use gufc::backend::{Clocked, ClockedBar};
use gufc::device::DeviceError;
use gufc::stream;
use gufc_hw_model::{Config, Model};
use gufc_regmap::{CycleIn, CycleOut, Key, KeyIn};

/// How the broken device fails.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// Keys go in, no result ever comes out.
    LoseResults,
    /// `key_ready` stays low.
    NeverReady,
}

/// The model with one fault on its packet ports; registers work.
struct Broken {
    model: Model,
    fault: Fault,
}

impl Clocked for Broken {
    const NAME: &'static str = "broken model";
    fn step(&mut self, input: &CycleIn) -> CycleOut {
        let mut input = *input;
        if self.fault == Fault::NeverReady {
            input.key = None;
        }
        let mut out = self.model.step(&input);
        match self.fault {
            Fault::LoseResults => out.result = None,
            Fault::NeverReady => {
                out.key_ready = false;
                out.accepted = false;
            }
        }
        out
    }
    fn cycle(&self) -> u64 {
        self.model.cycle()
    }
}

fn keys(n: u32) -> Vec<KeyIn> {
    (0..n)
        .map(|i| KeyIn {
            key: Key::v4(0x0A00_0000 + i, 0xC0A8_0001, 6, 1000, 80),
            len: 64,
            tag: 0,
            tcp_flags: 0,
        })
        .collect()
}

fn stalled(fault: Fault) -> (u64, u64, u64, u64, Duration) {
    let model = Model::new(Config::default()).unwrap();
    let mut bar = ClockedBar::wrap(Broken { model, fault });
    let t = Instant::now();
    let err = stream::classify_all(&mut bar, keys(100)).expect_err("a stalled stream must fail");
    let took = t.elapsed();
    let msg = err.to_string();
    match err {
        DeviceError::StreamStalled {
            cycles,
            sent,
            received,
            latency,
            ..
        } => {
            assert!(msg.contains("stream stalled"), "{msg}");
            (cycles, sent, received, latency, took)
        }
        other => panic!("expected StreamStalled, got {other}"),
    }
}

#[test]
fn lost_results_end_the_stream_with_an_error() {
    let (cycles, sent, received, latency, took) = stalled(Fault::LoseResults);
    assert_eq!(latency, gufc_regmap::device::LATENCY as u64);
    assert_eq!(received, 0);
    assert_eq!(sent, 100, "every key went in before the wait began");
    assert_eq!(cycles, 2 * latency + 8);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_device_that_never_takes_a_key_ends_the_stream_with_an_error() {
    let (cycles, sent, received, _, took) = stalled(Fault::NeverReady);
    assert_eq!((sent, received), (0, 0));
    assert!(cycles > 0);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_working_device_streams_without_error() {
    let mut bar = ClockedBar::wrap(Model::new(Config::default()).unwrap());
    let (results, st) = stream::classify_all(&mut bar, keys(100)).unwrap();
    assert_eq!(results.len(), 100);
    assert_eq!(st.keys, 100);
}
