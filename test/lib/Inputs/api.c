/* Exercises a model library's API beyond the embedding example: two models
 * in one program, concurrent runs on distinct contexts from distinct
 * threads, the queries, and every error the API reports. Prints one line
 * per check, for FileCheck. */
#include "lenet5.h"
#include "tiny_net.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLES 4

static float inputs[SAMPLES][TINY_NET_INPUT_SIZE];
static float reference[SAMPLES][TINY_NET_OUTPUT_SIZE];

typedef struct job {
  int threads;
  int failed;
  float outputs[SAMPLES][TINY_NET_OUTPUT_SIZE];
} job;

/* Each thread owns a context of tiny_net, whose convolution forks onto the
 * context's team; both threads run the same samples many times at once. */
static void *classify(void *arg) {
  job *j = arg;
  tiny_net_context *ctx;
  if (tiny_net_create(j->threads, &ctx) != TINY_NET_OK) {
    j->failed = 1;
    return NULL;
  }
  j->failed |= tiny_net_num_threads(ctx) != j->threads;
  for (int round = 0; round < 20; ++round)
    for (int i = 0; i < SAMPLES; ++i)
      j->failed |=
          tiny_net_run(ctx, inputs[i], j->outputs[i], NULL) != TINY_NET_OK;
  tiny_net_destroy(ctx);
  return NULL;
}

int main(void) {
  /* Deterministic pseudo-random inputs in [-1, 1). */
  uint32_t state = 12345;
  for (int i = 0; i < SAMPLES; ++i)
    for (int k = 0; k < TINY_NET_INPUT_SIZE; ++k) {
      state = state * 1664525u + 1013904223u;
      inputs[i][k] = (float)(state >> 8) / 8388608.0f - 1.0f;
    }
  static float digit[LENET5_INPUT_SIZE];
  for (int k = 0; k < LENET5_INPUT_SIZE; ++k)
    digit[k] = inputs[0][k];

  /* The queries agree with the macros. */
  const int64_t shape[] = LENET5_INPUT_SHAPE;
  int same = lenet5_input_rank() == LENET5_INPUT_RANK &&
             lenet5_output_rank() == LENET5_OUTPUT_RANK &&
             lenet5_input_size() == LENET5_INPUT_SIZE &&
             lenet5_output_size() == LENET5_OUTPUT_SIZE &&
             lenet5_workspace_size() == LENET5_WORKSPACE_BYTES &&
             !memcmp(lenet5_input_shape(), shape, sizeof shape);
  printf("queries match the macros: %s\n", same ? "yes" : "no");
  /* One input and one output, each the whole buffer. */
  const lenet5_tensor_info *in_info = lenet5_input_info(0),
                           *out_info = lenet5_output_info(0);
  printf("tensor infos: %d input '%s' rank %d %s, %d output rank %d, "
         "out of range %s\n",
         lenet5_num_inputs(), in_info->name, (int)in_info->rank,
         !memcmp(in_info->shape, shape, sizeof shape) && !in_info->offset
             ? "as the macros"
             : "DIFFERENT",
         lenet5_num_outputs(), (int)out_info->rank,
         !lenet5_input_info(1) && !lenet5_input_info(-1) &&
                 !lenet5_output_info(1)
             ? "NULL"
             : "NOT NULL");
  printf("names: %s %s\n", lenet5_name(), tiny_net_name());

  /* Errors. */
  lenet5_context *ctx = (lenet5_context *)&state;
  int rc = lenet5_create(-1, &ctx);
  printf("negative threads: %d, context %s\n", rc, ctx ? "set" : "NULL");
  printf("NULL out pointer: %d\n", lenet5_create(1, NULL));
  if (lenet5_create(1, &ctx) != LENET5_OK)
    return 1;
  printf("threads of a 1-thread context: %d\n", lenet5_num_threads(ctx));
  float out[LENET5_OUTPUT_SIZE];
  printf("NULL context: %d\n", lenet5_run(NULL, digit, out, NULL));
  printf("NULL input: %d\n", lenet5_run(ctx, NULL, out, NULL));
  printf("NULL output: %d\n", lenet5_run(ctx, digit, NULL, NULL));
  static _Alignas(64) char workspace[LENET5_WORKSPACE_BYTES + 65];
  printf("misaligned workspace: %d\n",
         lenet5_run(ctx, digit, out, workspace + 1));
  tiny_net_context *tiny;
  if (tiny_net_create(2, &tiny) != TINY_NET_OK)
    return 1;
  printf("context of another model: %d\n",
         lenet5_run((lenet5_context *)tiny, digit, out, NULL));
  printf("message %d: %s\n", LENET5_ERR_INVALID,
         lenet5_status_message(LENET5_ERR_INVALID));
  printf("message %d: %s\n", LENET5_ERR_BUSY,
         lenet5_status_message(LENET5_ERR_BUSY));
  printf("message 99: %s\n", lenet5_status_message(99));

  /* Both models in one program. */
  float own[LENET5_OUTPUT_SIZE];
  printf("lenet5 run: %d\n", lenet5_run(ctx, digit, out, workspace));
  printf("caller's and context's workspace agree: %s\n",
         lenet5_run(ctx, digit, own, NULL) == LENET5_OK &&
                 !memcmp(out, own, sizeof out)
             ? "yes"
             : "no");

  /* A reference on one thread, then two threads with a context each. */
  tiny_net_context *single;
  int failed = tiny_net_create(1, &single) != TINY_NET_OK;
  for (int i = 0; !failed && i < SAMPLES; ++i)
    failed |= tiny_net_run(single, inputs[i], reference[i], NULL) != 0;
  tiny_net_destroy(single);
  static job jobs[2] = {{.threads = 2}, {.threads = 3}};
  pthread_t threads[2];
  for (int t = 0; t < 2; ++t)
    pthread_create(&threads[t], NULL, classify, &jobs[t]);
  for (int t = 0; t < 2; ++t)
    pthread_join(threads[t], NULL);
  int identical = !failed;
  for (int t = 0; t < 2; ++t)
    identical &= !jobs[t].failed &&
                 !memcmp(jobs[t].outputs, reference, sizeof reference);
  printf("concurrent contexts identical to one thread: %s\n",
         identical ? "yes" : "no");

  tiny_net_destroy(tiny);
  lenet5_destroy(ctx);
  lenet5_destroy(NULL);
  return 0;
}
