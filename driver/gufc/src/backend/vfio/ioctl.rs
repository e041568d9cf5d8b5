//! The VFIO device-fd ioctls gufc issues itself, identical on both IOMMU paths: a device fd
//! from a group (`VFIO_GROUP_GET_DEVICE_FD`) and a bound cdev (`/dev/vfio/devices/vfioN`)
//! answer the same region, interrupt and reset requests. Doing them here (instead of through
//! vfio-ioctls' `VfioDevice`, which exists only for the container path) keeps one code path
//! for both and returns every errno instead of logging it.
//!
//! Request numbers come from vmm-sys-util's `ioctl_io_nr!` (VFIO encodes every request as a
//! bare `_IO(';', 100 + n)`), the argument structs from vfio-bindings, and the calls go
//! through vmm-sys-util's `ioctl_with_*` wrappers.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use vfio_bindings::bindings::vfio::{
    vfio_device_attach_iommufd_pt, vfio_device_bind_iommufd, vfio_device_info, vfio_irq_info,
    vfio_region_info, VFIO_BASE, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_UNMASK,
    VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE, VFIO_TYPE,
};
use vmm_sys_util::ioctl::{ioctl, ioctl_with_mut_ref, ioctl_with_ptr};
use vmm_sys_util::ioctl_io_nr;

ioctl_io_nr!(VFIO_DEVICE_GET_INFO, VFIO_TYPE.into(), VFIO_BASE + 7);
ioctl_io_nr!(VFIO_DEVICE_GET_REGION_INFO, VFIO_TYPE.into(), VFIO_BASE + 8);
ioctl_io_nr!(VFIO_DEVICE_GET_IRQ_INFO, VFIO_TYPE.into(), VFIO_BASE + 9);
ioctl_io_nr!(VFIO_DEVICE_SET_IRQS, VFIO_TYPE.into(), VFIO_BASE + 10);
ioctl_io_nr!(VFIO_DEVICE_RESET, VFIO_TYPE.into(), VFIO_BASE + 11);
ioctl_io_nr!(VFIO_DEVICE_BIND_IOMMUFD, VFIO_TYPE.into(), VFIO_BASE + 18);
ioctl_io_nr!(
    VFIO_DEVICE_ATTACH_IOMMUFD_PT,
    VFIO_TYPE.into(),
    VFIO_BASE + 19
);

/// An ioctl's return value as a result: negative means failed, with the errno in `errno`.
fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `size_of::<T>()` as the `argsz` word every VFIO struct starts with.
fn argsz<T>() -> u32 {
    size_of::<T>() as u32
}

/// `VFIO_DEVICE_GET_INFO`: flags, number of regions, number of interrupt indexes.
pub(super) fn device_info(dev: &File) -> io::Result<vfio_device_info> {
    let mut info = vfio_device_info {
        argsz: argsz::<vfio_device_info>(),
        ..Default::default()
    };
    // SAFETY: `dev` is an open fd; `info` is a vfio_device_info (vfio-bindings' layout of
    // linux/vfio.h) that lives across the call, and its argsz tells the kernel how many bytes
    // of it may be written.
    check(unsafe { ioctl_with_mut_ref(dev, VFIO_DEVICE_GET_INFO(), &mut info) })?;
    Ok(info)
}

/// `VFIO_DEVICE_GET_REGION_INFO` for region `index`.
pub(super) fn region_info(dev: &File, index: u32) -> io::Result<vfio_region_info> {
    let mut info = vfio_region_info {
        argsz: argsz::<vfio_region_info>(),
        index,
        ..Default::default()
    };
    // SAFETY: as in `device_info`: a live, writable vfio_region_info whose argsz is its size.
    // A region with capabilities beyond argsz only raises `info.argsz`; the kernel writes no
    // capability chain into a buffer too short for it.
    check(unsafe { ioctl_with_mut_ref(dev, VFIO_DEVICE_GET_REGION_INFO(), &mut info) })?;
    Ok(info)
}

/// `VFIO_DEVICE_GET_IRQ_INFO` for interrupt index `index`.
pub(super) fn irq_info(dev: &File, index: u32) -> io::Result<vfio_irq_info> {
    let mut info = vfio_irq_info {
        argsz: argsz::<vfio_irq_info>(),
        index,
        ..Default::default()
    };
    // SAFETY: as in `device_info`: a live, writable vfio_irq_info whose argsz is its size.
    check(unsafe { ioctl_with_mut_ref(dev, VFIO_DEVICE_GET_IRQ_INFO(), &mut info) })?;
    Ok(info)
}

