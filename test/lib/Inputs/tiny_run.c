/* Runs tiny_net (whose convolution forks onto the thread team) on a fixed
 * input with 3 threads and prints the outputs exactly (%a). Built against
 * the library with embedded weights, or with -DEXTERNAL_WEIGHTS=FILE
 * against one compiled with --external-weights. */
#include "tiny_net.h"

#include <stdio.h>

#define STRING(x) #x
#define QUOTE(x) STRING(x)

int main(void) {
#ifdef EXTERNAL_WEIGHTS
  if (tiny_net_load_weights(QUOTE(EXTERNAL_WEIGHTS)) != TINY_NET_OK)
    return 1;
#endif
  static float in[TINY_NET_INPUT_SIZE], out[TINY_NET_OUTPUT_SIZE];
  for (int k = 0; k < TINY_NET_INPUT_SIZE; ++k)
    in[k] = (float)((k * 37) % 101) / 50.0f - 1.0f;
  tiny_net_context *ctx;
  if (tiny_net_create(3, &ctx) != TINY_NET_OK ||
      tiny_net_run(ctx, in, out, NULL) != TINY_NET_OK)
    return 1;
  for (int k = 0; k < TINY_NET_OUTPUT_SIZE; ++k)
    printf("%a\n", out[k]);
  tiny_net_destroy(ctx);
  return 0;
}
