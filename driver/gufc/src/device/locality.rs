//! The locality table by prefix: add, remove and list the host's own prefixes. The hardware
//! has no read-back for this table, so the driver keeps what it wrote since the last reset
//! and refuses to guess on a device whose table another process wrote.

use std::net::IpAddr;

use super::{Device, DeviceError};
use crate::backend::Bar;

/// One valid locality entry: addresses under `prefix_len` bits of `addr` are local.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LocalEntry {
    /// Table index.
    pub index: u32,
    /// The prefix's address, host bits clear.
    pub addr: IpAddr,
    /// The prefix length in bits.
    pub prefix_len: u8,
}

impl std::fmt::Display for LocalEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl<B: Bar> Device<B> {
    /// Records a locality write in the driver's copy (after the device accepted it).
    pub(super) fn note_local(&mut self, index: u32, addr: IpAddr, prefix_len: u8, valid: bool) {
        if let Some(slot) = self.locals.as_mut().and_then(|t| t.get_mut(index as usize)) {
            *slot = valid.then_some(LocalEntry {
                index,
                addr,
                prefix_len,
            });
        }
    }

    fn known_locals(&self) -> Result<&[Option<LocalEntry>], DeviceError> {
        self.locals
            .as_deref()
            .ok_or_else(|| DeviceError::LocalityUnknown {
                backend: self.bar.name(),
            })
    }

    /// The valid locality entries, or `LocalityUnknown` if this handle did not reset the device.
    pub fn locals(&self) -> Result<Vec<LocalEntry>, DeviceError> {
        Ok(self.known_locals()?.iter().flatten().copied().collect())
    }

    /// Marks `addr/prefix_len` local in the first free entry (the entry already holding it if
    /// there is one) and returns the entry's index. The caller refuses host bits beforehand;
    /// the device ignores them.
    pub fn local_add(&mut self, addr: IpAddr, prefix_len: u8) -> Result<u32, DeviceError> {
        let table = self.known_locals()?;
        let same = |e: &LocalEntry| e.addr == addr && e.prefix_len == prefix_len;
        if let Some(e) = table.iter().flatten().find(|e| same(e)) {
            return Ok(e.index);
        }
        let free =
            table
                .iter()
                .position(Option::is_none)
                .ok_or_else(|| DeviceError::LocalityFull {
                    backend: self.bar.name(),
                    capacity: self.caps.local_entries,
                })? as u32;
        self.set_local(free, addr, prefix_len, true)?;
        Ok(free)
    }

    /// Removes `addr/prefix_len` from the table and returns the index it held.
    pub fn local_del(&mut self, addr: IpAddr, prefix_len: u8) -> Result<u32, DeviceError> {
        let index = self
            .known_locals()?
            .iter()
            .flatten()
            .find(|e| e.addr == addr && e.prefix_len == prefix_len)
            .map(|e| e.index)
            .ok_or_else(|| DeviceError::NoSuchLocal {
                backend: self.bar.name(),
                prefix: format!("{addr}/{prefix_len}"),
            })?;
        self.set_local(index, addr, prefix_len, false)?;
        Ok(index)
    }

    /// Makes `prefixes` the whole table: entries 0.. hold them, every other entry is cleared.
    /// Works on a table this process has not seen (it writes every entry), so afterwards the
    /// table is known. Refuses more prefixes than entries before writing anything.
    pub fn local_replace(&mut self, prefixes: &[(IpAddr, u8)]) -> Result<(), DeviceError> {
        let cap = self.caps.local_entries;
        if prefixes.len() > cap as usize {
            return Err(DeviceError::LocalityFull {
                backend: self.bar.name(),
                capacity: cap,
            });
        }
        self.locals = Some(vec![None; cap as usize]);
        for i in 0..cap {
            match prefixes.get(i as usize) {
                Some(&(addr, len)) => self.set_local(i, addr, len, true)?,
                None => self.set_local(i, IpAddr::from([0u8; 4]), 0, false)?,
            }
        }
        Ok(())
    }
}
