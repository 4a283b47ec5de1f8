#!/usr/bin/env bash
# One PyTorch parity case: golden from PyTorch, the same pass through `easel forward`, compared.
#   run_parity.sh EASEL_BINARY MODEL WORK_DIR [make_golden.py options]
set -euo pipefail
easel=$1 model=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if ! $py -c "import torch, torchvision, numpy" 2>/dev/null; then
  echo "parity: PyTorch reference missing: install python3-torch python3-torchvision python3-numpy (bash run.sh test does)" >&2
  exit 1
fi
case_dir="$work/$model$(printf '_%s' "$@" | tr -d ' -')"
rm -rf "$case_dir" && mkdir -p "$case_dir"
cd "$here"
$py make_golden.py "$model" "$case_dir" "$@"
opts=()  # the options `easel forward` shares with make_golden.py
prev="" dtype=f32
for arg in "$@"; do
  [[ $arg == --train-mode ]] && opts+=(--train-mode)
  [[ $prev == --dtype ]] && opts+=(--dtype "$arg") && dtype=$arg
  prev=$arg
done
"$easel" forward --model "$model" --weights "$case_dir/weights.npz" --input "$case_dir/input.npz" \
  --output "$case_dir/out.npz" --labels "$(cat "$case_dir/labels.txt")" --grads "$case_dir/grads.npz" "${opts[@]}"
$py compare.py "$model" "$case_dir" "$dtype"
rm -rf "$case_dir"  # large weight files; kept only when a case fails
