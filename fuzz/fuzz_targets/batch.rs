//! Batch files (`gufc -f FILE`): any text parses to commands or fails naming FILE:LINE,
//! before anything runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = gufc_cli::batch::parse("fuzz.gufc", text) {
        assert!(e.to_string().contains("fuzz.gufc:"), "{e}");
    }
});
