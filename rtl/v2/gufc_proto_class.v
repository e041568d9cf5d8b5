// gufc_proto_class — the protocol's class, the 3 bits of the TCAM key that stand for the 8-bit IP
// protocol.
//
// Rules compare the protocol exactly or not at all (iptables, tc-flower and every ClassBench set:
// masks 0xff or 0; at most 6 distinct protocols in a set), so the compiler gives each protocol its
// rules name a class 1..7 and entries match the class instead of the protocol: 5 key bits fewer
// per entry. Class k holds, per plane, {valid, protocol}; a key's class is the lowest k whose
// version in the key's plane is valid and equal to its protocol, else 0 ("any other protocol").
// A class rewritten in the inactive plane changes nothing until COMMIT, as with the range checkers.
//
// Timing as gufc_range_bank: `cls` is registered (protocol and plane present before edge t give
// the class after edge t, with the writes presented before edge t-1); a write is registered here
// and applied one edge later. Class 0 is not writable; `clr` invalidates every class.
module gufc_proto_class (clk, clr, plane, proto, cls, wr_en, wr_index, wr_plane, wr_valid, wr_proto);
    input wire clk;
    input wire clr;
    input wire plane;
    input wire [7:0] proto;
    output reg [2:0] cls;
    input wire wr_en;
    input wire [2:0] wr_index;
    input wire wr_plane;
    input wire wr_valid;
    input wire [7:0] wr_proto;

    reg [7:1] valid0, valid1;
    reg [7:0] proto0 [1:7];
    reg [7:0] proto1 [1:7];

    reg wr_en_q, wr_plane_q, wr_valid_q;
    reg [2:0] wr_index_q;
    reg [7:0] wr_proto_q;
    always @(posedge clk) begin
        wr_en_q <= wr_en && !clr && wr_index != 3'd0;
        wr_index_q <= wr_index;
        wr_plane_q <= wr_plane;
        wr_valid_q <= wr_valid;
        wr_proto_q <= wr_proto;
    end

    reg [2:0] cls_d;
    integer k;
    always @* begin
        cls_d = 3'd0;
        for (k = 7; k >= 1; k = k - 1) begin
            if ((plane ? valid1[k] : valid0[k]) && proto == (plane ? proto1[k] : proto0[k]))
                cls_d = k[2:0];
        end
    end

    always @(posedge clk) begin
        cls <= cls_d;
        if (clr) begin
            valid0 <= 7'd0;
            valid1 <= 7'd0;
        end else if (wr_en_q && !wr_plane_q) begin
            valid0[wr_index_q] <= wr_valid_q;
            proto0[wr_index_q] <= wr_proto_q;
        end else if (wr_en_q) begin
            valid1[wr_index_q] <= wr_valid_q;
            proto1[wr_index_q] <= wr_proto_q;
        end
    end
endmodule
