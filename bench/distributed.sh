#!/usr/bin/env bash
# Data-parallel training on this machine, Easel (MPI) and PyTorch (DDP, gloo) side by side: training
# images/s of one net at 1 and 2 ranks, one thread per rank, the scaling from 1 to 2 ranks, and the
# share of Easel's step spent summing gradients.
#   bash bench/distributed.sh [MODEL] [BATCH] [SIZE]      default: resnet18 16 128
# Protocol of `easel bench --mode train`: random input, 2 warm-up steps, the median of 5 timed steps;
# BATCH is the global batch, split between the ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-resnet18} batch=${2:-16} size=${3:-128}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target easel_cli >/dev/null
info=$(./build/easel info)
grep -q "^MPI.*Open MPI" <<<"$info" || { echo "this build has no MPI (apt-get install libopenmpi-dev openmpi-bin)"; exit 1; }
log=$(mktemp)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])"; }
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "$model training, global batch $batch, ${size}px, 1 thread per rank"
printf "| %5s | %12s | %12s | %6s | %14s |\n" ranks "easel img/s" "torch img/s" ratio "easel comm %"
printf "|%s|\n" "-------|--------------|--------------|--------|----------------"
for ranks in 1 2; do
  e=$(mpirun --oversubscribe -np $ranks ./build/easel bench --model "$model" --mode train --batch "$batch" --size "$size" \
      --distributed --json 2>"$log") || { echo "easel at $ranks ranks failed:"; cat "$log"; exit 1; }
  t=$(/usr/bin/python3 bench/torch_ddp.py "$model" "$batch" "$size" $ranks 2>"$log") || { echo "torch failed:"; cat "$log"; exit 1; }
  ei=$(field images_per_second <<<"$e") ti=$(field images_per_second <<<"$t")
  comm=$(echo "100 * $(field comm_median_ms <<<"$e") / $(field median_ms <<<"$e")" | bc -l)
  printf "| %5s | %12.2f | %12.2f | %6.2f | %14.1f |\n" $ranks "$ei" "$ti" "$(echo "$ei / $ti" | bc -l)" "$comm"
done
