// gufc_bram — a block RAM with two ports, each reading and/or writing one word per clock, for
// the RTL 2.0 flow cache and counters (yosys maps it to ECP5 DP16KD: 512x36 when one port only
// reads and the other only writes, at most 1024x18 when a port does both).
//
// Timing: a read at edge t returns the word as written at edges < t (registered output, valid
// after edge t). A read at edge t of the word the *other* port writes at edge t is undefined in
// a DP16KD; `no_rw_check` tells yosys so (no bypass logic), and in simulation the word comes back
// inverted, so that a design that relies on it fails its testbench. The users forward instead.
// Two writes to one address at one edge are not allowed. Contents start at zero, as a configured
// DP16KD without init values does.
//
// Always block RAM (`ram_style`), also when it is shallow: yosys would put the 16 channel
// counters (DEPTH 16) in distributed RAM, 72 DPR16X4 = 432 LUT4 sites, where the device has
// block RAM to spare (8 DP16KD) and no LUT4 sites.
module gufc_bram #(
    parameter integer WIDTH = 36,
    parameter integer DEPTH = 512
) (clk, a_we, a_addr, a_d, a_q, b_we, b_addr, b_d, b_q);
    localparam integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    input wire clk;
    input wire a_we;
    input wire [AW-1:0] a_addr;
    input wire [WIDTH-1:0] a_d;
    output reg [WIDTH-1:0] a_q;
    input wire b_we;
    input wire [AW-1:0] b_addr;
    input wire [WIDTH-1:0] b_d;
    output reg [WIDTH-1:0] b_q;

    (* no_rw_check, ram_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
    integer i;
    initial for (i = 0; i < DEPTH; i = i + 1) mem[i] = {WIDTH{1'b0}};
    always @(posedge clk) begin
        if (a_we) mem[a_addr] <= a_d;
`ifdef SYNTHESIS
        a_q <= mem[a_addr];
`else
        a_q <= (b_we && b_addr == a_addr) ? ~mem[a_addr] : mem[a_addr];
`endif
        if (b_we) mem[b_addr] <= b_d;
`ifdef SYNTHESIS
        b_q <= mem[b_addr];
`else
        b_q <= (a_we && a_addr == b_addr) ? ~mem[b_addr] : mem[b_addr];
`endif
    end
endmodule
