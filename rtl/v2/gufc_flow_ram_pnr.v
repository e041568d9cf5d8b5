// gufc_flow_ram_pnr — gufc_flow_ram between registers, for place and route only
// (scripts/rtl-pnr --top flow): every port registered here so that nextpnr times the cache's
// own paths, not paths to pins. Nothing here is a functional contract.
module gufc_flow_ram_pnr #(
    parameter integer BUCKETS = 1024,
    parameter integer WAYS = 4,
    parameter integer KEY_BITS = 104
) (clk, clr, epoch, in_valid, in_key, res_valid, res_hit, res_slot, res_current, res_action,
   res_interest, cmd_valid, cmd_ready, cmd_op, cmd_slot, cmd_arg, cmd_key, cmd_action, cmd_pinned,
   cmd_interest, rd_valid, rd_slot_valid, rd_key, rd_action, rd_pinned, rd_epoch, rd_interest,
   rd_hit, rd_last_hit, mv_valid, mv_ok, upd_en, upd_slot, upd_cycle);
    localparam integer SW = $clog2(BUCKETS) + $clog2(WAYS);
    localparam integer IB = 19;

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
    output reg [IB-1:0] res_interest;
    input wire cmd_valid;
    output reg cmd_ready;
    input wire [2:0] cmd_op;
    input wire [SW-1:0] cmd_slot;
    input wire [SW-1:0] cmd_arg;
    input wire [KEY_BITS-1:0] cmd_key;
    input wire [31:0] cmd_action;
    input wire cmd_pinned;
    input wire [IB-1:0] cmd_interest;
    output reg rd_valid;
    output reg rd_slot_valid;
    output reg [KEY_BITS-1:0] rd_key;
    output reg [31:0] rd_action;
    output reg rd_pinned;
    output reg [7:0] rd_epoch;
    output reg [IB-1:0] rd_interest;
    output reg rd_hit;
    output reg [31:0] rd_last_hit;
    output reg mv_valid;
    output reg mv_ok;
    input wire upd_en;
    input wire [SW-1:0] upd_slot;
    input wire [31:0] upd_cycle;

    reg clr_q, cmd_valid_q, cmd_pinned_q, upd_en_q;
    reg [7:0] epoch_q;
    reg [2:0] cmd_op_q;
    reg [SW-1:0] cmd_slot_q, cmd_arg_q, upd_slot_q;
    reg [KEY_BITS-1:0] cmd_key_q;
    reg [31:0] cmd_action_q, upd_cycle_q;
    reg [IB-1:0] cmd_interest_q;
    always @(posedge clk) begin
        clr_q <= clr;
        epoch_q <= epoch;
        cmd_valid_q <= cmd_valid;
        cmd_op_q <= cmd_op;
        cmd_slot_q <= cmd_slot;
        cmd_arg_q <= cmd_arg;
        cmd_key_q <= cmd_key;
        cmd_action_q <= cmd_action;
        cmd_pinned_q <= cmd_pinned;
        cmd_interest_q <= cmd_interest;
        upd_en_q <= upd_en;
        upd_slot_q <= upd_slot;
        upd_cycle_q <= upd_cycle;
    end

    wire ready_w, res_valid_w, res_hit_w, res_current_w, rd_valid_w, rd_slot_valid_w, rd_pinned_w;
    wire rd_hit_w, mv_valid_w, mv_ok_w;
    wire [SW-1:0] res_slot_w;
    wire [31:0] res_action_w, rd_action_w, rd_last_hit_w;
    wire [IB-1:0] res_interest_w, rd_interest_w;
    wire [KEY_BITS-1:0] rd_key_w;
    wire [7:0] rd_epoch_w;
    gufc_flow_ram #(.BUCKETS(BUCKETS), .WAYS(WAYS), .KEY_BITS(KEY_BITS), .INT_BITS(IB)) cache (
        .clk(clk), .clr(clr_q), .epoch(epoch_q), .in_valid(in_valid), .in_key(in_key),
        .res_valid(res_valid_w), .res_hit(res_hit_w), .res_slot(res_slot_w),
        .res_current(res_current_w), .res_action(res_action_w), .res_interest(res_interest_w),
        .cmd_valid(cmd_valid_q), .cmd_ready(ready_w), .cmd_op(cmd_op_q), .cmd_slot(cmd_slot_q),
        .cmd_arg(cmd_arg_q), .cmd_key(cmd_key_q), .cmd_action(cmd_action_q),
        .cmd_pinned(cmd_pinned_q), .cmd_interest(cmd_interest_q), .rd_valid(rd_valid_w),
        .rd_slot_valid(rd_slot_valid_w), .rd_key(rd_key_w), .rd_action(rd_action_w),
        .rd_pinned(rd_pinned_w), .rd_epoch(rd_epoch_w), .rd_interest(rd_interest_w),
        .rd_hit(rd_hit_w), .rd_last_hit(rd_last_hit_w), .mv_valid(mv_valid_w), .mv_ok(mv_ok_w),
        .upd_en(upd_en_q), .upd_slot(upd_slot_q), .upd_cycle(upd_cycle_q));

    always @(posedge clk) begin
        cmd_ready <= ready_w;
        res_valid <= res_valid_w;
        res_hit <= res_hit_w;
        res_slot <= res_slot_w;
        res_current <= res_current_w;
        res_action <= res_action_w;
        res_interest <= res_interest_w;
        rd_valid <= rd_valid_w;
        rd_slot_valid <= rd_slot_valid_w;
        rd_key <= rd_key_w;
        rd_action <= rd_action_w;
        rd_pinned <= rd_pinned_w;
        rd_epoch <= rd_epoch_w;
        rd_interest <= rd_interest_w;
        rd_hit <= rd_hit_w;
        rd_last_hit <= rd_last_hit_w;
        mv_valid <= mv_valid_w;
        mv_ok <= mv_ok_w;
    end
endmodule
