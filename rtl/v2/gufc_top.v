// gufc_top (RTL 2.0) — the classifier device: the BAR0 register block, the locality table and the
// 2.0 datapath (gufc_core: RAM TCAM, block-RAM flow cache and counters). Same ports as 1.x, so
// the Verilator shim, the RTL backend and the key path work unchanged; VERSION reads 2.0.
//
// Keys: the 1.x key port (key_data in the [key] layout). The locality table answers
// combinationally on the port, then the key enters the core at its acceptance edge k; its result
// transfers at k+A+7 at the earliest (CAP_MISC.LATENCY; 18 at 1,024 entries). IPv4 only: a key
// with META.IPV6 is decided as a miss (slow path, reason MISS) until the IPv6 labels exist.
// key_ready is the core's: the pipeline never stalls; only a full output FIFO refuses keys.
//
// Registers: one access per cycle, always taken; its effect lands at that cycle's edge. Read data
// is registered (the value before the edge, out after it; 0 after a write or no access). A write
// to a read-only or unmapped offset is rejected (BAD_OFFSET, ERROR_INDEX = the offset).
//
// Commands: a CMD write is checked at its edge (unknown opcode, then BUSY, then the opcode's own
// rules) and, if accepted, captured with every staged operand it needs. The engine runs one
// command at a time: STATUS.BUSY is 1 from the accepting edge until the command's block took it
// and, for READs, MOVE and the counter clears below, until its data or answer is back. A CMD
// write while BUSY is rejected (BUSY), never queued. LOCAL_WRITE (the locality table, written at
// its edge) and PROBE (the key path) do not use the engine.
//   TCAM_WRITE, TCAM_SET_PLANES, COMMIT, CHECKER_WRITE, CLASS_WRITE, TCAM_READ -> the rule stage
//     (gufc_tcam_v4: WRITE keeps it busy CAP_RULES.WRITE_CYCLES cycles; the next rule command
//     waits for it). An entry is value/mask over the rule-stage key in KEY[0..3] / MASK[0..3]
//     (KEY_BITS = CHECKERS + 101 + FLAG_BITS bits, LSB first as gufc_tcam_v4 documents); KEY and
//     MASK words 4..9 must be 0. COMMIT also advances the epoch at the edge the rule stage takes
//     it, so each key sees the old plane and epoch or the new ones.
//     TCAM_WRITE clears the entry's counters at c+A+GE+R+3 (c: the rule stage's accepting edge),
//     the edge between the last key the old entry decides and the first the new one decides.
//   FLOW_* -> the flow cache (gufc_flow_ram); the flow key is KEY[0] src, KEY[4] dst, META.PROTO,
//     PORTS (IPv4; other address words 0, META.IPV6 0). FLOW_WRITE clears the slot's counters at
//     c+A-2, the same boundary for flows. FLOW_MOVE's conflict (empty source, valid destination)
//     is found by the flow cache: MOVE_CONFLICT is reported when its answer is back. A move
//     that succeeds moves the counters too: CLEAR of the destination before any key can count
//     on it, READ of the source once no key can count on it any more (c+A+3), CLEAR of the
//     source, ADD of the value read to the destination (whose own keys have counted since).
//     FLOW_CLEAR leaves the counters.
//   CNT_READ, CNT_CLEAR -> the counter spaces (CMD_ARG the space).
// Read data (TCAM_READ, FLOW_READ, CNT_READ) is loaded into the staging and snapshot registers at
// the edge it arrives; it wins over a host write of the same register at that edge.
// Rejections at one edge (a late MOVE_CONFLICT and a CMD's) both count; the earlier command's is
// the one ERROR keeps if it was clear.
// Reset: rst or a CONTROL.RESET write at edge e clears the register block (and the locality
// table) at e and the core at e+1, from registers loaded at e (one gufc_copy per block: nothing
// from the MMIO port reaches the core's clears or key_ready in one cycle). A key offered before
// e is accepted at e and dropped with every key in flight; key_ready is 0 between e and e+1; a
// result shown then transfers if res_ready; a probe result leaving the core then is ignored (no
// probe is busy); a command written then is accepted and waits, like every command until the
// rule stage and flow cache have swept their RAMs (BUSY), while keys flow and miss.
module gufc_top #(
    parameter integer TCAM_ENTRIES = 1024,  // a multiple of BANK, >= CHECKERS
    parameter integer FLOW_BUCKETS = 1024,  // a power of two >= 2
    parameter integer FLOW_WAYS = 4,        // a power of two >= 2
    parameter integer CHANNELS = 16,        // 1..256
    parameter integer LOCAL_ENTRIES = 8,    // 1..255
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64,
    parameter integer SLICE_BITS = 4,
    parameter integer FLAG_BITS = 6,
    parameter integer FIFO = 32
) (clk, rst, mmio_valid, mmio_write, mmio_addr, mmio_wdata, mmio_rdata,
   key_valid, key_ready, key_data, key_len, key_tag, key_flags,
   res_valid, res_ready, res_verdict, res_channel, res_reason, res_kind, res_stale,
   res_src_local, res_dst_local, res_index, res_len, res_tag);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KW = GUFC_KEY_WORDS;
    localparam integer KB = KW * 32;
    localparam integer XW = CMD_INDEX_W;
    localparam integer KEY_BITS = CHECKERS + 101 + FLAG_BITS;
    localparam integer SLOTS = FLOW_BUCKETS * FLOW_WAYS;
    localparam integer IW = $clog2(TCAM_ENTRIES);
    localparam integer SW = $clog2(SLOTS);
    localparam integer CIW = (IW > SW) ? IW : SW;
    localparam integer LW = (LOCAL_ENTRIES > 1) ? $clog2(LOCAL_ENTRIES) : 1;
    // The core's latency (gufc_core) and the rule stage's WRITE timing (gufc_tcam_update).
    localparam integer BW = $clog2(BANK);
    localparam integer LB = (BW + 1) / 2;
    localparam integer LG = (TCAM_ENTRIES / BANK > 1) ? ($clog2(TCAM_ENTRIES / BANK) + 1) / 2 : 0;
    localparam integer LR = 6 + LB + LG;
    localparam integer A = (LR > 8) ? LR : 8;
    localparam integer LATENCY = A + 7;
    localparam integer GE = (SLICE_BITS == 5) ? 2 : 4;
    localparam integer SLICES = (KEY_BITS + 1 + SLICE_BITS - 1) / SLICE_BITS;
    localparam integer PB = KEY_BITS - SLICE_BITS * (SLICES - 1);
    localparam integer R = 2 << PB;
    localparam integer WRITE_CYCLES = 3 + GE + 2 * R + (1 << SLICE_BITS);
    localparam integer CLASSES = 7;
    // Edges from the accepting edge of a write to its counter clear (docs above).
    localparam integer TCAM_CLEAR_AT = A + GE + R + 3;
    localparam integer FLOW_CLEAR_AT = A - 2;
    localparam integer CLR_T_I = TCAM_CLEAR_AT - 1;
    localparam integer CLR_F_I = FLOW_CLEAR_AT - 1;
    localparam [7:0] CLR_T = CLR_T_I[7:0];
    localparam [7:0] CLR_F = CLR_F_I[7:0];
    // Capability fields (8 bits each; 256 channels read 0).
    localparam [7:0] LATENCY_8 = LATENCY[7:0];
    localparam [7:0] LOCAL_8 = LOCAL_ENTRIES[7:0];
    localparam [7:0] CHANNELS_8 = CHANNELS[7:0];
    localparam [7:0] WRITE_CYCLES_8 = WRITE_CYCLES[7:0];
    localparam [7:0] FLAG_BITS_8 = FLAG_BITS[7:0];
    localparam [7:0] CLASSES_8 = CLASSES[7:0];
    localparam [7:0] CHECKERS_8 = CHECKERS[7:0];

    input wire clk;
    input wire rst;
    input wire mmio_valid;
    input wire mmio_write;
    input wire [11:0] mmio_addr;
    input wire [31:0] mmio_wdata;
    output reg [31:0] mmio_rdata;
    input wire key_valid;
    output wire key_ready;
    /* verilator lint_off UNUSEDSIGNAL */
    input wire [KB-1:0] key_data;     // IPv4: SRC0, DST0, META, PORTS (locality reads the rest)
    /* verilator lint_on UNUSEDSIGNAL */
    input wire [15:0] key_len;
    input wire [31:0] key_tag;
    input wire [7:0] key_flags;
    output wire res_valid;
    input wire res_ready;
    output wire [1:0] res_verdict;
    output wire [7:0] res_channel;
    output wire [7:0] res_reason;
    output wire [1:0] res_kind;
    output wire res_stale;
    output wire res_src_local;
    output wire res_dst_local;
    output wire [XW-1:0] res_index;
    output wire [15:0] res_len;
    output wire [31:0] res_tag;

    // ---------------------------------------------------------------- the access of this cycle
    wire wr = mmio_valid && mmio_write;
    wire rd = mmio_valid && !mmio_write;
    wire clr = rst || (wr && mmio_addr == REG_CONTROL && mmio_wdata[CONTROL_RESET_LSB]);
    // Element i of KEY / MASK, if the address is one.
    wire in_key = mmio_addr >= REG_KEY && mmio_addr < REG_KEY + 12'd4 * KW[11:0]
                  && mmio_addr[1:0] == 2'd0;
    wire in_mask = mmio_addr >= REG_MASK && mmio_addr < REG_MASK + 12'd4 * KW[11:0]
                   && mmio_addr[1:0] == 2'd0;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [11:0] key_off = mmio_addr - REG_KEY;
    wire [11:0] mask_off = mmio_addr - REG_MASK;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [3:0] key_i = key_off[5:2];
    wire [3:0] mask_i = mask_off[5:2];

    // ---------------------------------------------------------------- registers
    reg [31:0] scratch, cmd_arg, sport_rng, dport_rng, prio, action, planes, fflags, pkt_len;
    reg [31:0] interest, pkt_flags, fstate, flast, probe_word, probe_index, cycle_hi;
    reg [31:0] stg_key [0:KW-1];
    reg [31:0] stg_mask [0:KW-1];
    reg [31:0] cnt [0:3];
    reg [63:0] cycle;
    reg [7:0] epoch;
    reg err_set;
    reg [7:0] err_reason, err_opcode;
    reg [15:0] err_count;
    reg [31:0] err_index;

    // ---------------------------------------------------------------- the command engine
    reg r_pend, f_pend, c_pend;       // a command waits for its block's cmd_ready
    reg r_wait, f_wait, c_wait;       // a READ (or MOVE) waits for its data (answer)
    reg [7:0] clr_cd;                 // edges to a counter clear's c_pend (0: none)
    reg [2:0] r_op, f_op;
    reg [IW-1:0] r_index;
    reg [KEY_BITS-1:0] r_value, r_mask;
    reg [1:0] r_planes;
    reg [47:0] r_data;
    reg [33:0] r_range;
    reg [SW-1:0] f_slot, f_arg;
    reg [103:0] f_key;
    reg [31:0] f_action;
    reg f_pinned;
    reg [18:0] f_interest;
    reg [1:0] c_space;
    reg [1:0] c_op;                   // 0 READ, 1 CLEAR, 2 ADD
    reg c_host;                       // the counter command is the host's (its READ loads CNT_*)
    reg [63:0] c_pkts, c_bytes;       // an ADD's values
    reg [CIW-1:0] c_index;
    reg [1:0] clr_space;              // the pending counter clear's
    reg [CIW-1:0] clr_index;
    reg [31:0] mv_index;              // the FLOW_MOVE whose answer is awaited (ERROR_INDEX)
    // A successful FLOW_MOVE's counters: 1 CLEAR dst, 2 wait for mv_cd, 3 READ src, 4 CLEAR src,
    // 5 ADD to dst; mv_cd counts the edges from the answer to the READ's command.
    reg [2:0] mv_phase;
    reg [7:0] mv_cd;
    reg [SW-1:0] mv_src, mv_dst;
    localparam integer MV_READ_I = A - 3;
    localparam [7:0] MV_READ_AT = MV_READ_I[7:0];
    wire busy = r_pend || f_pend || c_pend || r_wait || f_wait || c_wait || clr_cd != 8'd0
                || mv_phase != 3'd0;

    reg probe_pending, probe_busy;
    reg [KB-1:0] probe_key;
    reg [15:0] probe_len;
    reg [7:0] probe_flags;

    // ---------------------------------------------------------------- the core's ports
    wire r_ready, f_ready, c_ready, r_active;
    wire r_rd_valid, f_rd_valid, f_rd_slot_valid, f_rd_pinned, f_rd_hit, f_mv_valid, f_mv_ok;
    wire c_rd_valid;
    wire [KEY_BITS-1:0] r_rd_value, r_rd_mask;
    wire [1:0] r_rd_planes;
    wire [47:0] r_rd_data;
    wire [103:0] f_rd_key;
    wire [31:0] f_rd_action, f_rd_last_hit;
    wire [7:0] f_rd_epoch;
    wire [18:0] f_rd_interest;
    wire [63:0] c_rd_pkts, c_rd_bytes;
    wire prb_valid, prb_stale, prb_src_local, prb_dst_local;
    wire [1:0] prb_verdict, prb_kind;
    wire [7:0] prb_channel, prb_reason;
    wire [XW-1:0] prb_index;

    // The key into the core: a pending probe in place of the port's key.
    wire core_ready;
    assign key_ready = core_ready && !probe_pending;
    wire core_valid = probe_pending || key_valid;
    wire [KB-1:0] k = probe_pending ? probe_key : key_data;
    wire [31:0] k_meta = k[32 * KEY_META_WORD +: 32];
    wire [31:0] k_ports = k[32 * KEY_PORTS_WORD +: 32];
    wire src_local, dst_local;

    // The core's reset: clr registered, so the core is reset at the edge after the register
    // block's (e+1) and no MMIO decode reaches its clears or key_ready. One register per block
    // (gufc_copy keeps equal registers apart), all loaded from clr at the same edge.
    wire rst_ctl, rst_rule, rst_flow, rst_glob;
    wire [2:0] rst_cnt;
    gufc_copy rst_ctl_q (.clk(clk), .d(clr), .q(rst_ctl));
    gufc_copy rst_rule_q (.clk(clk), .d(clr), .q(rst_rule));
    gufc_copy rst_flow_q (.clk(clk), .d(clr), .q(rst_flow));
    gufc_copy rst_glob_q (.clk(clk), .d(clr), .q(rst_glob));
    gufc_copy rst_rc_q (.clk(clk), .d(clr), .q(rst_cnt[0]));
    gufc_copy rst_fc_q (.clk(clk), .d(clr), .q(rst_cnt[1]));
    gufc_copy rst_cc_q (.clk(clk), .d(clr), .q(rst_cnt[2]));

    gufc_core #(.ENTRIES(TCAM_ENTRIES), .CHECKERS(CHECKERS), .BANK(BANK),
                .SLICE_BITS(SLICE_BITS), .FLAG_BITS(FLAG_BITS), .BUCKETS(FLOW_BUCKETS),
                .WAYS(FLOW_WAYS), .CHANNELS(CHANNELS), .FIFO(FIFO)) core (
        .clk(clk), .rst(rst_ctl), .rst_rule(rst_rule), .rst_flow(rst_flow), .rst_cnt(rst_cnt),
        .rst_glob(rst_glob), .epoch(epoch), .cycle(cycle[31:0]),
        .key_valid(core_valid), .key_ready(core_ready),
        .key_src(k[32 * KEY_SRC0_WORD +: 32]), .key_dst(k[32 * KEY_DST0_WORD +: 32]),
        .key_proto(k_meta[META_PROTO_LSB +: 8]), .key_sport(k_ports[PORTS_SPORT_LSB +: 16]),
        .key_dport(k_ports[PORTS_DPORT_LSB +: 16]),
        .key_flags(probe_pending ? probe_flags : key_flags),
        .key_src_local(src_local), .key_dst_local(dst_local),
        .key_len(probe_pending ? probe_len : key_len), .key_tag(probe_pending ? 32'd0 : key_tag),
        .key_v6(k_meta[META_IPV6_LSB]), .key_probe(probe_pending),
        .res_valid(res_valid), .res_ready(res_ready), .res_verdict(res_verdict),
        .res_channel(res_channel), .res_reason(res_reason), .res_kind(res_kind),
        .res_stale(res_stale), .res_src_local(res_src_local), .res_dst_local(res_dst_local),
        .res_index(res_index), .res_len(res_len), .res_tag(res_tag),
        .prb_valid(prb_valid), .prb_verdict(prb_verdict), .prb_channel(prb_channel),
        .prb_reason(prb_reason), .prb_kind(prb_kind), .prb_stale(prb_stale),
        .prb_src_local(prb_src_local), .prb_dst_local(prb_dst_local), .prb_index(prb_index),
        .r_cmd_valid(r_pend), .r_cmd_ready(r_ready), .r_cmd_op(r_op), .r_cmd_index(r_index),
        .r_cmd_value(r_value), .r_cmd_mask(r_mask), .r_cmd_planes(r_planes),
        .r_cmd_data(r_data), .r_cmd_range(r_range), .r_active(r_active),
        .r_rd_valid(r_rd_valid), .r_rd_value(r_rd_value), .r_rd_mask(r_rd_mask),
        .r_rd_planes(r_rd_planes), .r_rd_data(r_rd_data),
        .f_cmd_valid(f_pend), .f_cmd_ready(f_ready), .f_cmd_op(f_op), .f_cmd_slot(f_slot),
        .f_cmd_arg(f_arg), .f_cmd_key(f_key), .f_cmd_action(f_action),
        .f_cmd_pinned(f_pinned), .f_cmd_interest(f_interest), .f_rd_valid(f_rd_valid),
        .f_rd_slot_valid(f_rd_slot_valid), .f_rd_key(f_rd_key), .f_rd_action(f_rd_action),
        .f_rd_pinned(f_rd_pinned), .f_rd_epoch(f_rd_epoch), .f_rd_interest(f_rd_interest),
        .f_rd_hit(f_rd_hit), .f_rd_last_hit(f_rd_last_hit), .f_mv_valid(f_mv_valid),
        .f_mv_ok(f_mv_ok),
        .c_cmd_valid(c_pend), .c_cmd_ready(c_ready), .c_cmd_space(c_space), .c_cmd_op(c_op),
        .c_cmd_index(c_index), .c_cmd_pkts(c_pkts), .c_cmd_bytes(c_bytes), .c_rd_valid(c_rd_valid), .c_rd_pkts(c_rd_pkts),
        .c_rd_bytes(c_rd_bytes));

    // ---------------------------------------------------------------- the CMD write's checks
    wire cmd_wr = wr && mmio_addr == REG_CMD;
    wire [7:0] opcode = mmio_wdata[CMD_OPCODE_LSB +: 8];
    wire [XW-1:0] cmd_index = mmio_wdata[CMD_INDEX_LSB +: XW];
    wire [31:0] idx = {{(32-XW){1'b0}}, cmd_index};
    wire local_wr = cmd_wr && !clr && opcode == OPCODE_LOCAL_WRITE && idx < LOCAL_ENTRIES;
    reg [KB-1:0] key_vec, mask_vec;
    integer n;
    always @* for (n = 0; n < KW; n = n + 1) begin
        key_vec[32 * n +: 32] = stg_key[n];
        mask_vec[32 * n +: 32] = stg_mask[n];
    end
    wire [127:0] key_lo = key_vec[127:0];
    wire [127:0] mask_lo = mask_vec[127:0];
    wire [KB-129:0] key_hi = key_vec[KB-1:128];
    wire [KB-129:0] mask_hi = mask_vec[KB-1:128];
    localparam [127:0] ENTRY_BITS = (128'd1 << KEY_BITS) - 128'd1;
    wire entry_bad = key_hi != 0 || mask_hi != 0 || (key_lo & ~ENTRY_BITS) != 0
                     || (mask_lo & ~ENTRY_BITS) != 0;
    localparam [31:0] META_FLOW = ((32'd1 << META_PROTO_W) - 32'd1) << META_PROTO_LSB
                                | ((32'd1 << META_SRC_LOCAL_W) - 32'd1) << META_SRC_LOCAL_LSB
                                | ((32'd1 << META_DST_LOCAL_W) - 32'd1) << META_DST_LOCAL_LSB;
    wire flow_key_bad = (stg_key[KEY_META_WORD] & ~META_FLOW) != 32'd0
        || stg_key[KEY_SRC1_WORD] != 0 || stg_key[KEY_SRC2_WORD] != 0 || stg_key[KEY_SRC3_WORD] != 0
        || stg_key[KEY_DST1_WORD] != 0 || stg_key[KEY_DST2_WORD] != 0 || stg_key[KEY_DST3_WORD] != 0;
    localparam [31:0] PLANES_OK = ((32'd1 << PLANES_PLANES_W) - 32'd1) << PLANES_PLANES_LSB;
    localparam [31:0] FLAGS_OK = ((32'd1 << FLOW_FLAGS_PINNED_W) - 32'd1) << FLOW_FLAGS_PINNED_LSB;
    localparam [31:0] ACTION_OK = ((32'd1 << ACTION_VERDICT_W) - 32'd1) << ACTION_VERDICT_LSB
                                | ((32'd1 << ACTION_CHANNEL_W) - 32'd1) << ACTION_CHANNEL_LSB
                                | ((32'd1 << ACTION_REASON_W) - 32'd1) << ACTION_REASON_LSB;
    localparam [31:0] INTEREST_OK =
        ((32'd1 << FLOW_INTEREST_MODE_W) - 32'd1) << FLOW_INTEREST_MODE_LSB
      | ((32'd1 << FLOW_INTEREST_PERIOD_W) - 32'd1) << FLOW_INTEREST_PERIOD_LSB;
    wire [1:0] verdict = action[ACTION_VERDICT_LSB +: 2];
    wire [31:0] channel = {24'd0, action[ACTION_CHANNEL_LSB +: 8]};
    wire action_bad = (action & ~ACTION_OK) != 32'd0 || verdict == 2'd3
        || (verdict == VERDICT_DELIVER[1:0] && channel >= CHANNELS);
    wire [2:0] imode = interest[FLOW_INTEREST_MODE_LSB +: 3];
    wire [15:0] iperiod = interest[FLOW_INTEREST_PERIOD_LSB +: 16];
    wire interest_bad = (interest & ~INTEREST_OK) != 32'd0
        || imode > INTEREST_MODE_SAMPLE[2:0]
        || (imode == INTEREST_MODE_SAMPLE[2:0] && iperiod == 16'd0);
    wire [31:0] rng = cmd_arg[1] ? dport_rng : sport_rng;
    reg [31:0] space_size;
    always @* begin
        case (cmd_arg)
            32'd0: space_size = TCAM_ENTRIES;
            32'd1: space_size = SLOTS;
            32'd2: space_size = CHANNELS;
            default: space_size = 32'd8;
        endcase
    end
    reg [7:0] reason;
    always @* begin
        reason = REASON_CODE_NONE;
        case (opcode)
            OPCODE_TCAM_WRITE, OPCODE_TCAM_READ, OPCODE_TCAM_SET_PLANES, OPCODE_COMMIT,
            OPCODE_CHECKER_WRITE, OPCODE_CLASS_WRITE, OPCODE_FLOW_WRITE, OPCODE_FLOW_READ,
            OPCODE_FLOW_CLEAR, OPCODE_FLOW_MOVE, OPCODE_FLOW_TOUCH, OPCODE_FLOW_SET_INTEREST,
            OPCODE_CNT_READ, OPCODE_CNT_CLEAR:
                if (busy) reason = REASON_CODE_BUSY;
            OPCODE_LOCAL_WRITE, OPCODE_PROBE: ;
            default: reason = REASON_CODE_BAD_OPCODE;
        endcase
        if (reason == REASON_CODE_NONE) case (opcode)
            OPCODE_TCAM_WRITE: begin
                if (idx >= TCAM_ENTRIES) reason = REASON_CODE_BAD_INDEX;
                else if ((planes & ~PLANES_OK) != 32'd0 || entry_bad) reason = REASON_CODE_BAD_FLAGS;
                else if (action_bad) reason = REASON_CODE_BAD_ACTION;
                else if ((key_lo & ~mask_lo) != 128'd0) reason = REASON_CODE_VALUE_OUTSIDE_MASK;
            end
            OPCODE_TCAM_READ: if (idx >= TCAM_ENTRIES) reason = REASON_CODE_BAD_INDEX;
            OPCODE_TCAM_SET_PLANES: begin
                if (idx >= TCAM_ENTRIES) reason = REASON_CODE_BAD_INDEX;
                else if ((planes & ~PLANES_OK) != 32'd0) reason = REASON_CODE_BAD_FLAGS;
            end
            OPCODE_CHECKER_WRITE: begin
                if (idx >= CHECKERS) reason = REASON_CODE_BAD_INDEX;
                else if ((cmd_arg & ~32'h7) != 32'd0) reason = REASON_CODE_BAD_FLAGS;
                else if (rng[15:0] > rng[31:16]) reason = REASON_CODE_BAD_RANGE;
            end
            OPCODE_CLASS_WRITE: begin
                if (idx == 32'd0 || idx > CLASSES) reason = REASON_CODE_BAD_INDEX;
                else if ((cmd_arg & ~32'hff05) != 32'd0) reason = REASON_CODE_BAD_FLAGS;
            end
            OPCODE_FLOW_WRITE: begin
                if (idx >= SLOTS) reason = REASON_CODE_BAD_INDEX;
                else if ((fflags & ~FLAGS_OK) != 32'd0 || flow_key_bad || interest_bad)
                    reason = REASON_CODE_BAD_FLAGS;
                else if (action_bad) reason = REASON_CODE_BAD_ACTION;
            end
            OPCODE_FLOW_READ, OPCODE_FLOW_CLEAR, OPCODE_FLOW_TOUCH:
                if (idx >= SLOTS) reason = REASON_CODE_BAD_INDEX;
            OPCODE_FLOW_SET_INTEREST: begin
                if (idx >= SLOTS) reason = REASON_CODE_BAD_INDEX;
                else if (interest_bad) reason = REASON_CODE_BAD_FLAGS;
            end
            OPCODE_FLOW_MOVE:
                if (idx >= SLOTS || cmd_arg >= SLOTS) reason = REASON_CODE_BAD_INDEX;
            OPCODE_LOCAL_WRITE: if (idx >= LOCAL_ENTRIES) reason = REASON_CODE_BAD_INDEX;
            OPCODE_CNT_READ, OPCODE_CNT_CLEAR:
                if (cmd_arg > 32'd3 || idx >= space_size) reason = REASON_CODE_BAD_INDEX;
            OPCODE_PROBE: if (probe_busy) reason = REASON_CODE_PROBE_BUSY;
            default: ;
        endcase
    end
    wire go = cmd_wr && reason == REASON_CODE_NONE;

    // Writable offsets (a write elsewhere is BAD_OFFSET).
    wire writable = in_key || in_mask || mmio_addr == REG_SCRATCH || mmio_addr == REG_CONTROL
        || mmio_addr == REG_ERROR || mmio_addr == REG_CMD || mmio_addr == REG_CMD_ARG
        || mmio_addr == REG_SPORT_RANGE || mmio_addr == REG_DPORT_RANGE || mmio_addr == REG_PRIO
        || mmio_addr == REG_ACTION || mmio_addr == REG_PLANES || mmio_addr == REG_FLOW_FLAGS
        || mmio_addr == REG_PKT_LEN || mmio_addr == REG_FLOW_INTEREST || mmio_addr == REG_PKT_FLAGS;
    // This edge's rejections: a late MOVE_CONFLICT, then the access's own.
    wire late = f_wait && f_mv_valid && !f_mv_ok;
    wire now = (cmd_wr && reason != REASON_CODE_NONE) || (wr && !writable);
    wire [7:0] now_reason = cmd_wr ? reason : REASON_CODE_BAD_OFFSET;
    wire [7:0] now_opcode = cmd_wr ? opcode : 8'd0;
    wire [31:0] now_index = cmd_wr ? idx : {20'd0, mmio_addr};

    // The locality table: written by LOCAL_WRITE at its edge, read on the key entering the core.
    gufc_locality #(.ENTRIES(LOCAL_ENTRIES)) locality (
        .clk(clk), .clr(clr), .wr_en(local_wr), .wr_index(cmd_index[LW-1:0]),
        .wr_key(key_vec), .wr_mask(mask_vec), .wr_valid(cmd_arg[0]), .key(k),
        .src_local(src_local), .dst_local(dst_local));

    // ---------------------------------------------------------------- read data
    reg [31:0] rv;
    always @* begin
        rv = 32'd0;
        if (in_key) rv = stg_key[key_i];
        else if (in_mask) rv = stg_mask[mask_i];
        else case (mmio_addr)
            REG_ID: rv = GUFC_MAGIC;
            REG_VERSION: rv = {GUFC_VERSION2_MAJOR[15:0], GUFC_VERSION2_MINOR[15:0]};
            REG_CAP_TCAM: rv = TCAM_ENTRIES;
            REG_CAP_FLOW_BUCKETS: rv = FLOW_BUCKETS;
            REG_CAP_FLOW_WAYS: rv = FLOW_WAYS;
            REG_CAP_MISC: rv = {8'd64, LATENCY_8, LOCAL_8, CHANNELS_8};
            REG_CAP_KEY: rv = {8'd0, GUFC_PRIO_BITS[7:0], GUFC_KEY_WORDS[7:0], 8'd1};
            REG_CAP_RULES: rv = {WRITE_CYCLES_8, FLAG_BITS_8, CLASSES_8, CHECKERS_8};
            REG_SCRATCH: rv = scratch;
            REG_STATUS: begin
                rv[STATUS_ERROR_LSB] = err_set;
                rv[STATUS_PROBE_BUSY_LSB] = probe_busy;
                rv[STATUS_ACTIVE_PLANE_LSB] = r_active;
                rv[STATUS_BUSY_LSB] = busy;
                rv[STATUS_EPOCH_LSB +: 8] = epoch;
            end
            REG_ERROR: rv = {err_count, err_opcode, err_reason};
            REG_ERROR_INDEX: rv = err_index;
            REG_CYCLE_LO: rv = cycle[31:0];
            REG_CYCLE_HI: rv = cycle_hi;
            REG_CMD_ARG: rv = cmd_arg;
            REG_SPORT_RANGE: rv = sport_rng;
            REG_DPORT_RANGE: rv = dport_rng;
            REG_PRIO: rv = prio;
            REG_ACTION: rv = action;
            REG_PLANES: rv = planes;
            REG_FLOW_FLAGS: rv = fflags;
            REG_PKT_LEN: rv = pkt_len;
            REG_FLOW_STATE: rv = fstate;
            REG_FLOW_LAST_HIT: rv = flast;
            REG_FLOW_INTEREST: rv = interest;
            REG_PKT_FLAGS: rv = pkt_flags;
            REG_CNT_PKTS_LO: rv = cnt[0];
            REG_CNT_PKTS_HI: rv = cnt[1];
            REG_CNT_BYTES_LO: rv = cnt[2];
            REG_CNT_BYTES_HI: rv = cnt[3];
            REG_PROBE_RESULT: rv = probe_word;
            REG_PROBE_INDEX: rv = probe_index;
            default: rv = 32'd0;
        endcase
    end

    // ---------------------------------------------------------------- the edge
    wire [127:0] rd_value_128 = {{(128-KEY_BITS){1'b0}}, r_rd_value};
    wire [127:0] rd_mask_128 = {{(128-KEY_BITS){1'b0}}, r_rd_mask};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] staged_meta = stg_key[KEY_META_WORD];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] staged_ports = stg_key[KEY_PORTS_WORD];
    always @(posedge clk) begin
        mmio_rdata <= (rd && !rst) ? rv : 32'd0;
        if (clr) begin
            scratch <= 32'd0;
            cmd_arg <= 32'd0;
            sport_rng <= 32'd0;
            dport_rng <= 32'd0;
            prio <= 32'd0;
            action <= 32'd0;
            planes <= 32'd0;
            fflags <= 32'd0;
            pkt_len <= 32'd0;
            interest <= 32'd0;
            pkt_flags <= 32'd0;
            fstate <= 32'd0;
            flast <= 32'd0;
            probe_word <= 32'd0;
            probe_index <= 32'd0;
            cycle_hi <= 32'd0;
            for (n = 0; n < KW; n = n + 1) begin
                stg_key[n] <= 32'd0;
                stg_mask[n] <= 32'd0;
            end
            for (n = 0; n < 4; n = n + 1) cnt[n] <= 32'd0;
            cycle <= 64'd0;
            epoch <= 8'd0;
            err_set <= 1'b0;
            err_reason <= 8'd0;
            err_opcode <= 8'd0;
            err_count <= 16'd0;
            err_index <= 32'd0;
            r_pend <= 1'b0;
            f_pend <= 1'b0;
            c_pend <= 1'b0;
            r_wait <= 1'b0;
            f_wait <= 1'b0;
            c_wait <= 1'b0;
            clr_cd <= 8'd0;
            mv_phase <= 3'd0;
            mv_cd <= 8'd0;
            probe_pending <= 1'b0;
            probe_busy <= 1'b0;
        end else begin
            cycle <= cycle + 64'd1;
            if (rd && mmio_addr == REG_CYCLE_LO) cycle_hi <= cycle[63:32];

            // Staging writes.
            if (wr) begin
                if (in_key) stg_key[key_i] <= mmio_wdata;
                if (in_mask) stg_mask[mask_i] <= mmio_wdata;
                case (mmio_addr)
                    REG_SCRATCH: scratch <= mmio_wdata;
                    REG_CMD_ARG: cmd_arg <= mmio_wdata;
                    REG_SPORT_RANGE: sport_rng <= mmio_wdata;
                    REG_DPORT_RANGE: dport_rng <= mmio_wdata;
                    REG_PRIO: prio <= {16'd0, mmio_wdata[15:0]};
                    REG_ACTION: action <= mmio_wdata;
                    REG_PLANES: planes <= mmio_wdata;
                    REG_FLOW_FLAGS: fflags <= mmio_wdata;
                    REG_PKT_LEN: pkt_len <= {16'd0, mmio_wdata[15:0]};
                    REG_FLOW_INTEREST: interest <= mmio_wdata;
                    REG_PKT_FLAGS: pkt_flags <= {24'd0, mmio_wdata[7:0]};
                    default: ;
                endcase
            end

            // ERROR: a write clears it; then this edge's rejections, the late one first.
            begin : errors
                reg s;
                reg [15:0] c;
                s = err_set;
                c = err_count;
                if (wr && mmio_addr == REG_ERROR) begin
                    s = 1'b0;
                    c = 16'd0;
                    err_reason <= 8'd0;
                    err_opcode <= 8'd0;
                    err_index <= 32'd0;
                end
                if (late) begin
                    if (!s) begin
                        err_reason <= REASON_CODE_MOVE_CONFLICT;
                        err_opcode <= OPCODE_FLOW_MOVE;
                        err_index <= mv_index;
                    end
                    s = 1'b1;
                    if (c != 16'hffff) c = c + 16'd1;
                end
                if (now) begin
                    if (!s) begin
                        err_reason <= now_reason;
                        err_opcode <= now_opcode;
                        err_index <= now_index;
                    end
                    s = 1'b1;
                    if (c != 16'hffff) c = c + 16'd1;
                end
                err_set <= s;
                err_count <= c;
            end

            // Blocks take their commands; answers come back.
            if (r_pend && r_ready) begin
                r_pend <= 1'b0;
                if (r_op == 3'd2) epoch <= epoch + 8'd1;                    // COMMIT
                if (r_op == 3'd4) r_wait <= 1'b1;                           // READ
                if (r_op == 3'd0) begin                                     // WRITE
                    clr_cd <= CLR_T;
                    clr_space <= 2'd0;
                    clr_index <= {{(CIW-IW){1'b0}}, r_index};
                end
            end
            if (f_pend && f_ready) begin
                f_pend <= 1'b0;
                if (f_op == 3'd1 || f_op == 3'd3) f_wait <= 1'b1;          // READ, MOVE
                mv_src <= f_slot;
                mv_dst <= f_arg;
                if (f_op == 3'd0) begin                                     // WRITE
                    clr_cd <= CLR_F;
                    clr_space <= 2'd1;
                    clr_index <= {{(CIW-SW){1'b0}}, f_slot};
                end
            end
            if (c_pend && c_ready) begin
                c_pend <= 1'b0;
                if (c_host && c_op == 2'd0) c_wait <= 1'b1;
            end
            if (clr_cd == 8'd1) begin
                c_pend <= 1'b1;
                c_host <= 1'b0;
                c_space <= clr_space;
                c_op <= 2'd1;
                c_index <= clr_index;
            end
            // A successful move's counters, step by step on the counter port (space 1).
            if (mv_cd != 8'd0) mv_cd <= mv_cd - 8'd1;
            if (f_wait && f_mv_valid && f_mv_ok) begin
                mv_phase <= 3'd1;
                mv_cd <= MV_READ_AT;
                c_pend <= 1'b1;
                c_host <= 1'b0;
                c_space <= 2'd1;
                c_op <= 2'd1;
                c_index <= {{(CIW-SW){1'b0}}, mv_dst};
            end
            if (mv_phase == 3'd1 && c_pend && c_ready) mv_phase <= 3'd2;
            if (mv_phase == 3'd2 && mv_cd <= 8'd1) begin
                mv_phase <= 3'd3;
                c_pend <= 1'b1;
                c_op <= 2'd0;
                c_index <= {{(CIW-SW){1'b0}}, mv_src};
            end
            if (mv_phase == 3'd3 && c_rd_valid) begin
                mv_phase <= 3'd4;
                c_pend <= 1'b1;
                c_op <= 2'd1;
                c_pkts <= c_rd_pkts;
                c_bytes <= c_rd_bytes;
            end
            if (mv_phase == 3'd4 && c_pend && c_ready) begin
                mv_phase <= 3'd5;
                c_pend <= 1'b1;
                c_op <= 2'd2;
                c_index <= {{(CIW-SW){1'b0}}, mv_dst};
            end
            if (mv_phase == 3'd5 && c_pend && c_ready) mv_phase <= 3'd0;
            if (clr_cd != 8'd0) clr_cd <= clr_cd - 8'd1;
            if (r_wait && r_rd_valid) begin
                r_wait <= 1'b0;
                for (n = 0; n < KW; n = n + 1) begin
                    stg_key[n] <= (n < 4) ? rd_value_128[32 * n +: 32] : 32'd0;
                    stg_mask[n] <= (n < 4) ? rd_mask_128[32 * n +: 32] : 32'd0;
                end
                prio <= {16'd0, r_rd_data[47:32]};
                action <= r_rd_data[31:0];
                planes <= {30'd0, r_rd_planes};
            end
            if (f_wait && f_rd_valid) begin
                f_wait <= 1'b0;
                for (n = 0; n < KW; n = n + 1) stg_key[n] <= 32'd0;
                stg_key[KEY_SRC0_WORD] <= f_rd_key[103:72];
                stg_key[KEY_DST0_WORD] <= f_rd_key[71:40];
                stg_key[KEY_META_WORD] <= {24'd0, f_rd_key[39:32]};
                stg_key[KEY_PORTS_WORD] <= {f_rd_key[31:16], f_rd_key[15:0]};
                action <= f_rd_action;
                fflags <= {31'd0, f_rd_pinned};
                interest <= {f_rd_interest[18:3], 13'd0, f_rd_interest[2:0]};
                fstate <= {21'd0, f_rd_slot_valid && !f_rd_pinned && f_rd_epoch != epoch,
                           f_rd_hit, f_rd_slot_valid, f_rd_epoch};
                flast <= f_rd_last_hit;
            end
            if (f_wait && f_mv_valid) f_wait <= 1'b0;
            if (c_wait && c_rd_valid) begin
                c_wait <= 1'b0;
                cnt[0] <= c_rd_pkts[31:0];
                cnt[1] <= c_rd_pkts[63:32];
                cnt[2] <= c_rd_bytes[31:0];
                cnt[3] <= c_rd_bytes[63:32];
            end

            // An accepted command: captured for its block.
            if (go) case (opcode)
                OPCODE_TCAM_WRITE, OPCODE_TCAM_READ, OPCODE_TCAM_SET_PLANES, OPCODE_COMMIT,
                OPCODE_CHECKER_WRITE, OPCODE_CLASS_WRITE: begin
                    r_pend <= 1'b1;
                    r_op <= (opcode == OPCODE_TCAM_WRITE) ? 3'd0
                          : (opcode == OPCODE_TCAM_SET_PLANES) ? 3'd1
                          : (opcode == OPCODE_COMMIT) ? 3'd2
                          : (opcode == OPCODE_CHECKER_WRITE) ? 3'd3
                          : (opcode == OPCODE_TCAM_READ) ? 3'd4 : 3'd5;
                    r_index <= idx[IW-1:0];
                    r_value <= key_lo[KEY_BITS-1:0];
                    r_mask <= mask_lo[KEY_BITS-1:0];
                    r_planes <= (opcode == OPCODE_CHECKER_WRITE || opcode == OPCODE_CLASS_WRITE)
                                ? {1'b0, cmd_arg[0]} : planes[1:0];
                    r_data <= {prio[15:0], action};
                    r_range <= (opcode == OPCODE_CLASS_WRITE)
                               ? {cmd_arg[2], 25'd0, cmd_arg[15:8]} : {cmd_arg[2:1], rng};
                end
                OPCODE_FLOW_WRITE, OPCODE_FLOW_READ, OPCODE_FLOW_CLEAR, OPCODE_FLOW_MOVE,
                OPCODE_FLOW_TOUCH, OPCODE_FLOW_SET_INTEREST: begin
                    f_pend <= 1'b1;
                    f_op <= (opcode == OPCODE_FLOW_WRITE) ? 3'd0
                          : (opcode == OPCODE_FLOW_READ) ? 3'd1
                          : (opcode == OPCODE_FLOW_CLEAR) ? 3'd2
                          : (opcode == OPCODE_FLOW_MOVE) ? 3'd3
                          : (opcode == OPCODE_FLOW_TOUCH) ? 3'd4 : 3'd5;
                    f_slot <= idx[SW-1:0];
                    f_arg <= cmd_arg[SW-1:0];
                    f_key <= {stg_key[KEY_SRC0_WORD], stg_key[KEY_DST0_WORD],
                              staged_meta[META_PROTO_LSB +: 8], staged_ports[PORTS_DPORT_LSB +: 16],
                              staged_ports[PORTS_SPORT_LSB +: 16]};
                    f_action <= action;
                    f_pinned <= fflags[FLOW_FLAGS_PINNED_LSB];
                    f_interest <= {iperiod, imode};
                    mv_index <= idx;
                end
                OPCODE_CNT_READ, OPCODE_CNT_CLEAR: begin
                    c_pend <= 1'b1;
                    c_space <= cmd_arg[1:0];
                    c_op <= {1'b0, opcode == OPCODE_CNT_CLEAR};
                    c_host <= 1'b1;
                    c_index <= idx[CIW-1:0];
                end
                OPCODE_PROBE: begin
                    probe_pending <= 1'b1;
                    probe_busy <= 1'b1;
                    probe_key <= key_vec;
                    probe_len <= pkt_len[15:0];
                    probe_flags <= pkt_flags[7:0];
                end
                default: ;
            endcase

            // The probe enters the core when it takes a key; its result comes back on prb_*.
            if (probe_pending && core_ready) probe_pending <= 1'b0;
            // probe_busy: not a probe from before a reset, still leaving the core at e+1.
            if (prb_valid && probe_busy) begin
                probe_busy <= 1'b0;
                probe_word <= {8'd0, prb_reason, prb_channel, 1'b0, prb_dst_local, prb_src_local,
                               prb_stale, prb_kind, prb_verdict};
                probe_index <= {{(32-XW){1'b0}}, prb_index};
            end
        end
    end
endmodule
