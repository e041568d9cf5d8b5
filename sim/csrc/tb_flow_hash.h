// The flow cache's bucket hash for the C++ testbenches, written from regmap.toml [hash] (not from
// the RTL): the 1.x key words (src0..3, dst0..3, META, PORTS) folded as in regmap::bucket::fold,
// then the top log2b bits of two multiplicative hashes. sim/tests/flow_ram.rs checks it against
// gufc_regmap::bucket_pair.
#pragma once
#include <cstdint>

static const uint32_t HASH_ROTATE = 5, HASH_ROTATE2 = 16, HASH_MUL1 = 0x9E3779B1u,
                      HASH_MUL2 = 0x85EBCA6Bu;

static inline uint32_t hash_rotl(uint32_t v, uint32_t r) {
    r %= 32;
    return r ? (v << r) | (v >> (32 - r)) : v;
}

static inline void flow_buckets(uint32_t src, uint32_t dst, uint32_t proto, uint32_t sport,
                                uint32_t dport, int log2b, uint32_t& b1, uint32_t& b2) {
    uint32_t words[10] = {src, 0, 0, 0, dst, 0, 0, 0, proto, sport | (dport << 16)};
    uint32_t x = 0;
    for (uint32_t w : words) x = hash_rotl(x, HASH_ROTATE) ^ w;
    auto top = [&](uint32_t h) { return log2b == 0 ? 0u : h >> (32 - log2b); };
    b1 = top(x * HASH_MUL1);
    b2 = top(hash_rotl(x, HASH_ROTATE2) * HASH_MUL2);
}
