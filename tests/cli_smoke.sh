#!/usr/bin/env bash
# Every everyday command once, on a tiny generated set: train, eval, calibrate, predict, gradcam,
# features, svm, tsne, featuremaps, branches, outliers, report, models, and some errors. Checks the
# files and the fields a user relies on.
#   cli_smoke.sh EASEL_BINARY WORK_DIR
set -euo pipefail
easel=$1 work=$2/cli_smoke
rm -rf "$work" && mkdir -p "$work/data/dark" "$work/data/light"
for i in $(seq 1 14); do  # 20x20 binary PPMs: dark and light noise
  for cls in dark light; do
    base=$([[ $cls == dark ]] && echo 30 || echo 200)
    { printf 'P6\n20 20\n255\n'; head -c 1200 /dev/urandom | od -An -tu1 -v | tr -s ' ' '\n' | grep -v '^$' |
        awk -v b=$base '{printf "%c", (b + $1 % 50) % 256}'; } > "$work/data/$cls/$i.ppm"
  done
done
"$easel" train --data "$work/data" --model resnet18 --size 20 --epochs 2 --batch 8 --out "$work/run" --quiet
for f in config.json log.jsonl best.npz last.npz test_metrics.json; do test -s "$work/run/$f" || { echo "missing $f"; exit 1; }; done
[[ $(wc -l < "$work/run/log.jsonl") -eq 2 ]]
"$easel" train --help | grep -q -- '--layer-lr TEXT'                    # the flags come from TrainConfig's table
grep -q '"version": 2' "$work/run/config.json" && grep -q '"train": {' "$work/run/config.json"
"$easel" eval --run "$work/run" --json | grep -q '"macro_f1": '
"$easel" eval --run "$work/run" | grep -q "confusion matrix"
# The run's train / val / test splits each have their table (the papers report all three).
[[ $("$easel" eval --run "$work/run" --split train | head -1 | cut -d' ' -f1) -gt \
   $("$easel" eval --run "$work/run" --split val | head -1 | cut -d' ' -f1) ]]
"$easel" eval --run "$work/run" --split test --gallery "$work/gallery.png" --gallery-count 3 | grep -q "confusion matrix"
test -s "$work/gallery.png"
"$easel" calibrate --run "$work/run" | grep -q "T = "
test -s "$work/run/calibration.json" && test -s "$work/run/reliability.png"
"$easel" predict --run "$work/run" --positive light "$work/data/light/1.ppm" | grep -q "score(light)"
"$easel" gradcam --run "$work/run" --method gradcam++ --out "$work/cam" "$work/data/dark/2.ppm" >/dev/null
test -s "$work/cam/2_gradcampp.png" && test -s "$work/cam/2_gradcampp.npz"
"$easel" features --run "$work/run" --out "$work/f.npz" >/dev/null && test -s "$work/f.npz.csv"
grep -q "^0,.*,\(train\|val\|test\)$" "$work/f.npz.csv"
"$easel" features --run "$work/run" --layer layer3 --split test --out "$work/f3.npz" | grep -q "x 256 dims"
# A run exported as plain state_dict weights: --weights takes it (and the run directory itself), the
# features of a bare registry net on those weights are the run's, and PyTorch loads it strictly.
"$easel" export --run "$work/run" --out "$work/model.npz" | grep -q "export: .*best.npz (resnet18, 2 classes).*id resnet18-"
# --fold-bn: the 20 batch norms folded into their convolutions; the same answers to f32 round-off,
# and the file is for inference only.
"$easel" export --run "$work/run" --fold-bn --out "$work/folded.npz" | grep -q "20 batch norms folded into their convolutions"
for img in "$work/data/light/1.ppm" "$work/data/dark/3.ppm"; do
  /usr/bin/python3 -c "import json, sys; a, b = (json.loads(s) for s in sys.argv[1:]); assert a['class'] == b['class'] and abs(a['probability'] - b['probability']) < 1e-5, (a, b)" \
    "$("$easel" predict --run "$work/run" --json "$img")" "$("$easel" predict --model "$work/folded.npz" --json "$img")"
done
if "$easel" train --model resnet18 --weights "$work/folded.npz" --data "$work/data" --out "$work/x" 2>"$work/err"; then exit 1; fi
grep -q "folded into the convolutions (export --fold-bn): give it as --model" "$work/err"
# One file is a model: predict --model (and every --run command) needs nothing else.
for img in "$work/data/light/1.ppm" "$work/data/dark/3.ppm"; do
  cmp <("$easel" predict --run "$work/run" --json "$img") <("$easel" predict --model "$work/model.npz" --json "$img")
