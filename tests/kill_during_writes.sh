#!/usr/bin/env bash
# kill -9 at many moments of a training run (during checkpoint, best-model and log writes among
# them): every file the run holds must then be whole (each .npz loads completely, the log's lines
# parse with epochs 1..k), and --resume must finish the run with a log of epochs 1..N exactly once.
#   kill_during_writes.sh EASEL_BINARY WORK_DIR
set -uo pipefail
easel=$1 work=$2/kill_during_writes
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "$0")/make_ppm_set.sh"
make_ppm_set "$work/data" 8
epochs=6
args=(train --data "$work/data" --model resnet18 --size 16 --epochs $epochs --batch 4 --quiet --workers 1)
check_whole() {  # every file in the run directory is complete
  /usr/bin/python3 - "$1" <<'PY'
import json, os, sys
import numpy as np
run = sys.argv[1]
for name in os.listdir(run):
    p = os.path.join(run, name)
    if name.endswith(".npz"):
        with np.load(p) as z:
            for k in z.files:
                z[k].sum()
    elif name == "config.json":
        json.load(open(p))
    elif name == "log.jsonl":
        epochs = [json.loads(l)["epoch"] for l in open(p) if l.strip()]
        assert epochs == list(range(1, len(epochs) + 1)), f"log epochs {epochs}"
PY
}
fail=0 kills=0
for delay in 0.6 1.2 1.8 2.4 3.0 3.6 4.4 5.2; do
  run=$work/run_$delay
  "$easel" "${args[@]}" --out "$run" & pid=$!  # the easel process itself, so that kill -9 reaches it
  sleep $delay
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null
  if ! check_whole "$run"; then echo "FAIL: a torn file after kill -9 at ${delay}s"; fail=1; continue; fi
  if [[ -f $run/last.npz ]]; then "$easel" "${args[@]}" --out "$run" --resume; else "$easel" "${args[@]}" --out "$run" --overwrite; fi || {
    echo "FAIL: the run killed at ${delay}s did not resume"; fail=1; continue; }
  check_whole "$run" || { echo "FAIL: files after resuming the run killed at ${delay}s"; fail=1; continue; }
  n=$(grep -c '"epoch"' "$run/log.jsonl")
  [[ $n -eq $epochs ]] || { echo "FAIL: the run killed at ${delay}s logged $n epochs, not $epochs"; fail=1; }
  if ls "$run" | grep -q '\.tmp\.'; then echo "FAIL: temporary files left in $run"; fail=1; fi
done
echo "kill -9 during training: $kills kills, every run whole and resumed: $([[ $fail -eq 0 ]] && echo yes || echo no)"
exit $fail
