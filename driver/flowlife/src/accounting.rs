//! Example subscriber: per-connection byte accounting. It needs no packets once a flow is
//! cached (interest `Count`): the flow entries' hardware counters, handed over at the end of
//! the connection, plus what the host saw before caching, give every byte.

use std::collections::BTreeMap;

use crate::conntrack::{Conn, Dir};
use crate::interest::Interest;
use crate::subscriber::{ConnEnd, Subscriber};

/// One finished connection's bill.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Bill {
    /// The originating direction's key, as text.
    pub conn: String,
    /// Packets per direction ([`Dir::index`]): cached plus seen by the host.
    pub packets: [u64; 2],
    /// Bytes per direction ([`Dir::index`]): cached plus seen by the host.
    pub bytes: [u64; 2],
}

/// The accounting subscriber: one [`Bill`] per ended connection.
#[derive(Default)]
pub struct ByteAccounting {
    /// Finished connections, in the order they ended.
    pub bills: Vec<Bill>,
    /// Bytes per local endpoint address (both directions).
    pub by_address: BTreeMap<String, u64>,
}

impl ByteAccounting {
    /// Bytes of every finished connection, both directions.
    pub fn total_bytes(&self) -> u64 {
        self.bills.iter().map(|b| b.bytes[0] + b.bytes[1]).sum()
    }
    /// Packets of every finished connection, both directions.
    pub fn total_packets(&self) -> u64 {
        self.bills.iter().map(|b| b.packets[0] + b.packets[1]).sum()
    }
}

impl Subscriber for ByteAccounting {
    fn name(&self) -> &str {
        "accounting"
    }
    fn on_cache(&mut self, _conn: &Conn, _dir: Dir) -> Interest {
        Interest::Count
    }
    fn on_end(&mut self, conn: &Conn, end: &ConnEnd) {
        let (o, r) = (end.total(Dir::Orig), end.total(Dir::Reply));
        let k = conn.key(Dir::Orig);
        *self.by_address.entry(k.dst_ip().to_string()).or_default() += o.bytes + r.bytes;
        self.bills.push(Bill {
            conn: k.to_string(),
            packets: [o.packets, r.packets],
            bytes: [o.bytes, r.bytes],
        });
    }
    fn report(&self) -> serde_json::Value {
        let mut top: Vec<&Bill> = self.bills.iter().collect();
        top.sort_by_key(|b| std::cmp::Reverse(b.bytes[0] + b.bytes[1]));
        serde_json::json!({
            "connections": self.bills.len(),
            "packets": self.total_packets(),
            "bytes": self.total_bytes(),
            "top": top.iter().take(5).collect::<Vec<_>>(),
        })
    }
}
