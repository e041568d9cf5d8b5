// gufc_tcam_ram — a ternary match table in distributed RAM: ENTRIES entries over a KEY_BITS key,
// first match (lowest index) wins, one key per clock, no path spanning all entries.
//
// ENTRIES/BANK banks (gufc_tcam_bank: transposed 16x4 RAMs, per-bank key copies, two pipelined
// AND steps) feed a pipelined radix-4 priority encoder (gufc_prio_enc). The RAMs are written one
// row at a time through wr_* (all slices of 4 entries at once; an entry needs 16 rows, see
// gufc_tcam_update) and the plane bits through pl_* (one edge).
//
// Timing: a key presented before edge t (with key_valid) comes out as out_valid/hit/index after
// edge t+LATENCY-1, LATENCY = 3 + ceil(log4 ENTRIES); it sees exactly the RAM and plane writes
// presented before edge t. `clr` drops the keys in flight and takes every entry out of both planes.
module gufc_tcam_ram #(
    parameter integer ENTRIES = 1024,   // a multiple of BANK
    parameter integer KEY_BITS = 130,
    parameter integer BANK = 64         // entries per bank (a power of two >= 8)
) (clk, clr, key_valid, key, plane, wr_en, wr_group, wr_addr, wr_data, pl_en, pl_index, pl_planes,
   out_valid, hit, index);
    localparam integer SLICES = (KEY_BITS + 3) / 4;
    localparam integer KP = 4 * SLICES;
    localparam integer BANKS = ENTRIES / BANK;
    localparam integer IW = $clog2(ENTRIES);
    localparam integer GPB = BANK / 4;            // 4-entry groups per bank
    localparam integer GBW = $clog2(GPB);
    localparam integer BW = $clog2(BANK);
    localparam integer LATENCY = 3 + (IW + 1) / 2;

    input wire clk;
    input wire clr;
    input wire key_valid;
    input wire [KEY_BITS-1:0] key;
    input wire plane;                 // the plane this key is looked up in
    input wire wr_en;
    input wire [IW-3:0] wr_group;     // entries 4*wr_group .. 4*wr_group+3
    input wire [3:0] wr_addr;
    input wire [KP-1:0] wr_data;
    input wire pl_en;
    input wire [IW-1:0] pl_index;
    input wire [1:0] pl_planes;
    output wire out_valid;
    output wire hit;
    output wire [IW-1:0] index;

    wire [KP-1:0] key_p;              // zero-padded to whole slices
    assign key_p[KEY_BITS-1:0] = key;
    generate
        if (KP > KEY_BITS) begin : pad
            assign key_p[KP-1:KEY_BITS] = {(KP-KEY_BITS){1'b0}};
        end
    endgenerate
    wire [ENTRIES-1:0] match;

    genvar b;
    generate
        for (b = 0; b < BANKS; b = b + 1) begin : bk
            gufc_tcam_bank #(.BANK(BANK), .SLICES(SLICES)) bank (
                .clk(clk), .clr(clr), .key(key_p), .plane(plane),
                .wr_en(wr_en && {{(32-(IW-2)){1'b0}}, wr_group} / GPB == b), .wr_group(wr_group[GBW-1:0]), .wr_addr(wr_addr),
                .wr_data(wr_data),
                .pl_en(pl_en && {{(32-IW){1'b0}}, pl_index} / BANK == b), .pl_index(pl_index[BW-1:0]), .pl_planes(pl_planes),
                .match(match[b*BANK +: BANK]));
        end
    endgenerate

    gufc_prio_enc #(.WIDTH(ENTRIES)) enc (.clk(clk), .in(match), .hit(hit), .index(index));

    reg [LATENCY-1:0] valid;
    always @(posedge clk) valid <= clr ? {LATENCY{1'b0}} : {valid[LATENCY-2:0], key_valid};
    assign out_valid = valid[LATENCY-1];
endmodule
