#!/usr/bin/env bash
# Lints rtl/ with Verilator (-Wall, warnings are errors) at several parameter sets, including
# the extremes of every parameter, and checks that yosys 0.23 elaborates it. Then the same for
# the RTL 2.0 draft in rtl/v2/ (its own top, gufc_tcam_v4_pnr; not part of gufc_top yet).
# Needs: apt-get install verilator yosys
set -euo pipefail
cd "$(dirname "$0")/../rtl"
sources=$(ls gufc_*.v | tr '\n' ' ')
params=(
  ""
  "-GTCAM_ENTRIES=1 -GFLOW_BUCKETS=1 -GFLOW_WAYS=1 -GCHANNELS=1 -GLOCAL_ENTRIES=1"
  "-GTCAM_ENTRIES=16 -GFLOW_BUCKETS=2 -GFLOW_WAYS=3 -GCHANNELS=3 -GLOCAL_ENTRIES=2"
  "-GTCAM_ENTRIES=1000 -GFLOW_BUCKETS=1024 -GFLOW_WAYS=8 -GCHANNELS=256 -GLOCAL_ENTRIES=255"
  "-GTCAM_ENTRIES=65536 -GFLOW_BUCKETS=1048576 -GFLOW_WAYS=8 -GCHANNELS=256 -GLOCAL_ENTRIES=255"
)
for p in "${params[@]}"; do
  # shellcheck disable=SC2086
  verilator --lint-only -Wall --top-module gufc_top $p $sources
  echo "verilator -Wall clean: ${p:-defaults}"
done
# yosys: parse and elaborate the hierarchy (synthesis proper is scripts/rtl-area.sh).
yosys -q -p "read_verilog -sv $sources; chparam -set TCAM_ENTRIES 4 gufc_top; hierarchy -check -top gufc_top; proc" >/dev/null
echo "yosys 0.23 read_verilog -sv + hierarchy -check + proc: ok"

cd v2
v2_sources=$(ls gufc_*.v | tr '\n' ' ')
v2_params=(
  ""
  "-GENTRIES=8 -GBANK=8 -GCHECKERS=1"
  "-GENTRIES=16 -GBANK=8 -GCHECKERS=14"
  "-GENTRIES=256"
  "-GENTRIES=4096 -GBANK=128 -GCHECKERS=32"
)
for p in "${v2_params[@]}"; do
  # shellcheck disable=SC2086
  verilator --lint-only -Wall --top-module gufc_tcam_v4_pnr $p $v2_sources
  echo "verilator -Wall clean (rtl/v2): ${p:-defaults}"
done
yosys -q -p "read_verilog -sv $v2_sources; chparam -set ENTRIES 64 gufc_tcam_v4_pnr; hierarchy -check -top gufc_tcam_v4_pnr; proc" >/dev/null
echo "yosys 0.23 read_verilog -sv + hierarchy -check + proc (rtl/v2): ok"
