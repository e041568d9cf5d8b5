// The flat per-cycle I/O block shared by the C++ shim and sim/src/ffi.rs (#[repr(C)] RtlIo).
// Every field is a uint32_t so the layout has no padding questions.
#pragma once
#include <cstdint>

struct gufc_io {
    // inputs, sampled at the rising edge
    uint32_t rst;
    uint32_t mmio_valid;
    uint32_t mmio_write;
    uint32_t mmio_addr;
    uint32_t mmio_wdata;
    uint32_t key_valid;
    uint32_t key_data[GUFC_KEY_WORDS];
    uint32_t key_len;
    uint32_t key_tag;
    uint32_t key_flags;
    uint32_t res_ready;
    uint32_t dump;  // write this cycle to the open waveform
    // outputs during the cycle, before the edge
    uint32_t key_ready;
    uint32_t res_valid;
    uint32_t res_verdict;
    uint32_t res_channel;
    uint32_t res_reason;
    uint32_t res_kind;
    uint32_t res_stale;
    uint32_t res_src_local;
    uint32_t res_dst_local;
    uint32_t res_index;
    uint32_t res_len;
    uint32_t res_tag;
    // registered read data after the edge
    uint32_t mmio_rdata;
};
