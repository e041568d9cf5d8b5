// Testbench of the RTL 2.0 counters (rtl/v2/gufc_counter_ram.v) against a reference written from
// its documented contract, not from the RTL. An increment arrives on ~90 % of the clocks, mostly
// on a small hot set (so back-to-back increments of one counter are common), READ and CLEAR are
// issued whenever the block takes a command, and `clr` comes at random edges. Compared on every
// edge: cmd_ready, rd_valid and the read data, cnt_valid and every reported post-increment value.
// Every output is 0 while its valid bit is. Usage: counter_ram_tb SEED CYCLES [TRACE]. Exit
// status 1 on the first mismatch. TRACE, if given, receives every edge's inputs and outputs (see
// `record`) for the Rust model's lockstep check (sim/tests/counter_ram.rs).
//
// The contract checked (edges counted from an increment's acceptance a, a command's c):
//  - at each edge first that edge's increment, then that edge's CLEAR (the clear wins: an
//    increment of the cleared counter at that edge is lost and not reported);
//  - every other increment's new value is reported after edge a+3;
//  - a CLEAR at an edge whose increment is of another counter stays pending (cmd_ready 0) until
//    the first edge without an increment or with an increment of its counter;
//  - READ: data after edge c+6 = the value after edge c; the next command is taken at c+1;
//  - clr at edge r: every counter 0, nothing in flight reported.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vgufc_counter_ram.h"
#include "verilated.h"
#include "tb_random.h"

#ifndef NDEPTH
#error "define NDEPTH (the DEPTH parameter)"
#endif
static const int D = NDEPTH;

struct Val {
    uint64_t pkts = 0, bytes = 0;
};
struct Report {
    uint64_t at, accepted;
    int index;
    Val v;
};
struct Read {
    uint64_t at;
    Val v;
};


// One edge as 13 little-endian 32-bit words: the inputs sampled at the edge, cmd_ready before it,
// and the outputs after it.
//   0 clr | inc_en<<1 | cmd_valid<<2 | cmd_op<<3 | cmd_ready<<4 | rd_valid<<5 | cnt_valid<<6
//   1 inc_index   2 inc_len   3 cmd_index   4,5 rd_pkts   6,7 rd_bytes   8 cnt_index
//   9,10 cnt_pkts   11,12 cnt_bytes (lo, hi)
static void record(FILE* f, const Vgufc_counter_ram& d, bool ready) {
    uint32_t w[13] = {
        uint32_t(d.clr | d.inc_en << 1 | d.cmd_valid << 2 | d.cmd_op << 3 | ready << 4 |
                 d.rd_valid << 5 | d.cnt_valid << 6),
        d.inc_index, d.inc_len, d.cmd_index,
        uint32_t(d.rd_pkts), uint32_t(d.rd_pkts >> 32), uint32_t(d.rd_bytes), uint32_t(d.rd_bytes >> 32),
        d.cnt_index,
        uint32_t(d.cnt_pkts), uint32_t(d.cnt_pkts >> 32), uint32_t(d.cnt_bytes), uint32_t(d.cnt_bytes >> 32)};
    fwrite(w, sizeof w, 1, f);
}

