/* The C API from C (tests/capi/test_capi.py runs it and compares with `easel predict`).
 *   test_capi MODEL.npz IMAGE.png PIXELS.rgb WIDTH HEIGHT
 * PIXELS.rgb holds the PNG's pixels as raw RGB8 rows. Checks the error paths, then prints
 *   file <best> <p0> <p1> ...      from easel_classify_file
 *   rgb8 <best> <p0> <p1> ...      from easel_classify_rgb8 (rows padded to a wider stride)
 * and exits 0; any failed check prints "FAIL: ..." and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel.h"

static int failures = 0;

#define CHECK(cond, ...)                   \
  do {                                     \
    if (!(cond)) {                         \
      printf("FAIL line %d: ", __LINE__);  \
      printf(__VA_ARGS__);                 \
      printf("\n");                        \
      ++failures;                          \
    }                                      \
  } while (0)

static int contains(const char* text, const char* part) { return text && strstr(text, part) != NULL; }

static void print_row(const char* tag, int best, const float* p, int n) {
  printf("%s %d", tag, best);
  for (int c = 0; c < n; ++c) printf(" %.9g", p[c]);
  printf("\n");
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: test_capi MODEL.npz IMAGE.png PIXELS.rgb WIDTH HEIGHT\n");
    return 2;
  }
  const int width = atoi(argv[4]), height = atoi(argv[5]);
  CHECK(strlen(easel_version()) > 0, "no version");

  /* Errors: NULL and a reason that names what was wrong; the next good call clears it. */
  CHECK(easel_model_load("/nonexistent/model.npz") == NULL, "a missing file loaded");
  CHECK(contains(easel_last_error(), "/nonexistent/model.npz"), "the error does not name the file: %s",
        easel_last_error());
  CHECK(easel_model_load(argv[3]) == NULL, "raw pixels loaded as a model");
  CHECK(contains(easel_last_error(), argv[3]), "the error does not name the file: %s", easel_last_error());
  CHECK(easel_model_load(NULL) == NULL && strlen(easel_last_error()) > 0, "NULL path accepted");
  CHECK(easel_model_num_classes(NULL) == -1 && contains(easel_last_error(), "NULL"), "NULL model accepted");
  CHECK(easel_set_threads(0) == -1 && contains(easel_last_error(), "0 threads"), "0 threads accepted");
  CHECK(easel_set_threads(2) == 2 && strcmp(easel_last_error(), "") == 0, "2 threads refused: %s", easel_last_error());

  easel_model* m = easel_model_load(argv[1]);
  CHECK(m != NULL, "load failed: %s", easel_last_error());
  if (!m) return 1;
  CHECK(strcmp(easel_last_error(), "") == 0, "a good call left an error: %s", easel_last_error());
  const int n = easel_model_num_classes(m);
  CHECK(n >= 2, "%d classes", n);
  CHECK(easel_model_class_name(m, n) == NULL && contains(easel_last_error(), "outside"), "index n gave a name");
  CHECK(easel_model_class_name(m, -1) == NULL, "index -1 gave a name");
  CHECK(easel_model_input_size(m) > 0, "input size %d", easel_model_input_size(m));
  CHECK(contains(easel_model_metadata(m), "\"easel-model\""), "metadata: %s", easel_model_metadata(m));
  CHECK(contains(easel_model_metadata(m), easel_model_id(m)), "the metadata lacks the id %s", easel_model_id(m));

  float* p = calloc((size_t)n, sizeof(float));
  float* q = calloc((size_t)n, sizeof(float));
  CHECK(easel_classify_file(m, argv[1] /* not an image */, p, n) == -1 && contains(easel_last_error(), argv[1]),
        "a model file classified as an image: %s", easel_last_error());
  CHECK(easel_classify_file(m, argv[2], p, n - 1) == -1 && contains(easel_last_error(), "holds"),
        "a short buffer accepted: %s", easel_last_error());
  CHECK(easel_classify_file(m, argv[2], NULL, n) == -1, "a NULL buffer accepted");

  const int best_file = easel_classify_file(m, argv[2], p, n);
  CHECK(best_file >= 0 && best_file < n, "classify_file: %s", easel_last_error());
  float sum = 0;
  for (int c = 0; c < n; ++c) sum += p[c];
  CHECK(sum > 0.999f && sum < 1.001f, "probabilities sum to %g", sum);

  /* The same pixels as a buffer, rows 7 bytes wider than needed. */
  FILE* f = fopen(argv[3], "rb");
  CHECK(f != NULL, "cannot open %s", argv[3]);
  if (!f) return 1;
  const int stride = 3 * width + 7;
  unsigned char* px = calloc((size_t)stride * (size_t)height, 1);
  for (int y = 0; y < height; ++y) CHECK(fread(px + (size_t)y * stride, 1, (size_t)(3 * width), f) == (size_t)(3 * width), "short pixel file");
  fclose(f);
  CHECK(easel_classify_rgb8(m, px, width, height, 3 * width - 1, q, n) == -1 && contains(easel_last_error(), "stride"),
        "a short stride accepted: %s", easel_last_error());
  CHECK(easel_classify_rgb8(m, px, 0, height, stride, q, n) == -1 && contains(easel_last_error(), "positive"),
        "a zero width accepted: %s", easel_last_error());
  CHECK(easel_classify_rgb8(m, NULL, width, height, stride, q, n) == -1, "NULL pixels accepted");
  CHECK(easel_classify_rgb8(m, px, 1000, 1, 3000, q, n) == -1 && contains(easel_last_error(), "aspect"),
        "a 1000:1 image accepted: %s", easel_last_error());
  const int best_rgb = easel_classify_rgb8(m, px, width, height, stride, q, n);
  CHECK(best_rgb == best_file, "rgb8 says %d, file says %d (%s)", best_rgb, best_file, easel_last_error());
  for (int c = 0; c < n; ++c) CHECK(p[c] == q[c], "class %d: file %.9g, rgb8 %.9g", c, p[c], q[c]);

  print_row("file", best_file, p, n);
  print_row("rgb8", best_rgb, q, n);
  free(px);
  free(q);
  free(p);
  easel_model_free(m);
  easel_model_free(NULL);
  return failures ? 1 : 0;
}
