// The C API (easel.h) over the model file (apps/model/model_file.h): every entry point catches
// what the engine throws and turns it into a return value plus easel_last_error().
#include "apps/capi/easel.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "apps/model/model_file.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "io/image.h"
#include "tensor/parallel.h"

struct easel_model {
  easel::Run run;
  std::string metadata;  // JSON text
  std::mutex busy;       // one classification at a time
};

namespace {

thread_local std::string last_error;
thread_local const char* last_error_fallback = nullptr;  // when even the message could not be stored
std::atomic<int> compute_threads{0};                     // easel_set_threads; 0: OpenMP's default

void set_error(const char* where, const char* what) {
  try {
    last_error = std::string(where) + ": " + what;
    last_error_fallback = nullptr;
  } catch (...) {
    last_error_fallback = "easel: out of memory";
  }
}

// Runs `f`, turning any exception into `failed` plus the thread's error text.
template <typename F, typename R>
R guarded(const char* where, R failed, F&& f) noexcept {
  last_error.clear();  // never allocates
  last_error_fallback = nullptr;
  try {
    return f();
  } catch (const easel::Error& e) {
    try {
      last_error = e.what();  // names its own place
    } catch (...) {
      last_error_fallback = "easel: out of memory";
    }
  } catch (const std::bad_alloc&) {
    set_error(where, "out of memory");
  } catch (const std::exception& e) {
    set_error(where, e.what());
  } catch (...) {
    set_error(where, "unknown error");
  }
  return failed;
}

void check_model(const easel_model* m, const char* where) { EASEL_CHECK(m, where, ": the model is NULL"); }

// [3, H, W] -> class probabilities, as `easel predict` computes them; returns the best index.
int classify(easel_model* m, const easel::Tensor& img, float* probabilities, int capacity, const char* where) {
  using namespace easel;
  const int n = int(m->run.classes.size());
  EASEL_CHECK(probabilities, where, ": the probabilities buffer is NULL");
  EASEL_CHECK(capacity >= n, where, ": the probabilities buffer holds ", capacity, " floats; the model has ", n,
              " classes");
  std::lock_guard<std::mutex> lock(m->busy);
  if (compute_threads > 0) set_num_threads(compute_threads);  // OpenMP's count is per calling thread
  const Tensor x = model_input(m->run, img).unsqueeze(0);
  NoGradGuard no_grad;
  const std::vector<double> p = softmax((*m->run.net)(x) * (1.0 / m->run.temperature), 1).to_vector();
  EASEL_CHECK(int(p.size()) == n, where, ": the net gave ", p.size(), " outputs for ", n, " classes");
  for (int c = 0; c < n; ++c) probabilities[c] = float(p[size_t(c)]);
  return int(std::max_element(p.begin(), p.end()) - p.begin());
}

}  // namespace

extern "C" {

const char* easel_version(void) noexcept { return EASEL_VERSION; }

const char* easel_last_error(void) noexcept { return last_error_fallback ? last_error_fallback : last_error.c_str(); }

int easel_set_threads(int threads) noexcept {
  return guarded("easel_set_threads", -1, [&] {
    EASEL_CHECK(threads >= 1, "easel_set_threads: ", threads, " threads; give 1 or more");
    compute_threads = threads;
    return threads;
  });
}

easel_model* easel_model_load(const char* path) noexcept {
  return guarded("easel_model_load", static_cast<easel_model*>(nullptr), [&] {
    EASEL_CHECK(path && *path, "easel_model_load: no path given");
    auto m = std::make_unique<easel_model>();
    easel::Json metadata;
    m->run = easel::load_model_file(path, easel::Device::cpu(), &metadata);
    m->metadata = metadata.dump();
    return m.release();
  });
}

void easel_model_free(easel_model* model) noexcept { delete model; }

int easel_model_num_classes(const easel_model* model) noexcept {
  return guarded("easel_model_num_classes", -1, [&] {
    check_model(model, "easel_model_num_classes");
    return int(model->run.classes.size());
  });
}

const char* easel_model_class_name(const easel_model* model, int index) noexcept {
  return guarded("easel_model_class_name", static_cast<const char*>(nullptr), [&] {
    check_model(model, "easel_model_class_name");
    const int n = int(model->run.classes.size());
    EASEL_CHECK(index >= 0 && index < n, "easel_model_class_name: index ", index, " is outside 0..", n - 1);
    return model->run.classes[size_t(index)].c_str();
  });
}

int easel_model_input_size(const easel_model* model) noexcept {
  return guarded("easel_model_input_size", -1, [&] {
    check_model(model, "easel_model_input_size");
    return int(model->run.pre.size);
  });
}

const char* easel_model_id(const easel_model* model) noexcept {
  return guarded("easel_model_id", static_cast<const char*>(nullptr), [&] {
    check_model(model, "easel_model_id");
    return model->run.model_id.c_str();
  });
}

const char* easel_model_metadata(const easel_model* model) noexcept {
  return guarded("easel_model_metadata", static_cast<const char*>(nullptr), [&] {
    check_model(model, "easel_model_metadata");
    return model->metadata.c_str();
  });
}

int easel_classify_rgb8(easel_model* model, const uint8_t* pixels, int width, int height, int stride,
                        float* probabilities, int capacity) noexcept {
  const char* where = "easel_classify_rgb8";
  return guarded(where, -1, [&] {
    check_model(model, where);
    EASEL_CHECK(pixels, where, ": the pixel buffer is NULL");
    easel::check_image_size(width, height, where);
    EASEL_CHECK(stride >= 3 * width, where, ": a stride of ", stride, " bytes is shorter than a row (3 x ", width,
                " = ", 3 * width, " bytes)");
    const easel::Tensor img = easel::image_from_rgb8(pixels, width, height, stride);
    return classify(model, img, probabilities, capacity, where);
  });
}

int easel_classify_file(easel_model* model, const char* image_path, float* probabilities, int capacity) noexcept {
  const char* where = "easel_classify_file";
  return guarded(where, -1, [&] {
    check_model(model, where);
    EASEL_CHECK(image_path && *image_path, where, ": no image path given");
    return classify(model, easel::load_image(image_path), probabilities, capacity, where);
  });
}

}  // extern "C"
