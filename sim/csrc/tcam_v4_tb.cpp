// Testbench of the RTL 2.0 rule stage (rtl/v2/gufc_tcam_v4.v) against a reference written from
// its documented contract, not from the RTL: first match (lowest index) over the entries in the
// key's plane, with port-range checker hits computed here. Random entries, planes, commits,
// checker rewrites, read-backs and resets are issued whenever the stage takes a command, while a
// key enters on most clocks; every result, every read-back and the busy time of every command
// are compared. Usage: tcam_v4_tb SEED CYCLES [TRACE]. Exit status 1 on the first mismatch.
// TRACE, if given, receives every edge's inputs and outputs (see `record` below) for the Rust
// model's lockstep check (sim/tests/tcam_v4.rs).
//
// The contract checked (edges counted from a key's acceptance k and a command's acceptance c;
// a key "reads row a": a = its plane and the key bits below it in the last RAM slice, R rows):
//  - result after edge k + 6 + ceil(log4 BANK) + ceil(log4 (N/BANK)) (the last term 0 when N = BANK);
//  - COMMIT, checker and protocol-class writes are seen by every key accepted at edge >= c+1;
//  - WRITE: its entry is hidden from keys reading row a from c+3+GE+a, shown (new value, data and
//    planes) to them from c+3+GE+R+2^SB+a; the next command at c+3+GE+2R+2^SB (55 with 4-bit
//    slices and 6 flags, 41 with 5-bit and 8); PLANES: new planes for row a from c+3+GE+a, next at
//    c+3+GE+R; READ:
//    data after edge c+2 (zeros for an entry not written since the reset), next at c+3;
//  - clr at edge r drops every key accepted at edges <= r, takes every entry out of both planes,
//    empties the checkers and classes, and takes no command before r+1+max(N, 2^SB).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vgufc_tcam_v4.h"
#include "verilated.h"
#include "tb_random.h"

#ifndef NENT
#error "define NENT (the ENTRIES parameter)"
#endif
static const int N = NENT;
static const int R = 16;                 // CHECKERS (the default)
#ifndef FLAGB
#define FLAGB 6                          // FLAG_BITS
#endif
static const int FB = FLAGB;
static const int KEY_BITS = R + 101 + FB;  // without the plane
static const int BANK = 64;              // the default
static const int SEEN = 1;               // a command is seen by keys accepted SEEN edges later
#ifndef SB
#define SB 4                             // SLICE_BITS
#endif
static const int GE = SB == 5 ? 2 : 4;   // entries per RAM row
static const int SLICES = (KEY_BITS + 1 + SB - 1) / SB;
static const int LOW = KEY_BITS - SB * (SLICES - 1);   // key bits below the plane in the last slice
static const int ROWS = 2 << LOW;                       // rows of the last slice keys read
static const int FIRST_ROW = GE + 3;                    // row a of a rewrite is seen from c+FIRST_ROW+a
static const int WRITE_SHOWN = FIRST_ROW + ROWS + (1 << SB);
static const int WRITE_BUSY = GE + 3 + 2 * ROWS + (1 << SB);   // 55 with SB 4 and FB 6
static const int PLANES_BUSY = GE + 3 + ROWS;
static const int SWEEP = N > (1 << SB) ? N : (1 << SB);
static const int READ_AT = 2, READ_BUSY = 3;

static int log4(int n) {   // ceil(log4 n)
    int l = 0;
    while ((1 << (2 * l)) < n) l++;
    return l;
}
static const int LATENCY = 6 + log4(N < BANK ? N : BANK) + log4(N / BANK > 1 ? N / BANK : 1);

