// gufc_top — the gufc flow classifier: MMIO register block, locality table, flow cache, TCAM and
// counters around a four-register lookup pipeline (docs/timing.md is the contract).
//
//   key port -> s1 --f1 locality--> s2 --f2 flow cache + TCAM + decision--> s3
//            --f3 interest + count--> out
//
// Latency 4: a key accepted at edge t is looked up at t+2, counted at t+3 and transfers at t+4
// when res_ready is 1. Throughput: one key per cycle whenever res_ready is 1, also while
// registers are written; a PROBE takes one input slot. stall = out_valid && !res_ready freezes
// every stage. A pending probe enters s1 in place of a key (key_ready is 0 meanwhile); at f3 it
// writes PROBE_RESULT / PROBE_INDEX instead of counting and leaves a bubble in `out`.
// The MMIO access of a cycle takes effect at its edge, after the pipeline transitions of that
// edge were computed from the state before it. rst or CONTROL.RESET clear everything at once.
module gufc_top #(
    parameter integer TCAM_ENTRIES = 256,   // N
    parameter integer FLOW_BUCKETS = 64,    // B, a power of two
    parameter integer FLOW_WAYS = 4,        // W; the flow cache has B x W slots
    parameter integer CHANNELS = 16,        // 1..256
    parameter integer LOCAL_ENTRIES = 8     // L, 1..255
) (clk, rst, mmio_valid, mmio_write, mmio_addr, mmio_wdata, mmio_rdata,
   key_valid, key_ready, key_data, key_len, key_tag, key_flags,
   res_valid, res_ready, res_verdict, res_channel, res_reason, res_kind, res_stale,
   res_src_local, res_dst_local, res_index, res_len, res_tag);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KB = GUFC_KEY_WORDS * 32;
    localparam integer PW = GUFC_PRIO_BITS;
    localparam integer XW = CMD_INDEX_W;
    localparam integer VW = ACTION_VERDICT_W;
    localparam integer KW = PROBE_RESULT_KIND_W;
    localparam integer CHW = ACTION_CHANNEL_W;
    localparam integer RW = ACTION_REASON_W;
    localparam integer FLOW_SLOTS = FLOW_BUCKETS * FLOW_WAYS;
    localparam integer NW = (TCAM_ENTRIES > 1) ? $clog2(TCAM_ENTRIES) : 1;
    localparam integer SW = (FLOW_SLOTS > 1) ? $clog2(FLOW_SLOTS) : 1;
    localparam integer LW = (LOCAL_ENTRIES > 1) ? $clog2(LOCAL_ENTRIES) : 1;
    localparam integer CW = 64;             // counter width (CAP_MISC.COUNTER_BITS)
    localparam integer META = KEY_META_WORD * 32;
    // Key port and probes: META bits other than PROTO and IPV6 are taken as 0.
    localparam [31:0] META_IN = ((32'd1 << META_PROTO_W) - 32'd1) << META_PROTO_LSB
                              | ((32'd1 << META_IPV6_W) - 32'd1) << META_IPV6_LSB;
    localparam [KB-1:0] KEY_KEEP = ~({{(KB-32){1'b0}}, ~META_IN} << META);

    input wire clk;
    input wire rst;
    input wire mmio_valid;
    input wire mmio_write;
    input wire [11:0] mmio_addr;
    input wire [31:0] mmio_wdata;
    output wire [31:0] mmio_rdata;
    input wire key_valid;
    output wire key_ready;
    input wire [KB-1:0] key_data;
    input wire [15:0] key_len;
    input wire [31:0] key_tag;
    input wire [7:0] key_flags;     // TCP flags (interest TCP_CTRL)
    output wire res_valid;
    input wire res_ready;
    output wire [VW-1:0] res_verdict;
    output wire [CHW-1:0] res_channel;
    output wire [RW-1:0] res_reason;
    output wire [KW-1:0] res_kind;
    output wire res_stale;
    output wire res_src_local;
    output wire res_dst_local;
    output wire [XW-1:0] res_index;
    output wire [15:0] res_len;
    output wire [31:0] res_tag;

    // ---------------------------------------------------------------- register block
    wire clr;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [KB-1:0] stg_key;
    wire [KB-1:0] stg_mask;
    wire [31:0] stg_prio;
    wire [31:0] stg_planes;
    wire [31:0] stg_flags;
    wire [31:0] stg_pkt_len;
    wire [31:0] stg_interest;
    wire [31:0] stg_pkt_flags;
    wire [31:0] cmd_arg;
    wire [XW-1:0] cmd_index;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] stg_sport;
    wire [31:0] stg_dport;
    wire [31:0] stg_action;
    wire do_tcam_write, do_tcam_planes, do_flow_write, do_flow_read, do_flow_clear;
    wire do_flow_move, do_flow_touch, do_flow_interest, do_local_write, do_cnt_clear, do_probe;
    wire active_plane;
    wire [7:0] epoch;
    wire [31:0] cycle_lo;
    wire flow_src_valid, flow_dst_valid;
    wire [KB-1:0] tcam_rd_key, tcam_rd_mask;
    wire [31:0] tcam_rd_sport, tcam_rd_dport, tcam_rd_action;
    wire [PW-1:0] tcam_rd_prio;
    wire [1:0] tcam_rd_planes;
    wire flow_rd_valid, flow_rd_pinned, flow_rd_hit;
    wire [KB-1:0] flow_rd_key;
    wire [31:0] flow_rd_action, flow_rd_last, flow_rd_interest;
    wire [7:0] flow_rd_epoch;
    wire [CW-1:0] cnt_rd_pkts, cnt_rd_bytes;
    wire probe_done;
    reg [31:0] probe_word;

    // ---------------------------------------------------------------- pipeline registers
    reg probe_pending;
    reg [KB-1:0] probe_key;
    reg [15:0] probe_len;
    reg [7:0] probe_flags;

    reg s1_valid, s1_probe;
    reg [KB-1:0] s1_key;
    reg [15:0] s1_len;
    reg [31:0] s1_tag;
    reg [7:0] s1_flags;

    reg s2_valid, s2_probe, s2_src_local, s2_dst_local;
    reg [KB-1:0] s2_key;
    reg [15:0] s2_len;
    reg [31:0] s2_tag;
    reg [7:0] s2_flags;

    reg s3_valid, s3_probe, s3_stale, s3_src_local, s3_dst_local;
    reg [VW-1:0] s3_verdict;
    reg [CHW-1:0] s3_channel;
    reg [RW-1:0] s3_reason;
    reg [KW-1:0] s3_kind;
    reg [XW-1:0] s3_index;
    reg [15:0] s3_len;
    reg [31:0] s3_tag;
    reg [7:0] s3_flags;
    reg [FLOW_INTEREST_MODE_W-1:0] s3_imode;      // the hit slot's interest (kind FLOW)
    reg [FLOW_INTEREST_PERIOD_W-1:0] s3_iperiod;

    reg out_valid, out_stale, out_src_local, out_dst_local;
    reg [VW-1:0] out_verdict;
    reg [CHW-1:0] out_channel;
    reg [RW-1:0] out_reason;
    reg [KW-1:0] out_kind;
    reg [XW-1:0] out_index;
    reg [15:0] out_len;
    reg [31:0] out_tag;

    wire stall = out_valid && !res_ready;
    wire adv = !stall;
    assign key_ready = !rst && !stall && !probe_pending;
    wire key_fire = key_valid && key_ready;

    gufc_mmio #(
        .TCAM_ENTRIES(TCAM_ENTRIES), .FLOW_BUCKETS(FLOW_BUCKETS), .FLOW_WAYS(FLOW_WAYS),
        .CHANNELS(CHANNELS), .LOCAL_ENTRIES(LOCAL_ENTRIES)
    ) mmio (
        .clk(clk), .rst(rst), .mmio_valid(mmio_valid), .mmio_write(mmio_write),
        .mmio_addr(mmio_addr), .mmio_wdata(mmio_wdata), .mmio_rdata(mmio_rdata), .clr(clr),
        .stg_key(stg_key), .stg_mask(stg_mask), .stg_sport(stg_sport), .stg_dport(stg_dport),
        .stg_prio(stg_prio), .stg_action(stg_action), .stg_planes(stg_planes),
        .stg_flags(stg_flags), .stg_pkt_len(stg_pkt_len), .stg_interest(stg_interest),
        .stg_pkt_flags(stg_pkt_flags), .cmd_arg(cmd_arg),
        .cmd_index(cmd_index), .do_tcam_write(do_tcam_write), .do_tcam_planes(do_tcam_planes),
        .do_flow_write(do_flow_write), .do_flow_read(do_flow_read),
        .do_flow_clear(do_flow_clear), .do_flow_move(do_flow_move),
        .do_flow_touch(do_flow_touch), .do_flow_interest(do_flow_interest),
        .do_local_write(do_local_write),
        .do_cnt_clear(do_cnt_clear), .do_probe(do_probe), .active_plane(active_plane),
        .epoch(epoch), .cycle_lo(cycle_lo), .flow_src_valid(flow_src_valid),
        .flow_dst_valid(flow_dst_valid), .tcam_rd_key(tcam_rd_key),
        .tcam_rd_mask(tcam_rd_mask), .tcam_rd_sport(tcam_rd_sport),
        .tcam_rd_dport(tcam_rd_dport), .tcam_rd_prio(tcam_rd_prio),
        .tcam_rd_action(tcam_rd_action), .tcam_rd_planes(tcam_rd_planes),
        .flow_rd_valid(flow_rd_valid), .flow_rd_key(flow_rd_key),
        .flow_rd_action(flow_rd_action), .flow_rd_pinned(flow_rd_pinned),
        .flow_rd_epoch(flow_rd_epoch), .flow_rd_hit(flow_rd_hit), .flow_rd_last(flow_rd_last),
        .flow_rd_interest(flow_rd_interest),
        .cnt_rd_pkts(cnt_rd_pkts), .cnt_rd_bytes(cnt_rd_bytes), .probe_done(probe_done),
        .probe_word(probe_word), .probe_index(s3_index));

    // ---------------------------------------------------------------- f1: locality
    wire src_local, dst_local;
    gufc_locality #(.ENTRIES(LOCAL_ENTRIES)) locality (
        .clk(clk), .clr(clr), .wr_en(do_local_write), .wr_index(cmd_index[LW-1:0]),
        .wr_key(stg_key), .wr_mask(stg_mask), .wr_valid(cmd_arg[0]), .key(s1_key),
        .src_local(src_local), .dst_local(dst_local));

    // ---------------------------------------------------------------- f2: lookups + decision
    wire [KB-1:0] rule_key = s2_key
        | ({{(KB-1){1'b0}}, s2_src_local} << (META + META_SRC_LOCAL_LSB))
        | ({{(KB-1){1'b0}}, s2_dst_local} << (META + META_DST_LOCAL_LSB));
    wire rule_hit;
    wire [NW-1:0] rule_index;
    wire [31:0] rule_action;
    gufc_tcam #(.ENTRIES(TCAM_ENTRIES)) tcam (
        .clk(clk), .clr(clr), .wr_en(do_tcam_write), .planes_en(do_tcam_planes),
        .wr_index(cmd_index[NW-1:0]), .wr_key(stg_key), .wr_mask(stg_mask),
        .wr_sport(stg_sport), .wr_dport(stg_dport), .wr_prio(stg_prio[PRIO_PRIO_LSB +: PW]),
        .wr_action(stg_action), .wr_planes(stg_planes[PLANES_PLANES_LSB +: 2]),
        .rd_key(tcam_rd_key), .rd_mask(tcam_rd_mask), .rd_sport(tcam_rd_sport),
        .rd_dport(tcam_rd_dport), .rd_prio(tcam_rd_prio), .rd_action(tcam_rd_action),
        .rd_planes(tcam_rd_planes), .active_plane(active_plane), .key(rule_key),
        .hit(rule_hit), .hit_index(rule_index), .hit_action(rule_action));

    wire flow_hit, flow_current;
    wire [SW-1:0] flow_slot;
    wire [31:0] flow_action;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] flow_interest;       // only MODE and PERIOD are ever set
    /* verilator lint_on UNUSEDSIGNAL */
    wire upd_en;
    gufc_flow_cache #(.BUCKETS(FLOW_BUCKETS), .WAYS(FLOW_WAYS)) flow_cache (
        .clk(clk), .clr(clr), .epoch(epoch), .wr_en(do_flow_write), .clear_en(do_flow_clear),
        .move_en(do_flow_move), .touch_en(do_flow_touch), .read_en(do_flow_read),
        .interest_en(do_flow_interest), .wr_interest(stg_interest),
        .index(cmd_index[SW-1:0]), .arg(cmd_arg[SW-1:0]), .wr_key(stg_key),
        .wr_action(stg_action), .wr_pinned(stg_flags[FLOW_FLAGS_PINNED_LSB]),
        .rd_valid(flow_rd_valid), .rd_key(flow_rd_key), .rd_action(flow_rd_action),
        .rd_pinned(flow_rd_pinned), .rd_epoch(flow_rd_epoch), .rd_hit(flow_rd_hit),
        .rd_last_hit(flow_rd_last),
        .rd_interest(flow_rd_interest), .arg_valid(flow_dst_valid), .upd_en(upd_en),
        .upd_slot(s3_index[SW-1:0]), .cycle_lo(cycle_lo), .key(s2_key), .hit(flow_hit),
        .current(flow_current), .slot(flow_slot), .action(flow_action),
        .interest(flow_interest));
    assign flow_src_valid = flow_rd_valid;

    wire [VW-1:0] d_verdict;
    wire [CHW-1:0] d_channel;
    wire [RW-1:0] d_reason;
    wire [KW-1:0] d_kind;
    wire d_stale;
    wire [XW-1:0] d_index;
    gufc_decide #(.NW(NW), .SW(SW)) decide (
        .flow_hit(flow_hit), .flow_current(flow_current), .flow_slot(flow_slot),
        .flow_action(flow_action), .rule_hit(rule_hit), .rule_index(rule_index),
        .rule_action(rule_action), .verdict(d_verdict), .channel(d_channel),
        .reason(d_reason), .kind(d_kind), .stale(d_stale), .index(d_index));

    // ---------------------------------------------------------------- f3: interest, counting, probe
    // The decision of f2 as f3 finally reports and counts it: a flow hit's interest may send the
    // packet to the slow path (SAMPLE needs the slot's counter before this edge).
    wire [CW-1:0] slot_pkts;
    wire [VW-1:0] f_verdict;
    wire [CHW-1:0] f_channel;
    wire [RW-1:0] f_reason;
    gufc_interest interest (
        .kind(s3_kind), .mode(s3_imode), .period(s3_iperiod), .flags(s3_flags),
        .slot_pkts(slot_pkts), .in_verdict(s3_verdict), .in_channel(s3_channel),
        .in_reason(s3_reason), .verdict(f_verdict), .channel(f_channel), .reason(f_reason));

    wire ev_en = adv && s3_valid && !s3_probe;
    assign probe_done = adv && s3_valid && s3_probe;
    // The hit-state update belongs to the slot's counter increment: a same-edge CNT_CLEAR of that
    // counter loses both (FLOW_WRITE/CLEAR/MOVE overwrite the state inside gufc_flow_cache).
    wire flow_cnt_cleared = do_cnt_clear && cmd_arg == {24'd0, COUNTER_SPACE_FLOW}
                            && cmd_index == s3_index;
    assign upd_en = ev_en && s3_kind == KIND_FLOW[KW-1:0] && !flow_cnt_cleared;

    always @* begin
        probe_word = 32'd0;
        probe_word[PROBE_RESULT_VERDICT_LSB +: PROBE_RESULT_VERDICT_W] = f_verdict;
        probe_word[PROBE_RESULT_KIND_LSB +: PROBE_RESULT_KIND_W] = s3_kind;
        probe_word[PROBE_RESULT_STALE_FLOW_LSB] = s3_stale;
        probe_word[PROBE_RESULT_SRC_LOCAL_LSB] = s3_src_local;
        probe_word[PROBE_RESULT_DST_LOCAL_LSB] = s3_dst_local;
        probe_word[PROBE_RESULT_CHANNEL_LSB +: PROBE_RESULT_CHANNEL_W] = f_channel;
        probe_word[PROBE_RESULT_REASON_LSB +: PROBE_RESULT_REASON_W] = f_reason;
    end

    gufc_counters #(
        .TCAM_ENTRIES(TCAM_ENTRIES), .FLOW_SLOTS(FLOW_SLOTS), .CHANNELS(CHANNELS), .CW(CW)
    ) counters (
        .clk(clk), .clr(clr), .ev_en(ev_en), .ev_kind(s3_kind), .ev_verdict(f_verdict),
        .ev_channel(f_channel), .ev_index(s3_index), .ev_stale(s3_stale), .ev_len(s3_len),
        .cmd_index(cmd_index), .cmd_space(cmd_arg[1:0]), .tcam_write(do_tcam_write),
        .flow_write(do_flow_write), .flow_clear(do_flow_clear), .flow_move(do_flow_move),
        .move_dst(cmd_arg[SW-1:0]), .cnt_clear(do_cnt_clear), .rd_pkts(cnt_rd_pkts),
        .rd_bytes(cnt_rd_bytes), .slot_pkts(slot_pkts));

    // ---------------------------------------------------------------- the edge
    always @(posedge clk) begin
        if (clr) begin
            probe_pending <= 1'b0;
            s1_valid <= 1'b0;
            s2_valid <= 1'b0;
            s3_valid <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            if (adv) begin
                // out <= f3(s3): a probe leaves a bubble.
                out_valid <= s3_valid && !s3_probe;
                out_verdict <= f_verdict;
                out_channel <= f_channel;
                out_reason <= f_reason;
                out_kind <= s3_kind;
                out_stale <= s3_stale;
                out_src_local <= s3_src_local;
                out_dst_local <= s3_dst_local;
                out_index <= s3_index;
                out_len <= s3_len;
                out_tag <= s3_tag;
                // s3 <= f2(s2)
                s3_valid <= s2_valid;
                s3_probe <= s2_probe;
                s3_verdict <= d_verdict;
                s3_channel <= d_channel;
                s3_reason <= d_reason;
                s3_kind <= d_kind;
                s3_stale <= d_stale;
                s3_src_local <= s2_src_local;
                s3_dst_local <= s2_dst_local;
                s3_index <= d_index;
                s3_len <= s2_len;
                s3_tag <= s2_tag;
                s3_flags <= s2_flags;
                s3_imode <= flow_interest[FLOW_INTEREST_MODE_LSB +: FLOW_INTEREST_MODE_W];
                s3_iperiod <= flow_interest[FLOW_INTEREST_PERIOD_LSB +: FLOW_INTEREST_PERIOD_W];
                // s2 <= f1(s1)
                s2_valid <= s1_valid;
                s2_probe <= s1_probe;
                s2_key <= s1_key;
                s2_len <= s1_len;
                s2_tag <= s1_tag;
                s2_flags <= s1_flags;
                s2_src_local <= src_local;
                s2_dst_local <= dst_local;
                // s1 <= the probe if pending, else the key if it transfers, else a bubble
                if (probe_pending) begin
                    s1_valid <= 1'b1;
                    s1_probe <= 1'b1;
                    s1_key <= probe_key;
                    s1_len <= probe_len;
                    s1_tag <= 32'd0;
                    s1_flags <= probe_flags;
                    probe_pending <= 1'b0;
                end else begin
                    s1_valid <= key_fire;
                    s1_probe <= 1'b0;
                    s1_key <= key_data & KEY_KEEP;
                    s1_len <= key_len;
                    s1_tag <= key_tag;
                    s1_flags <= key_flags;
                end
            end
            if (do_probe) begin
                probe_pending <= 1'b1;
                probe_key <= stg_key & KEY_KEEP;
                probe_len <= stg_pkt_len[PKT_LEN_LEN_LSB +: 16];
                probe_flags <= stg_pkt_flags[PKT_FLAGS_FLAGS_LSB +: PKT_FLAGS_FLAGS_W];
            end
        end
    end

    // Every res_* data port is 0 while res_valid is 0: the out registers keep a bubble's or an
    // old item's data (they are not reset), and a defined port lets the lockstep compare every
    // output bit on every edge (docs/timing.md, "Ports").
    assign res_valid = out_valid;
    assign res_verdict = out_valid ? out_verdict : {VW{1'b0}};
    assign res_channel = out_valid ? out_channel : {CHW{1'b0}};
    assign res_reason = out_valid ? out_reason : {RW{1'b0}};
    assign res_kind = out_valid ? out_kind : {KW{1'b0}};
    assign res_stale = out_valid && out_stale;
    assign res_src_local = out_valid && out_src_local;
    assign res_dst_local = out_valid && out_dst_local;
    assign res_index = out_valid ? out_index : {XW{1'b0}};
    assign res_len = out_valid ? out_len : 16'd0;
    assign res_tag = out_valid ? out_tag : 32'd0;
endmodule
