// gufc_counters — all statistics: per TCAM entry, per flow slot, per channel (three
// gufc_counter_bank instances) and the eight global counters, plus the CNT_READ read mux.
//
// Place in the pipeline: stage f3 (the s3 -> out edge). A key leaving s3 increments the counter
// of the TCAM entry or flow slot that decided it, its channel's counter for DELIVER, and the
// global LOOKUPS, one of FLOW_HITS/RULE_HITS/MISSES, one of DELIVERED/DROPS/SLOW_PATH and
// STALE_FLOWS when stale. Probes never count. Counter commands act at the edge of their CMD write.
// Latency: one edge; throughput one counted key and one counter command per cycle.
module gufc_counters #(
    parameter integer TCAM_ENTRIES = 256,
    parameter integer FLOW_SLOTS = 256,
    parameter integer CHANNELS = 16,
    parameter integer CW = 64
) (clk, clr, ev_en, ev_kind, ev_verdict, ev_channel, ev_index, ev_stale, ev_len,
   cmd_index, cmd_space, tcam_write, flow_write, flow_clear, flow_move, move_dst, cnt_clear,
   rd_pkts, rd_bytes, slot_pkts);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer NW = (TCAM_ENTRIES > 1) ? $clog2(TCAM_ENTRIES) : 1;
    localparam integer SW = (FLOW_SLOTS > 1) ? $clog2(FLOW_SLOTS) : 1;
    localparam integer CHW = (CHANNELS > 1) ? $clog2(CHANNELS) : 1;
    localparam integer GLOBALS = 8;  // [global_counter] values 0..7
    localparam integer KW = PROBE_RESULT_KIND_W;
    localparam integer VW = ACTION_VERDICT_W;

    input wire clk;
    input wire clr;
    input wire ev_en;                // a key (not a probe) leaves s3 at this edge
    input wire [KW-1:0] ev_kind;
    input wire [VW-1:0] ev_verdict;
    // Only the low bits that address the configured depths are used.
    /* verilator lint_off UNUSEDSIGNAL */
    input wire [7:0] ev_channel;
    input wire [CMD_INDEX_W-1:0] ev_index;  // TCAM index or flow slot
    /* verilator lint_on UNUSEDSIGNAL */
    input wire ev_stale;
    input wire [15:0] ev_len;
    input wire [CMD_INDEX_W-1:0] cmd_index; // counter / entry / slot of this edge's command
    input wire [1:0] cmd_space;      // CMD_ARG of CNT_READ / CNT_CLEAR
    input wire tcam_write;           // accepted TCAM_WRITE: zero its entry's counters
    input wire flow_write;           // accepted FLOW_WRITE: zero the slot's counters
    input wire flow_clear;           // accepted FLOW_CLEAR: zero the slot's counters
    input wire flow_move;            // accepted FLOW_MOVE cmd_index -> move_dst
    input wire [SW-1:0] move_dst;
    input wire cnt_clear;            // accepted CNT_CLEAR
    output reg [CW-1:0] rd_pkts;     // counter cmd_index of space cmd_space (for CNT_READ)
    output reg [CW-1:0] rd_bytes;
    output wire [CW-1:0] slot_pkts;  // flow slot ev_index's packets before the edge (interest SAMPLE)

    wire is_flow = ev_kind == KIND_FLOW[KW-1:0];
    wire is_rule = ev_kind == KIND_RULE[KW-1:0];
    wire sp_tcam = cmd_space == COUNTER_SPACE_TCAM[1:0];
    wire sp_flow = cmd_space == COUNTER_SPACE_FLOW[1:0];
    wire sp_chan = cmd_space == COUNTER_SPACE_CHANNEL[1:0];
    wire sp_glob = cmd_space == COUNTER_SPACE_GLOBAL[1:0];

    wire [CW-1:0] t_pkts;
    wire [CW-1:0] t_bytes;
    wire [CW-1:0] f_pkts;
    wire [CW-1:0] f_bytes;
    wire [CW-1:0] c_pkts;
    wire [CW-1:0] c_bytes;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [CW-1:0] t_cur;             // only the flow slots' count feeds the interest
    wire [CW-1:0] c_cur;
    /* verilator lint_on UNUSEDSIGNAL */

    gufc_counter_bank #(.DEPTH(TCAM_ENTRIES), .CW(CW)) tcam_bank (
        .clk(clk), .clr(clr),
        .inc_en(ev_en && is_rule), .inc_index(ev_index[NW-1:0]), .inc_len(ev_len),
        .zero_en(tcam_write || (cnt_clear && sp_tcam)), .zero_index(cmd_index[NW-1:0]),
        .move_en(1'b0), .move_src(cmd_index[NW-1:0]), .move_dst(cmd_index[NW-1:0]),
        .rd_index(cmd_index[NW-1:0]), .rd_pkts(t_pkts), .rd_bytes(t_bytes),
        .cur_pkts(t_cur));

    gufc_counter_bank #(.DEPTH(FLOW_SLOTS), .CW(CW)) flow_bank (
        .clk(clk), .clr(clr),
        .inc_en(ev_en && is_flow), .inc_index(ev_index[SW-1:0]), .inc_len(ev_len),
        .zero_en(flow_write || flow_clear || (cnt_clear && sp_flow)),
        .zero_index(cmd_index[SW-1:0]),
        .move_en(flow_move), .move_src(cmd_index[SW-1:0]), .move_dst(move_dst),
        .rd_index(cmd_index[SW-1:0]), .rd_pkts(f_pkts), .rd_bytes(f_bytes),
        .cur_pkts(slot_pkts));

    gufc_counter_bank #(.DEPTH(CHANNELS), .CW(CW)) channel_bank (
        .clk(clk), .clr(clr),
        .inc_en(ev_en && ev_verdict == VERDICT_DELIVER[VW-1:0]), .inc_index(ev_channel[CHW-1:0]),
        .inc_len(ev_len),
        .zero_en(cnt_clear && sp_chan), .zero_index(cmd_index[CHW-1:0]),
        .move_en(1'b0), .move_src(cmd_index[CHW-1:0]), .move_dst(cmd_index[CHW-1:0]),
        .rd_index(cmd_index[CHW-1:0]), .rd_pkts(c_pkts), .rd_bytes(c_bytes),
        .cur_pkts(c_cur));

    // ---- global counters: several increment at once, so each is its own register pair.
    reg [GLOBALS-1:0] g_inc;
    always @* begin
        g_inc = {GLOBALS{1'b0}};
        g_inc[GLOBAL_COUNTER_LOOKUPS[2:0]] = ev_en;
        g_inc[GLOBAL_COUNTER_FLOW_HITS[2:0]] = ev_en && is_flow;
        g_inc[GLOBAL_COUNTER_RULE_HITS[2:0]] = ev_en && is_rule;
        g_inc[GLOBAL_COUNTER_MISSES[2:0]] = ev_en && ev_kind == KIND_MISS[KW-1:0];
        g_inc[GLOBAL_COUNTER_DROPS[2:0]] = ev_en && ev_verdict == VERDICT_DROP[VW-1:0];
        g_inc[GLOBAL_COUNTER_SLOW_PATH[2:0]] = ev_en && ev_verdict == VERDICT_SLOW_PATH[VW-1:0];
        g_inc[GLOBAL_COUNTER_DELIVERED[2:0]] = ev_en && ev_verdict == VERDICT_DELIVER[VW-1:0];
        g_inc[GLOBAL_COUNTER_STALE_FLOWS[2:0]] = ev_en && ev_stale;
    end

    wire [CW-1:0] g_pkts [0:GLOBALS-1];
    wire [CW-1:0] g_bytes [0:GLOBALS-1];
    genvar g;
    generate
        for (g = 0; g < GLOBALS; g = g + 1) begin : global
            reg [CW-1:0] pkts;
            reg [CW-1:0] bytes;
            always @(posedge clk) begin
                if (clr || (cnt_clear && sp_glob && cmd_index == g)) begin
                    pkts <= {CW{1'b0}};
                    bytes <= {CW{1'b0}};
                end else if (g_inc[g]) begin
                    pkts <= pkts + {{(CW-1){1'b0}}, 1'b1};
                    bytes <= bytes + {{(CW-16){1'b0}}, ev_len};
                end
            end
            assign g_pkts[g] = pkts;
            assign g_bytes[g] = bytes;
        end
    endgenerate

    always @* begin
        if (sp_tcam) begin
            rd_pkts = t_pkts;
            rd_bytes = t_bytes;
        end else if (sp_flow) begin
            rd_pkts = f_pkts;
            rd_bytes = f_bytes;
        end else if (sp_chan) begin
            rd_pkts = c_pkts;
            rd_bytes = c_bytes;
        end else begin
            rd_pkts = g_pkts[cmd_index[2:0]];
            rd_bytes = g_bytes[cmd_index[2:0]];
        end
    end
endmodule
