#!/usr/bin/env bash
# Area of the RTL with yosys 0.23 `synth_xilinx` (xc7): LUTs, flip-flops, block RAMs, LUT-RAMs
# and DSPs for the whole design at a few small TCAM depths, and the cost of one TCAM entry
# (difference between the two smallest depths). Keep N small: yosys time grows fast with N
# (about 2 CPU-minutes at N=16, see docs/rtl.md).
#
# Usage: scripts/rtl-area.sh [N ...]          (default: 16 32)
#   other parameters: FLOW_BUCKETS=4 FLOW_WAYS=2 CHANNELS=4 LOCAL_ENTRIES=2 (environment)
# Needs: apt-get install yosys
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/rtl"
sources=$(ls gufc_*.v | tr '\n' ' ')
B=${FLOW_BUCKETS:-4} W=${FLOW_WAYS:-2} C=${CHANNELS:-4} L=${LOCAL_ENTRIES:-2}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 32)
out="${AREA_DIR:-$root/target/rtl-area}"
mkdir -p "$out"

# Sum of the named cell counts in a yosys `stat` report.
count() { awk -v pat="$2" '$1 ~ pat { n += $2 } END { print n + 0 }' "$1"; }

printf '%-34s %8s %8s %6s %8s %5s %8s\n' design LUT FF BRAM LUTRAM DSP yosys_s
declare -A lut ff
for n in "${sizes[@]}"; do
  log="$out/gufc_top_N$n.log"
  start=$(date +%s)
  yosys -q -l "$log" -p "read_verilog -sv $sources; \
    chparam -set TCAM_ENTRIES $n -set FLOW_BUCKETS $B -set FLOW_WAYS $W -set CHANNELS $C -set LOCAL_ENTRIES $L gufc_top; \
    synth_xilinx -flatten -top gufc_top; tee -o $out/gufc_top_N$n.stat stat" >/dev/null
  secs=$(( $(date +%s) - start ))
  s="$out/gufc_top_N$n.stat"
  lut[$n]=$(count "$s" '^LUT[1-6]$')
  ff[$n]=$(count "$s" '^FD[RSCP]E$')
  bram=$(count "$s" '^RAMB(18|36)E1$')
  lutram=$(count "$s" '^(RAM32M|RAM64M|RAM32X1D|RAM64X1D|RAM128X1D|RAM256X1S|SRL16E|SRLC32E)$')
  dsp=$(count "$s" '^DSP48E1$')
  printf '%-34s %8d %8d %6d %8d %5d %8d\n' "gufc_top N=$n B=$B W=$W C=$C L=$L" \
    "${lut[$n]}" "${ff[$n]}" "$bram" "$lutram" "$dsp" "$secs"
done
if [ ${#sizes[@]} -ge 2 ]; then
  a=${sizes[0]} b=${sizes[1]}
  d=$(( b - a ))
  awk -v l="$(( lut[$b] - lut[$a] ))" -v f="$(( ff[$b] - ff[$a] ))" -v d="$d" -v t="per TCAM entry (N=$a..$b)" \
    'BEGIN { printf "%-34s %8.1f %8.1f\n", t, l / d, f / d }'
fi
echo "logs: $out"
