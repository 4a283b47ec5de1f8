/* easel-infer: classify images with a model file, in C on the C API alone (easel.h). With
 * -DEASEL_STATIC_INFER=ON it is the small static binary: CPU only, nothing but libc to start.
 *
 *   easel-infer MODEL.npz IMAGE...      one JSON line per image: {"image", "class", "probability", "top", "model"}
 *   easel-infer MODEL.npz --info        the model's metadata (JSON)
 *   options: --top K (default 5), --threads N; after "--" every argument is a path */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel.h"

static void usage(FILE* out) {
  fprintf(out,
          "usage: easel-infer MODEL.npz IMAGE... [--top K] [--threads N]\n"
          "       easel-infer MODEL.npz --info\n"
          "Classifies each image with the model file (`easel export` writes one): one JSON line per image.\n");
}

/* A positive integer option value, or exit 2 naming the flag. */
static int positive(const char* flag, const char* text) {
  char* end = NULL;
  long v = text ? strtol(text, &end, 10) : 0;
  if (!text || *end || v < 1 || v > 1000000) {
    fprintf(stderr, "easel-infer: %s needs a positive integer, got '%s'\n", flag, text ? text : "");
    exit(2);
  }
  return (int)v;
}

/* `s` as a JSON string (quotes and backslashes escaped, control bytes as \u00XX). */
static void put_json_string(const char* s) {
  putchar('"');
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

int main(int argc, char** argv) {
  const char* model_path = NULL;
  const char** images = calloc((size_t)argc, sizeof *images);
  int n_images = 0, top = 5, info = 0, options = 1;
  for (int i = 1; i < argc; ++i) {
    if (options && !strcmp(argv[i], "--")) {
      options = 0; /* every later argument is a path */
    } else if (!options) {
      if (!model_path) model_path = argv[i];
      else images[n_images++] = argv[i];
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--top")) {
      top = positive("--top", i + 1 < argc ? argv[++i] : NULL);
    } else if (!strcmp(argv[i], "--threads")) {
      easel_set_threads(positive("--threads", i + 1 < argc ? argv[++i] : NULL));
    } else if (!strcmp(argv[i], "--info")) {
      info = 1;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      fprintf(stderr, "easel-infer: unknown option %s\n", argv[i]);
      usage(stderr);
      return 2;
    } else if (!model_path) {
      model_path = argv[i];
    } else {
      images[n_images++] = argv[i];
    }
  }
  if (!model_path || (!info && n_images == 0)) {
    usage(stderr);
    return 2;
  }
  if (info && n_images > 0) {
    fprintf(stderr, "easel-infer: --info prints the model's metadata; it takes no images\n");
    return 2;
  }
  easel_model* m = easel_model_load(model_path);
  if (!m) {
    fprintf(stderr, "easel-infer: %s\n", easel_last_error());
    return 1;
  }
  if (info) {
    printf("%s\n", easel_model_metadata(m));
    easel_model_free(m);
    return 0;
  }
  const int n = easel_model_num_classes(m);
  float* p = malloc(sizeof(float) * (size_t)n);
  int* order = malloc(sizeof(int) * (size_t)n);
  int failures = 0;
  for (int i = 0; i < n_images; ++i) {
    const int best = easel_classify_file(m, images[i], p, n);
    if (best < 0) {
      fprintf(stderr, "easel-infer: %s\n", easel_last_error());
      ++failures;
      continue;
    }
    for (int c = 0; c < n; ++c) order[c] = c;
    for (int a = 0; a < n && a < top; ++a) { /* the top K by stable selection (K is small), as predict orders */
      int j = a;
      for (int b = a + 1; b < n; ++b)
        if (p[order[b]] > p[order[j]]) j = b;
      const int chosen = order[j];
      memmove(order + a + 1, order + a, sizeof(int) * (size_t)(j - a));
      order[a] = chosen;
    }
    printf("{\"image\": ");
    put_json_string(images[i]);
    printf(", \"class\": ");
    put_json_string(easel_model_class_name(m, best));
    printf(", \"probability\": %.6g, \"top\": [", p[best]);
    for (int a = 0; a < n && a < top; ++a) {
      printf("%s{\"class\": ", a ? ", " : "");
      put_json_string(easel_model_class_name(m, order[a]));
      printf(", \"probability\": %.6g}", p[order[a]]);
    }
    printf("], \"model\": ");
    put_json_string(easel_model_id(m));
    printf("}\n");
  }
  free(order);
  free(p);
  free(images);
  easel_model_free(m);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "easel-infer: cannot write the answers to standard output\n");
    return 1;
  }
  return failures ? 1 : 0;
}
