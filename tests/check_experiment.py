#!/usr/bin/env python3
"""Checks an `easel experiment` output folder against its own per-trial files.

    check_experiment.py OUT_DIR

For every variant: each trial's metrics.json agrees with its predictions.csv (accuracy, macro-F1,
weighted-F1, per-group accuracy recomputed here from the rows), and results.json and results.md
carry the mean and sample standard deviation of the trials' metrics.json values. Also checks that
the pictures the study promises exist. Standard library only.
"""
import csv
import json
import math
import os
import sys

out = sys.argv[1]
study = json.load(open(os.path.join(out, "study.json")))
results = json.load(open(os.path.join(out, "results.json")))
md = open(os.path.join(out, "results.md")).read()
trials = study["trials"]
failures = []


def fail(msg):
    failures.append(msg)


def close(a, b, tol=1e-6):  # JSON numbers carry 10 significant digits
    return abs(a - b) <= tol * max(1.0, abs(b))


def f1_scores(labels, pred, classes):
    per_class, support = [], []
    for c in range(classes):
        tp = sum(1 for l, p in zip(labels, pred) if l == c and p == c)
        fp = sum(1 for l, p in zip(labels, pred) if l != c and p == c)
        fn = sum(1 for l, p in zip(labels, pred) if l == c and p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per_class.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        support.append(tp + fn)
    macro = sum(per_class) / classes
    weighted = sum(f * s for f, s in zip(per_class, support)) / max(1, sum(support))
    return macro, weighted


def mean_std(values):
    m = sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, s


checked_trials = 0
for v, r in zip(study["variants"], results["variants"]):
    name = v["name"]
    assert r["name"] == name, (r["name"], name)
    metrics = []
    for t in range(1, trials + 1):
        d = os.path.join(out, "runs", name, "trial%d" % t)
        m = json.load(open(os.path.join(d, "metrics.json")))
        metrics.append(m)
        classes = len(m["classes"])
        with open(os.path.join(d, "predictions.csv"), newline="") as f:
            rows = list(csv.reader(f))[1:]
        labels = [int(x[1]) for x in rows]
        pred = [int(x[2]) for x in rows]
        scores = [[float(s) for s in x[4:]] for x in rows]
        if len(rows) != m["test_images"]:
            fail("%s trial %d: %d prediction rows, metrics.json says %d" % (name, t, len(rows), m["test_images"]))
        for row, p in zip(scores, pred):
            if row.index(max(row)) != p:
                fail("%s trial %d: predicted class is not the top score" % (name, t))
                break
        acc = sum(1 for l, p in zip(labels, pred) if l == p) / len(rows)
        macro, weighted = f1_scores(labels, pred, classes)
        for key, mine in (("accuracy", acc), ("macro_f1", macro), ("weighted_f1", weighted)):
            if not close(m[key], mine):
                fail("%s trial %d: %s %.6f in metrics.json, %.6f from predictions.csv" % (name, t, key, m[key], mine))
        if study["group_by"]:
            groups = [x[3] for x in rows]
            for g, e in m["groups"].items():
                idx = [i for i, x in enumerate(groups) if x == g]
                mine = sum(1 for i in idx if labels[i] == pred[i]) / len(idx)
                if len(idx) != e["images"] or not close(e["accuracy"], mine):
                    fail("%s trial %d: group %s accuracy %.4f vs %.4f from rows" % (name, t, g, e["accuracy"], mine))
            if set(groups) != set(m["groups"]):
                fail("%s trial %d: groups in metrics.json differ from predictions.csv" % (name, t))
        checked_trials += 1
    classes = len(metrics[0]["classes"])
    cells = []
    for key in ("accuracy", "top5", "macro_f1", "weighted_f1", "auc"):
        values = [m[key] for m in metrics if m[key] is not None]
        got = r["metrics"][key]
        if key == "top5" and classes <= 5:
            cells.append("–")
            continue
        mean, std = mean_std(values)
        if not (close(got["mean"], mean, 1e-8) and close(got["std"], std, 1e-8)):
            fail("%s: results.json %s %r, trials give %.6f ± %.6f" % (name, key, got, mean, std))
        cells.append("%.3f ± %.3f" % (mean, std))
    row = "| %s | %s | %d/%d | %s |" % (name, v["head"], trials, trials, " | ".join(cells))
    if row not in md:
        fail("results.md lacks the row %r" % row)
    for k in metrics[0]["extra"]:
        mean, std = mean_std([m["extra"][k] for m in metrics])
        got = r["extra"][k]
        if not (close(got["mean"], mean, 1e-8) and close(got["std"], std, 1e-8)):
            fail("%s: extra %s %r, trials give %.6f ± %.6f" % (name, k, got, mean, std))
    if classes <= 10 and not os.path.exists(os.path.join(out, "roc_%s.png" % name)):
        fail("no roc_%s.png" % name)
    if study["group_by"] and not os.path.exists(os.path.join(out, "groups_%s.png" % name)):
        fail("no groups_%s.png" % name)
    if study["analyses"].get("abstractness") and v["head"] == "softmax" and not os.path.exists(os.path.join(out, "abstractness_%s.png" % name)):
        fail("no abstractness_%s.png" % name)
    if study["analyses"].get("branches") and "two_branch" in str(v["train"].get("model", "")) and "branches accuracy both" not in metrics[0]["extra"]:
        fail("%s: a two-branch variant without the branch analysis" % name)
    if "outliers" in study["analyses"] and "outliers mahalanobis AUROC" not in metrics[0]["extra"]:
        fail("%s: no outlier check" % name)
if not os.path.exists(os.path.join(out, "accuracy.png")):
    fail("no accuracy.png")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("%s: %d variants, %d trials: metrics.json agree with predictions.csv; results.json and results.md agree with the trials"
      % (study["study"], len(study["variants"]), checked_trials))
