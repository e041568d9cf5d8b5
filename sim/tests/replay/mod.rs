//! What the packet path's block tests share (parser, receive DMA, interrupts, frame buffer,
//! the NIC): their Verilated testbench run over a stimulus file (`sim/csrc/tb_replay.h`), the
//! first word where its trace and the model's differ, the parser's build (the test and the
//! bench), and host memory behind an IOMMU.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use gufc::rx::DmaMemory;
use gufc_hw_model::v2::parser::ParserConfig;

use crate::testbench::verilate;

/// Verilates the frame parser (`rtl/v2/gufc_parser.v`) with `sim/csrc/parser_tb.cpp` at `cfg`.
pub fn verilate_parser(cfg: &ParserConfig) -> PathBuf {
    let dw = cfg.data_bytes * 8;
    verilate(
        &format!("parser_dw{dw}_h{}_e{}", cfg.hdr_bytes, cfg.ext_max),
        "gufc_parser",
        &["rtl/v2/gufc_parser.v".into()],
        &[
            format!("DW={dw}"),
            format!("HDR_BYTES={}", cfg.hdr_bytes),
            format!("EXT_MAX={}", cfg.ext_max),
        ],
        &format!("-DNDW={dw}"),
        "parser_tb",
    )
}

/// Runs the Verilated testbench `exe` on `stim` (written beside it as `stim-<what>.bin`, left
/// for replaying a failure); returns its trace and the stimulus file.
pub fn run(exe: &Path, stim: &[u32], what: &str) -> (Vec<u32>, PathBuf) {
    let dir = exe.parent().unwrap();
    let file = dir.join(format!("stim-{what}.bin"));
    let trace = dir.join(format!("trace-{what}.bin"));
    let bytes: Vec<u8> = stim.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new(exe)
        .arg(&file)
        .arg(&trace)
        .output()
        .expect("running a Verilated testbench");
    let report =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    println!("{what}: {report}");
    assert!(
        out.status.success(),
        "{what}: parser testbench failed: {report}"
    );
    let got = std::fs::read(&trace)
        .unwrap()
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    std::fs::remove_file(&trace).ok();
    (got, file)
}

/// The first (edge, word) where two traces of `words` words per edge differ (their lengths
/// checked first).
pub fn first_mismatch(
    got: &[u32],
    expect: &[u32],
    words: usize,
    what: &str,
) -> Option<(usize, usize)> {
    assert_eq!(got.len(), expect.len(), "{what}: trace length");
    got.chunks(words)
        .zip(expect.chunks(words))
        .enumerate()
        .find_map(|(e, (g, m))| (0..words).find(|&k| g[k] != m[k]).map(|k| (e, k)))
}

/// Host memory behind an IOMMU (the receive DMA's and the NIC's tests): mapped ranges, blocks of
/// `hole` bytes left out of the map (a buffer the driver forgot), and the bytes written.
pub struct Memory {
    /// (IOVA, length) of each mapped range.
    pub mapped: Vec<(u64, u64)>,
    /// Start of each block left out.
    pub holes: BTreeSet<u64>,
    /// A block's size (a power of two).
    pub hole: u64,
    /// What was written, by IOVA.
    pub bytes: BTreeMap<u64, u8>,
}

impl Memory {
    /// Whether `n` bytes at `a` are inside the map and outside every hole.
    pub fn is_mapped(&self, a: u64, n: u64) -> bool {
        self.mapped.iter().any(|&(s, l)| a >= s && a + n <= s + l)
            && !self.holes.contains(&(a & !(self.hole - 1)))
    }
}

impl DmaMemory for Memory {
    fn write(&mut self, iova: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.bytes.insert(iova + i as u64, *b);
        }
    }
    fn read(&self, iova: u64, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            *b = self.bytes.get(&(iova + i as u64)).copied().unwrap_or(0);
        }
    }
}
