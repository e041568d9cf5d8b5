// What the replaying testbenches share (parser_tb, rxdma_tb, irq_tb, framebuf_tb): `TB STIM
// TRACE` reads a stimulus file of little-endian u32 words whole, a fixed number per edge, and
// writes a trace of words per edge; any trouble ends the program with status 2 and a message.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

struct Replay {
    std::vector<uint32_t> stim;  // the whole stimulus
    size_t edges;
    FILE* trace;
    const char* trace_path;

    // Reads argv[1] (`words` per edge) and opens argv[2] for writing.
    Replay(int argc, char** argv, size_t words) : edges(0), trace(nullptr), trace_path("") {
        if (argc != 3) fail("usage: TB STIM TRACE", argv[0]);
        FILE* in = fopen(argv[1], "rb");
        if (!in) fail("cannot open the stimulus", argv[1]);
        uint32_t buf[4096];
        size_t n;
        while ((n = fread(buf, 4, sizeof buf / 4, in)) > 0) stim.insert(stim.end(), buf, buf + n);
        fclose(in);
        if (stim.size() % words) fail("not a whole number of edges of stimulus words", argv[1]);
        edges = stim.size() / words;
        trace_path = argv[2];
        trace = fopen(trace_path, "wb");
        if (!trace) fail("cannot open the trace", trace_path);
    }

    // Appends one edge's trace words.
    void write(const uint32_t* w, size_t n) {
        if (fwrite(w, 4, n, trace) != n) fail("cannot write the trace", trace_path);
    }

    void close() {
        if (fclose(trace)) fail("cannot write the trace", trace_path);
    }

    [[noreturn]] static void fail(const char* what, const char* path) {
        fprintf(stderr, "%s: %s\n", path, what);
        exit(2);
    }
};

// A port of W bits as u32 words: a plain integer up to 64 bits, a word array (VlWide) above.
template <int W, typename T>
static void set_words(T& port, const uint32_t* w) {
    if constexpr (W <= 64) {
        port = uint64_t(w[0]) | (W > 32 ? uint64_t(w[1]) << 32 : 0);
    } else {
        for (int i = 0; i < W / 32; i++) port[i] = w[i];
    }
}

template <int W, typename T>
static void get_words(const T& port, uint32_t* w) {
    if constexpr (W <= 64) {
        w[0] = uint32_t(uint64_t(port));
        if (W > 32) w[1] = uint32_t(uint64_t(port) >> 32);
    } else {
        for (int i = 0; i < W / 32; i++) w[i] = port[i];
    }
}
