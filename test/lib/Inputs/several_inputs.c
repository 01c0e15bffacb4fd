/* Runs test/onnx/Inputs/models.py's several_inputs through its C API: packs
 * each input where the header's macros place it, and checks the outputs
 * against the same arithmetic done here. */
#include "m.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  static float in[M_INPUT_SIZE], out[M_OUTPUT_SIZE];
  float *x = in + M_INPUT0_OFFSET, *z = in + M_INPUT1_OFFSET,
        *s = in + M_INPUT2_OFFSET;
  for (int i = 0; i < M_INPUT0_SIZE; ++i)
    x[i] = (float)((i * 37) % 23) / 11.0f - 1.0f;
  for (int i = 0; i < M_INPUT1_SIZE; ++i)
    z[i] = 0.5f * (float)i - 1.0f;
  for (int i = 0; i < M_INPUT2_SIZE; ++i)
    s[i] = 2.0f + (float)i;
  m_context *ctx;
  if (m_create(1, &ctx) != M_OK || m_run(ctx, in, out, NULL) != M_OK)
    return 1;
  m_destroy(ctx);

  /* y = (mean over H, W of relu(x) + z) * s; c = sum over H, W of x. */
  const int channels = 3, plane = 20;
  double worst = 0;
  for (int c = 0; c < channels; ++c) {
    double sum = 0, positive = 0;
    for (int p = 0; p < plane; ++p) {
      float v = x[c * plane + p];
      sum += v;
      positive += v > 0 ? v : 0;
    }
    double y = (positive / plane + z[c]) * s[c];
    worst = fmax(worst, fabs(out[M_OUTPUT0_OFFSET + c] - y));
    worst = fmax(worst, fabs(out[M_OUTPUT1_OFFSET + c] - sum));
  }
  /* The queries of programs that load the library at run time agree. */
  const int64_t shape2[] = M_INPUT2_SHAPE;
  const m_tensor_info *info = m_input_info(2), *output = m_output_info(1);
  int same = m_num_inputs() == M_NUM_INPUTS && !strcmp(info->name, "s") &&
             info->rank == M_INPUT2_RANK && info->offset == M_INPUT2_OFFSET &&
             !memcmp(info->shape, shape2, sizeof shape2) &&
             m_num_outputs() == M_NUM_OUTPUTS &&
             !strcmp(output->name, M_OUTPUT1_NAME) &&
             output->offset == M_OUTPUT1_OFFSET && !m_input_info(3);
  printf("queries %s; ", same ? "agree" : "DISAGREE");
  printf("inputs %s %s %s at %d %d %d; outputs %s %s; %s\n", M_INPUT0_NAME,
         M_INPUT1_NAME, M_INPUT2_NAME, M_INPUT0_OFFSET, M_INPUT1_OFFSET,
         M_INPUT2_OFFSET, M_OUTPUT0_NAME, M_OUTPUT1_NAME,
         worst < 1e-5 ? "match" : "MISMATCH");
  return 0;
}
