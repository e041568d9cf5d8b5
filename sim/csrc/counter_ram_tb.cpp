// Testbench of the RTL 2.0 counters (rtl/v2/gufc_counter_ram.v) against a reference written from
// its documented contract, not from the RTL. Stimulus in stretches of 2,000 clocks, each of one
// kind: mixed (an increment on ~90 % of the clocks, mostly on a small hot set, so back-to-back
// increments of one counter are common), full load (an increment on every clock, CLEARs of the
// counters incremented 0 .. 5 edges before, so with operations in flight at every pipeline
// distance, and of other counters), and ADD-heavy (ADDs of the counter incremented at that edge
// or just before, READs of cleared counters). `clr` comes at random edges. Compared on every
// edge: cmd_ready, rd_valid and the read data, cnt_valid and every reported value. Every output
// is 0 while its valid bit is. Usage: counter_ram_tb SEED CYCLES [TRACE]. Exit status 1 on the
// first mismatch. TRACE, if given, receives every edge's inputs and outputs (see `record`) for
// the Rust model's lockstep check (sim/tests/counter_ram.rs).
//
// The contract checked (edges counted from an increment's acceptance a, a command's c):
//  - at each edge first that edge's increment, then that edge's command;
//  - CLEAR: taken whenever no READ holds the port (checked on its own too: a CLEAR offered then
//    and refused is a failure whatever the reference says); an increment of the cleared counter
//    at that edge is lost and not reported, a pending ADD of it dropped;
//  - ADD: added at c; at an edge whose increment is of another counter it stays pending
//    (cmd_ready 0 for READ and ADD) until the first edge without an increment or with an
//    increment of its counter;
//  - every other increment's counter after edge a is reported after edge a+3;
//  - READ: data after edge c+6 = the value after edge c; no command is taken at c+1 .. c+4;
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
enum { READ = 0, CLEAR = 1, ADD = 2 };

struct Val {
    uint64_t pkts = 0, bytes = 0;
};
struct Report {
    uint64_t at;
    int index;
    Val v;
};
struct Read {
    uint64_t at;
    Val v;
};

