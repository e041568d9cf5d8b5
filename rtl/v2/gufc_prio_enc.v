// gufc_prio_enc — pipelined priority encoder: the lowest set bit of `in` wins.
//
// A radix-4 tree with a register after every level, so no path spans more than four inputs
// and a 2-bit select (two LUT4 levels on ECP5): `in` present before edge t gives `hit`/`index`
// after edge t+LEVELS-1, LEVELS = ceil(log4 WIDTH) (the first level registers at edge t). One
// input per clock. `index` is meaningful only with `hit` (an empty subtree's index is arbitrary).
//
// SUB > 0 merges the outputs of WIDTH smaller encoders (the banks of gufc_tcam_ram): input n
// brings its own SUB-bit index `sub[n]`, and `index` = {winner n, sub[winner n]}.
module gufc_prio_enc #(
    parameter integer WIDTH = 1024,
    parameter integer SUB = 0
) (clk, in, sub, hit, index);
    localparam integer IW = (WIDTH > 1) ? $clog2(WIDTH) : 1;
    localparam integer LEVELS = (IW + 1) / 2;
    localparam integer NP = 1 << (2 * LEVELS);   // leaves, padded with zeros
    localparam integer XW = SUB + 2 * LEVELS;    // index width inside the tree
    localparam integer SW = (SUB > 0) ? SUB : 1;

    input wire clk;
    input wire [WIDTH-1:0] in;
    /* verilator lint_off UNUSEDSIGNAL */
    input wire [WIDTH*SW-1:0] sub;               // unused when SUB = 0
    /* verilator lint_on UNUSEDSIGNAL */
    output wire hit;
    output wire [SUB+IW-1:0] index;

    genvar l, n0;
    generate
        for (l = 0; l <= LEVELS; l = l + 1) begin : lv
            localparam integer M = NP >> (2 * l);   // nodes at this level
            wire [M-1:0] any;
            wire [M*XW-1:0] idx;
            if (l == 0) begin : leaf
                assign any[WIDTH-1:0] = in;
                if (NP > WIDTH) begin : pad
                    assign any[NP-1:WIDTH] = {(NP-WIDTH){1'b0}};
                end
                for (n0 = 0; n0 < M; n0 = n0 + 1) begin : lf
                    if (SUB > 0 && n0 < WIDTH) begin : s
                        assign idx[n0*XW +: XW] = {{(2*LEVELS){1'b0}}, sub[n0*SW +: SW]};
                    end else begin : z
                        assign idx[n0*XW +: XW] = {XW{1'b0}};
                    end
                end
            end else begin : node
                reg [M-1:0] any_d, any_q;
                reg [M*XW-1:0] idx_d, idx_q;
                reg [3:0] c;
                reg [XW-1:0] sel, child;
                integer n, first;
                always @* begin
                    for (n = 0; n < M; n = n + 1) begin
                        c = lv[l-1].any[4*n +: 4];
                        first = c[0] ? 0 : c[1] ? 1 : c[2] ? 2 : 3;
                        sel = first[XW-1:0];
                        any_d[n] = |c;
                        // A 4:1 mux with constant offsets (a computed offset becomes a multiplier).
                        case (first)
                            0: child = lv[l-1].idx[(4*n)*XW +: XW];
                            1: child = lv[l-1].idx[(4*n + 1)*XW +: XW];
                            2: child = lv[l-1].idx[(4*n + 2)*XW +: XW];
                            default: child = lv[l-1].idx[(4*n + 3)*XW +: XW];
                        endcase
                        idx_d[n*XW +: XW] = child | (sel << (SUB + 2 * (l - 1)));
                    end
                end
                always @(posedge clk) begin
                    any_q <= any_d;
                    idx_q <= idx_d;
                end
                assign any = any_q;
                assign idx = idx_q;
            end
        end
    endgenerate

    assign hit = lv[LEVELS].any[0];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [XW-1:0] root = lv[LEVELS].idx;
    /* verilator lint_on UNUSEDSIGNAL */
    assign index = root[SUB+IW-1:0];
endmodule
