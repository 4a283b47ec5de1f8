// easel serve --model MODEL.npz | --run RUN_DIR [--host 127.0.0.1] [--port 8080] [--max-batch 16]
//             [--batch-wait-ms 5] [--max-queue 256] [--threads N] [--http-threads 64]
//             [--max-body-mb 20] [--max-megapixels 25] [--api-key-file F] [--timeout-s 10] [--no-warmup]
// The classifier behind HTTP (apps/serve/server.h); it prints the address it listens on, and on
// SIGTERM / SIGINT finishes what is in flight and exits 0.
#include <cstdio>
#include <filesystem>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/model/model_file.h"
#include "tensor/parallel.h"
#ifdef EASEL_WITH_HTTP
#include "apps/serve/server.h"
#endif

namespace easel {

int cmd_serve(int argc, char** argv) {
  const Args a(argc, argv, 2,
               {"model", "run", "checkpoint", "host", "port", "max-batch", "batch-wait-ms", "max-queue", "threads",
                "http-threads", "max-body-mb", "max-megapixels", "api-key-file", "timeout-s"},
               {"no-warmup"});
#ifndef EASEL_WITH_HTTP
  throw Error("serve: this build has no HTTP server (install libcpp-httplib-dev and rebuild Easel)");
#else
  EASEL_CHECK(a.has("run") != a.has("model"), "serve: give --model MODEL.npz or --run RUN_DIR (one of them)");
  const std::string path = a.has("model") ? a.get("model") : a.get("run");
  if (a.has("model"))
    EASEL_CHECK(std::filesystem::is_regular_file(path), "serve: --model ", path,
                ": no such file (serve takes a model file, as `easel export` writes it)");
  if (a.has("threads")) {
    const int64_t t = a.get_int("threads", 0);
    EASEL_CHECK(t >= 1 && t <= 1024, "serve: --threads must be in [1, 1024], got ", t);
    set_num_threads(int(t));
  }
  ServeOptions o;
  o.host = a.get("host", o.host);
  const auto int_in = [&](const char* flag, int64_t fallback, int64_t lo, int64_t hi) {
    const int64_t v = a.get_int(flag, fallback);
    EASEL_CHECK(v >= lo && v <= hi, "serve: --", flag, " must be in [", lo, ", ", hi, "], got ", v);
    return int(v);
  };
  o.port = int_in("port", o.port, 0, 65535);
  o.max_batch = a.get_int("max-batch", o.max_batch);
  o.batch_wait_ms = a.get_double("batch-wait-ms", o.batch_wait_ms);
  o.max_queue = a.get_int("max-queue", o.max_queue);
  o.http_threads = int_in("http-threads", o.http_threads, 1, 1000);
  o.max_body_mb = a.get_double("max-body-mb", o.max_body_mb);
  o.max_megapixels = a.get_double("max-megapixels", o.max_megapixels);
  o.api_key_file = a.get("api-key-file", "");
  o.timeout_s = int_in("timeout-s", o.timeout_s, 1, 3600);
  o.warmup = !a.has("no-warmup");
  const std::string checkpoint = a.get("checkpoint", "best.npz");
  Run run = load_run(path, checkpoint);
  const Json metadata = is_model_file(path) ? read_model_metadata(path) : model_metadata(run, path, checkpoint);
  const int64_t answered = serve(run, metadata, o, [&](int port) {
    std::printf("serve: %s (%zu classes, %lld px) on http://%s:%d  max batch %lld, wait %g ms, %d compute threads\n",
                metadata.get("id", std::string("?")).c_str(), run.classes.size(), (long long)run.pre.size, o.host.c_str(), port,
                (long long)o.max_batch, o.batch_wait_ms, num_threads());
    std::fflush(stdout);
  });
  std::printf("serve: stopped after %lld requests\n", (long long)answered);
  return 0;
#endif
}

}  // namespace easel
