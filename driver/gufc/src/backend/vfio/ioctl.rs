//! The VFIO device-fd ioctls gufc issues itself, identical on both IOMMU paths: a device fd
//! from a group (`VFIO_GROUP_GET_DEVICE_FD`) and a bound cdev (`/dev/vfio/devices/vfioN`)
//! answer the same region, interrupt and reset requests. Doing them here (instead of through
//! vfio-ioctls' `VfioDevice`, which exists only for the container path) keeps one code path
//! for both and returns every errno instead of logging it.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use vfio_bindings::bindings::vfio::{
    vfio_device_info, vfio_irq_info, vfio_region_info, VFIO_IRQ_SET_ACTION_TRIGGER,
    VFIO_IRQ_SET_ACTION_UNMASK, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
};

/// `_IO(VFIO_TYPE = ';', VFIO_BASE = 100 + n)` from linux/vfio.h.
const fn vfio_io(n: libc::c_ulong) -> libc::c_ulong {
    (b';' as libc::c_ulong) << 8 | (100 + n)
}
pub(super) const VFIO_DEVICE_GET_INFO: libc::c_ulong = vfio_io(7);
const VFIO_DEVICE_GET_REGION_INFO: libc::c_ulong = vfio_io(8);
const VFIO_DEVICE_GET_IRQ_INFO: libc::c_ulong = vfio_io(9);
const VFIO_DEVICE_SET_IRQS: libc::c_ulong = vfio_io(10);
const VFIO_DEVICE_RESET: libc::c_ulong = vfio_io(11);
pub(super) const VFIO_DEVICE_BIND_IOMMUFD: libc::c_ulong = vfio_io(18);
pub(super) const VFIO_DEVICE_ATTACH_IOMMUFD_PT: libc::c_ulong = vfio_io(19);

/// `ioctl(fd, req, arg)` for requests whose argument is a pointer to a struct the kernel
/// reads and/or writes (VFIO and iommufd both size-check it through its first field).
///
/// # Safety
/// `arg` must point to a live, writable `T` laid out as the kernel's struct for `req`, and
/// `fd` must be an open descriptor.
pub(super) unsafe fn ioctl_ptr<T>(fd: RawFd, req: libc::c_ulong, arg: *mut T) -> io::Result<()> {
    // SAFETY: forwarded from this function's contract.
    let rc = unsafe { libc::ioctl(fd, req, arg) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `VFIO_DEVICE_GET_INFO`: flags, number of regions, number of interrupt indexes.
pub(super) fn device_info(dev: &File) -> io::Result<vfio_device_info> {
    let mut info = vfio_device_info {
        argsz: size_of::<vfio_device_info>() as u32,
        ..Default::default()
    };
    // SAFETY: `info` is a live vfio_device_info whose argsz says how much the kernel may write.
    unsafe { ioctl_ptr(dev.as_raw_fd(), VFIO_DEVICE_GET_INFO, &mut info) }?;
    Ok(info)
}

/// `VFIO_DEVICE_GET_REGION_INFO` for region `index`.
pub(super) fn region_info(dev: &File, index: u32) -> io::Result<vfio_region_info> {
    let mut info = vfio_region_info {
        argsz: size_of::<vfio_region_info>() as u32,
        index,
        ..Default::default()
    };
    // SAFETY: as in `device_info`; capability chains beyond argsz are not written.
    unsafe { ioctl_ptr(dev.as_raw_fd(), VFIO_DEVICE_GET_REGION_INFO, &mut info) }?;
    Ok(info)
}

/// `VFIO_DEVICE_GET_IRQ_INFO` for interrupt index `index`.
pub(super) fn irq_info(dev: &File, index: u32) -> io::Result<vfio_irq_info> {
    let mut info = vfio_irq_info {
        argsz: size_of::<vfio_irq_info>() as u32,
        index,
        ..Default::default()
    };
    // SAFETY: as in `device_info`.
    unsafe { ioctl_ptr(dev.as_raw_fd(), VFIO_DEVICE_GET_IRQ_INFO, &mut info) }?;
    Ok(info)
}

/// `VFIO_DEVICE_SET_IRQS` with a `struct vfio_irq_set` header (argsz, flags, index, start,
/// count) followed by `data` (eventfd numbers), built as u32 words so it is 4-byte aligned.
fn set_irqs(
    dev: &File,
    flags: u32,
    index: u32,
    start: u32,
    count: u32,
    data: &[i32],
) -> io::Result<()> {
    let mut words: Vec<u32> = vec![0, flags, index, start, count];
    words.extend(data.iter().map(|fd| *fd as u32));
    words[0] = (words.len() * 4) as u32;
    // SAFETY: `words` is a live buffer of exactly argsz bytes holding a vfio_irq_set header
    // and its data; the kernel only reads it.
    unsafe { ioctl_ptr(dev.as_raw_fd(), VFIO_DEVICE_SET_IRQS, words.as_mut_ptr()) }
}

/// Routes vectors 0..fds.len() of `index` to the eventfds.
pub(super) fn enable_irqs(dev: &File, index: u32, fds: &[RawFd]) -> io::Result<()> {
    let flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set_irqs(dev, flags, index, 0, fds.len() as u32, fds)
}

/// Turns off every vector of `index` (count 0 with DATA_NONE|TRIGGER).
pub(super) fn disable_irqs(dev: &File, index: u32) -> io::Result<()> {
    set_irqs(
        dev,
        VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
        index,
        0,
        0,
        &[],
    )
}

/// Unmasks vector 0 of `index` (INTx is masked by VFIO each time it fires).
pub(super) fn unmask_irq(dev: &File, index: u32) -> io::Result<()> {
    set_irqs(
        dev,
        VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
        index,
        0,
        1,
        &[],
    )
}

/// `VFIO_DEVICE_RESET` (function-level or whatever reset the device offers).
pub(super) fn reset(dev: &File) -> io::Result<()> {
    // SAFETY: VFIO_DEVICE_RESET takes no argument; `dev` is an open VFIO device fd.
    let rc = unsafe { libc::ioctl(dev.as_raw_fd(), VFIO_DEVICE_RESET) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
