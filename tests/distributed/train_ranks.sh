#!/usr/bin/env bash
# `easel train --distributed` under mpirun on this machine (label: mpi):
#   1. equivalence: 2 ranks x half batches with --sync-bn end with the weights of 1 process on whole
#      batches (same seed, same sample order), in f64: max |difference| / max |weight| <= 1e-12. (In f32
#      the two ways of summing round differently, and a value that lands on the other side of a
#      ReLU's or a max-pool's kink sends its gradient elsewhere: f32 runs part after some steps, as
#      PyTorch's DDP and single-process runs do. tests/distributed/test_data_parallel.cpp bounds f32
#      over a few steps.)
#   2. --resume of a 2-rank run by 1 process gives the same weights again;
#   3. ranks set up differently are refused at the start, naming what differs;
#   4. a rank killed mid-run: every rank stops within seconds, with a message, last.npz intact;
#   5. a rank that fails with an error ends the others, its message on stderr;
#   6. unreadable images leave some rank's part of a batch empty: the run goes on, every rank in step.
#   train_ranks.sh EASEL_BINARY MPIRUN WORK_DIR
set -uo pipefail
easel=$1 mpirun=$2 work=$3/train_ranks
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$(dirname "$0")/noise_images.py" "$work/data" 24
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=1
mpi=("$mpirun" --oversubscribe -np 2)
common=(train --data "$work/data" --model resnet18 --size 64 --batch 16 --epochs 3 --optimizer sgd --seed 5 --workers 1 --quiet --sync-bn
        --dtype f64)
fail=0
bad() { echo "FAIL: $*"; fail=1; }

compare() { /usr/bin/python3 "$(dirname "$0")/compare_runs.py" "$1" "$2" 1e-12; }

# 1. equivalence
"$easel" "${common[@]}" --out "$work/one" || bad "the single-process run failed"
"${mpi[@]}" "$easel" "${common[@]}" --distributed --out "$work/two" || bad "the 2-rank run failed"
grep -q '"ranks": 2' "$work/two/log.jsonl" || bad "the 2-rank run's log does not say 2 ranks"
echo -n "2 ranks vs 1 process: "; compare "$work/two" "$work/one" || bad "2 ranks differ from 1 process"

# 2. a 2-rank run stopped after epoch 1, resumed by one process
"${mpi[@]}" "$easel" "${common[@]}" --distributed --stop-after 1 --out "$work/resumed" || bad "the stopped 2-rank run failed"
"$easel" "${common[@]}" --resume --out "$work/resumed" || bad "one process could not resume the 2-rank run"
echo -n "2 ranks, resumed by 1 process vs 1 process: "; compare "$work/resumed" "$work/one" || bad "the resumed run differs"

# 3. ranks set up differently
out=$("$mpirun" --oversubscribe -np 1 "$easel" "${common[@]}" --distributed --out "$work/mismatch" : \
      -np 1 "$easel" "${common[@]}" --distributed --model resnet34 --out "$work/mismatch" 2>&1) && bad "mismatched ranks ran"
grep -q "rank 1 is not set up as rank 0 is" <<<"$out" || bad "no clear message for mismatched ranks: $out"

# 4. kill -9 one rank mid-run
"${mpi[@]}" "$easel" "${common[@]}" --distributed --epochs 200 --out "$work/killed" > "$work/killed.log" 2>&1 & launcher=$!
for _ in $(seq 1 600); do [[ -f $work/killed/last.npz ]] && break; sleep 0.1; done
victim=$(pgrep -n -P $launcher -f -- "--out $work/killed")  # the newest rank (a child of mpirun)
if [[ -n $victim ]]; then
  kill -9 "$victim"; killed_at=$(date +%s%N)
  for _ in $(seq 1 300); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
  echo "a rank killed: the job ended $(( ($(date +%s%N) - killed_at) / 1000000 )) ms later"
  if kill -0 $launcher 2>/dev/null; then bad "the other rank still runs 30 s after one was killed"; kill -9 $launcher; fi
  wait $launcher && bad "mpirun reported success after a rank was killed"
  pgrep -f -- "--out $work/killed" >/dev/null && bad "a rank outlived the job"
else
  bad "no rank to kill"
fi
pkill -9 -f -- "--out $work/killed"  # whatever is left, so that a failed check leaves nothing running
grep -qi "signal 9\|killed" "$work/killed.log" || bad "no message about the killed rank: $(cat "$work/killed.log")"
"$easel" eval --run "$work/killed" --checkpoint last.npz --json >/dev/null || bad "last.npz is not whole after the kill"

# 5. a rank that fails: rank 1 is given data that does not exist
out=$("$mpirun" --oversubscribe -np 1 "$easel" "${common[@]}" --distributed --out "$work/failing" : \
      -np 1 "$easel" "${common[@]}" --distributed --data "$work/nothing_here" --out "$work/failing" 2>&1) && bad "a failing rank went unnoticed"
grep -q "error on rank 1 of 2" <<<"$out" || bad "no message from the failing rank: $out"

# 6. unreadable images: parts of a batch (1 image per rank) come up empty; without --sync-bn the other
#    rank steps alone, with it the step is skipped by both; either way the run ends normally
mkdir -p "$work/holes"
cp -r "$work/data/dark" "$work/data/light" "$work/holes/"
for i in $(seq 0 2 23); do echo "not an image" > "$work/holes/dark/$i.ppm"; echo "not an image" > "$work/holes/light/$i.ppm"; done
for sync in "" --sync-bn; do
  out=$("${mpi[@]}" "$easel" train --data "$work/holes" --model resnet18 --size 64 --batch 2 --epochs 1 --workers 1 --quiet \
        --distributed $sync --out "$work/holes_run$sync" --overwrite 2>&1) || bad "a run with unreadable images failed ($sync): $out"
  [[ -n $sync ]] && { grep -q "skipped: a rank has no readable image" <<<"$out" || bad "no skipped step reported: $out"; }
done

[[ $fail == 0 ]] && echo "distributed training: all checks passed"
exit $fail
