// gufc_tcam_quad — one register stage between the rule stage's shared signals and up to four
// banks, so that the key, the row data and the control cross the chip once per quad (fanout 4)
// and then once per bank (fanout 4 again), not once to all N entries.
//
// Everything presented before edge t leaves after edge t, one edge later than without the quad;
// key and writes are delayed alike, so the banks' contract is unchanged. The quad also decodes
// which of its banks a write addresses (after its register: a local path); `wr_all` addresses all.
(* keep_hierarchy *)
module gufc_tcam_quad #(
    parameter integer BANKS = 4,     // banks behind this quad, 1..4
    parameter integer FIRST = 0,     // global number of the first of them
    parameter integer GW = 4,        // width of the global group number
    parameter integer GPB = 16,      // RAM groups per bank
    parameter integer KP = 128,      // key width (whole slices)
    parameter integer WP = 128,      // row data width
    parameter integer SB = 4         // slice bits (row address width)
) (clk, key, wr_en, wr_all, wr_group, wr_addr, wr_data, q_key, q_wr_en, q_wr_all, q_wr_group,
   q_wr_addr, q_wr_data);
    input wire clk;
    input wire [KP-1:0] key;
    input wire wr_en;
    input wire wr_all;
    input wire [GW-1:0] wr_group;
    input wire [SB-1:0] wr_addr;
    input wire [WP-1:0] wr_data;
    output reg [KP-1:0] q_key;
    output wire [BANKS-1:0] q_wr_en;          // per bank
    output reg q_wr_all;
    output reg [GW-1:0] q_wr_group;
    output reg [SB-1:0] q_wr_addr;
    output reg [WP-1:0] q_wr_data;

    reg wr_en_q;
    always @(posedge clk) begin
        q_key <= key;
        wr_en_q <= wr_en;
        q_wr_all <= wr_all;
        q_wr_group <= wr_group;
        q_wr_addr <= wr_addr;
        q_wr_data <= wr_data;
    end

    genvar b;
    generate
        for (b = 0; b < BANKS; b = b + 1) begin : sel
            assign q_wr_en[b] = wr_en_q && (q_wr_all || {{(32-GW){1'b0}}, q_wr_group} / GPB == FIRST + b);
        end
    endgenerate
endmodule
