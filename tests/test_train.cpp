// A small conv net trained for a few steps on generated images lowers its loss.
#include "toy_stripes.h"
#include "helpers.h"

using namespace easel;

TEST_CASE("a small conv net learns the generated stripes task") {
  toy::TrainConfig cfg;
  cfg.steps = 40;
  const toy::TrainResult r = toy::train_stripes(cfg);
  REQUIRE(r.losses.size() == 40);
  double first = 0, last = 0;
  for (int i = 0; i < 5; ++i) first += r.losses[size_t(i)] / 5, last += r.losses[size_t(35 + i)] / 5;
  MESSAGE("mean loss of steps 1-5: " << first << ", of steps 36-40: " << last << ", validation accuracy "
                                     << r.val_accuracy);
  CHECK(first > 0.9);  // about ln 3 at the start
  CHECK(last < 0.5 * first);
  CHECK(r.val_accuracy > 0.8);  // chance is 1/3
}

TEST_CASE("training is reproducible from the seed, in f32 and f64") {
  toy::TrainConfig cfg;
  cfg.steps = 5;
  CHECK(toy::train_stripes(cfg).losses == toy::train_stripes(cfg).losses);
  cfg.dtype = DType::f64;
  const toy::TrainResult d = toy::train_stripes(cfg);
  cfg.dtype = DType::f32;
  const toy::TrainResult f = toy::train_stripes(cfg);
  for (size_t i = 0; i < 5; ++i) CHECK(std::abs(d.losses[i] - f.losses[i]) < 1e-4);
}
