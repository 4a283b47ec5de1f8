#!/usr/bin/env bash
# Whole nets, Easel and PyTorch side by side in one run: images/s, the ratio and peak RSS per row.
#   bash bench/models.sh [MODEL|all] [MODE]   e.g. bash bench/models.sh resnet50, bash bench/models.sh all train
# Same protocol on both sides (`easel bench`, bench/torch_models.py): random input, 2 warm-up
# steps, the median of 5 timed steps; every row in a fresh process so peak RSS is the row's own.
# As root it installs libopenblas0-pthread (a fair PyTorch: Debian's torch otherwise uses the
# reference BLAS) and python3-torch. THREADS (default 2) threads on both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2} filter=${1:-} mode_filter=${2:-}
[[ $filter == all ]] && filter=""
if [[ $(id -u) -eq 0 ]]; then
  for p in python3-torch python3-torchvision libopenblas0-pthread; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
  done
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target easel_cli >/dev/null

# model mode batch size
rows="resnet50 infer 1 224
resnet50 infer 16 224
resnet50 train 8 224
vgg16 infer 1 224
vgg16 infer 16 224
vgg16 train 8 224
efficientnet_b0 infer 1 224
efficientnet_b0 infer 16 224
efficientnet_b0 train 8 224
efficientnet_v2_s infer 1 224
efficientnet_v2_s infer 16 224
efficientnet_v2_s train 8 224
xception infer 1 224
xception infer 16 224
xception train 8 224
recurrent_cnn infer 1 224
recurrent_cnn infer 16 224
recurrent_cnn train 8 224
resnet18 train 32 128"

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])"; }
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads threads"
printf "| %-18s | %-5s | %5s | %4s | %12s | %12s | %6s | %10s | %10s |\n" model mode batch size "easel img/s" "torch img/s" ratio "easel MB" "torch MB"
printf "|%s|\n" "--------------------|-------|-------|------|--------------|--------------|--------|------------|------------"
while read -r model mode batch size; do
  [[ -n $filter && $model != $filter ]] && continue
  [[ -n $mode_filter && $mode != $mode_filter ]] && continue
  e=$(./build/easel bench --model "$model" --mode "$mode" --batch "$batch" --size "$size" --threads "$threads" --json 2>/dev/null)
  t=$(/usr/bin/python3 bench/torch_models.py "$model" "$mode" "$batch" "$size" "$threads" 2>/dev/null)
  ei=$(field images_per_second <<<"$e") ti=$(field images_per_second <<<"$t")
  em=$(field peak_rss_mb <<<"$e") tm=$(field peak_rss_mb <<<"$t")
  printf "| %-18s | %-5s | %5s | %4s | %12.2f | %12.2f | %6.2f | %10.0f | %10.0f |\n" "$model" "$mode" "$batch" "$size" \
    "$ei" "$ti" "$(echo "$ei / $ti" | bc -l)" "$em" "$tm"
done <<<"$rows"
