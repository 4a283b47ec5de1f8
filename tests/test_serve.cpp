// easel serve's parts that need no socket: the batcher (batched rows equal single-image inference)
// and the Prometheus histogram. The HTTP side runs end to end in tests/serve.sh.
#include <thread>

#include "apps/serve/batcher.h"
#include "apps/serve/metrics.h"
#include "helpers.h"
#include "nets/net.h"
#include "tensor/allocator.h"

using namespace easel;
using namespace easel::test;

TEST_CASE("batcher: concurrent images are batched and each row equals single-image inference") {
  auto net = create_net("resnet18", 3);
  net->eval();
  const int64_t n = 10;
  std::vector<Tensor> images;
  std::vector<std::vector<double>> single;
  for (int64_t i = 0; i < n; ++i) {
    images.push_back(rnd({3, 32, 32}, 100 + uint64_t(i), -1, 1, false).to(DType::f32));
    NoGradGuard ng;
    single.push_back(softmax((*net)(images.back().unsqueeze(0)) * (1.0 / 2.0), 1).to_vector());
  }
  std::vector<int64_t> batches;
  BatcherOptions o;
  o.max_batch = 7, o.wait_ms = 2000, o.temperature = 2;  // a long wait: the first seven leave as one batch
  {
    Batcher b(*net, o, [&](int64_t size) { batches.push_back(size); });
    std::vector<std::vector<double>> got(n);
    std::vector<Batcher::BatchInfo> info(n);
    std::vector<std::thread> clients;
    for (int64_t i = 0; i < n; ++i)
      clients.emplace_back([&, i] { CHECK(b.classify(images[size_t(i)], &got[size_t(i)], &info[size_t(i)]) == Batcher::Status::ok); });
    for (auto& t : clients) t.join();
    for (int64_t i = 0; i < n; ++i) {
      REQUIRE(got[size_t(i)].size() == 3);
      for (size_t c = 0; c < 3; ++c) CHECK(got[size_t(i)][c] == doctest::Approx(single[size_t(i)][c]).epsilon(1e-5));
      CHECK((info[size_t(i)].size == 7 || info[size_t(i)].size == 3));
      CHECK(info[size_t(i)].net_ms > 0);
      CHECK(info[size_t(i)].queued_ms >= 0);
    }
  }
  REQUIRE(batches.size() == 2);  // 7 (full; run as 4 + 2 + 1) + 3 (after the wait; 2 + 1)
  CHECK(batches[0] == 7);
  CHECK(batches[1] == 3);
}

TEST_CASE("batcher: a batch runs as forward passes of its powers of two") {
  CHECK(Batcher::forward_sizes(13) == std::vector<int64_t>{8, 4, 1});
  CHECK(Batcher::forward_sizes(16) == std::vector<int64_t>{16});
  CHECK(Batcher::forward_sizes(7) == std::vector<int64_t>{4, 2, 1});
  CHECK(Batcher::forward_sizes(1) == std::vector<int64_t>{1});
  CHECK(Batcher::forward_sizes(0).empty());
}

TEST_CASE("batcher: a lone client does not wait; an announced request is waited for") {
  auto net = create_net("resnet18", 2);
  net->eval();
  BatcherOptions o;
  o.max_batch = 8, o.wait_ms = 3000;
  Batcher b(*net, o);
  const Tensor img = rnd({3, 32, 32}, 3, -1, 1, false).to(DType::f32);
  std::vector<double> p;
  Batcher::BatchInfo info;
  CHECK(b.classify(img, &p, &info) == Batcher::Status::ok);  // the first batch waits its 3 s
  CHECK(info.size == 1);
  CHECK(info.queued_ms >= 2900);
  for (int i = 0; i < 3; ++i) {  // one client, one image at a time
    CHECK(b.classify(img, &p, &info) == Batcher::Status::ok);
    CHECK(info.size == 1);
  }
  b.announce();  // a second request is decoding: the next image waits for it, and no longer
  std::thread second([&] {
    while (b.queue_depth() == 0) std::this_thread::yield();
    std::vector<double> q;
    CHECK(b.classify(img, &q, nullptr, true) == Batcher::Status::ok);
  });
  CHECK(b.classify(img, &p, &info) == Batcher::Status::ok);
  second.join();
  CHECK(info.size == 2);
  // The rule itself: full, hurried, or a lone client (last batch of one, nothing announced).
  CHECK(Batcher::leaves_now(8, 8, 3, 8, false));
  CHECK(Batcher::leaves_now(1, 8, 3, 8, true));
  CHECK(Batcher::leaves_now(1, 8, 0, 1, false));
  CHECK_FALSE(Batcher::leaves_now(1, 8, 1, 1, false));  // another request is decoding
  CHECK_FALSE(Batcher::leaves_now(1, 8, 0, 4, false));  // under load: wait for the batch to fill
  CHECK_FALSE(Batcher::leaves_now(1, 8, 0, 0, false));  // the first batch waits
}

