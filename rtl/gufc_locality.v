// gufc_locality — the locality table and stage f1: is the source / destination address "local"?
//
// Place in the pipeline: the lookup is combinational on the s1 key and is registered into s2
// at the s1 -> s2 edge (f1). LOCAL_WRITE updates one entry at the edge of its CMD write, so a key
// in s1 at that edge still sees the table as it was before it.
// Latency: 0 inside f1 (L parallel 128-bit masked compares + OR); throughput one key per cycle;
// one table write per cycle.
module gufc_locality #(
    parameter integer ENTRIES = 8
) (clk, clr, wr_en, wr_index, wr_key, wr_mask, wr_valid, key, src_local, dst_local);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KB = GUFC_KEY_WORDS * 32;
    localparam integer IW = (ENTRIES > 1) ? $clog2(ENTRIES) : 1;
    localparam integer IPV6_BIT = KEY_META_WORD * 32 + META_IPV6_LSB;

    input wire clk;
    input wire clr;                  // synchronous reset: no valid entries
    input wire wr_en;                // an accepted LOCAL_WRITE
    input wire [IW-1:0] wr_index;
    // Staged KEY / MASK: words SRC0..SRC3 are the address / mask, META.IPV6 is the family.
    /* verilator lint_off UNUSEDSIGNAL */
    input wire [KB-1:0] wr_key;
    input wire [KB-1:0] wr_mask;
    input wire [KB-1:0] key;         // the s1 key
    /* verilator lint_on UNUSEDSIGNAL */
    input wire wr_valid;             // CMD_ARG[0]
    output reg src_local;
    output reg dst_local;

    reg [127:0] addr [0:ENTRIES-1];
    reg [127:0] mask [0:ENTRIES-1];
    reg [ENTRIES-1:0] family;        // 1 = IPv6
    reg [ENTRIES-1:0] valid;

    always @(posedge clk) begin
        if (clr) begin
            valid <= {ENTRIES{1'b0}};
        end else if (wr_en) begin
            addr[wr_index] <= wr_key[KEY_SRC0_WORD*32 +: 128];
            mask[wr_index] <= wr_mask[KEY_SRC0_WORD*32 +: 128];
            family[wr_index] <= wr_key[IPV6_BIT];
            valid[wr_index] <= wr_valid;
        end
    end

    wire [127:0] src = key[KEY_SRC0_WORD*32 +: 128];
    wire [127:0] dst = key[KEY_DST0_WORD*32 +: 128];
    wire ipv6 = key[IPV6_BIT];
    integer e;

    always @* begin
        src_local = 1'b0;
        dst_local = 1'b0;
        for (e = 0; e < ENTRIES; e = e + 1) begin
            if (valid[e] && family[e] == ipv6) begin
                if (((src ^ addr[e]) & mask[e]) == 128'd0) src_local = 1'b1;
                if (((dst ^ addr[e]) & mask[e]) == 128'd0) dst_local = 1'b1;
            end
        end
    end
endmodule
