// gufc_counter_ram — DEPTH pairs of 64-bit packet and byte counters in block RAM, for RTL 2.0
// (draft; one instance per counter space: TCAM entries, flow slots, channels).
//
// Increments: one per clock (inc_en, inc_index, inc_len), any pattern, through a pipelined
// read-modify-write that forwards, so back-to-back increments of one counter count exactly.
// Host: READ and CLEAR of any counter, never stalling increments.
//
// Storage: two copies of {bytes, pkts}, each a simple dual-port RAM (yosys: DP16KD 512x36, four
// per 512 counters): the count copy (port A reads for the increment, port B writes it back) and
// the host copy (port B takes the same write-back, port A serves READ). `live` flip-flops, one per
// counter, say "written since it was last zeroed": a counter whose live bit is 0 reads as 0, so
// CLEAR and `clr` take one edge and never need a RAM write port.
//
// Increment accepted at edge a: RAM read at a+1, raw word registered at a+2, sum written back at
// a+3 to both copies; its counter's new value comes out on cnt_* after edge a+3. The sum forwards
// from the write-backs of a+1 and a+2 (the two increments before it), which the RAM read at a+1
// does not hold.
// Commands (c = acceptance edge, cmd_valid && cmd_ready):
//   CLEAR i (1 cycle): the counter is 0 from edge c: increments accepted at edges <= c are gone,
//     from c+1 on they count from 0 (an increment at c itself is lost: the clear wins, as in 1.x).
//     Increments of i accepted at c-2 .. c report nothing on cnt_*.
//   READ i (4 cycles): rd_* after edge c+4 = the counter with every increment accepted at <= c.
// The logical value: at each edge first that edge's increment, then that edge's CLEAR.
// clr: every counter 0 and increments in flight dropped, in one edge.
module gufc_counter_ram #(
    parameter integer DEPTH = 4096,
    parameter integer LEN_BITS = 16
) (clk, clr, inc_en, inc_index, inc_len, cmd_valid, cmd_ready, cmd_op, cmd_index, rd_valid,
   rd_pkts, rd_bytes, cnt_valid, cnt_index, cnt_pkts, cnt_bytes);
    localparam integer IW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam OP_READ = 1'b0, OP_CLEAR = 1'b1;

    input wire clk;
    input wire clr;
    input wire inc_en;
    input wire [IW-1:0] inc_index;
    input wire [LEN_BITS-1:0] inc_len;
    input wire cmd_valid;
    output wire cmd_ready;
    input wire cmd_op;
    input wire [IW-1:0] cmd_index;
    output reg rd_valid;
    output reg [63:0] rd_pkts;
    output reg [63:0] rd_bytes;
    output reg cnt_valid;
    output reg [IW-1:0] cnt_index;
    output reg [63:0] cnt_pkts;
    output reg [63:0] cnt_bytes;

    reg [DEPTH-1:0] live;
    reg [2:0] busy;                   // READ in flight: 3, 2, 1 cycles left
    wire take = cmd_valid && cmd_ready && !clr;
    wire zero = take && cmd_op == OP_CLEAR;
    assign cmd_ready = busy == 3'd0;

    // Increment pipeline: s1 (accepted), s2 (RAM read), s3 (raw word registered; sum computed and
    // written back at the next edge), w1 / w2 (the last two write-backs, for forwarding).
    reg s1_v, s2_v, s3_v;
    reg [IW-1:0] s1_i, s2_i, s3_i;
    reg [LEN_BITS-1:0] s1_len, s2_len, s3_len;
    reg s3_live, s3_f1, s3_f2;
    reg [127:0] w2_val;               // {bytes, pkts} written back two edges ago
    wire [127:0] w1_val = {cnt_bytes, cnt_pkts};   // w1 is the write-back of the last edge
    wire [127:0] cq, hq;
    reg [127:0] s3_q;

    wire [127:0] base = s3_f1 ? w1_val : s3_f2 ? w2_val : s3_live ? s3_q : 128'd0;
    wire [63:0] new_pkts = base[63:0] + 64'd1;
    wire [63:0] new_bytes = base[127:64] + {{(64-LEN_BITS){1'b0}}, s3_len};
    wire wb = s3_v;                   // write-back at the next edge

    // Host READ: index delayed to the edge after which every increment accepted at or before
    // the command has been written back, then read from the host copy.
    reg h1_v, h2_v, h3_v, h4_v, h4_live, h4_fwd;
    reg [IW-1:0] h1_i, h2_i, h3_i;
    reg [127:0] h4_fval;

    /* verilator lint_off UNUSEDSIGNAL */
    wire [127:0] cq_unused, hq_unused;
    /* verilator lint_on UNUSEDSIGNAL */
    gufc_bram #(.WIDTH(128), .DEPTH(DEPTH)) count_copy (
        .clk(clk), .a_we(1'b0), .a_addr(s1_i), .a_d(128'd0), .a_q(cq),
        .b_we(wb && !clr), .b_addr(s3_i), .b_d({new_bytes, new_pkts}), .b_q(cq_unused));
    gufc_bram #(.WIDTH(128), .DEPTH(DEPTH)) host_copy (
        .clk(clk), .a_we(1'b0), .a_addr(h3_i), .a_d(128'd0), .a_q(hq),
        .b_we(wb && !clr), .b_addr(s3_i), .b_d({new_bytes, new_pkts}), .b_q(hq_unused));

    always @(posedge clk) begin
        // Increments; a CLEAR kills the increments of its counter accepted at c-2 .. c.
        s1_v <= inc_en && !clr && !(zero && inc_index == cmd_index);
        s1_i <= inc_index;
        s1_len <= inc_len;
        s2_v <= s1_v && !clr && !(zero && s1_i == cmd_index);
        s2_i <= s1_i;
        s2_len <= s1_len;
        s3_v <= s2_v && !clr && !(zero && s2_i == cmd_index);
        s3_i <= s2_i;
        s3_len <= s2_len;
        s3_q <= cq;
        s3_live <= live[s2_i];
        s3_f1 <= s3_v && s3_i == s2_i;           // written at this edge: w1 next cycle
        s3_f2 <= cnt_valid && cnt_index == s2_i;  // written at the last edge: w2 next cycle
        w2_val <= w1_val;
        cnt_valid <= wb && !clr;
        cnt_index <= s3_i;
        cnt_pkts <= new_pkts;
        cnt_bytes <= new_bytes;

        // Host commands.
        h1_v <= take && cmd_op == OP_READ;
        h1_i <= cmd_index;
        h2_v <= h1_v && !clr;
        h2_i <= h1_i;
        h3_v <= h2_v && !clr;
        h3_i <= h2_i;
        h4_v <= h3_v && !clr;
        h4_live <= live[h3_i];
        h4_fwd <= wb && s3_i == h3_i;
        h4_fval <= {new_bytes, new_pkts};
        rd_valid <= h4_v && !clr;
        rd_pkts <= h4_fwd ? h4_fval[63:0] : h4_live ? hq[63:0] : 64'd0;
        rd_bytes <= h4_fwd ? h4_fval[127:64] : h4_live ? hq[127:64] : 64'd0;
        if (clr) busy <= 3'd0;
        else if (take && cmd_op == OP_READ) busy <= 3'd3;
        else if (busy != 3'd0) busy <= busy - 3'd1;

        // Live bits: set by a write-back, cleared by CLEAR (which wins) and clr.
        /* verilator lint_off WIDTHCONCAT */
        if (clr) live <= {DEPTH{1'b0}};
        /* verilator lint_on WIDTHCONCAT */
        else begin
            if (wb) live[s3_i] <= 1'b1;
            if (zero) live[cmd_index] <= 1'b0;
        end
    end
endmodule
