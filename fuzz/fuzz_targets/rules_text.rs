//! The rule language: any text parses to a rule set or to errors naming file:line:column; a
//! parsed set compiles or fails with an error, and every compiled entry belongs to a rule.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match gufc_rules::text::parse("fuzz.rules", text) {
        Ok(set) => {
            if let Ok(c) = gufc_rules::compile(&set) {
                for e in 0..c.len() {
                    assert!(c.rule_of(e) < set.len());
                }
            }
        }
        Err(errs) => {
            for e in &errs.0 {
                assert!(e.to_string().starts_with("fuzz.rules:"), "{e}");
            }
        }
    }
});