/// `VFIO_DEVICE_SET_IRQS` with a `struct vfio_irq_set` header (argsz, flags, index, start,
/// count) followed by `data` (eventfd numbers), built as u32 words so it is 4-byte aligned.
/// (vfio-bindings' `IrqSet` wrapper counts its data in bytes under the `count` field, which
/// VFIO reads as a number of vectors, so it cannot describe eventfd data.)
fn set_irqs(
    dev: &File,
    flags: u32,
    index: u32,
    start: u32,
    count: u32,
    data: &[RawFd],
) -> io::Result<()> {
    let mut words: Vec<u32> = vec![0, flags, index, start, count];
    words.extend(data.iter().map(|fd| *fd as u32));
    words[0] = (words.len() * 4) as u32;
    // SAFETY: `dev` is an open fd; `words` is a live buffer of exactly argsz (= words[0])
    // bytes holding a vfio_irq_set header and `count` eventfds (or none for DATA_NONE), and
    // the kernel only reads it.
    check(unsafe { ioctl_with_ptr(dev, VFIO_DEVICE_SET_IRQS(), words.as_ptr()) })
}

/// Routes vectors 0..fds.len() of `index` to the eventfds.
pub(super) fn enable_irqs(dev: &File, index: u32, fds: &[RawFd]) -> io::Result<()> {
    let flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set_irqs(dev, flags, index, 0, fds.len() as u32, fds)
}

/// Turns off every vector of `index` (count 0 with DATA_NONE|TRIGGER).
pub(super) fn disable_irqs(dev: &File, index: u32) -> io::Result<()> {
    let flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    set_irqs(dev, flags, index, 0, 0, &[])
}

/// Unmasks vector 0 of `index` (INTx is masked by VFIO each time it fires).
pub(super) fn unmask_irq(dev: &File, index: u32) -> io::Result<()> {
    let flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
    set_irqs(dev, flags, index, 0, 1, &[])
}

/// `VFIO_DEVICE_RESET` (function-level or whatever reset the device offers).
pub(super) fn reset(dev: &File) -> io::Result<()> {
    // SAFETY: `dev` is an open fd and VFIO_DEVICE_RESET takes no argument (vmm-sys-util
    // passes 0, which the kernel ignores).
    check(unsafe { ioctl(dev, VFIO_DEVICE_RESET()) })
}

/// `VFIO_DEVICE_BIND_IOMMUFD`: binds the cdev `dev` to the iommufd `iommufd`; returns the
/// device's id in it.
pub(super) fn bind_iommufd(dev: &File, iommufd: &impl AsRawFd) -> io::Result<u32> {
    let mut bind = vfio_device_bind_iommufd {
        argsz: argsz::<vfio_device_bind_iommufd>(),
        flags: 0,
        iommufd: iommufd.as_raw_fd(),
        ..Default::default()
    };
    // SAFETY: `dev` is an open cdev fd and `bind` a live, writable vfio_device_bind_iommufd
    // naming an open iommufd. With flags 0 the kernel ignores the trailing token pointer
    // (newer than 6.12, which reads only up to out_devid and accepts a larger argsz).
    check(unsafe { ioctl_with_mut_ref(dev, VFIO_DEVICE_BIND_IOMMUFD(), &mut bind) })?;
    Ok(bind.out_devid)
}

/// `VFIO_DEVICE_ATTACH_IOMMUFD_PT`: attaches the bound cdev `dev` to IOAS `ioas`.
pub(super) fn attach_ioas(dev: &File, ioas: u32) -> io::Result<()> {
    let mut attach = vfio_device_attach_iommufd_pt {
        argsz: argsz::<vfio_device_attach_iommufd_pt>(),
        flags: 0,
        pt_id: ioas,
        ..Default::default()
    };
    // SAFETY: `dev` is an open, bound cdev fd and `attach` a live, writable
    // vfio_device_attach_iommufd_pt; with flags 0 the trailing pasid is not read.
    check(unsafe { ioctl_with_mut_ref(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT(), &mut attach) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request numbers are linux/vfio.h's `_IO(';', 100 + n)`, i.e. 0x3b00 | (100 + n):
    /// a wrong `n` here would send another request to the device (the kernel would answer
    /// ENOTTY, or worse, do something else).
    #[test]
    fn request_numbers_match_linux_vfio_h() {
        assert_eq!(VFIO_DEVICE_GET_INFO(), 0x3b6b);
        assert_eq!(VFIO_DEVICE_GET_REGION_INFO(), 0x3b6c);
        assert_eq!(VFIO_DEVICE_GET_IRQ_INFO(), 0x3b6d);
        assert_eq!(VFIO_DEVICE_SET_IRQS(), 0x3b6e);
        assert_eq!(VFIO_DEVICE_RESET(), 0x3b6f);
        assert_eq!(VFIO_DEVICE_BIND_IOMMUFD(), 0x3b76);
        assert_eq!(VFIO_DEVICE_ATTACH_IOMMUFD_PT(), 0x3b77);
    }
}
