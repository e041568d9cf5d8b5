//! Register round trips through vfio-user: reads/s and writes/s of SCRATCH through the socket
//! to a model served by a thread of this process, beside the same accesses in-process.
//! `cargo bench -p gufc --bench vfio_user [-- N] [SOCKET]` (N accesses of each kind, default
//! 200,000; with SOCKET, through a server already listening there, e.g. `gufc serve` in
//! another process).

use std::time::Instant;

use gufc::backend::{Bar, ModelBar};
use gufc::vfio_user::{ServeOptions, Server, VfioUserBar};
use gufc_regmap::reg;

fn config() -> gufc_hw_model::Config {
    gufc_hw_model::Config {
        tcam_entries: 1024,
        flow_buckets: 256,
        ..gufc_hw_model::Config::default()
    }
}

/// (reads/s, writes/s) of `n` SCRATCH accesses each.
fn rate(bar: &mut dyn Bar, n: u32) -> (f64, f64) {
    let t = Instant::now();
    for i in 0..n {
        bar.write32(reg::SCRATCH, i).unwrap();
    }
    let w = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut sum = 0u64;
    for _ in 0..n {
        sum += bar.read32(reg::SCRATCH).unwrap() as u64;
    }
    assert_eq!(
        sum,
        n as u64 * (n as u64 - 1),
        "every read saw the last write"
    );
    (n as f64 / t.elapsed().as_secs_f64(), w)
}

fn main() {
    let n: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let external = std::env::args()
        .skip(1)
        .find(|a| a.contains('/'))
        .map(std::path::PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let path = match &external {
        Some(p) => p.clone(),
        None => {
            let path = dir.path().join("gufc.sock");
            let mut server = Server::bind(
                &path,
                ServeOptions {
                    vectors: 16,
                    log: false,
                },
            )
            .unwrap();
            let mut model = ModelBar::new(config()).unwrap();
            std::thread::spawn(move || server.run(&mut model));
            path
        }
    };
    let mut remote = VfioUserBar::open(&path, false).unwrap();
    rate(&mut remote, n / 10 + 1); // warm up
    let (r, w) = rate(&mut remote, n);
    let mut local = ModelBar::new(config()).unwrap();
    let (lr, lw) = rate(&mut local, n);
    let server = match &external {
        Some(p) => format!("the server at {}", p.display()),
        None => "a model served by a thread of this process".into(),
    };
    println!("vfio-user register round trips ({n} each, {server}):");
    println!(
        "  through the socket: {r:>12.0} reads/s {w:>12.0} writes/s  ({:.2} us per read)",
        1e6 / r
    );
    println!("  in-process model:   {lr:>12.0} reads/s {lw:>12.0} writes/s");
}
