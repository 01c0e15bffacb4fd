/* Runs test/onnx/Inputs/models.py's several_outputs through its C API and
 * finds each output where the header's macros place it. */
#include "m.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  static float in[M_INPUT_SIZE], out[M_OUTPUT_SIZE];
  for (int i = 0; i < M_INPUT_SIZE; ++i)
    in[i] = (float)((i * 37) % 23) / 11.0f - 1.0f;
  m_context *ctx;
  if (m_create(1, &ctx) != M_OK || m_run(ctx, in, out, NULL) != M_OK)
    return 1;
  m_destroy(ctx);

  const float *s = out + M_OUTPUT0_OFFSET, *a = out + M_OUTPUT2_OFFSET,
              *x = out + M_OUTPUT3_OFFSET;
  int in_range = 1, negative = 0, same = M_OUTPUT3_SIZE == M_INPUT_SIZE;
  for (int i = 0; i < M_OUTPUT0_SIZE; ++i)
    in_range &= s[i] > 0 && s[i] < 1;
  for (int i = 0; i < M_OUTPUT2_SIZE; ++i)
    negative |= a[i] < 0;
  for (int i = 0; same && i < M_OUTPUT3_SIZE; ++i)
    same = x[i] == in[i];
  printf("%s: %d floats at %d, %s\n", M_OUTPUT0_NAME, M_OUTPUT0_SIZE,
         M_OUTPUT0_OFFSET, in_range ? "in (0, 1)" : "OUT OF RANGE");
  printf("%s: %d floats at %d\n", M_OUTPUT1_NAME, M_OUTPUT1_SIZE,
         M_OUTPUT1_OFFSET);
  printf("%s: %d floats at %d, %s\n", M_OUTPUT2_NAME, M_OUTPUT2_SIZE,
         M_OUTPUT2_OFFSET, negative ? "SOME NEGATIVE" : "none negative");
  printf("%s: %d floats at %d, %s\n", M_OUTPUT3_NAME, M_OUTPUT3_SIZE,
         M_OUTPUT3_OFFSET, same ? "equal to the input" : "NOT THE INPUT");
  return 0;
}
