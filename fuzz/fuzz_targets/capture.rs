//! The pcap/pcapng reader and the frame decoder: any bytes give records or an error naming the
//! byte offset, and every record decodes to a key or a reason to skip it.
#![no_main]

use gufc_flowlife::capture::{decode, CaptureReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cursor = std::io::Cursor::new(data.to_vec());
    let Ok(mut r) = CaptureReader::new(Box::new(cursor), "fuzz.pcap") else {
        return;
    };
    // Every record consumes bytes, so a capture of n bytes has fewer than n records.
    for _ in 0..=data.len() {
        match r.next_record() {
            Ok(Some(rec)) => {
                let _ = decode(rec.link, &rec.data, rec.orig_len);
                assert!(r.position() <= data.len() as u64);
            }
            Ok(None) => return,
            Err(e) => {
                assert!(e.to_string().contains("fuzz.pcap"), "{e}");
                return;
            }
        }
    }
    panic!("more records than bytes");
});
