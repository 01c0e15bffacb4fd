/* Classifies the first digits of a .npy file with the model that
 * kiln_add_model(digits ...) compiled; reads the file with Kiln's runtime. */
#include "digits.h"

#include <kiln/runtime.h>

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  char error[256];
  kiln_tensor digits;
  if (kiln_npy_read(argv[1], &digits, error, sizeof error) != KILN_OK) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  lenet5_context *ctx;
  int rc = lenet5_create(2, &ctx);
  for (int i = 0; rc == LENET5_OK && i < 5; ++i) {
    float scores[LENET5_OUTPUT_SIZE];
    rc = lenet5_run(ctx, digits.data + i * LENET5_INPUT_SIZE, scores, NULL);
    int best = 0;
    for (int c = 1; c < LENET5_OUTPUT_SIZE; ++c)
      best = scores[c] > scores[best] ? c : best;
    printf("digit %d: %d\n", i, best);
  }
  if (rc != LENET5_OK)
    fprintf(stderr, "%s\n", lenet5_status_message(rc));
  lenet5_destroy(ctx);
  kiln_tensor_free(&digits);
  return rc == LENET5_OK ? 0 : 1;
}
