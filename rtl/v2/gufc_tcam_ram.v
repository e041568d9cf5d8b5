// gufc_tcam_ram — a ternary match table in distributed RAM: ENTRIES entries over a KEY_BITS key,
// first match (lowest index) wins, one key per clock, no path spanning all entries.
//
// Shared signals reach the ENTRIES/BANK banks through a register tree: one gufc_tcam_quad per
// four banks, then each bank's own input registers. A bank (gufc_tcam_bank: transposed 16x4
// RAMs, two pipelined AND steps, its own encoder levels) sends only its lowest matching entry to
// a pipelined radix-4 encoder over the banks (gufc_prio_enc). The RAMs are written one row at a
// time through wr_* (all slices of 4 entries at once; an entry needs 16 rows, see
// gufc_tcam_update) and the plane bits through pl_* (one edge).
//
// Timing: a key presented before edge t (with key_valid) comes out as out_valid/hit/index after
// edge t+LATENCY-1, LATENCY = 4 + LB + LG, LB = ceil(log4 BANK) levels in the bank and
// LG = ceil(log4 (ENTRIES/BANK)) over the banks (0 with one bank): 9 at 1,024 entries. It sees
// exactly the RAM and plane writes presented before edge t-1. `clr` drops the keys in flight and
// takes every entry out of both planes (for keys presented after the clr edge).
module gufc_tcam_ram #(
    parameter integer ENTRIES = 1024,   // a multiple of BANK
    parameter integer KEY_BITS = 130,
    parameter integer BANK = 64         // entries per bank (a power of two >= 8)
) (clk, clr, key_valid, key, plane, wr_en, wr_group, wr_addr, wr_data, pl_en, pl_index, pl_planes,
   out_valid, hit, index);
    localparam integer SLICES = (KEY_BITS + 3) / 4;
    localparam integer KP = 4 * SLICES;
    localparam integer BANKS = ENTRIES / BANK;
    localparam integer QUADS = (BANKS + 3) / 4;
    localparam integer IW = $clog2(ENTRIES);
    localparam integer GPB = BANK / 4;            // 4-entry groups per bank
    localparam integer GBW = $clog2(GPB);
    localparam integer BW = $clog2(BANK);
    localparam integer LB = (BW + 1) / 2;
    localparam integer LG = (BANKS > 1) ? ($clog2(BANKS) + 1) / 2 : 0;
    localparam integer LATENCY = 4 + LB + LG;

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
    wire [BANKS-1:0] bank_hit;
    wire [BANKS*BW-1:0] bank_index;

    genvar q, b;
    generate
        for (q = 0; q < QUADS; q = q + 1) begin : qd
            localparam integer NB = (BANKS - 4 * q < 4) ? BANKS - 4 * q : 4;
            wire c;
            wire [KP-1:0] k;
            wire p;
            wire [NB-1:0] we, pe;
            wire [3:0] addr;
            wire [KP-1:0] data;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [IW-3:0] grp;        // the bank number in these two is decoded into `we`, `pe`
            wire [IW-1:0] pidx;
            /* verilator lint_on UNUSEDSIGNAL */
            wire [1:0] planes;
            gufc_tcam_quad #(.BANKS(NB), .FIRST(4 * q), .GW(IW - 2), .IW(IW), .GPB(GPB), .BANK(BANK),
                             .KP(KP)) quad (
                .clk(clk), .clr(clr), .key(key_p), .plane(plane), .wr_en(wr_en), .wr_group(wr_group),
                .wr_addr(wr_addr), .wr_data(wr_data), .pl_en(pl_en), .pl_index(pl_index),
                .pl_planes(pl_planes), .q_clr(c), .q_key(k), .q_plane(p), .q_wr_en(we),
                .q_wr_group(grp), .q_wr_addr(addr), .q_wr_data(data), .q_pl_en(pe),
                .q_pl_index(pidx), .q_pl_planes(planes));
            for (b = 0; b < NB; b = b + 1) begin : bk
                gufc_tcam_bank #(.BANK(BANK), .SLICES(SLICES)) bank (
                    .clk(clk), .clr(c), .key(k), .plane(p), .wr_en(we[b]), .wr_group(grp[GBW-1:0]),
                    .wr_addr(addr), .wr_data(data), .pl_en(pe[b]), .pl_index(pidx[BW-1:0]),
                    .pl_planes(planes), .hit(bank_hit[4*q + b]),
                    .index(bank_index[(4*q + b)*BW +: BW]));
            end
        end
        if (BANKS > 1) begin : merge
            wire [IW-BW-1:0] top;
            wire [BW-1:0] low;
            gufc_prio_enc #(.WIDTH(BANKS), .SUB(BW)) enc (
                .clk(clk), .in(bank_hit), .sub(bank_index), .hit(hit), .index({top, low}));
            assign index = {top, low};
        end else begin : single
            assign hit = bank_hit[0];
            assign index = bank_index;
        end
    endgenerate

    reg [LATENCY-1:0] valid;
    always @(posedge clk) valid <= clr ? {LATENCY{1'b0}} : {valid[LATENCY-2:0], key_valid};
    assign out_valid = valid[LATENCY-1];
endmodule
