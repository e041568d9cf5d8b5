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
#include "verilated.h"

#ifndef NVEC
#error "define NVEC (the VECTORS parameter)"
#endif
static const int VECTORS = NVEC;
static const int PW = (VECTORS + 31) / 32;

template <typename T>
static uint32_t pend_word(const T& p, int i) {
    if constexpr (VECTORS <= 64) {
        return uint32_t(uint64_t(p) >> (32 * i));
    } else {
        return p[i];
    }
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s STIM TRACE\n", argv[0]);
        return 2;
    }
    FILE* in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    std::vector<uint32_t> stim;
    uint32_t buf[4096];
    size_t n;
    while ((n = fread(buf, 4, sizeof buf / 4, in)) > 0) stim.insert(stim.end(), buf, buf + n);
    fclose(in);
    FILE* trace = fopen(argv[2], "wb");
    if (!trace || stim.size() % 2) {
        fprintf(stderr, "%s: cannot write, or the stimulus is not 2 words per edge\n", argv[2]);
        return 2;
    }
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_irq>(ctx.get());
    const size_t edges = stim.size() / 2;
    uint64_t messages = 0;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t w = stim[2 * e];
        d->rst = w & 1;
        d->ev_valid = w >> 1 & 1;
        d->cfg_valid = w >> 2 & 1;
        d->irq_ready = w >> 3 & 1;
        d->cfg_field = w >> 4 & 3;
        d->ev_vec = w >> 8 & 0xff;
        d->cfg_vec = w >> 16 & 0xff;
        d->cfg_data = stim[2 * e + 1] & 0xffff;
        d->eval();
        if (d->irq_valid && d->irq_ready) messages++;
        d->clk = 1;
        d->eval();
        uint32_t t[1 + PW];
        t[0] = uint32_t(d->irq_valid) | uint32_t(d->irq_vec) << 8;
        for (int i = 0; i < PW; i++) t[1 + i] = pend_word(d->pending, i);
        if (fwrite(t, sizeof t, 1, trace) != 1) {
            perror(argv[2]);
            return 2;
        }
        d->clk = 0;
        d->eval();
    }
    if (fclose(trace)) {
        perror(argv[2]);
        return 2;
    }
    d->final();
    printf("irq_tb: %zu edges, %llu messages\n", edges, (unsigned long long)messages);
    return 0;
}
