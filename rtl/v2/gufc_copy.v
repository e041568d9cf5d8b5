// gufc_copy — one register stage, its own hierarchy level: instances with the same input stay
// separate registers (synthesis would merge them into one), so each drives only its own loads.
// For high-fanout control that must arrive everywhere at the same edge (a bank's RAM write
// address: one copy per group instead of one register driving every RAM of the bank).
(* keep_hierarchy *)
module gufc_copy #(
    parameter integer WIDTH = 1
) (clk, d, q);
    input wire clk;
    input wire [WIDTH-1:0] d;
    output reg [WIDTH-1:0] q;
    always @(posedge clk) q <= d;
endmodule
