//! Protocol classes for the RTL 2.0 rule stage: the TCAM key carries a 3-bit class instead of the
//! 8-bit protocol (`rtl/v2/gufc_proto_class.v`), five key bits fewer per entry. Rules compare the
//! protocol exactly or not at all (iptables, tc-flower and every ClassBench set do), so each
//! protocol a set names gets a class 1..=7 in first-seen order; class 0 stands for every other
//! protocol. A set that names more than [`CLASSES`] protocols, or masks a protocol partially,
//! does not fit the stage and is refused at the first rule that breaks the layout.

use std::fmt;

use crate::{Loc, RuleSet};

/// Protocol classes the stage has (class 0, "any other protocol", is not counted).
pub const CLASSES: usize = 7;

/// The protocol of each class 1..=len, in first-seen rule order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProtocolPlan {
    /// `protocols[k]` is the protocol of class k + 1.
    pub protocols: Vec<u8>,
}

impl ProtocolPlan {
    /// The class a packet's protocol falls in (0 when no class holds it).
    pub fn class_of(&self, proto: u8) -> u8 {
        self.protocols
            .iter()
            .position(|&p| p == proto)
            .map_or(0, |k| k as u8 + 1)
    }
}

/// Why a set's protocols do not fit the classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// A protocol mask that is neither 0 nor 0xff.
    PartialMask {
        /// The rule.
        loc: Loc,
        /// Its protocol value and mask.
        value: u8,
        /// The mask.
        mask: u8,
    },
    /// The rule names an eighth distinct protocol.
    TooMany {
        /// The rule.
        loc: Loc,
        /// Its protocol.
        proto: u8,
        /// The protocols that already hold the classes.
        taken: Vec<u8>,
    },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::PartialMask { loc, value, mask } => write!(
                f,
                "{loc}: protocol {value:#04x}/{mask:#04x} is a partial mask; the RTL 2.0 rule \
                 stage matches a protocol exactly or not at all"
            ),
            ProtocolError::TooMany { loc, proto, taken } => write!(
                f,
                "{loc}: protocol {proto} would be the {}th distinct protocol; the RTL 2.0 rule \
                 stage has {CLASSES} protocol classes (taken by {taken:?})",
                taken.len() + 1
            ),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Gives each protocol the set's rules name a class, in rule (file) order.
pub fn plan(set: &RuleSet) -> Result<ProtocolPlan, ProtocolError> {
    let mut plan = ProtocolPlan::default();
    for rule in &set.rules {
        let (value, mask) = (rule.proto.value, rule.proto.mask);
        match mask {
            0 => {}
            0xff if plan.protocols.contains(&value) => {}
            0xff if plan.protocols.len() < CLASSES => plan.protocols.push(value),
            0xff => {
                return Err(ProtocolError::TooMany {
                    loc: rule.loc.clone(),
                    proto: value,
                    taken: plan.protocols,
                })
            }
            _ => {
                return Err(ProtocolError::PartialMask {
                    loc: rule.loc.clone(),
                    value,
                    mask,
                })
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text;

    fn set(text: &str) -> RuleSet {
        text::parse("t.rules", text).expect("a valid rule file")
    }

    #[test]
    fn classes_in_first_seen_order() {
        let s = set("proto udp drop\nproto tcp drop\nproto udp channel 1\ndrop\n");
        let p = plan(&s).unwrap();
        assert_eq!(p.protocols, vec![17, 6]);
        assert_eq!((p.class_of(17), p.class_of(6), p.class_of(1)), (1, 2, 0));
    }

    #[test]
    fn an_eighth_protocol_is_refused_at_its_rule() {
        let text: String = (1..=8).map(|p| format!("proto {p} drop\n")).collect();
        let e = plan(&set(&text)).unwrap_err();
        assert!(e.to_string().starts_with("t.rules:8:"), "{e}");
        assert!(matches!(e, ProtocolError::TooMany { proto: 8, .. }));
    }

    #[test]
    fn a_partial_mask_is_refused() {
        let e = plan(&set("drop\nproto 0x10/0xf0 drop\n")).unwrap_err();
        assert!(e.to_string().starts_with("t.rules:2:"), "{e}");
    }
}
