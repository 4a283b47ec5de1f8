#!/usr/bin/env bash
# The torchvision converter's output (random weights, no download) loads strictly into Easel's net.
#   check_converter.sh EASEL_BINARY MODEL WORK_DIR
set -euo pipefail
easel=$1 model=$2 work=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
w="$work/converted_$model.npz" x="$work/converted_input_$model.npz"
/usr/bin/python3 "$root/weights/convert_torchvision.py" "$model" "$w" --random
/usr/bin/python3 -c "import numpy as np; np.savez('$x', input=np.random.RandomState(0).randn(1, 3, 64, 64).astype('float32'))"
"$easel" forward --model "$model" --weights "$w" --input "$x" --output "$work/converted_out_$model.npz"
rm -f "$w" "$x" "$work/converted_out_$model.npz"
