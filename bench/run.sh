#!/usr/bin/env bash
# Easel vs PyTorch on this CPU, same cases, one run, side by side.
#   bash bench/run.sh            (needs python3-torch; installs libopenblas0-pthread as root, as a
#                                 fair PyTorch set-up: Debian's torch otherwise uses reference BLAS)
# Prints each case's median time and torch_ms / easel_ms (> 1: Easel is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
if [[ $(id -u) -eq 0 ]]; then
  for p in python3-torch libopenblas0-pthread; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
  done
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bench_ops >/dev/null
easel=$(OMP_NUM_THREADS=$threads ./build/bench_ops)
torch=$(/usr/bin/python3 bench/torch_ops.py "$threads")
echo "threads: $threads   (median ms; ratio = torch / easel, > 1 means Easel is faster)"
printf "%-32s %10s %10s %8s\n" case easel torch ratio
join <(sort <<<"$easel") <(sort <<<"$torch") | while read -r name e t; do
  printf "%-32s %10.2f %10.2f %8.2f\n" "$name" "$e" "$t" "$(echo "$t / $e" | bc -l)"
done
