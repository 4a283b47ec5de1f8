#include "apps/serve/server.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <fstream>
#include <numeric>
#include <thread>

#include "apps/analysis/cam.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/serve/batcher.h"
#include "apps/serve/metrics.h"
#include "io/image.h"
#include "io/transforms.h"
#include "tensor/allocator.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

namespace easel {

namespace {

std::atomic<bool> g_stop_requested{false};
extern "C" void on_stop_signal(int) { g_stop_requested = true; }

struct Failure {  // an error answer: status and message
  int status;
  std::string message;
};

void answer_error(httplib::Response& res, int status, const std::string& message) {
  Json j = Json::object();
  j.set("error", message);
  res.status = status;
  res.set_content(j.dump() + "\n", "application/json");
}

// The routes and the methods each takes (for 405's Allow header).
const std::vector<std::pair<std::string, std::string>>& routes() {
  static const std::vector<std::pair<std::string, std::string>> r = {
      {"/v1/predict", "POST"}, {"/v1/gradcam", "POST"}, {"/v1/model", "GET"}, {"/healthz", "GET"}, {"/metrics", "GET"}};
  return r;
}

std::string read_api_key(const std::string& path) {
  std::ifstream f(path);
  EASEL_CHECK(f.good(), "serve: --api-key-file ", path, ": cannot be read");
  std::string key;
  std::getline(f, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  EASEL_CHECK(key.size() >= 8, "serve: --api-key-file ", path, ": the key (its first line) needs at least 8 characters");
  return key;
}

bool same_key(const std::string& a, const std::string& b) {  // compares every byte (no early exit)
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= (unsigned char)(a[i] ^ b[i % std::max<size_t>(b.size(), 1)]);
  return diff == 0;
}

// The image a request carries: its body, or a multipart form's file (the field "image", else the
// first part with a file name).
const std::string& request_image(const httplib::Request& req) {
  if (req.is_multipart_form_data()) {
    if (req.has_file("image") && !req.get_file_value("image").content.empty()) return req.files.find("image")->second.content;
    for (const auto& [name, part] : req.files)
      if (!part.filename.empty() && !part.content.empty()) return part.content;
    throw Failure{400, "the multipart form holds no file: send the image as a file field (e.g. -F image=@painting.jpg)"};
  }
  if (req.body.empty()) throw Failure{400, "empty body: POST a JPEG or PNG image (raw, or multipart/form-data)"};
  return req.body;
}

// At most `n` holders at once (decoded images are large: a burst of connections must not hold one each).
class Slots {
 public:
  explicit Slots(int n) : free_(n) {}
  void acquire() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return free_ > 0; });
    --free_;
  }
  void release() {
    { std::lock_guard<std::mutex> l(m_); ++free_; }
    cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int free_;
};

// The request's image, decoded and preprocessed as `easel predict` does ([3, S, S]).
Tensor request_input(const Run& run, const httplib::Request& req, int64_t max_pixels, Slots& decoders) {
  // Decoding and resizing stay on this connection's thread: an OpenMP team per connection would
  // spin on the cores the batch needs.
  set_num_threads(1);
  const std::string& bytes = request_image(req);
  decoders.acquire();
  struct Release {
    Slots& s;
    ~Release() { s.release(); }
  } release{decoders};
  Tensor img;
  try {
    img = decode_image(bytes, "the request's image", max_pixels);
  } catch (const Error& e) {
    throw Failure{400, e.what()};
  }
  return model_input(run, img);  // the same draw as `easel predict` makes for an --eval-aug run
}

// httplib listens with a backlog of 5: a burst of clients would wait a second or more for a retried
// connect. The socket is bound by then; listen() again sets the system's backlog.
class Server : public httplib::Server {
 public:
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

// Restores the signal actions and joins the watcher however serve() leaves.
struct SignalWatch {
  struct sigaction old_term {}, old_int {};
  std::atomic<bool> done{false};
  std::thread watcher;
  ~SignalWatch() {
    done = true;
    if (watcher.joinable()) watcher.join();
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGINT, &old_int, nullptr);
  }
};

int64_t int_param(const httplib::Request& req, const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  if (!req.has_param(key.c_str())) return fallback;
  const std::string v = req.get_param_value(key.c_str());
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi)
    throw Failure{400, "?" + key + "=" + v + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"};
  return n;
}

}  // namespace

