/* Classifies the first digits of a .npy file with the model that
 * kiln_add_model(ext ... SHARED EXTERNAL_WEIGHTS) compiled into a shared
 * library whose weights file (WEIGHTS_FILE) is mapped at run time. */
#include "ext.h"

#include <kiln/runtime.h>

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  int rc = ext_load_weights(WEIGHTS_FILE);
  ext_context *ctx = NULL;
  if (rc == EXT_OK)
    rc = ext_create(0, &ctx);
  char error[256];
  kiln_tensor digits = {0};
  if (rc == EXT_OK &&
      kiln_npy_read(argv[1], &digits, error, sizeof error) != KILN_OK) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  for (int i = 0; rc == EXT_OK && i < 5; ++i) {
    float scores[EXT_OUTPUT_SIZE];
    rc = ext_run(ctx, digits.data + i * EXT_INPUT_SIZE, scores, NULL);
    int best = 0;
    for (int c = 1; c < EXT_OUTPUT_SIZE; ++c)
      best = scores[c] > scores[best] ? c : best;
    printf("digit %d: %d\n", i, best);
  }
  if (rc != EXT_OK)
    fprintf(stderr, "%s\n", ext_status_message(rc));
  ext_destroy(ctx);
  kiln_tensor_free(&digits);
  return rc == EXT_OK ? 0 : 1;
}
