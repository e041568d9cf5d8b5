//! A hostile vfio-user client against `gufc::vfio_user::Server`: raw messages with bad
//! regions, offsets, sizes and alignment, truncated headers, overlapping and wrapping DMA maps,
//! disconnects mid-message. Every bad message gets an errno (or, where the stream cannot be
//! trusted, the connection ends), the server keeps serving, and a fresh client then finds the
//! device exactly as the last whole message left it.
#![cfg(all(target_os = "linux", feature = "model"))]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gufc::backend::ModelBar;
use gufc::vfio_user::proto::{cmd, flags, region, Header, Out, HEADER_LEN};
use gufc::vfio_user::{Client, ServeOptions, Server, VfioUserBar};
use gufc::{Device, OpenOptions};
use gufc_regmap::{device, reg, Action, TcamEntry};

const EINVAL: u32 = libc::EINVAL as u32;

/// A served 64-entry model; the server thread lives until the test process ends.
fn serve(dir: &Path) -> PathBuf {
    let path = dir.join("gufc.sock");
    let mut server = Server::bind(
        &path,
        ServeOptions {
            vectors: 8,
            log: false,
        },
    )
    .unwrap();
    let mut model = ModelBar::new(gufc_hw_model::Config {
        tcam_entries: 64,
        flow_buckets: 4,
        flow_ways: 2,
        channels: 8,
        local_entries: 4,
    })
    .unwrap();
    std::thread::spawn(move || server.run(&mut model));
    path
}

/// A client that writes whatever bytes it likes.
struct Raw {
    s: UnixStream,
    id: u16,
}

impl Raw {
    fn connect(path: &Path) -> Raw {
        let s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw { s, id: 100 }
    }

    /// Sends a command; returns the reply's header and payload.
    fn call(&mut self, command: u16, payload: &[u8]) -> (Header, Vec<u8>) {
        self.id += 1;
        let h = Header {
            id: self.id,
            command,
            ..Header::default()
        };
        self.s.write_all(&h.message(payload)).unwrap();
        self.reply()
    }

    fn reply(&mut self) -> (Header, Vec<u8>) {
        let mut hb = [0; HEADER_LEN];
        self.s.read_exact(&mut hb).expect("a reply");
        let h = Header::decode(&hb);
        let mut body = vec![0; h.size as usize - HEADER_LEN];
        self.s.read_exact(&mut body).unwrap();
        (h, body)
    }

    /// The errno of the reply to this command (0: success).
    fn errno(&mut self, command: u16, payload: &[u8]) -> u32 {
        let (h, _) = self.call(command, payload);
        assert_eq!(
            (h.id, h.command),
            (self.id, command),
            "reply pairs the command"
        );
        assert_eq!(h.flags & flags::ERROR != 0, h.error != 0, "{h:?}");
        h.error
    }

    fn version(&mut self) {
        let v = Out::default().u16(0).u16(1).bytes(b"{}\0");
        assert_eq!(self.errno(cmd::VERSION, &v.0), 0);
    }
}

fn access(region: u32, offset: u64, count: u32) -> Out {
    Out::default().u64(offset).u32(region).u32(count)
}

fn dma_map(iova: u64, size: u64) -> Vec<u8> {
    Out::default().u32(32).u32(3).u64(0).u64(iova).u64(size).0
}

/// SCRATCH as a well-behaved client sees it.
fn scratch(path: &Path) -> u32 {
    let mut c = Client::connect(path).unwrap();
    let mut b = [0; 4];
    c.region_read(region::BAR0, reg::SCRATCH as u64, &mut b)
        .unwrap();
    u32::from_le_bytes(b)
}

