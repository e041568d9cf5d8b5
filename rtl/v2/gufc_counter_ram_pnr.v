// gufc_counter_ram_pnr — gufc_counter_ram between registers, for place and route only
// (scripts/rtl-pnr --top counters): every port registered here so that nextpnr times the
// counters' own paths, not paths to pins. Nothing here is a functional contract.
module gufc_counter_ram_pnr #(
    parameter integer DEPTH = 4096
) (clk, clr, inc_en, inc_index, inc_len, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_pkts,
   cmd_bytes, rd_valid, rd_pkts, rd_bytes, cnt_valid, cnt_index, cnt_pkts, cnt_bytes);
    localparam integer IW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    input wire clk;
    input wire clr;
    input wire inc_en;
    input wire [IW-1:0] inc_index;
    input wire [15:0] inc_len;
    input wire cmd_valid;
    output reg cmd_ready;
    input wire [1:0] cmd_op;
    input wire [IW-1:0] cmd_index;
    input wire [63:0] cmd_pkts;
    input wire [63:0] cmd_bytes;
    output reg rd_valid;
    output reg [63:0] rd_pkts;
    output reg [63:0] rd_bytes;
    output reg cnt_valid;
    output reg [IW-1:0] cnt_index;
    output reg [63:0] cnt_pkts;
    output reg [63:0] cnt_bytes;

    reg clr_q, inc_en_q, cmd_valid_q;
    reg [1:0] cmd_op_q;
    reg [63:0] cmd_pkts_q, cmd_bytes_q;
    reg [IW-1:0] inc_index_q, cmd_index_q;
    reg [15:0] inc_len_q;
    always @(posedge clk) begin
        clr_q <= clr;
        inc_en_q <= inc_en;
        inc_index_q <= inc_index;
        inc_len_q <= inc_len;
        cmd_valid_q <= cmd_valid;
        cmd_op_q <= cmd_op;
        cmd_index_q <= cmd_index;
        cmd_pkts_q <= cmd_pkts;
        cmd_bytes_q <= cmd_bytes;
    end

    wire ready_w, rd_valid_w, cnt_valid_w;
    wire [63:0] rd_pkts_w, rd_bytes_w, cnt_pkts_w, cnt_bytes_w;
    wire [IW-1:0] cnt_index_w;
    gufc_counter_ram #(.DEPTH(DEPTH), .LEN_BITS(16)) counters (
        .clk(clk), .clr(clr_q), .inc_en(inc_en_q), .inc_index(inc_index_q), .inc_len(inc_len_q),
        .cmd_valid(cmd_valid_q), .cmd_ready(ready_w), .cmd_op(cmd_op_q), .cmd_index(cmd_index_q),
        .cmd_pkts(cmd_pkts_q), .cmd_bytes(cmd_bytes_q),
        .rd_valid(rd_valid_w), .rd_pkts(rd_pkts_w), .rd_bytes(rd_bytes_w),
        .cnt_valid(cnt_valid_w), .cnt_index(cnt_index_w), .cnt_pkts(cnt_pkts_w),
        .cnt_bytes(cnt_bytes_w));

    always @(posedge clk) begin
        cmd_ready <= ready_w;
        rd_valid <= rd_valid_w;
        rd_pkts <= rd_pkts_w;
        rd_bytes <= rd_bytes_w;
        cnt_valid <= cnt_valid_w;
        cnt_index <= cnt_index_w;
        cnt_pkts <= cnt_pkts_w;
        cnt_bytes <= cnt_bytes_w;
    end
endmodule
