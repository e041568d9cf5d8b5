// gufc_tcam_bank — BANK entries of the transposed-RAM TCAM, their match and the bank's own
// priority encoder levels.
//
// Storage: the key is cut into SLICES slices of SB bits; for every GE entries and every slice one
// 2^SB x GE RAM (async read, sync write) holds, at address a, bit j = "entry j accepts a in this
// slice". SB = 4 gives 16x4 RAMs, one ECP5 TRELLIS_DPR16X4 each; SB = 5 gives 32x2 RAMs, one LUT
// of a Xilinx RAM32M16 each (whose 8 LUTs share one write address, as the slices of a group do).
// An entry matches when every slice accepts the key's slice. The key's plane is a key bit like any
// other (gufc_tcam_update writes an entry's plane membership into the rows of the slice that holds
// it), so the bank keeps no per-entry state besides its RAMs.
//
// Timing (the bank's contract): a key presented before edge t is registered at t, its RAM read
// and partial ANDs (16 slice bits each: two LUT4 levels) at t+1, the match vector at t+2, and the
// bank's lowest matching entry (`hit`, `index`) comes out of a LB-level radix-4 encoder after
// edge t+2+LB, LB = ceil(log4 BANK): only those few bits leave the bank. The key sees exactly the
// row writes presented before edge t-1 (each is registered here at its edge and written one edge
// later, when the key it must reach is registered). `wr_all` writes the row of every group (the
// sweep after a reset). Every register that feeds the RAMs is a per-bank copy: the bank is kept as
// its own hierarchy level so synthesis does not merge the copies of all banks into one register
// driving all N entries. Inside the bank, each group registers its own write enable and address
// (gufc_copy): one shared address register drove every RAM of the bank (4 x 496 write-address
// pins at 64 entries), the most congested nets of the placed device.
(* keep_hierarchy *)
module gufc_tcam_bank #(
    parameter integer BANK = 64,     // entries, a power of two >= 8
    parameter integer SLICES = 32,
    parameter integer SB = 4         // slice bits: 4 or 5
) (clk, key, wr_en, wr_all, wr_group, wr_addr, wr_data, hit, index);
    localparam integer GE = (SB == 5) ? 2 : 4;   // entries per RAM
    localparam integer GROUPS = BANK / GE;
    localparam integer GBW = $clog2(GROUPS);
    localparam integer BW = $clog2(BANK);
    localparam integer KP = SB * SLICES;
    localparam integer WP = GE * SLICES;
    // The AND of an entry's slice bits in two registered steps: parts of up to 16 slices over all
    // but the last two, whose bits go to the second step as they are (registered). With 31 slices
    // that is 16 + 13 + 1 + 1: 5 + 4 LUT4 and a 4-input AND, 10 LUT4, the fewest a 31-input AND
    // takes (each LUT4 merges 4 signals into 1); two parts of 16 + 15 would take 11.
    localparam integer PARTS = (SLICES - 2 + 15) / 16;

    input wire clk;
    input wire [KP-1:0] key;
    input wire wr_en;                 // write RAM row wr_addr of group wr_group in every slice
    input wire wr_all;                // ... of every group
    input wire [GBW-1:0] wr_group;
    input wire [SB-1:0] wr_addr;
    input wire [WP-1:0] wr_data;      // slice s: wr_data[GE*s+j] for entry GE*wr_group+j
    output wire hit;
    output wire [BW-1:0] index;

    reg [KP-1:0] key_q;
    reg [BANK-1:0] match;
    reg [WP-1:0] wr_data_q;
    reg [BANK*PARTS-1:0] part;        // part[e*PARTS+p]: AND of entry e's slices 16p..16p+15
    reg [2*BANK-1:0] tail;            // tail[2e+i]: entry e's slice SLICES-2+i

    always @(posedge clk) begin
        key_q <= key;
        wr_data_q <= wr_data;
    end

    // col[s*BANK + e]: slice s of entry e accepts the key's slice s.
    wire [SLICES*BANK-1:0] col;
    genvar s, g, k0;
    generate
        if (SB == 5) begin : x7
            // Seven slices of a group per gufc_lutram7 (one RAM32M16); the last one of a group
            // may hold fewer (its spare RAMs read address 0 and are never written).
            localparam integer CH = (SLICES + 6) / 7;
            for (g = 0; g < GROUPS; g = g + 1) begin : gr
                wire we;
                wire [SB-1:0] wa;
                gufc_copy #(.WIDTH(1 + SB)) wq (.clk(clk),
                    .d({wr_en && (wr_all || wr_group == g), wr_addr}), .q({we, wa}));
                for (s = 0; s < CH; s = s + 1) begin : ch
                    localparam integer NS = (SLICES - 7 * s < 7) ? SLICES - 7 * s : 7;
                    wire [34:0] ra;
                    wire [13:0] wd;
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire [13:0] rd;   // the spare RAMs' outputs of a short last chunk
                    /* verilator lint_on UNUSEDSIGNAL */
                    assign ra[5*NS-1:0] = key_q[SB*7*s +: SB*NS];
                    assign wd[2*NS-1:0] = wr_data_q[GE*7*s +: GE*NS];
                    if (NS < 7) begin : spare
                        assign ra[34:5*NS] = {(35-5*NS){1'b0}};
                        assign wd[13:2*NS] = {(14-2*NS){1'b0}};
                    end
                    gufc_lutram7 ram (.clk(clk), .we(we), .waddr(wa), .wdata(wd), .raddr(ra),
                                      .rdata(rd));
                    for (k0 = 0; k0 < NS; k0 = k0 + 1) begin : o
                        assign col[(7*s + k0)*BANK + GE*g +: GE] = rd[2*k0 +: 2];
                    end
                end
            end
        end else begin : x1
            for (g = 0; g < GROUPS; g = g + 1) begin : gr
                wire we;
                wire [SB-1:0] wa;
                gufc_copy #(.WIDTH(1 + SB)) wq (.clk(clk),
                    .d({wr_en && (wr_all || wr_group == g), wr_addr}), .q({we, wa}));
                for (s = 0; s < SLICES; s = s + 1) begin : sl
                    reg [GE-1:0] ram [0:(1<<SB)-1];
                    always @(posedge clk) begin
                        if (we) ram[wa] <= wr_data_q[GE*s +: GE];
                    end
                    assign col[s*BANK + GE*g +: GE] = ram[key_q[SB*s +: SB]];
                end
            end
        end
    endgenerate

    reg [BANK*PARTS-1:0] part_d;
    reg [BANK-1:0] match_d;
    reg acc;
    integer e, p, k;
    always @* begin
        for (e = 0; e < BANK; e = e + 1) begin
            for (p = 0; p < PARTS; p = p + 1) begin
                acc = 1'b1;
                for (k = 16 * p; k < 16 * p + 16 && k < SLICES - 2; k = k + 1) acc = acc & col[k*BANK + e];
                part_d[e*PARTS + p] = acc;
            end
            match_d[e] = &{part[e*PARTS +: PARTS], tail[2*e +: 2]};
        end
    end
    always @(posedge clk) begin
        part <= part_d;
        for (e = 0; e < BANK; e = e + 1) tail[2*e +: 2] <= {col[(SLICES-1)*BANK + e], col[(SLICES-2)*BANK + e]};
        match <= match_d;
    end

    gufc_prio_enc #(.WIDTH(BANK)) enc (.clk(clk), .in(match), .sub({BANK{1'b0}}), .hit(hit), .index(index));
endmodule