int main(int argc, char** argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s SEED CYCLES [TRACE]\n", argv[0]);
        return 2;
    }
    FILE* trace = nullptr;
    if (argc == 4 && !(trace = fopen(argv[3], "wb"))) {
        perror(argv[3]);
        return 2;
    }
    uint64_t seed = strtoull(argv[1], nullptr, 0);
    uint64_t cycles = strtoull(argv[2], nullptr, 0);
    rng.seed(seed);

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(2);
    auto dut = std::make_unique<Vgufc_counter_ram>(ctx.get());

    std::vector<Val> v(D);
    std::deque<Report> reports;
    std::deque<Read> reads;
    uint64_t busy_until = 0;
    uint64_t incs = 0, b2b = 0, nreads = 0, nclears = 0, resets = 0, pending = 0, clear_same = 0;
    bool pend = false;
    int pend_i = 0;
    int hot[3];
    int fails = 0;
    auto fail = [&](uint64_t t, const char* what, uint64_t got, uint64_t want) {
        fprintf(stderr, "MISMATCH D=%d seed=%llu edge %llu: %s = %llx, want %llx\n", D,
                (unsigned long long)seed, (unsigned long long)t, what, (unsigned long long)got,
                (unsigned long long)want);
        fails++;
    };
    auto pick = [&]() { return chance(70) ? hot[rnd(3)] : int(rnd(D)); };

    dut->clr = 1;
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
    dut->clr = 0;
    int last_inc = -1;

    for (uint64_t t = 1; t <= cycles && fails == 0; t++) {
        if (t % 5000 == 1)
            for (int& h : hot) h = int(rnd(D));
        bool clr = chance(0) || rnd(20000) == 0;
        bool inc = chance(90);
        int ii = pick();
        if (chance(30) && last_inc >= 0) ii = last_inc;
        uint32_t len = chance(10) ? uint32_t(rnd(65536)) : uint32_t(40 + rnd(1500));
        int op = -1, ci = 0;
        if (chance(15)) {
            op = chance(50) ? 0 : 1;
            ci = chance(50) ? ii : pick();   // often the counter being incremented now
        }
        dut->clk = 0;
        dut->clr = clr;
        dut->inc_en = inc;
        dut->inc_index = ii;
        dut->inc_len = len;
        dut->cmd_valid = op >= 0;
        dut->cmd_op = op < 0 ? 0 : op;
        dut->cmd_index = ci;
        dut->eval();
        bool ready = dut->cmd_ready;
        bool want_ready = t >= busy_until && !pend;
        if (ready != want_ready) fail(t, "cmd_ready", ready, want_ready);
        dut->clk = 1;
        dut->eval();   // edge t
        if (trace) record(trace, *dut, ready);

        if (clr) {
            v.assign(D, Val());
            reports.clear();
            reads.clear();
            busy_until = 0;
            pend = false;
            resets++;
            last_inc = -1;
        } else {
            if (inc) {
                v[ii].pkts += 1;
                v[ii].bytes += len;
                reports.push_back({t + 3, t, ii, v[ii]});
                incs++;
                if (ii == last_inc) b2b++;
                last_inc = ii;
            } else {
                last_inc = -1;
            }
            if (pend && (!inc || ii == pend_i)) pend = false;
            if (op >= 0 && ready) {
                if (op == 1) {
                    nclears++;
                    if (inc && ii == ci) {
                        clear_same++;
                        reports.pop_back();   // the lost increment
                    } else if (inc) {
                        pend = true;
                        pend_i = ci;
                        pending++;
                    }
                    v[ci] = Val();
                } else {
                    nreads++;
                    reads.push_back({t + 6, v[ci]});
                    busy_until = t + 1;
                }
            }
        }

        // Outputs after edge t.
        if (!reports.empty() && reports.front().at == t) {
            Report r = reports.front();
            reports.pop_front();
            if (!dut->cnt_valid) fail(t, "cnt_valid", 0, 1);
            else if (dut->cnt_index != uint32_t(r.index)) fail(t, "cnt_index", dut->cnt_index, r.index);
            else if (dut->cnt_pkts != r.v.pkts) fail(t, "cnt_pkts", dut->cnt_pkts, r.v.pkts);
            else if (dut->cnt_bytes != r.v.bytes) fail(t, "cnt_bytes", dut->cnt_bytes, r.v.bytes);
        } else if (dut->cnt_valid || dut->cnt_index || dut->cnt_pkts || dut->cnt_bytes) {
            fail(t, "cnt_* without a report (valid, index)", dut->cnt_valid, dut->cnt_index);
        }
        if (!reads.empty() && reads.front().at == t) {
            Read r = reads.front();
            reads.pop_front();
            if (!dut->rd_valid) fail(t, "rd_valid", 0, 1);
            else if (dut->rd_pkts != r.v.pkts) fail(t, "rd_pkts", dut->rd_pkts, r.v.pkts);
            else if (dut->rd_bytes != r.v.bytes) fail(t, "rd_bytes", dut->rd_bytes, r.v.bytes);
        } else if (dut->rd_valid || dut->rd_pkts || dut->rd_bytes) {
            fail(t, "rd_* without a read (valid, pkts)", dut->rd_valid, dut->rd_pkts);
        }
    }
    dut->final();
    if (trace) fclose(trace);
    printf("D=%d seed=%llu cycles=%llu: %llu increments (%llu back-to-back), %llu read, %llu clear "
           "(%llu same-edge, %llu pending), %llu resets: %s\n",
           D, (unsigned long long)seed, (unsigned long long)cycles, (unsigned long long)incs,
           (unsigned long long)b2b, (unsigned long long)nreads, (unsigned long long)nclears,
           (unsigned long long)clear_same, (unsigned long long)pending, (unsigned long long)resets,
           fails ? "FAIL" : "ok");
    return fails ? 1 : 0;
}
