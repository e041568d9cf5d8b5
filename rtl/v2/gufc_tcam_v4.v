// gufc_tcam_v4 — the IPv4 rule stage of RTL 2.0 (draft): range checkers, protocol classes, the
// RAM TCAM, its update engine and the per-entry data word (action, priority) in block RAM.
//
// TCAM key (KEY_BITS = CHECKERS + 101 + FLAG_BITS), LSB first: range-checker hits [CHECKERS],
// sport 16, dport 16, the low FLAG_BITS bits of the TCP flags (6: FIN SYN RST PSH ACK URG, the
// flags iptables' --tcp-flags knows; 8: also ECE CWR), protocol class 3 (gufc_proto_class),
// dst_local, src_local, dst 32, src 32; the key's plane is one more match bit above them. With
// 16 checkers and 6 flags that is 124 match bits, 31 slices of 4 (ECP5); the 5-bit-slice build
// (Xilinx) keeps 8 flags: 126 bits in 26 slices, whose last one has 4 padding bits, so a plane
// change rewrites 2 rows there, not 32. Entries are value/mask over the key; a
// port range is either prefix bits of sport/dport or a checker hit bit, a protocol is its class.
// Among the matching entries in the key's plane the lowest index wins (the driver orders a plane's
// entries by priority; the priority is stored in the data word for read-back).
//
// Pipeline (edges after the key is accepted at edge k): k input registers; k+1 range checkers,
// protocol class and the key's plane (`active` as it is before k+1); k+2 quad copies of the key
// (gufc_tcam_quad); k+3 bank copies; k+4 RAM read and partial ANDs; k+5 match vector; then
// LB = ceil(log4 BANK) encoder levels in each bank and LG = ceil(log4 (ENTRIES/BANK)) over the
// banks; the data word read one edge later: the result is out after edge k+6+LB+LG (k+11 at 1,024
// entries, k+10 at 256, with BANK 64). One key per clock, never stalled by commands.
//
// Commands (gufc_tcam_update has the cycle counts; checker writes are op SIDE with cmd_index =
// checker, cmd_planes[0] = the plane whose version is written, cmd_range = {valid, field, hi, lo};
// protocol classes op CLASS with cmd_index = class 1..7, cmd_planes[0] = plane,
// cmd_range = {valid, 25'b0, protocol}): a command accepted at edge c is seen by keys accepted at
// c+1 or later, except that a WRITE's or PLANES's change reaches a key when the row of the plane
// slice that key reads is written (gufc_tcam_update): every key sees an entry wholly old or wholly
// new, and a rewritten entry's old data word is read by every key that matched the old entry, its
// new one by every key that matches the new. So a plane switch is atomic per packet: every key is
// looked up wholly in the old or wholly in the new plane, checkers and classes included. Nothing
// runs combinationally from the command ports beyond the registers that take the command.
module gufc_tcam_v4 #(
    parameter integer ENTRIES = 1024,   // a multiple of BANK, >= CHECKERS
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64,
    parameter integer SLICE_BITS = 4,   // 4: 16x4 RAMs (ECP5); 5: 32x2 RAMs (Xilinx RAM32M16)
    parameter integer FLAG_BITS = 6     // TCP flag bits matched: 6 or 8
) (clk, clr, in_valid, in_src, in_dst, in_src_local, in_dst_local, in_proto, in_flags, in_sport,
   in_dport, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_value, cmd_mask, cmd_planes, cmd_data,
   cmd_range, active, rd_valid, rd_value, rd_mask, rd_planes, rd_data, res_valid, res_hit,
   res_index, res_data);
    localparam integer KEY_BITS = CHECKERS + 101 + FLAG_BITS;
    localparam integer SB = SLICE_BITS;
    localparam integer GE = (SB == 5) ? 2 : 4;   // entries per RAM
    localparam integer LGE = $clog2(GE);
    localparam integer SLICES = (KEY_BITS + 1 + SB - 1) / SB;
    localparam integer WP = GE * SLICES;
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

    // k+1: checker hits, protocol class, the key's plane, and whether the reset sweep has
    // reached the RAM rows this key reads (rows_dirty: a key accepted before that misses).
    wire side_en, class_en, rows_dirty;
    wire [CHECKERS-1:0] hits;
    wire [2:0] cls;
    reg v1, plane1, live1;
    reg [113:0] f1;
    gufc_range_bank #(.CHECKERS(CHECKERS)) ranges (
        .clk(clk), .clr(clr), .plane(active), .sport(f0[15:0]), .dport(f0[31:16]), .hit(hits),
        .wr_en(side_en), .wr_index(cmd_index[CW-1:0]), .wr_plane(cmd_planes[0]),
        .wr_valid(cmd_range[33]), .wr_field(cmd_range[32]), .wr_lo(cmd_range[15:0]),
        .wr_hi(cmd_range[31:16]));
    gufc_proto_class classes (
        .clk(clk), .clr(clr), .plane(active), .proto(f0[47:40]), .cls(cls), .wr_en(class_en),
        .wr_index(cmd_index[2:0]), .wr_plane(cmd_planes[0]), .wr_valid(cmd_range[33]),
        .wr_proto(cmd_range[7:0]));
    always @(posedge clk) begin
        v1 <= v0 && !clr;
        plane1 <= active;
        live1 <= !rows_dirty;
        f1 <= f0;
    end
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] unmatched = f1[47:32];   // the protocol (matched as its class) and the flags
    /* verilator lint_on UNUSEDSIGNAL */

    // k+2 .. k+4+L: the TCAM.
    wire ram_we, ram_all, dat_we;
    wire [IW-LGE-1:0] ram_group;
    wire [SB-1:0] ram_addr;
    wire [WP-1:0] ram_data;
    wire [IW-1:0] dat_index;
    wire [DATA_BITS-1:0] dat_data;
    gufc_tcam_update #(.ENTRIES(ENTRIES), .KEY_BITS(KEY_BITS), .DATA_BITS(DATA_BITS), .SB(SB)) update (
        .clk(clk), .clr(clr), .cmd_valid(cmd_valid), .cmd_ready(cmd_ready), .cmd_op(cmd_op),
        .cmd_index(cmd_index), .cmd_value(cmd_value), .cmd_mask(cmd_mask), .cmd_planes(cmd_planes),
        .cmd_data(cmd_data), .side_en(side_en), .class_en(class_en), .active(active),
        .rows_dirty(rows_dirty), .ram_we(ram_we), .ram_all(ram_all), .ram_group(ram_group),
        .ram_addr(ram_addr), .ram_data(ram_data), .dat_we(dat_we), .dat_index(dat_index),
        .dat_data(dat_data), .rd_valid(rd_valid), .rd_value(rd_value), .rd_mask(rd_mask),
        .rd_planes(rd_planes), .rd_data(rd_data));

    wire t_valid, t_hit;
    wire [IW-1:0] t_index;
    gufc_tcam_ram #(.ENTRIES(ENTRIES), .KEY_BITS(KEY_BITS + 1), .BANK(BANK), .SB(SB)) tcam (
        .clk(clk), .clr(clr), .key_valid(v1), .key_live(live1),
        .key({plane1, f1[113:48], cls, f1[32 +: FLAG_BITS], f1[31:0], hits}), .wr_en(ram_we), .wr_all(ram_all),
        .wr_group(ram_group), .wr_addr(ram_addr), .wr_data(ram_data),
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
