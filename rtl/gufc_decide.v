// gufc_decide — the verdict of a key from its flow-cache and TCAM lookups (docs/timing.md, f3
// "decision"): a current flow hit decides, else the winning rule (a SLOW_PATH rule reports reason
// STALE when a stale flow entry also matched), else a miss (SLOW_PATH, reason MISS).
//
// Place in the pipeline: combinational at the end of f2; the decision is registered into s3
// with the lookups it comes from, so a key is counted at f3 against exactly the entry that
// decided it even if that entry changes at the lookup edge. Latency 0; one key per cycle.
module gufc_decide #(
    parameter integer NW = 8,        // TCAM index width
    parameter integer SW = 8         // flow slot width
) (flow_hit, flow_current, flow_slot, flow_action, rule_hit, rule_index, rule_action,
   verdict, channel, reason, kind, stale, index);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer VW = ACTION_VERDICT_W;
    localparam integer KW = PROBE_RESULT_KIND_W;
    localparam integer XW = CMD_INDEX_W;

    input wire flow_hit;
    input wire flow_current;
    input wire [SW-1:0] flow_slot;
    input wire [31:0] flow_action;
    input wire rule_hit;
    input wire [NW-1:0] rule_index;
    input wire [31:0] rule_action;
    output reg [VW-1:0] verdict;
    output reg [ACTION_CHANNEL_W-1:0] channel;
    output reg [ACTION_REASON_W-1:0] reason;
    output reg [KW-1:0] kind;
    output wire stale;
    output reg [XW-1:0] index;

    assign stale = flow_hit && !flow_current;

    // Valid actions have no bits outside VERDICT/CHANNEL/REASON (checked when written).
    /* verilator lint_off UNUSEDSIGNAL */
    reg [31:0] act;
    /* verilator lint_on UNUSEDSIGNAL */

    always @* begin
        if (flow_hit && flow_current) begin
            kind = KIND_FLOW[KW-1:0];
            act = flow_action;
            index = {{(XW-SW){1'b0}}, flow_slot};
        end else if (rule_hit) begin
            kind = KIND_RULE[KW-1:0];
            act = rule_action;
            index = {{(XW-NW){1'b0}}, rule_index};
        end else begin
            kind = KIND_MISS[KW-1:0];
            act = 32'd0;
            act[ACTION_VERDICT_LSB +: VW] = VERDICT_SLOW_PATH[VW-1:0];
            act[ACTION_REASON_LSB +: ACTION_REASON_W] = SLOW_REASON_MISS;
            index = {XW{1'b0}};
        end
        verdict = act[ACTION_VERDICT_LSB +: VW];
        channel = {ACTION_CHANNEL_W{1'b0}};
        reason = {ACTION_REASON_W{1'b0}};
        if (verdict == VERDICT_DELIVER[VW-1:0]) channel = act[ACTION_CHANNEL_LSB +: ACTION_CHANNEL_W];
        if (verdict == VERDICT_SLOW_PATH[VW-1:0]) begin
            if (kind == KIND_RULE[KW-1:0] && stale) reason = SLOW_REASON_STALE;
            else reason = act[ACTION_REASON_LSB +: ACTION_REASON_W];
        end
    end
endmodule
