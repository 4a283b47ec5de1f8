#!/usr/bin/env bash
# Easel's two set-up commands (see README.md):
#   bash run.sh demo   install what is missing, build, run the demo
#   bash run.sh test   install what is missing, build, run every test
# Debian packages only. As root it installs them with apt-get; otherwise it names them and stops.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PACKAGES=(g++ make cmake libeigen3-dev doctest-dev libstb-dev zlib1g-dev libsvm-dev
                libcpp-httplib-dev   # easel serve's HTTP server (the build is complete without it, less serve)
                fonts-dejavu-core)   # the text of PNG charts (without it: blocky stroke letters)
# The tests also need PyTorch (the reference the parity tests compare against), Chromium (the
# report test opens the HTML report in it, headless) and clang with its sanitizer / libFuzzer
# runtimes and OpenMP (the ASan + UBSan build and the fuzzers, tests/sanitize.sh), and OpenMPI
# (distributed training's tests run 2 ranks under mpirun; the build is complete without it).
TEST_PACKAGES=(python3-torch python3-torchvision python3-numpy chromium clang libclang-rt-14-dev libomp-dev
               libopenmpi-dev openmpi-bin)

install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -eq 0 ]]; then
    echo "run.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "run.sh: missing Debian packages: ${missing[*]}" >&2
    echo "        install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)"
}

case "${1:-}" in
  demo)
    install_missing "${BUILD_PACKAGES[@]}"
    build
    ./build/easel demo "${@:2}"
    ;;
  test)
    install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build
    ctest --test-dir build --output-on-failure -j"$(nproc)"
    ;;
  *)
    echo "usage: bash run.sh demo [demo options] | bash run.sh test" >&2
    exit 2
    ;;
esac
