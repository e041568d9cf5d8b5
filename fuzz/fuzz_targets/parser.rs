//! The NIC's frame parser (its model, which the RTL equals edge for edge): any frame, at any
//! data width and extension-header bound, gives a record without panicking; the clocked parser
//! fed the frame as beats (with output backpressure) hands out the same record as the untimed
//! walk; a record with a reason carries no key. Input: a configuration byte, a control byte
//! (error flag, backpressure pattern), then the frame.
#![no_main]

use gufc_hw_model::v2::parser::{beats, parse, Parser, ParserConfig};
use gufc_regmap::{Key, ParseReason};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [c, ctl, frame @ ..] = data else {
        return;
    };
    let data_bytes = [8, 16, 32, 64][(c & 3) as usize];
    let cfg = ParserConfig {
        data_bytes,
        hdr_bytes: data_bytes.max(64) * (1 + (c >> 2 & 1) as usize),
        ext_max: 1 + (c >> 3 & 7) as usize,
    };
    let error = ctl & 1 != 0;
    let want = parse(frame, error, &cfg);
    if want.reason != ParseReason::None {
        assert_eq!((want.key, want.flags, want.frag), (Key::default(), 0, 0));
    }
    assert_eq!(want.len as usize, frame.len().min(65535));
    let mut p = Parser::new(cfg);
    p.step(true, None, true);
    let mut got = None;
    let mut edge = 0u32;
    for b in beats(frame, error, data_bytes) {
        while !p.ready() {
            got = got.or(p.step(false, None, true));
            edge += 1;
        }
        got = got.or(p.step(false, Some(&b), ctl >> (1 + edge % 7) & 1 == 0));
        edge += 1;
    }
    for _ in 0..cfg.latency() + 8 {
        got = got.or(p.step(false, None, ctl >> (1 + edge % 7) & 1 == 0 || edge > 1000));
        edge += 1;
    }
    if got.is_none() {
        got = p.step(false, None, true);
    }
    assert_eq!(got, Some(want));
});
