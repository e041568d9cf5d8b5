// gufc_top_pnr — gufc_top (2.0) between registers, for place and route only (scripts/rtl-pnr):
// every input is registered before the device and every output after it, packed into one vector
// each way, so that nextpnr times the device's own paths, not paths to pins (the key port alone is
// wider than the package). Nothing here is a functional contract.
module gufc_top_pnr #(
    parameter integer TCAM_ENTRIES = 1024,
    parameter integer FLOW_BUCKETS = 1024,
    parameter integer FLOW_WAYS = 4,
    parameter integer CHANNELS = 16,
    parameter integer LOCAL_ENTRIES = 8,
    parameter integer CHECKERS = 16
) (clk, ins, outs);
    // Inputs, LSB first: rst, mmio (valid, write, addr 12, wdata 32), key (valid, data 320,
    // len 16, tag 32, flags 8), res_ready.
    localparam integer NI = 1 + 46 + 377 + 1;
    // Outputs: rdata 32, key_ready, result (valid 1, verdict 2, channel 8, reason 8, kind 2,
    // stale, src_local, dst_local, index 24, len 16, tag 32).
    localparam integer NO = 32 + 1 + 96;

    input wire clk;
    input wire [NI-1:0] ins;
    output reg [NO-1:0] outs;

    reg [NI-1:0] i;
    always @(posedge clk) i <= ins;

    wire [31:0] rdata;
    wire key_ready, res_valid, res_stale, res_sl, res_dl;
    wire [1:0] res_verdict, res_kind;
    wire [7:0] res_channel, res_reason;
    wire [23:0] res_index;
    wire [15:0] res_len;
    wire [31:0] res_tag;
    gufc_top #(.TCAM_ENTRIES(TCAM_ENTRIES), .FLOW_BUCKETS(FLOW_BUCKETS), .FLOW_WAYS(FLOW_WAYS),
               .CHANNELS(CHANNELS), .LOCAL_ENTRIES(LOCAL_ENTRIES), .CHECKERS(CHECKERS)) top (
        .clk(clk), .rst(i[0]), .mmio_valid(i[1]), .mmio_write(i[2]), .mmio_addr(i[3 +: 12]),
        .mmio_wdata(i[15 +: 32]), .mmio_rdata(rdata),
        .key_valid(i[47]), .key_ready(key_ready), .key_data(i[48 +: 320]),
        .key_len(i[368 +: 16]), .key_tag(i[384 +: 32]), .key_flags(i[416 +: 8]),
        .res_valid(res_valid), .res_ready(i[424]), .res_verdict(res_verdict),
        .res_channel(res_channel), .res_reason(res_reason), .res_kind(res_kind),
        .res_stale(res_stale), .res_src_local(res_sl), .res_dst_local(res_dl),
        .res_index(res_index), .res_len(res_len), .res_tag(res_tag));

    always @(posedge clk)
        outs <= {rdata, key_ready, res_valid, res_verdict, res_channel, res_reason, res_kind,
                 res_stale, res_sl, res_dl, res_index, res_len, res_tag};
endmodule
