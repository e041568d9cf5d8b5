// gufc_parser (RTL 2.0) — the frame parser: an AXI4-Stream of Ethernet frames in, one record
// (the classifier key, TCP flags, length, parser reason, VLAN tags, fragment bits) per frame out.
// The contract, cycle for cycle, is docs/parser.md; the Rust model hw-model/src/v2/parser.rs
// implements the same page and sim/tests/parser.rs compares them on every edge.
//
// Structure. Two frame slots, each a header window of HDR_BYTES flip-flop bytes. Capture writes
// the taken beat's lanes into the capturing slot's window (s_tready = !full[cs]); the frame
// length and the FRAME_ERROR bit are accumulated one edge behind the beats (a popcount of a 64-bit
// tkeep and a 16-bit add do not fit one 150 MHz cycle), so they are final one edge after the
// last beat, before the walker's IP step, the first step that uses them.
// The walker (st) takes the full slots in order: S0 (st 0, the page's Ethernet step at t+1 when
// idle) copies the slot's window into wk (so no later read needs the slot mux), finds the VLAN
// tags and reads the IP header's fixed fields, the first next header and its offset; the IP
// checks follow from registers at the next edges; EXT_MAX extension steps (st 1 .. EXT_MAX);
// ST_A does the transport step's reads and checks; ST_B loads the output register and frees
// the slot, or waits while the output holds an untaken record: the load at t + 3 + EXT_MAX.
// Each stage keeps its own first failure (ip_r, ext_r, then the transport's), and the record
// takes the first non-zero one, so a check may be evaluated at another edge than the page's step
// (IP's `end > len` one edge after S0's registers: it needs an adder then a compare) as long as
// the order of reasons holds.
// All walker offsets are even (l3 in {14, 18, 22}, + 4*IHL or + 40, + 8, 4*(b1+2), 8*(b1+1)), so
// the window is read as 16-bit halfwords at x/2 (x[0] is never set).
module gufc_parser #(
    parameter integer DW = 64,         // data width: a multiple of 64, up to 512
    parameter integer HDR_BYTES = 128, // header window: a multiple of DW/8, >= 64
    parameter integer EXT_MAX = 4      // extension headers walked (>= 1)
) (
    input wire clk,
    input wire rst,
    input wire s_tvalid,
    output wire s_tready,
    input wire [DW-1:0] s_tdata,
    input wire [DW/8-1:0] s_tkeep,
    input wire s_tlast,
    input wire s_tuser,
    output reg m_valid,
    input wire m_ready,
    output reg [319:0] m_key,
    output reg [7:0] m_flags,
    output reg [15:0] m_len,
    output reg [7:0] m_reason,
    output reg [1:0] m_tags,
    output reg [15:0] m_vlan,
    output reg [1:0] m_frag
);
    /* verilator lint_off UNUSEDPARAM */
    `undef GUFC_REGS_VH  // per-module include: its guard would hide it from later modules
    `include "gufc_regs.vh"
    /* verilator lint_on UNUSEDPARAM */

    localparam integer LANES = DW / 8;
    localparam integer NB = HDR_BYTES / LANES;      // beats that reach the window
    localparam integer BW = $clog2(NB + 1);         // beat counter, saturates at NB
    localparam integer PW = $clog2(LANES + 1);      // popcount of one beat's tkeep
    localparam integer WB = HDR_BYTES * 8;
    localparam integer NHW = HDR_BYTES / 2;         // window halfwords
    // x < HDR_BYTES before a step that moves it (else LONG_CHAIN), a step adds <= 2048; the IP
    // step's x is <= 22 + 60.
    localparam integer XW = $clog2(HDR_BYTES + 2048 + 128) + 1;
    localparam integer HIW = $clog2(NHW);
    localparam integer HN = 1 << HIW;               // halfwords of the zero-padded window
    localparam [BW-1:0] NBC = NB[BW-1:0];
    localparam integer STW = $clog2(EXT_MAX + 3);
    localparam integer LC8 = HDR_BYTES - 8, LC14 = HDR_BYTES - 14;
    localparam [XW-1:0] X_LC8 = LC8[XW-1:0];        // x + 8 > HDR_BYTES  <=>  x > X_LC8
    localparam [XW-1:0] X_LC14 = LC14[XW-1:0];      // x + 14 > HDR_BYTES <=>  x > X_LC14

    generate
        if (DW < 64 || DW > 512 || DW % 64 != 0 || HDR_BYTES < LANES || HDR_BYTES % LANES != 0
            || HDR_BYTES < 64 || EXT_MAX < 1) begin : g_bad_params
            // An elaboration error naming the module: a parameter outside its documented range.
            gufc_parser_bad_parameters u_bad();
        end
    endgenerate

    // ---------------------------------------------------------------- capture
    reg [1:0] full;
    reg cs, ws;
    reg [BW-1:0] cbeat;
    reg [WB-1:0] win0, win1;
    assign s_tready = !full[cs];
    wire take = s_tvalid && s_tready;

    genvar gb;
    generate
        for (gb = 0; gb < NB; gb = gb + 1) begin : g_win
            localparam [BW-1:0] B = gb;
            always @(posedge clk) begin
                if (take && cbeat == B) begin
                    if (cs) win1[gb*DW +: DW] <= s_tdata;
                    else win0[gb*DW +: DW] <= s_tdata;
                end
            end
        end
    endgenerate

    function automatic [PW-1:0] popcount(input [LANES-1:0] k);
        integer i;
        begin
            popcount = 0;
            for (i = 0; i < LANES; i = i + 1) popcount = popcount + {{(PW - 1) {1'b0}}, k[i]};
        end
    endfunction

    // FRAME_ERROR of one beat: tuser, a beat before the last not all ones, a last beat whose
    // tkeep is not 2^k - 1 with k >= 1 (lane 0 set, and no set lane above a clear one).
    wire keep_all = &s_tkeep;
    wire keep_packed = s_tkeep[0] && (((s_tkeep >> 1) & ~s_tkeep) == {LANES{1'b0}});
    wire beat_err = s_tuser || (s_tlast ? !keep_packed : !keep_all);

    // One edge behind the beats: that beat's popcount and error, added into acc/acc_err; the
    // last beat's totals go to its slot.
    reg pv, plast, pslot, perr;
    reg [PW-1:0] pcnt;
    reg [15:0] acc;
    reg acc_err;
    reg [15:0] len_s0, len_s1;
    reg err_s0, err_s1;
    wire [16:0] acc_sum = {1'b0, acc} + {{(17 - PW) {1'b0}}, pcnt};
    wire [15:0] acc_n = acc_sum[16] ? 16'hffff : acc_sum[15:0];
    wire acc_err_n = acc_err || perr;

    always @(posedge clk) begin
        if (rst) begin
            cs <= 1'b0;
            cbeat <= {BW{1'b0}};
            pv <= 1'b0;
            acc <= 16'd0;
            acc_err <= 1'b0;
        end else begin
            pv <= take;
            if (take) begin
                plast <= s_tlast;
                pslot <= cs;
                pcnt <= popcount(s_tkeep);
                perr <= beat_err;
                if (s_tlast) begin
                    cs <= !cs;
                    cbeat <= {BW{1'b0}};
                end else if (cbeat != NBC) begin
                    cbeat <= cbeat + 1'b1;
                end
            end
            if (pv) begin
                if (plast) begin
                    if (pslot) begin
                        len_s1 <= acc_n;
                        err_s1 <= acc_err_n;
                    end else begin
                        len_s0 <= acc_n;
                        err_s0 <= acc_err_n;
                    end
                    acc <= 16'd0;
                    acc_err <= 1'b0;
                end else begin
                    acc <= acc_n;
                    acc_err <= acc_err_n;
                end
            end
        end
    end

    // ---------------------------------------------------------------- walker
    // st: 0 idle (S0 at the edge a full slot is found), 1 .. EXT_MAX the extension steps, ST_A
    // the transport's reads and checks, ST_B the output register load (waits while it holds an
    // untaken record). S0 is the page's Ethernet step and the IP step's reads at once, ST_A its
    // transport step's logic one edge early, so S0 + EXT_MAX + A + B = the page's EXT_MAX + 3
    // edges, the load at t + 3 + EXT_MAX.
    localparam integer ST_AI = EXT_MAX + 1, ST_BI = EXT_MAX + 2;
    localparam [STW-1:0] ST_A = ST_AI[STW-1:0], ST_B = ST_BI[STW-1:0];
    reg [STW-1:0] st;
    reg [WB-1:0] wk;            // the walked slot's window, copied at S0
    wire [WB-1:0] wsel = ws ? win1 : win0;
    wire [15:0] len = ws ? len_s1 : len_s0;
    wire ferr = ws ? err_s1 : err_s0;

    function automatic [15:0] be16(input [7:0] hi, input [7:0] lo);
        be16 = {hi, lo};
    endfunction
    function automatic is_tpid(input [15:0] v);
        is_tpid = v == 16'h8100 || v == 16'h88a8 || v == 16'h9100;
    endfunction
    function automatic kind_ext(input [7:0] t, input v6x);
        kind_ext = t == 8'd51 || (v6x && (t == 8'd0 || t == 8'd43 || t == 8'd44 || t == 8'd60));
    endfunction

    // S0: tags from bytes 12..21 of the slot's window, the IP header's first 10 bytes at
    // l3 = 14 + 4*tags (all inside the window: HDR_BYTES >= 64 > 22 + 39).
    wire [15:0] w12 = be16(wsel[12*8 +: 8], wsel[13*8 +: 8]);
    wire [15:0] w14 = be16(wsel[14*8 +: 8], wsel[15*8 +: 8]);
    wire [15:0] w16 = be16(wsel[16*8 +: 8], wsel[17*8 +: 8]);
    wire [15:0] w20 = be16(wsel[20*8 +: 8], wsel[21*8 +: 8]);
    wire t1 = is_tpid(w12);
    wire t2 = t1 && is_tpid(w16);
    wire t3 = t2 && is_tpid(w20);
    wire [15:0] etype = t2 ? w20 : t1 ? w16 : w12;
    wire s_v4 = etype == 16'h0800;
    wire [1:0] s_tags = t2 ? 2'd2 : t1 ? 2'd1 : 2'd0;
    wire [79:0] iph0 = t2 ? wsel[22*8 +: 80] : t1 ? wsel[18*8 +: 80] : wsel[14*8 +: 80];
    function automatic [7:0] ipb(input [79:0] h, input integer k);
        ipb = h[k*8 +: 8];
    endfunction
    wire [7:0] s_vi = ipb(iph0, 0);                         // version, IHL
    wire [5:0] s_ihl4 = {s_vi[3:0], 2'b00};
    wire [15:0] s_tl = be16(ipb(iph0, 2), ipb(iph0, 3));
    wire [15:0] s_pl = be16(ipb(iph0, 4), ipb(iph0, 5));
    wire [15:0] s_ffo = be16(ipb(iph0, 6), ipb(iph0, 7));   // IPv4 flags, fragment offset
    wire [7:0] s_nh = s_v4 ? ipb(iph0, 9) : ipb(iph0, 6);
    wire s_later = s_v4 && s_ffo[12:0] != 13'd0;
    wire [4:0] s_l3 = t2 ? 5'd22 : t1 ? 5'd18 : 5'd14;
    wire [XW-1:0] s_x = {{(XW - 7) {1'b0}}, s_v4 ? {2'b00, s_l3} + {1'b0, s_ihl4} : {2'b00, s_l3} + 7'd40};

    // Registered at S0 for the IP checks (done at the next edges: they need len, final one edge
    // after the last beat) and the key.
    reg [1:0] e_tags;
    reg e_t3, e_v4, e_v6;
    reg [15:0] e_vlan;
    reg [3:0] e_ver, e_ihl;
    reg [15:0] e_tl, e_pl;
    wire [4:0] l3 = 5'd14 + {1'b0, e_tags, 2'b00};
    wire [5:0] ihl4 = {e_ihl, 2'b00};
    // The Ethernet and IP checks but IP's `end > len`, which is a stage later.
    wire eth_trunc = len < {11'd0, l3};
    reg [7:0] ip_ra;
    always @(*) begin
        if (ferr) ip_ra = PARSE_REASON_FRAME_ERROR;
        else if (eth_trunc) ip_ra = PARSE_REASON_TRUNCATED;
        else if (e_t3) ip_ra = PARSE_REASON_VLAN_DEPTH;
        else if (!e_v4 && !e_v6) ip_ra = PARSE_REASON_NON_IP;
        else if (e_v4) begin
            if (len < {11'd0, l3} + 16'd20) ip_ra = PARSE_REASON_TRUNCATED;
            else if (e_ver != 4'd4) ip_ra = PARSE_REASON_BAD_VERSION;
            else if (e_ihl < 4'd5) ip_ra = PARSE_REASON_BAD_IHL;
            else if (e_tl < {10'd0, ihl4}) ip_ra = PARSE_REASON_BAD_LENGTH;
            else ip_ra = PARSE_REASON_NONE;
        end else begin
            if (len < {11'd0, l3} + 16'd40) ip_ra = PARSE_REASON_TRUNCATED;
            else if (e_ver != 4'd6) ip_ra = PARSE_REASON_BAD_VERSION;
            else ip_ra = PARSE_REASON_NONE;
        end
    end
    // Recomputed on every edge from registers that hold from S0 to the next S0: at ST_B (S0 + 3
    // at the earliest) ip_r and ip_ok are those of the frame.
    reg [7:0] ip_rb, ip_r;
    reg [16:0] pend;            // the packet's end
    reg tags_ok, ip_ok;
    always @(posedge clk) begin
        ip_rb <= ip_ra;
        pend <= e_v4 ? {12'd0, l3} + {1'b0, e_tl} : {12'd0, l3} + 17'd40 + {1'b0, e_pl};
        tags_ok <= !ferr && !eth_trunc;
        ip_r <= ip_rb != 8'd0 ? ip_rb : pend > {1'b0, len} ? PARSE_REASON_BAD_LENGTH
                                                            : PARSE_REASON_NONE;
        ip_ok <= ip_rb == 8'd0 && pend <= {1'b0, len};
    end

    // Walk state: set at S0, moved by the extension steps. x's halfword index and the three
    // after it the reads need are kept in registers of their own (no adder before a mux).
    reg v6;
    reg [XW-1:0] x;
    reg [XW-2:0] hx0, hx1, hx2, hx6;
    reg [15:0] rem;             // end - x (>= 0 while it matters: checked before every move)
    reg [7:0] nh;
    reg walking, frag, later;
    reg [7:0] ext_r;
    localparam [XW-2:0] HX1 = 1, HX2 = 2, HX6 = 6;

    // Halfword reads of wk (0 past the window). Offsets are even: byte x is the low half.
    wire [HN*16-1:0] wkh;  // wk, zero-padded to a power of two of halfwords
    generate
        if (HN * 2 > HDR_BYTES) begin : g_pad
            assign wkh = {{(HN * 16 - WB) {1'b0}}, wk};
        end else begin : g_nopad
            assign wkh = wk;
        end
    endgenerate
    function automatic [15:0] hw(input [HN*16-1:0] w, input [XW-2:0] i);
        hw = (i >> HIW) != {(XW - 1) {1'b0}} ? 16'd0 : w[i[HIW-1:0] * 16 +: 16];
    endfunction
    wire [15:0] h0 = hw(wkh, hx0);
    wire [15:0] h1 = hw(wkh, hx1);
    wire [15:0] h2 = hw(wkh, hx2);
    wire [15:0] h6 = hw(wkh, hx6);
    wire [7:0] b0 = h0[7:0];      // byte x
    wire [7:0] b1 = h0[15:8];     // byte x+1

    // Extension step.
    wire k_frag = v6 && nh == 8'd44;
    wire k_ah = nh == 8'd51;
    wire [11:0] elen = k_frag ? 12'd8 : k_ah ? {2'b00, b1, 2'b00} + 12'd8
                                             : {1'b0, b1, 3'b000} + 12'd8;
    wire [XW-2:0] ehalf = {{(XW - 12) {1'b0}}, elen[11:1]};
    wire e_c1 = rem < 16'd8;
    wire e_c2 = x > X_LC8;
    wire e_ah0 = k_ah && b1 == 8'd0;   // an AH shorter than its 12 bytes
    wire e_c3 = {4'd0, elen} > rem;
    wire [12:0] fo6 = {h1[7:0], h1[15:11]};  // be16(x+2) >> 3

    // Transport (ST_A).
    wire p_tcp = nh == 8'd6;
    wire p_udp = nh == 8'd17;
    wire p_icmp = !v6 && nh == 8'd1;
    wire p_icmp6 = v6 && nh == 8'd58;
    wire p_port4 = nh == 8'd132 || nh == 8'd136 || nh == 8'd33;
    wire [4:0] tn = p_tcp ? 5'd20 : (p_udp || p_icmp || p_icmp6) ? 5'd8 : p_port4 ? 5'd4 : 5'd0;
    wire icmp_id = p_icmp ? (b0 == 8'd0 || b0 == 8'd8 || (b0 >= 8'd13 && b0 <= 8'd18))
                 : p_icmp6 ? (b0 == 8'd128 || b0 == 8'd129) : 1'b0;
    wire [3:0] doff = h6[7:4];    // byte x+12 (the low half of halfword x/2+6)
    wire [7:0] tflags = h6[15:8]; // byte x+13
    wire unused_ok = &{1'b0, h6[3:0], s_ffo[15:14]};  // TCP reserved bits; IPv4 reserved, DF
    reg [7:0] tr_r;
    always @(*) begin
        if (walking) tr_r = PARSE_REASON_LONG_CHAIN;
        else if (later) tr_r = PARSE_REASON_NONE;
        else if ({11'd0, tn} > rem) tr_r = PARSE_REASON_TRUNCATED;
        else if (tn != 5'd0 && x > X_LC14) tr_r = PARSE_REASON_LONG_CHAIN;
        else if (p_tcp && doff < 4'd5) tr_r = PARSE_REASON_BAD_TCP_OFFSET;
        else if (p_tcp && {10'd0, doff, 2'b00} > rem) tr_r = PARSE_REASON_TRUNCATED;
        else tr_r = PARSE_REASON_NONE;
    end
    wire ported = !later && tn != 5'd0;
    wire [15:0] sport = ported ? be16(b0, b1) : 16'd0;
    wire [15:0] dport = !ported ? 16'd0 : (p_icmp || p_icmp6) ? (icmp_id ? be16(h2[7:0], h2[15:8])
                                                                         : 16'd0)
                                                              : be16(h1[7:0], h1[15:8]);
    // Addresses: IPv4 at l3+12, l3+16 in words 0 and 4; IPv6 at l3+8, l3+24, word i of an address
    // = its bytes 12-4i .. 15-4i, big-endian.
    wire [319:0] iph = e_tags == 2'd0 ? wk[14*8 +: 320] : e_tags == 2'd1 ? wk[18*8 +: 320]
                                                                         : wk[22*8 +: 320];
    function automatic [31:0] be32(input [319:0] h, input integer k);
        be32 = {h[k*8 +: 8], h[(k+1)*8 +: 8], h[(k+2)*8 +: 8], h[(k+3)*8 +: 8]};
    endfunction
    wire [127:0] src = v6 ? {be32(iph, 8), be32(iph, 12), be32(iph, 16), be32(iph, 20)}
                          : {96'd0, be32(iph, 12)};
    wire [127:0] dst = v6 ? {be32(iph, 24), be32(iph, 28), be32(iph, 32), be32(iph, 36)}
                          : {96'd0, be32(iph, 16)};
    wire [31:0] meta = {21'd0, v6, 2'b00, nh};

    // ST_A's results, loaded into the output register at ST_B.
    reg [319:0] a_key;
    reg [7:0] a_flags, a_reason;
    reg [1:0] a_frag;
    reg a_ok;

    wire load = st == ST_B && (!m_valid || m_ready);

    always @(posedge clk) begin
        if (rst) begin
            full <= 2'b00;
            ws <= 1'b0;
            st <= {STW{1'b0}};
        end else begin
            if (take && s_tlast) full[cs] <= 1'b1;
            if (st == {STW{1'b0}}) begin
                if (full[ws]) begin
                    // S0: the page's Ethernet step and the IP step's reads
                    wk <= wsel;
                    e_tags <= s_tags;
                    e_t3 <= t3;
                    e_v4 <= s_v4;
                    e_v6 <= etype == 16'h86dd;
                    e_vlan <= t1 ? w14 : 16'd0;
                    e_ver <= s_vi[7:4];
                    e_ihl <= s_vi[3:0];
                    e_tl <= s_tl;
                    e_pl <= s_pl;
                    v6 <= !s_v4;
                    x <= s_x;
                    hx0 <= s_x[XW-1:1];
                    hx1 <= s_x[XW-1:1] + HX1;
                    hx2 <= s_x[XW-1:1] + HX2;
                    hx6 <= s_x[XW-1:1] + HX6;
                    rem <= s_v4 ? s_tl - {10'd0, s_ihl4} : s_pl;
                    nh <= s_nh;
                    frag <= s_v4 && (s_ffo[13] || s_later);
                    later <= s_later;
                    walking <= kind_ext(s_nh, !s_v4) && !s_later;
                    ext_r <= PARSE_REASON_NONE;
                    st <= st + 1'b1;
                end
            end else if (st <= EXT_MAX[STW-1:0]) begin
                // an extension step. The walk state moves whether or not the checks pass (a
                // failed walk's state is garbage no output uses: the record's key, flags and frag
                // are 0), so the checks after the window read drive walking and ext_r only.
                if (walking) begin
                    nh <= b0;
                    x <= x + {{(XW - 12) {1'b0}}, elen};
                    hx0 <= hx0 + ehalf;
                    hx1 <= hx1 + ehalf;
                    hx2 <= hx2 + ehalf;
                    hx6 <= hx6 + ehalf;
                    rem <= rem - {4'd0, elen};
                    // IPv4 carries one AH; a later fragment's header is followed by data.
                    walking <= !e_c1 && !e_c2 && !e_ah0 && !e_c3 && v6 && !(k_frag && fo6 != 13'd0)
                               && kind_ext(b0, v6);
                    if (e_c1) ext_r <= PARSE_REASON_TRUNCATED;
                    else if (e_c2) ext_r <= PARSE_REASON_LONG_CHAIN;
                    else if (e_ah0) ext_r <= PARSE_REASON_BAD_LENGTH;
                    else if (e_c3) ext_r <= PARSE_REASON_TRUNCATED;
                    if (k_frag) begin
                        frag <= 1'b1;
                        later <= fo6 != 13'd0;
                    end
                end
                st <= st + 1'b1;
            end else if (st == ST_A) begin
                a_ok <= ext_r == 8'd0 && tr_r == 8'd0;
                a_reason <= ext_r != 8'd0 ? ext_r : tr_r;
                a_key <= {dport, sport, meta, dst, src};
                a_flags <= later || !p_tcp ? 8'd0 : tflags;
                a_frag <= {later, frag};
                st <= st + 1'b1;
            end else if (load) begin
                // ST_B: the record; the slot is free
                full[ws] <= 1'b0;
                ws <= !ws;
                st <= {STW{1'b0}};
            end
        end
    end

    // The output register: 0 while m_valid is 0; key, flags and frag 0 unless the reason is 0.
    wire ok = a_ok && ip_ok;
    always @(posedge clk) begin
        if (rst || (!load && m_valid && m_ready)) begin
            m_valid <= 1'b0;
            m_key <= 320'd0;
            m_flags <= 8'd0;
            m_len <= 16'd0;
            m_reason <= 8'd0;
            m_tags <= 2'd0;
            m_vlan <= 16'd0;
            m_frag <= 2'd0;
        end else if (load) begin
            m_valid <= 1'b1;
            m_key <= ok ? a_key : 320'd0;
            m_flags <= ok ? a_flags : 8'd0;
            m_len <= len;
            m_reason <= ip_ok ? a_reason : ip_r;
            m_tags <= tags_ok ? e_tags : 2'd0;
            m_vlan <= tags_ok ? e_vlan : 16'd0;
            m_frag <= ok ? a_frag : 2'd0;
        end
    end
endmodule
