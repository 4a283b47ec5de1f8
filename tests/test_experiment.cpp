// Grouped evaluation and `easel experiment` on generated paintings (no downloads, no ../shared/data):
// the extended confusion matrix, a two-variant study with a manifest group column, its table
// against its own trial files, resuming, and the errors a mistyped study file gets.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "apps/pictures/analysis_charts.h"
#include "apps/study/experiment.h"
#include "apps/analysis/grouped.h"
#include "apps/pictures/paintings.h"
#include "helpers.h"
#include "io/checkpoint.h"
#include "io/dataset.h"

using namespace easel;
namespace fs = std::filesystem;

TEST_CASE("grouped confusion: one column per group, per-group accuracy, mixed groups") {
  const GroupedConfusion g = grouped_confusion("source", {"b", "a", "b", "c", "a", "b"}, {1, 0, 1, 1, 0, 0},
                                               {1, 0, 1, 0, 1, 1}, {"x", "y"});
  REQUIRE(g.groups == std::vector<std::string>{"a", "b", "c"});
  CHECK(g.counts == std::vector<std::vector<int64_t>>{{1, 0, 1}, {1, 3, 0}});  // [predicted][group]
  CHECK(g.size == std::vector<int64_t>{2, 3, 1});
  CHECK(g.correct == std::vector<int64_t>{1, 2, 0});
  CHECK(g.true_class == std::vector<std::string>{"x", "mixed", "y"});
  CHECK(g.accuracy(1) == doctest::Approx(2.0 / 3));
  const std::string md = grouped_markdown(g);
  CHECK(md.find("| predicted \\ source | a | b | c |") != std::string::npos);
  CHECK(md.find("| y | 1 | 3 | 0 |") != std::string::npos);
  CHECK(md.find("| **accuracy** | 0.500 | 0.667 | 0.000 |") != std::string::npos);
  const Figure c = grouped_chart(g, "by source");
  CHECK(c.width > 100);
  const auto texts = c.texts();
  CHECK(std::count(texts.begin(), texts.end(), "x") == 1);  // the rows: predicted classes
  CHECK(std::find_if(texts.begin(), texts.end(), [](const std::string& t) { return t.rfind("b (mixed, accuracy 0.67)", 0) == 0; }) !=
        texts.end());
  CHECK_THROWS_WITH_AS(grouped_confusion("s", {"a"}, {0}, {2}, {"x", "y"}), doctest::Contains("outside 2 classes"), Error);
}

namespace {

struct Paintings {
  std::string dir, manifest;
  Paintings() {
    dir = (fs::temp_directory_path() / ("easel_experiment_" + std::to_string(getpid()))).string();
    fs::remove_all(dir);
    write_painting_set(dir + "/img", 16, 32, 5, 0);
    const Dataset d = image_folder(dir + "/img");
    std::ofstream csv(dir + "/manifest.csv");
    csv << "path,label,painter\n";
    for (size_t i = 0; i < d.samples.size(); ++i)
      csv << d.samples[i].path << "," << d.classes[size_t(d.samples[i].label)] << ",painter" << i % 3 << "\n";
    manifest = dir + "/manifest.csv";
  }
  ~Paintings() { fs::remove_all(dir); }
  std::string study(const std::string& variants, const std::string& extra = "") const {
    const std::string path = dir + "/study.json";
    std::ofstream(path) << R"({"study": "t", "data": ")" << manifest << R"(", "trials": 2, "seed": 3, "group_by": "painter",
      "train": {"model": "resnet18", "size": 32, "epochs": 1, "batch": 8, "lr": 0.003, "test": 0.3}, )" << extra
                        << R"( "variants": )" << variants << "}";
    return path;
  }
};

double mean_of(const std::string& out, const std::string& variant, const char* key, int trials) {
  double s = 0;
  for (int t = 1; t <= trials; ++t)
    s += Json::load(out + "/runs/" + variant + "/trial" + std::to_string(t) + "/metrics.json")[key].num();
  return s / trials;
}

}  // namespace

