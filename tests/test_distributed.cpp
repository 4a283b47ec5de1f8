// Data parallelism's single-process parts: synchronised batch norm with one rank is batch norm
// (values, running statistics, gradients) and passes gradcheck; the loader's shards of every batch
// add up to the batch; gradients are packed into buckets and back; distributed flags refused where
// they cannot work. The real ranks: tests/distributed (mpirun, label mpi).
#include <unistd.h>

#include <filesystem>

#include "apps/model/config.h"
#include "helpers.h"
#include "io/image.h"
#include "io/loader.h"
#include "optim/data_parallel.h"
#include "tensor/comm.h"

using namespace easel;
using namespace easel::test;
using Ts = const std::vector<Tensor>&;

namespace {

// Pretends to be rank 0 of 2 whose partner holds the same data: every sum doubles.
struct MirrorCommunicator : Communicator {
  int size() const override { return 2; }
  void all_reduce_sum(float* p, int64_t n) override { for (int64_t i = 0; i < n; ++i) p[i] *= 2; }
  void all_reduce_sum(double* p, int64_t n) override { for (int64_t i = 0; i < n; ++i) p[i] *= 2; }
};

struct WorldGuard {  // restores the single process when a test ends, passed or not
  ~WorldGuard() { set_world(nullptr); }
};

}  // namespace

TEST_CASE("sync_batch_norm with one process is batch_norm: output, running statistics, gradients") {
  const Tensor x = rnd({4, 3, 5, 2}, 301), w = rnd({3}, 302, 0.5, 1.5), b = rnd({3}, 303);
  Tensor rm1 = rnd({3}, 304, -0.2, 0.2, false), rv1 = rnd({3}, 305, 0.5, 1.5, false);
  Tensor rm2 = rm1.clone(), rv2 = rv1.clone();
  const Tensor y1 = batch_norm(x, rm1, rv1, w, b, true, 0.1, 1e-5);
  const Tensor y2 = sync_batch_norm(x, rm2, rv2, w, b, 0.1, 1e-5);
  CHECK(max_abs_diff(y1, y2) < 1e-12);
  CHECK(max_abs_diff(rm1, rm2) < 1e-14);
  CHECK(max_abs_diff(rv1, rv2) < 1e-14);
  const Tensor gy = rnd({4, 3, 5, 2}, 306, -1, 1, false);
  auto grads = [&](const Tensor& y) {
    for (Tensor t : {x, w, b}) t.zero_grad();
    sum(y * gy).backward();
    return std::vector<Tensor>{x.grad(), w.grad(), b.grad()};
  };
  const std::vector<Tensor> g1 = grads(y1), g2 = grads(y2);
  for (size_t i = 0; i < 3; ++i) CHECK(max_abs_diff(g1[i], g2[i]) < 1e-12);
  check_grad([](Ts v) { return sync_batch_norm(v[0], Tensor(), Tensor(), v[1], v[2]); }, {x, w, b});
  check_grad([](Ts v) { return all_reduce_sum(v[0]) * 3.0; }, {rnd({2, 3}, 307)});
}

TEST_CASE("the loader's shards of each batch are the batch, in order, the last short batch too") {
  const std::string dir = "/tmp/easel_shards_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  Dataset ds;
  ds.classes = {"a", "b"};
  Generator g(5);
  for (int i = 0; i < 11; ++i) {
    const std::string path = dir + "/" + std::to_string(i) + ".png";
    std::filesystem::create_directories(dir);
    save_png(path, Tensor::rand({3, 8, 8}, DType::f32, &g));
    ds.samples.push_back({path, i % 2, {}});
  }
  std::vector<size_t> idx(11);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  LoaderOptions lo;
  lo.batch = 4, lo.shuffle = true, lo.seed = 9, lo.workers = 0, lo.pre.size = 8;
  auto batches = [&](int shard, int count) {  // each batch's dataset indices
    LoaderOptions o = lo;
    o.shard = shard, o.shards = count;
    DataLoader l(ds, idx, o);
    l.start_epoch(2);
    std::vector<std::vector<size_t>> out;
    for (Batch b; l.next(&b);) out.push_back(b.indices);
    return out;
  };
  const std::vector<std::vector<size_t>> all = batches(0, 1);
  REQUIRE(all.size() == 3);
  CHECK(all[2].size() == 3);
  for (int shards : {2, 3}) {
    std::vector<std::vector<std::vector<size_t>>> parts;
    for (int r = 0; r < shards; ++r) parts.push_back(batches(r, shards));
    for (size_t b = 0; b < all.size(); ++b) {
      std::vector<size_t> joined;
      for (int r = 0; r < shards; ++r) {
        REQUIRE(parts[size_t(r)].size() == all.size());  // every rank takes every step
        const auto& part = parts[size_t(r)][b];
        CHECK(part.size() * size_t(shards) + size_t(shards) > all[b].size());  // near-equal parts
        joined.insert(joined.end(), part.begin(), part.end());
      }
      CHECK(joined == all[b]);
    }
  }
  LoaderOptions bad = lo;
  bad.shard = 2, bad.shards = 2;
  CHECK_THROWS_WITH_AS(DataLoader(ds, idx, bad), doctest::Contains("shard 2 of 2 does not exist"), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("all_reduce_gradients packs every gradient into buckets and back, each dtype apart") {
  WorldGuard restore;
  std::vector<Tensor> params;
  for (int i = 0; i < 5; ++i) {
    Tensor p = Tensor::zeros({int64_t(3 + i), 2}, i % 2 ? DType::f32 : DType::f64);
    p.requires_grad_();
    p.set_grad(rnd({int64_t(3 + i), 2}, uint64_t(310 + i), -1, 1, false).to(p.dtype()));
    params.push_back(p);
  }
  Tensor unused = Tensor::zeros({2}, DType::f64);
  unused.requires_grad_();
  params.push_back(unused);
  std::vector<std::vector<double>> before;
  for (const Tensor& p : params) before.push_back(p.grad().defined() ? p.grad().to_vector() : std::vector<double>{});
  set_world(std::make_unique<MirrorCommunicator>());
  for (int64_t bucket : {int64_t(8), int64_t(40), int64_t(1) << 20}) {
    for (size_t i = 0; i + 1 < params.size(); ++i) params[i].set_grad(Tensor::from(before[i], params[i].shape(), params[i].dtype()));
    all_reduce_gradients(params, bucket);
    for (size_t i = 0; i + 1 < params.size(); ++i) {
      const std::vector<double> after = params[i].grad().to_vector();
      for (size_t j = 0; j < after.size(); ++j) CHECK(after[j] == doctest::Approx(2 * before[i][j]).epsilon(1e-6));
    }
    CHECK_FALSE(params.back().grad().defined());  // no gradient anywhere: stays without one
  }
}

TEST_CASE("--distributed: refused with --smote and in a study, clear without MPI") {
  TrainConfig c;
  c.data = "d", c.out = "o", c.distributed = true, c.smote = true;
  CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("--smote"), Error);
  if (!mpi_built()) CHECK_THROWS_WITH_AS(open_mpi(), doctest::Contains("without MPI"), Error);
  CHECK(world().size() == 1);
}

