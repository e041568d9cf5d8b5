// gufc_lutram7 — seven 32x2 RAMs that share one write port (address, enable) and have their own
// data and asynchronous read address each: one UltraScale+ RAM32M16, whose eight LUTs share the
// write address (the eighth, read at the write address, is left unused).
//
// The slices of one TCAM row group are written together, so with 5-bit slices seven of them fit
// one RAM32M16. yosys does not pack seven separate memories into one such cell by itself (it
// gives each its own RAM32M16), so with GUFC_XILINX defined the cell is instantiated; otherwise
// (simulation, lint, ECP5) the same behaviour is written out.
module gufc_lutram7 (clk, we, waddr, wdata, raddr, rdata);
    input wire clk;
    input wire we;
    input wire [4:0] waddr;
    input wire [13:0] wdata;           // RAM r: wdata[2r +: 2]
    input wire [34:0] raddr;           // RAM r: raddr[5r +: 5]
    output wire [13:0] rdata;          // RAM r: rdata[2r +: 2]
`ifdef GUFC_XILINX
    /* verilator lint_off UNUSEDSIGNAL */
    wire [1:0] unused_h;
    /* verilator lint_on UNUSEDSIGNAL */
    RAM32M16 cell (
        .WCLK(clk), .WE(we), .ADDRH(waddr), .DIH(2'b00), .DOH(unused_h),
        .ADDRA(raddr[4:0]), .DIA(wdata[1:0]), .DOA(rdata[1:0]),
        .ADDRB(raddr[9:5]), .DIB(wdata[3:2]), .DOB(rdata[3:2]),
        .ADDRC(raddr[14:10]), .DIC(wdata[5:4]), .DOC(rdata[5:4]),
        .ADDRD(raddr[19:15]), .DID(wdata[7:6]), .DOD(rdata[7:6]),
        .ADDRE(raddr[24:20]), .DIE(wdata[9:8]), .DOE(rdata[9:8]),
        .ADDRF(raddr[29:25]), .DIF(wdata[11:10]), .DOF(rdata[11:10]),
        .ADDRG(raddr[34:30]), .DIG(wdata[13:12]), .DOG(rdata[13:12]));
`else
    genvar r;
    generate
        for (r = 0; r < 7; r = r + 1) begin : ram
            reg [1:0] mem [0:31];
            always @(posedge clk) if (we) mem[waddr] <= wdata[2*r +: 2];
            assign rdata[2*r +: 2] = mem[raddr[5*r +: 5]];
        end
    endgenerate
`endif
endmodule
