// easel experiment FILE: a study as one command. A JSON file lists variants (each a set of
// `easel train` flags over the study's own, plus an optional SVM head), every variant is trained
// and evaluated over N trials with seeds seed, seed+1, ... (the seed also draws the split and any
// --limit subsample), and the study writes a paper-style table with mean ± sample std.
//
//   {"study": "vgg19_svm", "title": "...", "scaled": "what was made smaller than in the paper",
//    "data": "${EASEL_DATA:-../../shared/data}/wikiart_style10/manifest.csv",   (relative: to FILE's folder)
//    "trials": 3, "seed": 0, "group_by": "source_label",
//    "train": {"label-column": "class", "model": "vgg19", "size": 48, "epochs": 4, ...},   (train flags)
//    "analyses": {"branches": true, "abstractness": "abstract", "outliers": 0.1},
//    "tiny": {"limit": 60},                       (what --tiny uses besides 1 epoch, 2 trials, 32 px)
//    "variants": [
//      {"name": "softmax"},
//      {"name": "svm-rbf", "from": "softmax", "svm": {"kernel": "rbf", "grid": true, "cv": 3}},
//      {"name": "reinit", "train": {"reinit": "1-4", "layer-lr": "1-4:1e-3,5-19:1e-4"}, "svm": {...}}]}
//
// "weights" names a converted .npz (a path, or a file name looked up in --weights-dir / $EASEL_WEIGHTS);
// when it is not there the variant trains from scratch and the table says so, applying the variant's
// "no_weights" flags if it has them (e.g. {"freeze": 0}: no random layer stays frozen). "from" reuses an
// earlier variant's trained nets with another head. "init_from" makes a second training stage: each
// trial starts from the earlier variant's net of the same trial (its best.npz; the head starts
// fresh when the class count differs), e.g. a frozen-backbone stage, then fine-tuning everything.
//
// OUT/ holds results.md, results.json, accuracy.png, roc_<variant>.png (test scores pooled over the
// trials), groups_<variant>.png (group_by), abstractness_<variant>.png, and runs/<variant>/trial<k>/
// with run/ (the training run directory), metrics.json and predictions.csv. A trial whose
// metrics.json matches the current settings is not run again, and a training run that stopped
// part-way resumes from its last checkpoint, so an interrupted study goes on where it stopped.
#pragma once
#include <string>

#include "io/json.h"

namespace easel {

struct ExperimentOptions {
  std::string file, out;    // out "": experiments-out/<study>
  std::string weights_dir;  // "": $EASEL_WEIGHTS
  bool tiny = false;        // a smoke-sized study: few images, 1 epoch, 2 trials
  int64_t trials = 0;       // 0: the file's
  bool quiet = false;       // no per-epoch lines from training
};

// Runs (or resumes) the study, then tabulates it; returns results.json's contents.
Json run_experiment(const ExperimentOptions& o);

// The table, charts and results.json from the files under `out` alone: study.json (the study as
// run: variants, their final train flags, weights notes) and every trial's metrics.json and
// predictions.csv.
Json tabulate_experiment(const std::string& out);

}  // namespace easel
