//! The ClassBench importer (filter sets, strict and not, and traces): any text parses or
//! fails with errors naming file:line:column.
#![no_main]

use gufc_rules::classbench::{self, Options, TraceColumns};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for strict in [false, true] {
        if let Ok(set) = classbench::parse("fuzz.cb", text, Options::new(strict)) {
            let _ = gufc_rules::compile(&set);
        }
    }
    for cols in [TraceColumns::Headers, TraceColumns::Labelled] {
        if let Err(errs) = classbench::parse_trace("fuzz.trace", text, cols) {
            for e in &errs.0 {
                assert!(e.to_string().starts_with("fuzz.trace:"), "{e}");
            }
        }
    }
});
