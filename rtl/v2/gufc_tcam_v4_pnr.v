// gufc_tcam_v4_pnr — gufc_tcam_v4 between registers, for place and route only (scripts/rtl-pnr):
// every input and output port is registered here so that nextpnr times the stage's own paths,
// not paths to pins (the run is out of context: the key and command ports exceed the package).
// A command is offered for one cycle per cmd_valid pulse; nothing here is a functional contract.
module gufc_tcam_v4_pnr #(
    parameter integer ENTRIES = 1024,
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64,
    parameter integer SLICE_BITS = 4,
    parameter integer FLAG_BITS = 6
) (clk, clr, in_valid, in_src, in_dst, in_src_local, in_dst_local, in_proto, in_flags, in_sport,
   in_dport, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_value, cmd_mask, cmd_planes, cmd_data,
   cmd_range, active, rd_valid, rd_value, rd_mask, rd_planes, rd_data, res_valid, res_hit,
   res_index, res_data);
    localparam integer KEY_BITS = CHECKERS + 101 + FLAG_BITS;
    localparam integer IW = $clog2(ENTRIES);

    input wire clk;
    input wire clr;
    input wire in_valid;
    input wire [31:0] in_src;
    input wire [31:0] in_dst;
    input wire in_src_local;
    input wire in_dst_local;
    input wire [7:0] in_proto;
    input wire [7:0] in_flags;
    input wire [15:0] in_sport;
    input wire [15:0] in_dport;
    input wire cmd_valid;
    output reg cmd_ready;
    input wire [2:0] cmd_op;
    input wire [IW-1:0] cmd_index;
    input wire [KEY_BITS-1:0] cmd_value;
    input wire [KEY_BITS-1:0] cmd_mask;
    input wire [1:0] cmd_planes;
    input wire [47:0] cmd_data;
    input wire [33:0] cmd_range;
    output reg active;
    output reg rd_valid;
    output reg [KEY_BITS-1:0] rd_value;
    output reg [KEY_BITS-1:0] rd_mask;
    output reg [1:0] rd_planes;
    output reg [47:0] rd_data;
    output reg res_valid;
    output reg res_hit;
    output reg [IW-1:0] res_index;
    output reg [47:0] res_data;

    reg clr_q, cmd_valid_q;
    reg [2:0] cmd_op_q;
    reg [IW-1:0] cmd_index_q;
    reg [KEY_BITS-1:0] cmd_value_q, cmd_mask_q;
    reg [1:0] cmd_planes_q;
    reg [47:0] cmd_data_q;
    reg [33:0] cmd_range_q;
    always @(posedge clk) begin
        clr_q <= clr;
        cmd_valid_q <= cmd_valid;
        cmd_op_q <= cmd_op;
        cmd_index_q <= cmd_index;
        cmd_value_q <= cmd_value;
        cmd_mask_q <= cmd_mask;
        cmd_planes_q <= cmd_planes;
        cmd_data_q <= cmd_data;
        cmd_range_q <= cmd_range;
    end

    wire ready_w, active_w, rd_valid_w, res_valid_w, res_hit_w;
    wire [KEY_BITS-1:0] rd_value_w, rd_mask_w;
    wire [1:0] rd_planes_w;
    wire [47:0] rd_data_w, res_data_w;
    wire [IW-1:0] res_index_w;
    gufc_tcam_v4 #(.ENTRIES(ENTRIES), .CHECKERS(CHECKERS), .BANK(BANK), .SLICE_BITS(SLICE_BITS),
                   .FLAG_BITS(FLAG_BITS)) stage (
        .clk(clk), .clr(clr_q), .in_valid(in_valid), .in_src(in_src), .in_dst(in_dst),
        .in_src_local(in_src_local), .in_dst_local(in_dst_local), .in_proto(in_proto),
        .in_flags(in_flags), .in_sport(in_sport), .in_dport(in_dport),
        .cmd_valid(cmd_valid_q), .cmd_ready(ready_w), .cmd_op(cmd_op_q), .cmd_index(cmd_index_q),
        .cmd_value(cmd_value_q), .cmd_mask(cmd_mask_q), .cmd_planes(cmd_planes_q),
        .cmd_data(cmd_data_q), .cmd_range(cmd_range_q), .active(active_w),
        .rd_valid(rd_valid_w), .rd_value(rd_value_w), .rd_mask(rd_mask_w),
        .rd_planes(rd_planes_w), .rd_data(rd_data_w), .res_valid(res_valid_w), .res_hit(res_hit_w),
        .res_index(res_index_w), .res_data(res_data_w));

    always @(posedge clk) begin
        cmd_ready <= ready_w;
        active <= active_w;
        rd_valid <= rd_valid_w;
        rd_value <= rd_value_w;
        rd_mask <= rd_mask_w;
        rd_planes <= rd_planes_w;
        rd_data <= rd_data_w;
        res_valid <= res_valid_w;
        res_hit <= res_hit_w;
        res_index <= res_index_w;
        res_data <= res_data_w;
    end
endmodule
