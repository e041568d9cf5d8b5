//! The vfio-user server: serves one gufc device — anything behind [`Bar`], in practice the
//! model or the Verilated RTL in a [`ClockedBar`](crate::backend::ClockedBar) — as a PCI
//! function on a UNIX socket, one client at a time.
//!
//! Time: every BAR0 word a client reads or writes is one register access of the device, so
//! one clock edge of a `ClockedBar`, exactly as when the driver runs the model in-process; a
//! command the driver waits for completes while it polls STATUS. Between messages the clock
//! stands still.
//!
//! Robustness: a message is acted on only once it is whole and checked, so a client that sends
//! garbage gets an error reply (an errno) and one that disconnects mid-message changes nothing.
//! A header that cannot be trusted (size below 16 or above [`MAX_MESSAGE`]) or a message that
//! stops arriving for [`PEER_TIMEOUT`] ends that connection; the server then takes the next
//! client with the device as the last whole message left it.

use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use gufc_regmap::word::Control;
use gufc_regmap::{device, Register};

use super::config::{PciFace, BAR2_SIZE, CONFIG_SIZE};
use super::dma::{DmaMaps, Region};
use super::fds::{recv_with_fds, send_with_fds};
use super::proto::{self, cmd, flags, Fields, Header, Out, HEADER_LEN, MAX_DATA_XFER, MAX_MESSAGE};
use crate::backend::Bar;

/// How long the rest of a message may take once its first byte arrived.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// How a served device looks on the bus.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// MSI-X vectors, one per channel.
    pub vectors: u16,
    /// Report refused messages and dropped clients on stderr.
    pub log: bool,
}

/// A listening vfio-user socket and the PCI state of the device behind it.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    face: PciFace,
    log: bool,
}

/// A refused command: the errno of the error reply, and why (for the log).
struct Refusal {
    errno: i32,
    why: String,
}

fn refuse(errno: i32, why: impl Into<String>) -> Refusal {
    Refusal {
        errno,
        why: why.into(),
    }
}

fn short(_: proto::Short) -> Refusal {
    refuse(libc::EINVAL, "payload shorter than the command's fields")
}

/// One client's connection state.
struct Conn {
    stream: UnixStream,
    dma: DmaMaps,
    irq_fds: Vec<Option<OwnedFd>>,
    versioned: bool,
}

