// gufc_tcam_v4 — the IPv4 rule stage of RTL 2.0 (draft): range checkers, the RAM TCAM, its
// update engine and the per-entry data word (action, priority) in block RAM.
//
// TCAM key (KEY_BITS = CHECKERS + 114), LSB first: range-checker hits [CHECKERS], sport 16,
// dport 16, TCP flags 8, proto 8, dst_local, src_local, dst 32, src 32. Entries are value/mask
// over this key; a port range is either prefix bits of sport/dport or a checker hit bit.
// Among the matching entries in the key's plane the lowest index wins (the driver orders a
// plane's entries by priority; the priority is stored in the data word for read-back).
//
// Pipeline (edges after the key is accepted at edge k): k input registers; k+1 range checkers
// and the key's plane (`active` as it is before k+1); k+2 quad copies of the key (gufc_tcam_quad);
// k+3 bank copies; k+4 RAM read and partial ANDs; k+5 match vector; then LB = ceil(log4 BANK)
// encoder levels in each bank and LG = ceil(log4 (ENTRIES/BANK)) over the banks; the data word
// read one edge later: the result is out after edge k+6+LB+LG (k+11 at 1,024 entries, k+10 at
// 256, with BANK 64). One key per clock, never stalled by commands.
//
// Commands (gufc_tcam_update; checker writes are op SIDE with cmd_index = checker,
// cmd_planes[0] = the plane whose version is written, cmd_range = {valid, field, hi, lo}): a
// command accepted at edge c is seen by every key accepted at edge c+1 or later and by none
// accepted before; a WRITE's entry matches no key accepted at c+1 .. c+22 and its new content
// from c+23 on (its old data word is read by every key that matched the old entry, its new one by
// every key that matches the new). So a plane switch is atomic per packet: every key is looked up
// wholly in the old or wholly in the new plane, checkers included. Nothing runs combinationally
// from the command ports beyond the registers that take the command.
module gufc_tcam_v4 #(
    parameter integer ENTRIES = 1024,   // a multiple of BANK, >= CHECKERS
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64
) (clk, clr, in_valid, in_src, in_dst, in_src_local, in_dst_local, in_proto, in_flags, in_sport,
   in_dport, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_value, cmd_mask, cmd_planes, cmd_data,
   cmd_range, active, rd_valid, rd_value, rd_mask, rd_planes, rd_data, res_valid, res_hit,
   res_index, res_data);
    localparam integer KEY_BITS = CHECKERS + 114;
    localparam integer SLICES = (KEY_BITS + 3) / 4;
    localparam integer KP = 4 * SLICES;
    localparam integer IW = $clog2(ENTRIES);
    localparam integer CW = (CHECKERS > 1) ? $clog2(CHECKERS) : 1;
    localparam integer DATA_BITS = 48;   // {prio[15:0], action[31:0]}

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
    output wire cmd_ready;
    input wire [2:0] cmd_op;
    input wire [IW-1:0] cmd_index;
    input wire [KEY_BITS-1:0] cmd_value;
    input wire [KEY_BITS-1:0] cmd_mask;
    input wire [1:0] cmd_planes;
    input wire [DATA_BITS-1:0] cmd_data;
    input wire [33:0] cmd_range;
    output wire active;
    output wire rd_valid;
    output wire [KEY_BITS-1:0] rd_value;
    output wire [KEY_BITS-1:0] rd_mask;
    output wire [1:0] rd_planes;
    output wire [DATA_BITS-1:0] rd_data;
    output reg res_valid;
    output reg res_hit;
    output reg [IW-1:0] res_index;
    output wire [DATA_BITS-1:0] res_data;

    // k: input registers.
    reg v0;
    reg [113:0] f0;   // the key without the checker hits
    always @(posedge clk) begin
        v0 <= in_valid && !clr;
        f0 <= {in_src, in_dst, in_src_local, in_dst_local, in_proto, in_flags, in_dport, in_sport};
    end

    // k+1: checker hits and the key's plane.
    wire side_en;
    wire [CHECKERS-1:0] hits;
    reg v1;
    reg plane1;
    reg [113:0] f1;
    gufc_range_bank #(.CHECKERS(CHECKERS)) ranges (
        .clk(clk), .clr(clr), .plane(active), .sport(f0[15:0]), .dport(f0[31:16]), .hit(hits),
        .wr_en(side_en), .wr_index(cmd_index[CW-1:0]), .wr_plane(cmd_planes[0]),
        .wr_valid(cmd_range[33]), .wr_field(cmd_range[32]), .wr_lo(cmd_range[15:0]),
        .wr_hi(cmd_range[31:16]));
    always @(posedge clk) begin
        v1 <= v0 && !clr;
        plane1 <= active;
        f1 <= f0;
    end

    // k+2 .. k+4+L: the TCAM.
    wire ram_we, pl_en, dat_we;
    wire [IW-3:0] ram_group;
    wire [3:0] ram_addr;
    wire [KP-1:0] ram_data;
    wire [IW-1:0] pl_index, dat_index;
    wire [1:0] pl_planes;
    wire [DATA_BITS-1:0] dat_data;
    gufc_tcam_update #(.ENTRIES(ENTRIES), .KEY_BITS(KEY_BITS), .DATA_BITS(DATA_BITS)) update (
        .clk(clk), .clr(clr), .cmd_valid(cmd_valid), .cmd_ready(cmd_ready), .cmd_op(cmd_op),
        .cmd_index(cmd_index), .cmd_value(cmd_value), .cmd_mask(cmd_mask), .cmd_planes(cmd_planes),
        .cmd_data(cmd_data), .side_en(side_en), .active(active), .ram_we(ram_we),
        .ram_group(ram_group), .ram_addr(ram_addr), .ram_data(ram_data), .pl_en(pl_en),
        .pl_index(pl_index), .pl_planes(pl_planes), .dat_we(dat_we), .dat_index(dat_index),
        .dat_data(dat_data), .rd_valid(rd_valid), .rd_value(rd_value), .rd_mask(rd_mask),
        .rd_planes(rd_planes), .rd_data(rd_data));

    wire t_valid, t_hit;
    wire [IW-1:0] t_index;
    gufc_tcam_ram #(.ENTRIES(ENTRIES), .KEY_BITS(KEY_BITS), .BANK(BANK)) tcam (
        .clk(clk), .clr(clr), .key_valid(v1), .key({f1, hits}), .plane(plane1),
        .wr_en(ram_we), .wr_group(ram_group), .wr_addr(ram_addr), .wr_data(ram_data),
        .pl_en(pl_en), .pl_index(pl_index), .pl_planes(pl_planes),
        .out_valid(t_valid), .hit(t_hit), .index(t_index));

    // k+5+L: the winner's data word (block RAM, written by WRITE's last step).
    reg [DATA_BITS-1:0] data [0:ENTRIES-1];
    reg [DATA_BITS-1:0] data_q;
    always @(posedge clk) begin
        if (dat_we) data[dat_index] <= dat_data;
        data_q <= data[t_index];
        // Outputs are 0 unless they carry a result (no bit is left to the pipeline's leftovers).
        res_valid <= t_valid && !clr;
        res_hit <= t_valid && t_hit && !clr;
        res_index <= (t_valid && t_hit && !clr) ? t_index : {IW{1'b0}};
    end
    assign res_data = res_hit ? data_q : {DATA_BITS{1'b0}};
endmodule
