// The random choices of the RTL 2.0 block testbenches (tcam_v4, flow_ram, counter_ram): one
// seeded std::mt19937_64 per run, so a seed replays a run exactly.
#pragma once
#include <cstdint>
#include <random>

static std::mt19937_64 rng;
static inline uint64_t rnd(uint64_t n) { return rng() % n; }
static inline bool chance(int percent) { return int(rnd(100)) < percent; }
