// gufc_tcam_ram — a ternary match table in distributed RAM: ENTRIES entries over a KEY_BITS key,
// first match (lowest index) wins, one key per clock, no path spanning all entries.
//
// Shared signals reach the ENTRIES/BANK banks through a register tree: one gufc_tcam_quad per
// four banks, then each bank's own input registers. A bank (gufc_tcam_bank: transposed 2^SB x GE
// RAMs, two pipelined AND steps, its own encoder levels) sends only its lowest matching entry to
// a pipelined radix-4 encoder over the banks (gufc_prio_enc). The RAMs are written one row at a
// time through wr_* (all slices of GE entries at once, or of every group with wr_all; an entry
// needs 2^SB rows, see gufc_tcam_update). SB = 4 (GE = 4) suits ECP5's 16x4 RAM, SB = 5 (GE = 2)
// a Xilinx RAM32M16.
//
// Timing: a key presented before edge t (with key_valid) comes out as out_valid/hit/index after
// edge t+LATENCY-1, LATENCY = 4 + LB + LG, LB = ceil(log4 BANK) levels in the bank and
// LG = ceil(log4 (ENTRIES/BANK)) over the banks (0 with one bank): 9 at 1,024 entries. It sees
// exactly the row writes presented before edge t-1; a key presented with key_live 0 misses
// whatever the RAMs hold (the rule stage's keys while the reset sweep has not reached them).
// `clr` drops the keys in flight; the RAMs are not cleared.
module gufc_tcam_ram #(
    parameter integer ENTRIES = 1024,   // a multiple of BANK
    parameter integer KEY_BITS = 126,
    parameter integer BANK = 64,        // entries per bank (a power of two >= 8)
    parameter integer SB = 4            // slice bits: 4 or 5
) (clk, clr, key_valid, key_live, key, wr_en, wr_all, wr_group, wr_addr, wr_data, out_valid, hit,
   index);
    localparam integer GE = (SB == 5) ? 2 : 4;   // entries per RAM
    localparam integer LGE = $clog2(GE);
    localparam integer SLICES = (KEY_BITS + SB - 1) / SB;
    localparam integer KP = SB * SLICES;
    localparam integer WP = GE * SLICES;
    localparam integer BANKS = ENTRIES / BANK;
    localparam integer QUADS = (BANKS + 3) / 4;
    localparam integer IW = $clog2(ENTRIES);
    localparam integer GPB = BANK / GE;           // RAM groups per bank
    localparam integer GBW = $clog2(GPB);
    localparam integer BW = $clog2(BANK);
    localparam integer LB = (BW + 1) / 2;
    localparam integer LG = (BANKS > 1) ? ($clog2(BANKS) + 1) / 2 : 0;
    localparam integer LATENCY = 4 + LB + LG;

    input wire clk;
    input wire clr;
    input wire key_valid;
    input wire key_live;
    input wire [KEY_BITS-1:0] key;
    input wire wr_en;
    input wire wr_all;
    input wire [IW-LGE-1:0] wr_group; // entries GE*wr_group .. GE*wr_group+GE-1
    input wire [SB-1:0] wr_addr;
    input wire [WP-1:0] wr_data;
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
    wire t_hit;
    wire [BANKS*BW-1:0] bank_index;

    genvar q, b;
    generate
        for (q = 0; q < QUADS; q = q + 1) begin : qd
            localparam integer NB = (BANKS - 4 * q < 4) ? BANKS - 4 * q : 4;
            wire [KP-1:0] k;
            wire [NB-1:0] we;
            wire all;
            wire [SB-1:0] addr;
            wire [WP-1:0] data;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [IW-LGE-1:0] grp;    // the bank number in it is decoded into `we`
            /* verilator lint_on UNUSEDSIGNAL */
            gufc_tcam_quad #(.BANKS(NB), .FIRST(4 * q), .GW(IW - LGE), .GPB(GPB), .KP(KP), .WP(WP),
                             .SB(SB)) quad (
                .clk(clk), .key(key_p), .wr_en(wr_en), .wr_all(wr_all), .wr_group(wr_group),
                .wr_addr(wr_addr), .wr_data(wr_data), .q_key(k), .q_wr_en(we), .q_wr_all(all),
                .q_wr_group(grp), .q_wr_addr(addr), .q_wr_data(data));
            for (b = 0; b < NB; b = b + 1) begin : bk
                gufc_tcam_bank #(.BANK(BANK), .SLICES(SLICES), .SB(SB)) bank (
                    .clk(clk), .key(k), .wr_en(we[b]), .wr_all(all), .wr_group(grp[GBW-1:0]),
                    .wr_addr(addr), .wr_data(data), .hit(bank_hit[4*q + b]),
                    .index(bank_index[(4*q + b)*BW +: BW]));
            end
        end
        if (BANKS > 1) begin : merge
            wire [IW-BW-1:0] top;
            wire [BW-1:0] low;
            gufc_prio_enc #(.WIDTH(BANKS), .SUB(BW)) enc (
                .clk(clk), .in(bank_hit), .sub(bank_index), .hit(t_hit), .index({top, low}));
            assign index = {top, low};
        end else begin : single
            assign t_hit = bank_hit[0];
            assign index = bank_index;
        end
    endgenerate

    reg [LATENCY-1:0] valid, live;
    always @(posedge clk) begin
        valid <= clr ? {LATENCY{1'b0}} : {valid[LATENCY-2:0], key_valid};
        live <= {live[LATENCY-2:0], key_live};
    end
    assign out_valid = valid[LATENCY-1];
    assign hit = t_hit && live[LATENCY-1];
endmodule
