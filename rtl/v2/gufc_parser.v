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
// The walker (st) takes the full slots in order: E (st 0) copies the slot's window into wk (so
// no later read needs the slot mux) and finds the VLAN tags; IP (st 1) reads the IP header at
// l3 from wk; EXT_MAX extension steps (st 2 .. EXT_MAX+1); transport (st EXT_MAX+2) loads the
// output register and frees the slot, or waits while the output holds an untaken record.
// Each stage keeps its own first failure (ip_r, ext_r, then the transport's), and the record
// takes the first non-zero one, so a check may be evaluated a step later than the page lists it
// (IP's `end > len` is: it needs an adder then a compare) as long as the order of reasons holds.
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
    // x < HDR_BYTES before a step that moves it (else LONG_CHAIN), a step adds <= 2048; the IP
    // step's x is <= 22 + 60.
    localparam integer XW = $clog2(HDR_BYTES + 2048 + 128) + 1;
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
    // ---------------------------------------------------------------- walker
    // st: 0 idle (S0 at the edge a full slot is found), 1 S1, 2 .. EXT_MAX+1 the extension steps,
    // ST_B the transport step, which loads the output register (or waits while it holds an
    // untaken record): the load at S0 + EXT_MAX + 2 = t + 3 + EXT_MAX when S0 is t + 1.
    // The walker never indexes the window: sw holds the slot's window shifted so that its byte 0
    // is the byte the step reads (S0: l3, S1: the next header x, each extension step moves it
    // past its header), so every read is at a fixed position and a step's loop is a shifter
    // driven by a register, not a 64:1 mux followed by an adder.
    // The page's checks are done in its order per step, but the IP step's `end > len` one edge
    // later (ip_r): each stage keeps its first failure and the record takes the first one.
    localparam integer ST_BI = EXT_MAX + 2;
    localparam [STW-1:0] ST_S0 = 0, ST_S1 = 1, ST_B = ST_BI[STW-1:0];
    localparam [STW-1:0] ST_XL = EXT_MAX[STW-1:0] + 1'b1;   // the last extension step
    reg [STW-1:0] st;
    reg [WB-1:0] sw;
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
    function automatic [7:0] byt(input [WB-1:0] w, input integer k);
        byt = w[k*8 +: 8];
    endfunction
    // w >> 32*u (4-byte units), 0 from the window's end.
    function automatic [WB-1:0] shift4(input [WB-1:0] w, input [8:0] u);
        shift4 = w >> {u, 5'b00000};
    endfunction

    // S0: the tags from bytes 12..21 of the slot's window; sw = the window from l3 on.
    wire [15:0] w12 = be16(byt(wsel, 12), byt(wsel, 13));
    wire [15:0] w14 = be16(byt(wsel, 14), byt(wsel, 15));
    wire [15:0] w16 = be16(byt(wsel, 16), byt(wsel, 17));
    wire [15:0] w20 = be16(byt(wsel, 20), byt(wsel, 21));
    wire t1 = is_tpid(w12);
    wire t2 = t1 && is_tpid(w16);
    wire t3 = t2 && is_tpid(w20);
    wire [15:0] etype = t2 ? w20 : t1 ? w16 : w12;
    wire [WB-1:0] sw_l3 = t2 ? wsel >> 22*8 : t1 ? wsel >> 18*8 : wsel >> 14*8;
    reg [1:0] e_tags;
    reg e_t3, e_v4, e_v6;
    reg [15:0] e_vlan;
    reg [319:0] ipa;            // the IP header's first 40 bytes (the addresses)

    // S1: the IP header's fields at sw's byte 0 (HDR_BYTES >= 64 > 22 + 39: all in the window).
    wire [4:0] l3 = 5'd14 + {1'b0, e_tags, 2'b00};
    wire [3:0] ver = sw[7:4];
    wire [3:0] ihl = sw[3:0];
    wire [5:0] ihl4 = {ihl, 2'b00};
    wire [15:0] tl = be16(byt(sw, 2), byt(sw, 3));
    wire [15:0] pl = be16(byt(sw, 4), byt(sw, 5));
    wire [15:0] ffo = be16(byt(sw, 6), byt(sw, 7));   // IPv4 flags, fragment offset
    wire [7:0] ip_nh = e_v4 ? byt(sw, 9) : byt(sw, 6);
    wire ip_later = e_v4 && ffo[12:0] != 13'd0;
    wire eth_trunc = len < {11'd0, l3};
    reg [7:0] ip_ra;            // the Ethernet and IP checks but `end > len`
    always @(*) begin
        if (ferr) ip_ra = PARSE_REASON_FRAME_ERROR;
        else if (eth_trunc) ip_ra = PARSE_REASON_TRUNCATED;
        else if (e_t3) ip_ra = PARSE_REASON_VLAN_DEPTH;
        else if (!e_v4 && !e_v6) ip_ra = PARSE_REASON_NON_IP;
        else if (e_v4) begin
            if (len < {11'd0, l3} + 16'd20) ip_ra = PARSE_REASON_TRUNCATED;
            else if (ver != 4'd4) ip_ra = PARSE_REASON_BAD_VERSION;
            else if (ihl < 4'd5) ip_ra = PARSE_REASON_BAD_IHL;
            else if (tl < {10'd0, ihl4}) ip_ra = PARSE_REASON_BAD_LENGTH;
            else ip_ra = PARSE_REASON_NONE;
        end else begin
            if (len < {11'd0, l3} + 16'd40) ip_ra = PARSE_REASON_TRUNCATED;
            else if (ver != 4'd6) ip_ra = PARSE_REASON_BAD_VERSION;
            else ip_ra = PARSE_REASON_NONE;
        end
    end
    reg [7:0] ip_rb, ip_r;
    reg [16:0] pend;            // the packet's end
    reg tags_ok, ip_ok;
    // ip_r, ip_ok: recomputed on every edge from registers loaded at S1 (and len, which holds
    // during the walk): at ST_B (S1 + 2 at the earliest) they are the frame's.
    always @(posedge clk) begin
        ip_r <= ip_rb != 8'd0 ? ip_rb : pend > {1'b0, len} ? PARSE_REASON_BAD_LENGTH
                                                            : PARSE_REASON_NONE;
        ip_ok <= ip_rb == 8'd0 && pend <= {1'b0, len};
    end

    // Walk state (S1 sets it, the extension steps move it, the transport step reads it).
    reg v6;
    reg [XW-1:0] x;
    reg [15:0] rem;             // end - x (>= 0 while it matters: checked before every move)
    reg [7:0] nh;
    reg walking, frag, later;
    reg [7:0] ext_r;
    reg n_frag, n_ah;           // nh's kind, decoded with it
    reg p_tcp, p_icmp, p_icmp6; // nh's transport, decoded with it
    reg [4:0] tn;               // bytes the transport check needs
    function automatic [4:0] tneed(input [7:0] t, input v6x);
        tneed = t == 8'd6 ? 5'd20 : (t == 8'd17 || (!v6x && t == 8'd1) || (v6x && t == 8'd58)) ? 5'd8
              : (t == 8'd132 || t == 8'd136 || t == 8'd33) ? 5'd4 : 5'd0;
    endfunction

    // Extension step: the header at sw's byte 0.
    wire [7:0] b0 = sw[7:0];
    wire [7:0] b1 = sw[15:8];
    wire [12:0] fo6 = {byt(sw, 2), sw[31:27]};  // be16(x+2) >> 3
    wire [11:0] elen = n_frag ? 12'd8 : n_ah ? {2'b00, b1, 2'b00} + 12'd8
                                             : {1'b0, b1, 3'b000} + 12'd8;
    wire e_c1 = rem < 16'd8;
    wire e_c2 = x > X_LC8;
    wire e_ah0 = n_ah && b1 == 8'd0;   // an AH shorter than its 12 bytes
    wire e_c3 = {4'd0, elen} > rem;
    // sw past the header: 8 bytes, then 4*b1 (AH) or 8*b1 more (frag: none); 0 past the window.
    wire [WB-1:0] sw8 = sw >> 64;
    wire [8:0] eu = n_frag ? 9'd0 : n_ah ? {1'b0, b1} : {b1, 1'b0};
    wire [WB-1:0] sw_next = shift4(sw8, eu);
    wire [WB-1:0] sw_ip = e_v4 ? shift4(sw, {5'd0, ihl}) : sw >> 40*8;

    // Transport (ST_B): the header at sw's byte 0.
    wire icmp_id = p_icmp ? (b0 == 8'd0 || b0 == 8'd8 || (b0 >= 8'd13 && b0 <= 8'd18))
                 : p_icmp6 ? (b0 == 8'd128 || b0 == 8'd129) : 1'b0;
    wire [7:0] b12 = byt(sw, 12);
    wire [3:0] doff = b12[7:4];
    wire [7:0] tflags = byt(sw, 13);
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
    wire [15:0] dport = !ported ? 16'd0 : (p_icmp || p_icmp6) ? (icmp_id ? be16(byt(sw, 4), byt(sw, 5))
                                                                         : 16'd0)
                                                              : be16(byt(sw, 2), byt(sw, 3));
    // Addresses: IPv4 at l3+12, l3+16 in words 0 and 4; IPv6 at l3+8, l3+24, word i of an address
    // = its bytes 12-4i .. 15-4i, big-endian.
    function automatic [31:0] be32(input [319:0] h, input integer k);
        be32 = {h[k*8 +: 8], h[(k+1)*8 +: 8], h[(k+2)*8 +: 8], h[(k+3)*8 +: 8]};
    endfunction
    wire [127:0] src = v6 ? {be32(ipa, 8), be32(ipa, 12), be32(ipa, 16), be32(ipa, 20)}
                          : {96'd0, be32(ipa, 12)};
    wire [127:0] dst = v6 ? {be32(ipa, 24), be32(ipa, 28), be32(ipa, 32), be32(ipa, 36)}
                          : {96'd0, be32(ipa, 16)};
    wire [31:0] meta = {21'd0, v6, 2'b00, nh};
    wire [7:0] reason = ip_r != 8'd0 ? ip_r : ext_r != 8'd0 ? ext_r : tr_r;
    wire ok = ip_ok && ext_r == 8'd0 && tr_r == 8'd0;
    wire unused_ok = &{1'b0, b12[3:0], ffo[15:14]};  // TCP reserved; IPv4 reserved, DF

    wire load = st == ST_B && (!m_valid || m_ready);

    always @(posedge clk) begin
        if (rst) begin
            full <= 2'b00;
            ws <= 1'b0;
            st <= ST_S0;
        end else begin
            if (take && s_tlast) full[cs] <= 1'b1;
            if (st == ST_S0) begin
                if (full[ws]) begin
                    // S0: the page's Ethernet step
                    sw <= sw_l3;
                    ipa <= sw_l3[319:0];
                    e_tags <= t2 ? 2'd2 : t1 ? 2'd1 : 2'd0;
                    e_t3 <= t3;
                    e_v4 <= etype == 16'h0800;
                    e_v6 <= etype == 16'h86dd;
                    e_vlan <= t1 ? w14 : 16'd0;
                    st <= ST_S1;
                end
            end else if (st == ST_S1) begin
                // S1: the IP step
                ip_rb <= ip_ra;
                pend <= e_v4 ? {12'd0, l3} + {1'b0, tl} : {12'd0, l3} + 17'd40 + {1'b0, pl};
                tags_ok <= !ferr && !eth_trunc;
                v6 <= !e_v4;
                x <= {{(XW - 7) {1'b0}}, {2'b00, l3} + (e_v4 ? {1'b0, ihl4} : 7'd40)};
                rem <= e_v4 ? tl - {10'd0, ihl4} : pl;
                nh <= ip_nh;
                n_frag <= !e_v4 && ip_nh == 8'd44;
                n_ah <= ip_nh == 8'd51;
                p_tcp <= ip_nh == 8'd6;
                p_icmp <= e_v4 && ip_nh == 8'd1;
                p_icmp6 <= !e_v4 && ip_nh == 8'd58;
                tn <= tneed(ip_nh, !e_v4);
                frag <= e_v4 && (ffo[13] || ip_later);
                later <= ip_later;
                walking <= kind_ext(ip_nh, !e_v4) && !ip_later;
                ext_r <= PARSE_REASON_NONE;
                sw <= sw_ip;
                st <= st + 1'b1;
            end else if (st <= ST_XL) begin
                // an extension step; a failing one leaves garbage in the walk state, which no
                // output uses (the record's key, flags and frag are 0)
                if (walking) begin
                    nh <= b0;
                    n_frag <= v6 && b0 == 8'd44;
                    n_ah <= b0 == 8'd51;
                    p_tcp <= b0 == 8'd6;
                    p_icmp <= !v6 && b0 == 8'd1;
                    p_icmp6 <= v6 && b0 == 8'd58;
                    tn <= tneed(b0, v6);
                    x <= x + {{(XW - 12) {1'b0}}, elen};
                    rem <= rem - {4'd0, elen};
                    sw <= sw_next;
                    // IPv4 carries one AH; a later fragment's header is followed by data.
                    walking <= !e_c1 && !e_c2 && !e_ah0 && !e_c3 && v6 && !(n_frag && fo6 != 13'd0)
                               && kind_ext(b0, v6);
                    if (e_c1) ext_r <= PARSE_REASON_TRUNCATED;
                    else if (e_c2) ext_r <= PARSE_REASON_LONG_CHAIN;
                    else if (e_ah0) ext_r <= PARSE_REASON_BAD_LENGTH;
                    else if (e_c3) ext_r <= PARSE_REASON_TRUNCATED;
                    if (n_frag) begin
                        frag <= 1'b1;
                        later <= fo6 != 13'd0;
                    end
                end
                st <= st + 1'b1;
            end else if (load) begin
                // ST_B: the transport step; the slot is free
                full[ws] <= 1'b0;
                ws <= !ws;
                st <= ST_S0;
            end
        end
    end

    // The output register: 0 while m_valid is 0; key, flags and frag 0 unless the reason is 0.
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
            m_key <= ok ? {dport, sport, meta, dst, src} : 320'd0;
            m_flags <= ok && !later && p_tcp ? tflags : 8'd0;
            m_len <= len;
            m_reason <= reason;
            m_tags <= tags_ok ? e_tags : 2'd0;
            m_vlan <= tags_ok ? e_vlan : 16'd0;
            m_frag <= ok ? {later, frag} : 2'd0;
        end
    end
endmodule
