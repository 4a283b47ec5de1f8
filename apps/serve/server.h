// easel serve: a trained classifier behind HTTP, on cpp-httplib (Debian's libcpp-httplib-dev: a
// maintained, widely used server with a thread pool, timeouts, body limits and multipart parsing;
// a small C++ API that needs no event loop of ours). Routes:
//   POST /v1/predict  an image as the body (raw image/*, or multipart/form-data with one file);
//                     ?top=K (default 5) -> {"model", "class", "probability", "top": [{"class",
//                     "probability"}, ...], "batch_size"}; images are batched across requests (batcher.h)
//   POST /v1/gradcam  an image -> image/png: the Grad-CAM overlay `easel gradcam` makes; ?class=NAME
//   GET  /v1/model    the model file's metadata (apps/model/model_file.h)
//   GET  /healthz     {"status": "ok"}
//   GET  /metrics     Prometheus text (metrics.h)
// Every error is JSON {"error": "..."}: 400 (no image, not an image, too many pixels, a bad
// parameter), 401 (missing or wrong key with --api-key-file: "Authorization: Bearer KEY" or
// "X-API-Key: KEY"; /healthz is open), 404, 405 (with Allow), 411 (no Content-Length, or chunked),
// 413 (body over --max-body-mb), 415 (a Content-Encoding), 503 with Retry-After (queue full), 500.
// SIGTERM or SIGINT: stop accepting, let batches leave without waiting to fill, answer the requests
// being served, return. (Connections accepted but not yet being read are closed unanswered.)
#pragma once
#include <functional>
#include <string>

#include "apps/train/run.h"
#include "io/json.h"

namespace easel {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (on_listening says which)
  int64_t max_batch = 16;
  double batch_wait_ms = 5;
  int64_t max_queue = 256;
  int http_threads = 64;  // connections served at once (each keep-alive client holds one)
  double max_body_mb = 20;
  double max_megapixels = 25;  // larger images are refused before decoding (a small JPEG can claim 100 MP)
  std::string api_key_file;
  int timeout_s = 10;  // a connection idle this long (no byte read or written) is dropped
  bool warmup = true;  // while idle, one forward pass per batch shape (apps/serve/batcher.h)
};

// `metadata`: what GET /v1/model answers (model_metadata). Blocks until SIGTERM / SIGINT;
// `on_listening(port)` runs once the socket is bound. Returns the number of requests answered.
int64_t serve(Run& run, const Json& metadata, const ServeOptions& o,
              const std::function<void(int port)>& on_listening);

}  // namespace easel
