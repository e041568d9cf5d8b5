//! One TCAM entry as the device stores it. Both the TCAM and its index read slots; this module
//! depends on neither, so dependencies run one way: tcam → index → slot.

use gufc_regmap::{word, Action, TcamEntry, KEY_WORDS};

/// One TCAM entry as stored: the entry, the action word exactly as written, and its planes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TcamSlot {
    pub entry: TcamEntry,
    pub action_word: word::Action,
    pub planes: u8,
}

impl Default for TcamSlot {
    fn default() -> Self {
        TcamSlot {
            entry: TcamEntry {
                value: [0; KEY_WORDS],
                mask: [0; KEY_WORDS],
                sport: (0, 0),
                dport: (0, 0),
                prio: 0,
                action: Action::Deliver { channel: 0 },
                tcp_flags: (0, 0),
            },
            action_word: word::Action::new(),
            planes: 0,
        }
    }
}
