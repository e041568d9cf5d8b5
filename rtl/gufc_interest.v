// gufc_interest — a flow entry's interest (docs/timing.md, f3): a current flow hit whose
// FLOW_INTEREST selects the packet goes to the slow path with the interest's reason instead of
// taking the entry's action. EVERY_PACKET selects always (INTEREST_ALL), TCP_CTRL a packet with
// SYN, FIN or RST (INTEREST_CTRL), SAMPLE a packet for which the slot's packet counter before
// this edge, plus 1, is a multiple of PERIOD (INTEREST_SAMPLE). Kind and index stay FLOW / slot.
//
// Place in the pipeline: combinational in f3 (the s3 -> out edge), between s3 and the counters,
// the result register and the probe result. The interest and the TCP flags travel in s3 from the
// lookup (f2); only SAMPLE needs f3, for the slot's counter as it is before the counting edge.
// Latency 0; one key per cycle. The SAMPLE test is a 64-bit by 16-bit remainder: a functional
// reference, not a timed path.
module gufc_interest (kind, mode, period, flags, slot_pkts, in_verdict, in_channel, in_reason,
                      verdict, channel, reason);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer VW = ACTION_VERDICT_W;
    localparam integer KW = PROBE_RESULT_KIND_W;
    localparam integer MB = FLOW_INTEREST_MODE_W;
    localparam integer PB = FLOW_INTEREST_PERIOD_W;
    localparam [7:0] CTRL_FLAGS = 8'h07;    // TCP FIN (0x01), SYN (0x02), RST (0x04)

    input wire [KW-1:0] kind;
    input wire [MB-1:0] mode;               // the slot's interest at the lookup
    input wire [PB-1:0] period;
    input wire [7:0] flags;                 // key_flags, or PKT_FLAGS for a probe
    input wire [63:0] slot_pkts;            // packet counter of the slot, before this edge
    input wire [VW-1:0] in_verdict;         // the decision of f2
    input wire [ACTION_CHANNEL_W-1:0] in_channel;
    input wire [ACTION_REASON_W-1:0] in_reason;
    output wire [VW-1:0] verdict;
    output wire [ACTION_CHANNEL_W-1:0] channel;
    output wire [ACTION_REASON_W-1:0] reason;

    wire [63:0] nth = slot_pkts + 64'd1;
    wire sampled = period != {PB{1'b0}} && nth % {{(64-PB){1'b0}}, period} == 64'd0;

    reg sel;
    reg [ACTION_REASON_W-1:0] why;
    always @* begin
        sel = 1'b0;
        why = {ACTION_REASON_W{1'b0}};
        if (kind == KIND_FLOW[KW-1:0]) begin
            if (mode == INTEREST_MODE_EVERY_PACKET[MB-1:0]) begin
                sel = 1'b1;
                why = SLOW_REASON_INTEREST_ALL;
            end else if (mode == INTEREST_MODE_TCP_CTRL[MB-1:0] && (flags & CTRL_FLAGS) != 8'd0) begin
                sel = 1'b1;
                why = SLOW_REASON_INTEREST_CTRL;
            end else if (mode == INTEREST_MODE_SAMPLE[MB-1:0] && sampled) begin
                sel = 1'b1;
                why = SLOW_REASON_INTEREST_SAMPLE;
            end
        end
    end

    assign verdict = sel ? VERDICT_SLOW_PATH[VW-1:0] : in_verdict;
    assign channel = sel ? {ACTION_CHANNEL_W{1'b0}} : in_channel;
    assign reason = sel ? why : in_reason;
endmodule
