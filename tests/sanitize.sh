#!/usr/bin/env bash
# The sanitizer build: the whole engine and the unit tests compiled by clang with AddressSanitizer +
# UndefinedBehaviorSanitizer, plus the libFuzzer targets of tests/fuzz. It is also the CUDA
# simulation build (-DEASEL_CUDA=SIM): the device suite runs on simulated devices there.
#   sanitize.sh SOURCE_DIR BUILD_DIR build          configure and build (once)
#   sanitize.sh SOURCE_DIR BUILD_DIR unit           the fast unit suite under the sanitizers
#   sanitize.sh SOURCE_DIR BUILD_DIR cuda           the device suite (tests/cuda) on the simulated devices
#   sanitize.sh SOURCE_DIR BUILD_DIR mpi MPIRUN     2 MPI ranks on the simulated devices (the NCCL path)
#   sanitize.sh SOURCE_DIR BUILD_DIR fuzz TARGET S  fuzz one reader for S seconds from its seeds and regressions
set -euo pipefail
src=$1 build=$2 step=$3
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
case $step in
  build)
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
          -DEASEL_SANITIZE=ON -DEASEL_FUZZ=ON -DEASEL_CUDA=SIM > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
    targets=(easel_tests easel_cuda_tests fuzz_npz fuzz_json fuzz_csv fuzz_image)
    grep -q "^EASEL_MPIRUN:FILEPATH=/" "$build/CMakeCache.txt" && targets+=(easel_mpi_tests easel_cli)
    cmake --build "$build" --target "${targets[@]}" -j"$(nproc)" 2>&1 | grep -E 'error|Error' || true
    test -x "$build/easel_tests" && test -x "$build/easel_cuda_tests" && test -x "$build/fuzz_image"
    ;;
  mpi)
    # Two MPI ranks on the simulated devices: gradients summed through the NCCL path (its stand-in sums
    # the devices' memory through MPI), then `train --distributed --device cuda` in f64 against one
    # process on the CPU. OpenMPI keeps its allocations to the end (leak checks off) and its memory
    # hooks away from ASan's.
    [[ -x $build/easel_mpi_tests ]] || { echo "no MPI in the sanitizer build"; exit 77; }
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 OMPI_MCA_memory=^patcher
    mpirun=$4 work=$build/mpi-run
    "$mpirun" --oversubscribe -np 2 "$build/easel_mpi_tests" -tc='device*' --no-intro=true --duration=false
    rm -rf "$work" && /usr/bin/python3 "$src/tests/distributed/noise_images.py" "$work/data" 8
    args=(train --data "$work/data" --model resnet18 --size 32 --batch 4 --epochs 1 --optimizer sgd --seed 5 --workers 1
          --sync-bn --dtype f64)
    "$build/easel" "${args[@]}" --quiet --out "$work/cpu"
    out=$("$mpirun" --oversubscribe -np 2 "$build/easel" "${args[@]}" --distributed --device cuda --out "$work/devices" 2>&1) ||
      { echo "$out"; exit 1; }
    grep -q "gradients summed GPU to GPU" <<<"$out" || { echo "the device run did not take the NCCL path: $out"; exit 1; }
    echo -n "2 ranks on simulated devices vs 1 process on the CPU (f64): "
    /usr/bin/python3 "$src/tests/distributed/compare_runs.py" "$work/devices" "$work/cpu" 1e-10
    ;;
  cuda)
    # quick: of the four VGGs only vgg16_bn (the others are minutes under the sanitizers; same constructor)
    EASEL_DEVICE_SUITE=quick "$build/easel_cuda_tests" --no-intro=true --duration=false
    ;;
  unit)
    # The fast suite: everything but the cases that train on the real paintings and the two that build
    # every registry net at full size (minutes under ASan; the parity tests cover the nets).
    "$build/easel_tests" --test-case-exclude='real paintings*,every registry net*,registry nets have*' \
        --no-intro=true --duration=false
    ;;
  fuzz)
    target=$4 seconds=$5
    seeds=$build/fuzz-seeds/$target corpus=$build/fuzz-corpus/$target
    mkdir -p "$seeds" "$corpus"
    /usr/bin/python3 "$src/tests/fuzz/make_seeds.py" "$src" "$build/fuzz-seeds"
    regressions=$src/tests/fuzz/regressions/$target
    if [[ -d $regressions ]] && ls "$regressions"/* > /dev/null 2>&1; then
      "$build/fuzz_$target" "$regressions"/*  # every crash input found so far, as a regression test
    fi
    crashes=$build/fuzz-crashes/$target/ log=$build/fuzz-$target.log
    mkdir -p "$crashes"
    set +e
    "$build/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$crashes" "$corpus" "$seeds" > "$log" 2>&1
    rc=$?
    set -e
    grep -E 'stat::number_of_executed_units|^Done' "$log" || true
    if [[ $rc -ne 0 ]]; then
      tail -40 "$log"
      echo "fuzz_$target found a crash (in $crashes): keep the input in tests/fuzz/regressions/$target/ once fixed"
      exit 1
    fi
    ;;
esac
