// Datasets (ImageFolder, CSV), splits, class weights, SMOTE, transforms and the threaded loader.
#include <filesystem>
#include <fstream>

#include "helpers.h"
#include "io/dataset.h"
#include "io/image.h"
#include "io/loader.h"

using namespace easel;
using namespace easel::test;
namespace fs = std::filesystem;

namespace {

// DIR/{cats,dogs,fish}/ with 4, 6 and 2 small PNGs, plus one corrupt "image".
std::string make_folder() {
  const std::string dir = "/tmp/easel_data_" + std::to_string(getpid());
  fs::remove_all(dir);
  const std::pair<const char*, int> classes[] = {{"cats", 4}, {"dogs", 6}, {"fish", 2}};
  Generator g(3);
  for (const auto& [name, n] : classes) {
    fs::create_directories(dir + "/" + name);
    for (int i = 0; i < n; ++i) save_png(dir + "/" + name + "/" + std::to_string(i) + ".png", Tensor::rand({3, 12, 16}, DType::f32, &g));
  }
  std::ofstream(dir + "/dogs/broken.jpg") << "not a jpeg";
  return dir;
}

}  // namespace

TEST_CASE("ImageFolder: sorted classes, images by extension, counts") {
  const std::string dir = make_folder();
  const Dataset d = image_folder(dir);
  CHECK(d.classes == std::vector<std::string>{"cats", "dogs", "fish"});
  CHECK(d.class_counts() == std::vector<int64_t>{4, 7, 2});
  CHECK(d.summary().find("1 dogs: 7") != std::string::npos);
  CHECK(error_of([] { image_folder("/nonexistent"); }) == "/nonexistent: not a folder");
  fs::remove_all(dir);
}

TEST_CASE("CSV manifest: label column, path template, filters, quoting, errors") {
  const std::string dir = make_folder(), csv = dir + "/manifest.csv";
  std::ofstream(csv) << "split,genre,file,note\n"
                        "dev,cats,0.png,\"a, quoted \"\"note\"\"\"\n"
                        "dev,dogs,1.png,x\n"
                        "holdout,dogs,2.png,x\n"
                        "dev,fish,0.png,x\n";
  CsvOptions o;
  o.label_column = "genre";
  o.path_template = "{genre}/{file}";
  o.where = {{"split", "dev"}};
  const Dataset d = csv_manifest(csv, o);
  CHECK(d.classes == std::vector<std::string>{"cats", "dogs", "fish"});
  REQUIRE(d.samples.size() == 3);
  CHECK(d.samples[0].path == dir + "/cats/0.png");
  CHECK(d.samples[0].columns.at("note") == "a, quoted \"note\"");
  CHECK(d.samples[2].label == 2);
  CHECK(load_image(d.samples[1].path).shape() == Shape{3, 12, 16});
  o.label_column = "style";
  CHECK(error_of([&] { csv_manifest(csv, o); }) == csv + ": no column 'style' (columns: split genre file note)");
  std::ofstream(csv, std::ios::app) << "dev,cats\n";
  o.label_column = "genre";
  CHECK(error_of([&] { csv_manifest(csv, o); }) == csv + ":6: 2 fields, the header has 4");
  fs::remove_all(dir);
}

TEST_CASE("stratified split keeps class proportions and is deterministic") {
  std::vector<int64_t> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i < 80 ? 0 : 1);
  const Split s = stratified_split(labels, 0.7, 0.15, 42);
  CHECK(s.train.size() + s.val.size() + s.test.size() == 100);
  int64_t minority_train = 0;
  for (size_t i : s.train) minority_train += labels[i];
  CHECK(minority_train == 14);  // 70 % of 20
  CHECK(s.val.size() == 12 + 3);
  const Split again = stratified_split(labels, 0.7, 0.15, 42);
  CHECK(again.train == s.train);
  CHECK(stratified_split(labels, 0.7, 0.15, 43).train != s.train);
}

TEST_CASE("class weights are N / N_c") {
  const std::vector<double> w = class_weights({0, 0, 0, 1, 2, 2}, 4);
  CHECK(w == std::vector<double>{2, 6, 3, 0});
}

