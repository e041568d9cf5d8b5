// gufc_tcam_update — the command engine of the RAM TCAM: turns whole-entry commands into the row
// writes a transposed RAM needs, while lookups continue one per clock.
//
// A RAM row holds one bit of each of the GE entries of a group (GE = 4 with 4-bit slices, 2 with
// 5-bit slices), so writing an entry rewrites its whole group: the engine keeps every entry's
// value/mask/data and a `written` bit in a block-RAM shadow (also the read-back source), and its
// plane bits in a second RAM, reads the group's entries from them and writes the rows.
//
// Planes live in the rows too: the key's plane is the match bit just above the KEY_BITS key bits,
// in the last slice (address bit PB of its rows; the bits above are padding, 0 in every key, so
// keys read only that slice's rows 0 .. R-1, R = 2^(PB+1)). An entry's row bit there is
// "accepts the low key bits of the address, and is written and in plane address[PB]". Changing an
// entry's planes is rewriting those R rows; a key sees the change when its own row is written, so
// each key sees an entry wholly before or wholly after (atomic per packet).
//
// A command accepted at edge c (cmd_valid && cmd_ready) is first only registered; the engine
// acts on it at edge c+1 ("go"), so no path runs from the command ports to the tables. One at a
// time, in order; row r's write is registered here at the edge given (a key accepted at edge k
// sees the row writes registered at edges <= k), F = 2^SB:
//   WRITE i   (op 0)  gather the group (c+2 .. c+2+GE), hide: rows r < R with entry i out of both
//                     planes at c+3+GE+r, rows of all slices with the new value at c+3+GE+R+f
//                     (f < F), show: rows r < R with the new planes at c+3+GE+R+F+r. The data word
//                     is written with the last of the F rows: after every key that matched the old
//                     entry has read it (one hidden at c+2+GE+R reads it latency edges later, and
//                     F + 2 >= latency) and before any key that matches the new one reads it.
//                     Next command at c+W, W = 3+GE+2R+F (55 with 4-bit slices, 16 checkers and
//                     6 flags: R = 16; 41 with 5-bit slices and 8 flags: R = 2).
//   PLANES i  (op 1)  gather, then rows r < R with the new planes at c+3+GE+r; next at c+3+GE+R.
//                     An entry not written since the reset stays out of every plane.
//   COMMIT    (op 2)  active := !active at c+1; next command at c+1.
//   SIDE      (op 3)  checker write, CLASS (op 5) protocol-class write: the owner's side tables
//                     take them at acceptance (side_en, class_en); next command at c+1.
//   READ i    (op 4)  rd_valid with entry i's shadow and plane bits after edge c+2 (zeros if not
//                     written since the reset); next at c+3.
// Other entries of a rewritten group get their own rows back, invisible to lookups.
//
// `clr` drops a registered command, aborts the one in progress and zeroes `active` and the
// read-back outputs; then a sweep writes every RAM row of every group to 0 (rows_dirty until the
// last is registered: keys accepted before that must be taken as misses) and every shadow word to
// 0 (written = 0), max(ENTRIES, 2^SB) edges, during which cmd_ready is 0.
module gufc_tcam_update #(
    parameter integer ENTRIES = 1024,
    parameter integer KEY_BITS = 125,   // key bits without the plane
    parameter integer DATA_BITS = 48,
    parameter integer SB = 4            // slice bits: 4 or 5
) (clk, clr, cmd_valid, cmd_ready, cmd_op, cmd_index, cmd_value, cmd_mask, cmd_planes, cmd_data,
   side_en, class_en, active, rows_dirty, ram_we, ram_all, ram_group, ram_addr, ram_data, dat_we,
   dat_index, dat_data, rd_valid, rd_value, rd_mask, rd_planes, rd_data);
    localparam integer GE = (SB == 5) ? 2 : 4;   // entries per RAM
    localparam integer LGE = $clog2(GE);
    localparam integer SLICES = (KEY_BITS + 1 + SB - 1) / SB;
    localparam integer KP = SB * SLICES;
    localparam integer WP = GE * SLICES;
    localparam integer PB = KEY_BITS - SB * (SLICES - 1);   // the plane's bit in the last slice
    localparam [SB-1:0] LAST_SHOWN = (2 << PB) - 1;         // rows a key can read there: R - 1
    localparam [SB-1:0] LAST_ROW = {SB{1'b1}};
    localparam [SB-1:0] LAST_READ = GE[SB-1:0];
    localparam integer IW = $clog2(ENTRIES);
    localparam integer SWEEP = (ENTRIES > (1 << SB)) ? ENTRIES : (1 << SB);
    localparam integer XW = $clog2(SWEEP);
    localparam integer SWEEP_M1 = SWEEP - 1;
    localparam integer ROWS_M1 = (1 << SB) - 1;
    localparam [XW-1:0] SWEEP_LAST = SWEEP_M1[XW-1:0];
    localparam [XW-1:0] ROWS_LAST = ROWS_M1[XW-1:0];
    localparam integer SW = 1 + DATA_BITS + 2 * KEY_BITS;   // {written, data, mask, value}
    localparam [2:0] OP_WRITE = 3'd0, OP_PLANES = 3'd1, OP_COMMIT = 3'd2, OP_SIDE = 3'd3,
                     OP_READ = 3'd4, OP_CLASS = 3'd5;
    localparam [2:0] S_IDLE = 3'd0, S_GATHER = 3'd1, S_HIDE = 3'd2, S_FILL = 3'd3, S_SHOW = 3'd4,
                     S_READ = 3'd6, S_SWEEP = 3'd7;

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
    output wire class_en;
    output reg active;
    output reg rows_dirty;
    output reg ram_we;
    output reg ram_all;
    output reg [IW-LGE-1:0] ram_group;
    output reg [SB-1:0] ram_addr;
    output reg [WP-1:0] ram_data;
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
    reg [XW-1:0] sweep;
    reg is_write;
    reg [IW-1:0] index_q;
    reg [1:0] planes_q;
    reg [DATA_BITS-1:0] data_q;
    reg [KEY_BITS-1:0] value_q, mask_q;    // a WRITE's new entry, for the shadow
    reg [SW-1:0] shadow [0:ENTRIES-1];     // block RAM
    reg [SW-1:0] shadow_q;
    (* ram_style = "block" *)             // LUT RAM: yosys 0.70 fails to map it for xcup at 1,024
    reg [1:0] planes_mem [0:ENTRIES-1];    // as programmed (read back by READ)
    reg [1:0] planes_rd;
    reg [KP-1:0] row_value [0:GE-1];       // the group being rewritten
    reg [KP-1:0] row_mask [0:GE-1];
    reg [1:0] member [0:GE-1];             // planes the rows put each entry of the group in

    // The accepted command, registered unconditionally (only c_valid has an enable-like term):
    // the engine reads these at the edge after acceptance.
    reg c_valid;
    reg [2:0] c_op;
    reg [IW-1:0] c_index;
    reg [KEY_BITS-1:0] c_value, c_mask;
    reg [1:0] c_planes;
    reg [DATA_BITS-1:0] c_data;
    wire multi = c_op == OP_WRITE || c_op == OP_PLANES || c_op == OP_READ;
    assign cmd_ready = state == S_IDLE && !(c_valid && multi);
    wire accept = cmd_valid && cmd_ready && !clr;
    assign side_en = accept && cmd_op == OP_SIDE;
    assign class_en = accept && cmd_op == OP_CLASS;
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

    // One read and one write port on each RAM. Reads: the group's entries while gathering, a
    // WRITE's new entry while hiding (the rows load it from there), else the command's entry
    // (READ). Writes: the sweep's zeros, a WRITE's entry at the gather's last edge (after the
    // gather read the old one), a PLANES's bits at go.
    wire [IW-1:0] rd_addr = (state == S_GATHER) ? {index_q[IW-1:LGE], step[LGE-1:0]}
                          : (state == S_HIDE) ? index_q : c_index;
    wire sweeping = state == S_SWEEP;
    wire store = state == S_GATHER && step == LAST_READ && is_write;
    wire sh_we = (sweeping && {{(32-XW){1'b0}}, sweep} < ENTRIES) || store;
    wire [IW-1:0] sh_addr = sweeping ? sweep[IW-1:0] : index_q;
    wire [SW-1:0] sh_data = sweeping ? {SW{1'b0}} : {1'b1, data_q, mask_q, value_q};
    wire pm_we = store || (go && state == S_IDLE && c_op == OP_PLANES);
    wire [IW-1:0] pm_addr = store ? index_q : c_index;
    wire [1:0] pm_data = store ? planes_q : c_planes;
    always @(posedge clk) begin
        shadow_q <= shadow[rd_addr];
        planes_rd <= planes_mem[rd_addr];
        if (sh_we) shadow[sh_addr] <= sh_data;
        if (pm_we) planes_mem[pm_addr] <= pm_data;
    end

    // A key-wide field zero-extended to whole slices (the plane bit and padding: mask 0).
    function [KP-1:0] pad(input [KEY_BITS-1:0] v);
        begin
            pad = {KP{1'b0}};
            pad[KEY_BITS-1:0] = v;
        end
    endfunction

    // Row `step` of every slice RAM of the group: bit GE*s+j = entry j accepts slice value
    // `step`, and in the last slice also belongs to the plane that row is for.
    reg [WP-1:0] fill;
    integer s, j;
    always @* begin
        for (s = 0; s < SLICES; s = s + 1)
            for (j = 0; j < GE; j = j + 1)
                fill[GE*s + j] = ((step ^ row_value[j][SB*s +: SB]) & row_mask[j][SB*s +: SB]) == {SB{1'b0}}
                                 && (s != SLICES - 1 || member[j][step[PB]]);
    end

    wire [LGE-1:0] own = index_q[LGE-1:0];

    // The group's rows (≈ 1,000 flip-flops) load from the shadow word read at the previous edge at
    // two moments: entry step-1 while gathering (step != 0) and the new entry, stored at the
    // gather's last edge, when the hide's last row is written (state S_HIDE, step LAST_SHOWN).
    // One source, so the rows need no multiplexer. Decoding those from `state` and `step`
    // at the loading edge put a compare and a fan-out of 1,000 on one path (the rule stage's
    // critical path, 121.8 MHz routed). So both are decoded one edge earlier, into one load and one
    // select register per entry of the group, each driving that entry's ≈ 250 flip-flops. A `clr`
    // at the loading edge no longer stops the load; the rows are gathered afresh by every command
    // that reads them, so that load is never seen.
    reg [GE-1:0] row_ld;    // row j loads the shadow word at the next edge
    integer g;
    always @(posedge clk) begin
        for (g = 0; g < GE; g = g + 1) begin
            row_ld[g] <= !clr && ((state == S_GATHER && step != LAST_READ && step[LGE-1:0] == g[LGE-1:0])
                                  || (state == S_HIDE && step == LAST_SHOWN - 1'b1 && own == g[LGE-1:0]));
            if (row_ld[g]) begin
                row_value[g] <= pad(shadow_q[0 +: KEY_BITS]);
                row_mask[g] <= pad(shadow_q[KEY_BITS +: KEY_BITS]);
            end
        end
    end
    always @(posedge clk) begin
        ram_we <= 1'b0;
        ram_all <= 1'b0;
        dat_we <= 1'b0;
        rd_valid <= 1'b0;
        if (clr) begin
            state <= S_SWEEP;
            sweep <= {XW{1'b0}};
            rows_dirty <= 1'b1;
            active <= 1'b0;
            rd_value <= {KEY_BITS{1'b0}};   // so that every output is defined after a reset
            rd_mask <= {KEY_BITS{1'b0}};
            rd_planes <= 2'b00;
            rd_data <= {DATA_BITS{1'b0}};
        end else begin
            case (state)
                S_IDLE: if (go) begin
                    index_q <= c_index;
                    planes_q <= c_planes;
                    data_q <= c_data;
                    value_q <= c_value;
                    mask_q <= c_mask;
                    is_write <= c_op == OP_WRITE;
                    step <= {SB{1'b0}};
                    case (c_op)
                        OP_WRITE, OP_PLANES: state <= S_GATHER;
                        OP_COMMIT: active <= !active;
                        OP_READ: state <= S_READ;
                        default: ;   // SIDE, CLASS: the owner's write, at acceptance
                    endcase
                end
                S_GATHER: begin
                    // shadow_q, planes_rd hold the entry read at the previous edge (step - 1).
                    if (step != {SB{1'b0}})   // row_value, row_mask: row_ld below
                        member[step[LGE-1:0] - 1'b1] <= shadow_q[SW-1] ? planes_rd : 2'b00;
                    step <= (step == LAST_READ) ? {SB{1'b0}} : step + 1'b1;
                    if (step == LAST_READ) begin
                        state <= is_write ? S_HIDE : S_SHOW;
                        if (is_write) member[own] <= 2'b00;
                    end
                end
                S_HIDE, S_FILL, S_SHOW: begin
                    ram_we <= 1'b1;
                    ram_group <= index_q[IW-1:LGE];
                    ram_addr <= step;
                    ram_data <= fill;
                    step <= step + 1'b1;
                    if (state == S_HIDE && step == LAST_SHOWN) begin
                        state <= S_FILL;
                        step <= {SB{1'b0}};   // row_value[own], row_mask[own]: row_ld below
                    end
                    if (state == S_FILL && step == LAST_ROW) begin
                        state <= S_SHOW;
                        member[own] <= planes_q;
                        dat_we <= 1'b1;
                        dat_index <= index_q;
                        dat_data <= data_q;
                    end
                    if (state == S_SHOW && step == LAST_SHOWN) state <= S_IDLE;
                end
                S_READ: begin
                    rd_valid <= 1'b1;
                    rd_value <= shadow_q[SW-1] ? shadow_q[0 +: KEY_BITS] : {KEY_BITS{1'b0}};
                    rd_mask <= shadow_q[SW-1] ? shadow_q[KEY_BITS +: KEY_BITS] : {KEY_BITS{1'b0}};
                    rd_data <= shadow_q[SW-1] ? shadow_q[2*KEY_BITS +: DATA_BITS] : {DATA_BITS{1'b0}};
                    rd_planes <= shadow_q[SW-1] ? planes_rd : 2'b00;
                    state <= S_IDLE;
                end
                default: begin   // S_SWEEP
                    if (rows_dirty) begin   // rows 0 .. 2^SB-1
                        ram_we <= 1'b1;
                        ram_all <= 1'b1;
                        ram_addr <= sweep[SB-1:0];
                        ram_data <= {WP{1'b0}};
                    end
                    if (sweep == ROWS_LAST) rows_dirty <= 1'b0;
                    sweep <= sweep + 1'b1;
                    if (sweep == SWEEP_LAST) state <= S_IDLE;
                end
            endcase
        end
    end
endmodule