// A key-wide bit vector.
struct Bits {
    uint32_t w[5] = {0, 0, 0, 0, 0};
    void set(int lsb, int width, uint64_t v) {
        for (int i = 0; i < width; i++) {
            int b = lsb + i;
            w[b / 32] = (w[b / 32] & ~(1u << (b % 32))) | (uint32_t((v >> i) & 1) << (b % 32));
        }
    }
    uint64_t get(int lsb, int width) const {
        uint64_t v = 0;
        for (int i = 0; i < width; i++) v |= uint64_t((w[(lsb + i) / 32] >> ((lsb + i) % 32)) & 1) << i;
        return v;
    }
    bool operator==(const Bits& o) const {
        for (int i = 0; i < 5; i++) if (w[i] != o.w[i]) return false;
        return true;
    }
};

// Field positions of the TCAM key (gufc_tcam_v4.v header).
enum { F_HITS = 0, F_SPORT = R, F_DPORT = R + 16, F_FLAGS = R + 32, F_CLASS = R + 32 + FB,
       F_DLOCAL = R + 35 + FB, F_SLOCAL = R + 36 + FB, F_DST = R + 37 + FB, F_SRC = R + 69 + FB };

struct Entry {
    Bits value, mask;
    int planes = 0;
    uint64_t data = 0;
    uint32_t rows = 0;              // as keys see it: bit a = row a of the last slice admits it
};
struct Class {
    bool valid = false;
    uint32_t proto = 0;
};
struct Checker {
    bool valid = false, field = false;
    uint32_t lo = 0, hi = 0;
};
struct State {                      // what a key sees
    std::vector<Entry> e = std::vector<Entry>(N);
    Checker ck[2][R];
    Class cls[2][8];                // class 0 unused
    int active = 0;
};
struct Packet {
    uint32_t src, dst, proto, flags, sport, dport;
    bool slocal, dlocal;
};
struct Expect {
    uint64_t at;                    // edge after which the result is out
    bool hit;
    int index;
    uint64_t data;
};


static const uint32_t PORTS[] = {0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 49152, 65535};
static uint32_t a_port() {
    return chance(70) ? PORTS[rnd(sizeof PORTS / sizeof PORTS[0])] + uint32_t(rnd(3)) - 1 & 0xffff
                      : uint32_t(rnd(65536));
}
static uint32_t bases[8];

static const uint32_t PROTOS[] = {1, 6, 17, 47, 50, 51, 58, 132};
static uint32_t a_proto() { return chance(85) ? PROTOS[rnd(8)] : uint32_t(rnd(256)); }

static int class_of(uint32_t proto, const Class* cls) {
    for (int c = 1; c < 8; c++)
        if (cls[c].valid && cls[c].proto == proto) return c;
    return 0;
}

static Bits key_of(const Packet& p, const Checker* ck, const Class* cls) {
    Bits k;
    for (int j = 0; j < R; j++) {
        uint32_t port = ck[j].field ? p.dport : p.sport;
        k.set(F_HITS + j, 1, ck[j].valid && ck[j].lo <= port && port <= ck[j].hi);
    }
    k.set(F_SPORT, 16, p.sport);
    k.set(F_DPORT, 16, p.dport);
    k.set(F_FLAGS, FB, p.flags);   // the low FB bits
    k.set(F_CLASS, 3, class_of(p.proto, cls));
    k.set(F_DLOCAL, 1, p.dlocal);
    k.set(F_SLOCAL, 1, p.slocal);
    k.set(F_DST, 32, p.dst);
    k.set(F_SRC, 32, p.src);
    return k;
}

// The reference: lowest-index entry of the key's plane whose value/mask accepts the key.
static Expect lookup(const State& s, const Packet& p, uint64_t at) {
    int plane = s.active;
    Bits k = key_of(p, s.ck[plane], s.cls[plane]);
    int row = int(plane << LOW | k.get(SB * (SLICES - 1), LOW));
    for (int i = 0; i < N; i++) {
        const Entry& e = s.e[i];
        if (!((e.rows >> row) & 1)) continue;
        bool ok = true;
        for (int w = 0; w < 5 && ok; w++) ok = (k.w[w] & e.mask.w[w]) == (e.value.w[w] & e.mask.w[w]);
        if (ok) return {at, true, i, e.data};
    }
    return {at, false, 0, 0};
}

