// Stimulus for the RTL 2.0 datapath (rtl/v2/gufc_core.v): one key on most clocks (flows the
// testbench wrote, and keys near the rules' addresses), rule, checker, class, flow and counter
// commands whenever a block takes one, epoch moves, interest settings, stretches of res_ready 0
// that fill the output FIFO, and resets. The reference is the Rust model
// (gufc_hw_model::v2::core): this program only drives the RTL and writes every edge's inputs and
// outputs to a trace that sim/tests/core.rs replays through the model. It prints what the run
// exercised. Usage: core_tb SEED CYCLES TRACE.
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "Vgufc_core.h"
#include "verilated.h"
#include "tb_random.h"
#include "tb_flow_hash.h"

#ifndef NENT
#error "define NENT, NBUCKETS, NWAYS"
#endif
static const int N = NENT, B = NBUCKETS, W = NWAYS, CH = 16, R = 16, FB = 6;
static int log2i(int v) {
    int l = 0;
    while ((1 << l) < v) l++;
    return l;
}
// TCAM key fields (gufc_tcam_v4.v).
enum { F_SPORT = R, F_DPORT = R + 16, F_FLAGS = R + 32, F_CLASS = R + 32 + FB,
       F_DLOCAL = R + 35 + FB, F_SLOCAL = R + 36 + FB, F_DST = R + 37 + FB, F_SRC = R + 69 + FB };

struct Key {
    uint32_t src, dst, proto, sport, dport;
};
static uint32_t bases[4];
static Key random_key() {
    return {bases[rnd(4)] ^ uint32_t(rnd(256)), bases[rnd(4)] ^ uint32_t(rnd(256)),
            uint32_t(chance(45) ? 6 : chance(70) ? 17 : rnd(256)), uint32_t(rnd(65536)),
            uint32_t(chance(50) ? 443 : rnd(65536))};
}
static uint32_t random_action() {
    int v = int(rnd(3));
    if (v == 0) return uint32_t(rnd(CH)) << 8;                        // DELIVER
    if (v == 1) return 1;                                             // DROP
    return 2 | uint32_t(16 + rnd(240)) << 16;                         // SLOW_PATH, a rule reason
}
static uint32_t random_interest() {
    uint32_t mode = uint32_t(rnd(4)), period = chance(80) ? 1u << rnd(4) : uint32_t(rnd(8));
    return mode | period << 3;
}

template <std::size_t Wd> static void put(VlWide<Wd>& d, const uint32_t* w) {
    for (std::size_t i = 0; i < Wd; i++) d[i] = w[i];
}
static void set_bits(uint32_t* w, int lsb, int width, uint64_t v) {
    for (int i = 0; i < width; i++) {
        int b = lsb + i;
        w[b / 32] = (w[b / 32] & ~(1u << (b % 32))) | (uint32_t((v >> i) & 1) << (b % 32));
    }
}
static uint64_t prefix(int width, int len) {
    return len == 0 ? 0 : (((uint64_t(1) << len) - 1) << (width - len));
}

