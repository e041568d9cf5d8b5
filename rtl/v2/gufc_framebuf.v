// gufc_framebuf (RTL 2.0) — the frame buffer: an AXI4-Stream FIFO of DEPTH beats in block RAM
// that holds frames while their keys are parsed and classified (docs/dma.md, "The frame
// buffer"; model hw-model/src/v2/framebuf.rs, compared edge for edge by sim/tests/framebuf.rs).
//
// Port a of the RAM always reads the beat that is on m after the edge (head, or head + 1 when
// the one on m is taken), so the RAM's read register is the output register; port b writes.
// m_tvalid counts only beats stored before the edge: a beat written at edge t is read at t + 1
// at the earliest (the RAM's read of a word written at the same edge is undefined).
module gufc_framebuf #(
    parameter integer DW = 64,
    parameter integer DEPTH = 512
) (
    input wire clk,
    input wire rst,
    input wire s_tvalid,
    output wire s_tready,
    input wire [DW-1:0] s_tdata,
    input wire [DW/8-1:0] s_tkeep,
    input wire s_tlast,
    output reg m_tvalid,
    input wire m_tready,
    output wire [DW-1:0] m_tdata,
    output wire [DW/8-1:0] m_tkeep,
    output wire m_tlast,
    output reg [$clog2(DEPTH):0] level  // AW + 1 bits (AW is declared below: not usable here)
);
    localparam integer AW = $clog2(DEPTH);
    localparam integer WW = DW + DW / 8 + 1;

    reg [AW-1:0] head, tail;
    wire take = m_tvalid && m_tready;
    wire put = s_tvalid && s_tready;
    wire [AW-1:0] head_n = head + {{(AW - 1) {1'b0}}, take};
    wire [WW-1:0] q;
    wire [WW-1:0] unused_q;
    assign s_tready = level < DEPTH[AW:0];
    assign {m_tlast, m_tkeep, m_tdata} = m_tvalid ? q : {WW{1'b0}};

    gufc_bram #(.WIDTH(WW), .DEPTH(DEPTH)) ram (
        .clk(clk),
        .a_we(1'b0), .a_addr(head_n), .a_d({WW{1'b0}}), .a_q(q),
        .b_we(put), .b_addr(tail), .b_d({s_tlast, s_tkeep, s_tdata}), .b_q(unused_q)
    );

    always @(posedge clk) begin
        if (rst) begin
            head <= {AW{1'b0}};
            tail <= {AW{1'b0}};
            level <= {(AW + 1) {1'b0}};
            m_tvalid <= 1'b0;
        end else begin
            head <= head_n;
            if (put) tail <= tail + 1'b1;
            level <= level + {{AW{1'b0}}, put} - {{AW{1'b0}}, take};
            m_tvalid <= level - {{AW{1'b0}}, take} != {(AW + 1) {1'b0}};
        end
    end
endmodule
