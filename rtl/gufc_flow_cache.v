// gufc_flow_cache — the exact-match flow cache and its lookup (stage f2, flow half).
//
// M = BUCKETS x WAYS slots; a key may live in any way of its two buckets (gufc_flow_hash). Each
// slot holds the key (META's locality bits cleared), an action, PINNED, the epoch it was stamped
// with, HIT, LAST_HIT and its interest (FLOW_INTEREST's MODE and PERIOD; the checked word has no
// other bits). The lookup returns the first valid slot, in the order b1 ways 0..W-1
// then b2 ways 0..W-1, whose key equals the key; it is current if pinned or stamped with EPOCH.
//
// Place in the pipeline: combinational on the s2 key and registered into s3 at the s2 -> s3
// edge (f2). Commands (FLOW_WRITE/CLEAR/MOVE/TOUCH/SET_INTEREST, FLOW_READ's HIT clear) execute at the edge of
// their CMD write; the hit-state update of a key counted in f3 lands at that same edge.
// Latency: 0 inside f2 (hash + 2W key compares); throughput one lookup, one command and one hit
// update per cycle. The read ports (FLOW_READ, FLOW_MOVE checks) are asynchronous.
//
// Same-edge order: a FLOW_READ's HIT clear, then the f3 hit update, then the command's own
// writes (FLOW_WRITE and FLOW_MOVE's destination overwrite the hit state). Contents of invalid
// slots are never observable, so a reset only clears the valid bits.
module gufc_flow_cache #(
    parameter integer BUCKETS = 64,
    parameter integer WAYS = 4
) (clk, clr, epoch, wr_en, clear_en, move_en, touch_en, read_en, interest_en, index, arg,
   wr_key, wr_action, wr_pinned, wr_interest, rd_valid, rd_key, rd_action, rd_pinned, rd_epoch,
   rd_hit, rd_last_hit, rd_interest, arg_valid, upd_en, upd_slot, cycle_lo, key, hit, current,
   slot, action, interest);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KB = GUFC_KEY_WORDS * 32;
    localparam integer SLOTS = BUCKETS * WAYS;
    localparam integer LB = (BUCKETS > 1) ? $clog2(BUCKETS) : 0;
    localparam integer BW = (LB > 0) ? LB : 1;
    localparam integer SW = (SLOTS > 1) ? $clog2(SLOTS) : 1;
    localparam integer MB = FLOW_INTEREST_MODE_W;
    localparam integer PB = FLOW_INTEREST_PERIOD_W;
    localparam [KB-1:0] KEEP = ~(({{(KB-1){1'b0}}, 1'b1} << (KEY_META_WORD*32 + META_SRC_LOCAL_LSB))
                               | ({{(KB-1){1'b0}}, 1'b1} << (KEY_META_WORD*32 + META_DST_LOCAL_LSB)));

    input wire clk;
    input wire clr;
    input wire [7:0] epoch;          // STATUS.EPOCH before the edge
    input wire wr_en;                // accepted FLOW_WRITE index
    input wire clear_en;             // accepted FLOW_CLEAR index
    input wire move_en;              // accepted FLOW_MOVE index -> arg
    input wire touch_en;             // accepted FLOW_TOUCH index
    input wire read_en;              // accepted FLOW_READ index (clears HIT)
    input wire interest_en;          // accepted FLOW_SET_INTEREST index
    input wire [SW-1:0] index;
    input wire [SW-1:0] arg;
    input wire [KB-1:0] wr_key;
    input wire [31:0] wr_action;
    input wire wr_pinned;
    // FLOW_INTEREST (checked: only MODE and PERIOD may be set)
    /* verilator lint_off UNUSEDSIGNAL */
    input wire [31:0] wr_interest;
    /* verilator lint_on UNUSEDSIGNAL */
    output wire rd_valid;            // slot `index` (invalid slots read as zeros)
    output wire [KB-1:0] rd_key;
    output wire [31:0] rd_action;
    output wire rd_pinned;
    output wire [7:0] rd_epoch;
    output wire rd_hit;
    output wire [31:0] rd_last_hit;
    output wire [31:0] rd_interest;
    output wire arg_valid;           // slot `arg` is valid
    input wire upd_en;               // f3: a key decided by slot upd_slot is counted at this edge
    input wire [SW-1:0] upd_slot;
    input wire [31:0] cycle_lo;
    input wire [KB-1:0] key;         // s2 key (locality bits clear)
    output reg hit;
    output wire current;
    output reg [SW-1:0] slot;
    output wire [31:0] action;
    output wire [31:0] interest;     // of `slot`, as FLOW_INTEREST

    reg [KB-1:0] fkey [0:SLOTS-1];
    reg [31:0] fact [0:SLOTS-1];
    reg [7:0] fepoch [0:SLOTS-1];
    reg [31:0] flast [0:SLOTS-1];
    reg [MB+PB-1:0] fint [0:SLOTS-1];   // {PERIOD, MODE}
    reg [SLOTS-1:0] fpin;
    reg [SLOTS-1:0] fvalid;
    reg [SLOTS-1:0] fhit;

    wire [MB+PB-1:0] w_int = {wr_interest[FLOW_INTEREST_PERIOD_LSB +: PB],
                              wr_interest[FLOW_INTEREST_MODE_LSB +: MB]};
    // A stored {PERIOD, MODE} as the FLOW_INTEREST word.
    function [31:0] int_word(input [MB+PB-1:0] v);
        begin
            int_word = 32'd0;
            int_word[FLOW_INTEREST_MODE_LSB +: MB] = v[MB-1:0];
            int_word[FLOW_INTEREST_PERIOD_LSB +: PB] = v[MB+PB-1:MB];
        end
    endfunction

    always @(posedge clk) begin
        // One wide vector clear; large tables exceed Verilator's 8k-bit replication heuristic.
        /* verilator lint_off WIDTHCONCAT */
        if (clr) begin
            fvalid <= {SLOTS{1'b0}};
            fhit <= {SLOTS{1'b0}};
        /* verilator lint_on WIDTHCONCAT */
        end else begin
            if (read_en) fhit[index] <= 1'b0;
            if (upd_en) begin
                fhit[upd_slot] <= 1'b1;
                flast[upd_slot] <= cycle_lo;
            end
            if (wr_en) begin
                fkey[index] <= wr_key & KEEP;
                fact[index] <= wr_action;
                fpin[index] <= wr_pinned;
                fepoch[index] <= epoch;
                fvalid[index] <= 1'b1;
                fhit[index] <= 1'b0;
                flast[index] <= 32'd0;
                fint[index] <= w_int;
            end
            if (clear_en) fvalid[index] <= 1'b0;
            if (move_en) begin
                fkey[arg] <= fkey[index];
                fact[arg] <= fact[index];
                fpin[arg] <= fpin[index];
                fepoch[arg] <= fepoch[index];
                fvalid[arg] <= 1'b1;
                fhit[arg] <= fhit[index];
                flast[arg] <= flast[index];
                fint[arg] <= fint[index];
                fvalid[index] <= 1'b0;
            end
            if (touch_en && fvalid[index]) fepoch[index] <= epoch;
            if (interest_en && fvalid[index]) fint[index] <= w_int;
        end
    end

    assign rd_valid = fvalid[index];
    assign rd_key = rd_valid ? fkey[index] : {KB{1'b0}};
    assign rd_action = rd_valid ? fact[index] : 32'd0;
    assign rd_pinned = rd_valid & fpin[index];
    assign rd_epoch = rd_valid ? fepoch[index] : 8'd0;
    assign rd_hit = rd_valid & fhit[index];
    assign rd_last_hit = rd_valid ? flast[index] : 32'd0;
    assign rd_interest = rd_valid ? int_word(fint[index]) : 32'd0;
    assign arg_valid = fvalid[arg];

    // ---- lookup
    wire [BW-1:0] b1;
    wire [BW-1:0] b2;
    gufc_flow_hash #(.LOG2_BUCKETS(LB)) hash (.key(key), .b1(b1), .b2(b2));

    /* verilator lint_off UNUSEDSIGNAL */
    reg [31:0] cand;                 // slot number; always < SLOTS
    /* verilator lint_on UNUSEDSIGNAL */
    integer c;
    always @* begin
        hit = 1'b0;
        slot = {SW{1'b0}};
        // Walk the candidates backwards so that the first match in order is the one kept.
        for (c = 2*WAYS - 1; c >= 0; c = c - 1) begin
            if (c >= WAYS) cand = {{(32-BW){1'b0}}, b2} * WAYS + (c - WAYS);
            else cand = {{(32-BW){1'b0}}, b1} * WAYS + c;
            if (fvalid[cand[SW-1:0]] && fkey[cand[SW-1:0]] == key) begin
                hit = 1'b1;
                slot = cand[SW-1:0];
            end
        end
    end

    assign current = fpin[slot] || fepoch[slot] == epoch;
    assign action = fact[slot];
    assign interest = int_word(fint[slot]);
endmodule
