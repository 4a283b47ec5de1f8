#!/usr/bin/env bash
# The floors are enforced by the build: each probe target below is compiled exactly as a source of
# that floor is (its include view, its flags). The lower-floor include must build; every upward one
# must fail with "No such file", naming the header.
set -uo pipefail
build=$1
fail=0
expect() {  # expect ok|upward TARGET HEADER
  local want=$1 target=$2 header=$3 out
  out=$(cmake --build "$build" --target "$target" 2>&1)
  local rc=$?
  if [[ $want == ok && $rc -eq 0 ]]; then echo "ok: $target builds"; return; fi
  if [[ $want == upward && $rc -ne 0 && $out == *"$header: No such file"* ]]; then
    echo "ok: $target fails: $header is above its floor"; return
  fi
  echo "FAIL: $target (expected $want, exit $rc)"; echo "$out" | tail -5; fail=1
}
expect ok layering_probe_io_includes_io "io/npz.h"
expect upward layering_probe_io_includes_apps "apps/analysis/metrics.h"
expect upward layering_probe_tensor_includes_autograd "autograd/ops.h"
expect upward layering_probe_analysis_includes_pictures "apps/pictures/plot.h"
expect upward layering_probe_capi_includes_analysis "apps/analysis/metrics.h"
exit $fail
