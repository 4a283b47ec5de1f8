/* The C API from another CMake project (Easel::capi): classify one image.
 *   consumer_c MODEL.npz IMAGE */
#include <stdio.h>

#include <easel.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: consumer_c MODEL.npz IMAGE\n");
    return 2;
  }
  easel_model* m = easel_model_load(argv[1]);
  float p[256];
  const int best = m ? easel_classify_file(m, argv[2], p, 256) : -1;
  if (best < 0) {
    fprintf(stderr, "consumer_c: %s\n", easel_last_error());
    easel_model_free(m);
    return 1;
  }
  printf("%s %.6f\n", easel_model_class_name(m, best), p[best]);
  easel_model_free(m);
  return 0;
}
