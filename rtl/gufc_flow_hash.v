// gufc_flow_hash — the flow-cache bucket pair of a key (regmap.toml [hash]; the same function as
// gufc_regmap::bucket_pair).
//
// Place in the pipeline: combinational, inside f2 (the s2 -> s3 edge), feeding gufc_flow_cache.
// Latency 0 (pure logic: a 10-word rotate/xor fold and two 32x32 multiplies); throughput one key
// per cycle.
module gufc_flow_hash #(
    parameter integer LOG2_BUCKETS = 6
) (key, b1, b2);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KB = GUFC_KEY_WORDS * 32;
    localparam integer BW = (LOG2_BUCKETS > 0) ? LOG2_BUCKETS : 1;
    localparam [31:0] LOCAL_BITS = ((32'd1 << META_SRC_LOCAL_W) - 32'd1) << META_SRC_LOCAL_LSB
                                 | ((32'd1 << META_DST_LOCAL_W) - 32'd1) << META_DST_LOCAL_LSB;

    input wire [KB-1:0] key;
    output reg [BW-1:0] b1;
    output reg [BW-1:0] b2;

    reg [31:0] x;
    reg [31:0] w;
    // Only the top LOG2_BUCKETS bits of each product select a bucket.
    /* verilator lint_off UNUSEDSIGNAL */
    reg [31:0] h1;
    reg [31:0] h2;
    /* verilator lint_on UNUSEDSIGNAL */
    integer i;

    always @* begin
        x = 32'd0;
        for (i = 0; i < GUFC_KEY_WORDS; i = i + 1) begin
            w = key[32*i +: 32];
            if (i == KEY_META_WORD) w = w & ~LOCAL_BITS;
            x = ((x << HASH_ROTATE) | (x >> (32 - HASH_ROTATE))) ^ w;
        end
        h1 = x * HASH_MUL1;
        h2 = ((x << HASH_ROTATE2) | (x >> (32 - HASH_ROTATE2))) * HASH_MUL2;
        if (LOG2_BUCKETS > 0) begin
            b1 = h1[31 -: BW];
            b2 = h2[31 -: BW];
        end else begin
            b1 = {BW{1'b0}};
            b2 = {BW{1'b0}};
        end
    end
endmodule
