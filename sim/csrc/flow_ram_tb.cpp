// Testbench of the RTL 2.0 flow cache (rtl/v2/gufc_flow_ram.v) against a reference written from
// its documented contract, not from the RTL: two-choice lookup with the 1.x bucket hash (the
// regmap [hash] formula, written here again), first match in the order b1 ways 0..W-1, b2 ways
// 0..W-1. Flows are placed in the buckets their keys hash to, sometimes twice (so the order
// matters); a key arrives on ~90 % of the clocks, mostly from a hot set of written flows; every
// command kind is issued whenever the block takes one, hit-state updates arrive on ~half of the
// edges (often on the slot a command is working on), the epoch moves, `clr` comes at random edges.
// Compared on every edge: every result bit, every read-back, mv_valid/mv_ok and cmd_ready, and
// every output 0 where it carries nothing.
// Usage: flow_ram_tb SEED CYCLES [TRACE]    (simulation; TRACE receives every edge's inputs and
//                                            outputs, see `record`, for the Rust model's lockstep
//                                            check in sim/tests/flow_ram.rs)
//        flow_ram_tb hash LOG2_BUCKETS      (reads "src dst proto sport dport" lines, prints
//                                            "b1 b2": the reference hash, checked against Rust)
//
// The contract checked (k = a key's acceptance edge, c = a command's):
//  - a key is looked up at edge k+4 in the slots as written at edges <= k+4; result after k+8;
//  - WRITE/CLEAR write at c+1; TOUCH/SET_INTEREST at c+4 (valid slots only); MOVE writes the
//    destination (word and hit state as after c+1) at c+5 and empties the source at c+6 if the
//    source is valid and the destination is not (mv_* after c+4); READ returns the word and the
//    hit state as after edge c+1 (rd_* after c+2) and clears HIT at c+3 unless an update lands
//    on the slot at c+2; busy 1, 1, 4, 4, 6, 3 cycles;
//  - hit-state update at edge u: HIT := 1, LAST_HIT := cycle; loses against WRITE / MOVE's
//    destination at u, wins against READ's clear at u;
//  - clr at r: keys in flight dropped, all slots empty; keys read at r+1 .. r+BUCKETS miss, the
//    next command is taken at r+BUCKETS+1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vgufc_flow_ram.h"
#include "verilated.h"
#include "tb_random.h"
#include "tb_flow_hash.h"

#ifndef NBUCKETS
#error "define NBUCKETS and NWAYS"
#endif
static const int B = NBUCKETS, W = NWAYS, M = B * W;
static int lb() {
    int l = 0;
    while ((1 << l) < B) l++;
    return l;
}
static const int LB = lb();


struct Key {
    uint32_t src = 0, dst = 0, proto = 0, sport = 0, dport = 0;
    bool operator==(const Key& o) const {
        return src == o.src && dst == o.dst && proto == o.proto && sport == o.sport && dport == o.dport;
    }
};
static void buckets(const Key& k, int log2b, uint32_t& b1, uint32_t& b2) {
    flow_buckets(k.src, k.dst, k.proto, k.sport, k.dport, log2b, b1, b2);
}

struct Word {
    bool valid = false;
    Key key;
    uint32_t action = 0;
    bool pinned = false;
    uint32_t epoch = 0, interest = 0;
};
struct HitState {
    bool hit = false;
    uint32_t last = 0;
};
struct Pending {                    // a key in flight
    uint64_t k;
    Key key;
    uint32_t epoch;
};
struct Expect {
    uint64_t at;
    bool hit, current;
    int slot;
    uint32_t action, interest;
};
struct WordEv {
    uint64_t at;
    int slot;
    Word w;
};
// A hit-state action of the engine at edge `at`: 0 snapshot (after that edge's update),
// 1 write (command wins), 2 READ's clear (the update wins), 3 a cancelled clear.
struct HsEv {
    uint64_t at;
    int kind, slot, tag;
    HitState hs;
};
struct ReadOut {
    uint64_t at;
    Word w;
    int tag;                        // the snapshot it reports
};
struct MoveOut {
    uint64_t at;
    bool ok;
};


