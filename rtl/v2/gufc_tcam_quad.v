// gufc_tcam_quad — one register stage between the rule stage's shared signals and up to four
// banks, so that the key, the row data and the control cross the chip once per quad (fanout 4)
// and then once per bank (fanout 4 again), not once to all N entries.
//
// Everything presented before edge t leaves after edge t, one edge later than without the quad;
// key, writes, plane bits and `clr` are delayed alike, so the banks' contract is unchanged. The
// quad also decodes which of its banks a write addresses (after its register: a local path).
(* keep_hierarchy *)
module gufc_tcam_quad #(
    parameter integer BANKS = 4,     // banks behind this quad, 1..4
    parameter integer FIRST = 0,     // global number of the first of them
    parameter integer GW = 4,        // width of the global group number
    parameter integer IW = 6,        // width of the global entry index
    parameter integer GPB = 16,      // 4-entry groups per bank
    parameter integer BANK = 64,     // entries per bank
    parameter integer KP = 132
) (clk, clr, key, plane, wr_en, wr_group, wr_addr, wr_data, pl_en, pl_index, pl_planes,
   q_clr, q_key, q_plane, q_wr_en, q_wr_group, q_wr_addr, q_wr_data, q_pl_en, q_pl_index,
   q_pl_planes);
    input wire clk;
    input wire clr;
    input wire [KP-1:0] key;
    input wire plane;
    input wire wr_en;
    input wire [GW-1:0] wr_group;
    input wire [3:0] wr_addr;
    input wire [KP-1:0] wr_data;
    input wire pl_en;
    input wire [IW-1:0] pl_index;
    input wire [1:0] pl_planes;
    output reg q_clr;
    output reg [KP-1:0] q_key;
    output reg q_plane;
    output wire [BANKS-1:0] q_wr_en;          // per bank
    output reg [GW-1:0] q_wr_group;
    output reg [3:0] q_wr_addr;
    output reg [KP-1:0] q_wr_data;
    output wire [BANKS-1:0] q_pl_en;          // per bank
    output reg [IW-1:0] q_pl_index;
    output reg [1:0] q_pl_planes;

    reg wr_en_q, pl_en_q;
    always @(posedge clk) begin
        q_clr <= clr;
        q_key <= key;
        q_plane <= plane;
        wr_en_q <= wr_en;
        q_wr_group <= wr_group;
        q_wr_addr <= wr_addr;
        q_wr_data <= wr_data;
        pl_en_q <= pl_en;
        q_pl_index <= pl_index;
        q_pl_planes <= pl_planes;
    end

    genvar b;
    generate
        for (b = 0; b < BANKS; b = b + 1) begin : sel
            assign q_wr_en[b] = wr_en_q && {{(32-GW){1'b0}}, q_wr_group} / GPB == FIRST + b;
            assign q_pl_en[b] = pl_en_q && {{(32-IW){1'b0}}, q_pl_index} / BANK == FIRST + b;
        end
    endgenerate
endmodule