static void field(Entry& e, int lsb, int width, uint64_t v, uint64_t m) {
    e.mask.set(lsb, width, m);
    e.value.set(lsb, width, v & m);
}
static uint64_t prefix(int width, int len) {
    return len == 0 ? 0 : (((uint64_t(1) << len) - 1) << (width - len));
}

static Entry random_entry() {
    Entry e;
    field(e, F_SRC, 32, bases[rnd(8)] ^ rnd(256), prefix(32, int(rnd(33))));
    field(e, F_DST, 32, bases[rnd(8)] ^ rnd(256), prefix(32, int(rnd(33))));
    field(e, F_SLOCAL, 1, rnd(2), chance(20));
    field(e, F_DLOCAL, 1, rnd(2), chance(20));
    field(e, F_CLASS, 3, rnd(8), chance(50) ? 7 : 0);
    field(e, F_FLAGS, FB, rnd(256), chance(25) ? rnd(1u << FB) : 0);
    for (int f : {F_SPORT, F_DPORT}) {
        int kind = int(rnd(10));
        field(e, f, 16, a_port(), kind < 2 ? 0xffff : kind < 4 ? prefix(16, int(rnd(17))) : 0);
    }
    if (chance(40)) field(e, F_HITS + int(rnd(R)), 1, 1, 1);
    if (chance(10)) field(e, F_HITS + int(rnd(R)), 1, 0, 1);
    e.planes = chance(90) ? 1 + int(rnd(3)) : 0;
    e.data = rng() & 0xffffffffffffull;
    return e;
}

static Checker random_checker() {
    Checker c;
    c.valid = chance(90);
    c.field = chance(50);
    c.lo = a_port();
    c.hi = chance(10) ? uint32_t(rnd(65536)) : std::min<uint32_t>(65535, c.lo + uint32_t(rnd(3000)));
    return c;
}

// `recent` is the entry of the latest WRITE: keys aim at it often, so that the edges at which a
// rewritten entry disappears and reappears are each hit by keys that match it.
static Packet random_packet(const State& prog, const State& vis, const std::vector<bool>& written,
                            int recent) {
    Packet p{bases[rnd(8)] ^ uint32_t(rnd(256)), bases[rnd(8)] ^ uint32_t(rnd(256)), a_proto(),
             uint32_t(rnd(256)), a_port(), a_port(), chance(50), chance(50)};
    int i = recent >= 0 && chance(40) ? recent : int(rnd(N));
    if (chance(60) && written[i]) {   // aim at an entry: its cared bits, random elsewhere
        const Entry& e = prog.e[i];
        auto pick = [&](int lsb, int width, uint32_t v) {
            uint64_t m = e.mask.get(lsb, width);
            return uint32_t((e.value.get(lsb, width) & m) | (v & ~m));
        };
        p.src = pick(F_SRC, 32, p.src);
        p.dst = pick(F_DST, 32, p.dst);
        int c = int(e.value.get(F_CLASS, 3));
        const Class& cl = vis.cls[vis.active][c];
        if (e.mask.get(F_CLASS, 3) && c > 0 && cl.valid) p.proto = cl.proto;
        p.flags = pick(F_FLAGS, FB, p.flags);
        p.sport = pick(F_SPORT, 16, p.sport);
        p.dport = pick(F_DPORT, 16, p.dport);
        p.slocal = pick(F_SLOCAL, 1, p.slocal);
        p.dlocal = pick(F_DLOCAL, 1, p.dlocal);
    }
    return p;
}

