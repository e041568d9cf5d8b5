// Testbench driver of the interrupt block (rtl/v2/gufc_irq.v): replays a stimulus file edge by
// edge and records every edge's outputs for the Rust model's lockstep check (sim/tests/irq.rs).
// It checks nothing itself. Usage: Vgufc_irq STIM TRACE (-DNVEC=<VECTORS>).
//
// STIM: 2 little-endian u32 words per edge:
//   0  rst | ev_valid<<1 | cfg_valid<<2 | irq_ready<<3 | cfg_field<<4 | ev_vec<<8 | cfg_vec<<16
//   1  cfg_data
// TRACE: 1 + ceil(VECTORS/32) words per edge, after the edge:
//   0  irq_valid | irq_vec<<8        1 ..  pending, word i = bits 32i+31:32i
// Prints `irq_tb: E edges, M messages`.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "Vgufc_irq.h"
#include "tb_replay.h"
#include "verilated.h"

#ifndef NVEC
#error "define NVEC (the VECTORS parameter)"
#endif
static const int VECTORS = NVEC;
static const int PW = (VECTORS + 31) / 32;

int main(int argc, char** argv) {
    Replay r(argc, argv, 2);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_irq>(ctx.get());
    const size_t edges = r.edges;
    uint64_t messages = 0;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t w = r.stim[2 * e];
        d->rst = w & 1;
        d->ev_valid = w >> 1 & 1;
        d->cfg_valid = w >> 2 & 1;
        d->irq_ready = w >> 3 & 1;
        d->cfg_field = w >> 4 & 3;
        d->ev_vec = w >> 8 & 0xff;
        d->cfg_vec = w >> 16 & 0xff;
        d->cfg_data = r.stim[2 * e + 1] & 0xffff;
        d->eval();
        if (d->irq_valid && d->irq_ready) messages++;
        d->clk = 1;
        d->eval();
        uint32_t t[1 + PW];
        t[0] = uint32_t(d->irq_valid) | uint32_t(d->irq_vec) << 8;
        get_words<32 * PW>(d->pending, &t[1]);
        r.write(t, sizeof t / 4);
        d->clk = 0;
        d->eval();
    }
    r.close();
    d->final();
    printf("irq_tb: %zu edges, %llu messages\n", edges, (unsigned long long)messages);
    return 0;
}
