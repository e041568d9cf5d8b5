// gufc_bitram — DEPTH one-bit flags with two asynchronous reads (a, b) and one write per clock (at
// edge t, flag w_addr := w_d; a read before t gives the old value, after t the new), for
// gufc_counter_ram's clear marks. yosys maps it to LUT RAM, or to block RAM when every read
// address comes straight from a register (it absorbs the register into a synchronous read).
//
// Packed four flags to a 4-bit word, because an ECP5 DPR16X4 is 16 x 4 and has no per-bit write
// enable: one flag per word would leave three of its four bits empty. A write is therefore a
// read-modify-write of its word through a read at the write address; when the caller writes at
// b's address (w_addr = b_addr), that read is b's and yosys keeps one copy for both.
module gufc_bitram #(
    parameter integer DEPTH = 64
) (clk, we, w_addr, w_d, a_addr, a_q, b_addr, b_q);
    localparam integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer PW = (AW < 3) ? 3 : AW;    // at least one word-address bit
    localparam integer WORDS = 1 << (PW - 2);

    input wire clk;
    input wire we;
    input wire [AW-1:0] w_addr;
    input wire w_d;
    input wire [AW-1:0] a_addr;
    output wire a_q;
    input wire [AW-1:0] b_addr;
    output wire b_q;

    /* verilator lint_off UNUSEDSIGNAL */
    wire [AW+2:0] wp = {3'b000, w_addr}, ap = {3'b000, a_addr}, bp = {3'b000, b_addr};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [PW-1:0] wx = wp[PW-1:0], ax = ap[PW-1:0], bx = bp[PW-1:0];
    reg [3:0] mem [0:WORDS-1];
    integer k;
    initial for (k = 0; k < WORDS; k = k + 1) mem[k] = 4'd0;

    wire [3:0] w_old = mem[wx[PW-1:2]];
    wire [3:0] a_word = mem[ax[PW-1:2]];
    wire [3:0] b_word = mem[bx[PW-1:2]];
    assign a_q = a_word[ax[1:0]];
    assign b_q = b_word[bx[1:0]];
    reg [3:0] w_new;
    always @* begin
        w_new = w_old;
        w_new[wx[1:0]] = w_d;
    end
    always @(posedge clk) if (we) mem[wx[PW-1:2]] <= w_new;
endmodule