// The key-wide ports are VlWide<W>, W = ceil(KEY_BITS / 32) (4 with 16 checkers): words of Bits
// beyond W are 0.
template <std::size_t W> static void put(VlWide<W>& dst, const Bits& b) {
    for (std::size_t i = 0; i < W; i++) dst[i] = b.w[i];
}
template <std::size_t W> static Bits get(const VlWide<W>& src) {
    Bits b;
    for (std::size_t i = 0; i < W; i++) b.w[i] = src[i];
    return b;
}

// One edge as 36 little-endian 32-bit words: the inputs sampled at the edge, cmd_ready before
// it, and the outputs after it.
//   0 clr | in_valid<<1 | src_local<<2 | dst_local<<3 | cmd_valid<<4   1 src   2 dst
//   3 proto | flags<<8 | cmd_op<<16 | cmd_planes<<24   4 sport | dport<<16   5 cmd_index
//   6..10 cmd_value   11..15 cmd_mask   16,17 cmd_data (lo, hi)   18,19 cmd_range (lo, hi)
//   20 cmd_ready | active<<1 | rd_valid<<2 | rd_planes<<3 | res_valid<<5 | res_hit<<6
//   21..25 rd_value   26..30 rd_mask   31,32 rd_data   33 res_index   34,35 res_data
static void record(FILE* f, const Vgufc_tcam_v4& d, bool ready) {
    uint32_t w[36] = {0};
    w[0] = d.clr | d.in_valid << 1 | d.in_src_local << 2 | d.in_dst_local << 3 | d.cmd_valid << 4;
    w[1] = d.in_src;
    w[2] = d.in_dst;
    w[3] = d.in_proto | d.in_flags << 8 | d.cmd_op << 16 | d.cmd_planes << 24;
    w[4] = d.in_sport | uint32_t(d.in_dport) << 16;
    w[5] = d.cmd_index;
    Bits value = get(d.cmd_value), mask = get(d.cmd_mask), rv = get(d.rd_value), rm = get(d.rd_mask);
    for (int i = 0; i < 5; i++) {
        w[6 + i] = value.w[i];
        w[11 + i] = mask.w[i];
        w[21 + i] = rv.w[i];
        w[26 + i] = rm.w[i];
    }
    w[16] = uint32_t(d.cmd_data);
    w[17] = uint32_t(d.cmd_data >> 32);
    w[18] = uint32_t(d.cmd_range);
    w[19] = uint32_t(d.cmd_range >> 32);
    w[20] = ready | d.active << 1 | d.rd_valid << 2 | d.rd_planes << 3 | d.res_valid << 5 | d.res_hit << 6;
    w[31] = uint32_t(d.rd_data);
    w[32] = uint32_t(d.rd_data >> 32);
    w[33] = d.res_index;
    w[34] = uint32_t(d.res_data);
    w[35] = uint32_t(d.res_data >> 32);
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
    for (auto& b : bases) b = uint32_t(rng());

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(0);
    auto dut = std::make_unique<Vgufc_tcam_v4>(ctx.get());

    State vis;                    // as keys see it, events applied at their edges
    State prog;                   // entries as programmed (read-back)
    std::vector<bool> written(N, false);
    // What keys see changes at these edges: kind 0 hide row `row` of entry `index`, 1 show it
    // (with e's value, data and planes), 2 set its planes (e.planes), 3 commit, 4 checker `ck` of
    // plane e.planes, 5 class `index` of plane e.planes := cl.
    struct Event { uint64_t at; int kind; int index; Entry e; int row = 0; Checker ck = Checker(); Class cl = Class(); };
    std::deque<Event> events;
    std::deque<Expect> expect;
    struct Read { uint64_t at; int index; Entry e; };
    std::deque<Read> reads;
    uint64_t busy_until = 0;      // cmd_ready is 0 after edges < busy_until
    int recent = -1;              // the entry of the latest WRITE
    uint64_t hits = 0, results = 0, counts[6] = {0, 0, 0, 0, 0, 0}, resets = 0;
    int fails = 0;
    auto fail = [&](uint64_t t, const char* what, uint64_t got, uint64_t want) {
        fprintf(stderr, "MISMATCH N=%d SB=%d seed=%llu edge %llu: %s = %llx, want %llx\n", N, SB,
                (unsigned long long)seed, (unsigned long long)t, what, (unsigned long long)got,
                (unsigned long long)want);
        fails++;
    };

    // Reset.
    dut->clr = 1;
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
    dut->clr = 0;
    busy_until = 1 + SWEEP;

    for (uint64_t t = 1; t <= cycles && fails == 0; t++) {
        // Inputs for edge t.
        bool clr = chance(0) || (t % 20000 == 0);
        Packet p = random_packet(prog, vis, written, recent);
        bool key = chance(90);
        dut->clk = 0;
        dut->clr = clr;
        dut->in_valid = key;
        dut->in_src = p.src;
        dut->in_dst = p.dst;
        dut->in_src_local = p.slocal;
        dut->in_dst_local = p.dlocal;
        dut->in_proto = p.proto;
        dut->in_flags = p.flags;
        dut->in_sport = p.sport;
        dut->in_dport = p.dport;
        dut->eval();
        bool ready = dut->cmd_ready;
        if (ready != (t >= busy_until)) fail(t, "cmd_ready before edge", ready, t >= busy_until);

        int op = -1, index = 0;
        Entry e = random_entry();
        Checker ck = random_checker();
        Class cl{chance(85), a_proto()};
        int side_plane = int(rnd(2));
        if (chance(30)) {
            int r = int(rnd(100));
            op = r < 40 ? 0 : r < 55 ? 1 : r < 65 ? 2 : r < 80 ? 3 : r < 90 ? 4 : 5;
            index = int(rnd(op == 3 ? R : op == 5 ? 8 : N));
            // PLANES/READ of an entry not written since the reset: now and then (they are defined).
            if ((op == 1 || op == 4) && !written[index] && chance(80)) op = 0;
        }
        dut->cmd_valid = op >= 0;
        dut->cmd_op = op < 0 ? 0 : op;
        dut->cmd_index = index;
        put(dut->cmd_value, e.value);
        put(dut->cmd_mask, e.mask);
        dut->cmd_planes = op == 3 || op == 5 ? side_plane : e.planes;
        dut->cmd_data = e.data;
        dut->cmd_range = op == 5 ? (uint64_t(cl.valid) << 33) | cl.proto
                                 : (uint64_t(ck.valid) << 33) | (uint64_t(ck.field) << 32) |
                                       (uint64_t(ck.hi) << 16) | ck.lo;
        dut->clk = 1;
        dut->eval();   // edge t
        if (trace) record(trace, *dut, ready);

        // The reference at edge t.
        if (clr) {
            vis = State();
            prog = State();
            written.assign(N, false);
            recent = -1;
            events.clear();
            expect.clear();
            reads.clear();
            busy_until = t + 1 + SWEEP;
            resets++;
        } else {
            if (op >= 0 && ready) {
                counts[op]++;
                busy_until = t + 1;
                Entry side;
                side.planes = side_plane;
                switch (op) {
                case 0:
                    for (int a = 0; a < ROWS; a++) events.push_back({t + FIRST_ROW + a, 0, index, e, a});
                    for (int a = 0; a < ROWS; a++) events.push_back({t + WRITE_SHOWN + a, 1, index, e, a});
                    prog.e[index] = e;
                    written[index] = true;
                    recent = index;
                    busy_until = t + WRITE_BUSY;
                    break;
                case 1:
                    prog.e[index].planes = e.planes;
                    if (written[index])
                        for (int a = 0; a < ROWS; a++) events.push_back({t + FIRST_ROW + a, 2, index, e, a});
                    busy_until = t + PLANES_BUSY;
                    break;
                case 2:
                    events.push_back({t + SEEN, 3, 0, e});
                    break;
                case 3:
                    events.push_back({t + SEEN, 4, index, side, 0, ck});
                    break;
                case 4: {
                    Entry got = written[index] ? prog.e[index] : Entry();
                    reads.push_back({t + READ_AT, index, got});
                    busy_until = t + READ_BUSY;
                    break;
                }
                case 5:
                    if (index > 0) events.push_back({t + SEEN, 5, index, side, 0, ck, cl});
                    break;
                }
            }
            while (!events.empty() && events.front().at <= t) {
                Event& ev = events.front();
                Entry& v = vis.e[ev.index];
                uint32_t bit = 1u << ev.row;
                bool member = (ev.e.planes >> (ev.row >> LOW)) & 1;
                switch (ev.kind) {
                case 0: v.rows &= ~bit; break;
                case 1:
                    v.value = ev.e.value;
                    v.mask = ev.e.mask;
                    v.data = ev.e.data;
                    v.rows = (v.rows & ~bit) | (member ? bit : 0);
                    break;
                case 2: v.rows = (v.rows & ~bit) | (member ? bit : 0); break;
                case 3: vis.active ^= 1; break;
                case 4: vis.ck[ev.e.planes][ev.index] = ev.ck; break;
                default: vis.cls[ev.e.planes][ev.index] = ev.cl; break;
                }
                events.pop_front();
            }
            if (key) expect.push_back(lookup(vis, p, t + LATENCY));
        }

        // Outputs after edge t.
        if (!expect.empty() && expect.front().at == t) {
            Expect x = expect.front();
            expect.pop_front();
            results++;
            hits += x.hit;
            if (!dut->res_valid) fail(t, "res_valid", 0, 1);
            else if (dut->res_hit != x.hit) fail(t, "res_hit", dut->res_hit, x.hit);
            else if (dut->res_index != uint32_t(x.index)) fail(t, "res_index", dut->res_index, x.index);
            else if (dut->res_data != x.data) fail(t, "res_data", dut->res_data, x.data);
        } else if (dut->res_valid || dut->res_hit || dut->res_index || dut->res_data) {
            fail(t, "outputs without a result (valid, hit, index, data |)", dut->res_valid,
                 dut->res_hit | dut->res_index | dut->res_data);
        }
        if (!reads.empty() && reads.front().at == t) {
            Read r = reads.front();
            reads.pop_front();
            if (!dut->rd_valid) fail(t, "rd_valid", 0, 1);
            else if (!(get(dut->rd_value) == r.e.value)) fail(t, "rd_value differs, entry", r.index, r.index);
            else if (!(get(dut->rd_mask) == r.e.mask)) fail(t, "rd_mask differs, entry", r.index, r.index);
            else if (dut->rd_planes != uint32_t(r.e.planes)) fail(t, "rd_planes", dut->rd_planes, r.e.planes);
            else if (dut->rd_data != r.e.data) fail(t, "rd_data", dut->rd_data, r.e.data);
        } else if (dut->rd_valid) {
            fail(t, "unexpected rd_valid", 1, 0);
        }
        if (dut->active != uint32_t(vis.active)) fail(t, "active", dut->active, vis.active);
    }
    dut->final();
    if (trace) fclose(trace);
    printf("N=%d seed=%llu cycles=%llu: %llu results (%llu hits), commands: %llu write, %llu planes, "
           "%llu commit, %llu checker, %llu read, %llu class; %llu resets: %s\n",
           N, (unsigned long long)seed, (unsigned long long)cycles, (unsigned long long)results,
           (unsigned long long)hits, (unsigned long long)counts[0], (unsigned long long)counts[1],
           (unsigned long long)counts[2], (unsigned long long)counts[3], (unsigned long long)counts[4],
           (unsigned long long)counts[5],
           (unsigned long long)resets, fails ? "FAIL" : "ok");
    return fails ? 1 : 0;
}
