// gufc_rxdma (RTL 2.0) — the receive DMA engine: classified frames into per-channel host-memory
// rings (a descriptor ring the driver posts buffers to, a completion ring the NIC writes).
// The contract, edge for edge, is docs/dma.md; the Rust model hw-model/src/v2/rxdma.rs
// implements the same page and sim/tests/rxdma.rs compares them on every edge.
//
// Structure. Per channel (gen[g]): the registers of the page as flip-flops, published as packed
// vectors (the engine and the read mux select a channel's slice). The engine is one state
// register (the page's table: IDLE DECIDE DESC WAIT DATA DISCARD CMPL) with the order latched in
// IDLE (channel, drop, completion words), the buffer address, the byte offset of the next beat
// and the truncated bit. f_ready, s_tready, w_valid, r_valid and the qualified data ports are
// combinational from these registers and the edge's inputs (a beat is written exactly when it
// is taken, so w_data is s_tdata); cfg_rdata, ev_valid and ev_vec are registers.
// Every decision at an edge is taken from the registers before it.
module gufc_rxdma #(
    parameter integer DW = 64,        // data width: a multiple of 64, up to 512
    parameter integer CHANNELS = 16   // receive queues, 1..255
) (
    input wire clk,
    input wire rst,
    input wire f_valid,
    output wire f_ready,
    input wire [7:0] f_chan,
    input wire f_drop,
    input wire [223:0] f_cmpl,
    input wire s_tvalid,
    output wire s_tready,
    input wire [DW-1:0] s_tdata,
    input wire [DW/8-1:0] s_tkeep,
    input wire s_tlast,
    output wire w_valid,
    input wire w_ready,
    input wire w_err,
    output wire [63:0] w_addr,
    output wire [DW-1:0] w_data,
    output wire [DW/8-1:0] w_strb,
    output wire r_valid,
    input wire r_ready,
    output wire [63:0] r_addr,
    input wire rd_valid,
    /* verilator lint_off UNUSEDSIGNAL */
    input wire [63:0] rd_data,          // bits 5:0 ignored: buffers are 64-byte aligned
    /* verilator lint_on UNUSEDSIGNAL */
    input wire rd_err,
    input wire cfg_valid,
    input wire cfg_write,
    input wire [7:0] cfg_chan,
    input wire [3:0] cfg_reg,
    input wire [31:0] cfg_wdata,
    output reg [31:0] cfg_rdata,
    output reg ev_valid,
    output reg [7:0] ev_vec
);
    // Register numbers: regmap.toml [rxq_reg] (gufc_regs.vh).
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */
    localparam [3:0] R_DESC_BASE_LO = RXQ_REG_DESC_BASE_LO[3:0];
    localparam [3:0] R_DESC_BASE_HI = RXQ_REG_DESC_BASE_HI[3:0];
    localparam [3:0] R_CMPL_BASE_LO = RXQ_REG_CMPL_BASE_LO[3:0];
    localparam [3:0] R_CMPL_BASE_HI = RXQ_REG_CMPL_BASE_HI[3:0];
    localparam [3:0] R_RING = RXQ_REG_RING[3:0];
    localparam [3:0] R_ENABLE = RXQ_REG_ENABLE[3:0];
    localparam [3:0] R_TAIL = RXQ_REG_TAIL[3:0];
    localparam [3:0] R_HEAD = RXQ_REG_HEAD[3:0];
    localparam [3:0] R_DROP_FULL = RXQ_REG_DROP_FULL[3:0];
    localparam [3:0] R_DROP_DISABLED = RXQ_REG_DROP_DISABLED[3:0];
    localparam [3:0] R_ERROR = RXQ_REG_ERROR[3:0];
    generate
        if (DW < 64 || DW > 512 || DW % 64 != 0 || CHANNELS < 1 || CHANNELS > 255)
        begin : g_bad_params
            // An elaboration error naming the module: a parameter outside its documented range.
            gufc_rxdma_bad_parameters u_bad();
        end
    endgenerate

    localparam integer LANES = DW / 8;
    localparam integer LB = $clog2(LANES);             // 3..6: address bits inside a beat
    localparam integer CB = DW >= 256 ? 1 : 256 / DW;  // completion beats (DW = 512: half a beat)
    localparam [8:0] NCH = CHANNELS[8:0];
    // Channel selects use the index's low CW bits (after a range check), so yosys builds them
    // for the values that can occur: 7,739 LUT4 against 8,525 with the 8-bit index (synth_ecp5,
    // DW = 64, 16 channels; small rewrites move the count by hundreds either way).
    localparam integer CW = CHANNELS > 1 ? $clog2(CHANNELS) : 1;
    localparam [7:0] ERR_VEC = CHANNELS[7:0];          // the error event's vector
    // The byte offset of the next beat saturates at OFF_SAT, past the largest buffer
    // (65,535 * 64 bytes), so a frame of any length stays "past the buffer".
    localparam [22:0] OFF_SAT = 23'h400000;
    localparam [22:0] OFF_STEP = LANES[22:0];

    localparam [2:0] IDLE = 3'd0, DECIDE = 3'd1, DESC = 3'd2, WAIT = 3'd3, DATA = 3'd4,
                     DISCARD = 3'd5, CMPL = 3'd6;

    // ---------------------------------------------------------------- engine registers
    reg [2:0] st;
    reg [7:0] c;              // the order's channel
    reg drop_q;               // the order's f_drop
    reg [223:0] cmpl_q;       // the order's completion words 0..6
    reg [63:6] buf_q;         // the buffer's IOVA (64-byte aligned)
    reg [22:0] off;           // byte offset of the next beat in the buffer
    reg trunc;                // a beat past the buffer was taken
    reg [1:0] k;              // completion beat

    // ---------------------------------------------------------------- per-channel registers
    wire [CHANNELS*64-1:0] desc_v, cmpl_v;
    wire [CHANNELS*4-1:0] log_v;
    wire [CHANNELS*16-1:0] bsz_v, tail_v, head_v;
    wire [CHANNELS-1:0] en_v;
    wire [CHANNELS*32-1:0] dfull_v, ddis_v;
    wire [CHANNELS*2-1:0] err_v;

    // The engine's channel, clamped so every select stays in range (no outcome depends on it:
    // only DECIDE sees c >= CHANNELS, and drops the frame on c_ok first).
    wire c_ok = {1'b0, c} < NCH;
    wire [CW-1:0] cs = c_ok ? c[CW-1:0] : {CW{1'b0}};
    wire [63:0] e_desc = desc_v[cs*64 +: 64];
    wire [63:0] e_cmpl = cmpl_v[cs*64 +: 64];
    wire [3:0] e_log = log_v[cs*4 +: 4];
    wire [15:0] e_bsz = bsz_v[cs*16 +: 16];
    wire [15:0] e_tail = tail_v[cs*16 +: 16];
    wire [15:0] e_head = head_v[cs*16 +: 16];
    wire [255:0] en_pad = {{(256 - CHANNELS){1'b0}}, en_v};  // (the smallest form measured)
    /* verilator lint_off WIDTH */
    wire e_en = en_pad[cs];  // a CW-bit index into 256 bits
    /* verilator lint_on WIDTH */
    wire e_stop = err_v[cs*2];

    // Ring and buffer sizes, read at each use.
    wire [15:0] slot = e_head & ((16'd1 << e_log) - 16'd1);   // HEAD mod size
    wire phase = e_head[e_log];
    wire [22:0] bsize = e_bsz == 16'd0 ? 23'h10000 : {1'b0, e_bsz, 6'd0};
    wire in_buf = off < bsize;

    // ---------------------------------------------------------------- handshakes (the table)
    wire s_data = st == DATA, s_cmpl = st == CMPL;
    assign f_ready = st == IDLE;
    assign r_valid = st == DESC;
    assign w_valid = (s_data && s_tvalid && in_buf) || s_cmpl;
    assign s_tready = (s_data && (!in_buf || w_ready)) || st == DISCARD;
    wire take = s_tvalid && s_tready;
    wire d_write = s_data && s_tvalid && in_buf;       // w_valid in DATA

    // ---------------------------------------------------------------- addresses and data
    wire [63:0] desc_addr = e_desc + {45'd0, slot, 3'd0};
    /* verilator lint_off UNUSEDSIGNAL */
    // the slot's first byte (the bits below a beat, or below bit 5 at DW = 512, go unused)
    wire [63:0] cmpl_at = e_cmpl + {43'd0, slot, 5'd0};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] word7 = {phase, trunc, 14'd0, e_head};
    wire [255:0] cv = {word7, cmpl_q};
    wire [63:0] data_addr = {buf_q, 6'd0} + {41'd0, off};
    wire [63:0] c_addr;
    wire [DW-1:0] c_data;
    wire [DW/8-1:0] c_strb;
    wire k_last;
    generate
        if (DW == 512) begin : g_half
            // The 32 bytes are the half of one beat that bit 5 of the slot's address selects.
            assign c_addr = {cmpl_at[63:6], 6'd0};
            assign c_data = cmpl_at[5] ? {cv, 256'd0} : {256'd0, cv};
            assign c_strb = cmpl_at[5] ? {{32{1'b1}}, 32'd0} : {32'd0, {32{1'b1}}};
            assign k_last = 1'b1;
        end else begin : g_beats
            // CB beats, word order as in memory; beat k from the slot's address rounded down to
            // a beat.
            wire [1:0] kk = CB == 1 ? 2'd0 : k;
            reg [DW-1:0] cd;
            integer b;
            always @(*) begin
                cd = {DW{1'b0}};
                for (b = 0; b < CB; b = b + 1)
                    if ({30'd0, kk} == b) cd = cv[b*DW +: DW];
            end
            assign c_addr = {cmpl_at[63:LB], {LB{1'b0}}} + {{(62 - LB){1'b0}}, kk, {LB{1'b0}}};
            assign c_data = cd;
            assign c_strb = {LANES{1'b1}};
            assign k_last = {30'd0, kk} == CB - 1;
        end
    endgenerate

    assign r_addr = r_valid ? desc_addr : 64'd0;
    assign w_addr = d_write ? data_addr : s_cmpl ? c_addr : 64'd0;
    assign w_data = d_write ? s_tdata : s_cmpl ? c_data : {DW{1'b0}};
    assign w_strb = d_write ? s_tkeep : s_cmpl ? c_strb : {LANES{1'b0}};

    // ---------------------------------------------------------------- the edge's outcomes
    wire d_fault = s_data && take && in_buf && w_err;
    wire c_fault = s_cmpl && w_ready && w_err;
    wire r_fault = st == WAIT && rd_valid && rd_err;
    wire done = s_cmpl && w_ready && !w_err && k_last;   // HEAD + 1, the event for c
    wire [1:0] err_set = r_fault ? 2'b11 : (d_fault || c_fault) ? 2'b01 : 2'b00;
    wire in_dec = st == DECIDE && !drop_q && c_ok;
    wire inc_dis = in_dec && (!e_en || e_stop);
    wire inc_full = in_dec && e_en && !e_stop && e_head == e_tail;
    wire dropped = drop_q || !c_ok || !e_en || e_stop || e_head == e_tail;

    always @(posedge clk) begin
        if (rst) begin
            st <= IDLE;
            c <= 8'd0;
            drop_q <= 1'b0;
            cmpl_q <= 224'd0;
            buf_q <= 58'd0;
            off <= 23'd0;
            trunc <= 1'b0;
            k <= 2'd0;
            ev_valid <= 1'b0;
            ev_vec <= 8'd0;
        end else begin
            ev_valid <= r_fault || d_fault || c_fault || done;
            ev_vec <= (r_fault || d_fault || c_fault) ? ERR_VEC : done ? c : 8'd0;
            case (st)
                IDLE:
                    if (f_valid) begin
                        st <= DECIDE;
                        c <= f_chan;
                        drop_q <= f_drop;
                        cmpl_q <= f_cmpl;
                    end
                DECIDE: st <= dropped ? DISCARD : DESC;
                DESC: if (r_ready) st <= WAIT;
                WAIT:
                    if (rd_valid) begin
                        if (rd_err) begin
                            st <= DISCARD;
                        end else begin
                            st <= DATA;
                            buf_q <= rd_data[63:6];
                            off <= 23'd0;
                            trunc <= 1'b0;
                        end
                    end
                DATA:
                    if (take) begin
                        if (d_fault) st <= s_tlast ? IDLE : DISCARD;
                        else if (s_tlast) st <= CMPL;
                        off <= off >= OFF_SAT ? off : off + OFF_STEP;
                        trunc <= trunc || !in_buf;
                        k <= 2'd0;
                    end
                DISCARD: if (take && s_tlast) st <= IDLE;
                CMPL:
                    if (w_ready) begin
                        if (w_err || k_last) st <= IDLE;
                        else k <= k + 2'd1;
                    end
                default: st <= IDLE;
            endcase
        end
    end

    genvar g;
    generate
        for (g = 0; g < CHANNELS; g = g + 1) begin : gen
            localparam [7:0] ME = g[7:0];
            reg [63:0] desc, cmpl;
            reg [3:0] lg;
            reg [15:0] bsz, tail, head;
            reg en;
            reg [31:0] dfull, ddis;
            reg [1:0] err;
            wire w = cfg_valid && cfg_write && cfg_chan == ME;
            wire mine = c == ME;
            assign desc_v[g*64 +: 64] = desc;
            assign cmpl_v[g*64 +: 64] = cmpl;
            assign log_v[g*4 +: 4] = lg;
            assign bsz_v[g*16 +: 16] = bsz;
            assign tail_v[g*16 +: 16] = tail;
            assign head_v[g*16 +: 16] = head;
            assign en_v[g] = en;
            assign dfull_v[g*32 +: 32] = dfull;
            assign ddis_v[g*32 +: 32] = ddis;
            assign err_v[g*2 +: 2] = err;
            always @(posedge clk) begin
                if (rst) begin
                    {desc, cmpl} <= 128'd0;
                    {lg, bsz, tail, head, en} <= 53'd0;
                    {dfull, ddis} <= 64'd0;
                    err <= 2'd0;
                end else begin
                    if (w && cfg_reg == R_DESC_BASE_LO) desc[31:0] <= cfg_wdata;
                    if (w && cfg_reg == R_DESC_BASE_HI) desc[63:32] <= cfg_wdata;
                    if (w && cfg_reg == R_CMPL_BASE_LO) cmpl[31:0] <= cfg_wdata;
                    if (w && cfg_reg == R_CMPL_BASE_HI) cmpl[63:32] <= cfg_wdata;
                    if (w && cfg_reg == R_RING) begin
                        lg <= cfg_wdata[3:0];
                        bsz <= cfg_wdata[23:8];
                    end
                    if (w && cfg_reg == R_ENABLE) en <= cfg_wdata[0];
                    if (w && cfg_reg == R_TAIL) tail <= cfg_wdata[15:0];
                    if (mine && done) head <= head + 16'd1;
                    // A clear at the edge of an increment leaves 1; a fault's bits survive a
                    // clear at its edge.
                    if (w && cfg_reg == R_DROP_FULL) dfull <= {31'd0, mine && inc_full};
                    else if (mine && inc_full) dfull <= dfull + 32'd1;
                    if (w && cfg_reg == R_DROP_DISABLED) ddis <= {31'd0, mine && inc_dis};
                    else if (mine && inc_dis) ddis <= ddis + 32'd1;
                    err <= (err & ~(w && cfg_reg == R_ERROR ? cfg_wdata[1:0] : 2'd0))
                           | (mine ? err_set : 2'd0);
                end
            end
        end
    endgenerate

    // ---------------------------------------------------------------- the read mux (registered)
    wire r_ok = {1'b0, cfg_chan} < NCH;
    wire [CW-1:0] rc = r_ok ? cfg_chan[CW-1:0] : {CW{1'b0}};
    reg [31:0] rv;
    always @(*) begin
        case (cfg_reg)
            R_DESC_BASE_LO: rv = desc_v[rc*64 +: 32];
            R_DESC_BASE_HI: rv = desc_v[rc*64 + 32 +: 32];
            R_CMPL_BASE_LO: rv = cmpl_v[rc*64 +: 32];
            R_CMPL_BASE_HI: rv = cmpl_v[rc*64 + 32 +: 32];
            R_RING: rv = {8'd0, bsz_v[rc*16 +: 16], 4'd0, log_v[rc*4 +: 4]};
            /* verilator lint_off WIDTH */
            R_ENABLE: rv = {31'd0, en_pad[rc]};
            /* verilator lint_on WIDTH */
            R_TAIL: rv = {16'd0, tail_v[rc*16 +: 16]};
            R_HEAD: rv = {16'd0, head_v[rc*16 +: 16]};
            R_DROP_FULL: rv = dfull_v[rc*32 +: 32];
            R_DROP_DISABLED: rv = ddis_v[rc*32 +: 32];
            R_ERROR: rv = {30'd0, err_v[rc*2 +: 2]};
            default: rv = 32'd0;
        endcase
    end
    always @(posedge clk) begin
        if (rst) cfg_rdata <= 32'd0;
        else cfg_rdata <= cfg_valid && !cfg_write && r_ok ? rv : 32'd0;
    end
endmodule