int64_t serve(Run& run, const Json& metadata, const ServeOptions& o, const std::function<void(int)>& on_listening) {
  EASEL_CHECK(o.max_body_mb > 0 && o.max_body_mb <= 1024, "serve: --max-body-mb must be in (0, 1024], got ", o.max_body_mb);
  EASEL_CHECK(o.max_megapixels > 0 && o.max_megapixels <= 100, "serve: --max-megapixels must be in (0, 100], got ",
              o.max_megapixels);
  EASEL_CHECK(o.http_threads >= 1 && o.http_threads <= 1000, "serve: --http-threads must be in [1, 1000], got ", o.http_threads);
  EASEL_CHECK(o.timeout_s >= 1 && o.timeout_s <= 3600, "serve: --timeout-s must be in [1, 3600], got ", o.timeout_s);
  EASEL_CHECK(o.port >= 0 && o.port <= 65535, "serve: --port must be in [0, 65535], got ", o.port);
  const std::string api_key = o.api_key_file.empty() ? "" : read_api_key(o.api_key_file);
  const std::string model_id = metadata.get("id", std::string());
  const int64_t C = int64_t(run.classes.size());
  const size_t max_body = size_t(o.max_body_mb * 1024 * 1024);
  const int64_t max_pixels = int64_t(o.max_megapixels * 1e6);
  const int compute_threads = num_threads();
  char limit_text[32];
  std::snprintf(limit_text, sizeof limit_text, "%g MB", o.max_body_mb);

  ServeMetrics metrics;
  BatcherOptions bo;
  bo.max_batch = o.max_batch, bo.wait_ms = o.batch_wait_ms, bo.max_queue = o.max_queue, bo.temperature = run.temperature;
  bo.threads = compute_threads;
  if (o.warmup) bo.warmup_image = {3, run.pre.size, run.pre.size};
  Batcher batcher(*run.net, bo, [&](int64_t n) { metrics.batch(n); });
  Slots decoders(std::max(2, compute_threads));

  Server svr;
  const int threads = o.http_threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  svr.set_payload_max_length(max_body);
  svr.set_read_timeout(o.timeout_s, 0);
  svr.set_write_timeout(o.timeout_s, 0);
  svr.set_keep_alive_timeout(std::min(o.timeout_s, 5));
  svr.set_keep_alive_max_count(100000);  // a load balancer's connection serves many requests
  svr.set_tcp_nodelay(true);  // answers leave at once (Nagle would hold the body back for an ACK)
  svr.set_logger([&](const httplib::Request& req, const httplib::Response& res) { metrics.request(req.path, res.status); });

  const auto key_problem = [&](const httplib::Request& req) -> std::string {
    if (api_key.empty() || req.path == "/healthz") return "";
    std::string given = req.get_header_value("X-API-Key");
    const std::string auth = req.get_header_value("Authorization");
    if (given.empty() && auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
    if (given.empty()) return "missing API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'";
    return same_key(given, api_key) ? "" : "wrong API key";
  };
  // Answered before the body is read: the connection is closed after the answer, since what is
  // left of the body cannot be told from the next request.
  const auto refuse_unread = [&](const httplib::Request& req, httplib::Response& res, int status, const std::string& why) {
    answer_error(res, status, why);
    const_cast<httplib::Request&>(req).set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  };
  // Before any body is read: refuse bodies whose size is not known up front or is over the limit
  // (httplib bounds only Content-Length bodies, and inflates Content-Encoding ones unbounded).
  svr.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH") return httplib::Server::HandlerResponse::Unhandled;
    if (req.has_header("Transfer-Encoding") || !req.has_header("Content-Length"))
      return refuse_unread(req, res, 411, "send the image with a Content-Length header (no chunked transfer encoding)");
    const std::string encoding = req.get_header_value("Content-Encoding");
    if (!encoding.empty() && encoding != "identity")
      return refuse_unread(req, res, 415, "Content-Encoding " + encoding + " is not accepted: send the image file as it is");
    if (req.get_header_value<uint64_t>("Content-Length") > max_body)
      return refuse_unread(req, res, 413, std::string("body over the limit of ") + limit_text + " (--max-body-mb)");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // "Expect: 100-continue" (curl, for bodies over 1 MB): a request that will be refused is refused
  // before its body is sent.
  svr.set_expect_100_continue_handler([&](const httplib::Request& req, httplib::Response& res) {
    const std::string problem = key_problem(req);
    if (!problem.empty()) {
      answer_error(res, 401, problem);
      return 401;
    }
    if (req.get_header_value<uint64_t>("Content-Length") > max_body) {
      answer_error(res, 413, std::string("body over the limit of ") + limit_text + " (--max-body-mb)");
      return 413;
    }
    return 100;
  });
  // Statuses httplib sets itself (404, 413, 400 on a malformed request) get a JSON body too.
  svr.set_error_handler(httplib::Server::HandlerWithResponse([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours already
    if (res.status == 404) answer_error(res, 404, "no route " + req.path + " (routes: POST /v1/predict, POST /v1/gradcam, GET /v1/model, GET /healthz, GET /metrics)");
    else if (res.status == 413 && req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
      answer_error(res, 413, "a form-urlencoded body is limited to 8 KB: send the image with 'Content-Type: image/jpeg' "
                             "(curl -H 'Content-Type: image/jpeg' --data-binary @painting.jpg) or as a file (curl -F image=@painting.jpg)");
    else if (res.status == 413) answer_error(res, 413, std::string("body over the limit of ") + limit_text + " (--max-body-mb)");
    else answer_error(res, res.status, "HTTP " + std::to_string(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([&](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const Failure& f) {
      answer_error(res, f.status, f.message);
    } catch (const std::exception& e) {
      answer_error(res, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      answer_error(res, 500, "internal error");
    }
  });

  // Every route: the key first (the body, bounded above, has been read by then).
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  const auto guarded = [&](Handler h) {
    return [&, h](const httplib::Request& req, httplib::Response& res) {
      const std::string problem = key_problem(req);
      if (!problem.empty()) {
        res.set_header("WWW-Authenticate", "Bearer");
        throw Failure{401, problem};
      }
      h(req, res);
    };
  };
  svr.Post("/v1/predict", guarded([&](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    const int64_t top = int_param(req, "top", std::min<int64_t>(5, C), 1, C);
    batcher.announce();  // batches wait for this image while it decodes
    Tensor x;
    try {
      x = request_input(run, req, max_pixels, decoders);
    } catch (...) {
      batcher.withdraw();
      throw;
    }
    const auto decoded = std::chrono::steady_clock::now();
    std::vector<double> p;
    Batcher::BatchInfo batch;
    if (batcher.classify(x, &p, &batch, true) == Batcher::Status::queue_full) {
      res.set_header("Retry-After", "1");
      throw Failure{503, "busy: " + std::to_string(o.max_queue) + " images are waiting (--max-queue); retry shortly"};
    }
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return p[i] > p[j]; });
    Json j = Json::object();
    j.set("model", model_id);
    j.set("class", run.classes[order[0]]);
    j.set("probability", p[order[0]]);
    Json t = Json::array();
    for (int64_t k = 0; k < top; ++k) {
      Json e = Json::object();
      e.set("class", run.classes[order[size_t(k)]]);
      e.set("probability", p[order[size_t(k)]]);
      t.push(e);
    }
    j.set("top", t);
    j.set("batch_size", batch.size);
    res.set_content(j.dump() + "\n", "application/json");
    // Where the time went (W3C Server-Timing; browsers' network panels show it).
    char timing[160];
    std::snprintf(timing, sizeof timing, "decode;dur=%.1f, queue;dur=%.1f, net;dur=%.1f;desc=\"batch of %lld\"",
                  std::chrono::duration<double, std::milli>(decoded - start).count(), batch.queued_ms, batch.net_ms,
                  (long long)batch.size);
    res.set_header("Server-Timing", timing);
    metrics.predict_latency(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }));
  svr.Post("/v1/gradcam", guarded([&](const httplib::Request& req, httplib::Response& res) {
    int64_t cls = -1;
    if (req.has_param("class")) {
      const std::string c = req.get_param_value("class");
      const auto it = std::find(run.classes.begin(), run.classes.end(), c);
      if (it == run.classes.end()) throw Failure{400, "?class=" + c + ": not one of the model's classes"};
      cls = int64_t(it - run.classes.begin());
    }
    const Tensor x = request_input(run, req, max_pixels, decoders).unsqueeze(0);
    std::string png;
    {
      std::lock_guard<std::mutex> l(batcher.net_mutex());  // a backward pass: the net to itself, all cores
      set_num_threads(compute_threads);
      const Cam cam = compute_cam(*run.net, x, "", "gradcam", cls);
      png = encode_png(overlay(denormalize(x.select(0, 0), run.pre.preset), cam.image), "gradcam");
      res.set_header("X-Easel-Class", run.classes[size_t(cam.cls)]);
    }
    res.set_content(png, "image/png");
  }));
  svr.Get("/v1/model", guarded([&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metadata.dump() + "\n", "application/json");
  }));
  svr.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    Json j = Json::object();
    j.set("status", "ok");
    j.set("model", model_id);
    j.set("warmed_up", batcher.warmed_up());
    res.set_content(j.dump() + "\n", "application/json");
  });
  svr.Get("/metrics", guarded([&](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.text(batcher.queue_depth(), resident_memory_bytes(), int64_t(cpu_cached_bytes())),
                    "text/plain; version=0.0.4");
  }));
  // A known path asked with another method: 405 naming the one it takes (after the body is read).
  for (const auto& [path, method] : routes()) {
    const std::string allow = method == "GET" ? "GET, HEAD" : method;
    const Handler not_allowed = [path = path, allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      throw Failure{405, req.method + " " + path + ": not allowed (use " + allow + ")"};
    };
    if (method != "GET") svr.Get(path, not_allowed);
    if (method != "POST") svr.Post(path, not_allowed);
    svr.Put(path, not_allowed);
    svr.Patch(path, not_allowed);
    svr.Delete(path, not_allowed);
  }

  int port = o.port;
  if (port == 0) {
    port = svr.bind_to_any_port(o.host);
    EASEL_CHECK(port > 0, "serve: cannot bind ", o.host, " on any port");
  } else {
    EASEL_CHECK(svr.bind_to_port(o.host, port), "serve: cannot bind ", o.host, ":", port,
                " (in use, or not an address of this machine?)");
  }
  svr.widen_backlog();

  // SIGTERM / SIGINT end the accept loop (once it runs: stop() before it does nothing); batches stop
  // waiting to fill, and httplib's pool finishes the requests it is serving.
  g_stop_requested = false;
  SignalWatch watch;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &watch.old_term);
  sigaction(SIGINT, &sa, &watch.old_int);
  watch.watcher = std::thread([&] {
    while (!watch.done) {
      if (g_stop_requested && svr.is_running()) {
        batcher.stop_waiting();
        svr.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  on_listening(port);
  const bool ok = svr.listen_after_bind();
  EASEL_CHECK(ok || g_stop_requested, "serve: the listening socket failed");
  return metrics.requests();
}

}  // namespace easel
