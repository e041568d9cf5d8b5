// gufc_core — the RTL 2.0 datapath (draft): one IPv4 key per clock through the rule stage and the
// flow cache in parallel, the decision between them, the counters, interest, and an output FIFO.
// The 2.0 gufc_top will wrap it with the locality stage and the register block; here the blocks'
// command ports are the core's (the top will sequence them from MMIO).
//
// Pipeline (k = a key's acceptance edge; A = max(rule-stage latency, 8): 11 at 1,024 entries):
//   k      the key enters gufc_tcam_v4 and gufc_flow_ram (both register it at k), and its side
//          data (flags, length, tag, locality bits) a delay line;
//   k+A    both results out (the flow cache's, after k+8, delayed to line up);
//   k+A+1  D: the decision (gufc_decide: current flow, else rule, else miss; stale flag);
//   k+A+2  the deciding entry's counter is incremented (rule or flow counters); a flow hit sets
//          the slot's hit state (HIT, LAST_HIT := `cycle`) unless a FLOW_WRITE wrote the slot
//          after this key's lookup (at edges k+5 .. k+A+2: the update would mark another flow);
//   k+A+5  the flow counter reports the slot's new packet count;
//   k+A+6  F: interest (EVERY_PACKET; TCP_CTRL on SYN/FIN/RST; SAMPLE when the new count is a
//          multiple of PERIOD, a power of two; a packet whose increment a same-edge CLEAR lost is
//          not sampled) turns a flow hit into SLOW_PATH; the channel counter of a DELIVER is
//          incremented; the result is written into the output FIFO.
// The result transfers at k+A+7 at the earliest: latency A+7 edges (18 at 1,024 entries).
// A probe (key_probe) goes through like a key but counts nowhere, updates no hit state and leaves
// through prb_* (one edge, after F) instead of the FIFO. An IPv6 key (key_v6) is decided as a
// miss: the 2.0 rule stage and flow cache are IPv4 (docs/rtl.md, IPv6 plan).
// Backpressure: the pipeline never stalls. key_ready is 1 while keys in flight plus results in
// the FIFO are fewer than FIFO, so a FIFO of at least A+7 entries sustains one key per clock
// whenever res_ready is 1. Every res_* bit is 0 while res_valid is 0.
//
// Commands go straight to the blocks (their contracts: gufc_tcam_v4, gufc_flow_ram,
// gufc_counter_ram, whose ADD is tied off here until the top's FLOW_MOVE uses it). Counter
// spaces on the c_* port: 0 rule entries, 1 flow slots, 2 channels, 3 the global counters (regmap [global_counter]; flip-flops counted at F: LOOKUPS, the kind's,
// the final verdict's, STALE_FLOWS; a CLEAR wins over the same edge's increment; a READ at c
// gives the value after edge c, out after c+6 like the other spaces, and the space takes no
// command until then); c_rd_* is the OR of the four (each is 0 unless valid). A key's counter increment at k+A+2
// against an entry a command changed after the key's lookup lands on the changed entry: the
// sequencer above clears counters at the edge that separates old keys from new ones (see
// docs/rtl.md, "the top, planned").
module gufc_core #(
    parameter integer ENTRIES = 1024,
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64,
    parameter integer SLICE_BITS = 4,
    parameter integer FLAG_BITS = 6,
    parameter integer BUCKETS = 1024,
    parameter integer WAYS = 4,
    parameter integer CHANNELS = 16,
    parameter integer FIFO = 32           // a power of two >= latency
) (clk, rst, rst_rule, rst_flow, rst_cnt, rst_glob, epoch, cycle,
   key_valid, key_ready, key_src, key_dst, key_proto, key_sport, key_dport, key_flags,
   key_src_local, key_dst_local, key_len, key_tag, key_v6, key_probe,
   res_valid, res_ready, res_verdict, res_channel, res_reason, res_kind, res_stale, res_src_local,
   res_dst_local, res_index, res_len, res_tag,
   prb_valid, prb_verdict, prb_channel, prb_reason, prb_kind, prb_stale, prb_src_local,
   prb_dst_local, prb_index,
   r_cmd_valid, r_cmd_ready, r_cmd_op, r_cmd_index, r_cmd_value, r_cmd_mask, r_cmd_planes,
   r_cmd_data, r_cmd_range, r_active, r_rd_valid, r_rd_value, r_rd_mask, r_rd_planes, r_rd_data,
   f_cmd_valid, f_cmd_ready, f_cmd_op, f_cmd_slot, f_cmd_arg, f_cmd_key, f_cmd_action,
   f_cmd_pinned, f_cmd_interest, f_rd_valid, f_rd_slot_valid, f_rd_key, f_rd_action, f_rd_pinned,
   f_rd_epoch, f_rd_interest, f_rd_hit, f_rd_last_hit, f_mv_valid, f_mv_ok,
   c_cmd_valid, c_cmd_ready, c_cmd_space, c_cmd_op, c_cmd_index, c_cmd_pkts, c_cmd_bytes,
   c_rd_valid, c_rd_pkts, c_rd_bytes);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KEY_BITS = CHECKERS + 101 + FLAG_BITS;
    localparam integer IW = $clog2(ENTRIES);
    localparam integer SW = $clog2(BUCKETS) + $clog2(WAYS);
    localparam integer CHW = (CHANNELS > 1) ? $clog2(CHANNELS) : 1;
    localparam integer XW = CMD_INDEX_W;                   // result index width (24)
    localparam integer CIW = (IW > SW) ? IW : SW;          // counter command index width
    localparam integer BW = $clog2(BANK);
    localparam integer LB = (BW + 1) / 2;
    localparam integer LG = (ENTRIES / BANK > 1) ? ($clog2(ENTRIES / BANK) + 1) / 2 : 0;
    localparam integer LR = 6 + LB + LG;                   // rule-stage latency
    localparam integer A = (LR > 8) ? LR : 8;
    localparam integer HW = A - 3;                         // slot writes remembered (edges u-1 ..)
    localparam integer FW = $clog2(FIFO);
    localparam integer RW = 2 + 8 + 8 + 2 + 3 + XW + 16 + 32;   // a result in the FIFO
    // Side data, LSB first: tag 32, len 16, dst_local, src_local, flags 8, v6, probe.
    localparam integer SDW = 32 + 16 + 2 + 8 + 2;
    localparam integer SD_FLAGS = 50, SD_V6 = 58, SD_PROBE = 59;

    input wire clk;
    // The reset, one copy per block (gufc_top registers them; all equal, all at the same edge):
    // rst the key path (key_ready, side data, decision, FIFO, probe port, write history),
    // rst_rule the rule stage, rst_flow the flow cache, rst_cnt[i] counter space i (0 rule,
    // 1 flow, 2 channel), rst_glob the global counters.
    input wire rst;
    input wire rst_rule;
    input wire rst_flow;
    input wire [2:0] rst_cnt;
    input wire rst_glob;
    input wire [7:0] epoch;
    input wire [31:0] cycle;
    input wire key_valid;
    output wire key_ready;
    input wire [31:0] key_src;
    input wire [31:0] key_dst;
    input wire [7:0] key_proto;
    input wire [15:0] key_sport;
    input wire [15:0] key_dport;
    input wire [7:0] key_flags;
    input wire key_src_local;
    input wire key_dst_local;
    input wire [15:0] key_len;
    input wire [31:0] key_tag;
    input wire key_v6;
    input wire key_probe;
    output wire res_valid;
    input wire res_ready;
    output wire [1:0] res_verdict;
    output wire [7:0] res_channel;
    output wire [7:0] res_reason;
    output wire [1:0] res_kind;
    output wire res_stale;
    output wire res_src_local;
    output wire res_dst_local;
    output wire [XW-1:0] res_index;
    output wire [15:0] res_len;
    output wire [31:0] res_tag;
    output reg prb_valid;
    output reg [1:0] prb_verdict;
    output reg [7:0] prb_channel;
    output reg [7:0] prb_reason;
    output reg [1:0] prb_kind;
    output reg prb_stale;
    output reg prb_src_local;
    output reg prb_dst_local;
    output reg [XW-1:0] prb_index;
    input wire r_cmd_valid;
    output wire r_cmd_ready;
    input wire [2:0] r_cmd_op;
    input wire [IW-1:0] r_cmd_index;
    input wire [KEY_BITS-1:0] r_cmd_value;
    input wire [KEY_BITS-1:0] r_cmd_mask;
    input wire [1:0] r_cmd_planes;
    input wire [47:0] r_cmd_data;
    input wire [33:0] r_cmd_range;
    output wire r_active;
    output wire r_rd_valid;
    output wire [KEY_BITS-1:0] r_rd_value;
    output wire [KEY_BITS-1:0] r_rd_mask;
    output wire [1:0] r_rd_planes;
    output wire [47:0] r_rd_data;
    input wire f_cmd_valid;
    output wire f_cmd_ready;
    input wire [2:0] f_cmd_op;
    input wire [SW-1:0] f_cmd_slot;
    input wire [SW-1:0] f_cmd_arg;
    input wire [103:0] f_cmd_key;
    input wire [31:0] f_cmd_action;
    input wire f_cmd_pinned;
    input wire [18:0] f_cmd_interest;
    output wire f_rd_valid;
    output wire f_rd_slot_valid;
    output wire [103:0] f_rd_key;
    output wire [31:0] f_rd_action;
    output wire f_rd_pinned;
    output wire [7:0] f_rd_epoch;
    output wire [18:0] f_rd_interest;
    output wire f_rd_hit;
    output wire [31:0] f_rd_last_hit;
    output wire f_mv_valid;
    output wire f_mv_ok;
    input wire c_cmd_valid;
    output wire c_cmd_ready;
    input wire [1:0] c_cmd_space;
    input wire [1:0] c_cmd_op;        // 0 READ, 1 CLEAR, 2 ADD (a no-op on the global counters)
    input wire [63:0] c_cmd_pkts;     // ADD's values
    input wire [63:0] c_cmd_bytes;
    input wire [CIW-1:0] c_cmd_index;
    output wire c_rd_valid;
    output wire [63:0] c_rd_pkts;
    output wire [63:0] c_rd_bytes;

    // ---- credits and acceptance
    reg [FW:0] count;                 // keys in flight + results in the FIFO
    reg [FW:0] fifo_n;
    localparam [FW:0] DEPTH = FIFO[FW:0];
    assign key_ready = !rst && count < DEPTH;
    wire accept = key_valid && key_ready;
    wire pop = res_valid && res_ready;

    // ---- the two lookups
    wire t_valid, t_hit;
    wire [IW-1:0] t_index;
    wire [47:0] t_data;
    gufc_tcam_v4 #(.ENTRIES(ENTRIES), .CHECKERS(CHECKERS), .BANK(BANK), .SLICE_BITS(SLICE_BITS),
                   .FLAG_BITS(FLAG_BITS)) rule (
        .clk(clk), .clr(rst_rule), .in_valid(accept), .in_src(key_src), .in_dst(key_dst),
        .in_src_local(key_src_local), .in_dst_local(key_dst_local), .in_proto(key_proto),
        .in_flags(key_flags), .in_sport(key_sport), .in_dport(key_dport),
        .cmd_valid(r_cmd_valid), .cmd_ready(r_cmd_ready), .cmd_op(r_cmd_op),
        .cmd_index(r_cmd_index), .cmd_value(r_cmd_value), .cmd_mask(r_cmd_mask),
        .cmd_planes(r_cmd_planes), .cmd_data(r_cmd_data), .cmd_range(r_cmd_range),
        .active(r_active), .rd_valid(r_rd_valid), .rd_value(r_rd_value), .rd_mask(r_rd_mask),
        .rd_planes(r_rd_planes), .rd_data(r_rd_data), .res_valid(t_valid), .res_hit(t_hit),
        .res_index(t_index), .res_data(t_data));

    wire fl_valid, fl_hit, fl_current;
    wire [SW-1:0] fl_slot;
    wire [31:0] fl_action;
    wire [18:0] fl_interest;
    reg upd_en;
    reg [SW-1:0] upd_slot;
    gufc_flow_ram #(.BUCKETS(BUCKETS), .WAYS(WAYS)) flow (
        .clk(clk), .clr(rst_flow), .epoch(epoch), .in_valid(accept),
        .in_key({key_src, key_dst, key_proto, key_dport, key_sport}),
        .res_valid(fl_valid), .res_hit(fl_hit), .res_slot(fl_slot), .res_current(fl_current),
        .res_action(fl_action), .res_interest(fl_interest),
        .cmd_valid(f_cmd_valid), .cmd_ready(f_cmd_ready), .cmd_op(f_cmd_op), .cmd_slot(f_cmd_slot),
        .cmd_arg(f_cmd_arg), .cmd_key(f_cmd_key), .cmd_action(f_cmd_action),
        .cmd_pinned(f_cmd_pinned), .cmd_interest(f_cmd_interest), .rd_valid(f_rd_valid),
        .rd_slot_valid(f_rd_slot_valid), .rd_key(f_rd_key), .rd_action(f_rd_action),
        .rd_pinned(f_rd_pinned), .rd_epoch(f_rd_epoch), .rd_interest(f_rd_interest),
        .rd_hit(f_rd_hit), .rd_last_hit(f_rd_last_hit), .mv_valid(f_mv_valid), .mv_ok(f_mv_ok),
        .upd_en(upd_en), .upd_slot(upd_slot), .upd_cycle(cycle));

    // ---- line both results up at k+A, with the key's side data
    /* verilator lint_off UNUSEDSIGNAL */
    wire [47:0] r_line_data;          // the priority half of the data word is for read-back only
    /* verilator lint_on UNUSEDSIGNAL */
    wire r_line_hit;
    wire [IW-1:0] r_line_index;
    wire f_line_hit, f_line_current;
    wire [SW-1:0] f_line_slot;
    wire [31:0] f_line_action;
    wire [18:0] f_line_interest;
    gufc_delay #(.WIDTH(1 + IW + 48), .DEPTH(A - LR)) rule_line (
        .clk(clk), .d({t_hit, t_index, t_data}), .q({r_line_hit, r_line_index, r_line_data}));
    gufc_delay #(.WIDTH(2 + SW + 32 + 19), .DEPTH(A - 8)) flow_line (
        .clk(clk), .d({fl_hit, fl_current, fl_slot, fl_action, fl_interest}),
        .q({f_line_hit, f_line_current, f_line_slot, f_line_action, f_line_interest}));
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_valid = t_valid ^ fl_valid;   // the side line's valid bit says the same
    /* verilator lint_on UNUSEDSIGNAL */
    reg [A:0] sv;                     // side data, edges k .. k+A
    reg [SDW-1:0] sd [0:A];
    integer n;
    always @(posedge clk) begin
        sv <= rst ? {(A+1){1'b0}} : {sv[A-1:0], accept};
        sd[0] <= {key_probe, key_v6, key_flags, key_src_local, key_dst_local, key_len, key_tag};
        for (n = 1; n <= A; n = n + 1) sd[n] <= sd[n-1];
    end

    // ---- D (k+A+1): the decision
    wire [1:0] dc_verdict, dc_kind;
    wire [7:0] dc_channel, dc_reason;
    wire dc_stale;
    wire [XW-1:0] dc_index;
    wire line_v6 = sd[A][SD_V6];
    gufc_decide #(.NW(IW), .SW(SW)) decide (
        .flow_hit(f_line_hit && !line_v6), .flow_current(f_line_current), .flow_slot(f_line_slot),
        .flow_action(f_line_action), .rule_hit(r_line_hit && !line_v6), .rule_index(r_line_index),
        .rule_action(r_line_data[31:0]), .verdict(dc_verdict), .channel(dc_channel),
        .reason(dc_reason), .kind(dc_kind), .stale(dc_stale), .index(dc_index));
    // d[0] = D, d[1..4] its copies at k+A+2 .. k+A+5: {valid, verdict, channel, reason, kind,
    // stale, index, interest, side data}.
    localparam integer DW = 1 + 2 + 8 + 8 + 2 + 1 + XW + 19 + SDW;
    reg [DW-1:0] d [0:4];
    always @(posedge clk) begin
        d[0] <= {sv[A] && !rst, dc_verdict, dc_channel, dc_reason, dc_kind, dc_stale, dc_index,
                 (dc_kind == KIND_FLOW[1:0]) ? f_line_interest : 19'd0, sd[A]};
        for (n = 1; n <= 4; n = n + 1) d[n] <= rst ? {DW{1'b0}} : d[n-1];
    end
    wire dv = d[0][DW-1];
    wire [1:0] d_kind = d[0][DW-21 +: 2];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [XW-1:0] d_index = d[0][SDW + 19 +: XW];   // a rule index or a slot: the low bits
    /* verilator lint_on UNUSEDSIGNAL */
    wire [15:0] d_len = d[0][32 +: 16];
    wire d_count = dv && !d[0][SD_PROBE];              // keys count, probes do not

    // ---- FLOW_WRITEs, edge by edge (the edge the slot word is written: c+1). Only WRITE makes a
    // late update wrong: it would mark the new flow hit. CLEAR and MOVE leave slots empty, whose
    // hit state nothing reads (READ of an empty slot returns zeros, WRITE zeroes it), and no key
    // can have hit a MOVE's destination before the move.
    reg wr_now;                       // a WRITE's slot word is written at this edge: wr_slot
    reg [SW-1:0] wr_slot;
    always @(posedge clk) begin
        wr_now <= f_cmd_valid && f_cmd_ready && !rst && f_cmd_op == 3'd0;
        wr_slot <= f_cmd_slot;
    end
    // The slots written at the last HW edges (a WRITE at this edge wins over the update in the
    // flow cache itself).
    reg [HW-1:0] hist_v;
    reg [SW-1:0] hist [0:HW-1];
    always @(posedge clk) begin
        hist_v <= rst ? {HW{1'b0}} : {hist_v[HW-2:0], wr_now};
        hist[0] <= wr_slot;
        for (n = 1; n < HW; n = n + 1) hist[n] <= hist[n-1];
    end
    reg written_since;
    always @* begin
        written_since = 1'b0;
        for (n = 0; n < HW; n = n + 1)
            if (hist_v[n] && hist[n] == d_index[SW-1:0]) written_since = 1'b1;
    end
    always @* begin
        upd_en = d_count && d_kind == KIND_FLOW[1:0] && !written_since;
        upd_slot = d_index[SW-1:0];
    end

    // ---- counters
    wire cr_ready, cf_ready, cc_ready, cr_rd, cf_rd, cc_rd;
    wire [63:0] cr_pk, cr_by, cf_pk, cf_by, cc_pk, cc_by;
    /* verilator lint_off UNUSEDSIGNAL */
    wire cr_cv, cc_cv;
    wire [IW-1:0] cr_ci;
    wire [CHW-1:0] cc_ci;
    wire [63:0] cr_cp, cr_cb, cc_cp, cc_cb, cf_cb;
    wire [SW-1:0] cf_ci;
    /* verilator lint_on UNUSEDSIGNAL */
    wire cf_cv;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] cf_cp;                // a power-of-two PERIOD needs its low 16 bits
    /* verilator lint_on UNUSEDSIGNAL */
    wire [1:0] f_verdict;
    wire [7:0] f_channel;
    wire ch_inc;
    wire [DW-1:0] e = d[4];
    gufc_counter_ram #(.DEPTH(ENTRIES)) rule_counters (
        .clk(clk), .clr(rst_cnt[0]), .inc_en(d_count && d_kind == KIND_RULE[1:0]), .inc_index(d_index[IW-1:0]),
        .inc_len(d_len), .cmd_valid(c_cmd_valid && c_cmd_space == 2'd0), .cmd_ready(cr_ready),
        .cmd_op(c_cmd_op), .cmd_index(c_cmd_index[IW-1:0]),
        .cmd_pkts(c_cmd_pkts), .cmd_bytes(c_cmd_bytes), .rd_valid(cr_rd), .rd_pkts(cr_pk),
        .rd_bytes(cr_by), .cnt_valid(cr_cv), .cnt_index(cr_ci), .cnt_pkts(cr_cp), .cnt_bytes(cr_cb));
    gufc_counter_ram #(.DEPTH(BUCKETS * WAYS)) flow_counters (
        .clk(clk), .clr(rst_cnt[1]), .inc_en(d_count && d_kind == KIND_FLOW[1:0]), .inc_index(d_index[SW-1:0]),
        .inc_len(d_len), .cmd_valid(c_cmd_valid && c_cmd_space == 2'd1), .cmd_ready(cf_ready),
        .cmd_op(c_cmd_op), .cmd_index(c_cmd_index[SW-1:0]),
        .cmd_pkts(c_cmd_pkts), .cmd_bytes(c_cmd_bytes), .rd_valid(cf_rd), .rd_pkts(cf_pk),
        .rd_bytes(cf_by), .cnt_valid(cf_cv), .cnt_index(cf_ci), .cnt_pkts(cf_cp), .cnt_bytes(cf_cb));
    gufc_counter_ram #(.DEPTH(CHANNELS)) channel_counters (
        .clk(clk), .clr(rst_cnt[2]), .inc_en(ch_inc), .inc_index(f_channel[CHW-1:0]),
        .inc_len(e[32 +: 16]), .cmd_valid(c_cmd_valid && c_cmd_space == 2'd2), .cmd_ready(cc_ready),
        .cmd_op(c_cmd_op), .cmd_index(c_cmd_index[CHW-1:0]),
        .cmd_pkts(c_cmd_pkts), .cmd_bytes(c_cmd_bytes), .rd_valid(cc_rd), .rd_pkts(cc_pk),
        .rd_bytes(cc_by), .cnt_valid(cc_cv), .cnt_index(cc_ci), .cnt_pkts(cc_cp), .cnt_bytes(cc_cb));
    wire cg_ready, cg_rd;
    wire [63:0] cg_pk, cg_by;
    assign c_cmd_ready = (c_cmd_space == 2'd0) ? cr_ready : (c_cmd_space == 2'd1) ? cf_ready :
                         (c_cmd_space == 2'd2) ? cc_ready : cg_ready;
    assign c_rd_valid = cr_rd || cf_rd || cc_rd || cg_rd;
    assign c_rd_pkts = cr_pk | cf_pk | cc_pk | cg_pk;
    assign c_rd_bytes = cr_by | cf_by | cc_by | cg_by;

    // ---- F (k+A+6): interest, the channel counter, the FIFO
    wire e_probe = e[SD_PROBE];
    wire ev_all = e[DW-1];
    wire ev = ev_all && !e_probe;     // a key's result: counted, into the FIFO
    wire [1:0] e_verdict = e[DW-3 +: 2];
    wire [7:0] e_channel = e[DW-11 +: 8];
    wire [7:0] e_reason = e[DW-19 +: 8];
    wire [1:0] e_kind = e[DW-21 +: 2];
    wire e_stale = e[DW-22];
    wire [XW-1:0] e_index = e[SDW + 19 +: XW];
    wire [2:0] e_mode = e[SDW +: 3];
    wire [15:0] e_period = e[SDW + 3 +: 16];
    wire [7:0] e_flags = e[SD_FLAGS +: 8];
    reg sel;
    reg [7:0] why;
    always @* begin
        sel = 1'b0;
        why = 8'd0;
        if (e_kind == KIND_FLOW[1:0]) begin
            if (e_mode == INTEREST_MODE_EVERY_PACKET[2:0]) begin
                sel = 1'b1;
                why = SLOW_REASON_INTEREST_ALL;
            end else if (e_mode == INTEREST_MODE_TCP_CTRL[2:0] && (e_flags & 8'h07) != 8'd0) begin
                sel = 1'b1;
                why = SLOW_REASON_INTEREST_CTRL;
            end else if (e_mode == INTEREST_MODE_SAMPLE[2:0] && e_period != 16'd0 && cf_cv &&
                         (cf_cp[15:0] & (e_period - 16'd1)) == 16'd0) begin
                sel = 1'b1;
                why = SLOW_REASON_INTEREST_SAMPLE;
            end
        end
    end
    assign f_verdict = sel ? VERDICT_SLOW_PATH[1:0] : e_verdict;
    assign f_channel = sel ? 8'd0 : e_channel;
    wire [7:0] f_reason = sel ? why : e_reason;
    assign ch_inc = ev && f_verdict == VERDICT_DELIVER[1:0];

    // ---- global counters (space 3), counted at F
    reg [7:0] g_inc;
    always @* begin
        g_inc = 8'd0;
        if (ev) begin
            g_inc[GLOBAL_COUNTER_LOOKUPS[2:0]] = 1'b1;
            if (e_kind == KIND_FLOW[1:0]) g_inc[GLOBAL_COUNTER_FLOW_HITS[2:0]] = 1'b1;
            if (e_kind == KIND_RULE[1:0]) g_inc[GLOBAL_COUNTER_RULE_HITS[2:0]] = 1'b1;
            if (e_kind == KIND_MISS[1:0]) g_inc[GLOBAL_COUNTER_MISSES[2:0]] = 1'b1;
            if (f_verdict == VERDICT_DROP[1:0]) g_inc[GLOBAL_COUNTER_DROPS[2:0]] = 1'b1;
            if (f_verdict == VERDICT_SLOW_PATH[1:0]) g_inc[GLOBAL_COUNTER_SLOW_PATH[2:0]] = 1'b1;
            if (f_verdict == VERDICT_DELIVER[1:0]) g_inc[GLOBAL_COUNTER_DELIVERED[2:0]] = 1'b1;
            if (e_stale) g_inc[GLOBAL_COUNTER_STALE_FLOWS[2:0]] = 1'b1;
        end
    end
    reg [63:0] g_pk [0:7];
    reg [63:0] g_by [0:7];
    reg [2:0] g_wait;                 // a READ's data is out when this reaches 0 from 1
    reg [63:0] g_cap_pk, g_cap_by;
    reg g_rd_v;
    reg [63:0] g_rd_pk, g_rd_by;
    wire g_take = c_cmd_valid && c_cmd_space == 2'd3 && cg_ready && !rst_glob;
    wire [2:0] g_i = c_cmd_index[2:0];
    assign cg_ready = g_wait == 3'd0;
    assign cg_rd = g_rd_v;
    assign cg_pk = g_rd_pk;
    assign cg_by = g_rd_by;
    always @(posedge clk) begin
        for (n = 0; n < 8; n = n + 1) begin
            if (rst_glob || (g_take && c_cmd_op == 2'd1 && g_i == n[2:0])) begin
                g_pk[n] <= 64'd0;
                g_by[n] <= 64'd0;
            end else if (g_inc[n]) begin
                g_pk[n] <= g_pk[n] + 64'd1;
                g_by[n] <= g_by[n] + {48'd0, e[32 +: 16]};
            end
        end
        if (g_take && c_cmd_op == 2'd0) begin
            g_cap_pk <= g_pk[g_i] + {63'd0, g_inc[g_i]};
            g_cap_by <= g_by[g_i] + (g_inc[g_i] ? {48'd0, e[32 +: 16]} : 64'd0);
        end
        g_rd_v <= !rst_glob && g_wait == 3'd1;
        g_rd_pk <= (!rst_glob && g_wait == 3'd1) ? g_cap_pk : 64'd0;
        g_rd_by <= (!rst_glob && g_wait == 3'd1) ? g_cap_by : 64'd0;
        g_wait <= rst_glob ? 3'd0 : (g_take && c_cmd_op == 2'd0) ? 3'd6
                : (g_wait != 3'd0) ? g_wait - 3'd1 : 3'd0;
    end

    reg [RW-1:0] fifo [0:FIFO-1];
    reg [FW-1:0] wp, rp;
    always @(posedge clk) begin
        if (ev) fifo[wp] <= {f_verdict, f_channel, f_reason, e_kind, e_stale, e[48 +: 2], e_index,
                             e[32 +: 16], e[0 +: 32]};
        if (rst) begin
            wp <= {FW{1'b0}};
            rp <= {FW{1'b0}};
            fifo_n <= {(FW+1){1'b0}};
            count <= {(FW+1){1'b0}};
        end else begin
            if (ev) wp <= wp + 1'b1;
            if (pop) rp <= rp + 1'b1;
            fifo_n <= fifo_n + {{FW{1'b0}}, ev} - {{FW{1'b0}}, pop};
            count <= count + {{FW{1'b0}}, accept} - {{FW{1'b0}}, pop}
                     - {{FW{1'b0}}, ev_all && e_probe};
        end
    end
    // A probe's result: one edge on prb_*, every bit 0 otherwise.
    wire prb = ev_all && e_probe && !rst;
    always @(posedge clk) begin
        prb_valid <= prb;
        prb_verdict <= prb ? f_verdict : 2'd0;
        prb_channel <= prb ? f_channel : 8'd0;
        prb_reason <= prb ? f_reason : 8'd0;
        prb_kind <= prb ? e_kind : 2'd0;
        prb_stale <= prb && e_stale;
        prb_src_local <= prb && e[49];
        prb_dst_local <= prb && e[48];
        prb_index <= prb ? e_index : {XW{1'b0}};
    end
    assign res_valid = fifo_n != {(FW+1){1'b0}};
    wire [RW-1:0] head = res_valid ? fifo[rp] : {RW{1'b0}};
    assign {res_verdict, res_channel, res_reason, res_kind, res_stale, res_src_local, res_dst_local,
            res_index, res_len, res_tag} = head;
endmodule