TEST_CASE("batcher: warm-up runs each batch shape while idle; a full batch then takes no new memory") {
  auto net = create_net("resnet18", 3);
  net->eval();
  BatcherOptions o;
  o.max_batch = 6, o.wait_ms = 5000, o.warmup_image = {3, 32, 32};  // warm-up passes of 1, 2 and 4
  std::vector<int64_t> batches;
  cpu_empty_cache();  // the cases above left blocks of these shapes: only the warm-up may provide them here
  Batcher b(*net, o, [&](int64_t size) { batches.push_back(size); });
  for (int i = 0; i < 6000 && !b.warmed_up(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(b.warmed_up());
  CHECK(batches.empty());  // warm-up passes are not batches
  const size_t before = cpu_system_bytes();
  std::vector<std::vector<double>> got(6);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < 6; ++i)  // one batch of 6 = 4 + 2
    clients.emplace_back([&, i] { CHECK(b.classify(rnd({3, 32, 32}, 7 + i, -1, 1, false).to(DType::f32), &got[i]) == Batcher::Status::ok); });
  for (auto& t : clients) t.join();
  CHECK(batches == std::vector<int64_t>{6});
  CHECK(cpu_system_bytes() <= before);  // without the warm-up the batch's blocks would be new (tested below)
  NoGradGuard ng;
  const Tensor x = rnd({3, 32, 32}, 7, -1, 1, false).to(DType::f32).unsqueeze(0);
  const std::vector<double> single = softmax((*net)(x), 1).to_vector();
  for (size_t c = 0; c < 3; ++c) CHECK(got[0][c] == doctest::Approx(single[c]).epsilon(1e-5));

  auto cold_net = create_net("resnet18", 3);  // the same first batch on a net that never ran
  cold_net->eval();
  o.warmup_image.clear();
  Batcher cold(*cold_net, o);
  cpu_empty_cache();  // else the blocks the batch above left would serve this one
  const size_t cold_before = cpu_system_bytes();
  std::vector<std::thread> cold_clients;
  for (size_t i = 0; i < 6; ++i)
    cold_clients.emplace_back([&, i] { std::vector<double> q; cold.classify(rnd({3, 32, 32}, 7 + i, -1, 1, false).to(DType::f32), &q); });
  for (auto& t : cold_clients) t.join();
  if (cpu_cached_bytes() > 0) CHECK(cpu_system_bytes() > cold_before);  // (ASan builds cache nothing)
}

TEST_CASE("batcher: a full queue refuses at once; a bad image's error reaches its caller") {
  auto net = create_net("resnet18", 2);
  net->eval();
  BatcherOptions o;
  o.max_batch = 8, o.wait_ms = 1000, o.max_queue = 1;
  Batcher b(*net, o);
  std::vector<double> p1, p2;
  std::thread first([&] { CHECK(b.classify(rnd({3, 32, 32}, 1, -1, 1, false).to(DType::f32), &p1) == Batcher::Status::ok); });
  while (b.queue_depth() == 0) std::this_thread::yield();
  CHECK(b.classify(rnd({3, 32, 32}, 2, -1, 1, false).to(DType::f32), &p2) == Batcher::Status::queue_full);
  first.join();
  CHECK(p1.size() == 2);
  CHECK_THROWS_AS(b.classify(Tensor::zeros({5, 32, 32}), &p2), Error);  // 5 channels: the net's error, not a hang
}

TEST_CASE("metrics: Prometheus histograms are cumulative; paths outside the API are 'other'") {
  Histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 3.0, 9.0}) h.observe(v);
  CHECK(h.counts == std::vector<int64_t>{2, 2, 3});
  CHECK(h.count == 4);
  CHECK(h.sum == 13.5);
  CHECK(h.quantile(0.5) == 1);
  CHECK(h.quantile(0.75) == 4);
  CHECK(std::isinf(h.quantile(1.0)));
  const std::string t = h.text("x", "help");
  CHECK(t.find("x_bucket{le=\"2\"} 2\nx_bucket{le=\"4\"} 3\nx_bucket{le=\"+Inf\"} 4\nx_sum 13.5\nx_count 4\n") != std::string::npos);
  ServeMetrics m;
  m.request("/v1/predict", 200);
  m.request("/v1/predict", 200);
  m.request("/etc/passwd", 404);
  m.batch(3);
  const std::string s = m.text(7, 1000, 24);
  CHECK(s.find("easel_requests_total{path=\"/v1/predict\",status=\"200\"} 2\n") != std::string::npos);
  CHECK(s.find("easel_requests_total{path=\"other\",status=\"404\"} 1\n") != std::string::npos);
  CHECK(s.find("easel_queue_depth 7\n") != std::string::npos);
  CHECK(s.find("easel_images_total 3\n") != std::string::npos);
  CHECK(s.find("easel_resident_memory_bytes 1000\n") != std::string::npos);
  CHECK(s.find("easel_allocator_cached_bytes 24\n") != std::string::npos);
  CHECK(resident_memory_bytes() > 1000000);  // this test process holds more than a megabyte
  CHECK(m.requests() == 3);
}