done
"$easel" gradcam --run "$work/model.npz" --out "$work/cam_m" "$work/data/dark/2.ppm" | grep -q "dark\|light"
if "$easel" features --model vgg16 --weights "$work/model.npz" --data "$work/data" --out "$work/x.npz" 2>"$work/err"; then exit 1; fi
grep -q "that model file holds a resnet18, not a vgg16" "$work/err"
if "$easel" calibrate --run "$work/model.npz" 2>"$work/err"; then exit 1; fi
grep -q "calibrate: --run .*model.npz is a model file" "$work/err"
# A registry net packed from weights: every weight from the file (the same id for the same weights).
"$easel" export --model resnet18 --weights "$work/model.npz" --classes dark,light --size 20 --out "$work/model2.npz" |
  grep -q "$(/usr/bin/python3 -c "import json, numpy as np, sys; print(json.loads(bytes(np.load(sys.argv[1])['easel_metadata']))['id'])" "$work/model.npz")"
if "$easel" export --model resnet18 --weights "$work/model.npz" --classes 3 --out "$work/model3.npz" 2>"$work/err"; then exit 1; fi
grep -q "fc.weight" "$work/err"
if "$easel" predict --model resnet18 "$work/data/dark/2.ppm" 2>"$work/err"; then exit 1; fi
grep -q "predict: --model resnet18: no such file" "$work/err"
"$easel" features --model resnet18 --weights "$work/model.npz" --size 20 --data "$work/data" --out "$work/fm.npz" |
  grep -q "tensors loaded"
"$easel" features --model resnet18 --weights "$work/run" --size 20 --data "$work/data" --out "$work/fr.npz" >/dev/null
"$easel" features --run "$work/run" --data "$work/data" --out "$work/fd.npz" >/dev/null
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
a, b, c = (np.load(f"{w}/{n}.npz")["embeddings"] for n in ("fm", "fr", "fd"))
assert np.array_equal(a, b) and np.array_equal(a, c), "exported weights give other features"
import json
z = np.load(f"{w}/model.npz")
meta = json.loads(bytes(z["easel_metadata"]))
assert meta["format"] == "easel-model" and meta["model"] == "resnet18" and meta["classes"] == ["dark", "light"], meta
assert meta["input"]["size"] == 20 and meta["input"]["preset"] == "imagenet" and meta["id"].startswith("resnet18-"), meta
try:
    import torch, torchvision
except ImportError:
    sys.exit(0)
sd = {k: torch.from_numpy(v) for k, v in z.items() if k != "easel_metadata"}
torchvision.models.resnet18(num_classes=2).load_state_dict(sd, strict=True)
PY
# Features of a data set with other classes than the run's: its own labels, no run probabilities.
mkdir -p "$work/data3/a" "$work/data3/b" "$work/data3/c"
cp "$work"/data/dark/1.ppm "$work"/data/dark/2.ppm "$work/data3/a/"; cp "$work"/data/light/1.ppm "$work/data3/b/"
cp "$work"/data/light/2.ppm "$work/data3/c/"
"$easel" features --run "$work/run" --data "$work/data3" --out "$work/f3c.npz" | grep -q "4 images x 512 dims"
grep -q ",c,\(train\|val\|test\)$" "$work/f3c.npz.csv"
# --eval-aug reaches every inference command: noisy inputs give other features than the run's clean ones.
"$easel" features --run "$work/run" --eval-aug noise=0.5 --out "$work/fn.npz" >/dev/null
/usr/bin/python3 -c "import numpy as np, sys; a, b = (np.load(f'$work/{n}.npz')['embeddings'] for n in ('f', 'fn'));
sys.exit(0 if a.shape == b.shape and not np.array_equal(a, b) else 1)"
"$easel" gradcam --run "$work/run" --eval-aug blur=3:1 --out "$work/cam_blur" "$work/data/dark/2.ppm" >/dev/null
"$easel" calibrate --run "$work/run" --eval-aug none | grep -q "T = "
# A features file without splits is refused by the SVM (fitting and scoring would share rows).
cp "$work/f.npz" "$work/nosplit.npz" && cut -d, -f1-4 "$work/f.npz.csv" > "$work/nosplit.npz.csv"
if "$easel" svm train --features "$work/nosplit.npz" --out "$work/svm_x" 2>"$work/err"; then exit 1; fi
grep -q "carry no train / val / test split" "$work/err"
"$easel" svm train --features "$work/f.npz" --kernel rbf --no-standardize --gamma 1e-4 --out "$work/svm_raw" | grep -q "(raw)"
grep -q '"standardize": false' "$work/svm_raw/svm.json"
# Zero-shot: a 1000-class head's probabilities pooled onto the data set's classes by a class map.
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 -c "import numpy as np, torch, torchvision; torch.manual_seed(0)
np.savez('$work/in1k.npz', **{k: v.numpy() for k, v in torchvision.models.resnet18().state_dict().items()})"
  echo '{"dark": [0, 1, 2], "light": [3, 4]}' > "$work/map.json"
  "$easel" eval --model resnet18 --weights "$work/in1k.npz" --size 20 --data "$work/data" --imagenet-map "$work/map.json" \
    > "$work/zs.txt"
  grep -q "^zero-shot: resnet18's ImageNet head pooled onto 2 classes" "$work/zs.txt" && grep -q "^28 images: accuracy" "$work/zs.txt"
  echo '{"dark": [0, 1], "light": [1]}' > "$work/map.json"
  if "$easel" eval --model resnet18 --weights "$work/in1k.npz" --data "$work/data" --imagenet-map "$work/map.json" 2>"$work/err"; then exit 1; fi
  grep -q "source class 1 is mapped to two target classes" "$work/err"
  if "$easel" eval --model resnet18 --weights "$work/model.npz" --data "$work/data" --imagenet-map "$work/map.json" 2>"$work/err"; then exit 1; fi
  grep -q "has no 1000-class head 'fc'" "$work/err"
