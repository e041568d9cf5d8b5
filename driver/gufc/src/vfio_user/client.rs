//! The driver's side of vfio-user: a [`Client`] for the protocol and [`VfioUserBar`], BAR0 of
//! a served gufc device as a [`Bar`]. Every failure names the socket; a server that dies or
//! stops answering is an error within [`Client::timeout`], never a hang.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gufc_regmap::device;

use super::fds::send_with_fds;
use super::proto::{self, cmd, flags, Fields, Header, Out, HEADER_LEN, MAX_MESSAGE};
use crate::backend::{Bar, BusError};

/// Why talking to a vfio-user server failed. Every message starts with the socket's path.
#[derive(Debug, thiserror::Error)]
pub enum VfioUserError {
    /// No server listens there.
    #[error("vfio-user {path}: cannot connect: {source}")]
    Connect {
        /// The socket.
        path: PathBuf,
        /// What connect said.
        source: io::Error,
    },
    /// The connection broke or timed out.
    #[error("vfio-user {path}: {what}")]
    Link {
        /// The socket.
        path: PathBuf,
        /// What happened, e.g. "the server closed the connection during REGION_WRITE".
        what: String,
    },
    /// The server refused a command.
    #[error("vfio-user {path}: {command} refused: {errno}")]
    Refused {
        /// The socket.
        path: PathBuf,
        /// The command's name.
        command: &'static str,
        /// The server's errno.
        errno: io::Error,
    },
    /// The server's answer makes no sense.
    #[error("vfio-user {path}: {what}")]
    Protocol {
        /// The socket.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// The PCI function is not a gufc NIC (the same check as for PCI devices).
    #[error("vfio-user {path}: not a gufc NIC: PCI ID {vendor:04x}:{device:04x}, expected {:04x}:{:04x} (--force to try anyway)", device::PCI_VENDOR, device::PCI_DEVICE)]
    WrongIds {
        /// The socket.
        path: PathBuf,
        /// Vendor ID in its configuration space.
        vendor: u16,
        /// Device ID in its configuration space.
        device: u16,
    },
}

fn name(command: u16) -> &'static str {
    match command {
        cmd::VERSION => "VERSION",
        cmd::DMA_MAP => "DMA_MAP",
        cmd::DMA_UNMAP => "DMA_UNMAP",
        cmd::DEVICE_GET_INFO => "DEVICE_GET_INFO",
        cmd::DEVICE_GET_REGION_INFO => "DEVICE_GET_REGION_INFO",
        cmd::DEVICE_GET_IRQ_INFO => "DEVICE_GET_IRQ_INFO",
        cmd::DEVICE_SET_IRQS => "DEVICE_SET_IRQS",
        cmd::REGION_READ => "REGION_READ",
        cmd::REGION_WRITE => "REGION_WRITE",
        cmd::DEVICE_RESET => "DEVICE_RESET",
        _ => "an unknown command",
    }
}

/// A connection to a vfio-user server, version negotiated.
pub struct Client {
    stream: UnixStream,
    path: PathBuf,
    next_id: u16,
    broken: Option<String>,
}

/// A region's size and access flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    /// Bytes.
    pub size: u64,
    /// `vfio_region_info.flags`.
    pub flags: u32,
}

impl Client {
    /// How long a reply may take before the server counts as hung.
    pub const TIMEOUT: Duration = Duration::from_secs(10);

