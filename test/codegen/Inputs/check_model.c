/* Runs the compiled model through the kiln_model descriptor (declared here
 * as runtime.h declares it, so the test needs no runtime build) and compares
 * its output with a reference.
 *
 * usage: check_model INPUT.bin REFERENCE.bin
 * Prints the descriptor and the largest absolute error; exits 1 if it is
 * above 1e-4. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct kiln_model_desc {
  const char *name;
  int64_t input_rank;
  int64_t input_shape[8];
  int64_t output_rank;
  int64_t output_shape[8];
  int64_t workspace_bytes;
  void (*forward)(const float *input, float *output, void *workspace);
} kiln_model_desc;
extern const kiln_model_desc kiln_model;
void kiln_forward(const float *input, float *output, void *workspace);

static int64_t numel(const int64_t *shape, int64_t rank) {
  int64_t n = 1;
  for (int64_t i = 0; i < rank; ++i)
    n *= shape[i];
  return n;
}

static void print_shape(const char *what, const int64_t *shape, int64_t rank) {
  printf("%s", what);
  for (int64_t i = 0; i < rank; ++i)
    printf("%s%lld", i ? "x" : " ", (long long)shape[i]);
  printf("\n");
}

static float *read_floats(const char *path, int64_t n) {
  float *data = malloc(n * sizeof(float));
  FILE *f = fopen(path, "rb");
  if (!f || fread(data, sizeof(float), n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %lld floats from %s\n", (long long)n, path);
    exit(2);
  }
  fclose(f);
  return data;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  printf("name %s\n", kiln_model.name);
  print_shape("input", kiln_model.input_shape, kiln_model.input_rank);
  print_shape("output", kiln_model.output_shape, kiln_model.output_rank);
  printf("forward is kiln_forward: %s\n",
         kiln_model.forward == kiln_forward ? "yes" : "no");
  int64_t in = numel(kiln_model.input_shape, kiln_model.input_rank);
  int64_t out = numel(kiln_model.output_shape, kiln_model.output_rank);
  float *input = read_floats(argv[1], in);
  float *reference = read_floats(argv[2], out);
  float *output = malloc(out * sizeof(float));
  printf("workspace %s\n", kiln_model.workspace_bytes > 0 ? "> 0" : "empty");
  void *workspace =
      aligned_alloc(64, (kiln_model.workspace_bytes + 63) / 64 * 64 + 64);
  kiln_model.forward(input, output, workspace);
  double max_error = 0;
  for (int64_t i = 0; i < out; ++i)
    max_error = fmax(max_error, fabs((double)output[i] - reference[i]));
  printf("max abs error %s 1e-4 (%g)\n", max_error <= 1e-4 ? "<=" : ">",
         max_error);
  return max_error <= 1e-4 ? 0 : 1;
}