impl Server {
    /// Listens on `path`. A socket left there by a server that is gone (nothing accepts on
    /// it) is replaced; one that a live server listens on is an error.
    pub fn bind(path: &Path, opts: ServeOptions) -> io::Result<Server> {
        let cannot = |e: io::Error, why: &str| {
            io::Error::new(
                e.kind(),
                format!("{}: cannot listen: {why}{e}", path.display()),
            )
        };
        let listener = match UnixListener::bind(path) {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => match UnixStream::connect(path) {
                Ok(_) => return Err(cannot(e, "another server listens there: ")),
                Err(c) if c.kind() == io::ErrorKind::ConnectionRefused && is_socket(path) => {
                    std::fs::remove_file(path).map_err(|e| cannot(e, "stale socket: "))?;
                    UnixListener::bind(path).map_err(|e| cannot(e, ""))?
                }
                Err(_) => return Err(cannot(e, "")),
            },
            other => other.map_err(|e| cannot(e, ""))?,
        };
        Ok(Server {
            listener,
            path: path.to_path_buf(),
            face: PciFace::new(opts.vectors),
            log: opts.log,
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves clients one after another, forever (or until accepting fails).
    pub fn run<B: Bar + ?Sized>(&mut self, dev: &mut B) -> io::Result<()> {
        loop {
            let (stream, _) = self.listener.accept()?;
            self.serve_client(dev, stream);
        }
    }

    /// Serves one client until it disconnects or breaks the protocol beyond repair.
    pub fn serve_client<B: Bar + ?Sized>(&mut self, dev: &mut B, stream: UnixStream) {
        let mut conn = Conn {
            stream,
            dma: DmaMaps::default(),
            irq_fds: Vec::new(),
            versioned: false,
        };
        conn.irq_fds
            .resize_with(self.face.vectors() as usize, || None);
        loop {
            let (h, payload, fds) = match read_message(&conn.stream) {
                Ok(Some(m)) => m,
                Ok(None) => return,
                Err((h, e)) => {
                    self.note(&format!("dropping the client: {e}"));
                    if let Some(h) = h {
                        let _ = send_reply(&conn.stream, &h, Err(libc::EINVAL), &[]);
                    }
                    return;
                }
            };
            let result = if h.flags & flags::TYPE_MASK != flags::COMMAND {
                Err(refuse(libc::EINVAL, "not a command"))
            } else {
                self.handle(dev, &mut conn, &h, &payload, fds)
            };
            let sent = match result {
                Ok(_) if h.flags & flags::NO_REPLY != 0 => Ok(()),
                Ok(reply) => send_reply(&conn.stream, &h, Ok(()), &reply),
                Err(r) => {
                    self.note(&format!(
                        "refused command {} (id {}): {}",
                        h.command, h.id, r.why
                    ));
                    send_reply(&conn.stream, &h, Err(r.errno), &[])
                }
            };
            if let Err(e) = sent {
                self.note(&format!("client gone while replying: {e}"));
                return;
            }
        }
    }

    fn note(&self, what: &str) {
        if self.log {
            eprintln!("gufc serve {}: {what}", self.path.display());
        }
    }

    fn handle<B: Bar + ?Sized>(
        &mut self,
        dev: &mut B,
        conn: &mut Conn,
        h: &Header,
        payload: &[u8],
        mut fds: Vec<OwnedFd>,
    ) -> Result<Vec<u8>, Refusal> {
        let mut f = Fields::new(payload);
        if h.command != cmd::VERSION && !conn.versioned {
            return Err(refuse(libc::EINVAL, "VERSION must come first"));
        }
        if h.command != cmd::DMA_MAP && h.command != cmd::DEVICE_SET_IRQS && !fds.is_empty() {
            return Err(refuse(
                libc::EINVAL,
                "file descriptors with a command that takes none",
            ));
        }
        match h.command {
            cmd::VERSION => {
                let (major, minor) = (f.u16().map_err(short)?, f.u16().map_err(short)?);
                if major != proto::VERSION.0 {
                    return Err(refuse(libc::ENOTSUP, format!("protocol major {major}")));
                }
                let json = f.rest().strip_suffix(&[0]).unwrap_or(f.rest());
                if !json.is_empty()
                    && serde_json::from_slice::<serde_json::Value>(json)
                        .map_or(true, |v| !v.is_object())
                {
                    return Err(refuse(libc::EINVAL, "capabilities are not a JSON object"));
                }
                conn.versioned = true;
                Ok(Out::default()
                    .u16(proto::VERSION.0)
                    .u16(minor.min(proto::VERSION.1))
                    .bytes(proto::server_capabilities().as_bytes())
                    .bytes(&[0])
                    .0)
            }
            cmd::DEVICE_GET_INFO => Ok(Out::default()
                .u32(16)
                .u32(proto::DEVICE_FLAGS_PCI | proto::DEVICE_FLAGS_RESET)
                .u32(proto::region::COUNT)
                .u32(proto::irq::COUNT)
                .0),
            cmd::DEVICE_GET_REGION_INFO => {
                let (_argsz, _flags) = (f.u32().map_err(short)?, f.u32().map_err(short)?);
                let index = f.u32().map_err(short)?;
                if index >= proto::region::COUNT {
                    return Err(refuse(libc::EINVAL, format!("no region {index}")));
                }
                let size = region_size(index);
                let rw = if size > 0 {
                    proto::REGION_READ | proto::REGION_WRITE
                } else {
                    0
                };
                Ok(Out::default()
                    .u32(32)
                    .u32(rw)
                    .u32(index)
                    .u32(0)
                    .u64(size)
                    .u64(0)
                    .0)
            }
            cmd::DEVICE_GET_IRQ_INFO => {
                let (_argsz, _flags) = (f.u32().map_err(short)?, f.u32().map_err(short)?);
                let index = f.u32().map_err(short)?;
                if index >= proto::irq::COUNT {
                    return Err(refuse(libc::EINVAL, format!("no interrupt index {index}")));
                }
                let (fl, count) = if index == proto::irq::MSIX {
                    (proto::IRQ_INFO_EVENTFD, self.face.vectors() as u32)
                } else {
                    (0, 0)
                };
                Ok(Out::default().u32(16).u32(fl).u32(index).u32(count).0)
            }
            cmd::DEVICE_SET_IRQS => {
                let _argsz = f.u32().map_err(short)?;
                let fl = f.u32().map_err(short)?;
                let (index, start, count) = (
                    f.u32().map_err(short)?,
                    f.u32().map_err(short)?,
                    f.u32().map_err(short)?,
                );
                let vectors = if index == proto::irq::MSIX {
                    self.face.vectors() as u64
                } else {
                    0
                };
                if start as u64 + count as u64 > vectors {
                    return Err(refuse(
                        libc::EINVAL,
                        format!("vectors {start}+{count} of index {index}, which has {vectors}"),
                    ));
                }
                const DATA_EVENTFD: u32 = 1 << 2;
                if fl & DATA_EVENTFD != 0 {
                    if fds.len() != count as usize {
                        return Err(refuse(libc::EINVAL, "one eventfd per vector"));
                    }
                    for (slot, fd) in conn.irq_fds[start as usize..].iter_mut().zip(fds) {
                        *slot = Some(fd);
                    }
                }
                Ok(Vec::new())
            }
            cmd::REGION_READ | cmd::REGION_WRITE => {
                let offset = f.u64().map_err(short)?;
                let (region, count) = (f.u32().map_err(short)?, f.u32().map_err(short)?);
                check_access(region, offset, count)?;
                let off = offset as u32; // in range: regions are far below 4 GiB
                let head = Out::default().u64(offset).u32(region).u32(count);
                if h.command == cmd::REGION_READ {
                    let data = self.read_region(dev, region, off, count)?;
                    Ok(head.bytes(&data).0)
                } else {
                    let data = f.rest();
                    if data.len() != count as usize {
                        return Err(refuse(
                            libc::EINVAL,
                            format!("count {count} but {} data bytes", data.len()),
                        ));
                    }
                    self.write_region(dev, region, off, data)?;
                    Ok(head.0)
                }
            }
            cmd::DMA_MAP => {
                let (_argsz, prot) = (f.u32().map_err(short)?, f.u32().map_err(short)?);
                let (offset, iova, size) = (
                    f.u64().map_err(short)?,
                    f.u64().map_err(short)?,
                    f.u64().map_err(short)?,
                );
                if fds.len() > 1 {
                    return Err(refuse(libc::EINVAL, "DMA_MAP takes at most one descriptor"));
                }
                let backing = fds.pop().map(|fd| (std::fs::File::from(fd), offset));
                conn.dma
                    .map(Region {
                        iova,
                        size,
                        prot,
                        backing,
                    })
                    .map_err(|e| refuse(e.errno(), e.to_string()))?;
                Ok(Vec::new())
            }
            cmd::DMA_UNMAP => {
                let (argsz, fl) = (f.u32().map_err(short)?, f.u32().map_err(short)?);
                let (iova, size) = (f.u64().map_err(short)?, f.u64().map_err(short)?);
                if fl & !proto::DMA_UNMAP_ALL != 0 {
                    return Err(refuse(libc::ENOTSUP, format!("DMA_UNMAP flags {fl:#x}")));
                }
                conn.dma
                    .unmap(iova, size, fl & proto::DMA_UNMAP_ALL != 0)
                    .map_err(|e| refuse(e.errno(), e.to_string()))?;
                Ok(Out::default().u32(argsz).u32(fl).u64(iova).u64(size).0)
            }
            cmd::DEVICE_RESET => {
                dev.write32(Control::OFFSET, Control::new().with_reset(true).into())
                    .map_err(|e| refuse(libc::EIO, e.to_string()))?;
                self.face.reset();
                Ok(Vec::new())
            }
            other => Err(refuse(libc::ENOSYS, format!("command {other}"))),
        }
    }

    fn read_region<B: Bar + ?Sized>(
        &mut self,
        dev: &mut B,
        region: u32,
        off: u32,
        count: u32,
    ) -> Result<Vec<u8>, Refusal> {
        let mut data = vec![0; count as usize];
        match region {
            proto::region::CONFIG => self.face.config_read(off as usize, &mut data),
            _ => {
                for (i, w) in data.chunks_exact_mut(4).enumerate() {
                    let at = off + 4 * i as u32;
                    let v = if region == proto::region::BAR0 {
                        dev.read32(at)
                            .map_err(|e| refuse(libc::EIO, e.to_string()))?
                    } else {
                        self.face.bar2_read(at)
                    };
                    w.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        Ok(data)
    }

    fn write_region<B: Bar + ?Sized>(
        &mut self,
        dev: &mut B,
        region: u32,
        off: u32,
        data: &[u8],
    ) -> Result<(), Refusal> {
        if region == proto::region::CONFIG {
            self.face.config_write(off as usize, data);
            return Ok(());
        }
        for (i, w) in data.chunks_exact(4).enumerate() {
            let (at, v) = (
                off + 4 * i as u32,
                u32::from_le_bytes(w.try_into().unwrap()),
            );
            if region == proto::region::BAR0 {
                dev.write32(at, v)
                    .map_err(|e| refuse(libc::EIO, e.to_string()))?;
            } else {
                self.face.bar2_write(at, v);
            }
        }
        Ok(())
    }
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// Bytes of region `index` (0: not implemented).
pub fn region_size(index: u32) -> u64 {
    match index {
        proto::region::BAR0 => device::BAR0_SIZE as u64,
        proto::region::BAR2 => BAR2_SIZE as u64,
        proto::region::CONFIG => CONFIG_SIZE as u64,
        _ => 0,
    }
}

/// A region access must name an implemented region and stay inside it; BARs take whole
/// aligned 32-bit words (the register block has no narrower registers).
fn check_access(region: u32, offset: u64, count: u32) -> Result<(), Refusal> {
    let size = region_size(region);
    let at = || format!("region {region} offset {offset:#x} count {count}");
    if size == 0 {
        return Err(refuse(libc::EINVAL, format!("{}: no such region", at())));
    }
    if count == 0 || count > MAX_DATA_XFER {
        return Err(refuse(libc::EINVAL, format!("{}: bad count", at())));
    }
    if offset
        .checked_add(count as u64)
        .is_none_or(|end| end > size)
    {
        return Err(refuse(
            libc::EINVAL,
            format!("{}: past the region's end ({size:#x})", at()),
        ));
    }
    if region != proto::region::CONFIG && (!offset.is_multiple_of(4) || !count.is_multiple_of(4)) {
        return Err(refuse(
            libc::EINVAL,
            format!("{}: BAR accesses are aligned 32-bit words", at()),
        ));
    }
    Ok(())
}

type Message = (Header, Vec<u8>, Vec<OwnedFd>);

/// The next whole message, `None` at a clean end of stream, or why the connection cannot go
/// on (with the header, if one arrived, so the client can be told).
fn read_message(s: &UnixStream) -> Result<Option<Message>, (Option<Header>, String)> {
    let mut hb = [0u8; HEADER_LEN];
    let (n, fds) = recv_with_fds(s, &mut hb).map_err(|e| (None, e.to_string()))?;
    if n == 0 {
        return Ok(None);
    }
    let _ = s.set_read_timeout(Some(PEER_TIMEOUT));
    let mut r = s;
    let got = r
        .read_exact(&mut hb[n..])
        .map_err(|e| (None, format!("truncated header ({n} bytes, then {e})")));
    let result = got.and_then(|()| {
        let h = Header::decode(&hb);
        if h.size < HEADER_LEN as u32 || h.size > MAX_MESSAGE {
            return Err((Some(h), format!("message size {} out of range", h.size)));
        }
        let mut payload = vec![0; h.size as usize - HEADER_LEN];
        r.read_exact(&mut payload).map_err(|e| {
            (
                None,
                format!("message {} (command {}) cut short: {e}", h.id, h.command),
            )
        })?;
        Ok(Some((h, payload, fds)))
    });
    let _ = s.set_read_timeout(None);
    result
}

fn send_reply(
    s: &UnixStream,
    cmd: &Header,
    result: Result<(), i32>,
    payload: &[u8],
) -> io::Result<()> {
    let h = Header {
        id: cmd.id,
        command: cmd.command,
        size: 0,
        flags: flags::REPLY | if result.is_err() { flags::ERROR } else { 0 },
        error: result.err().unwrap_or(0) as u32,
    };
    send_with_fds(s, &h.message(payload), &[])
}
