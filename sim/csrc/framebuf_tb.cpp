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
#include "verilated.h"

#ifndef NDW
#error "define NDW (the DW parameter)"
#endif
static const int DW = NDW;
static const int WORDS = 3 + DW / 32;

template <typename T>
static void set_data(T& port, const uint32_t* w) {
    if constexpr (DW <= 64) {
        port = uint64_t(w[0]) | uint64_t(w[1]) << 32;
    } else {
        for (int i = 0; i < DW / 32; i++) port[i] = w[i];
    }
}

template <typename T>
static uint32_t get_word(const T& port, int i) {
    if constexpr (DW <= 64) {
        return uint32_t(uint64_t(port) >> (32 * i));
    } else {
        return port[i];
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
    if (!trace || stim.size() % WORDS) {
        fprintf(stderr, "%s: cannot write, or the stimulus is not %d words per edge\n", argv[2],
                WORDS);
        return 2;
    }
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_framebuf>(ctx.get());
    const size_t edges = stim.size() / WORDS;
    const uint64_t keep_mask = DW == 512 ? ~uint64_t(0) : (uint64_t(1) << (DW / 8)) - 1;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t* w = &stim[e * WORDS];
        d->rst = w[0] & 1;
        d->s_tvalid = w[0] >> 1 & 1;
        d->s_tlast = w[0] >> 2 & 1;
        d->m_tready = w[0] >> 3 & 1;
        d->s_tkeep = (uint64_t(w[1]) | uint64_t(w[2]) << 32) & keep_mask;
        set_data(d->s_tdata, &w[3]);
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
        for (int i = 0; i < DW / 32; i++) t[3 + i] = get_word(d->m_tdata, i);
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
    printf("framebuf_tb: %zu edges\n", edges);
    return 0;
}
