// gufc_tcam_update — the command engine of the RAM TCAM: turns whole-entry commands into the
// 16 row writes a transposed RAM needs, while lookups continue one per clock.
//
// A RAM row holds one bit of each of the GE entries of a group (GE = 4 with 4-bit slices, 2 with
// 5-bit slices), so writing an entry rewrites its whole group: the engine keeps every entry's
// value/mask/data in a block-RAM shadow (also the read-back source), reads the group's entries
// from it and writes the 2^SB rows.
//
// A command accepted at edge c (cmd_valid && cmd_ready) is first only registered; the engine
// acts on it at edge c+1 ("go"), so no path runs from the command ports to the tables. Commands,
// one at a time in order, cycles until the next command can be accepted:
//   WRITE i   (op 0)  W = GE + 4 + 2^SB (24 with SB = 4, 38 with SB = 5): at c+1 entry i leaves
//                     both planes; GE + 1 edges read the group, 2^SB write its rows; at c+W-1
//                     the entry joins cmd_planes and its data word is written. The other entries
//                     of the group are rewritten with their own values.
//   PLANES i  (op 1)  1: entry i's plane bits := cmd_planes at c+1.
//   COMMIT    (op 2)  1: active := !active at c+1.
//   SIDE      (op 3)  1: nothing here; the owner writes its side table (range checkers) itself.
//   READ i    (op 4)  3: rd_valid with entry i's shadow and plane bits after edge c+2.
// Outputs ram_*, pl_*, dat_* are registered: a command's first effect is presented before edge
// c+2. With gufc_tcam_ram's contract a key presented to it after that edge sees the entry absent,
// and the data word is written well after every key that matched the old entry has read it (see
// gufc_tcam_v4). `clr` drops a registered command, aborts a WRITE and zeroes `active`; shadow and
// RAM are not cleared (an entry is out of both planes until its next WRITE); the read-back
// outputs are.
module gufc_tcam_update #(
    parameter integer ENTRIES = 1024,
    parameter integer KEY_BITS = 130,
    parameter integer DATA_BITS = 48,
    parameter integer SB = 4            // slice bits: 4 or 5
) (clk, clr, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_value, cmd_mask, cmd_planes, cmd_data,
   side_en, active, ram_we, ram_group, ram_addr, ram_data, pl_en, pl_index, pl_planes,
   dat_we, dat_index, dat_data, rd_valid, rd_value, rd_mask, rd_planes, rd_data);
    localparam integer GE = (SB == 5) ? 2 : 4;   // entries per RAM
    localparam integer LGE = $clog2(GE);
    localparam integer SLICES = (KEY_BITS + SB - 1) / SB;
    localparam integer KP = SB * SLICES;
    localparam integer WP = GE * SLICES;
    localparam [SB-1:0] LAST_ROW = {SB{1'b1}};
    localparam [SB-1:0] LAST_READ = GE[SB-1:0];
    localparam integer IW = $clog2(ENTRIES);
    localparam integer SW = DATA_BITS + 2 * KEY_BITS;
    localparam [2:0] OP_WRITE = 3'd0, OP_PLANES = 3'd1, OP_COMMIT = 3'd2, OP_SIDE = 3'd3, OP_READ = 3'd4;
    localparam [2:0] S_IDLE = 3'd0, S_GATHER = 3'd1, S_FILL = 3'd2, S_FINISH = 3'd3, S_READ = 3'd4;

    input wire clk;
    input wire clr;
    input wire cmd_valid;
    output wire cmd_ready;
    input wire [2:0] cmd_op;
    input wire [IW-1:0] cmd_index;
    input wire [KEY_BITS-1:0] cmd_value;
    input wire [KEY_BITS-1:0] cmd_mask;
    input wire [1:0] cmd_planes;
    input wire [DATA_BITS-1:0] cmd_data;
    output wire side_en;
    output reg active;
    output reg ram_we;
    output reg [IW-LGE-1:0] ram_group;
    output reg [SB-1:0] ram_addr;
    output reg [WP-1:0] ram_data;
    output reg pl_en;
    output reg [IW-1:0] pl_index;
    output reg [1:0] pl_planes;
    output reg dat_we;
    output reg [IW-1:0] dat_index;
    output reg [DATA_BITS-1:0] dat_data;
    output reg rd_valid;
    output reg [KEY_BITS-1:0] rd_value;
    output reg [KEY_BITS-1:0] rd_mask;
    output reg [1:0] rd_planes;
    output reg [DATA_BITS-1:0] rd_data;

    reg [2:0] state;
    reg [SB-1:0] step;
    reg [IW-1:0] index_q;
    reg [1:0] planes_q;
    reg [DATA_BITS-1:0] data_q;
    reg [SW-1:0] shadow [0:ENTRIES-1];     // {data, mask, value}: block RAM
    reg [SW-1:0] shadow_q;
    (* ram_style = "block" *)             // LUT RAM: yosys 0.70 fails to map it for xcup at 1,024
    reg [1:0] planes_mem [0:ENTRIES-1];    // as programmed (read back by READ)
    reg [1:0] planes_rd;
    reg [KP-1:0] row_value [0:GE-1];       // the group being rewritten
    reg [KP-1:0] row_mask [0:GE-1];

    // The accepted command, registered unconditionally (only c_valid has an enable-like term):
    // the engine reads these at the edge after acceptance.
    reg c_valid;
    reg [2:0] c_op;
    reg [IW-1:0] c_index;
    reg [KEY_BITS-1:0] c_value, c_mask;
    reg [1:0] c_planes;
    reg [DATA_BITS-1:0] c_data;
    wire multi = c_op == OP_WRITE || c_op == OP_READ;
    assign cmd_ready = state == S_IDLE && !(c_valid && multi);
    wire accept = cmd_valid && cmd_ready && !clr;
    assign side_en = accept && cmd_op == OP_SIDE;
    wire go = c_valid && !clr;
    always @(posedge clk) begin
        c_valid <= accept;
        c_op <= cmd_op;
        c_index <= cmd_index;
        c_value <= cmd_value;
        c_mask <= cmd_mask;
        c_planes <= cmd_planes;
        c_data <= cmd_data;
    end

    // One shadow read port: the group's rows while gathering, else the command's entry (READ).
    wire [IW-1:0] shadow_addr = (state == S_GATHER) ? {index_q[IW-1:LGE], step[LGE-1:0]} : c_index;
    always @(posedge clk) begin
        shadow_q <= shadow[shadow_addr];
        planes_rd <= planes_mem[c_index];
        if (go && c_op == OP_WRITE) shadow[c_index] <= {c_data, c_mask, c_value};
        if (go && (c_op == OP_WRITE || c_op == OP_PLANES)) planes_mem[c_index] <= c_planes;
    end

    // A key-wide field zero-extended to whole slices (pad bits: mask 0, accept every address).
    function [KP-1:0] pad(input [KEY_BITS-1:0] v);
        begin
            pad = {KP{1'b0}};
            pad[KEY_BITS-1:0] = v;
        end
    endfunction

    // Row `step` of every slice RAM of the group: bit GE*s+j = entry j accepts slice value `step`.
    reg [WP-1:0] fill;
    integer s, j;
    always @* begin
        for (s = 0; s < SLICES; s = s + 1)
            for (j = 0; j < GE; j = j + 1)
                fill[GE*s + j] = ((step ^ row_value[j][SB*s +: SB]) & row_mask[j][SB*s +: SB]) == {SB{1'b0}};
    end

    always @(posedge clk) begin
        ram_we <= 1'b0;
        pl_en <= 1'b0;
        dat_we <= 1'b0;
        rd_valid <= 1'b0;
        if (clr) begin
            state <= S_IDLE;
            active <= 1'b0;
            rd_value <= {KEY_BITS{1'b0}};   // so that every output is defined after a reset
            rd_mask <= {KEY_BITS{1'b0}};
            rd_planes <= 2'b00;
            rd_data <= {DATA_BITS{1'b0}};
        end else begin
            case (state)
                S_IDLE: if (go) begin
                    case (c_op)
                        OP_WRITE: begin
                            pl_en <= 1'b1;
                            pl_index <= c_index;
                            pl_planes <= 2'b00;
                            index_q <= c_index;
                            planes_q <= c_planes;
                            data_q <= c_data;
                            step <= {SB{1'b0}};
                            state <= S_GATHER;
                        end
                        OP_PLANES: begin
                            pl_en <= 1'b1;
                            pl_index <= c_index;
                            pl_planes <= c_planes;
                        end
                        OP_COMMIT: active <= !active;
                        OP_READ: state <= S_READ;
                        default: ;   // OP_SIDE: the owner's write, at acceptance
                    endcase
                end
                S_GATHER: begin
                    // shadow_q holds the row read at the previous edge (step - 1).
                    if (step != {SB{1'b0}}) begin
                        row_value[step[LGE-1:0] - 1'b1] <= pad(shadow_q[0 +: KEY_BITS]);
                        row_mask[step[LGE-1:0] - 1'b1] <= pad(shadow_q[KEY_BITS +: KEY_BITS]);
                    end
                    step <= (step == LAST_READ) ? {SB{1'b0}} : step + 1'b1;
                    if (step == LAST_READ) state <= S_FILL;
                end
                S_FILL: begin
                    ram_we <= 1'b1;
                    ram_group <= index_q[IW-1:LGE];
                    ram_addr <= step;
                    ram_data <= fill;
                    step <= step + 1'b1;
                    if (step == LAST_ROW) state <= S_FINISH;
                end
                S_FINISH: begin
                    pl_en <= 1'b1;
                    pl_index <= index_q;
                    pl_planes <= planes_q;
                    dat_we <= 1'b1;
                    dat_index <= index_q;
                    dat_data <= data_q;
                    state <= S_IDLE;
                end
                default: begin   // S_READ
                    rd_valid <= 1'b1;
                    rd_value <= shadow_q[0 +: KEY_BITS];
                    rd_mask <= shadow_q[KEY_BITS +: KEY_BITS];
                    rd_data <= shadow_q[2*KEY_BITS +: DATA_BITS];
                    rd_planes <= planes_rd;
                    state <= S_IDLE;
                end
            endcase
        end
    end
endmodule