    /// Connects and negotiates the protocol version.
    pub fn connect(path: &Path) -> Result<Client, VfioUserError> {
        let stream = UnixStream::connect(path).map_err(|source| VfioUserError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
        let mut c = Client {
            stream,
            path: path.to_path_buf(),
            next_id: 0,
            broken: None,
        };
        let _ = c.stream.set_read_timeout(Some(Self::TIMEOUT));
        let _ = c.stream.set_write_timeout(Some(Self::TIMEOUT));
        let caps = serde_json::json!({"capabilities": {"max_msg_fds": proto::MAX_MSG_FDS}});
        let hello = Out::default()
            .u16(proto::VERSION.0)
            .u16(proto::VERSION.1)
            .bytes(caps.to_string().as_bytes())
            .bytes(&[0]);
        let reply = c.request(cmd::VERSION, &hello.0, &[])?;
        let mut f = Fields::new(&reply);
        let major = f.u16().map_err(|_| c.protocol("VERSION reply too short"))?;
        if major != proto::VERSION.0 {
            return Err(c.protocol(&format!("server speaks protocol major {major}")));
        }
        Ok(c)
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn protocol(&mut self, what: &str) -> VfioUserError {
        self.broken = Some(what.into());
        VfioUserError::Protocol {
            path: self.path.clone(),
            what: what.into(),
        }
    }

    fn link(&mut self, what: String) -> VfioUserError {
        self.broken = Some(what.clone());
        VfioUserError::Link {
            path: self.path.clone(),
            what,
        }
    }

    /// Sends a command and returns its reply's payload. After a broken link every call fails
    /// at once (the stream may be out of step).
    pub fn request(
        &mut self,
        command: u16,
        payload: &[u8],
        fds: &[std::os::fd::BorrowedFd],
    ) -> Result<Vec<u8>, VfioUserError> {
        if let Some(why) = &self.broken {
            return Err(VfioUserError::Link {
                path: self.path.clone(),
                what: format!("connection unusable since: {why}"),
            });
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let msg = Header {
            id,
            command,
            flags: flags::COMMAND,
            ..Header::default()
        }
        .message(payload);
        let cname = name(command);
        let closed = || format!("the server closed the connection during {cname} (did it exit?)");
        if let Err(e) = send_with_fds(&self.stream, &msg, fds) {
            return Err(self.link(match e.kind() {
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => closed(),
                _ => format!("sending {cname}: {e}"),
            }));
        }
        let mut hb = [0; HEADER_LEN];
        if let Err(e) = (&self.stream).read_exact(&mut hb) {
            return Err(self.link(match e.kind() {
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => closed(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    format!("no reply to {cname} within {:?}", Self::TIMEOUT)
                }
                _ => format!("reading the reply to {cname}: {e}"),
            }));
        }
        let h = Header::decode(&hb);
        if h.id != id || h.command != command || h.flags & flags::TYPE_MASK != flags::REPLY {
            return Err(self.protocol(&format!(
                "reply {h:?} does not answer {cname} (message {id})"
            )));
        }
        if h.size < HEADER_LEN as u32 || h.size > MAX_MESSAGE {
            return Err(self.protocol(&format!("reply size {} out of range", h.size)));
        }
        let mut body = vec![0; h.size as usize - HEADER_LEN];
        if let Err(e) = (&self.stream).read_exact(&mut body) {
            return Err(self.link(format!("reply to {cname} cut short: {e}")));
        }
        if h.flags & flags::ERROR != 0 {
            return Err(VfioUserError::Refused {
                path: self.path.clone(),
                command: cname,
                errno: io::Error::from_raw_os_error(h.error as i32),
            });
        }
        Ok(body)
    }

    /// `(flags, regions, irqs)` of the device.
    pub fn device_info(&mut self) -> Result<(u32, u32, u32), VfioUserError> {
        let r = self.request(cmd::DEVICE_GET_INFO, &Out::default().u32(16).0, &[])?;
        let mut f = Fields::new(&r);
        let short = |c: &mut Self| c.protocol("DEVICE_GET_INFO reply too short");
        let _argsz = f.u32().map_err(|_| short(self))?;
        match (f.u32(), f.u32(), f.u32()) {
            (Ok(fl), Ok(n), Ok(i)) => Ok((fl, n, i)),
            _ => Err(short(self)),
        }
    }

    /// Size and flags of region `index`.
    pub fn region_info(&mut self, index: u32) -> Result<RegionInfo, VfioUserError> {
        let q = Out::default()
            .u32(32)
            .u32(0)
            .u32(index)
            .u32(0)
            .u64(0)
            .u64(0);
        let r = self.request(cmd::DEVICE_GET_REGION_INFO, &q.0, &[])?;
        let mut f = Fields::new(&r);
        let (_argsz, fl, _index, _cap, size) = (f.u32(), f.u32(), f.u32(), f.u32(), f.u64());
        match (fl, size) {
            (Ok(flags), Ok(size)) => Ok(RegionInfo { size, flags }),
            _ => Err(self.protocol("DEVICE_GET_REGION_INFO reply too short")),
        }
    }

    /// Reads `buf.len()` bytes of `region` at `offset`.
    pub fn region_read(
        &mut self,
        region: u32,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), VfioUserError> {
        let q = Out::default().u64(offset).u32(region).u32(buf.len() as u32);
        let r = self.request(cmd::REGION_READ, &q.0, &[])?;
        match r.get(16..) {
            Some(data) if data.len() == buf.len() => {
                buf.copy_from_slice(data);
                Ok(())
            }
            _ => Err(self.protocol(&format!(
                "REGION_READ of {} bytes answered with {}",
                buf.len(),
                r.len().saturating_sub(16)
            ))),
        }
    }

    /// Writes `data` into `region` at `offset`.
    pub fn region_write(
        &mut self,
        region: u32,
        offset: u64,
        data: &[u8],
    ) -> Result<(), VfioUserError> {
        let q = Out::default()
            .u64(offset)
            .u32(region)
            .u32(data.len() as u32)
            .bytes(data);
        self.request(cmd::REGION_WRITE, &q.0, &[]).map(|_| ())
    }

    /// Lets the device reach `size` bytes of `file` from `offset` at IOVA `iova`.
    pub fn dma_map(
        &mut self,
        iova: u64,
        size: u64,
        file: &File,
        offset: u64,
    ) -> Result<(), VfioUserError> {
        let q = Out::default()
            .u32(32)
            .u32(proto::DMA_READ_WRITE)
            .u64(offset)
            .u64(iova)
            .u64(size);
        self.request(cmd::DMA_MAP, &q.0, &[file.as_fd()])
            .map(|_| ())
    }

    /// Removes the DMA regions inside `iova..iova+size`.
    pub fn dma_unmap(&mut self, iova: u64, size: u64) -> Result<(), VfioUserError> {
        let q = Out::default().u32(24).u32(0).u64(iova).u64(size);
        self.request(cmd::DMA_UNMAP, &q.0, &[]).map(|_| ())
    }

    /// Resets the device.
    pub fn reset(&mut self) -> Result<(), VfioUserError> {
        self.request(cmd::DEVICE_RESET, &[], &[]).map(|_| ())
    }
}

/// BAR0 of a gufc device served over vfio-user: one REGION_READ/WRITE message per register.
pub struct VfioUserBar {
    client: Client,
    bar0_size: u64,
}

impl VfioUserBar {
    /// Connects and checks the function: a PCI device with configuration space and a BAR0 big
    /// enough for the register map, carrying gufc's vendor:device ID unless `force` (a
    /// configuration space that reads all-ones is refused even then). `Device::open` then checks
    /// the registers as on every backend.
    pub fn open(path: &Path, force: bool) -> Result<VfioUserBar, VfioUserError> {
        let mut client = Client::connect(path)?;
        let (fl, regions, _) = client.device_info()?;
        if fl & proto::DEVICE_FLAGS_PCI == 0 || regions <= proto::region::CONFIG {
            return Err(client.protocol(&format!(
                "not a PCI device (flags {fl:#x}, {regions} regions)"
            )));
        }
        let bar0 = client.region_info(proto::region::BAR0)?;
        if bar0.size < device::BAR0_SIZE as u64 {
            return Err(client.protocol(&format!(
                "BAR0 has {:#x} bytes, the register map needs {:#x}",
                bar0.size,
                device::BAR0_SIZE
            )));
        }
        let mut id = [0; 4];
        client.region_read(proto::region::CONFIG, 0, &mut id)?;
        let (vendor, dev) = (
            u16::from_le_bytes([id[0], id[1]]),
            u16::from_le_bytes([id[2], id[3]]),
        );
        let gufc = vendor as u32 == device::PCI_VENDOR && dev as u32 == device::PCI_DEVICE;
        if vendor == 0xffff || (!gufc && !force) {
            return Err(VfioUserError::WrongIds {
                path: path.to_path_buf(),
                vendor,
                device: dev,
            });
        }
        Ok(VfioUserBar {
            client,
            bar0_size: bar0.size,
        })
    }

    /// The protocol connection, for what [`Bar`] does not cover.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn bus(&self, op: &'static str, offset: u32, e: VfioUserError) -> BusError {
        BusError {
            backend: self.name(),
            op,
            offset,
            // The backend's name already says which socket.
            msg: e
                .to_string()
                .trim_start_matches(&format!("{}: ", self.name()))
                .to_string(),
        }
    }

    fn check(&self, op: &'static str, off: u32) -> Result<(), BusError> {
        if !off.is_multiple_of(4) || off as u64 + 4 > self.bar0_size {
            return Err(BusError {
                backend: self.name(),
                op,
                offset: off,
                msg: format!("outside BAR0 ({:#x} bytes) or unaligned", self.bar0_size),
            });
        }
        Ok(())
    }
}

impl Bar for VfioUserBar {
    fn read32(&mut self, off: u32) -> Result<u32, BusError> {
        self.check("read", off)?;
        let mut b = [0; 4];
        self.client
            .region_read(proto::region::BAR0, off as u64, &mut b)
            .map_err(|e| self.bus("read", off, e))?;
        Ok(u32::from_le_bytes(b))
    }

    fn write32(&mut self, off: u32, val: u32) -> Result<(), BusError> {
        self.check("write", off)?;
        self.client
            .region_write(proto::region::BAR0, off as u64, &val.to_le_bytes())
            .map_err(|e| self.bus("write", off, e))
    }

    fn name(&self) -> String {
        format!("vfio-user {}", self.client.path.display())
    }
}
