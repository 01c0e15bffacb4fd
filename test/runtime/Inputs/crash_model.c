/* A model whose forward() faults (a null store): stands in for a
 * miscompiled model in test/runtime/exit-codes.test. Input 1x2, output 1x2. */
#include "kiln/runtime.h"

#include <stddef.h>

static void crash_forward(const float *input, float *output, void *workspace) {
  (void)output;
  (void)workspace;
  volatile float *nowhere = NULL;
  *nowhere = input[0];
}

const kiln_model_desc kiln_model = {
    .name = "crash",
    .input_rank = 2,
    .input_shape = {1, 2},
    .output_rank = 2,
    .output_shape = {1, 2},
    .forward = crash_forward,
};
