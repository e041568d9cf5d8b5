// gufc_tcam_bank — BANK entries of the transposed-RAM TCAM, their match and the bank's own
// priority encoder levels.
//
// Storage: the key is cut into SLICES 4-bit slices; for every 4 entries and every slice one 16x4
// RAM (async read, sync write: one ECP5 TRELLIS_DPR16X4) holds, at address a, bit j = "entry j's
// value/mask accepts a in this slice". Reading every slice RAM at the key's slice gives each
// entry's per-slice match bits; the entry matches when all are 1 and it is in the key's plane.
// The plane bits (two per entry) are flip-flops: TCAM_SET_PLANES and reset take one edge.
//
// Timing (the bank's contract): a key presented before edge t is registered at t, its RAM read
// and partial ANDs (16 slice bits each: two LUT4 levels) at t+1, the match vector at t+2, and the
// bank's lowest matching entry (`hit`, `index`) comes out of a LB-level radix-4 encoder after
// edge t+2+LB, LB = ceil(log4 BANK): only those few bits leave the bank. The key sees exactly the
// RAM and plane writes presented before edge t-1 (each is registered here at its edge and applied
// one edge later, when the key it must reach is registered). `clr` is registered here too (one copy per bank, not one net to all N
// entries): presented before edge r, it empties the planes at edge r+1; keys in flight are the
// owner's to drop. Every register that feeds the RAMs is a per-bank copy: the bank is kept as its
// own hierarchy level so synthesis does not merge the copies of all banks into one register
// driving all N entries.
(* keep_hierarchy *)
module gufc_tcam_bank #(
    parameter integer BANK = 64,     // entries, a power of two >= 8
    parameter integer SLICES = 33
) (clk, clr, key, plane, wr_en, wr_group, wr_addr, wr_data, pl_en, pl_index, pl_planes, hit, index);
    localparam integer GROUPS = BANK / 4;
    localparam integer GBW = $clog2(GROUPS);
    localparam integer BW = $clog2(BANK);
    localparam integer KP = 4 * SLICES;
    localparam integer PARTS = (SLICES + 15) / 16;

    input wire clk;
    input wire clr;
    input wire [KP-1:0] key;
    input wire plane;
    input wire wr_en;                 // write RAM row wr_addr of group wr_group in every slice
    input wire [GBW-1:0] wr_group;
    input wire [3:0] wr_addr;
    input wire [KP-1:0] wr_data;      // slice s: wr_data[4s+j] for entry 4*wr_group+j
    input wire pl_en;
    input wire [BW-1:0] pl_index;
    input wire [1:0] pl_planes;
    output wire hit;
    output wire [BW-1:0] index;

    reg clr_q;
    reg [KP-1:0] key_q;
    reg [BANK-1:0] match;
    reg plane_q;
    reg wr_en_q;
    reg [GBW-1:0] wr_group_q;
    reg [3:0] wr_addr_q;
    reg [KP-1:0] wr_data_q;
    reg pl_en_q;
    reg [BW-1:0] pl_index_q;
    reg [1:0] pl_planes_q;
    reg [BANK-1:0] in0;               // entry is in plane 0
    reg [BANK-1:0] in1;               // entry is in plane 1
    reg [BANK*PARTS-1:0] part;        // part[e*PARTS+p]: AND of entry e's slices 16p..16p+15

    // Entry e's plane bits load when both halves of its index are selected: two small one-hot
    // decodes and one LUT per entry (a variable bit index would build shifters).
    localparam integer LO = BW / 2;
    localparam integer HI = BW - LO;
    reg [(1<<LO)-1:0] sel_lo;
    reg [(1<<HI)-1:0] sel_hi;
    integer x;
    always @* begin
        for (x = 0; x < (1 << LO); x = x + 1) sel_lo[x] = pl_index_q[LO-1:0] == x[LO-1:0];
        for (x = 0; x < (1 << HI); x = x + 1) sel_hi[x] = pl_en_q && pl_index_q[BW-1:LO] == x[HI-1:0];
    end

    always @(posedge clk) begin
        key_q <= key;
        plane_q <= plane;
        wr_group_q <= wr_group;
        wr_addr_q <= wr_addr;
        wr_data_q <= wr_data;
        pl_index_q <= pl_index;
        pl_planes_q <= pl_planes;
        clr_q <= clr;
        if (clr_q) begin
            wr_en_q <= 1'b0;
            pl_en_q <= 1'b0;
            in0 <= {BANK{1'b0}};
            in1 <= {BANK{1'b0}};
        end else begin
            wr_en_q <= wr_en;
            pl_en_q <= pl_en;
            for (x = 0; x < BANK; x = x + 1) begin
                if (sel_hi[x >> LO] && sel_lo[x % (1 << LO)]) begin
                    in0[x] <= pl_planes_q[0];
                    in1[x] <= pl_planes_q[1];
                end
            end
        end
    end

    // col[s*BANK + e]: slice s of entry e accepts the key's slice s.
    wire [SLICES*BANK-1:0] col;
    genvar s, g;
    generate
        for (s = 0; s < SLICES; s = s + 1) begin : sl
            for (g = 0; g < GROUPS; g = g + 1) begin : gr
                reg [3:0] ram [0:15];
                always @(posedge clk) begin
                    if (wr_en_q && wr_group_q == g) ram[wr_addr_q] <= wr_data_q[4*s +: 4];
                end
                assign col[s*BANK + 4*g +: 4] = ram[key_q[4*s +: 4]];
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
                for (k = 16 * p; k < 16 * p + 16 && k < SLICES; k = k + 1) acc = acc & col[k*BANK + e];
                // The plane joins the last (shortest) part.
                if (p == PARTS - 1) acc = acc & (plane_q ? in1[e] : in0[e]);
                part_d[e*PARTS + p] = acc;
            end
            match_d[e] = &part[e*PARTS +: PARTS];
        end
    end
    always @(posedge clk) begin
        part <= part_d;
        match <= match_d;
    end

    gufc_prio_enc #(.WIDTH(BANK)) enc (.clk(clk), .in(match), .sub({BANK{1'b0}}), .hit(hit), .index(index));
endmodule
