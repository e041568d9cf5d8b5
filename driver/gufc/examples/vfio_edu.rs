//! Guest side of `tests/qemu-vfio/run`: drives QEMU's `edu` test device through gufc's own
//! PCI and VFIO code (the same `pci::bind_vfio` → `VfioPci::open` → `VfioBar` path a gufc NIC
//! takes) on a real Linux kernel with an emulated IOMMU. Prints one `CHECK <name>: PASS|FAIL`
//! line per check and exits 0 only if every check passed.
//!
//! Usage: `vfio_edu container|iommufd`, the IOMMU path the device must be opened through
//! (`GUFC_VFIO_PATH` unset: the path gufc picks by itself on this kernel).
//!
//! edu (QEMU hw/misc/edu.c): 0x00 ID 0x010000ed, 0x04 liveness (reads ~value), 0x08 factorial,
//! 0x20 status (bit 0 busy, bit 7 IRQ when done), 0x24 IRQ status, 0x60 raise IRQ, 0x64 ack,
//! 0x80 DMA src, 0x88 dst, 0x90 count, 0x98 cmd (bit 0 start, bit 1 edu→RAM, bit 2 IRQ).
//! Its DMA engine masks addresses to 28 bits and has a buffer at 0x40000..0x40fff.

#[cfg(all(feature = "vfio", target_os = "linux"))]
fn main() -> std::process::ExitCode {
    edu::main()
}

#[cfg(not(all(feature = "vfio", target_os = "linux")))]
fn main() {
    eprintln!("vfio_edu needs Linux and the `vfio` feature");
    std::process::exit(2);
}

#[cfg(all(feature = "vfio", target_os = "linux"))]
mod edu {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    use std::process::ExitCode;
    use std::time::{Duration, Instant};

    use gufc::backend::vfio::{DmaBuffer, VfioBar, VfioError, VfioPath, VfioPci};
    use gufc::backend::Bar;
    use gufc::pci::{self, PciAddr, PciError, SysfsRoot};

    const EDU_VENDOR: u16 = 0x1234;
    const EDU_DEVICE: u16 = 0x11e8;
    const ID: u32 = 0x00;
    const LIVENESS: u32 = 0x04;
    const FACTORIAL: u32 = 0x08;
    const STATUS: u32 = 0x20;
    const IRQ_STATUS: u32 = 0x24;
    const IRQ_RAISE: u32 = 0x60;
    const IRQ_ACK: u32 = 0x64;
    const DMA_SRC: u32 = 0x80;
    const DMA_DST: u32 = 0x88;
    const DMA_COUNT: u32 = 0x90;
    const DMA_CMD: u32 = 0x98;
    const DMA_START: u32 = 1;
    const DMA_TO_RAM: u32 = 2;
    const DMA_IRQ: u32 = 4;
    const EDU_BUF: u32 = 0x40000;
    const IRQ_WAIT: Duration = Duration::from_secs(3);

    type Res<T> = Result<T, Box<dyn std::error::Error>>;

    struct Checks {
        passed: u32,
        failed: u32,
    }

    impl Checks {
        fn check(&mut self, name: &str, r: Res<String>) -> bool {
            match r {
                Ok(detail) => {
                    self.passed += 1;
                    println!("CHECK {name}: PASS {detail}");
                    true
                }
                Err(e) => {
                    self.failed += 1;
                    println!("CHECK {name}: FAIL {e}");
                    false
                }
            }
        }
    }

    fn ensure(cond: bool, msg: impl Into<String>) -> Res<()> {
        if cond {
            Ok(())
        } else {
            Err(msg.into().into())
        }
    }

    pub fn main() -> ExitCode {
        let t0 = Instant::now();
        let mut c = Checks {
            passed: 0,
            failed: 0,
        };
        let root = SysfsRoot::default();
        let expect = match std::env::args().nth(1).as_deref() {
            Some("container") => VfioPath::Container,
            Some("iommufd") => VfioPath::Iommufd,
            other => {
                println!("usage: vfio_edu container|iommufd (got {other:?})");
                println!("EDU-RESULT: FAIL");
                return ExitCode::FAILURE;
            }
        };
        let result = run(&root, &mut c, expect);
        if let Err(e) = result {
            c.failed += 1;
            println!("CHECK aborted: FAIL {e}");
        }
        println!(
            "EDU-SUMMARY: {} passed, {} failed, {:.2} s in the guest",
            c.passed,
            c.failed,
            t0.elapsed().as_secs_f64()
        );
        if c.failed == 0 && c.passed > 0 {
            println!("EDU-RESULT: PASS");
            ExitCode::SUCCESS
        } else {
            println!("EDU-RESULT: FAIL");
            ExitCode::FAILURE
        }
    }

