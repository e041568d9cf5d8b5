// gufc_delay — DEPTH registers in a row (DEPTH 0: a wire): q is d delayed by DEPTH edges.
module gufc_delay #(
    parameter integer WIDTH = 1,
    parameter integer DEPTH = 1
) (clk, d, q);
    input wire clk;
    input wire [WIDTH-1:0] d;
    output wire [WIDTH-1:0] q;
    generate
        if (DEPTH == 0) begin : wire_
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_clk = clk;
            /* verilator lint_on UNUSEDSIGNAL */
            assign q = d;
        end else begin : regs
            reg [WIDTH-1:0] r [0:DEPTH-1];
            integer i;
            always @(posedge clk) begin
                r[0] <= d;
                for (i = 1; i < DEPTH; i = i + 1) r[i] <= r[i-1];
            end
            assign q = r[DEPTH-1];
        end
    endgenerate
endmodule
