// gufc_tcam — the TCAM rule table and its lookup (stage f2, rule half).
//
// Each entry: value/mask over the whole 10-word key, an inclusive [lo,hi] range per port, a
// 16-bit priority, an action word and two plane bits. An entry matches when its bit for
// ACTIVE_PLANE is set, every key bit under the mask equals the value and both ports are inside
// their ranges. Among matches the highest priority wins and ties go to the lowest index: a
// balanced tournament over {match, prio} (log2 N levels), left (lower index) winning ties.
//
// Place in the pipeline: combinational on the s2 key (with its locality bits) and registered
// into s3 at the s2 -> s3 edge (f2). TCAM_WRITE / TCAM_SET_PLANES change one entry at the edge of
// their CMD write, so the lookup at that edge still sees the old entry.
// Latency: 0 inside f2 (N parallel compares + log2 N select levels); throughput one lookup per
// cycle plus one table command per cycle. The read port (TCAM_READ) is asynchronous.
//
// After a reset the entry contents are not cleared one by one: a per-entry `written` bit makes a
// never-written entry read as zeros and keeps its plane bits 0, which is what the reset values
// require, in one cycle.
module gufc_tcam #(
    parameter integer ENTRIES = 256
) (clk, clr, wr_en, planes_en, wr_index, wr_key, wr_mask, wr_sport, wr_dport, wr_prio, wr_action,
   wr_planes, rd_key, rd_mask, rd_sport, rd_dport, rd_prio, rd_action, rd_planes,
   active_plane, key, hit, hit_index, hit_action);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KB = GUFC_KEY_WORDS * 32;
    localparam integer PW = GUFC_PRIO_BITS;
    localparam integer IW = (ENTRIES > 1) ? $clog2(ENTRIES) : 1;
    localparam integer NP = 1 << IW;             // leaves of the select tree (power of two)
    localparam integer SPORT_BIT = KEY_PORTS_WORD * 32;        // source port: PORTS[15:0]
    localparam integer DPORT_BIT = KEY_PORTS_WORD * 32 + 16;   // destination port: PORTS[31:16]

    input wire clk;
    input wire clr;
    input wire wr_en;                // an accepted TCAM_WRITE
    input wire planes_en;            // an accepted TCAM_SET_PLANES
    input wire [IW-1:0] wr_index;    // also the read index (TCAM_READ)
    input wire [KB-1:0] wr_key;
    input wire [KB-1:0] wr_mask;
    input wire [31:0] wr_sport;      // SPORT_RANGE word
    input wire [31:0] wr_dport;      // DPORT_RANGE word
    input wire [PW-1:0] wr_prio;
    input wire [31:0] wr_action;
    input wire [1:0] wr_planes;
    output wire [KB-1:0] rd_key;
    output wire [KB-1:0] rd_mask;
    output wire [31:0] rd_sport;
    output wire [31:0] rd_dport;
    output wire [PW-1:0] rd_prio;
    output wire [31:0] rd_action;
    output wire [1:0] rd_planes;
    input wire active_plane;
    input wire [KB-1:0] key;         // s2 key with src_local/dst_local filled in
    output wire hit;
    output wire [IW-1:0] hit_index;
    output wire [31:0] hit_action;

    reg [KB-1:0] value [0:ENTRIES-1];  // always inside its mask (VALUE_OUTSIDE_MASK is rejected)
    reg [KB-1:0] mask [0:ENTRIES-1];
    reg [31:0] sport [0:ENTRIES-1];
    reg [31:0] dport [0:ENTRIES-1];
    reg [PW-1:0] prio [0:ENTRIES-1];
    reg [31:0] action [0:ENTRIES-1];
    reg [ENTRIES-1:0] plane0;
    reg [ENTRIES-1:0] plane1;
    reg [ENTRIES-1:0] written;

    always @(posedge clk) begin
        // One wide vector clear; large tables exceed Verilator's 8k-bit replication heuristic.
        /* verilator lint_off WIDTHCONCAT */
        if (clr) begin
            plane0 <= {ENTRIES{1'b0}};
            plane1 <= {ENTRIES{1'b0}};
            written <= {ENTRIES{1'b0}};
        /* verilator lint_on WIDTHCONCAT */
        end else if (wr_en) begin
            value[wr_index] <= wr_key;
            mask[wr_index] <= wr_mask;
            sport[wr_index] <= wr_sport;
            dport[wr_index] <= wr_dport;
            prio[wr_index] <= wr_prio;
            action[wr_index] <= wr_action;
            plane0[wr_index] <= wr_planes[0];
            plane1[wr_index] <= wr_planes[1];
            written[wr_index] <= 1'b1;
        end else if (planes_en) begin
            plane0[wr_index] <= wr_planes[0];
            plane1[wr_index] <= wr_planes[1];
            if (!written[wr_index]) begin
                // A never-written entry is all zeros: materialise that before it can match.
                value[wr_index] <= {KB{1'b0}};
                mask[wr_index] <= {KB{1'b0}};
                sport[wr_index] <= 32'd0;
                dport[wr_index] <= 32'd0;
                prio[wr_index] <= {PW{1'b0}};
                action[wr_index] <= 32'd0;
                written[wr_index] <= 1'b1;
            end
        end
    end

    wire rd_live = written[wr_index];
    assign rd_key = rd_live ? value[wr_index] : {KB{1'b0}};
    assign rd_mask = rd_live ? mask[wr_index] : {KB{1'b0}};
    assign rd_sport = rd_live ? sport[wr_index] : 32'd0;
    assign rd_dport = rd_live ? dport[wr_index] : 32'd0;
    assign rd_prio = rd_live ? prio[wr_index] : {PW{1'b0}};
    assign rd_action = rd_live ? action[wr_index] : 32'd0;
    assign rd_planes = {plane1[wr_index], plane0[wr_index]};

    // ---- lookup: per-entry match, then the priority tournament.
    wire [15:0] key_sport = key[SPORT_BIT +: 16];
    wire [15:0] key_dport = key[DPORT_BIT +: 16];
    wire [ENTRIES-1:0] in_plane = active_plane ? plane1 : plane0;

    reg [PW:0] score [1:2*NP-1];       // {matched, prio}; node n has children 2n and 2n+1
    reg [IW-1:0] index [1:2*NP-1];
    integer i;

    always @* begin
        for (i = 0; i < NP; i = i + 1) begin
            score[NP + i] = {(PW+1){1'b0}};
            index[NP + i] = i[IW-1:0];
        end
        for (i = 0; i < ENTRIES; i = i + 1) begin
            if (in_plane[i] && (key & mask[i]) == value[i]
                && key_sport >= sport[i][SPORT_RANGE_LO_LSB +: 16]
                && key_sport <= sport[i][SPORT_RANGE_HI_LSB +: 16]
                && key_dport >= dport[i][DPORT_RANGE_LO_LSB +: 16]
                && key_dport <= dport[i][DPORT_RANGE_HI_LSB +: 16])
                score[NP + i] = {1'b1, prio[i]};
        end
        for (i = NP - 1; i >= 1; i = i - 1) begin
            if (score[2*i + 1] > score[2*i]) begin
                score[i] = score[2*i + 1];
                index[i] = index[2*i + 1];
            end else begin
                score[i] = score[2*i];
                index[i] = index[2*i];
            end
        end
    end

    assign hit = score[1][PW];
    assign hit_index = index[1];
    assign hit_action = action[index[1]];
endmodule