// One edge as 17 little-endian 32-bit words: the inputs sampled at the edge, cmd_ready before it,
// and the outputs after it.
//   0 clr | inc_en<<1 | cmd_valid<<2 | cmd_op bit 0<<3 | cmd_ready<<4 | rd_valid<<5 |
//     cnt_valid<<6 | cmd_op bit 1<<7
//   1 inc_index   2 inc_len   3 cmd_index   4,5 rd_pkts   6,7 rd_bytes   8 cnt_index
//   9,10 cnt_pkts   11,12 cnt_bytes   13,14 cmd_pkts   15,16 cmd_bytes (lo, hi)
static void record(FILE* f, const Vgufc_counter_ram& d, bool ready) {
    uint32_t w[17] = {
        uint32_t(d.clr | d.inc_en << 1 | d.cmd_valid << 2 | (d.cmd_op & 1) << 3 | ready << 4 |
                 d.rd_valid << 5 | d.cnt_valid << 6 | (d.cmd_op >> 1 & 1) << 7),
        d.inc_index, d.inc_len, d.cmd_index,
        uint32_t(d.rd_pkts), uint32_t(d.rd_pkts >> 32), uint32_t(d.rd_bytes), uint32_t(d.rd_bytes >> 32),
        d.cnt_index,
        uint32_t(d.cnt_pkts), uint32_t(d.cnt_pkts >> 32), uint32_t(d.cnt_bytes), uint32_t(d.cnt_bytes >> 32),
        uint32_t(d.cmd_pkts), uint32_t(d.cmd_pkts >> 32), uint32_t(d.cmd_bytes), uint32_t(d.cmd_bytes >> 32)};
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
    std::vector<uint64_t> last_inc(D, 0);   // edge of the counter's last increment (0: none)
    std::vector<bool> cleared(D, false);    // cleared, no increment or ADD since
    std::deque<Report> reports;
    std::deque<Read> reads;
    uint64_t busy_until = 0;
    uint64_t incs = 0, b2b = 0, nreads = 0, stale_reads = 0, nclears = 0, resets = 0;
    uint64_t clear_same = 0, load_clears = 0, adds = 0, add_same = 0, add_near = 0, pending = 0,
             add_dropped = 0;
    uint64_t dist[5] = {0, 0, 0, 0, 0};
    bool pend = false;
    int pend_i = 0;
    int hot[3];
    int hist[6] = {-1, -1, -1, -1, -1, -1};   // the counter incremented 0 .. 5 edges before
    int mode = 0;
    int fails = 0;
    auto fail = [&](uint64_t t, const char* what, uint64_t got, uint64_t want) {
        fprintf(stderr, "MISMATCH D=%d seed=%llu edge %llu: %s = %llx, want %llx\n", D,
                (unsigned long long)seed, (unsigned long long)t, what, (unsigned long long)got,
                (unsigned long long)want);
        fails++;
    };
    auto pick = [&]() { return chance(70) ? hot[rnd(3)] : int(rnd(D)); };
    auto value = [&]() {
        return chance(10) ? uint64_t(rng()) : chance(50) ? uint64_t(rnd(4)) : uint64_t(rnd(1u << 20));
    };

    dut->clr = 1;
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
    dut->clr = 0;

    for (uint64_t t = 1; t <= cycles && fails == 0; t++) {
        if (t % 2000 == 1) {
            for (int& h : hot) h = int(rnd(D));
            mode = chance(40) ? 0 : chance(50) ? 1 : 2;
        }
        bool clr = rnd(20000) == 0;
        bool inc = mode == 1 || chance(90);
        int ii = pick();
        if (chance(30) && hist[0] >= 0) ii = hist[0];
        uint32_t len = chance(10) ? uint32_t(rnd(65536)) : uint32_t(40 + rnd(1500));
        int op = -1, ci = 0;
        uint64_t apk = 0, aby = 0;
        if (mode == 0 && chance(15)) {
            op = int(rnd(3));
            ci = chance(50) ? ii : pick();   // often the counter being incremented now
        } else if (mode == 1 && chance(50)) {
            op = chance(85) ? CLEAR : chance(50) ? READ : ADD;
            int d = int(rnd(7));
            ci = d == 6 ? int(rnd(D)) : d == 0 ? ii : hist[d - 1] >= 0 ? hist[d - 1] : pick();
        } else if (mode == 2 && chance(40)) {
            op = chance(50) ? ADD : chance(50) ? READ : CLEAR;
            int d = int(rnd(4));
            ci = d == 0 ? ii : d == 3 ? pick() : hist[d - 1] >= 0 ? hist[d - 1] : ii;
            if (op == READ && chance(50)) {   // a cleared counter, if one is at hand
                for (int k = 0; k < 8; k++) {
                    int c = int(rnd(D));
                    if (cleared[c]) {
                        ci = c;
                        break;
                    }
                }
            }
        }
        if (op == ADD) {
            apk = value();
            aby = value();
        }
        dut->clk = 0;
        dut->clr = clr;
        dut->inc_en = inc;
        dut->inc_index = ii;
        dut->inc_len = len;
        dut->cmd_valid = op >= 0;
        dut->cmd_op = op < 0 ? 0 : op;
        dut->cmd_index = ci;
        dut->cmd_pkts = apk;
        dut->cmd_bytes = aby;
        dut->eval();
        bool ready = dut->cmd_ready;
        bool held = t < busy_until;
        bool want_ready = !held && ((op < 0 ? READ : op) == CLEAR || !pend);
        if (ready != want_ready) fail(t, "cmd_ready", ready, want_ready);
        if (op == CLEAR && !held && !ready) fail(t, "a CLEAR refused with no READ holding the port", 0, 1);
        dut->clk = 1;
        dut->eval();   // edge t
        if (trace) record(trace, *dut, ready);

        for (int k = 5; k > 0; k--) hist[k] = hist[k - 1];
        hist[0] = inc ? ii : -1;
        if (clr) {
            v.assign(D, Val());
            last_inc.assign(D, 0);
            cleared.assign(D, false);
            reports.clear();
            reads.clear();
            busy_until = 0;
            pend = false;
            resets++;
            for (int& h : hist) h = -1;
        } else {
            bool report = inc;
            if (inc) {
                v[ii].pkts += 1;
                v[ii].bytes += len;
                incs++;
                if (last_inc[ii] == t - 1) b2b++;
                last_inc[ii] = t;
                cleared[ii] = false;
            }
            if (pend && (!inc || ii == pend_i)) pend = false;
            if (op >= 0 && ready) {
                if (op == CLEAR) {
                    nclears++;
                    if (inc && ii != ci) load_clears++;
                    if (last_inc[ci] && t - last_inc[ci] < 5) dist[t - last_inc[ci]]++;
                    if (inc && ii == ci) {
                        clear_same++;
                        report = false;   // the lost increment
                    }
                    if (pend && pend_i == ci) {
                        pend = false;
                        add_dropped++;
                    }
                    v[ci] = Val();
                    cleared[ci] = true;
                } else if (op == ADD) {
                    adds++;
                    if (inc && ii == ci) add_same++;
                    else if (last_inc[ci] && t - last_inc[ci] < 5) add_near++;
                    v[ci].pkts += apk;
                    v[ci].bytes += aby;
                    cleared[ci] = false;
                    if (inc && ii != ci) {
                        pend = true;
                        pend_i = ci;
                        pending++;
                    }
                } else {
                    nreads++;
                    if (cleared[ci]) stale_reads++;
                    reads.push_back({t + 6, v[ci]});
                    busy_until = t + 5;
                }
            }
            if (report) reports.push_back({t + 3, ii, v[ii]});
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
    printf("D=%d seed=%llu cycles=%llu: %llu increments (%llu back-to-back), %llu read "
           "(%llu stale), %llu clear (%llu same-edge, %llu under-load, in flight at distance "
           "%llu d1 %llu d2 %llu d3 %llu d4), %llu add (%llu same-edge, %llu near, %llu pending, "
           "%llu dropped), %llu resets: %s\n",
           D, (unsigned long long)seed, (unsigned long long)cycles, (unsigned long long)incs,
           (unsigned long long)b2b, (unsigned long long)nreads, (unsigned long long)stale_reads,
           (unsigned long long)nclears, (unsigned long long)clear_same,
           (unsigned long long)load_clears, (unsigned long long)dist[1],
           (unsigned long long)dist[2], (unsigned long long)dist[3], (unsigned long long)dist[4],
           (unsigned long long)adds, (unsigned long long)add_same, (unsigned long long)add_near,
           (unsigned long long)pending, (unsigned long long)add_dropped,
           (unsigned long long)resets, fails ? "FAIL" : "ok");
    return fails ? 1 : 0;
}