#[test]
fn hostile_messages_get_errors_and_the_device_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = serve(dir.path());

    // A committed rule set and a SCRATCH value that nothing below may disturb.
    let mut dev = Device::open(
        VfioUserBar::open(&path, false).unwrap(),
        OpenOptions::default(),
    )
    .unwrap();
    dev.reset().unwrap();
    let rules = [TcamEntry::match_all(7, Action::Deliver { channel: 3 })];
    dev.replace_rules(&rules).unwrap();
    dev.write(reg::SCRATCH, 0x1234_5678).unwrap();
    drop(dev);

    let mut r = Raw::connect(&path);
    // Nothing before VERSION; a VERSION that is short, of another major, or not JSON.
    assert_eq!(r.errno(cmd::REGION_READ, &access(0, 0, 4).0), EINVAL);
    assert_eq!(r.errno(cmd::VERSION, &[1]), EINVAL);
    let bad = Out::default().u16(7).u16(0).bytes(b"{}\0");
    assert_eq!(r.errno(cmd::VERSION, &bad.0), libc::ENOTSUP as u32);
    let bad = Out::default().u16(0).u16(1).bytes(b"{capabilities\0");
    assert_eq!(r.errno(cmd::VERSION, &bad.0), EINVAL);
    r.version();

    // Region and interrupt indexes out of range.
    for index in [9, 0xffff_ffff] {
        let q = Out::default()
            .u32(32)
            .u32(0)
            .u32(index)
            .u32(0)
            .u64(0)
            .u64(0);
        assert_eq!(r.errno(cmd::DEVICE_GET_REGION_INFO, &q.0), EINVAL);
        let q = Out::default().u32(16).u32(0).u32(index).u32(0);
        assert_eq!(r.errno(cmd::DEVICE_GET_IRQ_INFO, &q.0), EINVAL);
    }
    // Accesses to missing regions, past BAR0's end, wrapping, empty, huge, unaligned.
    let bar = device::BAR0_SIZE as u64;
    for (reg_, off, count) in [
        (1, 0, 4),
        (9, 0, 4),
        (0xffff_ffff, 0, 4),
        (0, bar, 4),
        (0, bar - 4, 8),
        (0, u64::MAX - 1, 4),
        (0, 0, 0),
        (0, 0, 0xffff_fff0),
        (0, 2, 4),
        (0, 0, 3),
        (7, 0xfc, 8),
        (2, 0x2000, 4),
    ] {
        let q = access(reg_, off, count);
        assert_eq!(
            r.errno(cmd::REGION_READ, &q.0),
            EINVAL,
            "read region {reg_} at {off:#x}+{count}"
        );
        let q = access(reg_, off, count).bytes(&vec![0xee; count.min(64) as usize]);
        assert_eq!(
            r.errno(cmd::REGION_WRITE, &q.0),
            EINVAL,
            "write region {reg_} at {off:#x}+{count}"
        );
    }
    // A write whose data does not match its count writes nothing.
    let q = access(0, reg::SCRATCH as u64, 8).bytes(&[1, 2, 3, 4]);
    assert_eq!(r.errno(cmd::REGION_WRITE, &q.0), EINVAL);

    // DMA maps that overlap, wrap, are empty, unaligned, or carry two descriptors.
    assert_eq!(r.errno(cmd::DMA_MAP, &dma_map(0x10000, 0x4000)), 0);
    assert_eq!(
        r.errno(cmd::DMA_MAP, &dma_map(0x12000, 0x4000)),
        libc::EEXIST as u32
    );
    assert_eq!(
        r.errno(cmd::DMA_MAP, &dma_map(0xf000, 0x2000)),
        libc::EEXIST as u32
    );
    assert_eq!(
        r.errno(cmd::DMA_MAP, &dma_map(u64::MAX - 0xfff, 0x2000)),
        EINVAL
    );
    assert_eq!(r.errno(cmd::DMA_MAP, &dma_map(0x40000, 0)), EINVAL);
    assert_eq!(r.errno(cmd::DMA_MAP, &dma_map(0x40001, 0x1000)), EINVAL);
    assert_eq!(r.errno(cmd::DMA_MAP, &[0; 12]), EINVAL, "short");
    let unmap = |iova: u64, size: u64| Out::default().u32(24).u32(0).u64(iova).u64(size).0;
    assert_eq!(
        r.errno(cmd::DMA_UNMAP, &unmap(0x10000, 0x1000)),
        libc::ENOENT as u32
    );
    assert_eq!(
        r.errno(cmd::DMA_UNMAP, &unmap(0x80000, 0x1000)),
        libc::ENOENT as u32
    );
    assert_eq!(r.errno(cmd::DMA_UNMAP, &unmap(0x10000, 0x4000)), 0);

    // Interrupt vectors past the 8 there are; unknown commands; a reply sent as a command.
    let q = Out::default().u32(20).u32(1 | 32).u32(2).u32(6).u32(3);
    assert_eq!(r.errno(cmd::DEVICE_SET_IRQS, &q.0), EINVAL);
    assert_eq!(r.errno(99, &[]), libc::ENOSYS as u32);
    r.id += 1;
    let h = Header {
        id: r.id,
        command: cmd::DEVICE_GET_INFO,
        flags: flags::REPLY,
        ..Header::default()
    };
    r.s.write_all(&h.message(&[0; 16])).unwrap();
    assert_eq!(r.reply().0.error, EINVAL);

    // The connection is still in step: a good read answers.
    let (h, body) = r.call(cmd::REGION_READ, &access(0, reg::SCRATCH as u64, 4).0);
    assert_eq!(
        (h.error, &body[16..]),
        (0, &0x1234_5678u32.to_le_bytes()[..])
    );

    // A size below the header's own: error, then the server hangs up.
    let mut bad = Header {
        id: 1,
        command: cmd::DEVICE_GET_INFO,
        ..Header::default()
    }
    .encode();
    bad[4..8].copy_from_slice(&8u32.to_le_bytes());
    r.s.write_all(&bad).unwrap();
    assert_eq!(r.reply().0.error, EINVAL);
    assert_eq!(r.s.read(&mut [0; 1]).unwrap(), 0, "connection closed");

    // A size far beyond any legal message: the same.
    let mut r = Raw::connect(&path);
    r.version();
    bad[4..8].copy_from_slice(&(64u32 << 20).to_le_bytes());
    r.s.write_all(&bad).unwrap();
    assert_eq!(r.reply().0.error, EINVAL);

    // A truncated header, then gone.
    let mut r = Raw::connect(&path);
    r.s.write_all(&bad[..7]).unwrap();
    drop(r);

    // Gone in the middle of a SCRATCH write: nothing of it is applied.
    let mut r = Raw::connect(&path);
    r.version();
    let msg = Header {
        id: 9,
        command: cmd::REGION_WRITE,
        ..Header::default()
    }
    .message(&access(0, reg::SCRATCH as u64, 4).bytes(&[0xaa; 4]).0);
    r.s.write_all(&msg[..msg.len() - 2]).unwrap();
    drop(r);

    // A fresh client finds the same device: ID, SCRATCH, the committed rule set.
    assert_eq!(scratch(&path), 0x1234_5678);
    let mut dev = Device::open(
        VfioUserBar::open(&path, false).unwrap(),
        OpenOptions::default(),
    )
    .unwrap();
    let live = dev.live_rules().unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].1.action, Action::Deliver { channel: 3 });
    assert!(
        dev.take_rejection().unwrap().is_none(),
        "no bad access reached the device"
    );
}

