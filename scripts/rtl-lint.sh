#!/usr/bin/env bash
# Lints rtl/ with Verilator (-Wall, warnings are errors) at several parameter sets, including
# the extremes of every parameter, and checks that yosys 0.23 elaborates it. Then the same for
# RTL 2.0 in rtl/v2/ (the device gufc_top and the blocks' own tops: gufc_tcam_v4_pnr,
# gufc_flow_ram_pnr, gufc_counter_ram_pnr; the packet path: gufc_parser, gufc_irq,
# gufc_framebuf, gufc_rxdma; and the NIC that joins them, gufc_nic).
# Needs: apt-get install verilator yosys
set -euo pipefail
cd "$(dirname "$0")/../rtl"

# lint DIR TOP YOSYS_CHPARAM PARAMS...: every gufc_*.v in DIR, once per Verilator parameter set,
# then a yosys parse + elaboration (synthesis proper is scripts/rtl-area.sh and scripts/rtl-pnr).
lint() {
  local dir=$1 top=$2 chparam=$3; shift 3
  local sources
  sources="$(cd "$dir" && ls gufc_*.v | sed "s|^|$dir/|" | tr '\n' ' ')${EXTRA:-}"
  for p in "$@"; do
    # shellcheck disable=SC2086
    verilator --lint-only -Wall -I"$dir" -I. --top-module "$top" $p $sources
    echo "verilator -Wall clean ($dir, $top): ${p:-defaults}"
  done
  yosys -q -p "read_verilog -sv -I$dir -I. $sources; chparam $chparam $top; hierarchy -check -top $top; proc" >/dev/null
  echo "yosys 0.23 read_verilog -sv + hierarchy -check + proc ($dir, $top): ok"
}

lint . gufc_top "-set TCAM_ENTRIES 4" \
  "" \
  "-GTCAM_ENTRIES=1 -GFLOW_BUCKETS=1 -GFLOW_WAYS=1 -GCHANNELS=1 -GLOCAL_ENTRIES=1" \
  "-GTCAM_ENTRIES=16 -GFLOW_BUCKETS=2 -GFLOW_WAYS=3 -GCHANNELS=3 -GLOCAL_ENTRIES=2" \
  "-GTCAM_ENTRIES=1000 -GFLOW_BUCKETS=1024 -GFLOW_WAYS=8 -GCHANNELS=256 -GLOCAL_ENTRIES=255" \
  "-GTCAM_ENTRIES=65536 -GFLOW_BUCKETS=1048576 -GFLOW_WAYS=8 -GCHANNELS=256 -GLOCAL_ENTRIES=255"

lint v2 gufc_tcam_v4_pnr "-set ENTRIES 64" \
  "" \
  "-GENTRIES=8 -GBANK=8 -GCHECKERS=1" \
  "-GENTRIES=16 -GBANK=8 -GCHECKERS=14" \
  "-GENTRIES=256" \
  "-GENTRIES=256 -GSLICE_BITS=5" \
  "-GENTRIES=8 -GBANK=8 -GCHECKERS=1 -GSLICE_BITS=5" \
  "-GENTRIES=4096 -GBANK=128 -GCHECKERS=32"

lint v2 gufc_flow_ram_pnr "-set BUCKETS 16" \
  "" \
  "-GBUCKETS=2 -GWAYS=2" \
  "-GBUCKETS=512 -GWAYS=8" \
  "-GKEY_BITS=296" \
  "-GBUCKETS=65536 -GWAYS=8"

lint v2 gufc_counter_ram_pnr "-set DEPTH 64" \
  "" \
  "-GDEPTH=2" \
  "-GDEPTH=16" \
  "-GDEPTH=1024" \
  "-GDEPTH=65536"

# The frame parser (gufc_regs.vh from rtl/ for the parser reasons).
lint v2 gufc_parser "-set DW 128" \
  "" \
  "-GDW=128 -GHDR_BYTES=128" \
  "-GDW=512" \
  "-GDW=512 -GHDR_BYTES=64" \
  "-GDW=192 -GHDR_BYTES=96" \
  "-GEXT_MAX=1" \
  "-GEXT_MAX=8 -GHDR_BYTES=256"

