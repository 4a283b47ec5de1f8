#!/usr/bin/env bash
# The small static binary (README, "A small binary"): a CPU-only build with -DEASEL_STATIC_INFER=ON,
# easel-infer alone. It must need no shared library at all, stay under 5 MB stripped, and answer
# as `easel predict` does.
#   static_infer.sh EASEL_BINARY WORK_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd) easel=$1 work=$2/static
mkdir -p "$work"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DEASEL_STATIC_INFER=ON -DEASEL_CUDA=OFF -DEASEL_MPI=OFF \
      -DEASEL_TESTS=OFF >"$work/configure.log"
cmake --build "$work/build" -j2 --target easel_infer >"$work/build.log" || { tail -40 "$work/build.log"; exit 1; }
bin=$work/easel-infer
strip -o "$bin" "$work/build/easel-infer"
size=$(stat -c %s "$bin")
echo "easel-infer: $size bytes stripped"
ldd "$bin" 2>&1 | tee "$work/ldd.txt" || true
grep -q 'not a dynamic executable' "$work/ldd.txt" || { echo "FAIL: easel-infer links shared libraries"; exit 1; }
(( size <= 5 * 1024 * 1024 )) || { echo "FAIL: $size bytes is over 5 MB"; exit 1; }

"$easel" export --model resnet18 --classes oil,ink,fresco --size 32 --out "$work/model.npz" >/dev/null
{ printf 'P6\n20 14\n255\n'; LC_ALL=C awk 'BEGIN { for (i = 0; i < 840; ++i) printf "%c", (i * 53 + 7) % 251 + 1 }'; } >"$work/image.ppm"
want=$("$easel" predict --model "$work/model.npz" --json --top 3 "$work/image.ppm")
got=$(env -i "$bin" "$work/model.npz" "$work/image.ppm" --top 3)  # an empty environment
/usr/bin/python3 - "$want" "$got" <<'PY'
import json, sys
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert got["class"] == want["class"], (got, want)
for a, b in zip(got["top"], want["top"]):
    assert a["class"] == b["class"] and abs(a["probability"] - b["probability"]) <= 1e-5, (got, want)
print("static easel-infer answers as easel predict does:", got["class"], got["probability"])
PY