#[test]
fn pci_identity_regions_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = serve(dir.path());
    let mut c = Client::connect(&path).unwrap();
    let (fl, regions, irqs) = c.device_info().unwrap();
    assert_eq!(
        (fl & 3, regions, irqs),
        (3, 9, 5),
        "a resettable PCI device"
    );
    assert_eq!(
        c.region_info(region::BAR0).unwrap().size,
        device::BAR0_SIZE as u64
    );
    assert_eq!(c.region_info(region::CONFIG).unwrap().size, 256);
    assert_eq!(c.region_info(1).unwrap().size, 0);
    let mut cfg = [0; 64];
    c.region_read(region::CONFIG, 0, &mut cfg).unwrap();
    let w = |i: usize| u32::from_le_bytes(cfg[i..i + 4].try_into().unwrap());
    assert_eq!(w(0), device::PCI_DEVICE << 16 | device::PCI_VENDOR);
    assert_eq!(w(8) >> 8, 0x02_00_00, "network controller");
    c.region_write(region::BAR0, reg::SCRATCH as u64, &5u32.to_le_bytes())
        .unwrap();
    c.reset().unwrap();
    drop(c);
    assert_eq!(scratch(&path), 0, "DEVICE_RESET reset the registers");
    // DMA maps are the client's: a descriptor-backed map, then one too long for its file.
    let mut c = Client::connect(&path).unwrap();
    let f = tempfile::tempfile().unwrap();
    f.set_len(0x2000).unwrap();
    c.dma_map(0x100000, 0x2000, &f, 0).unwrap();
    let e = c.dma_map(0x200000, 0x2000, &f, 0x1000).unwrap_err();
    assert!(e.to_string().contains("DMA_MAP refused"), "{e}");
    c.dma_unmap(0x100000, 0x2000).unwrap();
}

#[test]
fn a_client_that_stalls_mid_message_is_dropped_and_the_next_one_served() {
    let dir = tempfile::tempdir().unwrap();
    let path = serve(dir.path());
    let mut r = Raw::connect(&path);
    r.version();
    let msg = Header {
        id: 9,
        command: cmd::REGION_WRITE,
        ..Header::default()
    }
    .message(&access(0, reg::SCRATCH as u64, 4).bytes(&[0xaa; 4]).0);
    r.s.write_all(&msg[..20]).unwrap();
    // The stalled client holds its connection open; the next one is served once the server
    // gives up on it (PEER_TIMEOUT), with nothing of the half message applied.
    let t = std::time::Instant::now();
    assert_eq!(scratch(&path), 0);
    let waited = t.elapsed();
    assert!(
        waited >= gufc::vfio_user::server::PEER_TIMEOUT - Duration::from_millis(500)
            && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(
        r.s.read(&mut [0; 1]).unwrap(),
        0,
        "the stalled client was dropped"
    );
}

#[test]
fn a_stale_socket_is_replaced_and_a_live_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gufc.sock");
    let opts = ServeOptions {
        vectors: 1,
        log: false,
    };
    let first = Server::bind(&path, opts).unwrap();
    let e = Server::bind(&path, opts)
        .err()
        .expect("a live server's socket");
    assert!(
        e.to_string().contains("another server listens there"),
        "{e}"
    );
    drop(first); // the socket file stays, as after a killed server
    assert!(path.exists());
    Server::bind(&path, opts).expect("the stale socket is replaced");
    // Something that is not a socket is never removed.
    let file = dir.path().join("file");
    std::fs::write(&file, "keep").unwrap();
    assert!(Server::bind(&file, opts).is_err());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
}
