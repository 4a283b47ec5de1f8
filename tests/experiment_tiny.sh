#!/usr/bin/env bash
# A shipped study in tiny mode (few images, 1 epoch, 2 trials) on ../shared/data, then
# check_experiment.py: the table against the per-trial metrics files. With --resume-check, also:
# a second invocation reruns nothing, and deleting one trial's metrics.json reruns that trial only.
#   experiment_tiny.sh EASEL_BINARY STUDY.json WORK_DIR [--resume-check]
# Exit 77 (skipped) when the real painting sets are absent (EASEL_DATA, else ../shared/data).
set -euo pipefail
easel=$1 study=$2 work=$3/experiment_$(basename "$2" .json)
src=$(cd "$(dirname "$0")/.." && pwd)
export EASEL_DATA=${EASEL_DATA:-$src/../shared/data}
if [[ ! -f $EASEL_DATA/wikiart_style10/manifest.csv ]]; then
  echo "skipped: no painting sets in $EASEL_DATA"; exit 77
fi
rm -rf "$work"
"$easel" experiment "$study" --tiny --quiet --out "$work" > "$work.log" 2>&1 || { tail -30 "$work.log"; exit 1; }
tail -3 "$work.log"
/usr/bin/python3 "$src/tests/check_experiment.py" "$work"
if [[ ${4:-} == --resume-check ]]; then
  cp "$work/results.json" "$work.first.json"
  "$easel" experiment "$study" --tiny --quiet --out "$work" > "$work.log2" 2>&1
  grep -q "(0 trials run now" "$work.log2" || { echo "a finished study ran trials again"; tail "$work.log2"; exit 1; }
  cmp "$work/results.json" "$work.first.json" || { echo "results.json changed on a no-op rerun"; exit 1; }
  first=$(ls -d "$work"/runs/*/trial2 | head -1)
  rm "$first/metrics.json"
  "$easel" experiment "$study" --tiny --quiet --out "$work" > "$work.log3" 2>&1
  grep -q "(1 trials run now" "$work.log3" || { echo "deleting one trial did not rerun exactly one"; tail "$work.log3"; exit 1; }
  /usr/bin/python3 "$src/tests/check_experiment.py" "$work"
  echo "resume: a finished study reran nothing; a deleted trial was rerun alone"
fi
