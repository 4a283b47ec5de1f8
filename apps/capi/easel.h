/* easel.h: Easel's C API. A trained classifier (a model file `easel export` writes) inside any
 * program: C, C++, Python's ctypes, Go's cgo, ... No C++ type and no exception crosses it.
 *
 *   easel_model* m = easel_model_load("model.npz");
 *   if (!m) { fprintf(stderr, "%s\n", easel_last_error()); return 1; }
 *   float p[64];
 *   int best = easel_classify_file(m, "painting.jpg", p, 64);    // or easel_classify_rgb8(...)
 *   if (best >= 0) printf("%s %.3f\n", easel_model_class_name(m, best), p[best]);
 *   easel_model_free(m);
 *
 * Errors: a call that fails returns NULL or -1 and leaves its reason in easel_last_error() (per
 * thread; it names the file, key, size or value); every other call clears it. Probabilities equal
 * `easel predict --model`'s (the model's own resize, crop, normalisation and temperature). One
 * model may be used from several threads: its calls take turns. Link with -leasel (pkg-config
 * easel), Easel::capi_shared, or Easel::capi (static; the linking project needs C++ enabled). */
#ifndef EASEL_H
#define EASEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EASEL_API __attribute__((visibility("default")))
#ifdef __cplusplus
#define EASEL_NOEXCEPT noexcept
#else
#define EASEL_NOEXCEPT
#endif

typedef struct easel_model easel_model;

EASEL_API const char* easel_version(void) EASEL_NOEXCEPT;    /* "0.1.0" */
/* Why this thread's last call failed ("" when it succeeded); valid until this thread's next call. */
EASEL_API const char* easel_last_error(void) EASEL_NOEXCEPT;

/* Threads for the arithmetic of every later classification, from any thread (all cores until
 * called); returns the number set, -1 for a count below 1. */
EASEL_API int easel_set_threads(int threads) EASEL_NOEXCEPT;

/* Reads a model file (weights and metadata, every key and shape checked); NULL on error. */
EASEL_API easel_model* easel_model_load(const char* path) EASEL_NOEXCEPT;
EASEL_API void easel_model_free(easel_model* model) EASEL_NOEXCEPT; /* NULL is fine */

EASEL_API int easel_model_num_classes(const easel_model* model) EASEL_NOEXCEPT;
EASEL_API const char* easel_model_class_name(const easel_model* model, int index) EASEL_NOEXCEPT; /* NULL out of range */
EASEL_API int easel_model_input_size(const easel_model* model) EASEL_NOEXCEPT;  /* the side of the square the net sees */
EASEL_API const char* easel_model_id(const easel_model* model) EASEL_NOEXCEPT;  /* architecture + weights hash */
EASEL_API const char* easel_model_metadata(const easel_model* model) EASEL_NOEXCEPT; /* the metadata as JSON text */

/* Classifies one image of `width` x `height` RGB8 pixels, rows `stride` bytes apart (>= 3 * width).
 * Writes the class probabilities to probabilities[0 .. num_classes) (`capacity` floats are there)
 * and returns the most probable class's index; -1 on error. Strings live as long as the model. */
EASEL_API int easel_classify_rgb8(easel_model* model, const uint8_t* pixels, int width, int height, int stride,
                                  float* probabilities, int capacity) EASEL_NOEXCEPT;
/* The same for a JPEG / PNG / BMP file. */
EASEL_API int easel_classify_file(easel_model* model, const char* image_path, float* probabilities, int capacity) EASEL_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* EASEL_H */
