//! Socket I/O that carries file descriptors (SCM_RIGHTS): the only unsafe code of vfio-user.
//! Every send uses MSG_NOSIGNAL, so a peer that went away is an `EPIPE` error, never a SIGPIPE
//! that would end the server.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use super::proto::MAX_MSG_FDS;

/// Control-message buffer room for [`MAX_MSG_FDS`] descriptors, u64-aligned as cmsghdr wants.
const CMSG_WORDS: usize = 64;

/// Receives up to `buf.len()` bytes and the descriptors sent with them (closed on exec).
/// Returns 0 bytes at end of stream. Descriptors beyond [`MAX_MSG_FDS`] are truncated by the
/// kernel (MSG_CTRUNC), which is reported as an error.
pub fn recv_with_fds(stream: &UnixStream, buf: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
    let mut space = [0u64; CMSG_WORDS];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&space) as _;
    let n = loop {
        // SAFETY: msg points at `iov` (which covers `buf`) and at `space`, all alive and
        // exclusively borrowed for the call; the kernel writes only within their lengths.
        let n = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    let mut fds = Vec::new();
    // SAFETY: msg was filled in by recvmsg; CMSG_FIRSTHDR/NXTHDR only walk within
    // msg_control..msg_controllen.
    let mut c = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !c.is_null() {
        // SAFETY: c is a valid cmsghdr inside `space` (checked non-null above).
        let hdr = unsafe { &*c };
        if hdr.cmsg_level == libc::SOL_SOCKET && hdr.cmsg_type == libc::SCM_RIGHTS {
            // SAFETY: c is a valid cmsghdr; CMSG_LEN(0) is the header's own length.
            let data_len = hdr.cmsg_len as usize - unsafe { libc::CMSG_LEN(0) } as usize;
            let count = data_len / std::mem::size_of::<RawFd>();
            // SAFETY: CMSG_DATA points at `count` descriptors inside `space`.
            let data = unsafe { libc::CMSG_DATA(c) }.cast::<RawFd>();
            for i in 0..count {
                // SAFETY: in bounds (see above); read_unaligned since cmsg data has no
                // alignment promise for RawFd.
                let fd = unsafe { data.add(i).read_unaligned() };
                // SAFETY: the kernel just installed this descriptor in our table for us;
                // nothing else owns it.
                fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
            }
        }
        // SAFETY: msg and c as above.
        c = unsafe { libc::CMSG_NXTHDR(&msg, c) };
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("more than {MAX_MSG_FDS} file descriptors in one message"),
        ));
    }
    Ok((n, fds))
}

/// Sends all of `data`, with `fds` attached to its first byte. Never raises SIGPIPE.
pub fn send_with_fds(stream: &UnixStream, data: &[u8], fds: &[BorrowedFd]) -> io::Result<()> {
    if fds.len() > MAX_MSG_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} file descriptors, at most {MAX_MSG_FDS}", fds.len()),
        ));
    }
    let mut sent = 0;
    let mut first = true;
    while sent < data.len() || first {
        let mut space = [0u64; CMSG_WORDS];
        let rest = &data[sent..];
        let mut iov = libc::iovec {
            iov_base: rest.as_ptr() as *mut libc::c_void,
            iov_len: rest.len(),
        };
        // SAFETY: msghdr is plain data; all-zero is a valid empty header.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if first && !fds.is_empty() {
            let bytes = std::mem::size_of_val(fds);
            // SAFETY: CMSG_SPACE is a pure size computation.
            let need = unsafe { libc::CMSG_SPACE(bytes as u32) } as usize;
            msg.msg_control = space.as_mut_ptr().cast();
            msg.msg_controllen = need as _;
            // SAFETY: msg_control points at `space`, which is larger than `need` (at most
            // MAX_MSG_FDS descriptors), so the first header and its data lie inside it.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(bytes as u32) as _;
                let dst = libc::CMSG_DATA(c).cast::<RawFd>();
                for (i, fd) in fds.iter().enumerate() {
                    dst.add(i).write_unaligned(fd.as_raw_fd());
                }
            }
        }
        // SAFETY: msg points at `iov` (covering the unsent bytes of `data`) and, on the first
        // call, at `space`; all outlive the call, and the kernel only reads them.
        let n = unsafe { libc::sendmsg(stream.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        first = false;
        sent += n as usize;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};
    use std::os::fd::AsFd;

    #[test]
    fn a_descriptor_crosses_the_socket_with_its_bytes() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"dma").unwrap();
        send_with_fds(&a, b"hello", &[f.as_fd()]).unwrap();
        let mut buf = [0; 16];
        let (n, fds) = recv_with_fds(&b, &mut buf).unwrap();
        assert_eq!((&buf[..n], fds.len()), (&b"hello"[..], 1));
        let mut g = std::fs::File::from(fds.into_iter().next().unwrap());
        g.rewind().unwrap();
        let mut s = String::new();
        g.read_to_string(&mut s).unwrap();
        assert_eq!(s, "dma");
        drop(a);
        assert_eq!(recv_with_fds(&b, &mut buf).unwrap().0, 0, "end of stream");
    }
}
