//! PCI addresses (`domain:bus:device.function`).

use std::fmt;
use std::str::FromStr;

use super::PciError;

/// A PCI function address, printed as sysfs names it: `0000:01:00.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciAddr {
    /// PCI segment (domain), 0..=0xffff; 0 on most machines.
    pub domain: u16,
    /// Bus number, 0..=0xff.
    pub bus: u8,
    /// Device (slot) on the bus, 0..=0x1f.
    pub device: u8,
    /// Function of the device, 0..=7.
    pub function: u8,
}

impl fmt::Display for PciAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

impl FromStr for PciAddr {
    type Err = PciError;

    /// Accepts `0000:01:00.0` and the short `01:00.0` (domain 0).
    fn from_str(text: &str) -> Result<Self, PciError> {
        let bad = |why| PciError::BadAddress {
            text: text.to_string(),
            why,
        };
        let (rest, function) = text.rsplit_once('.').ok_or_else(|| bad("no '.function'"))?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (domain, bus, device) = match parts.as_slice() {
            [d, b, s] => (*d, *b, *s),
            [b, s] => ("0", *b, *s),
            _ => return Err(bad("expected domain:bus:device.function")),
        };
        let hex = |s: &str, max: u32, what| {
            if s.is_empty() || s.len() > 4 {
                return Err(bad(what));
            }
            u32::from_str_radix(s, 16)
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| bad(what))
        };
        Ok(PciAddr {
            domain: hex(domain, 0xffff, "domain is not 0..ffff hex")? as u16,
            bus: hex(bus, 0xff, "bus is not 00..ff hex")? as u8,
            device: hex(device, 0x1f, "device is not 00..1f hex")? as u8,
            function: hex(function, 7, "function is not 0..7")? as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let a: PciAddr = "0000:3b:1f.7".parse().unwrap();
        assert_eq!(
            a,
            PciAddr {
                domain: 0,
                bus: 0x3b,
                device: 0x1f,
                function: 7
            }
        );
        assert_eq!(a.to_string(), "0000:3b:1f.7");
        assert_eq!(
            "01:00.0".parse::<PciAddr>().unwrap().to_string(),
            "0000:01:00.0"
        );
    }

    #[test]
    fn rejects_bad_addresses() {
        for bad in [
            "",
            "0000:01:00",
            "0000:01:20.0",
            "0000:01:00.8",
            "x:01:00.0",
            "1:2:3:4.0",
        ] {
            let e = bad.parse::<PciAddr>().unwrap_err().to_string();
            assert!(e.contains("bad PCI address"), "{bad}: {e}");
        }
    }
}
