/*===- fake_model.c - A hand-written stand-in for a compiled model --------===*
 *
 * Linked with kiln_main.o into kiln-fake-model so the CLI can be tested
 * without the compiler. Input 2x3, output 2x4, with
 *   out[i][j] = (in[i][0] + in[i][1] + in[i][2]) * (j + 1)
 * so every output is easy to predict by hand. The row sums go through the
 * workspace, as a compiled model's intermediate tensors do.
 *
 *===----------------------------------------------------------------------===*/

#include "kiln/runtime.h"

static void fake_forward(const float *input, float *output, void *workspace) {
  float *sums = workspace;
  for (int i = 0; i < 2; ++i)
    sums[i] = input[3 * i] + input[3 * i + 1] + input[3 * i + 2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      output[4 * i + j] = sums[i] * (float)(j + 1);
}

const kiln_model_desc kiln_model = {
    .name = "fake",
    .input_rank = 2,
    .input_shape = {2, 3},
    .output_rank = 2,
    .output_shape = {2, 4},
    .workspace_bytes = 2 * sizeof(float),
    .forward = fake_forward,
};