static void put_key(VlWide<4>& d, const Key& k) {
    uint32_t w[4] = {0, 0, 0, 0};
    auto set = [&](int lsb, int width, uint32_t v) {
        for (int i = 0; i < width; i++) {
            int b = lsb + i;
            w[b / 32] |= ((v >> i) & 1u) << (b % 32);
        }
    };
    set(0, 16, k.sport);
    set(16, 16, k.dport);
    set(32, 8, k.proto);
    set(40, 32, k.dst);
    set(72, 32, k.src);
    for (int i = 0; i < 4; i++) d[i] = w[i];
}
static Key get_key(const VlWide<4>& d) {
    auto get = [&](int lsb, int width) {
        uint32_t v = 0;
        for (int i = 0; i < width; i++) v |= ((d[(lsb + i) / 32] >> ((lsb + i) % 32)) & 1u) << i;
        return v;
    };
    Key k;
    k.sport = get(0, 16);
    k.dport = get(16, 16);
    k.proto = get(32, 8);
    k.dst = get(40, 32);
    k.src = get(72, 32);
    return k;
}

// One edge as 26 little-endian 32-bit words: the inputs sampled at the edge, cmd_ready before it,
// and the outputs after it.
//   0 clr | in_valid<<1 | upd_en<<2 | cmd_valid<<3 | cmd_op<<4 | cmd_pinned<<7 | epoch<<8 |
//     cmd_ready<<16 | res_valid<<17 | res_hit<<18 | res_current<<19 | rd_valid<<20 |
//     rd_slot_valid<<21 | rd_pinned<<22 | rd_hit<<23 | mv_valid<<24 | mv_ok<<25
//   1..4 in_key   5 upd_slot   6 upd_cycle   7 cmd_slot   8 cmd_arg   9..12 cmd_key
//   13 cmd_action   14 cmd_interest   15 res_slot   16 res_action   17 res_interest
//   18..21 rd_key   22 rd_action   23 rd_epoch   24 rd_interest   25 rd_last_hit
static void record(FILE* f, const Vgufc_flow_ram& d, bool ready) {
    uint32_t w[26] = {0};
    w[0] = d.clr | d.in_valid << 1 | d.upd_en << 2 | d.cmd_valid << 3 | d.cmd_op << 4 |
           d.cmd_pinned << 7 | d.epoch << 8 | uint32_t(ready) << 16 | d.res_valid << 17 |
           d.res_hit << 18 | d.res_current << 19 | d.rd_valid << 20 | d.rd_slot_valid << 21 |
           d.rd_pinned << 22 | d.rd_hit << 23 | d.mv_valid << 24 | d.mv_ok << 25;
    for (int i = 0; i < 4; i++) {
        w[1 + i] = d.in_key[i];
        w[9 + i] = d.cmd_key[i];
        w[18 + i] = d.rd_key[i];
    }
    w[5] = d.upd_slot;
    w[6] = d.upd_cycle;
    w[7] = d.cmd_slot;
    w[8] = d.cmd_arg;
    w[13] = d.cmd_action;
    w[14] = d.cmd_interest;
    w[15] = d.res_slot;
    w[16] = d.res_action;
    w[17] = d.res_interest;
    w[22] = d.rd_action;
    w[23] = d.rd_epoch;
    w[24] = d.rd_interest;
    w[25] = d.rd_last_hit;
    fwrite(w, sizeof w, 1, f);
}

static uint32_t bases[4];
static Key random_key() {
    Key k;
    k.src = bases[rnd(4)] ^ uint32_t(rnd(64));
    k.dst = bases[rnd(4)] ^ uint32_t(rnd(64));
    k.proto = chance(50) ? 6 : 17;
    k.sport = uint32_t(rnd(65536));
    k.dport = chance(50) ? 443 : uint32_t(rnd(65536));
    return k;
}

