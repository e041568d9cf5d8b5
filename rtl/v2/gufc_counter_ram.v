// gufc_counter_ram — DEPTH pairs of 64-bit packet and byte counters in block RAM, for RTL 2.0
// (draft; one instance per counter space: TCAM entries, flow slots, channels).
//
// Increments: one per clock (inc_en, inc_index, inc_len), any pattern, through a pipelined
// read-modify-write that forwards, so back-to-back increments of one counter count exactly.
// Host: READ and CLEAR of any counter; neither ever stalls an increment.
//
// Storage: two copies of the word {gen 16, bytes 64, pkts 64} (144 bits = four DP16KD 512x36 per
// 512 counters), each simple dual-port: the count copy (port A reads for the pipeline, port B
// takes its write-back) and the host copy (port B takes the same write-back, port A serves READ).
// Every pipeline slot carries one operation: an increment, a CLEAR's "set to 0", or a refresh
// (+0); all go through the same read-modify-write, in order, so forwarding covers them all.
// `clr` makes every counter 0 in one edge by advancing `gen`: a word of another generation reads
// as 0. After `clr` the free pipeline slots refresh every word (+0), so a stale word cannot come
// back when `gen` wraps (that would take 65,536 resets with no free slot in between).
//
// Increment accepted at edge a: RAM read at a+1, word registered at a+2, sum registered at a+3
// (reported on cnt_* after edge a+3: the counter's new value) and written to both copies at a+4.
// The sum forwards from the three operations before it (written at a+1 .. a+3), which the RAM
// read at a+1 does not hold.
// Commands (c = acceptance edge, cmd_valid && cmd_ready):
//   CLEAR i: counter i is 0 from edge c. An increment of i accepted at c is lost (the clear wins,
//     as in 1.x; it is not reported). The "set to 0" takes the pipeline slot of edge c if that slot
//     is free or holds i; else it waits (pending) for the first edge with a free slot or an
//     increment of i (which then counts from 0). While it is pending cmd_ready is 0.
//   READ i (1 cycle, pipelined): rd_* after edge c+6 = the counter with every increment accepted
//     at <= c (the host copy is read at c+4, with the write of c+4 forwarded; the RAM data is
//     registered at c+5 before its generation is checked).
// The logical value: at each edge first that edge's increment, then that edge's CLEAR.
// cnt_* and rd_* are 0 on every edge without a report or read data.
module gufc_counter_ram #(
    parameter integer DEPTH = 4096,
    parameter integer LEN_BITS = 16
) (clk, clr, inc_en, inc_index, inc_len, cmd_valid, cmd_ready, cmd_op, cmd_index, rd_valid,
   rd_pkts, rd_bytes, cnt_valid, cnt_index, cnt_pkts, cnt_bytes);
    localparam integer IW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam OP_READ = 1'b0, OP_CLEAR = 1'b1;
    localparam integer WW = 144;      // {gen, bytes, pkts}

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

    reg [15:0] gen = 16'd0;
    reg pend = 1'b0;                  // a CLEAR waiting for a pipeline slot
    reg [IW-1:0] pend_i;
    reg sweep = 1'b0;                 // refreshing words after clr
    reg [IW-1:0] sweep_ptr;
    assign cmd_ready = !pend;
    wire take = cmd_valid && cmd_ready && !clr;
    wire zero_now = take && cmd_op == OP_CLEAR;

    // This edge's pipeline slot: the increment, a CLEAR's set-to-0, or a refresh.
    reg op_v, op_one, op_zero, op_rep, op_pend;
    reg [IW-1:0] op_i;
    reg [LEN_BITS-1:0] op_len;
    always @* begin
        op_v = 1'b1;
        op_i = inc_index;
        op_len = inc_len;
        op_one = 1'b1;                // packets + 1
        op_zero = 1'b0;               // start from 0, not from the stored value
        op_rep = 1'b1;                // report on cnt_*
        op_pend = pend;               // a pending CLEAR stays pending
        if (zero_now && !(inc_en && inc_index != cmd_index)) begin
            op_i = cmd_index;         // CLEAR now: its increment (if any) is lost
            op_len = {LEN_BITS{1'b0}};
            op_one = 1'b0;
            op_zero = 1'b1;
            op_rep = 1'b0;
        end else if (zero_now) begin
            op_pend = 1'b1;           // the slot holds another counter's increment
        end else if (pend && inc_en && inc_index == pend_i) begin
            op_zero = 1'b1;           // the first increment after the CLEAR counts from 0
            op_pend = 1'b0;
        end else if (pend && !inc_en) begin
            op_i = pend_i;
            op_len = {LEN_BITS{1'b0}};
            op_one = 1'b0;
            op_zero = 1'b1;
            op_rep = 1'b0;
            op_pend = 1'b0;
        end else if (!inc_en && sweep) begin
            op_i = sweep_ptr;         // refresh (+0)
            op_len = {LEN_BITS{1'b0}};
            op_one = 1'b0;
            op_rep = 1'b0;
        end else begin
            op_v = inc_en;
        end
    end

    // Pipeline: s1 (accepted), s2 (RAM read), s3 (word registered; sum computed), w1 (sum
    // registered, written to the RAMs at the next edge), w2 / w3 (written at the last two edges).
    reg s1_v, s2_v, s3_v, s1_one, s2_one, s3_one, s1_zero, s2_zero, s3_zero, s1_rep, s2_rep, s3_rep;
    reg [IW-1:0] s1_i, s2_i, s3_i, w1_i, w2_i;
    reg [LEN_BITS-1:0] s1_len, s2_len, s3_len;
    reg s3_gen_ok, s3_f1, s3_f2, s3_f3, w1_v, w2_v;
    reg [127:0] s3_q, w1_val, w2_val, w3_val;  // {bytes, pkts}
    wire [WW-1:0] cq, hq;

    wire [127:0] base = s3_zero ? 128'd0 : s3_f1 ? w1_val : s3_f2 ? w2_val : s3_f3 ? w3_val :
                        s3_gen_ok ? s3_q : 128'd0;
    wire [63:0] new_pkts = base[63:0] + {63'd0, s3_one};
    wire [63:0] new_bytes = base[127:64] + {{(64-LEN_BITS){1'b0}}, s3_len};

    // Host READ: index delayed to the edge at which the last increment accepted at or before
    // the command is written, then read from the host copy.
    reg h1_v, h2_v, h3_v, h4_v, h5_v, h5_fwd;
    reg [IW-1:0] h1_i, h2_i, h3_i, h4_i;
    reg [127:0] h5_fval, h6_fval;
    reg h6_v, h6_fwd;
    reg [WW-1:0] h6_q;

    /* verilator lint_off UNUSEDSIGNAL */
    wire [WW-1:0] cq_unused, hq_unused;
    /* verilator lint_on UNUSEDSIGNAL */
    gufc_bram #(.WIDTH(WW), .DEPTH(DEPTH)) count_copy (
        .clk(clk), .a_we(1'b0), .a_addr(s1_i), .a_d({WW{1'b0}}), .a_q(cq),
        .b_we(w1_v), .b_addr(w1_i), .b_d({gen, w1_val}), .b_q(cq_unused));
    gufc_bram #(.WIDTH(WW), .DEPTH(DEPTH)) host_copy (
        .clk(clk), .a_we(1'b0), .a_addr(h4_i), .a_d({WW{1'b0}}), .a_q(hq),
        .b_we(w1_v), .b_addr(w1_i), .b_d({gen, w1_val}), .b_q(hq_unused));

    always @(posedge clk) begin
        s1_v <= op_v && !clr;
        s1_i <= op_i;
        s1_len <= op_len;
        s1_one <= op_one;
        s1_zero <= op_zero;
        s1_rep <= op_rep;
        s2_v <= s1_v && !clr;
        s2_i <= s1_i;
        s2_len <= s1_len;
        s2_one <= s1_one;
        s2_zero <= s1_zero;
        s2_rep <= s1_rep;
        s3_v <= s2_v && !clr;
        s3_i <= s2_i;
        s3_len <= s2_len;
        s3_one <= s2_one;
        s3_zero <= s2_zero;
        s3_rep <= s2_rep;
        s3_q <= cq[127:0];
        s3_gen_ok <= cq[WW-1:128] == gen;
        s3_f1 <= s3_v && s3_i == s2_i;        // sum registered at this edge: w1 next cycle
        s3_f2 <= w1_v && w1_i == s2_i;        // w2 next cycle
        s3_f3 <= w2_v && w2_i == s2_i;        // w3 next cycle (written at the read edge)
        w1_v <= s3_v && !clr;
        w1_i <= s3_i;
        w1_val <= {new_bytes, new_pkts};
        w2_v <= w1_v && !clr;
        w2_i <= w1_i;
        w2_val <= w1_val;
        w3_val <= w2_val;
        // cnt_* and rd_* are 0 unless they carry a value (no bit left to the pipeline's leftovers).
        cnt_valid <= s3_v && !clr && s3_rep;
        cnt_index <= (s3_v && !clr && s3_rep) ? s3_i : {IW{1'b0}};
        cnt_pkts <= (s3_v && !clr && s3_rep) ? new_pkts : 64'd0;
        cnt_bytes <= (s3_v && !clr && s3_rep) ? new_bytes : 64'd0;

        h1_v <= take && cmd_op == OP_READ;
        h1_i <= cmd_index;
        h2_v <= h1_v && !clr;
        h2_i <= h1_i;
        h3_v <= h2_v && !clr;
        h3_i <= h2_i;
        h4_v <= h3_v && !clr;
        h4_i <= h3_i;
        h5_v <= h4_v && !clr;
        h5_fwd <= w1_v && w1_i == h4_i;
        h5_fval <= w1_val;
        h6_v <= h5_v && !clr;
        h6_fwd <= h5_fwd;
        h6_fval <= h5_fval;
        h6_q <= hq;
        rd_valid <= h6_v && !clr;
        rd_pkts <= !(h6_v && !clr) ? 64'd0 : h6_fwd ? h6_fval[63:0] :
                   h6_q[WW-1:128] == gen ? h6_q[63:0] : 64'd0;
        rd_bytes <= !(h6_v && !clr) ? 64'd0 : h6_fwd ? h6_fval[127:64] :
                    h6_q[WW-1:128] == gen ? h6_q[127:64] : 64'd0;

        if (clr) begin
            gen <= gen + 16'd1;
            pend <= 1'b0;
            sweep <= 1'b1;
            sweep_ptr <= {IW{1'b0}};
        end else begin
            pend <= op_pend;
            if (zero_now) pend_i <= cmd_index;
            if (sweep && !inc_en && !pend && !zero_now) begin
                sweep_ptr <= sweep_ptr + 1'b1;
                if (sweep_ptr == DEPTH[IW-1:0] - 1'b1) sweep <= 1'b0;
            end
        end
    end
endmodule
