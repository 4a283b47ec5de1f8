#!/usr/bin/env bash
# easel serve end to end, on loopback only: a tiny run exported as one model file, then
# tests/serve_test.py drives servers on ephemeral ports (answers equal `easel predict`'s, batching,
# every bad request, API keys, a full queue, slow clients, SIGTERM draining).
#   serve.sh EASEL_BINARY WORK_DIR
set -euo pipefail
easel=$1 work=$2/serve
if [[ $("$easel" serve 2>&1 || true) == *"no HTTP server"* ]]; then echo "this build has no HTTP server"; exit 77; fi
rm -rf "$work" && mkdir -p "$work/data/dark" "$work/data/light"
for i in $(seq 1 12); do  # 20x20 binary PPMs: dark and light noise
  for cls in dark light; do
    base=$([[ $cls == dark ]] && echo 30 || echo 200)
    { printf 'P6\n20 20\n255\n'; head -c 1200 /dev/urandom | od -An -tu1 -v | tr -s ' ' '\n' | grep -v '^$' |
        awk -v b=$base '{printf "%c", (b + $1 % 50) % 256}'; } > "$work/data/$cls/$i.ppm"
  done
done
"$easel" train --data "$work/data" --model resnet18 --size 20 --epochs 1 --batch 8 --out "$work/run" --quiet
"$easel" export --run "$work/run" --out "$work/model.npz" >/dev/null
# The reference answers: one `easel predict` per image.
for f in "$work"/data/*/*.ppm; do "$easel" predict --model "$work/model.npz" --json "$f"; done > "$work/predict.jsonl"
/usr/bin/python3 "$(dirname "$0")/serve_test.py" "$easel" "$work"
