// Testbench driver of the packet-path top (rtl/v2/gufc_nic.v, docs/nic.md): replays a stimulus
// file edge by edge and records every output port of every edge for the Rust model's lockstep
// check (sim/tests/nic.rs). It checks nothing itself; the comparison is the Rust test's.
// Usage: Vgufc_nic STIM TRACE (-DNDW=<DW>).
//
// STIM: little-endian u32 words, 6 + DW/32 per edge (a port whose valid is 0 gets 0s):
//   0  rst | mmio_valid<<1 | mmio_write<<2 | rx_tvalid<<3 | rx_tlast<<4 | rx_tuser<<5
//      | w_ready<<6 | w_err<<7 | r_ready<<8 | rd_valid<<9 | rd_err<<10 | irq_ready<<11
//      | mmio_addr<<16 (12 bits)
//   1  mmio_wdata         2, 3  rd_data bits 31:0, 63:32
//   4, 5  rx_tkeep bits 31:0, 63:32 (the low DW/8 used)     6 ..  rx_tdata, word i = bits 32i+31:32i
// TRACE: 8 + DW/32 words per edge:
//   0  rx_tready | w_valid<<1 | r_valid<<2 (before the edge: the values its handshakes used)
//      | irq_valid<<3 | irq_vec<<8 (after the edge)
//   1, 2  w_addr lo/hi (before)   3, 4  w_strb lo/hi (before)   5, 6  r_addr lo/hi (before)
//   7  mmio_rdata (after)         8 ..  w_data, word i = bits 32i+31:32i (before)
// Prints `nic_tb: E edges, B beats, W writes, R reads, I interrupts` (each a handshake at an edge
// without rst).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "Vgufc_nic.h"
#include "tb_replay.h"
#include "verilated.h"

#ifndef NDW
#error "define NDW (the DW parameter)"
#endif
static const int DW = NDW;
static_assert(DW % 64 == 0 && DW >= 64 && DW <= 512, "NDW: a multiple of 64 up to 512");
static const int STIM_WORDS = 6 + DW / 32;
static const int TRACE_WORDS = 8 + DW / 32;
static const uint64_t KEEP_MASK = DW == 512 ? ~uint64_t(0) : (uint64_t(1) << (DW / 8 % 64)) - 1;

int main(int argc, char** argv) {
    Replay r(argc, argv, STIM_WORDS);
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto d = std::make_unique<Vgufc_nic>(ctx.get());
    const size_t edges = r.edges;
    uint64_t beats = 0, writes = 0, reads = 0, irqs = 0;
    d->clk = 0;
    d->eval();
    for (size_t e = 0; e < edges; e++) {
        const uint32_t* w = &r.stim[e * STIM_WORDS];
        const bool rst = w[0] & 1;
        d->rst = rst;
        d->mmio_valid = w[0] >> 1 & 1;
        d->mmio_write = w[0] >> 2 & 1;
        d->rx_tvalid = w[0] >> 3 & 1;
        d->rx_tlast = w[0] >> 4 & 1;
        d->rx_tuser = w[0] >> 5 & 1;
        d->w_ready = w[0] >> 6 & 1;
        d->w_err = w[0] >> 7 & 1;
        d->r_ready = w[0] >> 8 & 1;
        d->rd_valid = w[0] >> 9 & 1;
        d->rd_err = w[0] >> 10 & 1;
        d->irq_ready = w[0] >> 11 & 1;
        d->mmio_addr = w[0] >> 16 & 0xfff;
        d->mmio_wdata = w[1];
        d->rd_data = uint64_t(w[2]) | uint64_t(w[3]) << 32;
        d->rx_tkeep = (uint64_t(w[4]) | uint64_t(w[5]) << 32) & KEEP_MASK;
        set_words<DW>(d->rx_tdata, &w[6]);
        d->eval();

        uint32_t t[TRACE_WORDS];
        const bool rx_tready = d->rx_tready, w_valid = d->w_valid, r_valid = d->r_valid;
        t[0] = uint32_t(rx_tready) | uint32_t(w_valid) << 1 | uint32_t(r_valid) << 2;
        const uint64_t waddr = d->w_addr, strb = d->w_strb, raddr = d->r_addr;
        t[1] = uint32_t(waddr);
        t[2] = uint32_t(waddr >> 32);
        t[3] = uint32_t(strb);
        t[4] = uint32_t(strb >> 32);
        t[5] = uint32_t(raddr);
        t[6] = uint32_t(raddr >> 32);
        get_words<DW>(d->w_data, &t[8]);
        if (!rst) {
            beats += d->rx_tvalid && rx_tready;
            writes += w_valid && d->w_ready;
            reads += r_valid && d->r_ready;
        }

        d->clk = 1;
        d->eval();
        t[0] |= uint32_t(d->irq_valid) << 3 | uint32_t(d->irq_vec) << 8;
        t[7] = d->mmio_rdata;
        r.write(t, TRACE_WORDS);
        d->clk = 0;
        d->eval();
        // A message shown after this edge is taken at the next one if irq_ready is 1 there.
        const uint32_t next = e + 1 < edges ? r.stim[(e + 1) * STIM_WORDS] : 0;
        if (d->irq_valid && (next >> 11 & 1) && !(next & 1)) irqs++;
    }
    r.close();
    d->final();
    printf("nic_tb: %zu edges, %llu beats, %llu writes, %llu reads, %llu interrupts\n", edges,
           (unsigned long long)beats, (unsigned long long)writes, (unsigned long long)reads,
           (unsigned long long)irqs);
    return 0;
}