    fn describe(root: &SysfsRoot, addr: &PciAddr) -> Res<String> {
        let edu = pci::PciDevice::read(root, addr)?;
        let bar0 = edu.bar(0).ok_or("edu has no BAR0 in sysfs resource")?;
        ensure(
            bar0.size == 1 << 20 && !bar0.io,
            format!("BAR0 {bar0:?}, expected 1 MiB memory"),
        )?;
        let group = edu.iommu_group.ok_or("edu has no IOMMU group")?;
        Ok(format!("{addr} group {group}, BAR0 1 MiB"))
    }

    fn run(root: &SysfsRoot, c: &mut Checks, expect: VfioPath) -> Res<()> {
        let addr = pci::list_devices(root, true)?
            .iter()
            .find(|d| d.vendor == EDU_VENDOR && d.device == EDU_DEVICE)
            .map(|d| d.addr)
            .ok_or("no 1234:11e8 device in /sys/bus/pci/devices")?;
        c.check("discover", describe(root, &addr));

        // Error paths before binding, on the real kernel.
        c.check("open-unbound-refused", {
            match VfioPci::open(root, &addr, true) {
                Err(VfioError::Pci(e @ PciError::NotBoundToVfio { .. })) => Ok(e.to_string()),
                Err(e) => Err(format!("wrong error: {e}").into()),
                Ok(_) => Err("opened a device not bound to vfio-pci".into()),
            }
        });
        c.check("bind-wrong-ids-refused", {
            match pci::bind_vfio(root, &addr, false) {
                Err(e @ PciError::WrongIds { .. }) => Ok(e.to_string()),
                Err(e) => Err(format!("wrong error: {e}").into()),
                Ok(_) => Err("bound a non-gufc device without --force".into()),
            }
        });
        c.check(
            "bind",
            (|| {
                let out = pci::bind_vfio(root, &addr, true)?;
                let now = pci::PciDevice::read(root, &addr)?.driver;
                ensure(
                    now.as_deref() == Some(pci::VFIO_PCI),
                    format!("driver now {now:?}"),
                )?;
                Ok(format!("previous driver {:?}, now vfio-pci", out.previous))
            })(),
        );
        c.check(
            "group-viable",
            (|| {
                let (group, members) = pci::check_group_viable(root, &addr)?;
                ensure(
                    root.vfio_dev().join(group.to_string()).exists(),
                    "no /dev/vfio/<group>",
                )?;
                Ok(format!("group {group}: {} member(s)", members.len()))
            })(),
        );

        // Open, close, reopen: the group must be released cleanly on drop.
        c.check(
            "open-close-reopen",
            (|| {
                drop(VfioBar::open(root, &addr, true)?);
                drop(VfioBar::open(root, &addr, true)?);
                Ok("ok".to_string())
            })(),
        );

        let mut bar = VfioBar::open(root, &addr, true)?;
        let dev = bar.device().clone();
        c.check(
            "iommu-path",
            (|| {
                ensure(
                    dev.path() == expect,
                    format!("opened through {}, expected {expect}", dev.path()),
                )?;
                let name = bar.name();
                ensure(
                    name.ends_with(&format!("({expect})")),
                    format!("backend name {name:?} does not show the path"),
                )?;
                Ok(format!(
                    "{name}; GUFC_VFIO_PATH={:?}",
                    std::env::var("GUFC_VFIO_PATH").ok()
                ))
            })(),
        );
        c.check("second-open-locked", {
            match VfioPci::open(root, &addr, true) {
                Err(VfioError::Pci(e @ PciError::Locked { .. })) => Ok(e.to_string()),
                Err(e) => Err(format!("wrong error: {e}").into()),
                Ok(_) => Err("a second opener got the device".into()),
            }
        });
        c.check(
            "region-info",
            (|| {
                let r0 = dev.region(0);
                ensure(
                    r0.size == 1 << 20 && r0.readable && r0.writable && r0.mmappable,
                    format!("BAR0 {r0:?}"),
                )?;
                ensure(bar.is_mapped(), "BAR0 not mmapped")?;
                for i in 1..=5 {
                    ensure(
                        dev.region(i).size == 0,
                        format!("BAR{i} should be absent: {:?}", dev.region(i)),
                    )?;
                }
                let cfg = dev.region(7);
                ensure(cfg.size >= 256 && cfg.readable, format!("config {cfg:?}"))?;
                let ids = dev.config_read32(0)?;
                ensure(
                    ids == 0x11e8_1234,
                    format!("config vendor/device {ids:#010x}"),
                )?;
                Ok(format!(
                    "BAR0 {:#x} bytes at fd offset {:#x}, mmapped; config {:#x} bytes",
                    r0.size, r0.offset, cfg.size
                ))
            })(),
        );

        // edu has no reset: clear what an earlier user left behind.
        bar.write32(STATUS, 0)?;
        bar.write32(IRQ_ACK, u32::MAX)?;

        c.check(
            "mmio-id",
            (|| {
                let id = bar.read32(ID)?;
                ensure(id == 0x0100_00ed, format!("ID {id:#010x}"))?;
                Ok(format!("{id:#010x}"))
            })(),
        );
        c.check(
            "mmio-liveness",
            (|| {
                for v in [0x1234_5678u32, 0, 0xffff_ffff, 0xa5a5_5a5a] {
                    bar.write32(LIVENESS, v)?;
                    let got = bar.read32(LIVENESS)?;
                    ensure(got == !v, format!("wrote {v:#010x}, read {got:#010x}"))?;
                }
                Ok("4 patterns inverted".into())
            })(),
        );
        c.check(
            "mmio-factorial",
            (|| {
                bar.write32(FACTORIAL, 10)?;
                let t = Instant::now();
                while bar.read32(STATUS)? & 1 != 0 {
                    ensure(t.elapsed() < IRQ_WAIT, "factorial stayed busy")?;
                }
                let f = bar.read32(FACTORIAL)?;
                ensure(f == 3_628_800, format!("10! read as {f}"))?;
                Ok("10! = 3628800".into())
            })(),
        );
        c.check(
            "all-ones-genuine",
            (|| {
                // edu reads ~0 at unimplemented offsets while ID is fine: a value, not a dead device.
                let v = bar.read32(0x40)?;
                ensure(v == u32::MAX, format!("offset 0x40 read {v:#010x}"))?;
                Ok("0xffffffff with a live ID is returned as data".into())
            })(),
        );
        c.check(
            "reset",
            (|| {
                let did = dev.reset()?;
                ensure(
                    did == dev.supports_reset(),
                    "reset result disagrees with device flags",
                )?;
                ensure(!did, "edu reports a reset method it does not have")?;
                Ok("edu has no VFIO reset: reported as unsupported".into())
            })(),
        );

        let msi = dev.enable_msi(1)?.remove(0);
        c.check(
            "msi",
            (|| {
                bar.write32(IRQ_RAISE, 0x42)?;
                let n = msi.wait(IRQ_WAIT)?;
                ensure(n >= 1, "no MSI within 3 s")?;
                let st = bar.read32(IRQ_STATUS)?;
                bar.write32(IRQ_ACK, st)?;
                ensure(st == 0x42, format!("IRQ status {st:#x}"))?;
                ensure(
                    msi.wait(Duration::from_millis(200))? == 0,
                    "spurious second MSI",
                )?;
                Ok(format!("{n} MSI on the eventfd, status 0x42"))
            })(),
        );
        c.check(
            "msi-factorial-done",
            (|| {
                bar.write32(STATUS, 0x80)?;
                bar.write32(FACTORIAL, 5)?;
                ensure(msi.wait(IRQ_WAIT)? >= 1, "no factorial-done MSI")?;
                let st = bar.read32(IRQ_STATUS)?;
                bar.write32(IRQ_ACK, st)?;
                bar.write32(STATUS, 0)?;
                ensure(
                    st & 1 != 0 && bar.read32(FACTORIAL)? == 120,
                    format!("status {st:#x}"),
                )?;
                Ok("5! = 120 with its IRQ".into())
            })(),
        );

        let dma_done = |bar: &mut VfioBar| -> Res<()> {
            ensure(msi.wait(IRQ_WAIT)? >= 1, "no DMA-done MSI")?;
            let st = bar.read32(IRQ_STATUS)?;
            bar.write32(IRQ_ACK, st)?;
            ensure(
                st & 0x100 != 0,
                format!("IRQ status {st:#x} lacks DMA bit 0x100"),
            )
        };
        let pattern: Vec<u8> = (0..256u32).map(|i| (i * 7 + 1) as u8).collect();
        c.check(
            "dma-round-trip",
            (|| {
                let mut buf = DmaBuffer::new(&dev, 4096, 0x10_0000)?;
                buf.write(0, &pattern)?;
                for (src, dst, cmd) in [
                    (0x10_0000, EDU_BUF, DMA_START | DMA_IRQ),
                    (EDU_BUF, 0x10_0800, DMA_START | DMA_TO_RAM | DMA_IRQ),
                ] {
                    bar.write32(DMA_SRC, src)?;
                    bar.write32(DMA_DST, dst)?;
                    bar.write32(DMA_COUNT, 256)?;
                    bar.write32(DMA_CMD, cmd)?;
                    dma_done(&mut bar)?;
                }
                let mut back = vec![0u8; 256];
                buf.read(0x800, &mut back)?;
                ensure(back == pattern, "RAM -> edu -> RAM copy differs")?;
                Ok(format!(
                    "256 bytes RAM -> edu -> RAM through IOVA {:#x}",
                    buf.iova()
                ))
            })(),
        );
        c.check(
            "dma-unmapped-blocked",
            (|| {
                let mut kmsg = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open("/dev/kmsg")?;
                drain(&mut kmsg);
                let mut buf = DmaBuffer::new(&dev, 4096, 0x20_0000)?;
                buf.write(0, &[0xaa; 256])?;
                buf.unmap()?;
                bar.write32(DMA_SRC, EDU_BUF)?;
                bar.write32(DMA_DST, 0x20_0000)?;
                bar.write32(DMA_COUNT, 256)?;
                bar.write32(DMA_CMD, DMA_START | DMA_TO_RAM | DMA_IRQ)?;
                dma_done(&mut bar)?;
                let mut back = vec![0u8; 256];
                buf.read(0, &mut back)?;
                ensure(
                    back.iter().all(|b| *b == 0xaa),
                    "the device wrote through an unmapped IOVA",
                )?;
                let t = Instant::now();
                let mut fault = None;
                while fault.is_none() && t.elapsed() < IRQ_WAIT {
                    fault = drain(&mut kmsg)
                        .into_iter()
                        .find(|l| l.contains("DMAR") && l.contains("fault addr"));
                    std::thread::sleep(Duration::from_millis(50));
                }
                let fault = fault.ok_or("no DMAR fault in the kernel log")?;
                ensure(
                    fault.contains("200000"),
                    format!("fault at another address: {fault}"),
                )?;
                Ok(format!(
                    "buffer untouched; kernel: {}",
                    fault.split(';').nth(1).unwrap_or(&fault).trim()
                ))
            })(),
        );

        dev.disable_irqs(1)?;
        c.check(
            "intx",
            (|| {
                let intx = dev.enable_intx()?;
                for round in 0..2 {
                    bar.write32(IRQ_RAISE, 0x10 + round)?;
                    ensure(
                        intx.wait(IRQ_WAIT)? >= 1,
                        format!("no INTx in round {round}"),
                    )?;
                    let st = bar.read32(IRQ_STATUS)?;
                    bar.write32(IRQ_ACK, st)?;
                    dev.unmask_intx()?;
                    ensure(st == 0x10 + round, format!("status {st:#x}"))?;
                }
                dev.disable_irqs(0)?;
                Ok("2 INTx rounds with unmask".into())
            })(),
        );

        drop(msi);
        drop(dev);
        drop(bar);
        c.check(
            "unbind",
            (|| {
                let out = pci::unbind(root, &addr)?;
                ensure(
                    !out.was_not_vfio && out.now.as_deref() != Some(pci::VFIO_PCI),
                    format!("{out:?}"),
                )?;
                Ok(format!("driver now {:?}", out.now))
            })(),
        );
        Ok(())
    }

    /// Kernel log records available right now, as text.
    fn drain(kmsg: &mut std::fs::File) -> Vec<String> {
        let mut out = Vec::new();
        let mut rec = vec![0u8; 8192];
        while let Ok(n) = kmsg.read(&mut rec) {
            if n == 0 {
                break;
            }
            out.push(String::from_utf8_lossy(&rec[..n]).into_owned());
        }
        out
    }
}