static int hash_mode(int log2b) {
    Key k;
    while (scanf("%u %u %u %u %u", &k.src, &k.dst, &k.proto, &k.sport, &k.dport) == 5) {
        uint32_t b1, b2;
        buckets(k, log2b, b1, b2);
        printf("%u %u\n", b1, b2);
    }
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "hash") return hash_mode(atoi(argv[2]));
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s SEED CYCLES [TRACE] | hash LOG2_BUCKETS\n", argv[0]);
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
    ctx->randReset(2);
    auto dut = std::make_unique<Vgufc_flow_ram>(ctx.get());

    std::vector<Word> slots(M);      // as lookups and commands see them
    std::vector<HitState> hs(M);
    std::vector<Key> flows;          // keys written, the hot set
    std::deque<Pending> keys;
    std::deque<Expect> expect;
    std::deque<WordEv> wev;
    std::deque<HsEv> hev;
    std::deque<ReadOut> rdo;
    std::deque<MoveOut> mvo;
    std::vector<HitState> snaps(1);
    uint64_t busy_until = 0, sweep_until = 0;
    uint32_t epoch = 0, cycle = 0;
    uint64_t results = 0, hits = 0, b2hits = 0, counts[6] = {0, 0, 0, 0, 0, 0}, moved = 0,
             resets = 0, upd_clash = 0;
    int fails = 0;
    auto fail = [&](uint64_t t, const char* what, uint64_t got, uint64_t want) {
        fprintf(stderr, "MISMATCH B=%d W=%d seed=%llu edge %llu: %s = %llx, want %llx\n", B, W,
                (unsigned long long)seed, (unsigned long long)t, what, (unsigned long long)got,
                (unsigned long long)want);
        fails++;
    };
    auto reset_ref = [&](uint64_t r) {
        slots.assign(M, Word());
        flows.clear();
        keys.clear();
        expect.clear();
        wev.clear();
        hev.clear();
        rdo.clear();
        mvo.clear();
        sweep_until = r + B;
        busy_until = r + B + 1;
    };

    dut->clr = 1;
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
    dut->clr = 0;
    reset_ref(0);
    int recent = 0;                  // a slot the last command works on (updates aim at it)

    for (uint64_t t = 1; t <= cycles && fails == 0; t++) {
        // Inputs for edge t.
        bool clr = rnd(30000) == 0;
        if (chance(1)) epoch = (epoch + 1) & 0xff;
        cycle += 1 + uint32_t(rnd(3));
        bool kv = chance(90);
        Key key = (!flows.empty() && chance(70)) ? flows[rnd(flows.size())] : random_key();
        bool upd = chance(50);
        int upd_slot = chance(40) ? recent : int(rnd(M));
        int op = -1, slot = 0, arg = 0;
        Key ck = random_key();
        uint32_t cact = uint32_t(rng()), cint = uint32_t(rng()) & 0x7ffff;
        bool cpin = chance(20);
        if (chance(25)) {
            int r = int(rnd(100));
            op = r < 35 ? 0 : r < 45 ? 2 : r < 60 ? 3 : r < 72 ? 4 : r < 82 ? 5 : 1;
            uint32_t b1, b2;
            if (op == 0 && !flows.empty() && chance(30)) ck = flows[rnd(flows.size())];  // duplicates
            buckets(ck, LB, b1, b2);
            slot = int((chance(50) ? b1 : b2) * W + rnd(W));
            if (op != 0) {
                slot = chance(80) && !flows.empty() ? -1 : int(rnd(M));
                if (slot < 0) {      // a slot holding a hot flow
                    Key f = flows[rnd(flows.size())];
                    buckets(f, LB, b1, b2);
                    slot = int((chance(50) ? b1 : b2) * W + rnd(W));
                }
                const Word& s = slots[slot];
                uint32_t s1 = 0, s2 = 0;
                if (s.valid) buckets(s.key, LB, s1, s2);
                arg = int((chance(50) ? s1 : s2) * W + rnd(W));   // MOVE: within the key's buckets
                if (chance(10)) arg = int(rnd(M));
            }
        }
        dut->clk = 0;
        dut->clr = clr;
        dut->epoch = epoch;
        dut->in_valid = kv;
        put_key(dut->in_key, key);
        dut->upd_en = upd;
        dut->upd_slot = upd_slot;
        dut->upd_cycle = cycle;
        dut->cmd_valid = op >= 0;
        dut->cmd_op = op < 0 ? 0 : op;
        dut->cmd_slot = slot;
        dut->cmd_arg = arg;
        put_key(dut->cmd_key, ck);
        dut->cmd_action = cact;
        dut->cmd_pinned = cpin;
        dut->cmd_interest = cint;
        dut->eval();
        bool ready = dut->cmd_ready;
        if (ready != (t >= busy_until)) fail(t, "cmd_ready", ready, t >= busy_until);
        dut->clk = 1;
        dut->eval();   // edge t
        if (trace) record(trace, *dut, ready);

        if (clr) {
            reset_ref(t);
            resets++;
        } else {
            // Slot words written at this edge (a command accepted here reads them at t+1).
            while (!wev.empty() && wev.front().at == t) {
                slots[wev.front().slot] = wev.front().w;
                wev.pop_front();
            }
            if (op >= 0 && ready) {
                counts[op]++;
                if (getenv("FLOW_TB_TRACE"))
                    fprintf(stderr, "edge %llu: op %d slot %d arg %d int %x valid %d\n",
                            (unsigned long long)t, op, slot, arg, cint, int(slots[slot].valid));
                recent = slot;
                const Word cur = slots[slot];
                switch (op) {
                case 0: {
                    Word w;
                    w.valid = true;
                    w.key = ck;
                    w.action = cact;
                    w.pinned = cpin;
                    w.epoch = epoch;
                    w.interest = cint;
                    wev.push_back({t + 1, slot, w});
                    hev.push_back({t + 1, 1, slot, 0, HitState()});
                    flows.push_back(ck);
                    if (flows.size() > 48) flows.erase(flows.begin());
                    busy_until = t + 1;
                    break;
                }
                case 2:
                    wev.push_back({t + 1, slot, Word()});
                    busy_until = t + 1;
                    break;
                case 4:
                case 5:
                    if (cur.valid) {
                        Word w = cur;
                        if (op == 4) w.epoch = epoch;
                        else w.interest = cint;
                        wev.push_back({t + 4, slot, w});
                    }
                    busy_until = t + 4;
                    break;
                case 1: {
                    int tag = int(snaps.size());
                    snaps.push_back(HitState());
                    hev.push_back({t + 1, 0, slot, tag, HitState()});
                    if (cur.valid) hev.push_back({t + 3, 2, slot, tag, HitState()});
                    rdo.push_back({t + 2, cur, tag});
                    busy_until = t + 3;
                    break;
                }
                case 3: {
                    bool ok = cur.valid && !slots[arg].valid;
                    int tag = int(snaps.size());
                    snaps.push_back(HitState());
                    hev.push_back({t + 1, 0, slot, tag, HitState()});
                    if (ok) {
                        wev.push_back({t + 5, arg, cur});
                        hev.push_back({t + 5, 1, arg, tag, HitState()});
                        wev.push_back({t + 6, slot, Word()});
                        moved++;
                    }
                    mvo.push_back({t + 4, ok});
                    busy_until = t + 6;
                    break;
                }
                }
            }
            // A READ's clear of the next edge is cancelled by an update on its slot at this edge.
            for (HsEv& h : hev)
                if (h.kind == 2 && h.at == t + 1 && upd && h.slot == upd_slot) h.kind = 3;
            // Hit state at this edge: the engine's action, then the update, by precedence.
            bool apply_upd = upd;
            HsEv* e = (!hev.empty() && hev.front().at == t) ? &hev.front() : nullptr;
            bool eng_write = e && (e->kind == 1 || e->kind == 2);
            if (eng_write && upd && e->slot == upd_slot) {
                upd_clash++;
                if (e->kind == 1) apply_upd = false;
                else eng_write = false;
            }
            if (apply_upd) hs[upd_slot] = {true, cycle};
            if (eng_write) {
                if (e->kind == 1) hs[e->slot] = e->tag ? snaps[e->tag] : HitState();
                else hs[e->slot].hit = false;
            }
            while (!hev.empty() && hev.front().at == t) {
                if (hev.front().kind == 0) snaps[hev.front().tag] = hs[hev.front().slot];
                hev.pop_front();
            }
            // Keys read at this edge.
            if (kv) keys.push_back({t, key, epoch});
            while (!keys.empty() && keys.front().k + 4 == t) {
                Pending p = keys.front();
                keys.pop_front();
                Expect x{p.k + 8, false, false, 0, 0, 0};
                if (t > sweep_until) {
                    uint32_t b[2];
                    buckets(p.key, LB, b[0], b[1]);
                    for (int c = 0; c < 2 * W && !x.hit; c++) {
                        int s = int(b[c / W] * W + c % W);
                        const Word& w = slots[s];
                        if (w.valid && w.key == p.key) {
                            x = {p.k + 8, true, w.pinned || w.epoch == p.epoch, s, w.action, w.interest};
                            if (c >= W) b2hits++;
                        }
                    }
                }
                expect.push_back(x);
            }
        }

        // Outputs after edge t.
        if (!expect.empty() && expect.front().at == t) {
            Expect x = expect.front();
            expect.pop_front();
            results++;
            hits += x.hit;
            if (!dut->res_valid) fail(t, "res_valid", 0, 1);
            else if (dut->res_hit != x.hit) fail(t, "res_hit", dut->res_hit, x.hit);
            else if (getenv("FLOW_TB_TRACE") && x.hit && false) {}
            else if (dut->res_slot != uint32_t(x.slot)) fail(t, "res_slot", dut->res_slot, x.slot);
            else if (dut->res_current != x.current) fail(t, "res_current", dut->res_current, x.current);
            else if (dut->res_action != x.action) fail(t, "res_action", dut->res_action, x.action);
            else if (dut->res_interest != x.interest) fail(t, "res_interest", dut->res_interest, x.interest);
            if (fails && getenv("FLOW_TB_TRACE")) fprintf(stderr, "expected slot %d\n", x.slot);
        } else if (dut->res_valid || dut->res_hit || dut->res_slot || dut->res_current ||
                   dut->res_action || dut->res_interest) {
            fail(t, "res_* without a result (valid, slot)", dut->res_valid, dut->res_slot);
        }
        if (!rdo.empty() && rdo.front().at == t) {
            ReadOut r = rdo.front();
            rdo.pop_front();
            const Word& w = r.w;
            HitState h = w.valid ? snaps[r.tag] : HitState();
            if (!dut->rd_valid) fail(t, "rd_valid", 0, 1);
            else if (dut->rd_slot_valid != w.valid) fail(t, "rd_slot_valid", dut->rd_slot_valid, w.valid);
            else if (!(get_key(dut->rd_key) == w.key)) fail(t, "rd_key.src", get_key(dut->rd_key).src, w.key.src);
            else if (dut->rd_action != w.action) fail(t, "rd_action", dut->rd_action, w.action);
            else if (dut->rd_pinned != w.pinned) fail(t, "rd_pinned", dut->rd_pinned, w.pinned);
            else if (dut->rd_epoch != w.epoch) fail(t, "rd_epoch", dut->rd_epoch, w.epoch);
            else if (dut->rd_interest != w.interest) fail(t, "rd_interest", dut->rd_interest, w.interest);
            else if (dut->rd_hit != h.hit) fail(t, "rd_hit", dut->rd_hit, h.hit);
            else if (dut->rd_last_hit != h.last) fail(t, "rd_last_hit", dut->rd_last_hit, h.last);
        } else if (dut->rd_valid || dut->rd_slot_valid || !(get_key(dut->rd_key) == Key()) ||
                   dut->rd_action || dut->rd_pinned || dut->rd_epoch || dut->rd_interest ||
                   dut->rd_hit || dut->rd_last_hit) {
            fail(t, "rd_* without a read (valid, action)", dut->rd_valid, dut->rd_action);
        }
        if (!mvo.empty() && mvo.front().at == t) {
            MoveOut m = mvo.front();
            mvo.pop_front();
            if (!dut->mv_valid) fail(t, "mv_valid", 0, 1);
            else if (dut->mv_ok != m.ok) fail(t, "mv_ok", dut->mv_ok, m.ok);
        } else if (dut->mv_valid || dut->mv_ok) {
            fail(t, "mv_* without a MOVE's answer (valid, ok)", dut->mv_valid, dut->mv_ok);
        }
    }
    dut->final();
    if (trace) fclose(trace);
    printf("B=%d W=%d seed=%llu cycles=%llu: %llu results (%llu hits, %llu in b2), commands: "
           "%llu write, %llu read, %llu clear, %llu move (%llu moved), %llu touch, %llu interest; "
           "%llu update clashes, %llu resets: %s\n",
           B, W, (unsigned long long)seed, (unsigned long long)cycles, (unsigned long long)results,
           (unsigned long long)hits, (unsigned long long)b2hits, (unsigned long long)counts[0],
           (unsigned long long)counts[1], (unsigned long long)counts[2], (unsigned long long)counts[3],
           (unsigned long long)moved, (unsigned long long)counts[4], (unsigned long long)counts[5],
           (unsigned long long)upd_clash, (unsigned long long)resets, fails ? "FAIL" : "ok");
    return fails ? 1 : 0;
}
