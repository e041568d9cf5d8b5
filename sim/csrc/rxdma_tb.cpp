// Testbench driver of the receive DMA (rtl/v2/gufc_rxdma.v): replays a stimulus file edge by
// edge and records every edge's outputs for the Rust model's lockstep check (sim/tests/rxdma.rs).
// It checks nothing itself; the comparison is the Rust test's. Usage: Vgufc_rxdma STIM TRACE
// (-DNDW=<DW>).
//
// STIM: little-endian u32 words, 13 + DW/32 per edge:
//   0  rst | f_valid<<1 | f_drop<<2 | s_tvalid<<3 | s_tlast<<4 | w_ready<<5 | w_err<<6
//      | r_ready<<7 | rd_valid<<8 | rd_err<<9 | cfg_valid<<10 | cfg_write<<11 | cfg_reg<<12 (4)
//      | f_chan<<16 (8) | cfg_chan<<24 (8)
//   1  cfg_wdata          2, 3  rd_data bits 31:0, 63:32
//   4, 5  s_tkeep bits 31:0, 63:32 (the low DW/8 used)          6 .. 12  f_cmpl words 0..6
//   13 ..  s_tdata, word i = bits 32i+31:32i
// TRACE: 8 + DW/32 words per edge:
//   0  f_ready | s_tready<<1 | w_valid<<2 | r_valid<<3 (before the edge: the values that edge's
//      handshakes used) | ev_valid<<4 | ev_vec<<8 (after the edge)
//   1, 2  w_addr lo/hi (before)   3, 4  w_strb lo/hi (before)   5, 6  r_addr lo/hi (before)
//   7  cfg_rdata (after)          8 ..  w_data, word i = bits 32i+31:32i (before)
// Prints `rxdma_tb: E edges, W writes, R reads` (writes: w_valid and w_ready at an edge without
// rst; reads: r_valid and r_ready at an edge without rst).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "Vgufc_rxdma.h"
#include "tb_replay.h"
#include "verilated.h"

#ifndef NDW
#error "define NDW (the DW parameter)"
#endif
static const int DW = NDW;
static_assert(DW % 64 == 0 && DW >= 64 && DW <= 512, "NDW: a multiple of 64 up to 512");
static const int STIM_WORDS = 13 + DW / 32;
static const int TRACE_WORDS = 8 + DW / 32;
static const uint64_t KEEP_MASK = DW == 512 ? ~uint64_t(0) : (uint64_t(1) << (DW / 8 % 64)) - 1;

int main(int argc, char** argv) {
    Replay r(argc, argv, STIM_WORDS);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_rxdma>(ctx.get());
    const size_t edges = r.edges;
    uint64_t writes = 0, reads = 0;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t* w = &r.stim[e * STIM_WORDS];
        d->rst = w[0] & 1;
        d->f_valid = w[0] >> 1 & 1;
        d->f_drop = w[0] >> 2 & 1;
        d->s_tvalid = w[0] >> 3 & 1;
        d->s_tlast = w[0] >> 4 & 1;
        d->w_ready = w[0] >> 5 & 1;
        d->w_err = w[0] >> 6 & 1;
        d->r_ready = w[0] >> 7 & 1;
        d->rd_valid = w[0] >> 8 & 1;
        d->rd_err = w[0] >> 9 & 1;
        d->cfg_valid = w[0] >> 10 & 1;
        d->cfg_write = w[0] >> 11 & 1;
        d->cfg_reg = w[0] >> 12 & 0xf;
        d->f_chan = w[0] >> 16 & 0xff;
        d->cfg_chan = w[0] >> 24 & 0xff;
        d->cfg_wdata = w[1];
        d->rd_data = uint64_t(w[2]) | uint64_t(w[3]) << 32;
        d->s_tkeep = (uint64_t(w[4]) | uint64_t(w[5]) << 32) & KEEP_MASK;
        for (int i = 0; i < 7; i++) d->f_cmpl[i] = w[6 + i];
        set_words<DW>(d->s_tdata, &w[13]);
        d->eval();

        uint32_t t[TRACE_WORDS];
        const bool w_valid = d->w_valid, r_valid = d->r_valid;
        t[0] = uint32_t(d->f_ready) | uint32_t(d->s_tready) << 1 | uint32_t(w_valid) << 2 |
               uint32_t(r_valid) << 3;
        const uint64_t waddr = d->w_addr, strb = d->w_strb, raddr = d->r_addr;
        t[1] = uint32_t(waddr);
        t[2] = uint32_t(waddr >> 32);
        t[3] = uint32_t(strb);
        t[4] = uint32_t(strb >> 32);
        t[5] = uint32_t(raddr);
        t[6] = uint32_t(raddr >> 32);
        get_words<DW>(d->w_data, &t[8]);
        if (w_valid && d->w_ready && !d->rst) writes++;
        if (r_valid && d->r_ready && !d->rst) reads++;

        d->clk = 1;
        d->eval();
        t[0] |= uint32_t(d->ev_valid) << 4 | uint32_t(d->ev_vec) << 8;
        t[7] = d->cfg_rdata;
        r.write(t, sizeof t / 4);
        d->clk = 0;
        d->eval();
    }
    r.close();
    d->final();
    printf("rxdma_tb: %zu edges, %llu writes, %llu reads\n", edges, (unsigned long long)writes,
           (unsigned long long)reads);
    return 0;
}
