#!/usr/bin/env bash
# The GPU build's binary starts, and computes on the CPU, where no CUDA library can be found:
#  - its ELF header asks for no CUDA library (the runtime is linked statically, cuBLAS and cuDNN
#    are opened at run time: tensor/cuda/libraries.h);
#  - run through the dynamic loader with its cache off (ld.so --inhibit-cache: only the system
#    folders are searched, and the CUDA libraries live elsewhere), `easel info` says which library
#    it could not load and a forward pass still runs on the CPU.
# Exit 77 (skipped) where the CUDA libraries sit in a system folder, so that cannot be shown.
# Usage: tests/no_cuda_libraries.sh BUILD/easel
set -uo pipefail
easel=$1
fail() { echo "FAIL: $*"; exit 1; }

needed=$(readelf -d "$easel" | grep NEEDED) || fail "readelf -d $easel"
if grep -E 'libcud|libcublas|libnccl' <<<"$needed"; then fail "$easel needs a CUDA library to start (above)"; fi

loader=$(readelf -l "$easel" | sed -n 's/.*program interpreter: \(.*\)]/\1/p')
[[ -x $loader ]] || fail "no dynamic loader found for $easel ('$loader')"
info=$(env -u LD_LIBRARY_PATH "$loader" --inhibit-cache "$easel" info 2>&1) || fail "easel info did not start: $info"
echo "$info"
if grep -q "cuBLAS [0-9]" <<<"$info"; then
  echo "SKIP: cuBLAS is in a system folder here, so a machine without it cannot be imitated"
  exit 77
fi
grep -q "cuBLAS not loaded (libcublas.so.[0-9]*: cannot open" <<<"$info" || fail "easel info does not say cuBLAS is missing"
grep -q "cuDNN not loaded (libcudnn.so.[0-9]*: cannot open" <<<"$info" || fail "easel info does not say cuDNN is missing"
grep -q "CUDA devices visible: [0-9]" <<<"$info" || fail "easel info does not count the devices"  # a GPU host's driver still loads
bench=$(env -u LD_LIBRARY_PATH "$loader" --inhibit-cache "$easel" bench --model resnet18 --size 32 --batch 1 --steps 1 --warmup 0 2>&1) \
  || fail "a forward pass on the CPU failed without the CUDA libraries: $bench"
grep -q "images/s" <<<"$bench" || fail "bench printed no images/s: $bench"
echo "PASS: no CUDA library needed to start; a CPU forward pass ran without them"
