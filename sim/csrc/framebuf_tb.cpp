// Testbench driver of the frame buffer (rtl/v2/gufc_framebuf.v): replays a stimulus file edge
// by edge and records every edge's outputs for sim/tests/framebuf.rs. Usage: Vgufc_framebuf
// STIM TRACE (-DNDW=<DW>).
//
// STIM: 3 + DW/32 little-endian u32 words per edge:
//   0  rst | s_tvalid<<1 | s_tlast<<2 | m_tready<<3     1, 2  s_tkeep     3 ..  s_tdata
// TRACE: 3 + DW/32 words per edge:
//   0  s_tready before the edge | m_tvalid<<1 | m_tlast<<2 | level<<8 (after the edge)
//   1, 2  m_tkeep     3 ..  m_tdata (after the edge)
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "Vgufc_framebuf.h"
#include "tb_replay.h"
#include "verilated.h"

#ifndef NDW
#error "define NDW (the DW parameter)"
#endif
static const int DW = NDW;
static const int WORDS = 3 + DW / 32;

int main(int argc, char** argv) {
    Replay r(argc, argv, WORDS);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_framebuf>(ctx.get());
    const size_t edges = r.edges;
    const uint64_t keep_mask = DW == 512 ? ~uint64_t(0) : (uint64_t(1) << (DW / 8)) - 1;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t* w = &r.stim[e * WORDS];
        d->rst = w[0] & 1;
        d->s_tvalid = w[0] >> 1 & 1;
        d->s_tlast = w[0] >> 2 & 1;
        d->m_tready = w[0] >> 3 & 1;
        d->s_tkeep = (uint64_t(w[1]) | uint64_t(w[2]) << 32) & keep_mask;
        set_words<DW>(d->s_tdata, &w[3]);
        d->eval();
        const bool ready = d->s_tready;
        d->clk = 1;
        d->eval();
        uint32_t t[WORDS];
        t[0] = uint32_t(ready) | uint32_t(d->m_tvalid) << 1 | uint32_t(d->m_tlast) << 2 |
               uint32_t(d->level) << 8;
        const uint64_t keep = d->m_tkeep;
        t[1] = uint32_t(keep);
        t[2] = uint32_t(keep >> 32);
        get_words<DW>(d->m_tdata, &t[3]);
        r.write(t, sizeof t / 4);
        d->clk = 0;
        d->eval();
    }
    r.close();
    d->final();
    printf("framebuf_tb: %zu edges\n", edges);
    return 0;
}
