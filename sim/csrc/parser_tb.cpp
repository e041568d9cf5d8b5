// Testbench driver of the frame parser (rtl/v2/gufc_parser.v): replays a stimulus file edge by
// edge and records every edge's outputs for the Rust model's lockstep check (sim/tests/parser.rs).
// It checks nothing itself; the comparison is the Rust test's. Usage: Vgufc_parser STIM TRACE.
//
// STIM: little-endian u32 words, 3 + DW/32 per edge:
//   0  rst | s_tvalid<<1 | s_tlast<<2 | s_tuser<<3 | m_ready<<4
//   1, 2  s_tkeep bits 31:0, 63:32 (the low DW/8 used)
//   3 ..  s_tdata, word i = bits 32i+31:32i
// TRACE: 13 words per edge:
//   0  s_tready before the edge (the value that edge's handshake used) | m_valid after it <<1
//   1 .. 10  m_key words 0..9 after the edge
//   11 m_flags | m_reason<<8 | m_tags<<16 | m_frag<<18      12 m_len | m_vlan<<16
// Prints `parser_tb: E edges, F frames in, R records out` (frames: last beats taken; records:
// records transferred, m_valid and m_ready at an edge without rst).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "Vgufc_parser.h"
#include "tb_replay.h"
#include "verilated.h"

#ifndef NDW
#error "define NDW (the DW parameter)"
#endif
static const int DW = NDW;
static_assert(DW % 64 == 0 && DW >= 64 && DW <= 512, "NDW: a multiple of 64 up to 512");
static const int STIM_WORDS = 3 + DW / 32;
static const int TRACE_WORDS = 13;
static const uint64_t KEEP_MASK = DW == 512 ? ~uint64_t(0) : (uint64_t(1) << (DW / 8 % 64)) - 1;

int main(int argc, char** argv) {
    Replay r(argc, argv, STIM_WORDS);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_parser>(ctx.get());
    const size_t edges = r.edges;
    uint64_t frames = 0, records = 0;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t* w = &r.stim[e * STIM_WORDS];
        d->rst = w[0] & 1;
        d->s_tvalid = w[0] >> 1 & 1;
        d->s_tlast = w[0] >> 2 & 1;
        d->s_tuser = w[0] >> 3 & 1;
        d->m_ready = w[0] >> 4 & 1;
        const uint64_t keep = uint64_t(w[1]) | uint64_t(w[2]) << 32;
        d->s_tkeep = keep & KEEP_MASK;
        set_words<DW>(d->s_tdata, &w[3]);
        d->eval();
        const bool ready = d->s_tready;
        const bool m_taken = d->m_valid && d->m_ready && !d->rst;
        if (ready && d->s_tvalid && d->s_tlast && !d->rst) frames++;
        d->clk = 1;
        d->eval();
        if (m_taken) records++;
        uint32_t t[TRACE_WORDS];
        t[0] = uint32_t(ready) | uint32_t(d->m_valid) << 1;
        for (int i = 0; i < 10; i++) t[1 + i] = d->m_key[i];
        t[11] = uint32_t(d->m_flags) | uint32_t(d->m_reason) << 8 | uint32_t(d->m_tags) << 16 |
                uint32_t(d->m_frag) << 18;
        t[12] = uint32_t(d->m_len) | uint32_t(d->m_vlan) << 16;
        r.write(t, sizeof t / 4);
        d->clk = 0;
        d->eval();
    }
    r.close();
    d->final();
    printf("parser_tb: %zu edges, %llu frames in, %llu records out\n", edges,
           (unsigned long long)frames, (unsigned long long)records);
    return 0;
}
