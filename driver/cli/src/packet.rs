//! Packet descriptions on the command line: `PROTO SRC[:PORT] DST[:PORT]`, IPv6 endpoints
//! as `[addr]:port`, e.g. `tcp 10.0.0.1:40000 192.168.1.10:22` or `udp [2001:db8::1]:53 [2001:db8::2]:5353`.

use std::net::IpAddr;

use gufc_regmap::Key;

fn endpoint(s: &str) -> Result<(IpAddr, u16), String> {
    let (addr, port) = if let Some(rest) = s.strip_prefix('[') {
        let (a, p) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{s}': missing ']' after an IPv6 address"))?;
        (a, p.strip_prefix(':'))
    } else if s.matches(':').count() > 1 {
        (s, None) // bare IPv6 address, no port
    } else {
        match s.split_once(':') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        }
    };
    let ip: IpAddr = addr.parse().map_err(|e| format!("'{addr}': {e}"))?;
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("'{p}': port must be 0..=65535"))?,
        None => 0,
    };
    Ok((ip, port))
}

/// Parses `PROTO SRC[:PORT] DST[:PORT]` (protocol by name or number).
pub fn parse(words: &[String]) -> Result<Key, String> {
    let [proto, src, dst] = words else {
        return Err(format!(
            "a packet is PROTO SRC[:PORT] DST[:PORT], got {} words",
            words.len()
        ));
    };
    let proto = gufc::rules::protocol_number(proto)
        .or_else(|| proto.parse().ok())
        .ok_or_else(|| format!("'{proto}': unknown protocol (a name such as tcp, or 0..=255)"))?;
    let (s, sp) = endpoint(src)?;
    let (d, dp) = endpoint(dst)?;
    if s.is_ipv4() != d.is_ipv4() {
        return Err(format!("{src} and {dst} are of different address families"));
    }
    Ok(Key::new(s, d, proto, sp, dp))
}
