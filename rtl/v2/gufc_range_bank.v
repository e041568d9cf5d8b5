// gufc_range_bank — port-range checkers whose hit bits join the TCAM key.
//
// Checker j holds, per plane, {valid, field (0 = source port, 1 = destination port), lo, hi};
// hit[j] = valid && lo <= port(field) <= hi, with the version of the key's plane, so a checker
// rewritten in the inactive plane changes nothing until COMMIT. A rule with a port range that is
// not a prefix asks for hit[j] = 1 (value and mask bit j set) instead of expanding into prefixes.
//
// Timing: `hit` is registered: ports and `plane` present before edge t give hit after edge t,
// computed with the checker writes presented before edge t-1. A write is registered here at its
// edge and applied at the next one, so the command ports reach only these few registers, not the
// enables of every checker's flip-flops.
module gufc_range_bank #(
    parameter integer CHECKERS = 16
) (clk, clr, plane, sport, dport, hit, wr_en, wr_index, wr_plane, wr_valid, wr_field, wr_lo, wr_hi);
    localparam integer CW = (CHECKERS > 1) ? $clog2(CHECKERS) : 1;

    input wire clk;
    input wire clr;
    input wire plane;
    input wire [15:0] sport;
    input wire [15:0] dport;
    output reg [CHECKERS-1:0] hit;
    input wire wr_en;
    input wire [CW-1:0] wr_index;
    input wire wr_plane;
    input wire wr_valid;
    input wire wr_field;
    input wire [15:0] wr_lo;
    input wire [15:0] wr_hi;

    // The two planes' versions of every checker.
    reg [CHECKERS-1:0] valid0, valid1;
    reg [CHECKERS-1:0] field0, field1;
    reg [15:0] lo0 [0:CHECKERS-1];
    reg [15:0] lo1 [0:CHECKERS-1];
    reg [15:0] hi0 [0:CHECKERS-1];
    reg [15:0] hi1 [0:CHECKERS-1];

    reg wr_en_q, wr_plane_q, wr_valid_q, wr_field_q;
    reg [CW-1:0] wr_index_q;
    reg [15:0] wr_lo_q, wr_hi_q;
    always @(posedge clk) begin
        wr_en_q <= wr_en && !clr;
        wr_index_q <= wr_index;
        wr_plane_q <= wr_plane;
        wr_valid_q <= wr_valid;
        wr_field_q <= wr_field;
        wr_lo_q <= wr_lo;
        wr_hi_q <= wr_hi;
    end

    reg [CHECKERS-1:0] hit_d;
    reg [15:0] port, l, h;
    integer j;
    always @* begin
        for (j = 0; j < CHECKERS; j = j + 1) begin
            port = (plane ? field1[j] : field0[j]) ? dport : sport;
            l = plane ? lo1[j] : lo0[j];
            h = plane ? hi1[j] : hi0[j];
            hit_d[j] = (plane ? valid1[j] : valid0[j]) && port >= l && port <= h;
        end
    end

    always @(posedge clk) begin
        hit <= hit_d;
        if (clr) begin
            valid0 <= {CHECKERS{1'b0}};
            valid1 <= {CHECKERS{1'b0}};
        end else if (wr_en_q && !wr_plane_q) begin
            valid0[wr_index_q] <= wr_valid_q;
            field0[wr_index_q] <= wr_field_q;
            lo0[wr_index_q] <= wr_lo_q;
            hi0[wr_index_q] <= wr_hi_q;
        end else if (wr_en_q) begin
            valid1[wr_index_q] <= wr_valid_q;
            field1[wr_index_q] <= wr_field_q;
            lo1[wr_index_q] <= wr_lo_q;
            hi1[wr_index_q] <= wr_hi_q;
        end
    end
endmodule
