#!/usr/bin/env bash
# Hostile and careless inputs, each run under a 2 GB memory limit and a time limit: every one must
# end with exit 1 and one clear "easel: error:" line naming what is wrong — never a crash, a hang,
# an out-of-memory kill or a raw C++ exception text.
#   run.sh EASEL_BINARY WORK_DIR
set -uo pipefail
easel=$1 work=$2/hostile
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$here/make_files.py" "$work/files" || exit 1
f=$work/files
source "$(dirname "$0")/../make_ppm_set.sh"
make_ppm_set "$work/data" 8
"$easel" train --data "$work/data" --model resnet18 --size 16 --epochs 1 --batch 8 --out "$work/run" --quiet || exit 1
mkdir -p "$work/empty_class/a" "$work/empty_class/b" && cp "$work/data/dark/1.ppm" "$work/empty_class/a/"
printf '\xef\xbb\xbfpath,label\r\n' > "$work/bom.csv"
for i in 1 2 3 4; do printf '%s,dark\r\n%s,light\r\n' "$work/data/dark/$i.ppm" "$work/data/light/$i.ppm" >> "$work/bom.csv"; done

pass=0 fail=0
check() {  # check "EXPECTED TEXT" easel-args...
  local want=$1; shift
  local err rc
  err=$( (ulimit -v 2000000; timeout 120 "$easel" "$@") 2>&1 >/dev/null)
  rc=$?
  local raw=""
  for p in 'std::' 'basic_string' 'stoll' 'stod' 'bad_alloc' 'terminate called' 'Resource temporarily'; do
    [[ $err == *"$p"* ]] && raw=$p
  done
  if [[ $rc -eq 1 && $err == *"easel: error:"* && $err == *"$want"* && -z $raw ]]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: easel $* -> exit $rc (want 1 and \"$want\")${raw:+, raw text '$raw'}"; echo "  $err" | head -3
  fi
}
fw() { echo forward --model resnet18 --classes 2 --weights "$1" --input "$f/npz_nan_input.npz" --output "$work/o.npz"; }
check "truncated" $(fw "$f/npz_local_extra_past_end.npz")
check "runs past the file" $(fw "$f/npz_central_extra_past_end.npz")
check "more than deflate can produce" $(fw "$f/npz_claims_4gib.npz")
check "more than deflate can produce" $(fw "$f/npz_claims_1tib.npz")
check "truncated" $(fw "$f/npz_csize_wraps.npz")
check "too many elements" $(fw "$f/npz_shape_overflow.npz")
check "dimension too large" $(fw "$f/npz_shape_huge_dim.npz")
check "holds this array twice" $(fw "$f/npz_duplicate_keys.npz")
check "not a zip" $(fw "$f/npz_truncated.npz")
check "not a zip" $(fw "$f/npz_tiny.npz")
check "'conv1.weight' f32[64, 3, 7, 7] holds 2 non-finite values" $(fw "$f/npz_nan_weights.npz")
check "unknown device 'gpu': expected cpu, cuda or cuda:N" forward --model resnet18 --classes 2 --input "$f/npz_nan_input.npz" --output "$work/o.npz" --device gpu
check "cuda:99" forward --model resnet18 --classes 2 --input "$f/npz_nan_input.npz" --output "$work/o.npz" --device cuda:99
check "'input' f32[1, 3, 32, 32] holds 1 non-finite value" forward --model resnet18 --classes 2 --input "$f/npz_nan_input.npz" --output "$work/o.npz"
check "unknown device 'gpu'" eval --run "$work/run" --device gpu
check "cuda:99" predict --run "$work/run" --device cuda:99 "$f/png_1x100000.png"
check "an aspect ratio over 50:1" predict --run "$work/run" "$f/png_1x100000.png"
check "larger than Easel reads" predict --run "$work/run" "$f/png_too_many_pixels.png"
check "nested more than 200 levels deep" experiment "$f/json_deep.json" --out "$work/x"
check "nested more than 200 levels deep" experiment "$f/json_deep_objects.json" --out "$work/x"
check "the split left no training" train --data "$f/csv_braces.csv" --out "$work/braces" --size 16 --epochs 1 --val 0.5 --test 0
check "has a '{' without its '}'" train --data "$f/csv_braces.csv" --path-template "{file" --out "$work/t2"
check "already holds a run" train --data "$work/data" --out "$work/run"
check "--size must be 8 to 4096" train --data "$work/data" --out "$work/s" --size -5
check "--limit must be 0" train --data "$work/data" --out "$work/s" --limit -5
check "--workers must be 1 to 64" train --data "$work/data" --out "$work/s" --workers 0
check "--workers must be 0 to 64" eval --run "$work/run" --workers 1000000
check "--epochs needs an integer" train --data "$work/data" --out "$work/s" --epochs 1e99
check "class folder without images" train --data "$work/empty_class" --out "$work/s"
check "training diverged" train --data "$work/data" --out "$work/nan" --size 16 --epochs 3 --batch 8 --lr 1e12 --quiet
# A CSV with a byte-order mark and CRLF lines is read as any other.
"$easel" train --data "$work/bom.csv" --out "$work/bom" --size 16 --epochs 1 --batch 8 --quiet --val 0.25 --test 0.25 \
  && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a CSV with BOM and CRLF"; }
# The diverged run left nothing non-finite behind.
if grep -qiE 'nan|null|inf' "$work/nan/log.jsonl" 2>/dev/null; then fail=$((fail + 1)); echo "FAIL: NaN in the diverged run's log"; else pass=$((pass + 1)); fi
echo "hostile inputs: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
