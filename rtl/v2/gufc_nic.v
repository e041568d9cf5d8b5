// gufc_nic (RTL 2.0) — the NIC: the packet path's blocks and the classifier joined into one device
// with one 4 KiB BAR0. Frames enter rx_* and go to the parser and the frame buffer at once; the
// parser's record goes to the classifier (gufc_top's key port) and, with the frame's side record,
// into a second frame buffer (the side buffer, 160-bit words); the side buffer's head and
// gufc_top's result make the DMA engine's order, whose beats come from the frame buffer; the
// engine's events feed the interrupt block. The contract, edge for edge, is docs/nic.md (with
// parser.md, dma.md, interrupts.md, timing.md); the Rust model hw-model/src/v2/nic.rs implements
// the same page and sim/tests/nic.rs compares them on every edge.
//
// Only wiring and the page's own registers live here: every block is instantiated unchanged.
// Reset: clr (rst, or a CONTROL.RESET write through gufc_top's window) resets gufc_top's
// register block; prst, clr registered, resets every packet-path block and this module's
// registers at the next edge (the edge gufc_top resets its core).
//
// Readings taken where docs/nic.md leaves a choice (the model must take the same ones):
// - cycle is 0 after the reset edge and + 1 at every later edge; a record taken at an edge
//   carries ts = cycle before that edge (so the first edge after prst gives ts 0).
// - ibeat counts the stored beats of the frame; it returns to 0 at a stored last beat and at the
//   cut beat (the one stored with tlast forced at ibeat = FB_DEPTH - 1, which sets discard); a
//   taken beat while discard is 1 is not stored, and clears discard if it is the last.
// - The parser's s_tvalid is rx_tvalid when the beat can be taken on the frame buffer's side
//   (buffer ready or discard), the frame buffer's s_tvalid is rx_tvalid when the parser is ready
//   and the beat is not discarded: each takes exactly the beats rx_tready takes.
// - res_ready = f_ready and a side-buffer head with reason 0 (as the page writes it, whether or
//   not res_valid); the side buffer's m_tready = f_valid && f_ready.
// - A classified frame's completion LEN is the result's res_len (= the key's key_len = m_len);
//   a verdict of 3 is written to VERDICT as 3 (the result's), with f_chan 0 and f_drop 1.
// - The order (f_chan, f_drop, f_cmpl) is computed whether or not f_valid is 1 (internal: the
//   engine latches it only with f_valid).
// - Register windows: NIC [nic_base, rxq_base), queues [rxq_base, rxq_base + 32 * rxq_stride),
//   vectors [irq_base, irq_base + 32 * irq_stride); offsets in none of them at or above nic_base
//   are ignored (read 0). Accesses with address bits 1:0 not 0 at or above nic_base reach no
//   block. Every aligned access in the queue window reaches gufc_rxdma's cfg port with cfg_chan
//   the queue number (it ignores queues >= CHANNELS + 1 and registers > 10); a write in the
//   vector window reaches gufc_irq's cfg port only for a vector < CHANNELS + 2.
// - PARSE_POLICY stores bits 9:1 of a write (bit 0 and bits 31:10 read 0); writes to CAPS,
//   IRQ_PENDING and unassigned NIC words are ignored; any write to PARSE_COUNT[r] clears it,
//   whatever its data (1 if the counter is incremented at that edge).
// - A vector's PENDING read gives the irq block's pending bit before the edge; FRAMES, TIMER,
//   MASK read 0 (the writes still reach the block).
// - The NIC's, the vectors' and the queues' read data registers are reset by prst (a read at a
//   prst edge reads 0); gufc_top's follows its own reset.
module gufc_nic #(
    parameter integer DW = 64,              // data width: a multiple of 64, 64..512
    parameter integer CHANNELS = 16,        // the classifier's channels, 1..30; queue CHANNELS is
                                            // the slow path
    parameter integer FB_DEPTH = 512,       // frame buffer beats, a power of two >= 2
    parameter integer SIDE_DEPTH = 64,      // side records (frames between parser and DMA)
    parameter integer HDR_BYTES = 128,      // parser.md
    parameter integer EXT_MAX = 4,          // parser.md
    parameter integer TCAM_ENTRIES = 1024,  // gufc_top's
    parameter integer FLOW_BUCKETS = 1024,
    parameter integer FLOW_WAYS = 4,
    parameter integer LOCAL_ENTRIES = 8,
    parameter integer CHECKERS = 16,
    parameter integer BANK = 64,
    parameter integer SLICE_BITS = 4,
    parameter integer FLAG_BITS = 6,
    parameter integer FIFO = 32
) (
    input wire clk,
    input wire rst,
    input wire mmio_valid,
    input wire mmio_write,
    input wire [11:0] mmio_addr,
    input wire [31:0] mmio_wdata,
    output wire [31:0] mmio_rdata,
    input wire rx_tvalid,
    output wire rx_tready,
    input wire [DW-1:0] rx_tdata,
    input wire [DW/8-1:0] rx_tkeep,
    input wire rx_tlast,
    input wire rx_tuser,
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
    input wire [63:0] rd_data,
    input wire rd_err,
    output wire irq_valid,
    input wire irq_ready,
    output wire [$clog2(CHANNELS + 2)-1:0] irq_vec   // VW bits
);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */

    localparam integer VECTORS = CHANNELS + 2;  // channels, the slow path, errors
    localparam integer VW = $clog2(VECTORS);
    localparam integer QUEUES = CHANNELS + 1;
    localparam integer LANES = DW / 8;
    localparam integer IBW = $clog2(FB_DEPTH);
    localparam integer XW = CMD_INDEX_W;        // gufc_top's res_index
    localparam integer SW = 160;                // the side record
    localparam integer NREASONS = 10;           // parser reasons 0..9 (PARSE_COUNT)

    generate
        if (DW < 64 || DW > 512 || DW % 64 != 0 || CHANNELS < 1 || CHANNELS > 30
            || FB_DEPTH < 2 || (FB_DEPTH & (FB_DEPTH - 1)) != 0
            || SIDE_DEPTH < 2 || (SIDE_DEPTH & (SIDE_DEPTH - 1)) != 0) begin : g_bad_params
            // An elaboration error naming the module: a parameter outside its documented range.
            gufc_nic_bad_parameters u_bad();
        end
    endgenerate

    // ---------------------------------------------------------------- BAR0 decode
    localparam [11:0] NIC_BASE = GUFC_NIC_BASE[11:0];
    localparam [11:0] RXQ_BASE = GUFC_RXQ_BASE[11:0];
    localparam [11:0] IRQ_BASE = GUFC_IRQ_BASE[11:0];
    localparam integer RXQ_SH = $clog2(GUFC_RXQ_STRIDE);
    localparam integer IRQ_SH = $clog2(GUFC_IRQ_STRIDE);
    // The windows' ends (32 queues and 32 vectors; a 13-bit compare so 0x1000 is representable).
    localparam [12:0] RXQ_END = GUFC_RXQ_BASE[12:0] + (13'd32 << RXQ_SH);
    localparam [12:0] IRQ_END = GUFC_IRQ_BASE[12:0] + (13'd32 << IRQ_SH);
    localparam [11:0] R_CONTROL = REG_CONTROL;
    localparam [5:0] N_CAPS = NIC_REG_CAPS[5:0];
    localparam [5:0] N_POLICY = NIC_REG_PARSE_POLICY[5:0];
    localparam [5:0] N_PENDING = NIC_REG_IRQ_PENDING[5:0];
    localparam [5:0] N_COUNT = NIC_REG_PARSE_COUNT[5:0];
    localparam [1:0] F_PENDING = IRQ_FIELD_PENDING[1:0];
    localparam [31:0] CAPS = {FB_DEPTH[15:0], LANES[7:0], CHANNELS[7:0]};

    wire wr = mmio_valid && mmio_write;
    wire rd = mmio_valid && !mmio_write;
    wire [12:0] a13 = {1'b0, mmio_addr};
    wire aligned = mmio_addr[1:0] == 2'd0;
    wire in_top = mmio_addr < NIC_BASE;
    wire in_nic = mmio_addr >= NIC_BASE && mmio_addr < RXQ_BASE && aligned;
    wire in_rxq = mmio_addr >= RXQ_BASE && a13 < RXQ_END && aligned;
    wire in_irq = mmio_addr >= IRQ_BASE && a13 < IRQ_END && aligned;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [11:0] nic_off = mmio_addr - NIC_BASE;
    wire [11:0] rxq_off = mmio_addr - RXQ_BASE;
    wire [11:0] irq_off = mmio_addr - IRQ_BASE;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [5:0] nic_i = nic_off[7:2];                      // NIC word (the window is 64 words)
    wire [4:0] rxq_q = rxq_off[RXQ_SH +: 5];              // queue
    wire [3:0] rxq_r = rxq_off[5:2];                      // its register
    wire [4:0] irq_v = irq_off[IRQ_SH +: 5];              // vector
    wire [1:0] irq_f = irq_off[3:2];                      // its field
    wire irq_ok = {27'd0, irq_v} < VECTORS;

    // ---------------------------------------------------------------- reset
    // clr: what resets gufc_top's register block (CONTROL is below nic_base); prst: clr
    // registered, the packet path's reset and this module's.
    wire clr = rst || (wr && in_top && mmio_addr == R_CONTROL && mmio_wdata[CONTROL_RESET_LSB]);
    reg prst;
    always @(posedge clk) prst <= clr;

    // ---------------------------------------------------------------- input: parser + frame buffer
    wire p_ready, fb_ready;
    reg discard;
    reg [IBW-1:0] ibeat;
    wire cut = &ibeat;                  // ibeat = FB_DEPTH - 1: the last beat stored
    assign rx_tready = p_ready && (fb_ready || discard);
    wire take = rx_tvalid && rx_tready;

    // The parser's record.
    wire m_valid;
    wire m_ready;
    wire [319:0] m_key;
    wire [7:0] m_flags, m_reason;
    wire [15:0] m_len, m_vlan;
    wire [1:0] m_tags, m_frag;

    gufc_parser #(.DW(DW), .HDR_BYTES(HDR_BYTES), .EXT_MAX(EXT_MAX)) parser (
        .clk(clk), .rst(prst),
        .s_tvalid(rx_tvalid && (fb_ready || discard)), .s_tready(p_ready),
        .s_tdata(rx_tdata), .s_tkeep(rx_tkeep), .s_tlast(rx_tlast), .s_tuser(rx_tuser),
        .m_valid(m_valid), .m_ready(m_ready), .m_key(m_key), .m_flags(m_flags), .m_len(m_len),
        .m_reason(m_reason), .m_tags(m_tags), .m_vlan(m_vlan), .m_frag(m_frag)
    );

    // The frame buffer: the engine's beats.
    wire fb_m_valid, fb_m_ready, fb_m_last;
    wire [DW-1:0] fb_m_data;
    wire [LANES-1:0] fb_m_keep;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [IBW:0] fb_level;
    /* verilator lint_on UNUSEDSIGNAL */

    gufc_framebuf #(.DW(DW), .DEPTH(FB_DEPTH)) framebuf (
        .clk(clk), .rst(prst),
        .s_tvalid(rx_tvalid && p_ready && !discard), .s_tready(fb_ready),
        .s_tdata(rx_tdata), .s_tkeep(rx_tkeep), .s_tlast(rx_tlast || cut),
        .m_tvalid(fb_m_valid), .m_tready(fb_m_ready), .m_tdata(fb_m_data), .m_tkeep(fb_m_keep),
        .m_tlast(fb_m_last), .level(fb_level)
    );

    always @(posedge clk) begin
        if (prst) begin
            discard <= 1'b0;
            ibeat <= {IBW{1'b0}};
        end else if (take) begin
            if (discard) begin
                if (rx_tlast) discard <= 1'b0;
            end else if (rx_tlast) begin
                ibeat <= {IBW{1'b0}};
            end else if (cut) begin
                ibeat <= {IBW{1'b0}};
                discard <= 1'b1;
            end else begin
                ibeat <= ibeat + 1'b1;
            end
        end
    end

    // ---------------------------------------------------------------- record: classifier + side buffer
    reg [63:0] cycle;
    reg [31:0] seq;
    wire side_ready;
    wire key_ready;
    wire key_valid = m_valid && m_reason == PARSE_REASON_NONE && side_ready;
    assign m_ready = side_ready && (m_reason != PARSE_REASON_NONE || key_ready);
    wire rec_take = m_valid && m_ready;
    // Little-endian bytes 0..19: ts, seq, m_len, m_vlan, m_reason, m_flags, tags | frag << 2, 0.
    wire [SW-1:0] side_in = {8'd0, 4'd0, m_frag, m_tags, m_flags, m_reason, m_vlan, m_len, seq,
                             cycle};

    always @(posedge clk) begin
        if (prst) begin
            cycle <= 64'd0;
            seq <= 32'd0;
        end else begin
            cycle <= cycle + 64'd1;
            if (rec_take) seq <= seq + 32'd1;
        end
    end

    // The side buffer's head.
    wire h_valid;
    wire f_valid, f_ready;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [SW-1:0] h;                     // bits 159:148 (byte 18's top, byte 19) are 0
    wire [SW/8-1:0] h_keep;
    wire h_last;
    wire [$clog2(SIDE_DEPTH):0] side_level;
    /* verilator lint_on UNUSEDSIGNAL */

    gufc_framebuf #(.DW(SW), .DEPTH(SIDE_DEPTH)) sidebuf (
        .clk(clk), .rst(prst),
        .s_tvalid(rec_take), .s_tready(side_ready),
        .s_tdata(side_in), .s_tkeep({(SW / 8) {1'b0}}), .s_tlast(1'b1),
        .m_tvalid(h_valid), .m_tready(f_valid && f_ready), .m_tdata(h), .m_tkeep(h_keep),
        .m_tlast(h_last), .level(side_level)
    );

    // The classifier. Its port sees only the accesses below nic_base.
    wire [31:0] top_rdata;
    wire res_valid, res_stale, res_src_local, res_dst_local;
    wire [1:0] res_verdict, res_kind;
    wire [7:0] res_channel, res_reason;
    wire [XW-1:0] res_index;
    wire [15:0] res_len;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] res_tag;  // = the record's seq (key order); the side buffer's head says it
    /* verilator lint_on UNUSEDSIGNAL */
    wire [63:0] h_ts = h[63:0];
    wire [31:0] h_seq = h[95:64];
    wire [15:0] h_len = h[111:96];
    wire [15:0] h_vlan = h[127:112];
    wire [7:0] h_reason = h[135:128];
    wire [7:0] h_flags = h[143:136];
    wire [1:0] h_tags = h[145:144];
    wire [1:0] h_frag = h[147:146];
    wire h_ok = h_reason == PARSE_REASON_NONE;

    gufc_top #(.TCAM_ENTRIES(TCAM_ENTRIES), .FLOW_BUCKETS(FLOW_BUCKETS), .FLOW_WAYS(FLOW_WAYS),
               .CHANNELS(CHANNELS), .LOCAL_ENTRIES(LOCAL_ENTRIES), .CHECKERS(CHECKERS),
               .BANK(BANK), .SLICE_BITS(SLICE_BITS), .FLAG_BITS(FLAG_BITS), .FIFO(FIFO)) top (
        .clk(clk), .rst(rst),
        .mmio_valid(mmio_valid && in_top), .mmio_write(mmio_write), .mmio_addr(mmio_addr),
        .mmio_wdata(mmio_wdata), .mmio_rdata(top_rdata),
        .key_valid(key_valid), .key_ready(key_ready), .key_data(m_key), .key_len(m_len),
        .key_tag(seq), .key_flags(m_flags),
        .res_valid(res_valid), .res_ready(f_ready && h_valid && h_ok), .res_verdict(res_verdict),
        .res_channel(res_channel), .res_reason(res_reason), .res_kind(res_kind),
        .res_stale(res_stale), .res_src_local(res_src_local), .res_dst_local(res_dst_local),
        .res_index(res_index), .res_len(res_len), .res_tag(res_tag)
    );

    // ---------------------------------------------------------------- order: the DMA engine's
    reg [9:1] policy;                    // PARSE_POLICY bits 9:1
    wire [15:0] policy_v = {6'd0, policy, 1'b0};
    wire h_pdrop = h_reason < 8'd16 && policy_v[h_reason[3:0]];
    localparam [7:0] CH_SLOW = CHANNELS[7:0];
    localparam [1:0] V_DELIVER = VERDICT_DELIVER[1:0];
    localparam [1:0] V_SLOW = VERDICT_SLOW_PATH[1:0];
    localparam [1:0] V_DROP = VERDICT_DROP[1:0];
    localparam [1:0] K_MISS = KIND_MISS[1:0];
    reg [7:0] o_chan;
    reg o_drop;
    always @(*) begin
        if (!h_ok) begin
            o_chan = CH_SLOW;
            o_drop = h_pdrop;
        end else if (res_verdict == V_DELIVER) begin
            o_chan = res_channel < CH_SLOW ? res_channel : 8'd255;
            o_drop = 1'b0;
        end else if (res_verdict == V_SLOW) begin
            o_chan = CH_SLOW;
            o_drop = 1'b0;
        end else begin                   // DROP, or verdict 3
            o_chan = 8'd0;
            o_drop = 1'b1;
        end
    end
    reg [31:0] w0, w1;
    always @(*) begin
        w0 = 32'd0;
        if (!h_ok) begin
            w0[CMPL0_LEN_LSB +: CMPL0_LEN_W] = h_len;
            w0[CMPL0_VERDICT_LSB +: CMPL0_VERDICT_W] = h_pdrop ? V_DROP : V_SLOW;
            w0[CMPL0_KIND_LSB +: CMPL0_KIND_W] = K_MISS;
        end else begin
            w0[CMPL0_LEN_LSB +: CMPL0_LEN_W] = res_len;
            w0[CMPL0_VERDICT_LSB +: CMPL0_VERDICT_W] = res_verdict;
            w0[CMPL0_KIND_LSB +: CMPL0_KIND_W] = res_kind;
            w0[CMPL0_STALE_LSB +: CMPL0_STALE_W] = res_stale;
            w0[CMPL0_SRC_LOCAL_LSB +: CMPL0_SRC_LOCAL_W] = res_src_local;
            w0[CMPL0_DST_LOCAL_LSB +: CMPL0_DST_LOCAL_W] = res_dst_local;
            w0[CMPL0_REASON_LSB +: CMPL0_REASON_W] = res_reason;
        end
        w1 = 32'd0;
        w1[CMPL1_CHANNEL_LSB +: CMPL1_CHANNEL_W] = o_chan;
        w1[CMPL1_PARSE_REASON_LSB +: CMPL1_PARSE_REASON_W] = h_reason;
        w1[CMPL1_TCP_FLAGS_LSB +: CMPL1_TCP_FLAGS_W] = h_flags;
        w1[CMPL1_VLAN_TAGS_LSB +: CMPL1_VLAN_TAGS_W] = h_tags;
        w1[CMPL1_FRAG_LSB +: CMPL1_FRAG_W] = h_frag;
    end
    wire [31:0] w2 = h_ok ? {{(32 - XW) {1'b0}}, res_index} : 32'd0;
    wire [223:0] o_cmpl = {h_seq, h_ts[63:32], h_ts[31:0], 16'd0, h_vlan, w2, w1, w0};
    assign f_valid = h_valid && (!h_ok || res_valid);

    // ---------------------------------------------------------------- the DMA engine
    wire ev_valid;
    wire [7:0] ev_vec;
    wire [31:0] rxq_rdata;

    gufc_rxdma #(.DW(DW), .CHANNELS(QUEUES)) rxdma (
        .clk(clk), .rst(prst),
        .f_valid(f_valid), .f_ready(f_ready), .f_chan(o_chan), .f_drop(o_drop), .f_cmpl(o_cmpl),
        .s_tvalid(fb_m_valid), .s_tready(fb_m_ready), .s_tdata(fb_m_data), .s_tkeep(fb_m_keep),
        .s_tlast(fb_m_last),
        .w_valid(w_valid), .w_ready(w_ready), .w_err(w_err), .w_addr(w_addr), .w_data(w_data),
        .w_strb(w_strb),
        .r_valid(r_valid), .r_ready(r_ready), .r_addr(r_addr),
        .rd_valid(rd_valid), .rd_data(rd_data), .rd_err(rd_err),
        .cfg_valid(mmio_valid && in_rxq), .cfg_write(mmio_write), .cfg_chan({3'd0, rxq_q}),
        .cfg_reg(rxq_r), .cfg_wdata(mmio_wdata), .cfg_rdata(rxq_rdata),
        .ev_valid(ev_valid), .ev_vec(ev_vec)
    );

    // ---------------------------------------------------------------- interrupts
    // The engine's events: channel c (0..CHANNELS-1), the slow path (CHANNELS), errors
    // (CHANNELS + 1, the engine's error vector with CHANNELS + 1 queues) are the vectors.
    wire [VECTORS-1:0] pending;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [7:0] ev_vec_all = ev_vec;  // <= CHANNELS + 1 < 2^VW: the bits above VW are 0
    /* verilator lint_on UNUSEDSIGNAL */

    gufc_irq #(.VECTORS(VECTORS), .VW(VW)) irq (
        .clk(clk), .rst(prst),
        .ev_valid(ev_valid), .ev_vec(ev_vec_all[VW-1:0]),
        .cfg_valid(wr && in_irq && irq_ok), .cfg_vec(irq_v[VW-1:0]), .cfg_field(irq_f),
        .cfg_data(mmio_wdata[15:0]),
        .irq_valid(irq_valid), .irq_ready(irq_ready), .irq_vec(irq_vec), .pending(pending)
    );

    // ---------------------------------------------------------------- the NIC's registers
    reg [31:0] pending32;               // pending, zero-extended (VECTORS may be 32)
    integer v;
    always @(*) begin
        pending32 = 32'd0;
        for (v = 0; v < VECTORS; v = v + 1) pending32[v] = pending[v];
    end
    wire [32*NREASONS-1:0] count_v;     // PARSE_COUNT[r] at bits 32r
    reg [31:0] nic_rdata, irq_rdata;
    reg [31:0] nv;
    integer r;
    always @(*) begin
        nv = 32'd0;
        if (nic_i == N_CAPS) nv = CAPS;
        else if (nic_i == N_POLICY) nv = {22'd0, policy, 1'b0};
        else if (nic_i == N_PENDING) nv = pending32;
        for (r = 0; r < NREASONS; r = r + 1)
            if (nic_i == N_COUNT + r[5:0]) nv = count_v[32*r +: 32];
    end
    wire nic_wr = wr && in_nic;

    always @(posedge clk) begin
        if (prst) begin
            policy <= 9'd0;
            nic_rdata <= 32'd0;
            irq_rdata <= 32'd0;
        end else begin
            if (nic_wr && nic_i == N_POLICY) policy <= mmio_wdata[9:1];
            nic_rdata <= rd && in_nic ? nv : 32'd0;
            irq_rdata <= rd && in_irq && irq_ok && irq_f == F_PENDING ? {31'd0, pending32[irq_v]}
                                                                       : 32'd0;
        end
    end

    genvar gr;
    generate
        for (gr = 0; gr < NREASONS; gr = gr + 1) begin : g_count
            localparam [7:0] R8 = gr[7:0];
            localparam [5:0] I6 = N_COUNT + gr[5:0];
            wire inc = rec_take && m_reason == R8;
            reg [31:0] c;
            assign count_v[32*gr +: 32] = c;
            always @(posedge clk) begin
                if (prst) c <= 32'd0;
                else if (nic_wr && nic_i == I6) c <= {31'd0, inc};
                else if (inc) c <= c + 32'd1;
            end
        end
    endgenerate

    assign mmio_rdata = top_rdata | nic_rdata | rxq_rdata | irq_rdata;
endmodule
