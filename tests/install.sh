#!/usr/bin/env bash
# The installed tree alone: `cmake --install` into a temporary prefix, then a project of its own
# (examples/consumer: find_package(Easel), Easel::apps and Easel::capi) and a C program through
# pkg-config build against it and run; the installed easel-infer and libeasel.so start from there.
#   install.sh BUILD_DIR WORK_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd) build=$1 work=$2/install
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
echo "installed: $(find "$prefix" -type f | wc -l) files"

# A model file and a 16x12 image (a PPM, and its pixels as raw RGB rows for the C test).
"$prefix/bin/easel" export --model resnet18 --classes oil,ink,fresco --size 32 --out "$work/model.npz" >/dev/null
{ printf 'P6\n16 12\n255\n'; LC_ALL=C awk 'BEGIN { for (i = 0; i < 576; ++i) printf "%c", (i * 37 + 11) % 251 + 1 }'; } >"$work/image.ppm"
tail -c 576 "$work/image.ppm" >"$work/image.rgb"

cmake -S "$src/examples/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
cmake --build "$work/consumer" -j2 >"$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/consumer/consumer" "$work/model.npz" "$work/image.ppm"
"$work/consumer/consumer_c" "$work/model.npz" "$work/image.ppm"

export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name easel.pc)")
libdir=$(pkg-config --variable=libdir easel)
cc -std=c99 -Wall -Werror "$src/tests/capi/test_capi.c" $(pkg-config --cflags --libs easel) -Wl,-rpath,"$libdir" \
   -o "$work/test_capi"
"$work/test_capi" "$work/model.npz" "$work/image.ppm" "$work/image.rgb" 16 12
"$prefix/bin/easel-infer" "$work/model.npz" "$work/image.ppm" --top 1
echo "the installed tree builds and runs: find_package(Easel), pkg-config easel, easel-infer"