TEST_CASE("SMOTE balances classes with points between same-class neighbours") {
  // class 0: 6 points on the x axis; class 1: 2 points at (0, 5) and (0, 7)
  const Tensor X = Tensor::from({0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0, 5, 0, 7}, {8, 2}, DType::f64);
  const std::vector<int64_t> y = {0, 0, 0, 0, 0, 0, 1, 1};
  const Smoted s = smote(X, y, 5, 1);
  CHECK(s.labels.size() == 12);
  CHECK(std::count(s.labels.begin(), s.labels.end(), 1) == 6);
  for (int64_t i = 8; i < 12; ++i) {  // synthetic minority points lie on the segment between the two
    CHECK(s.features.at({i, 0}) == 0);
    CHECK(s.features.at({i, 1}) >= 5);
    CHECK(s.features.at({i, 1}) <= 7);
  }
  CHECK(error_of([] { smote(Tensor::zeros({3, 2}), {0, 0, 1}, 5, 0); }).find("class 1 has 1 sample") != std::string::npos);
}

TEST_CASE("augmentation specs parse, and bad ones are named") {
  const Augment a = Augment::parse("hflip,noise=0.1,blur=7:2,contrast=0.2");
  CHECK(a.hflip);
  CHECK(a.noise == 0.1);
  CHECK(a.blur_kernel == 7);
  CHECK(a.str() == "hflip,noise=0.1,blur=7:2,contrast=0.2");
  CHECK(error_of([] { Augment::parse("blur=7"); }).find("write blur=KERNEL:SIGMA") != std::string::npos);
  CHECK(error_of([] { Augment::parse("zoom=2"); }).find("unknown augmentation 'zoom=2'") != std::string::npos);
}

TEST_CASE("presets: imagenet, caffe (BGR, 0-255 minus means), tf ([-1, 1])") {
  const Tensor px = Tensor::from({1.0, 0.5, 0.0}, {3, 1, 1});
  check_values(normalize(px, "imagenet"), {(1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225}, 1e-5);
  check_values(normalize(px, "caffe"), {0 - 103.939, 127.5 - 116.779, 255 - 123.68}, 1e-4);
  check_values(normalize(px, "tf"), {1, 0, -1}, 1e-6);
  for (const char* p : {"imagenet", "caffe", "tf"}) check_values(denormalize(normalize(px, p), p), {1, 0.5, 0}, 1e-5);
}

TEST_CASE("loader: batches are the same with 0, 1 or 3 workers; bad images are skipped or fatal") {
  const std::string dir = make_folder();
  const Dataset d = image_folder(dir);
  std::vector<size_t> all(d.samples.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  LoaderOptions o;
  o.batch = 4, o.shuffle = true, o.seed = 5, o.pre.size = 8, o.augment = true, o.aug = Augment::parse("hflip,noise=0.1,crop");
  std::vector<std::vector<double>> runs;
  for (int workers : {0, 1, 3}) {
    o.workers = workers;
    DataLoader dl(d, all, o);
    CHECK(dl.batches_per_epoch() == 4);
    dl.start_epoch(2);
    Batch b;
    std::vector<double> seen;
    int64_t images = 0;
    while (dl.next(&b)) {
      CHECK(b.images.shape()[1] == 3);
      CHECK(b.images.shape()[2] == 8);
      images += b.images.size(0);
      for (double v : b.images.to_vector()) seen.push_back(v);
      for (double v : b.labels.to_vector()) seen.push_back(v);
    }
    CHECK(images == 12);  // 13 files, the broken one skipped
    runs.push_back(seen);
  }
  CHECK(runs[0] == runs[1]);
  CHECK(runs[0] == runs[2]);
  o.skip_bad = false;
  DataLoader strict(d, all, o);
  strict.start_epoch(0);
  Batch b;
  CHECK(error_of([&] { while (strict.next(&b)) {} }).find("broken.jpg: cannot decode image") != std::string::npos);
  fs::remove_all(dir);
}
