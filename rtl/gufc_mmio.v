// gufc_mmio — the BAR0 register block: the MMIO port, staging registers, STATUS / ERROR / CYCLE,
// capability registers, command decode (validated by gufc_cmd_check) and the loads of TCAM_READ,
// FLOW_READ, CNT_READ and the probe result.
//
// Place in the pipeline: beside it. One register access per cycle, always accepted; its effect
// lands at that cycle's rising edge, after every pipeline transition of that edge has been
// computed from the state before it. mmio_rdata is registered: the read data of the access at the
// previous edge (0 after a write). Latency 1 edge for reads; throughput one access per cycle.
// `clr` (the rst pin or a CONTROL.RESET write) resets the whole device at that edge.
module gufc_mmio #(
    parameter integer TCAM_ENTRIES = 256,
    parameter integer FLOW_BUCKETS = 64,
    parameter integer FLOW_WAYS = 4,
    parameter integer CHANNELS = 16,
    parameter integer LOCAL_ENTRIES = 8
) (clk, rst, mmio_valid, mmio_write, mmio_addr, mmio_wdata, mmio_rdata, clr,
   stg_key, stg_mask, stg_sport, stg_dport, stg_prio, stg_action, stg_planes, stg_flags,
   stg_pkt_len, stg_interest, stg_pkt_flags, cmd_arg, cmd_index, do_tcam_write, do_tcam_planes,
   do_flow_write, do_flow_read, do_flow_clear, do_flow_move, do_flow_touch, do_flow_interest,
   do_local_write, do_cnt_clear, do_probe,
   active_plane, epoch, cycle_lo, flow_src_valid, flow_dst_valid,
   tcam_rd_key, tcam_rd_mask, tcam_rd_sport, tcam_rd_dport, tcam_rd_prio, tcam_rd_action,
   tcam_rd_planes, flow_rd_valid, flow_rd_key, flow_rd_action, flow_rd_pinned, flow_rd_epoch,
   flow_rd_hit, flow_rd_last, flow_rd_interest, cnt_rd_pkts, cnt_rd_bytes, probe_done, probe_word, probe_index);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam integer KW = GUFC_KEY_WORDS;
    localparam integer KB = KW * 32;
    localparam integer PW = GUFC_PRIO_BITS;
    localparam integer XW = CMD_INDEX_W;
    localparam integer FLOW_SLOTS = FLOW_BUCKETS * FLOW_WAYS;
    localparam integer CW = 64;          // counter width (CAP_MISC.COUNTER_BITS)
    // Registers are 32 bits wide: array element i sits at byte offset base + 4*i.
    localparam [11:0] KEY_END = REG_KEY + 12'd4 * KW[11:0];
    localparam [11:0] MASK_END = REG_MASK + 12'd4 * KW[11:0];

    input wire clk;
    input wire rst;
    input wire mmio_valid;
    input wire mmio_write;
    input wire [11:0] mmio_addr;
    input wire [31:0] mmio_wdata;
    output reg [31:0] mmio_rdata;
    output wire clr;
    output reg [KB-1:0] stg_key;
    output reg [KB-1:0] stg_mask;
    output reg [31:0] stg_sport;
    output reg [31:0] stg_dport;
    output reg [31:0] stg_prio;
    output reg [31:0] stg_action;
    output reg [31:0] stg_planes;
    output reg [31:0] stg_flags;
    output reg [31:0] stg_pkt_len;
    output reg [31:0] stg_interest;  // FLOW_INTEREST
    output reg [31:0] stg_pkt_flags; // PKT_FLAGS
    output reg [31:0] cmd_arg;
    output wire [XW-1:0] cmd_index;
    output wire do_tcam_write;
    output wire do_tcam_planes;
    output wire do_flow_write;
    output wire do_flow_read;
    output wire do_flow_clear;
    output wire do_flow_move;
    output wire do_flow_touch;
    output wire do_flow_interest;    // accepted FLOW_SET_INTEREST
    output wire do_local_write;
    output wire do_cnt_clear;
    output wire do_probe;
    output reg active_plane;
    output reg [7:0] epoch;
    output wire [31:0] cycle_lo;
    input wire flow_src_valid;
    input wire flow_dst_valid;
    input wire [KB-1:0] tcam_rd_key;
    input wire [KB-1:0] tcam_rd_mask;
    input wire [31:0] tcam_rd_sport;
    input wire [31:0] tcam_rd_dport;
    input wire [PW-1:0] tcam_rd_prio;
    input wire [31:0] tcam_rd_action;
    input wire [1:0] tcam_rd_planes;
    input wire flow_rd_valid;
    input wire [KB-1:0] flow_rd_key;
    input wire [31:0] flow_rd_action;
    input wire flow_rd_pinned;
    input wire [7:0] flow_rd_epoch;
    input wire flow_rd_hit;
    input wire [31:0] flow_rd_last;
    input wire [31:0] flow_rd_interest;
    input wire [CW-1:0] cnt_rd_pkts;
    input wire [CW-1:0] cnt_rd_bytes;
    input wire probe_done;           // the probe leaves s3 at this edge
    input wire [31:0] probe_word;    // its PROBE_RESULT
    input wire [XW-1:0] probe_index;

    // ---- state
    reg [31:0] key_r [0:KW-1];
    reg [31:0] mask_r [0:KW-1];
    reg [31:0] scratch;
    reg err_flag;
    reg [7:0] err_reason;
    reg [7:0] err_opcode;
    reg [15:0] err_count;
    reg [31:0] err_index;
    reg [63:0] cycle;
    reg [31:0] cycle_hi;
    reg probe_busy;
    reg [31:0] probe_result_r;
    reg [31:0] probe_index_r;
    reg [31:0] flow_state_r;
    reg [31:0] flow_last_r;
    reg [63:0] cnt_pkts_r;
    reg [63:0] cnt_bytes_r;

    integer i;
    always @* begin
        for (i = 0; i < KW; i = i + 1) begin
            stg_key[32*i +: 32] = key_r[i];
            stg_mask[32*i +: 32] = mask_r[i];
        end
    end
    assign cycle_lo = cycle[31:0];

    // ---- decode
    wire wr = mmio_valid && mmio_write;
    wire rd = mmio_valid && !mmio_write;
    wire in_key = mmio_addr >= REG_KEY && mmio_addr < KEY_END && mmio_addr[1:0] == 2'b00;
    wire in_mask = mmio_addr >= REG_MASK && mmio_addr < MASK_END && mmio_addr[1:0] == 2'b00;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [11:0] key_off = mmio_addr - REG_KEY;
    wire [11:0] mask_off = mmio_addr - REG_MASK;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [3:0] key_word = key_off[5:2];
    wire [3:0] mask_word = mask_off[5:2];

    reg writable;
    always @* begin
        case (mmio_addr)
            REG_SCRATCH, REG_CONTROL, REG_ERROR, REG_CMD, REG_CMD_ARG, REG_SPORT_RANGE,
            REG_DPORT_RANGE, REG_PRIO, REG_ACTION, REG_PLANES, REG_FLOW_FLAGS, REG_PKT_LEN,
            REG_FLOW_INTEREST, REG_PKT_FLAGS:
                writable = 1'b1;
            default: writable = in_key || in_mask;
        endcase
    end

    assign clr = rst || (wr && mmio_addr == REG_CONTROL && mmio_wdata[CONTROL_RESET_LSB]);

    // ---- commands
    wire [7:0] opcode = mmio_wdata[CMD_OPCODE_LSB +: CMD_OPCODE_W];
    assign cmd_index = mmio_wdata[CMD_INDEX_LSB +: CMD_INDEX_W];
    wire cmd_wr = wr && mmio_addr == REG_CMD && !rst;

    reg outside;
    always @* begin
        outside = 1'b0;
        for (i = 0; i < KW; i = i + 1)
            if ((key_r[i] & ~mask_r[i]) != 32'd0) outside = 1'b1;
    end

    wire [7:0] cmd_reason;
    gufc_cmd_check #(
        .TCAM_ENTRIES(TCAM_ENTRIES), .FLOW_SLOTS(FLOW_SLOTS), .CHANNELS(CHANNELS),
        .LOCAL_ENTRIES(LOCAL_ENTRIES)
    ) check (
        .opcode(opcode), .index(cmd_index), .arg(cmd_arg), .key_meta(key_r[KEY_META_WORD]),
        .mask_meta(mask_r[KEY_META_WORD]), .sport(stg_sport), .dport(stg_dport),
        .action(stg_action), .planes(stg_planes), .flow_flags(stg_flags),
        .interest(stg_interest),
        .key_outside_mask(outside), .src_valid(flow_src_valid), .dst_valid(flow_dst_valid),
        .probe_busy(probe_busy), .reason(cmd_reason));

    wire cmd_ok = cmd_wr && cmd_reason == REASON_CODE_NONE;
    assign do_tcam_write = cmd_ok && opcode == OPCODE_TCAM_WRITE;
    wire do_tcam_read = cmd_ok && opcode == OPCODE_TCAM_READ;
    assign do_tcam_planes = cmd_ok && opcode == OPCODE_TCAM_SET_PLANES;
    wire do_commit = cmd_ok && opcode == OPCODE_COMMIT;
    assign do_flow_write = cmd_ok && opcode == OPCODE_FLOW_WRITE;
    assign do_flow_read = cmd_ok && opcode == OPCODE_FLOW_READ;
    assign do_flow_clear = cmd_ok && opcode == OPCODE_FLOW_CLEAR;
    assign do_flow_move = cmd_ok && opcode == OPCODE_FLOW_MOVE;
    assign do_flow_touch = cmd_ok && opcode == OPCODE_FLOW_TOUCH;
    assign do_flow_interest = cmd_ok && opcode == OPCODE_FLOW_SET_INTEREST;
    assign do_local_write = cmd_ok && opcode == OPCODE_LOCAL_WRITE;
    wire do_cnt_read = cmd_ok && opcode == OPCODE_CNT_READ;
    assign do_cnt_clear = cmd_ok && opcode == OPCODE_CNT_CLEAR;
    assign do_probe = cmd_ok && opcode == OPCODE_PROBE;

    // A write to an unmapped or read-only offset, or a rejected command.
    wire reject = wr && !rst && (!writable || (mmio_addr == REG_CMD && cmd_reason != REASON_CODE_NONE));
    wire [7:0] rej_reason = writable ? cmd_reason : REASON_CODE_BAD_OFFSET;
    wire [7:0] rej_opcode = writable ? opcode : 8'd0;
    wire [31:0] rej_index = writable ? {{(32-XW){1'b0}}, cmd_index} : {20'd0, mmio_addr};

    wire flow_stale = flow_rd_valid && !flow_rd_pinned && flow_rd_epoch != epoch;

    // ---- read mux (values before the edge)
    reg [31:0] rdata;
    always @* begin
        rdata = 32'd0;
        case (mmio_addr)
            REG_ID: rdata = GUFC_MAGIC;
            REG_VERSION: begin
                rdata[VERSION_MAJOR_LSB +: VERSION_MAJOR_W] = GUFC_VERSION_MAJOR[VERSION_MAJOR_W-1:0];
                rdata[VERSION_MINOR_LSB +: VERSION_MINOR_W] = GUFC_VERSION_MINOR[VERSION_MINOR_W-1:0];
            end
            REG_CAP_TCAM: rdata = TCAM_ENTRIES;
            REG_CAP_FLOW_BUCKETS: rdata = FLOW_BUCKETS;
            REG_CAP_FLOW_WAYS: rdata = FLOW_WAYS;
            REG_CAP_MISC: begin
                rdata[CAP_MISC_CHANNELS_LSB +: CAP_MISC_CHANNELS_W] = CHANNELS[CAP_MISC_CHANNELS_W-1:0];
                rdata[CAP_MISC_LOCAL_ENTRIES_LSB +: CAP_MISC_LOCAL_ENTRIES_W] =
                    LOCAL_ENTRIES[CAP_MISC_LOCAL_ENTRIES_W-1:0];
                rdata[CAP_MISC_LATENCY_LSB +: CAP_MISC_LATENCY_W] = GUFC_LATENCY[CAP_MISC_LATENCY_W-1:0];
                rdata[CAP_MISC_COUNTER_BITS_LSB +: CAP_MISC_COUNTER_BITS_W] = CW[CAP_MISC_COUNTER_BITS_W-1:0];
            end
            REG_CAP_KEY: begin
                rdata[CAP_KEY_IPV4_LSB] = 1'b1;
                rdata[CAP_KEY_IPV6_LSB] = 1'b1;
                rdata[CAP_KEY_PORT_RANGES_LSB] = 1'b1;
                rdata[CAP_KEY_KEY_WORDS_LSB +: CAP_KEY_KEY_WORDS_W] = GUFC_KEY_WORDS[CAP_KEY_KEY_WORDS_W-1:0];
                rdata[CAP_KEY_PRIO_BITS_LSB +: CAP_KEY_PRIO_BITS_W] = GUFC_PRIO_BITS[CAP_KEY_PRIO_BITS_W-1:0];
            end
            REG_SCRATCH: rdata = scratch;
            REG_STATUS: begin
                rdata[STATUS_ERROR_LSB] = err_flag;
                rdata[STATUS_PROBE_BUSY_LSB] = probe_busy;
                rdata[STATUS_ACTIVE_PLANE_LSB] = active_plane;
                rdata[STATUS_EPOCH_LSB +: STATUS_EPOCH_W] = epoch;
            end
            REG_ERROR: begin
                rdata[ERROR_REASON_LSB +: ERROR_REASON_W] = err_reason;
                rdata[ERROR_OPCODE_LSB +: ERROR_OPCODE_W] = err_opcode;
                rdata[ERROR_COUNT_LSB +: ERROR_COUNT_W] = err_count;
            end
            REG_ERROR_INDEX: rdata = err_index;
            REG_CYCLE_LO: rdata = cycle[31:0];
            REG_CYCLE_HI: rdata = cycle_hi;
            REG_CMD_ARG: rdata = cmd_arg;
            REG_SPORT_RANGE: rdata = stg_sport;
            REG_DPORT_RANGE: rdata = stg_dport;
            REG_PRIO: rdata = stg_prio;
            REG_ACTION: rdata = stg_action;
            REG_PLANES: rdata = stg_planes;
            REG_FLOW_FLAGS: rdata = stg_flags;
            REG_PKT_LEN: rdata = stg_pkt_len;
            REG_FLOW_STATE: rdata = flow_state_r;
            REG_FLOW_LAST_HIT: rdata = flow_last_r;
            REG_FLOW_INTEREST: rdata = stg_interest;
            REG_PKT_FLAGS: rdata = stg_pkt_flags;
            REG_CNT_PKTS_LO: rdata = cnt_pkts_r[31:0];
            REG_CNT_PKTS_HI: rdata = cnt_pkts_r[63:32];
            REG_CNT_BYTES_LO: rdata = cnt_bytes_r[31:0];
            REG_CNT_BYTES_HI: rdata = cnt_bytes_r[63:32];
            REG_PROBE_RESULT: rdata = probe_result_r;
            REG_PROBE_INDEX: rdata = probe_index_r;
            default: begin
                if (in_key) rdata = key_r[key_word];
                else if (in_mask) rdata = mask_r[mask_word];
            end
        endcase
    end

    // ---- the edge
    always @(posedge clk) begin
        if (clr) begin
            for (i = 0; i < KW; i = i + 1) begin
                key_r[i] <= 32'd0;
                mask_r[i] <= 32'd0;
            end
            mmio_rdata <= 32'd0;
            scratch <= 32'd0;
            stg_sport <= 32'd0;
            stg_dport <= 32'd0;
            stg_prio <= 32'd0;
            stg_action <= 32'd0;
            stg_planes <= 32'd0;
            stg_flags <= 32'd0;
            stg_pkt_len <= 32'd0;
            stg_interest <= 32'd0;
            stg_pkt_flags <= 32'd0;
            cmd_arg <= 32'd0;
            active_plane <= 1'b0;
            epoch <= 8'd0;
            err_flag <= 1'b0;
            err_reason <= 8'd0;
            err_opcode <= 8'd0;
            err_count <= 16'd0;
            err_index <= 32'd0;
            cycle <= 64'd0;
            cycle_hi <= 32'd0;
            probe_busy <= 1'b0;
            probe_result_r <= 32'd0;
            probe_index_r <= 32'd0;
            flow_state_r <= 32'd0;
            flow_last_r <= 32'd0;
            cnt_pkts_r <= 64'd0;
            cnt_bytes_r <= 64'd0;
        end else begin
            cycle <= cycle + 64'd1;
            mmio_rdata <= rd ? rdata : 32'd0;
            if (rd && mmio_addr == REG_CYCLE_LO) cycle_hi <= cycle[63:32];

            if (wr) begin
                case (mmio_addr)
                    REG_SCRATCH: scratch <= mmio_wdata;
                    REG_CMD_ARG: cmd_arg <= mmio_wdata;
                    REG_SPORT_RANGE: stg_sport <= mmio_wdata;
                    REG_DPORT_RANGE: stg_dport <= mmio_wdata;
                    REG_PRIO: stg_prio <= mmio_wdata;
                    REG_ACTION: stg_action <= mmio_wdata;
                    REG_PLANES: stg_planes <= mmio_wdata;
                    REG_FLOW_FLAGS: stg_flags <= mmio_wdata;
                    REG_PKT_LEN: stg_pkt_len <= mmio_wdata;
                    REG_FLOW_INTEREST: stg_interest <= mmio_wdata;
                    REG_PKT_FLAGS: stg_pkt_flags <= mmio_wdata;
                    REG_ERROR: begin
                        err_flag <= 1'b0;
                        err_reason <= 8'd0;
                        err_opcode <= 8'd0;
                        err_count <= 16'd0;
                        err_index <= 32'd0;
                    end
                    default: begin
                        if (in_key) key_r[key_word] <= mmio_wdata;
                        if (in_mask) mask_r[mask_word] <= mmio_wdata;
                    end
                endcase
            end

            if (reject) begin
                if (!err_flag) begin
                    err_reason <= rej_reason;
                    err_opcode <= rej_opcode;
                    err_index <= rej_index;
                end
                err_flag <= 1'b1;
                if (err_count != 16'hffff) err_count <= err_count + 16'd1;
            end

            if (do_commit) begin
                active_plane <= !active_plane;
                epoch <= epoch + 8'd1;
            end
            if (do_tcam_read) begin
                for (i = 0; i < KW; i = i + 1) begin
                    key_r[i] <= tcam_rd_key[32*i +: 32];
                    mask_r[i] <= tcam_rd_mask[32*i +: 32];
                end
                stg_sport <= tcam_rd_sport;
                stg_dport <= tcam_rd_dport;
                stg_prio <= {{(32-PW){1'b0}}, tcam_rd_prio};
                stg_action <= tcam_rd_action;
                stg_planes <= 32'd0;
                stg_planes[PLANES_PLANES_LSB +: 2] <= tcam_rd_planes;
            end
            if (do_flow_read) begin
                for (i = 0; i < KW; i = i + 1) key_r[i] <= flow_rd_key[32*i +: 32];
                stg_action <= flow_rd_action;
                stg_flags <= 32'd0;
                stg_flags[FLOW_FLAGS_PINNED_LSB] <= flow_rd_pinned;
                flow_state_r <= 32'd0;
                flow_state_r[FLOW_STATE_EPOCH_LSB +: FLOW_STATE_EPOCH_W] <= flow_rd_epoch;
                flow_state_r[FLOW_STATE_VALID_LSB] <= flow_rd_valid;
                flow_state_r[FLOW_STATE_HIT_LSB] <= flow_rd_hit;
                flow_state_r[FLOW_STATE_STALE_LSB] <= flow_stale;
                flow_last_r <= flow_rd_last;
                stg_interest <= flow_rd_interest;
            end
            if (do_cnt_read) begin
                cnt_pkts_r <= cnt_rd_pkts;
                cnt_bytes_r <= cnt_rd_bytes;
            end
            if (do_probe) probe_busy <= 1'b1;
            if (probe_done) begin
                probe_busy <= 1'b0;
                probe_result_r <= probe_word;
                probe_index_r <= {{(32-XW){1'b0}}, probe_index};
            end
        end
    end
endmodule