// One edge as 62 little-endian words (layout: sim/tests/core.rs, `Edge::from_words`).
static void record(FILE* f, const Vgufc_core& d, bool kr, bool rr, bool fr, bool cr) {
    uint32_t w[62] = {0};
    w[0] = d.rst | d.key_valid << 1 | d.res_ready << 2 | d.r_cmd_valid << 3 | d.f_cmd_valid << 4 |
           d.c_cmd_valid << 5 | d.f_cmd_pinned << 6 | d.key_src_local << 7 | d.key_dst_local << 8 |
           d.r_cmd_op << 9 | d.f_cmd_op << 12 | d.c_cmd_space << 15 | (d.c_cmd_op & 1) << 17 |
           d.r_cmd_planes << 18 | uint32_t(kr) << 20 | uint32_t(rr) << 21 | uint32_t(fr) << 22 |
           uint32_t(cr) << 23 | uint32_t(d.epoch) << 24;
    w[1] = d.cycle;
    w[2] = d.key_src;
    w[3] = d.key_dst;
    w[4] = d.key_proto | d.key_flags << 8 | uint32_t(d.key_len) << 16;
    w[5] = d.key_sport | uint32_t(d.key_dport) << 16;
    w[6] = d.key_tag;
    w[7] = d.r_cmd_index;
    for (int i = 0; i < 4; i++) {
        w[8 + i] = d.r_cmd_value[i];
        w[12 + i] = d.r_cmd_mask[i];
        w[22 + i] = d.f_cmd_key[i];
        w[33 + i] = d.r_rd_value[i];
        w[37 + i] = d.r_rd_mask[i];
        w[43 + i] = d.f_rd_key[i];
    }
    w[16] = uint32_t(d.r_cmd_data);
    w[17] = uint32_t(d.r_cmd_data >> 32);
    w[18] = uint32_t(d.r_cmd_range);
    w[19] = uint32_t(d.r_cmd_range >> 32);
    w[20] = d.f_cmd_slot;
    w[21] = d.f_cmd_arg;
    w[26] = d.f_cmd_action;
    w[27] = d.f_cmd_interest;
    w[28] = d.c_cmd_index;
    w[29] = d.res_valid | d.res_stale << 1 | d.res_src_local << 2 | d.res_dst_local << 3 |
            d.res_verdict << 4 | d.res_kind << 6 | uint32_t(d.res_channel) << 8 |
            uint32_t(d.res_reason) << 16 | uint32_t(d.r_active) << 24 | uint32_t(d.r_rd_valid) << 25 |
            uint32_t(d.r_rd_planes) << 26 | uint32_t(d.f_rd_valid) << 28 |
            uint32_t(d.f_rd_slot_valid) << 29 | uint32_t(d.f_rd_pinned) << 30 | uint32_t(d.f_rd_hit) << 31;
    w[30] = d.res_index;
    w[31] = d.res_len;
    w[32] = d.res_tag;
    w[41] = uint32_t(d.r_rd_data);
    w[42] = uint32_t(d.r_rd_data >> 32);
    w[47] = d.f_rd_action;
    w[48] = d.f_rd_epoch | d.f_mv_valid << 8 | d.f_mv_ok << 9 | d.c_rd_valid << 10;
    w[49] = d.f_rd_interest;
    w[50] = d.f_rd_last_hit;
    w[51] = uint32_t(d.c_rd_pkts);
    w[52] = uint32_t(d.c_rd_pkts >> 32);
    w[53] = uint32_t(d.c_rd_bytes);
    w[54] = uint32_t(d.c_rd_bytes >> 32);
    w[55] = d.key_v6 | d.key_probe << 1 | d.prb_valid << 8 | d.prb_stale << 9 |
            d.prb_src_local << 10 | d.prb_dst_local << 11 | d.prb_verdict << 12 |
            d.prb_kind << 14 | uint32_t(d.prb_channel) << 16 | uint32_t(d.prb_reason) << 24;
    w[56] = d.prb_index;
    w[57] = d.c_cmd_op >> 1;
    w[58] = uint32_t(d.c_cmd_pkts);
    w[59] = uint32_t(d.c_cmd_pkts >> 32);
    w[60] = uint32_t(d.c_cmd_bytes);
    w[61] = uint32_t(d.c_cmd_bytes >> 32);
    fwrite(w, sizeof w, 1, f);
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SEED CYCLES TRACE\n", argv[0]);
        return 2;
    }
    uint64_t seed = strtoull(argv[1], nullptr, 0), cycles = strtoull(argv[2], nullptr, 0);
    FILE* trace = fopen(argv[3], "wb");
    if (!trace) {
        perror(argv[3]);
        return 2;
    }
    rng.seed(seed);
    for (auto& b : bases) b = uint32_t(rng());
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(2);
    auto dut = std::make_unique<Vgufc_core>(ctx.get());

    std::vector<Key> pool;
    for (int i = 0; i < 24; i++) pool.push_back(random_key());
    uint64_t counts[8] = {0};   // results: flow, rule, miss, interest, stale, deliver; stalls; probes
    uint64_t cmds[3] = {0}, resets = 0, tag = 0;
    uint32_t epoch = 0, cycle = 0;
    int setup = 0;              // classes and checkers after a reset
    bool dry = false;

    for (uint64_t t = 0; t < cycles; t++) {
        bool rst = t == 0 || t % 60000 == 0;
        if (rst) setup = 0, resets++;
        if (t % 4000 == 0) dry = false;
        if (t % 4000 == 2000) dry = true;
        if (dry && t % 4000 == 2300) dry = false;   // 300 cycles without res_ready
        if (chance(1)) epoch = (epoch + 1) & 0xff;
        cycle++;
        dut->clk = 0;
        dut->rst = rst;             // and every block's copy (gufc_top registers them apart)
        dut->rst_rule = rst;
        dut->rst_flow = rst;
        dut->rst_cnt = rst ? 7 : 0;
        dut->rst_glob = rst;
        dut->epoch = epoch;
        dut->cycle = cycle;
        bool pool_key = chance(55);
        Key k = pool_key ? pool[rnd(pool.size())] : random_key();
        dut->key_valid = chance(90);
        dut->key_src = k.src;
        dut->key_dst = k.dst;
        dut->key_proto = k.proto;
        dut->key_sport = k.sport;
        dut->key_dport = k.dport;
        dut->key_flags = uint32_t(rnd(256));
        dut->key_src_local = chance(50);
        dut->key_dst_local = chance(50);
        dut->key_len = uint32_t(40 + rnd(1500));
        dut->key_tag = uint32_t(++tag);
        dut->key_v6 = chance(3);
        dut->key_probe = chance(3);
        dut->res_ready = !dry && chance(95);

        // Rule stage: classes and checkers first, then entries, planes, commits, reads.
        uint32_t value[4] = {0}, mask[4] = {0};
        int rop = -1, rindex = 0, rplanes = 3;
        uint64_t range = 0, rdata = 0;
        if (setup < 6) {
            static const uint32_t protos[3] = {6, 17, 1};
            rop = 5;
            rindex = 1 + setup % 3;
            rplanes = setup / 3;
            range = uint64_t(1) << 33 | protos[setup % 3];
        } else if (chance(20)) {
            int r = int(rnd(100));
            rop = r < 55 ? 0 : r < 65 ? 1 : r < 70 ? 2 : r < 80 ? 3 : r < 90 ? 4 : 5;
            rindex = int(rnd(rop == 3 ? R : rop == 5 ? 8 : N));
            rplanes = chance(85) ? 3 : int(rnd(4));
            if (rop == 0) {
                Key f = pool_key ? k : random_key();
                set_bits(value, F_SRC, 32, f.src);
                set_bits(mask, F_SRC, 32, prefix(32, 16 + int(rnd(17))));
                set_bits(value, F_DST, 32, f.dst);
                set_bits(mask, F_DST, 32, prefix(32, int(rnd(33))));
                if (chance(40)) set_bits(value, F_CLASS, 3, 1 + rnd(3)), set_bits(mask, F_CLASS, 3, 7);
                if (chance(30)) set_bits(value, F_DPORT, 16, f.dport), set_bits(mask, F_DPORT, 16, 0xffff);
                if (chance(20)) {   // a checker's hit required
                    int j = int(rnd(R));
                    set_bits(value, j, 1, 1);
                    set_bits(mask, j, 1, 1);
                }
                for (int i = 0; i < 4; i++) value[i] &= mask[i];
                rdata = uint64_t(rnd(65536)) << 32 | random_action();
            }
            if (rop == 3) {
                uint32_t lo = uint32_t(rnd(65536)), hi = std::min<uint32_t>(65535, lo + uint32_t(rnd(5000)));
                range = uint64_t(chance(90)) << 33 | uint64_t(chance(50)) << 32 | uint64_t(hi) << 16 | lo;
                rplanes = int(rnd(2));
            }
            if (rop == 5) range = uint64_t(chance(85)) << 33 | (chance(80) ? (chance(50) ? 6 : 17) : rnd(256));
        }
        bool rready = dut->r_cmd_ready;
        if (rop >= 0 && setup < 6 && rready) setup++;
        dut->r_cmd_valid = rop >= 0;
        dut->r_cmd_op = rop < 0 ? 0 : rop;
        dut->r_cmd_index = rindex;
        put(dut->r_cmd_value, value);
        put(dut->r_cmd_mask, mask);
        dut->r_cmd_planes = rplanes;
        dut->r_cmd_data = rdata;
        dut->r_cmd_range = range;

        // Flow cache: pool flows into their buckets, and every other command kind.
        int fop = -1;
        Key fk = pool[rnd(pool.size())];
        uint32_t b1, b2;
        flow_buckets(fk.src, fk.dst, fk.proto, fk.sport, fk.dport, log2i(B), b1, b2);
        uint32_t slot = (chance(50) ? b1 : b2) * W + uint32_t(rnd(W));
        if (chance(12)) {
            int r = int(rnd(100));
            fop = r < 45 ? 0 : r < 55 ? 1 : r < 65 ? 2 : r < 75 ? 3 : r < 85 ? 4 : 5;
        }
        uint32_t fkey[4] = {fk.sport | fk.dport << 16, fk.proto | fk.dst << 8, fk.dst >> 24 | fk.src << 8,
                            fk.src >> 24};
        dut->f_cmd_valid = fop >= 0;
        dut->f_cmd_op = fop < 0 ? 0 : fop;
        dut->f_cmd_slot = slot;
        dut->f_cmd_arg = (chance(50) ? b1 : b2) * W + uint32_t(rnd(W));
        put(dut->f_cmd_key, fkey);
        dut->f_cmd_action = random_action();
        dut->f_cmd_pinned = chance(20);
        dut->f_cmd_interest = chance(50) ? random_interest() : 0;

        // Counters: reads and clears of every space; flow-slot clears mostly of the slots the
        // pool's flows live in, so some meet that slot's increment at the same edge (the
        // increment is lost, and a SAMPLE interest must not take the packet).
        int cop = chance(8) ? int(rnd(3)) : -1;   // READ, CLEAR, ADD
        int space = chance(50) ? 1 : int(rnd(4));
        uint32_t cidx = uint32_t(rnd(space == 0 ? N : space == 1 ? B * W : space == 2 ? CH : 8));
        if (space == 1 && chance(70)) cidx = slot;
        dut->c_cmd_valid = cop >= 0;
        dut->c_cmd_space = space;
        dut->c_cmd_op = cop < 0 ? 0 : cop;
        dut->c_cmd_index = cidx;
        dut->c_cmd_pkts = chance(50) ? rnd(4) : (uint64_t(rnd(1u << 30)) << 20);
        dut->c_cmd_bytes = uint64_t(rnd(1u << 30)) << uint32_t(rnd(30));

        dut->eval();
        bool kr = dut->key_ready, fr = dut->f_cmd_ready, cr = dut->c_cmd_ready;
        if (dut->key_valid && !kr && !rst) counts[6]++;
        if (fop >= 0 && fr) cmds[1]++;
        if (rop >= 0 && rready) cmds[0]++;
        if (cop >= 0 && cr) cmds[2]++;
        bool pop = dut->res_valid && dut->res_ready;
        if (pop) {
            int kind = dut->res_kind;
            counts[kind == 1 ? 0 : kind == 2 ? 1 : 2]++;
            if (dut->res_verdict == 2 && dut->res_reason >= 4 && dut->res_reason <= 6) counts[3]++;
            if (dut->res_stale) counts[4]++;
            if (dut->res_verdict == 0) counts[5]++;
        }
        dut->clk = 1;
        dut->eval();   // edge
        record(trace, *dut, kr, rready, fr, cr);
        if (dut->prb_valid) counts[7]++;
    }
    dut->final();
    fclose(trace);
    printf("core N=%d B=%d W=%d seed=%llu cycles=%llu: %llu flow results, %llu rule results, %llu misses, "
           "%llu interest, %llu stale, %llu delivered, %llu key stalls; commands: %llu rule, %llu flow, "
           "%llu counter; %llu resets, %llu probes\n",
           N, B, W, (unsigned long long)seed, (unsigned long long)cycles,
           (unsigned long long)counts[0], (unsigned long long)counts[1], (unsigned long long)counts[2],
           (unsigned long long)counts[3], (unsigned long long)counts[4], (unsigned long long)counts[5],
           (unsigned long long)counts[6], (unsigned long long)cmds[0], (unsigned long long)cmds[1],
           (unsigned long long)cmds[2], (unsigned long long)resets, (unsigned long long)counts[7]);
    return 0;
}
