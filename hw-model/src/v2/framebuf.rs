//! The frame buffer (`rtl/v2/gufc_framebuf.v`; docs/dma.md, "The frame buffer"): an
//! AXI4-Stream FIFO of beats in block RAM, edge for edge.

use std::collections::VecDeque;

use super::rxdma::DmaBeat;

/// The FIFO: `depth` beats.
#[derive(Clone, Debug)]
pub struct FrameBuf {
    depth: usize,
    stored: VecDeque<DmaBeat>,
    visible: bool,
}

impl FrameBuf {
    /// An empty buffer of `depth` beats (a power of two ≥ 2).
    pub fn new(depth: usize) -> FrameBuf {
        assert!(depth >= 2 && depth.is_power_of_two(), "depth {depth}");
        FrameBuf {
            depth,
            stored: VecDeque::new(),
            visible: false,
        }
    }

    /// `s_tready`.
    pub fn ready(&self) -> bool {
        self.stored.len() < self.depth
    }

    /// The beat on `m` (`m_tvalid`), if any.
    pub fn out(&self) -> Option<&DmaBeat> {
        self.stored.front().filter(|_| self.visible)
    }

    /// `level`.
    pub fn level(&self) -> usize {
        self.stored.len()
    }

    /// One edge: `rst`, the beat offered (`s_tvalid`), `m_tready`. Returns the beat taken
    /// from `m` at this edge, if any.
    pub fn step(&mut self, rst: bool, beat: Option<&DmaBeat>, m_ready: bool) -> Option<DmaBeat> {
        let ready = self.ready();
        let taken = if self.visible && m_ready {
            self.stored.pop_front()
        } else {
            None
        };
        if rst {
            self.stored.clear();
            self.visible = false;
            return taken;
        }
        self.visible = !self.stored.is_empty();
        if let (Some(b), true) = (beat, ready) {
            self.stored.push_back(b.clone());
        }
        taken
    }
}
