/* Classifies the first digits of a .npy file with the model that
 * kiln_add_model(digits ... PREFIX digits) compiled; reads the file with
 * Kiln's runtime. */
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
  digits_context *ctx;
  int rc = digits_create(2, &ctx);
  for (int i = 0; rc == DIGITS_OK && i < 5; ++i) {
    float scores[DIGITS_OUTPUT_SIZE];
    rc = digits_run(ctx, digits.data + i * DIGITS_INPUT_SIZE, scores, NULL);
    int best = 0;
    for (int c = 1; c < DIGITS_OUTPUT_SIZE; ++c)
      best = scores[c] > scores[best] ? c : best;
    printf("digit %d: %d\n", i, best);
  }
  if (rc != DIGITS_OK)
    fprintf(stderr, "%s\n", digits_status_message(rc));
  digits_destroy(ctx);
  kiln_tensor_free(&digits);
  return rc == DIGITS_OK ? 0 : 1;
}