# The 2.0 datapath reuses 1.x's decision (rtl/gufc_decide.v, with rtl/gufc_regs.vh).
EXTRA=" gufc_decide.v" lint v2 gufc_core "-set ENTRIES 64 -set BUCKETS 16" \
  "" \
  "-GENTRIES=64 -GBUCKETS=16" \
  "-GENTRIES=256 -GBUCKETS=1024 -GWAYS=4" \
  "-GENTRIES=8 -GBANK=8 -GBUCKETS=2 -GWAYS=2 -GCHANNELS=1 -GCHECKERS=1"
# The 2.0 device: the core, the register block and 1.x's locality table.
EXTRA=" gufc_decide.v gufc_locality.v" lint v2 gufc_top "-set TCAM_ENTRIES 64 -set FLOW_BUCKETS 16" \
  "-GTCAM_ENTRIES=64 -GFLOW_BUCKETS=16" \
  "-GTCAM_ENTRIES=256 -GFLOW_BUCKETS=1024 -GFLOW_WAYS=4 -GSLICE_BITS=5" \
  "-GTCAM_ENTRIES=8 -GBANK=8 -GCHECKERS=1 -GFLOW_BUCKETS=2 -GFLOW_WAYS=2 -GCHANNELS=1 -GLOCAL_ENTRIES=1" \
  "-GCHANNELS=256 -GLOCAL_ENTRIES=255"
EXTRA=" gufc_decide.v gufc_locality.v" lint v2 gufc_top_pnr "-set TCAM_ENTRIES 64 -set FLOW_BUCKETS 16" \
  "-GTCAM_ENTRIES=64 -GFLOW_BUCKETS=16"

# The packet path's blocks: interrupts.
lint v2 gufc_irq "-set VECTORS 5" \
  "" \
  "-GVECTORS=1" \
  "-GVECTORS=2" \
  "-GVECTORS=33" \
  "-GVECTORS=256"
# The frame buffer.
lint v2 gufc_framebuf "-set DEPTH 16" \
  "" \
  "-GDW=512 -GDEPTH=2" \
  "-GDW=128 -GDEPTH=4096"
# The receive DMA engine (gufc_regs.vh from rtl/ for the register numbers).
lint v2 gufc_rxdma "-set CHANNELS 3" \
  "" \
  "-GDW=128 -GCHANNELS=1" \
  "-GDW=256 -GCHANNELS=17" \
  "-GDW=512 -GCHANNELS=255"
# The NIC: the packet path's blocks and the 2.0 classifier in one BAR0 (docs/nic.md).
EXTRA=" gufc_decide.v gufc_locality.v" lint v2 gufc_nic \
  "-set TCAM_ENTRIES 64 -set FLOW_BUCKETS 16 -set FLOW_WAYS 2 -set CHANNELS 3 -set FB_DEPTH 16 -set SIDE_DEPTH 4" \
  "" \
  "-GDW=512 -GCHANNELS=3 -GFB_DEPTH=16 -GSIDE_DEPTH=4 -GTCAM_ENTRIES=64 -GFLOW_BUCKETS=16 -GFLOW_WAYS=2 -GLOCAL_ENTRIES=4" \
  "-GCHANNELS=1 -GFB_DEPTH=2 -GSIDE_DEPTH=2 -GTCAM_ENTRIES=8 -GBANK=8 -GCHECKERS=1 -GFLOW_BUCKETS=2 -GFLOW_WAYS=2 -GLOCAL_ENTRIES=1" \
  "-GDW=128 -GCHANNELS=30 -GFB_DEPTH=4096 -GSIDE_DEPTH=256 -GTCAM_ENTRIES=64 -GFLOW_BUCKETS=16 -GEXT_MAX=8 -GHDR_BYTES=256" \
  "-GDW=192 -GCHANNELS=14 -GFB_DEPTH=64 -GHDR_BYTES=96 -GEXT_MAX=1 -GTCAM_ENTRIES=64 -GFLOW_BUCKETS=16"
