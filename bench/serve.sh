#!/usr/bin/env bash
# easel serve under load, beside in-process inference on the same build in the same run.
#   bash bench/serve.sh [MODEL...]      default: resnet18 resnet50 (224 px, 1000 classes, fresh weights)
# For each model: `easel bench --mode infer` at batch 1 and 16 (images/s in process), then
# `easel serve --max-batch 16` on 127.0.0.1 loaded by wrk (one thread, keep-alive connections, one
# real painting JPEG per request) at concurrency 1, 8 and 32: requests/s and p50 / p99 latency.
# Then: time from `easel serve` starting to its first answered request, and resident memory after
# 100 and after 10,000 requests (resnet18 at 64 px, so that 10,000 fit in a minute or two).
# As root it installs wrk (Debian). DURATION (default 15 s) per wrk run; THREADS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
models=("$@")
((${#models[@]})) || models=(resnet18 resnet50)
duration=${DURATION:-15}
if ! command -v wrk >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "bench/serve.sh needs wrk: sudo apt-get install wrk" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target easel_cli >/dev/null
easel=$PWD/build/easel work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
threads_flag=()
[[ -n ${THREADS:-} ]] && threads_flag=(--threads "$THREADS")

# One painting to send: the shared data's first JPEG, or a generated 512x384 picture.
image=$(find ../shared/data -name '*.jpg' 2>/dev/null | sort | head -1 || true)
if [[ -z $image ]]; then
  "$easel" demo --quick --out "$work/demo" >/dev/null
  image=$(find "$work/demo" -name '*.png' | sort | head -1)
fi
cat > "$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("IMAGE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/octet-stream"
f:close()
LUA

start_server() {  # model file, extra flags...; sets pid and port
  "$easel" serve --model "$1" --port 0 "${threads_flag[@]}" "${@:2}" > "$work/serve.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -q "on http://" "$work/serve.out" && break; sleep 0.1; done
  port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out" | cut -d: -f2)
}
stop_server() { kill -TERM "$pid"; wait "$pid" || true; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d), $(nproc) cores," \
     "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), image $(basename "$image") ($(stat -c %s "$image") bytes)"
echo
echo "| model | in-process b1 img/s | in-process b16 img/s | serve c1 req/s | c1 p50 / p99 ms | c1 p50 ÷ b1 latency | serve c8 req/s | c8 p50 / p99 ms | serve c32 req/s | c32 p50 / p99 ms | c32 ÷ b16 |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for model in "${models[@]}"; do
  "$easel" export --model "$model" --classes 1000 --size 224 --out "$work/$model.npz" >/dev/null
  b1=$("$easel" bench --model "$model" --mode infer --batch 1 --json "${threads_flag[@]}" 2>/dev/null | grep -o '"images_per_second": [0-9.]*' | cut -d' ' -f2)
  b16=$("$easel" bench --model "$model" --mode infer --batch 16 --json "${threads_flag[@]}" 2>/dev/null | grep -o '"images_per_second": [0-9.]*' | cut -d' ' -f2)
  start_server "$work/$model.npz" --max-batch 16 --batch-wait-ms 5
  IMAGE=$image wrk -t1 -c1 -d3s -s "$work/post.lua" "http://127.0.0.1:$port/v1/predict" >/dev/null  # warm-up
  row="| $model | $b1 | $b16 |"
  for c in 1 8 32; do
    IMAGE=$image wrk -t1 -c$c -d${duration}s --timeout 30s --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/predict" > "$work/wrk.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    ms() { awk -v q="$1" '$1 == q {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms/,"",v); else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.1f", v}' "$work/wrk.txt"; }
    p50=$(ms 50%) p99=$(ms 99%)
    grep -q "Non-2xx" "$work/wrk.txt" && { echo "non-2xx answers at c$c:"; cat "$work/wrk.txt"; }
    row+=" $rps | $p50 / $p99 |"
    [[ $c == 1 ]] && row+=" $(awk -v p="$p50" -v b="$b1" 'BEGIN {printf "%.2f", p / (1000 / b)}') |"
    [[ $c == 32 ]] && row+=" $(awk -v r="$rps" -v b="$b16" 'BEGIN {printf "%.2f", r / b}') |"
  done
  stop_server
  echo "$row"
done

# Start-up: process start to the first answered /v1/predict (resnet18, 224 px).
"$easel" export --model resnet18 --classes 1000 --size 224 --out "$work/r18.npz" >/dev/null
t0=$(date +%s.%N)
"$easel" serve --model "$work/r18.npz" --port 18181 "${threads_flag[@]}" > "$work/start.out" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
  curl -sf -o /dev/null -H "Content-Type: image/jpeg" --data-binary @"$image" "http://127.0.0.1:18181/v1/predict" 2>/dev/null && break
  sleep 0.01
done
t1=$(date +%s.%N)
stop_server
echo
echo "start to first answered request (resnet18, 224 px): $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s"

# Memory: resident set after 100 requests and after 10,000 (resnet18 at 64 px).
"$easel" export --model resnet18 --classes 1000 --size 64 --out "$work/r18s.npz" >/dev/null
start_server "$work/r18s.npz" --max-batch 16
# Ready first, as a load balancer's health check would wait: the idle server's warm-up (one forward
# pass per batch shape) has run. (Under load from its first second it never idles: then memory grows
# as the load first forms each batch shape.)
for _ in $(seq 1 600); do curl -s "http://127.0.0.1:$port/healthz" | grep -q '"warmed_up": true' && break; sleep 0.1; done
count() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^easel_requests_total\{path="\/v1\/predict",status="200"\}/ {print $2}'; }
for client in $(seq 1 8); do  # the first 104 requests, 8 clients at once (as the load after them)
  for _ in $(seq 1 13); do curl -sf -o /dev/null -H "Content-Type: image/jpeg" --data-binary @"$image" "http://127.0.0.1:$port/v1/predict"; done &
done
wait $(jobs -p | grep -v "^$pid$")
rss100=$(rss_mb "$pid") n100=$(count) trail=""
while (( $(count) < 10000 )); do
  IMAGE=$image wrk -t1 -c8 -d10s -s "$work/post.lua" "http://127.0.0.1:$port/v1/predict" >/dev/null
  trail+=" $(rss_mb "$pid")@$(count)"
done
rss10k=$(rss_mb "$pid") n=$(count)
stop_server
echo "resident memory (resnet18, 64 px, 8 clients): ${rss100} MB after $n100 requests, ${rss10k} MB after $n" \
     "($(awk -v a="$rss100" -v b="$rss10k" 'BEGIN {printf "%+.1f", 100 * (b - a) / a}') %); MB@requests on the way:$trail"
