/* Runs LeNet-5 compiled with --external-weights: checks the weights
 * loading errors, then classifies every digit of DIGITS.npy and prints the
 * lines embed.c prints, so the two can be compared.
 *
 *   external WEIGHTS OTHER_WEIGHTS DIGITS.npy */
#include "lenet5.h"

#include <kiln/runtime.h>

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  lenet5_context *ctx = (lenet5_context *)argv;
  int rc = lenet5_create(1, &ctx);
  printf("create before loading: %d (%s), context %s\n", rc,
         lenet5_status_message(rc), ctx ? "set" : "NULL");
  printf("missing file: %d\n", lenet5_load_weights("/nonexistent/weights"));
  printf("another model's weights: %d\n", lenet5_load_weights(argv[2]));
  printf("not a weights file: %d\n", lenet5_load_weights(argv[3]));
  printf("NULL path: %d\n", lenet5_load_weights(NULL));
  printf("load: %d\n", lenet5_load_weights(argv[1]));
  printf("load again: %d\n", lenet5_load_weights("/nonexistent/weights"));
  if (lenet5_create(2, &ctx) != LENET5_OK)
    return 1;

  char error[256];
  kiln_tensor digits;
  if (kiln_npy_read(argv[3], &digits, error, sizeof error) != KILN_OK) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  for (int64_t i = 0; i < digits.shape[0]; ++i) {
    float scores[LENET5_OUTPUT_SIZE];
    if (lenet5_run(ctx, digits.data + i * LENET5_INPUT_SIZE, scores, NULL))
      return 1;
    int best = 0;
    for (int c = 1; c < LENET5_OUTPUT_SIZE; ++c)
      if (scores[c] > scores[best])
        best = c;
    printf("digit %lld: %d (score %.3f)\n", (long long)i, best, scores[best]);
  }
  lenet5_destroy(ctx);
  kiln_tensor_free(&digits);
  return 0;
}
