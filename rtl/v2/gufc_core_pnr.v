// gufc_core_pnr — gufc_core between registers, for place and route only (scripts/rtl-pnr --top
// core): every input is registered before the core and every output after it, packed into one
// vector each way, so that nextpnr times the core's own paths, not paths to pins. Nothing here is
// a functional contract.
module gufc_core_pnr #(
    parameter integer ENTRIES = 1024,
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64,
    parameter integer BUCKETS = 1024,
    parameter integer WAYS = 4,
    parameter integer CHANNELS = 16
) (clk, ins, outs);
    localparam integer KB = CHECKERS + 107;             // rule key bits (6 TCP flags)
    localparam integer IW = $clog2(ENTRIES);
    localparam integer SW = $clog2(BUCKETS) + $clog2(WAYS);
    localparam integer CIW = (IW > SW) ? IW : SW;
    // Inputs: rst, epoch, cycle, key (valid 1 + 32 + 32 + 8 + 16 + 16 + 8 + 1 + 1 + 16 + 32),
    // res_ready, rule command (1 + 3 + IW + 2 KB + 2 + 48 + 34), flow command (1 + 3 + 2 SW +
    // 104 + 32 + 1 + 19), counter command (1 + 2 + 1 + CIW).
    localparam integer NI = 1 + 8 + 32 + 163 + 1 + (88 + IW + 2 * KB) + (160 + 2 * SW) + (4 + CIW);
    // Outputs: key_ready, result (1 + 2 + 8 + 8 + 2 + 3 + 24 + 16 + 32), rule (ready, active,
    // rd_valid, 2 KB, 2, 48), flow (ready, rd 1 + 1 + 104 + 32 + 1 + 8 + 19 + 1 + 32, mv 2),
    // counters (ready, rd 1 + 128).
    localparam integer NO = 1 + 96 + (53 + 2 * KB) + 202 + 130;

    input wire clk;
    input wire [NI-1:0] ins;
    output reg [NO-1:0] outs;

    reg [NI-1:0] i;
    always @(posedge clk) i <= ins;

    wire key_ready, res_valid, res_stale, res_sl, res_dl;
    wire [1:0] res_verdict, res_kind;
    wire [7:0] res_channel, res_reason;
    wire [23:0] res_index;
    wire [15:0] res_len;
    wire [31:0] res_tag;
    wire r_ready, r_active, r_rd_valid, f_ready, f_rd_valid, f_rd_sv, f_rd_pin, f_rd_hit, f_mv_v,
         f_mv_ok, c_ready, c_rd_valid;
    wire [KB-1:0] r_rd_value, r_rd_mask;
    wire [1:0] r_rd_planes;
    wire [47:0] r_rd_data;
    wire [103:0] f_rd_key;
    wire [31:0] f_rd_action, f_rd_last;
    wire [7:0] f_rd_epoch;
    wire [18:0] f_rd_int;
    wire [63:0] c_rd_pkts, c_rd_bytes;

    // Input fields, LSB first.
    localparam integer P_KEY = 41, P_RR = P_KEY + 163, P_R = P_RR + 1, P_F = P_R + 88 + IW + 2 * KB,
                       P_C = P_F + 160 + 2 * SW;
    gufc_core #(.ENTRIES(ENTRIES), .CHECKERS(CHECKERS), .BANK(BANK), .BUCKETS(BUCKETS),
                .WAYS(WAYS), .CHANNELS(CHANNELS)) core (
        .clk(clk), .rst(i[0]), .epoch(i[1 +: 8]), .cycle(i[9 +: 32]),
        .key_valid(i[P_KEY]), .key_ready(key_ready), .key_src(i[P_KEY+1 +: 32]),
        .key_dst(i[P_KEY+33 +: 32]), .key_proto(i[P_KEY+65 +: 8]), .key_sport(i[P_KEY+73 +: 16]),
        .key_dport(i[P_KEY+89 +: 16]), .key_flags(i[P_KEY+105 +: 8]),
        .key_src_local(i[P_KEY+113]), .key_dst_local(i[P_KEY+114]), .key_len(i[P_KEY+115 +: 16]),
        .key_tag(i[P_KEY+131 +: 32]),
        .res_valid(res_valid), .res_ready(i[P_RR]), .res_verdict(res_verdict),
        .res_channel(res_channel), .res_reason(res_reason), .res_kind(res_kind),
        .res_stale(res_stale), .res_src_local(res_sl), .res_dst_local(res_dl),
        .res_index(res_index), .res_len(res_len), .res_tag(res_tag),
        .r_cmd_valid(i[P_R]), .r_cmd_ready(r_ready), .r_cmd_op(i[P_R+1 +: 3]),
        .r_cmd_index(i[P_R+4 +: IW]), .r_cmd_value(i[P_R+4+IW +: KB]),
        .r_cmd_mask(i[P_R+4+IW+KB +: KB]), .r_cmd_planes(i[P_R+4+IW+2*KB +: 2]),
        .r_cmd_data(i[P_R+6+IW+2*KB +: 48]), .r_cmd_range(i[P_R+54+IW+2*KB +: 34]),
        .r_active(r_active), .r_rd_valid(r_rd_valid), .r_rd_value(r_rd_value),
        .r_rd_mask(r_rd_mask), .r_rd_planes(r_rd_planes), .r_rd_data(r_rd_data),
        .f_cmd_valid(i[P_F]), .f_cmd_ready(f_ready), .f_cmd_op(i[P_F+1 +: 3]),
        .f_cmd_slot(i[P_F+4 +: SW]), .f_cmd_arg(i[P_F+4+SW +: SW]),
        .f_cmd_key(i[P_F+4+2*SW +: 104]), .f_cmd_action(i[P_F+108+2*SW +: 32]),
        .f_cmd_pinned(i[P_F+140+2*SW]), .f_cmd_interest(i[P_F+141+2*SW +: 19]),
        .f_rd_valid(f_rd_valid), .f_rd_slot_valid(f_rd_sv), .f_rd_key(f_rd_key),
        .f_rd_action(f_rd_action), .f_rd_pinned(f_rd_pin), .f_rd_epoch(f_rd_epoch),
        .f_rd_interest(f_rd_int), .f_rd_hit(f_rd_hit), .f_rd_last_hit(f_rd_last),
        .f_mv_valid(f_mv_v), .f_mv_ok(f_mv_ok),
        .c_cmd_valid(i[P_C]), .c_cmd_ready(c_ready), .c_cmd_space(i[P_C+1 +: 2]),
        .c_cmd_op(i[P_C+3]), .c_cmd_index(i[P_C+4 +: CIW]), .c_rd_valid(c_rd_valid),
        .c_rd_pkts(c_rd_pkts), .c_rd_bytes(c_rd_bytes));

    always @(posedge clk)
        outs <= {key_ready,
                 res_valid, res_verdict, res_channel, res_reason, res_kind, res_stale, res_sl,
                 res_dl, res_index, res_len, res_tag,
                 r_ready, r_active, r_rd_valid, r_rd_value, r_rd_mask, r_rd_planes, r_rd_data,
                 f_ready, f_rd_valid, f_rd_sv, f_rd_key, f_rd_action, f_rd_pin, f_rd_epoch,
                 f_rd_int, f_rd_hit, f_rd_last, f_mv_v, f_mv_ok,
                 c_ready, c_rd_valid, c_rd_pkts, c_rd_bytes};
endmodule
