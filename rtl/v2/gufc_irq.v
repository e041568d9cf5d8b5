// gufc_irq (RTL 2.0) — interrupt vectors: events in, one message per firing out, with
// moderation by an event count (FRAMES) and a timer (TIMER), a mask and a pending bit per vector.
// The contract, edge for edge, is docs/interrupts.md; the Rust model is
// hw-model/src/v2/irq.rs and sim/tests/irq.rs compares them on every edge.
//
// Per vector: FRAMES, TIMER (16 bits), MASK, PENDING, and the window's count, armed, age. Every
// decision at an edge is taken from the registers before it; the message register takes the
// lowest pending, unmasked vector (a priority encoder over VECTORS bits).
module gufc_irq #(
    parameter integer VECTORS = 17,
    parameter integer VW = (VECTORS > 1) ? $clog2(VECTORS) : 1
) (
    input wire clk,
    input wire rst,
    input wire ev_valid,
    input wire [VW-1:0] ev_vec,
    input wire cfg_valid,
    input wire [VW-1:0] cfg_vec,
    input wire [1:0] cfg_field,
    input wire [15:0] cfg_data,
    output reg irq_valid,
    input wire irq_ready,
    output reg [VW-1:0] irq_vec,
    output wire [VECTORS-1:0] pending
);
    // Per vector: its registers and its part of steps 1, 2 and 4 (gen[g]); the message
    // register (step 3) reads every vector's pending and mask bits.
    wire [VECTORS-1:0] mask;
    wire [VECTORS-1:0] ready_v = pending & ~mask;
    reg [VW-1:0] pick;
    integer i;
    always @(*) begin
        pick = {VW{1'b0}};
        for (i = VECTORS - 1; i >= 0; i = i - 1)
            if (ready_v[i]) pick = i[VW-1:0];
    end
    wire load = (!irq_valid || irq_ready) && ready_v != {VECTORS{1'b0}};
    // The same choice one-hot (the lowest set bit: a carry chain), so that a vector's pending
    // bit does not wait for the encoder and a compare.
    wire [VECTORS-1:0] lowest = ready_v & (~ready_v + {{(VECTORS - 1) {1'b0}}, 1'b1});

    always @(posedge clk) begin
        if (rst) begin
            irq_valid <= 1'b0;
            irq_vec <= {VW{1'b0}};
        end else if (load) begin
            irq_valid <= 1'b1;
            irq_vec <= pick;
        end else if (irq_ready) begin
            irq_valid <= 1'b0;
            irq_vec <= {VW{1'b0}};
        end
    end

    genvar g;
    generate
        for (g = 0; g < VECTORS; g = g + 1) begin : gen
            localparam [VW-1:0] ME = g[VW-1:0];
            reg [15:0] frames, timer, count, age;
            reg m, armed, pend;
            wire ev = ev_valid && ev_vec == ME;
            wire cfg = cfg_valid && cfg_vec == ME;
            // step 1, from the registers
            wire f = armed && ((frames != 16'd0 && count >= frames)
                               || (timer != 16'd0 && age >= timer)
                               || (frames == 16'd0 && timer == 16'd0));
            assign mask[g] = m;
            assign pending[g] = pend;
            always @(posedge clk) begin
                if (rst) begin
                    {frames, timer, count, age} <= 64'd0;
                    {m, armed, pend} <= 3'b100;
                end else begin
                    // steps 1 and 2: the moderation window
                    if (f) begin
                        count <= {15'd0, ev};
                        age <= 16'd0;
                        armed <= ev;
                    end else if (ev) begin
                        count <= count == 16'hffff ? count : count + 16'd1;
                        age <= !armed ? 16'd0 : age == 16'hffff ? age : age + 16'd1;
                        armed <= 1'b1;
                    end else if (armed) begin
                        age <= age == 16'hffff ? age : age + 16'd1;
                    end
                    // steps 3 and 4: pending (firing wins over the message and a clear)
                    if (f) pend <= 1'b1;
                    else if ((load && lowest[g]) || (cfg && cfg_field == 2'd3 && cfg_data[0]))
                        pend <= 1'b0;
                    // step 4: configuration
                    if (cfg && cfg_field == 2'd0) frames <= cfg_data;
                    if (cfg && cfg_field == 2'd1) timer <= cfg_data;
                    if (cfg && cfg_field == 2'd2) m <= cfg_data[0];
                end
            end
        end
    endgenerate
endmodule
