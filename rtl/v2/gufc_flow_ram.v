// gufc_flow_ram — the RTL 2.0 exact-match flow cache in block RAM (draft; not in gufc_top yet).
//
// M = BUCKETS x WAYS slots, slot s = bucket * WAYS + way. Two-choice as in 1.x: a key may live in
// any way of its buckets b1 and b2 (the 1.x hash, gufc_regmap::bucket_pair, pipelined); the hit
// is the first valid slot whose key equals the key, in the order b1 ways 0..W-1, b2 ways 0..W-1.
// Two copies of the slot words give the two bucket-row reads per clock: copy 1 (read b1; its
// second port serves the command engine) and copy 2 (read b2; second port written only). Each way
// is its own RAM, so a bucket row (W slot words) is one access, and a command writes one slot
// without touching the row. HIT and LAST_HIT live in a third RAM, per slot: port A takes the
// hit-state updates (write only, one per clock), port B the commands.
//
// Key (KEY_BITS = 40 + 2A, A = 32 for IPv4, 128 for IPv6), LSB first: sport 16, dport 16,
// proto 8, dst A, src A. The locality bits are not part of it.
// Slot word, LSB first: valid, key, action 32, pinned, epoch 8, interest INT_BITS.
//
// Lookup pipeline (edges after the key is accepted at edge k): k input registers (key, and the
// key's epoch = `epoch` before k); k+1 hash fold; k+2 partial products; k+3 buckets; k+4 RAM read
// (the READ EDGE); k+5 row registers; k+6 way compares; k+7 first match; k+8 result. Latency 9
// edges: the result is out after edge k+8. One key per clock, never stalled.
// A key sees every slot write at edges <= k+4 and none after (a write at the read edge itself is
// forwarded to it). res_current = pinned || slot epoch == the key's epoch.
//
// Commands (one at a time; c = the acceptance edge, cmd_valid && cmd_ready; epoch stamps use
// `epoch` before c). A key accepted at edge k sees a slot write at edge w iff k + 4 >= w.
//   WRITE s  (1 cycle):  slot word written at c+1; HIT := 0, LAST_HIT := 0 at c+1.
//   CLEAR s  (1 cycle):  slot invalid at c+1.
//   TOUCH s, SET_INTEREST s (4 cycles): read at c+1, epoch / interest written at c+4 if valid.
//   READ s   (3 cycles): word and hit state read at c+1 (hit updates at edges <= c+1 included);
//            rd_* out after edge c+2; HIT := 0 at c+3 (LAST_HIT kept) unless an update lands on
//            the slot at c+2 or c+3.
//   MOVE s->d (6 cycles): reads s at c+1, d at c+2; if s is valid and d is not (mv_valid/mv_ok
//            after edge c+4), d := s's word and hit state (as after c+1) at c+5, s invalid at
//            c+6. A key reading at c+5 sees both, identical but for the slot number, and takes
//            the first in its order.
// The next command is accepted at c + its cycles. The engine drives the RAMs from registers only.
// Hit-state update (upd_en, upd_slot, upd_cycle at edge u): HIT := 1, LAST_HIT := upd_cycle at u.
// Against a command's hit-state write to the same slot at u: WRITE and MOVE's destination win (the
// update is lost); READ's clear loses (HIT stays 1). Updates to other slots always land.
// clr: drops keys in flight and aborts the command; then every slot is emptied by a sweep of
// BUCKETS cycles (one bucket per edge) during which keys miss and cmd_ready is 0.
// Every output is 0 unless it carries a result (res_*; its fields also 0 on a miss), a READ's
// data (rd_*) or a MOVE's answer (mv_*).
module gufc_flow_ram #(
    parameter integer BUCKETS = 1024,       // power of two >= 2
    parameter integer WAYS = 4,             // power of two >= 2
    parameter integer KEY_BITS = 104,       // 104 (IPv4) or 296 (IPv6)
    parameter integer INT_BITS = 19,        // FLOW_INTEREST {PERIOD 16, MODE 3}
    parameter integer HASH_ROTATE = 5,      // regmap.toml [hash]
    parameter integer HASH_ROTATE2 = 16,
    parameter [31:0] HASH_MUL1 = 32'h9E3779B1,
    parameter [31:0] HASH_MUL2 = 32'h85EBCA6B
) (clk, clr, epoch, in_valid, in_key, res_valid, res_hit, res_slot, res_current, res_action,
   res_interest, cmd_valid, cmd_ready, cmd_op, cmd_slot, cmd_arg, cmd_key, cmd_action, cmd_pinned,
   cmd_interest, rd_valid, rd_slot_valid, rd_key, rd_action, rd_pinned, rd_epoch, rd_interest,
   rd_hit, rd_last_hit, mv_valid, mv_ok, upd_en, upd_slot, upd_cycle);
    localparam integer LB = $clog2(BUCKETS);
    localparam integer LW = $clog2(WAYS);
    localparam integer SW = LB + LW;
    localparam integer A = (KEY_BITS - 40) / 2;
    localparam integer AWD = A / 32;                      // address words
    localparam integer WB = KEY_BITS + 42 + INT_BITS;     // slot word
    localparam integer C = 2 * WAYS;                      // candidates per key
    // Word field positions.
    localparam integer F_KEY = 1;
    localparam integer F_ACT = 1 + KEY_BITS;
    localparam integer F_PIN = F_ACT + 32;
    localparam integer F_EP = F_PIN + 1;
    localparam integer F_INT = F_EP + 8;
    localparam [2:0] OP_WRITE = 3'd0, OP_READ = 3'd1, OP_CLEAR = 3'd2, OP_MOVE = 3'd3,
                     OP_TOUCH = 3'd4, OP_INTEREST = 3'd5;

    input wire clk;
    input wire clr;
    input wire [7:0] epoch;
    input wire in_valid;
    input wire [KEY_BITS-1:0] in_key;
    output reg res_valid;
    output reg res_hit;
    output reg [SW-1:0] res_slot;
    output reg res_current;
    output reg [31:0] res_action;
    output reg [INT_BITS-1:0] res_interest;
    input wire cmd_valid;
    output wire cmd_ready;
    input wire [2:0] cmd_op;
    input wire [SW-1:0] cmd_slot;
    input wire [SW-1:0] cmd_arg;
    input wire [KEY_BITS-1:0] cmd_key;
    input wire [31:0] cmd_action;
    input wire cmd_pinned;
    input wire [INT_BITS-1:0] cmd_interest;
    output reg rd_valid;
    output reg rd_slot_valid;
    output reg [KEY_BITS-1:0] rd_key;
    output reg [31:0] rd_action;
    output reg rd_pinned;
    output reg [7:0] rd_epoch;
    output reg [INT_BITS-1:0] rd_interest;
    output reg rd_hit;
    output reg [31:0] rd_last_hit;
    output reg mv_valid;
    output reg mv_ok;
    input wire upd_en;
    input wire [SW-1:0] upd_slot;
    input wire [31:0] upd_cycle;

    // ---- hash: the 1.x fold (words src0..3, dst0..3, META, PORTS; word i rotated left by
    // ROTATE * (9 - i)), then h = fold * MUL1 and rotl(fold, ROTATE2) * MUL2, top LB bits.
    function [31:0] rotl(input [31:0] v, input integer r);
        rotl = (r % 32 == 0) ? v : ((v << (r % 32)) | (v >> (32 - r % 32)));
    endfunction
    /* verilator lint_off UNUSEDSIGNAL */
    function [15:0] hi16(input [15:0] a, input [15:0] b);
        reg [31:0] p;
        begin
            p = {16'd0, a} * {16'd0, b};
            hi16 = p[31:16];
        end
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */
    function [31:0] fold(input [KEY_BITS-1:0] k);
        integer j;
        begin
            fold = {k[31:16], k[15:0]};                                       // PORTS, word 9
            fold = fold ^ rotl({21'd0, A == 128, 2'd0, k[39:32]}, HASH_ROTATE); // META, word 8
            for (j = 0; j < AWD; j = j + 1) begin
                fold = fold ^ rotl(k[40 + 32*j +: 32], HASH_ROTATE * (5 - j));     // dst word j
                fold = fold ^ rotl(k[40 + A + 32*j +: 32], HASH_ROTATE * (9 - j)); // src word j
            end
        end
    endfunction

    // k: input registers.
    reg v0;
    reg [KEY_BITS-1:0] key0;
    reg [7:0] ep0;
    // k+1: fold.
    reg v1;
    reg [KEY_BITS-1:0] key1;
    reg [7:0] ep1;
    reg [31:0] x1;
    // k+2: 16x16 partial products of x * MUL (mod 2^32) for both hashes.
    reg v2;
    reg [KEY_BITS-1:0] key2;
    reg [7:0] ep2;
    reg [15:0] pl1, pl2;                 // bits 31:16 of the low product
    reg [15:0] pa1, pb1, pa2, pb2;
    // k+3: buckets.
    reg v3;
    reg [KEY_BITS-1:0] key3;
    reg [7:0] ep3;
    reg [LB-1:0] b1_3, b2_3;
    wire [31:0] x2 = rotl(x1, HASH_ROTATE2);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] hi1 = pl1 + pa1 + pb1;    // bits 31:16 of the product
    wire [15:0] hi2 = pl2 + pa2 + pb2;
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk) begin
        v0 <= in_valid && !clr;
        key0 <= in_key;
        ep0 <= epoch;
        v1 <= v0 && !clr;
        key1 <= key0;
        ep1 <= ep0;
        x1 <= fold(key0);
        v2 <= v1 && !clr;
        key2 <= key1;
        ep2 <= ep1;
        pl1 <= hi16(x1[15:0], HASH_MUL1[15:0]);
        pa1 <= x1[31:16] * HASH_MUL1[15:0];
        pb1 <= x1[15:0] * HASH_MUL1[31:16];
        pl2 <= hi16(x2[15:0], HASH_MUL2[15:0]);
        pa2 <= x2[31:16] * HASH_MUL2[15:0];
        pb2 <= x2[15:0] * HASH_MUL2[31:16];
        v3 <= v2 && !clr;
        key3 <= key2;
        ep3 <= ep2;
        b1_3 <= hi1[15 -: LB];
        b2_3 <= hi2[15 -: LB];
    end

    // ---- command engine state (declared here: the lookup forwards its writes)
    reg [2:0] e_op;
    reg [2:0] e_step;                 // 0 idle; n: step n acts at the next edge (c+n)
    reg [SW-1:0] e_slot, e_arg;
    reg [7:0] e_ep;
    reg [INT_BITS-1:0] e_int;
    reg [WB-1:0] e_word;              // the word read at c+1, registered at c+2
    reg [32:0] e_hs;                  // MOVE: the source hit state {HIT, LAST_HIT}
    reg e_dst_valid;                  // MOVE: the destination's valid bit
    reg e_fwd;                        // a hit update landed on e_slot at the engine's read edge
    reg [31:0] e_fwd_cycle;
    reg sweep;
    reg [LB-1:0] sweep_ptr;

    // Slot-word writes at the next edge (registers), both copies: one way of one bucket, or a
    // whole row of zeros while sweeping.
    reg w_en;
    reg [LB-1:0] w_bucket;
    reg [LW-1:0] w_way;
    reg [WB-1:0] w_word;
    reg [LB-1:0] r_bucket;            // copy 1 port B read address when not writing
    wire [WB*WAYS-1:0] q1, q2, q1b;   // rows: copy 1 (b1), copy 2 (b2), copy 1 port B
    wire [LB-1:0] p1_addr = sweep ? sweep_ptr : w_en ? w_bucket : r_bucket;

    genvar gw;
    generate
        for (gw = 0; gw < WAYS; gw = gw + 1) begin : way
            wire we = sweep || (w_en && w_way == gw);
            wire [WB-1:0] d = sweep ? {WB{1'b0}} : w_word;
            gufc_bram #(.WIDTH(WB), .DEPTH(BUCKETS)) copy1 (
                .clk(clk), .a_we(1'b0), .a_addr(b1_3), .a_d({WB{1'b0}}), .a_q(q1[gw*WB +: WB]),
                .b_we(we), .b_addr(p1_addr), .b_d(d), .b_q(q1b[gw*WB +: WB]));
            /* verilator lint_off UNUSEDSIGNAL */
            wire [WB-1:0] unused_q;
            /* verilator lint_on UNUSEDSIGNAL */
            gufc_bram #(.WIDTH(WB), .DEPTH(BUCKETS)) copy2 (
                .clk(clk), .a_we(1'b0), .a_addr(b2_3), .a_d({WB{1'b0}}), .a_q(q2[gw*WB +: WB]),
                .b_we(we), .b_addr(sweep ? sweep_ptr : w_bucket), .b_d(d), .b_q(unused_q));
        end
    endgenerate

    // k+4: the read edge; the slot write of this same edge is captured to be forwarded.
    reg v4, force4, ov1_4, ov2_4;
    reg [KEY_BITS-1:0] key4;
    reg [7:0] ep4;
    reg [LB-1:0] b1_4, b2_4;
    reg [LW-1:0] ovw_4;
    reg [WB-1:0] ovd_4;
    // k+5: the rows as read, and the forwarded write beside them: fw5[c] marks the candidates it
    // replaces (way w of b1 and/or of b2), wd5 is its word. Matching the one written word next to
    // the rows costs one key compare and a few selects, where applying it to every candidate's
    // row would take a 2:1 multiplexer per bit of all C words.
    reg v5, force5;
    reg [KEY_BITS-1:0] key5;
    reg [7:0] ep5;
    reg [LB-1:0] b1_5, b2_5;
    reg [WB*C-1:0] row5;              // candidate c: row5[c*WB +: WB], b1 ways then b2 ways
    reg [C-1:0] fw5;
    reg [WB-1:0] wd5;
    // k+6: per-candidate match and data (a forwarded candidate's data is the written word's).
    reg v6;
    reg [LB-1:0] b1_6, b2_6;
    reg [C-1:0] m6, cur6, fw6;
    reg [32*C-1:0] act6;
    reg [INT_BITS*C-1:0] int6;
    reg [31:0] actw6;
    reg [INT_BITS-1:0] intw6;
    // k+7: first match, one-hot.
    reg v7, hit7;
    reg [LB-1:0] b1_7, b2_7;
    reg [C-1:0] sel7, cur7, fw7;
    reg [32*C-1:0] act7;
    reg [INT_BITS*C-1:0] int7;
    reg [31:0] actw7;
    reg [INT_BITS-1:0] intw7;

    // Combinational parts of the k+6 .. k+8 steps.
    reg [C-1:0] m_c, cur_c, seen;
    reg [WB-1:0] word;
    reg [SW-1:0] slot;
    reg [31:0] act;
    reg [INT_BITS-1:0] intr;
    reg cur, m_w, cur_w;
    integer c;
    always @* begin
        m_w = !force5 && wd5[0] && wd5[F_KEY +: KEY_BITS] == key5;
        cur_w = wd5[F_PIN] || wd5[F_EP +: 8] == ep5;
        for (c = 0; c < C; c = c + 1) begin
            word = row5[c*WB +: WB];
            m_c[c] = fw5[c] ? m_w : !force5 && word[0] && word[F_KEY +: KEY_BITS] == key5;
            cur_c[c] = fw5[c] ? cur_w : word[F_PIN] || word[F_EP +: 8] == ep5;
        end
        seen = {C{1'b0}};
        for (c = 1; c < C; c = c + 1) seen[c] = seen[c-1] | m6[c-1];
        slot = {SW{1'b0}};
        act = 32'd0;
        intr = {INT_BITS{1'b0}};
        cur = 1'b0;
        for (c = 0; c < C; c = c + 1) begin
            if (sel7[c]) begin
                slot = slot | {(c < WAYS) ? b1_7 : b2_7, c[LW-1:0]};
                cur = cur | cur7[c];
                if (!fw7[c]) begin
                    act = act | act7[c*32 +: 32];
                    intr = intr | int7[c*INT_BITS +: INT_BITS];
                end
            end
        end
        if ((sel7 & fw7) != {C{1'b0}}) begin
            act = act | actw7;
            intr = intr | intw7;
        end
    end

    always @(posedge clk) begin
        v4 <= v3 && !clr;
        key4 <= key3;
        ep4 <= ep3;
        b1_4 <= b1_3;
        b2_4 <= b2_3;
        force4 <= sweep;
        ov1_4 <= w_en && w_bucket == b1_3;
        ov2_4 <= w_en && w_bucket == b2_3;
        ovw_4 <= w_way;
        ovd_4 <= w_word;

        v5 <= v4 && !clr;
        key5 <= key4;
        ep5 <= ep4;
        b1_5 <= b1_4;
        b2_5 <= b2_4;
        force5 <= force4;
        row5 <= {q2, q1};
        wd5 <= ovd_4;
        for (c = 0; c < C; c = c + 1)
            fw5[c] <= ((c < WAYS) ? ov1_4 : ov2_4) && ovw_4 == c[LW-1:0];

        v6 <= v5 && !clr;
        b1_6 <= b1_5;
        b2_6 <= b2_5;
        m6 <= m_c;
        cur6 <= cur_c;
        fw6 <= fw5;
        actw6 <= wd5[F_ACT +: 32];
        intw6 <= wd5[F_INT +: INT_BITS];
        for (c = 0; c < C; c = c + 1) begin
            act6[c*32 +: 32] <= row5[c*WB + F_ACT +: 32];
            int6[c*INT_BITS +: INT_BITS] <= row5[c*WB + F_INT +: INT_BITS];
        end

        v7 <= v6 && !clr;
        b1_7 <= b1_6;
        b2_7 <= b2_6;
        hit7 <= |m6;
        sel7 <= m6 & ~seen;
        cur7 <= cur6;
        fw7 <= fw6;
        act7 <= act6;
        int7 <= int6;
        actw7 <= actw6;
        intw7 <= intw6;

        // The result outputs are 0 unless they carry a result (and its fields 0 on a miss).
        res_valid <= v7 && !clr;
        res_hit <= v7 && !clr && hit7;
        res_slot <= (v7 && !clr) ? slot : {SW{1'b0}};
        res_action <= (v7 && !clr) ? act : 32'd0;
        res_interest <= (v7 && !clr) ? intr : {INT_BITS{1'b0}};
        res_current <= v7 && !clr && cur;
    end

    // ---- hit state: {HIT, LAST_HIT} per slot. Port A: updates; port B: the engine.
    reg hb_we, hb_cmd_wins;           // engine hit-state write at the next edge; beats an update?
    reg [SW-1:0] hb_addr;
    reg [32:0] hb_d;
    wire hb_clash = upd_en && hb_we && hb_addr == upd_slot;
    wire ha_we = upd_en && !clr && !(hb_clash && hb_cmd_wins);
    wire [32:0] hs_q;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [32:0] hs_unused;
    /* verilator lint_on UNUSEDSIGNAL */
    gufc_bram #(.WIDTH(33), .DEPTH(BUCKETS * WAYS)) hit_state (
        .clk(clk), .a_we(ha_we), .a_addr(upd_slot), .a_d({1'b1, upd_cycle}), .a_q(hs_unused),
        .b_we(hb_we && !clr && !(hb_clash && !hb_cmd_wins)), .b_addr(hb_addr), .b_d(hb_d),
        .b_q(hs_q));

    // ---- command engine: everything it drives into the RAMs (write enable, address, data) is a
    // register, set at the edge before it acts; RAM read data reach it only through registers.
    /* verilator lint_off UNUSEDSIGNAL */
    function [LB-1:0] bucket_of(input [SW-1:0] s);
        bucket_of = s[SW-1:LW];
    endfunction
    function [LW-1:0] way_of(input [SW-1:0] s);
        way_of = s[LW-1:0];
    endfunction
    function [WB-1:0] way_word(input [WB*WAYS-1:0] row, input [SW-1:0] s);
        way_word = row[way_of(s) * WB +: WB];
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    function [2:0] last_step(input [2:0] op);
        case (op)
            OP_WRITE, OP_CLEAR: last_step = 3'd1;
            OP_MOVE: last_step = 3'd6;
            OP_TOUCH, OP_INTEREST: last_step = 3'd4;
            default: last_step = 3'd3;
        endcase
    endfunction

    assign cmd_ready = !sweep && (e_step == 3'd0 || e_step == last_step(e_op));
    wire take = cmd_valid && cmd_ready && !clr;
    wire [WB-1:0] src_q = way_word(q1b, e_slot);   // port B data read at the previous edge
    /* verilator lint_off UNUSEDSIGNAL */
    wire [WB-1:0] dst_q = way_word(q1b, e_arg);    // only its valid bit
    /* verilator lint_on UNUSEDSIGNAL */
    wire [32:0] hs_now = e_fwd ? {1'b1, e_fwd_cycle} : hs_q;
    wire upd_here = ha_we && upd_slot == e_slot;    // a hit update on e_slot at this edge
    reg [WB-1:0] nw;
    always @* begin
        nw = e_word;
        if (e_op == OP_TOUCH) nw[F_EP +: 8] = e_ep;
        else nw[F_INT +: INT_BITS] = e_int;
    end

    always @(posedge clk) begin
        // rd_* and mv_ok are 0 unless they carry a READ's data or a MOVE's answer.
        rd_valid <= 1'b0;
        rd_slot_valid <= 1'b0;
        rd_key <= {KEY_BITS{1'b0}};
        rd_action <= 32'd0;
        rd_pinned <= 1'b0;
        rd_epoch <= 8'd0;
        rd_interest <= {INT_BITS{1'b0}};
        rd_hit <= 1'b0;
        rd_last_hit <= 32'd0;
        mv_valid <= 1'b0;
        mv_ok <= 1'b0;
        w_en <= 1'b0;
        hb_we <= 1'b0;
        hb_cmd_wins <= 1'b1;
        if (clr) begin
            e_step <= 3'd0;
            e_op <= 3'd0;
            sweep <= 1'b1;
            sweep_ptr <= {LB{1'b0}};
        end else begin
            if (sweep) begin
                sweep_ptr <= sweep_ptr + 1'b1;
                if (&sweep_ptr) sweep <= 1'b0;
            end
            e_fwd <= upd_here;
            e_fwd_cycle <= upd_cycle;
            // Steps of the command in progress: registered at edge c+n, acting at c+n+1.
            if (e_op == OP_MOVE && e_step == 3'd1) r_bucket <= bucket_of(e_arg);
            if (e_step == 3'd3 && (e_op == OP_TOUCH || e_op == OP_INTEREST) && e_word[0]) begin
                w_en <= 1'b1;
                w_bucket <= bucket_of(e_slot);
                w_way <= way_of(e_slot);
                w_word <= nw;
            end
            if (e_step == 3'd2) begin
                e_word <= src_q;
                if (e_op == OP_READ) begin
                    rd_valid <= 1'b1;
                    rd_slot_valid <= src_q[0];
                    rd_key <= src_q[0] ? src_q[F_KEY +: KEY_BITS] : {KEY_BITS{1'b0}};
                    rd_action <= src_q[0] ? src_q[F_ACT +: 32] : 32'd0;
                    rd_pinned <= src_q[0] && src_q[F_PIN];
                    rd_epoch <= src_q[0] ? src_q[F_EP +: 8] : 8'd0;
                    rd_interest <= src_q[0] ? src_q[F_INT +: INT_BITS] : {INT_BITS{1'b0}};
                    rd_hit <= src_q[0] && hs_now[32];
                    rd_last_hit <= src_q[0] ? hs_now[31:0] : 32'd0;
                    // HIT := 0 at c+3, unless an update lands at c+2 (it is newer than the
                    // read) or at c+3 (the update wins).
                    hb_we <= src_q[0] && !upd_here;
                    hb_addr <= e_slot;
                    hb_d <= {1'b0, hs_now[31:0]};
                    hb_cmd_wins <= 1'b0;
                end
                if (e_op == OP_MOVE) e_hs <= hs_now;
            end
            if (e_op == OP_MOVE && e_step == 3'd3) e_dst_valid <= dst_q[0];
            if (e_op == OP_MOVE && e_step == 3'd4) begin
                mv_valid <= 1'b1;
                mv_ok <= e_word[0] && !e_dst_valid;
                if (e_word[0] && !e_dst_valid) begin
                    w_en <= 1'b1;
                    w_bucket <= bucket_of(e_arg);
                    w_way <= way_of(e_arg);
                    w_word <= e_word;
                    hb_we <= 1'b1;
                    hb_addr <= e_arg;
                    hb_d <= e_hs;
                end
            end
            if (e_op == OP_MOVE && e_step == 3'd5 && mv_ok) begin   // mv_ok as set at c+4
                w_en <= 1'b1;
                w_bucket <= bucket_of(e_slot);
                w_way <= way_of(e_slot);
                w_word <= {WB{1'b0}};
            end
            if (take) begin
                e_op <= cmd_op;
                e_step <= 3'd1;
                e_slot <= cmd_slot;
                e_arg <= cmd_arg;
                e_ep <= epoch;
                e_int <= cmd_interest;
                r_bucket <= bucket_of(cmd_slot);
                hb_addr <= cmd_slot;
                if (cmd_op == OP_WRITE || cmd_op == OP_CLEAR) begin
                    w_en <= 1'b1;
                    w_bucket <= bucket_of(cmd_slot);
                    w_way <= way_of(cmd_slot);
                    w_word <= (cmd_op == OP_WRITE)
                        ? {cmd_interest, epoch, cmd_pinned, cmd_action, cmd_key, 1'b1}
                        : {WB{1'b0}};
                    hb_we <= cmd_op == OP_WRITE;
                    hb_d <= 33'd0;
                end
            end else if (e_step == last_step(e_op)) begin
                e_step <= 3'd0;
            end else if (e_step != 3'd0) begin
                e_step <= e_step + 3'd1;
            end
        end
    end
endmodule
