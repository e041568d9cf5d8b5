// gufc_cmd_check — accepts or rejects a write to CMD (docs/timing.md, "Commands"), checking in the
// documented order: unknown opcode, then index ranges, then the opcode's own rules. Returns the
// rejection reason, or REASON_CODE_NONE when the command executes.
//
// Place in the pipeline: none — combinational on the MMIO write data and the staging registers,
// inside gufc_mmio, at the edge of the CMD write. Latency 0; one command per cycle.
module gufc_cmd_check #(
    parameter integer TCAM_ENTRIES = 256,
    parameter integer FLOW_SLOTS = 256,
    parameter integer CHANNELS = 16,
    parameter integer LOCAL_ENTRIES = 8
) (opcode, index, arg, key_meta, mask_meta, sport, dport, action, planes, flow_flags,
   interest, key_outside_mask, src_valid, dst_valid, probe_busy, reason);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam [31:0] META_OK = ((32'd1 << META_PROTO_W) - 32'd1) << META_PROTO_LSB
                              | ((32'd1 << META_SRC_LOCAL_W) - 32'd1) << META_SRC_LOCAL_LSB
                              | ((32'd1 << META_DST_LOCAL_W) - 32'd1) << META_DST_LOCAL_LSB
                              | ((32'd1 << META_IPV6_W) - 32'd1) << META_IPV6_LSB;
    localparam [31:0] PLANES_OK = ((32'd1 << PLANES_PLANES_W) - 32'd1) << PLANES_PLANES_LSB;
    localparam [31:0] FLAGS_OK = ((32'd1 << FLOW_FLAGS_PINNED_W) - 32'd1) << FLOW_FLAGS_PINNED_LSB;
    localparam [31:0] ACTION_OK = ((32'd1 << ACTION_VERDICT_W) - 32'd1) << ACTION_VERDICT_LSB
                                | ((32'd1 << ACTION_CHANNEL_W) - 32'd1) << ACTION_CHANNEL_LSB
                                | ((32'd1 << ACTION_REASON_W) - 32'd1) << ACTION_REASON_LSB;
    localparam integer VW = ACTION_VERDICT_W;
    localparam integer GLOBALS = 8;  // [global_counter] values 0..7

    input wire [7:0] opcode;
    input wire [CMD_INDEX_W-1:0] index;
    input wire [31:0] arg;                // CMD_ARG
    input wire [31:0] key_meta;           // KEY[META]
    input wire [31:0] mask_meta;          // MASK[META]
    input wire [31:0] sport;              // SPORT_RANGE
    input wire [31:0] dport;              // DPORT_RANGE
    input wire [31:0] action;             // ACTION
    input wire [31:0] planes;             // PLANES
    input wire [31:0] flow_flags;         // FLOW_FLAGS
    input wire [31:0] interest;           // FLOW_INTEREST
    input wire key_outside_mask;          // KEY & ~MASK != 0 on some word
    input wire src_valid;                 // flow slot INDEX is valid
    input wire dst_valid;                 // flow slot CMD_ARG is valid
    input wire probe_busy;
    output reg [7:0] reason;

    wire [31:0] idx = {{(32-CMD_INDEX_W){1'b0}}, index};
    wire [VW-1:0] verdict = action[ACTION_VERDICT_LSB +: VW];
    wire [31:0] channel = {{(32-ACTION_CHANNEL_W){1'b0}}, action[ACTION_CHANNEL_LSB +: ACTION_CHANNEL_W]};
    wire action_bad = (action & ~ACTION_OK) != 32'd0
        || (verdict != VERDICT_DELIVER[VW-1:0] && verdict != VERDICT_DROP[VW-1:0]
            && verdict != VERDICT_SLOW_PATH[VW-1:0])
        || (verdict == VERDICT_DELIVER[VW-1:0] && channel >= CHANNELS);
    // FLOW_INTEREST: a defined MODE, nothing outside MODE/PERIOD, a PERIOD for SAMPLE.
    localparam [31:0] INTEREST_OK =
        ((32'd1 << FLOW_INTEREST_MODE_W) - 32'd1) << FLOW_INTEREST_MODE_LSB
      | ((32'd1 << FLOW_INTEREST_PERIOD_W) - 32'd1) << FLOW_INTEREST_PERIOD_LSB;
    wire [FLOW_INTEREST_MODE_W-1:0] imode = interest[FLOW_INTEREST_MODE_LSB +: FLOW_INTEREST_MODE_W];
    wire interest_bad = (interest & ~INTEREST_OK) != 32'd0
        || imode > INTEREST_MODE_SAMPLE[FLOW_INTEREST_MODE_W-1:0]
        || (imode == INTEREST_MODE_SAMPLE[FLOW_INTEREST_MODE_W-1:0]
            && interest[FLOW_INTEREST_PERIOD_LSB +: FLOW_INTEREST_PERIOD_W] == 16'd0);
    wire range_bad = sport[SPORT_RANGE_LO_LSB +: SPORT_RANGE_LO_W] > sport[SPORT_RANGE_HI_LSB +: SPORT_RANGE_HI_W]
        || dport[DPORT_RANGE_LO_LSB +: DPORT_RANGE_LO_W] > dport[DPORT_RANGE_HI_LSB +: DPORT_RANGE_HI_W];

    reg [31:0] space_size;
    always @* begin
        if (arg == {24'd0, COUNTER_SPACE_TCAM}) space_size = TCAM_ENTRIES;
        else if (arg == {24'd0, COUNTER_SPACE_FLOW}) space_size = FLOW_SLOTS;
        else if (arg == {24'd0, COUNTER_SPACE_CHANNEL}) space_size = CHANNELS;
        else space_size = GLOBALS;
    end

    always @* begin
        reason = REASON_CODE_NONE;
        case (opcode)
            OPCODE_TCAM_WRITE: begin
                if (idx >= TCAM_ENTRIES) reason = REASON_CODE_BAD_INDEX;
                else if ((planes & ~PLANES_OK) != 32'd0 || (key_meta & ~META_OK) != 32'd0
                         || (mask_meta & ~META_OK) != 32'd0) reason = REASON_CODE_BAD_FLAGS;
                else if (action_bad) reason = REASON_CODE_BAD_ACTION;
                else if (range_bad) reason = REASON_CODE_BAD_RANGE;
                else if (key_outside_mask) reason = REASON_CODE_VALUE_OUTSIDE_MASK;
            end
            OPCODE_TCAM_READ: begin
                if (idx >= TCAM_ENTRIES) reason = REASON_CODE_BAD_INDEX;
            end
            OPCODE_TCAM_SET_PLANES: begin
                if (idx >= TCAM_ENTRIES) reason = REASON_CODE_BAD_INDEX;
                else if ((planes & ~PLANES_OK) != 32'd0) reason = REASON_CODE_BAD_FLAGS;
            end
            OPCODE_COMMIT: ;
            OPCODE_FLOW_WRITE: begin
                if (idx >= FLOW_SLOTS) reason = REASON_CODE_BAD_INDEX;
                else if ((flow_flags & ~FLAGS_OK) != 32'd0 || (key_meta & ~META_OK) != 32'd0
                         || interest_bad)
                    reason = REASON_CODE_BAD_FLAGS;
                else if (action_bad) reason = REASON_CODE_BAD_ACTION;
            end
            OPCODE_FLOW_READ, OPCODE_FLOW_CLEAR, OPCODE_FLOW_TOUCH: begin
                if (idx >= FLOW_SLOTS) reason = REASON_CODE_BAD_INDEX;
            end
            OPCODE_FLOW_SET_INTEREST: begin
                if (idx >= FLOW_SLOTS) reason = REASON_CODE_BAD_INDEX;
                else if (interest_bad) reason = REASON_CODE_BAD_FLAGS;
            end
            OPCODE_FLOW_MOVE: begin
                if (idx >= FLOW_SLOTS || arg >= FLOW_SLOTS) reason = REASON_CODE_BAD_INDEX;
                else if (!src_valid || dst_valid) reason = REASON_CODE_MOVE_CONFLICT;
            end
            OPCODE_LOCAL_WRITE: begin
                if (idx >= LOCAL_ENTRIES) reason = REASON_CODE_BAD_INDEX;
            end
            OPCODE_CNT_READ, OPCODE_CNT_CLEAR: begin
                if (arg > {24'd0, COUNTER_SPACE_GLOBAL} || idx >= space_size)
                    reason = REASON_CODE_BAD_INDEX;
            end
            OPCODE_PROBE: begin
                if (probe_busy) reason = REASON_CODE_PROBE_BUSY;
            end
            default: reason = REASON_CODE_BAD_OPCODE;
        endcase
    end
endmodule