fi
# Every command prints its usage and flags with --help and exits 0.
for c in demo models summary graph forward train eval predict export gradcam features svm outliers featuremaps tsne \
         branches report experiment bench calibrate info help; do
  "$easel" "$c" --help > "$work/help.txt" || { echo "easel $c --help failed"; exit 1; }
  grep -q "$c" "$work/help.txt" || { echo "easel $c --help does not name the command"; exit 1; }
done
"$easel" eval --help | grep -q -- "--group-by VALUE"
"$easel" svm train --help | grep -q -- "--kernel VALUE"
"$easel" svm train --features "$work/f.npz" --kernel sigmoid --grid --C-grid 1,10 --cv 2 --out "$work/svm" | grep -q "best: C = "
test -s "$work/svm/class_1.model" && grep -q '"kernel": "sigmoid"' "$work/svm/svm.json"
"$easel" svm eval --model "$work/svm" --features "$work/f.npz" --json --predictions "$work/p.csv" | grep -q '"accuracy": '
[[ $(wc -l < "$work/p.csv") -ge 3 ]]
if "$easel" svm eval --model "$work/svm" --features "$work/f3.npz" 2>"$work/err"; then exit 1; fi
grep -q "trained on 512-dimensional features" "$work/err"
"$easel" tsne --features "$work/f.npz" --perplexity 5 --out "$work/tsne.png" >/dev/null && test -s "$work/tsne.png"
"$easel" featuremaps --run "$work/run" --layer layer1 --out "$work/maps.png" "$work/data/dark/3.ppm" >/dev/null && test -s "$work/maps.png"
if "$easel" branches --run "$work/run" 2>"$work/err"; then exit 1; fi
grep -q "no global_branch" "$work/err"
"$easel" outliers --run "$work/run" --out "$work/out" >/dev/null && [[ $(wc -l < "$work/out/outliers.csv") -eq 29 ]]
test -s "$work/out/gallery.png"
# Known outliers (e.g. paintings known to be mis-assigned): each score's flags scored against them.
printf 'path\n%s\n%s\n' "dark/1.ppm" "$work/data/light/3.ppm" > "$work/known.csv"
"$easel" outliers --run "$work/run" --known "$work/known.csv" --flag-fraction 0.25 --out "$work/out_known" > "$work/known.txt"
grep -q "^against .*known.csv (2 known outliers):" "$work/known.txt" && grep -q "^  mahalanobis  top 25% " "$work/known.txt"
grep -q '"against_known": {"confidence": {' "$work/out_known/summary.json"
if "$easel" outliers --run "$work/run" --threshold 0.5 --out "$work/out_x" 2>"$work/err"; then exit 1; fi
grep -q "threshold 0.5 never flags with 2 classes" "$work/err"
printf 'dark/99.ppm\n' > "$work/known_bad.txt"
if "$easel" outliers --run "$work/run" --known "$work/known_bad.txt" --out "$work/out_x" 2>"$work/err"; then exit 1; fi
grep -q "line 1: 'dark/99.ppm' is not an image of the data set" "$work/err"
printf '2.ppm\n' > "$work/known_bare.txt"  # dark/2.ppm and light/2.ppm
if "$easel" outliers --run "$work/run" --known "$work/known_bare.txt" --out "$work/out_x" 2>"$work/err"; then exit 1; fi
grep -q "line 1: '2.ppm' names 2 images (.*2.ppm, .*2.ppm); give more of its path" "$work/err"
if "$easel" outliers --run "$work/run" --flag-fraction 0 --out "$work/out_x" 2>"$work/err"; then exit 1; fi
grep -q "flag-fraction must be in (0, 1], got 0" "$work/err"
"$easel" report --run "$work/run" --svm "$work/svm" --cam-images 2 | grep -q "report: $work/run/report.html"
grep -q "<h2>SVM head</h2>" "$work/run/report.html" && test -s "$work/run/report/tsne.png"
grep -q "<h2>Right and wrong (test)</h2>" "$work/run/report.html" && test -s "$work/run/report/predictions.png"
# Grouped evaluation: a manifest with a group column; an image folder has none (a clear error).
{ echo "path,label,batch"; n=0; for f in "$work"/data/*/*.ppm; do
    echo "$f,$(basename "$(dirname "$f")"),b$((n++ % 2))"; done; } > "$work/manifest.csv"
"$easel" eval --run "$work/run" --data "$work/manifest.csv" --group-by batch --group-chart "$work/groups.png" > "$work/grouped.txt"
grep -q "^| predicted \\ batch | b0 | b1 |$" "$work/grouped.txt" && grep -q "^| \*\*images\*\* | 14 | 14 |$" "$work/grouped.txt"
test -s "$work/groups.png"
if "$easel" eval --run "$work/run" --group-by batch 2>"$work/err"; then exit 1; fi
grep -q "group by 'batch'.*image folder has no columns" "$work/err"
models=$("$easel" models --size 32)
grep -q "^resnet50 .*25557032" <<<"$models"
# The learners' tools: summary's totals are the numbers models prints; graph writes dot, SVG and PNG.
s=$("$easel" summary --model resnet18 --size 64)
grep -q "^parameters: 11,689,512 (trainable 11,689,512, frozen 0)$" <<<"$s"
grep -q "^  conv1: Conv2d(3, 64, k=7x7, s=2, p=3, no bias)  *\[1, 64, 32, 32\] " <<<"$s"
gmacs=$(awk '$1 == "resnet18" {print $3}' <<<"$models")
grep -q "^multiply-adds: [0-9,]* ($gmacs G) in one forward pass of \[1, 3, 32, 32\]$" \
  <<<"$("$easel" summary --model resnet18 --size 32 --depth 0)"
"$easel" graph --model resnet18 --size 32 --depth 1 --out "$work/g.dot" |
  grep -q "^graph: resnet18: [0-9]* ops, 62 parameter tensors, .* -> $work/g.dot"
grep -q "^digraph easel {" "$work/g.dot" && grep -q 'label="layer2.0: BasicBlock' "$work/g.dot"
"$easel" graph --model resnet18 --size 32 --out "$work/g.svg" >/dev/null
test -s "$work/g.svg" && head -1 "$work/g.svg" | grep -q "^<svg " && tail -1 "$work/g.svg" | grep -q "^</svg>$"
grep -q ">in layer1.0.conv1</text>" "$work/g.svg"  # the module path under an op's name
"$easel" graph --model resnet18 --size 32 --depth 1 --out "$work/g.png" | grep -q -- "-> $work/g.png"
test "$(head -c 4 "$work/g.png" | tail -c 3)" = PNG
if "$easel" graph --model resnet18 --out "$work/g.jpg" 2>"$work/err"; then exit 1; fi
grep -q "graph: --out must end in .dot, .svg or .png, got '.*g.jpg'" "$work/err"
if "$easel" summary --model resnet51 2>"$work/err"; then exit 1; fi
grep -q "unknown model 'resnet51'" "$work/err"
if "$easel" summary --model resnet18 --size 0 2>"$work/err"; then exit 1; fi
grep -q "summary: --size must be between 1 and 4096 pixels, got 0" "$work/err"
if "$easel" train --data "$work/data" --model resnet51 --out "$work/x" 2>"$work/err"; then exit 1; fi
grep -q "unknown model 'resnet51'" "$work/err"
if "$easel" train --data "$work/nope" --out "$work/x" 2>"$work/err"; then exit 1; fi
grep -q "no such file or folder" "$work/err"
if "$easel" demo --quick --out "$work/data" 2>"$work/err"; then exit 1; fi
grep -q "was not written by easel demo" "$work/err"
# bench: the JSON fields bench/models.sh reads; the profile names the convolution kinds and the optimizer.
b=$("$easel" bench --model resnet18 --mode train --batch 2 --size 32 --steps 1 --warmup 0 --json --profile 2>/dev/null)
grep -q '"images_per_second": [0-9]' <<<"$b" && grep -q '"peak_rss_mb": [0-9]' <<<"$b" && grep -q '"gflops": [0-9]' <<<"$b"
grep -q "^conv2d 3x3 " <<<"$b" && grep -q "^conv2d 7x7 " <<<"$b" && grep -q "^optimizer step " <<<"$b" && grep -q "^batch_norm " <<<"$b"
if "$easel" bench --model resnet18 --mode fit 2>"$work/err"; then exit 1; fi
grep -q "mode must be infer or train" "$work/err"
rm -rf "$work"
echo "cli smoke: all commands OK"
