// gufc_counter_ram — DEPTH pairs of 64-bit packet and byte counters in block RAM, for RTL 2.0
// (draft; one instance per counter space: TCAM entries, flow slots, channels).
//
// Increments: one per clock (inc_en, inc_index, inc_len), any pattern, through a pipelined
// read-modify-write that forwards, so back-to-back increments of one counter count exactly.
// Host: READ, CLEAR and ADD of any counter; none ever stalls an increment, and a CLEAR is taken
// at its own edge whatever the increments do.
//
// Storage: two copies of the word {gen 16, bytes 64, pkts 64} (144 bits = four DP16KD 512x36 per
// 512 counters), each simple dual-port: the count copy (port A reads for the pipeline, port B
// takes its write-back) and the host copy (port B takes the same write-back, port A serves READ).
// Every pipeline slot carries one operation: an increment (with a same-counter ADD merged into
// it), an ADD alone, or a refresh (+0); all go through the same read-modify-write, in order, so
// forwarding covers them all.
// CLEAR needs no slot: two DEPTH-bit mark RAMs (gufc_bitram; every read address is a register, so
// yosys may put them in block RAM), `ca` written only by CLEAR (ca[i] := !cb[i])
// and `cb` written only at write-back (cb[i] := the ca[i] the operation read with its word).
// Counter i is stale, and reads as 0, while ca[i] != cb[i]. A CLEAR kills the operations of its
// counter in flight: they neither forward their sums to later operations nor write cb.
// `clr` makes every counter 0 in one edge by advancing `gen`: a word of another generation reads
// as 0. After `clr` the free pipeline slots refresh every word (+0), so a stale word cannot come
// back when `gen` wraps (that would take 65,536 resets with no free slot in between).
//
// Operation accepted at edge a: RAM and marks read at a+1, word registered at a+2, sum registered
// at a+3 (an increment's is reported on cnt_* after edge a+3: the counter after edge a, a same-edge
// ADD included; a CLEAR after edge a does not change the report) and written
// to both copies at a+4. The sum forwards from the three operations before it (written at
// a+1 .. a+3), which the RAM read at a+1 does not hold, unless a CLEAR of the counter came between.
// Commands (c = acceptance edge, cmd_valid && cmd_ready; cmd_op 0 READ, 1 CLEAR, 2 or 3 ADD):
//   CLEAR i: counter i is 0 from edge c. An increment of i accepted at c is lost (the clear wins,
//     as in 1.x; it is not reported), and so is a pending ADD of i. cmd_ready is 1 for a CLEAR
//     unless a READ holds the port.
//   ADD i, cmd_pkts, cmd_bytes: both added to counter i at c. The ADD takes the pipeline slot of
//     c if it is free or holds an increment of i (merged: one operation adds both); else it is
//     pending until the first edge with a free slot or an increment of i. While an ADD is pending
//     READ and ADD wait (cmd_ready 0 for them); CLEAR does not.
//   READ i: rd_* after edge c+6 = the counter after edge c (the host copy and the marks are read
//     at c+4, with the write of c+4 forwarded; the data registered at c+5 before its generation
//     is checked). The READ holds the port (cmd_ready 0) at c+1 .. c+4, so that no CLEAR falls
//     between its edge and its read.
// The logical value: at each edge first that edge's increment, then that edge's command.
// cnt_* and rd_* are 0 on every edge without a report or read data.
module gufc_counter_ram #(
    parameter integer DEPTH = 4096,
    parameter integer LEN_BITS = 16
) (clk, clr, inc_en, inc_index, inc_len, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_pkts,
   cmd_bytes, rd_valid, rd_pkts, rd_bytes, cnt_valid, cnt_index, cnt_pkts, cnt_bytes);
    localparam integer IW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer WW = 144;      // {gen, bytes, pkts}

    input wire clk;
    input wire clr;
    input wire inc_en;
    input wire [IW-1:0] inc_index;
    input wire [LEN_BITS-1:0] inc_len;
    input wire cmd_valid;
    output wire cmd_ready;
    input wire [1:0] cmd_op;
    input wire [IW-1:0] cmd_index;
    input wire [63:0] cmd_pkts;
    input wire [63:0] cmd_bytes;
    output reg rd_valid;
    output reg [63:0] rd_pkts;
    output reg [63:0] rd_bytes;
    output reg cnt_valid;
    output wire [IW-1:0] cnt_index;
    output wire [63:0] cnt_pkts;
    output wire [63:0] cnt_bytes;

    reg [15:0] gen = 16'd0;
    reg sweep = 1'b0;                 // refreshing words after clr
    reg [IW-1:0] sweep_ptr;
    reg pa_v = 1'b0;                  // an ADD waiting for a pipeline slot
    reg [IW-1:0] pa_i;
    reg [127:0] av;                   // the last ADD's {bytes, pkts}
    reg h1_v = 1'b0, h2_v = 1'b0, h3_v = 1'b0, h4_v = 1'b0;  // a READ before its RAM read
    wire hold = h1_v || h2_v || h3_v || h4_v;
    wire is_add = cmd_op[1];
    wire is_clear = cmd_op == 2'd1;
    assign cmd_ready = !hold && (is_clear || !pa_v);
    wire take = cmd_valid && cmd_ready && !clr;
    wire zero_now = take && is_clear;
    wire add_now = take && is_add;
    wire a_v = pa_v || add_now;       // an ADD for this edge's slot
    wire [IW-1:0] a_i = pa_v ? pa_i : cmd_index;

    // This edge's pipeline slot: the increment (and a same-counter ADD), an ADD, or a refresh.
    reg op_v, op_one, op_add, op_rep;
    reg [IW-1:0] op_i;
    reg [LEN_BITS-1:0] op_len;
    always @* begin
        op_v = 1'b1;
        op_i = inc_index;
        op_len = inc_len;
        op_one = 1'b1;                // packets + 1
        op_add = 1'b0;                // + the ADD's value
        op_rep = 1'b1;                // report on cnt_*
        if (inc_en) begin
            op_add = a_v && a_i == inc_index;
        end else if (a_v) begin
            op_i = a_i;
            op_len = {LEN_BITS{1'b0}};
            op_one = 1'b0;
            op_add = 1'b1;
            op_rep = 1'b0;
        end else if (sweep) begin
            op_i = sweep_ptr;         // refresh (+0)
            op_len = {LEN_BITS{1'b0}};
            op_one = 1'b0;
            op_rep = 1'b0;
        end else begin
            op_v = 1'b0;
        end
    end

    // Pipeline: s1 (accepted; RAM and marks read), s2 (read registered), s3 (word registered; sum
    // computed), w1 (sum registered, written at the next edge), w2 (written at the last edge).
    // *_k: a CLEAR of the operation's counter came after its acceptance (killed).
    reg s1_v, s2_v, s3_v, w1_v, s1_one, s1_add, s1_rep, s2_rep, s3_rep;
    reg s2_k, s3_k, w1_k;
    reg [IW-1:0] s1_i, s2_i, s3_i, w1_i;
    reg [LEN_BITS-1:0] s1_len;
    reg [127:0] s2_d, s3_d;            // what the operation adds: {bytes, pkts}
    reg s2_ca, s2_st, s3_ca, w1_ca;
    reg s2_m1, s2_m2, s2_m3, s2_l1, s2_l2, s2_l3;
    reg s3_f1, s3_uq;
    reg [127:0] s3_fv;                 // the sum of a-2 or a-3 if it forwards, else 0
    reg [127:0] s3_q, w1_val, w2_val;  // {bytes, pkts}
    wire [WW-1:0] cq, hq;

    // A CLEAR at this edge kills the operations of its counter: the one in this edge's slot is
    // dropped (the clear wins), those in flight are marked. The one writing back at this edge
    // need not be: the CLEAR reads cb after that write.
    wire kill_op = zero_now && cmd_index == op_i;
    wire kill_s1 = zero_now && cmd_index == s1_i;
    wire kill_s2 = zero_now && cmd_index == s2_i;
    wire kill_s3 = zero_now && cmd_index == s3_i;

    // The marks. A CLEAR at c reads cb at c+1 (cl_*) and writes ca at c+2 (cl2_*), each step
    // from registers: an operation reading the marks at c+1 (accepted then) takes the pending
    // value from cl2_*; one at c would be the CLEAR's own counter's, dropped. The second ports
    // are the CLEAR's and the READ's (h4, at c+3 .. c+4), which never meet (held port); their
    // addresses are registered one edge ahead.
    reg cl_v = 1'b0, cl2_v = 1'b0, cl2_d;
    reg [IW-1:0] cl_i, cl2_i, ha, hb;
    wire ca_s, cb_s, ca_h, cb_h;
    wire cl_fwd = cl2_v && cl2_i == s1_i;
    wire ca_now = cl_fwd ? cl2_d : ca_s;
    gufc_bitram #(.DEPTH(DEPTH)) ca (
        .clk(clk), .we(cl2_v), .w_addr(ha), .w_d(cl2_d), .a_addr(s1_i), .a_q(ca_s),
        .b_addr(ha), .b_q(ca_h));
    gufc_bitram #(.DEPTH(DEPTH)) cb (
        .clk(clk), .we(w1_v && !w1_k), .w_addr(w1_i), .w_d(w1_ca), .a_addr(s1_i),
        .a_q(cb_s), .b_addr(hb), .b_q(cb_h));

    // s3_f1 (a-1's sum, registered at this edge), s3_fv and s3_uq (the word, current and not
    // forwarded over) exclude one another; the last two are settled one edge ahead.
    wire [127:0] base = s3_f1 ? w1_val : s3_fv | (s3_uq ? s3_q : 128'd0);
    wire [63:0] new_pkts = base[63:0] + s3_d[63:0];
    wire [63:0] new_bytes = base[127:64] + s3_d[127:64];

    // The report is the write-back stage's sum (cnt_valid registered with it).
    assign cnt_index = cnt_valid ? w1_i : {IW{1'b0}};
    assign cnt_pkts = cnt_valid ? w1_val[63:0] : 64'd0;
    assign cnt_bytes = cnt_valid ? w1_val[127:64] : 64'd0;

    // Host READ: index delayed to the edge at which the last operation accepted at or before
    // the command is written, then read from the host copy.
    reg [IW-1:0] h1_i, h2_i, h3_i, h4_i;
    reg h5_v, h5_fwd, h5_st, h6_v, h6_fwd, h6_st;
    reg [127:0] h5_fval, h6_fval;
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
        s1_v <= op_v && !clr && !kill_op;
        s1_i <= op_i;
        s1_len <= op_len;
        s1_one <= op_one;
        s1_add <= op_add;
        s1_rep <= op_rep;
        if (add_now) av <= {cmd_bytes, cmd_pkts};

        s2_v <= s1_v && !clr;
        s2_k <= kill_s1;
        s2_i <= s1_i;
        s2_rep <= s1_rep;
        s2_d <= {(s1_add ? av[127:64] : 64'd0) + {{(64-LEN_BITS){1'b0}}, s1_len},
                 (s1_add ? av[63:0] : 64'd0) + {63'd0, s1_one}};
        s2_ca <= ca_now;
        s2_st <= ca_now != cb_s;
        // The operations before this one, as they stand before any CLEAR at this edge (which
        // kills this one too): the nearest of the same counter forwards unless it was killed.
        s2_m1 <= s2_v && s2_i == s1_i;
        s2_l1 <= !s2_k;
        s2_m2 <= s3_v && s3_i == s1_i;
        s2_l2 <= !s3_k;
        s2_m3 <= w1_v && w1_i == s1_i;
        s2_l3 <= !w1_k;

        s3_v <= s2_v && !clr;
        s3_k <= s2_k || kill_s2;
        s3_i <= s2_i;
        s3_rep <= s2_rep;
        s3_d <= s2_d;
        s3_ca <= s2_ca;
        s3_q <= cq[127:0];
        s3_f1 <= s2_m1 && s2_l1;                        // w1 next cycle
        s3_fv <= (!s2_m1 && s2_m2 && s2_l2) ? w1_val :  // w2 next cycle
                 (!s2_m1 && !s2_m2 && s2_m3 && s2_l3) ? w2_val : 128'd0;  // w3: written at the read edge
        s3_uq <= !s2_m1 && !s2_m2 && !s2_m3 && !s2_st && cq[WW-1:128] == gen;

        w1_v <= s3_v && !clr;
        w1_k <= s3_k || kill_s3;
        w1_i <= s3_i;
        w1_ca <= s3_ca;
        w1_val <= {new_bytes, new_pkts};
        w2_val <= w1_val;
        // cnt_* and rd_* are 0 unless they carry a value (no bit left to the pipeline's leftovers).
        cnt_valid <= s3_v && !clr && s3_rep;

        cl_v <= zero_now;
        cl_i <= cmd_index;
        cl2_v <= cl_v;
        cl2_i <= cl_i;
        cl2_d <= !cb_h;
        hb <= h3_v ? h3_i : cmd_index;
        ha <= h3_v ? h3_i : cl_i;

        h1_v <= take && cmd_op == 2'd0;
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
        h5_st <= ca_h != cb_h;
        h6_v <= h5_v && !clr;
        h6_fwd <= h5_fwd;
        h6_fval <= h5_fval;
        h6_st <= h5_st;
        h6_q <= hq;
        rd_valid <= h6_v && !clr;
        rd_pkts <= !(h6_v && !clr) ? 64'd0 : h6_fwd ? h6_fval[63:0] :
                   (!h6_st && h6_q[WW-1:128] == gen) ? h6_q[63:0] : 64'd0;
        rd_bytes <= !(h6_v && !clr) ? 64'd0 : h6_fwd ? h6_fval[127:64] :
                    (!h6_st && h6_q[WW-1:128] == gen) ? h6_q[127:64] : 64'd0;

        if (clr) begin
            gen <= gen + 16'd1;
            pa_v <= 1'b0;
            sweep <= 1'b1;
            sweep_ptr <= {IW{1'b0}};
        end else begin
            // A pending ADD leaves when its slot comes or a CLEAR of its counter drops it.
            pa_v <= a_v && !op_add && !(zero_now && cmd_index == a_i);
            if (add_now) pa_i <= cmd_index;
            if (sweep && !inc_en && !a_v) begin
                sweep_ptr <= sweep_ptr + 1'b1;
                if (sweep_ptr == DEPTH[IW-1:0] - 1'b1) sweep <= 1'b0;
            end
        end
    end
endmodule
