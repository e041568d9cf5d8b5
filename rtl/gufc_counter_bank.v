// gufc_counter_bank — DEPTH packet/byte counter pairs with one increment, one zeroing and one
// move per cycle (the per-TCAM-entry, per-flow-slot and per-channel counters).
//
// Place in the pipeline: the increment is stage f3 (the s3 -> out edge) of a counted key; the
// zeroing (TCAM_WRITE, FLOW_WRITE, FLOW_CLEAR, CNT_CLEAR) and the move (FLOW_MOVE) are commands at
// the edge of their CMD write. Latency: one edge; throughput one of each per cycle.
//
// Same-edge rules (docs/timing.md): a command that writes a counter wins over the increment, so
// the zeroing and the move's destination are applied after it; FLOW_MOVE copies the source as it
// was before the edge, and an increment of the source at that edge lands on the emptied source.
// A per-counter `live` bit stands for "not zero since reset", so a reset takes one cycle.
module gufc_counter_bank #(
    parameter integer DEPTH = 256,
    parameter integer CW = 64
) (clk, clr, inc_en, inc_index, inc_len, zero_en, zero_index, move_en, move_src, move_dst,
   rd_index, rd_pkts, rd_bytes, cur_pkts);
    localparam integer IW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    input wire clk;
    input wire clr;
    input wire inc_en;
    input wire [IW-1:0] inc_index;
    input wire [15:0] inc_len;
    input wire zero_en;
    input wire [IW-1:0] zero_index;
    input wire move_en;
    input wire [IW-1:0] move_src;
    input wire [IW-1:0] move_dst;
    input wire [IW-1:0] rd_index;
    output wire [CW-1:0] rd_pkts;
    output wire [CW-1:0] rd_bytes;
    output wire [CW-1:0] cur_pkts;   // packets of inc_index before the edge (also without inc_en)

    reg [CW-1:0] pkts [0:DEPTH-1];
    reg [CW-1:0] bytes [0:DEPTH-1];
    reg [DEPTH-1:0] live;

    wire [CW-1:0] inc_pkts = live[inc_index] ? pkts[inc_index] : {CW{1'b0}};
    wire [CW-1:0] inc_bytes = live[inc_index] ? bytes[inc_index] : {CW{1'b0}};
    wire [CW-1:0] src_pkts = live[move_src] ? pkts[move_src] : {CW{1'b0}};
    wire [CW-1:0] src_bytes = live[move_src] ? bytes[move_src] : {CW{1'b0}};
    wire [CW-1:0] len = {{(CW-16){1'b0}}, inc_len};

    always @(posedge clk) begin
        // One wide vector clear; large tables exceed Verilator's 8k-bit replication heuristic.
        /* verilator lint_off WIDTHCONCAT */
        if (clr) begin
            live <= {DEPTH{1'b0}};
        /* verilator lint_on WIDTHCONCAT */
        end else begin
            if (inc_en) begin
                pkts[inc_index] <= inc_pkts + {{(CW-1){1'b0}}, 1'b1};
                bytes[inc_index] <= inc_bytes + len;
                live[inc_index] <= 1'b1;
            end
            if (zero_en) live[zero_index] <= 1'b0;
            if (move_en) begin
                pkts[move_dst] <= src_pkts;
                bytes[move_dst] <= src_bytes;
                live[move_dst] <= live[move_src];
                if (inc_en && inc_index == move_src) begin
                    pkts[move_src] <= {{(CW-1){1'b0}}, 1'b1};
                    bytes[move_src] <= len;
                end else begin
                    live[move_src] <= 1'b0;
                end
            end
        end
    end

    assign cur_pkts = inc_pkts;
    assign rd_pkts = live[rd_index] ? pkts[rd_index] : {CW{1'b0}};
    assign rd_bytes = live[rd_index] ? bytes[rd_index] : {CW{1'b0}};
endmodule
