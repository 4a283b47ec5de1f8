// `easel train --device cuda` against the same run on the CPU: the training loop, the evaluation
// and the checkpoints (written through the host) of a small ResNet on generated paintings.
#include <doctest/doctest.h>

#include <filesystem>

#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/train/trainer.h"
#include "autograd/conv_winograd.h"
#include "io/checkpoint.h"
#include "tests/cuda/device_check.h"
#include "tests/paintings.h"

using namespace easel;
using namespace easel::device_check;
using namespace easel::test;

namespace {

TrainConfig small_run(const std::string& data, const std::string& out, const std::string& device) {
  TrainConfig o;
  o.data = data, o.out = out, o.model = "resnet18", o.pre.size = 24, o.epochs = 2, o.batch = 8;
  o.optimizer = "adamw", o.lr = 1e-3, o.quiet = true, o.workers = 1, o.seed = 5, o.overwrite = true;
  o.aug = Augment::parse("hflip");
  o.device = device;
  return o;
}

}  // namespace

TEST_SUITE("cuda") {

TEST_CASE("training on the device follows the CPU run, and its checkpoints resume it exactly") {
  const std::string data = make_paintings(12), cpu = data + "_cpu", dev = data + "_dev", resumed = data + "_resumed";
  set_conv_algorithm(ConvAlgorithm::im2col);  // the CPU convolves as the device does (see test_device_nets.cpp)
  train(small_run(data, cpu, "cpu"));
  set_conv_algorithm(ConvAlgorithm::automatic);
  train(small_run(data, dev, "cuda"));
  const std::vector<Json> lc = log_lines(cpu), ld = log_lines(dev);
  REQUIRE(lc.size() == 2);
  REQUIRE(ld.size() == 2);
  // f32, GEMMs summing in different orders, and training amplifies that step by step (by the end
  // of epoch 2 the losses differ by about 1%): the first epoch is compared.
  MESSAGE("epoch 1 train loss cpu ", lc[0]["train_loss"].num(), " device ", ld[0]["train_loss"].num(), ", val loss cpu ",
          lc[0]["val_loss"].num(), " device ", ld[0]["val_loss"].num());
  CHECK(ld[0]["train_loss"].num() == doctest::Approx(lc[0]["train_loss"].num()).epsilon(1e-3));
  CHECK(ld[0]["val_loss"].num() == doctest::Approx(lc[0]["val_loss"].num()).epsilon(3e-3));
  // The checkpoint holds host tensors that load into a CPU net.
  const Checkpoint ck = load_checkpoint(dev + "/last.npz");
  for (const auto& [name, t] : ck.model) CHECK(t.device().is_cpu());
  CHECK(!ck.optimizer.empty());

  // Interrupted after epoch 1 on the device and resumed there: the uninterrupted device run, bit for bit.
  TrainConfig o = small_run(data, resumed, "cuda");
  o.stop_after = 1;
  train(o);
  o.stop_after = 0, o.resume = true;
  train(o);
  const std::vector<Json> lr = log_lines(resumed);
  REQUIRE(lr.size() == 2);
  for (size_t e = 0; e < 2; ++e) {
    CHECK(lr[e]["train_loss"].num() == ld[e]["train_loss"].num());
    CHECK(lr[e]["val_loss"].num() == ld[e]["val_loss"].num());
  }
  // eval / predict / features --device: the trained run loaded onto the device says what it says on the CPU.
  const Run on_cpu = load_run(dev), on_dev = load_run(dev, "best.npz", kDev);
  CHECK(on_dev.net->parameters().at(0).device() == kDev);
  std::vector<size_t> test_rows;
  const Dataset images = run_dataset(on_cpu, &test_rows);
  LoaderOptions lo;
  lo.batch = 4, lo.workers = 1, lo.pre = on_cpu.pre;
  DataLoader lc_loader(images, test_rows, lo), ld_loader(images, test_rows, lo);
  const Outputs oc = collect_outputs(*on_cpu.net, lc_loader), od = collect_outputs(*on_dev.net, ld_loader);
  REQUIRE(!oc.logits.empty());
  REQUIRE(od.logits.size() == oc.logits.size());
  CHECK(od.indices == oc.indices);
  for (size_t i = 0; i < oc.logits.size(); ++i)
    for (size_t k = 0; k < oc.logits[i].size(); ++k) CHECK(od.logits[i][k] == doctest::Approx(oc.logits[i][k]).epsilon(1e-4));
  check_matches(od.embeddings.cuda(), oc.embeddings, "embeddings", 1e-4);
  CHECK_THROWS_WITH_AS(train(small_run(data, data + "_bad", "gpu")), doctest::Contains("unknown device 'gpu'"), Error);
  for (const auto& d : {data, cpu, dev, resumed}) std::filesystem::remove_all(d);
}

}  // TEST_SUITE