TEST_CASE("experiment: variants x trials, grouped evaluation, table from the trial files, resume") {
  const Paintings p;
  ExperimentOptions o;
  o.file = p.study(R"([{"name": "net"}, {"name": "net+svm", "from": "net", "svm": {"kernel": "rbf", "grid": true, "cv": 2}}])",
                   R"("analyses": {"outliers": 0.2},)");
  o.out = p.dir + "/out";
  o.quiet = true;
  const Json r = run_experiment(o);
  REQUIRE(r["variants"].items().size() == 2);
  for (const Json& v : r["variants"].items()) {
    const std::string name = v["name"].str();
    CHECK(v["trials_done"].integer() == 2);
    CHECK(v["metrics"]["accuracy"]["mean"].num() == doctest::Approx(mean_of(o.out, name, "accuracy", 2)).epsilon(1e-9));
    CHECK(v["metrics"]["macro_f1"]["mean"].num() == doctest::Approx(mean_of(o.out, name, "macro_f1", 2)).epsilon(1e-9));
    const double a1 = Json::load(o.out + "/runs/" + name + "/trial1/metrics.json")["accuracy"].num();
    const double a2 = Json::load(o.out + "/runs/" + name + "/trial2/metrics.json")["accuracy"].num();
    CHECK(v["metrics"]["accuracy"]["std"].num() == doctest::Approx(std::fabs(a1 - a2) / std::sqrt(2.0)).epsilon(1e-9));
    CHECK(v["groups"].members().size() == 3);  // painter0..2
    CHECK(v["extra"].has("outliers mahalanobis AUROC"));
    CHECK(fs::exists(o.out + "/groups_" + name + ".png"));
    CHECK(fs::exists(o.out + "/roc_" + name + ".png"));
    CHECK(fs::exists(o.out + "/curves_" + name + ".png") == (name == "net"));  // the SVM variant trains nothing
  }
  // The SVM reused the softmax variant's nets: one training run per trial, and its checkpoints
  // were pruned once the last variant using them was scored.
  CHECK(!fs::exists(o.out + "/runs/net+svm/trial1/run"));
  CHECK(fs::exists(o.out + "/runs/net/trial1/run/test_metrics.json"));
  CHECK(!fs::exists(o.out + "/runs/net/trial1/run/best.npz"));
  CHECK(Json::load(o.out + "/runs/net+svm/trial1/metrics.json")["head"].str().rfind("svm rbf", 0) == 0);
  std::ifstream md(o.out + "/results.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  CHECK(text.find("| net | softmax | 2/2 |") != std::string::npos);
  CHECK(text.find("| predicted \\ painter | painter0 | painter1 | painter2 |") != std::string::npos);

  // A second invocation reuses every trial: the files (and so the table) do not change.
  const auto stamp = fs::last_write_time(o.out + "/runs/net/trial2/metrics.json");
  const Json again = run_experiment(o);
  CHECK(fs::last_write_time(o.out + "/runs/net/trial2/metrics.json") == stamp);
  CHECK(again.dump() == r.dump());
  // A changed variant reruns (its settings no longer match its trials' metrics.json).
  o.file = p.study(R"([{"name": "net", "train": {"lr": 0.001}}])");
  run_experiment(o);
  CHECK(fs::last_write_time(o.out + "/runs/net/trial2/metrics.json") != stamp);
}

TEST_CASE("experiment: a trial whose training was interrupted resumes from its last checkpoint") {
  const Paintings p;
  ExperimentOptions o;
  o.file = p.study(R"([{"name": "net"}])", R"("keep_checkpoints": true,)");
  o.out = p.dir + "/out";
  o.quiet = true;
  o.trials = 1;
  const Json first = run_experiment(o);
  const std::string run = o.out + "/runs/net/trial1/run";
  REQUIRE(fs::exists(run + "/last.npz"));  // kept: keep_checkpoints
  // As if the process had died after the last epoch but before the test evaluation and the trial's files.
  fs::remove(run + "/test_metrics.json");
  fs::remove(o.out + "/runs/net/trial1/metrics.json");
  const auto log_before = fs::file_size(run + "/log.jsonl");
  const Json again = run_experiment(o);
  CHECK(fs::file_size(run + "/log.jsonl") == log_before);  // no epoch was trained again
  CHECK(fs::exists(run + "/test_metrics.json"));
  CHECK(again["variants"].items()[0]["metrics"]["accuracy"]["mean"].num() ==
        first["variants"].items()[0]["metrics"]["accuracy"]["mean"].num());
}

TEST_CASE("experiment: a two-stage variant starts each trial from the earlier variant's net of that trial") {
  const Paintings p;
  ExperimentOptions o;
  o.file = p.study(R"([{"name": "head", "train": {"freeze": 0.95}}, {"name": "all", "init_from": "head", "train": {"lr": 0.001}}])",
                   R"("keep_checkpoints": true,)");
  o.out = p.dir + "/out";
  o.quiet = true;
  o.trials = 1;
  const Json r = run_experiment(o);
  REQUIRE(r["variants"].items().size() == 2);
  const std::string first = o.out + "/runs/head/trial1/run", second = o.out + "/runs/all/trial1/run";
  CHECK(Json::load(second + "/config.json")["train"]["weights"].str() == fs::absolute(first).string());
  CHECK(Json::load(first + "/config.json")["train"]["weights"].str().empty());
  CHECK(Json::load(o.out + "/study.json")["variants"].items()[1]["init_from"].str() == "head");
  // The first stage froze all but the last layer; the second started from its weights and trained them all.
  const NamedTensors a = load_model_weights(first + "/best.npz"), b = load_model_weights(second + "/best.npz");
  auto weight = [](const NamedTensors& sd, const std::string& k) {
    for (const auto& [name, t] : sd)
      if (name == k) return t;
    return Tensor();
  };
  REQUIRE(weight(a, "conv1.weight").defined());
  CHECK(test::max_abs_diff(weight(a, "conv1.weight"), weight(b, "conv1.weight")) > 0);
  CHECK(r["variants"].items()[1]["trials_done"].integer() == 1);
  // Without keep_checkpoints the first stage's checkpoints go once the second stage is scored; a rerun
  // reuses both stages (the stamps hold flags, no paths), and a changed first stage reruns the second.
  o.file = p.study(R"([{"name": "head", "train": {"freeze": 0.95}}, {"name": "all", "init_from": "head", "train": {"lr": 0.001}}])");
  o.out = p.dir + "/out2";
  run_experiment(o);
  CHECK(fs::exists(o.out + "/runs/head/trial1/run/test_metrics.json"));
  CHECK(!fs::exists(o.out + "/runs/head/trial1/run/best.npz"));
  CHECK(!fs::exists(o.out + "/runs/all/trial1/run/best.npz"));
  const auto stamp = fs::last_write_time(o.out + "/runs/all/trial1/metrics.json");
  run_experiment(o);
  CHECK(fs::last_write_time(o.out + "/runs/all/trial1/metrics.json") == stamp);
  o.file = p.study(R"([{"name": "head", "train": {"freeze": 0.9}}, {"name": "all", "init_from": "head", "train": {"lr": 0.001}}])");
  run_experiment(o);
  CHECK(fs::last_write_time(o.out + "/runs/all/trial1/metrics.json") != stamp);
}

TEST_CASE("experiment: a mistyped study file is refused before any training, naming what is wrong") {
  const Paintings p;
  ExperimentOptions o;
  o.out = p.dir + "/out";
  o.file = p.study(R"([{"name": "a", "train": {"epoch": 2}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("variant 'a': train: unknown key 'epoch'"), Error);
  o.file = p.study(R"([{"name": "a", "train": {"model": "resnet7"}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("variant 'a'"), Error);
  o.file = p.study(R"([{"name": "b", "from": "a"}, {"name": "a"}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("\"from\" must name an earlier variant"), Error);
  o.file = p.study(R"([{"name": "b", "init_from": "a"}, {"name": "a"}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("\"init_from\" must name an earlier variant"), Error);
  o.file = p.study(R"([{"name": "a"}, {"name": "b", "init_from": "a"}, {"name": "c", "init_from": "b"}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("not a \"from\" or another \"init_from\" one"), Error);
  o.file = p.study(R"([{"name": "a"}, {"name": "b", "from": "a", "init_from": "a"}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("it takes no \"init_from\""), Error);
  o.file = p.study(R"([{"name": "a"}, {"name": "b", "init_from": "a", "train": {"limit": 20}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("\"limit\" differs from \"init_from\" 'a''s"), Error);
  o.file = p.study(R"([{"name": "a"}, {"name": "b", "init_from": "a", "train": {"model": "vgg16"}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("trains a resnet18, this variant a vgg16"), Error);
  o.file = p.study(R"([{"name": "a"}])", R"("trails": 3,)");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("unknown key 'trails'"), Error);
  o.file = p.study(R"([{"name": "a", "train": {"data": "${EASEL_NO_SUCH_VAR_X}/m.csv"}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("EASEL_NO_SUCH_VAR_X is not set"), Error);
  o.file = p.study(R"([{"name": "a", "train": {"data": "no/such/manifest.csv"}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("not found"), Error);
  o.file = p.study(R"([{"name": "a", "train": {"stop-after": 1}}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("the study's to set"), Error);
  o.file = p.study(R"([{"name": "a", "eval_aug": "noize=0.1"}])");
  CHECK_THROWS_WITH_AS(run_experiment(o), doctest::Contains("eval_aug"), Error);
  CHECK(!fs::exists(o.out + "/runs"));  // nothing was trained
}
