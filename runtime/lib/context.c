/*===- context.c - Contexts: a thread team and a workspace per user -------===*/

#include "kiln/context.h"
#include "kiln/team.h"
#include "kiln/weights.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

struct kiln_context {
  const kiln_model_desc *model;
  kiln_team *team;
  void *workspace; /* owned; NULL when the model needs none */
  atomic_flag busy;
};

int kiln_context_create(const kiln_model_desc *model, int threads,
                        kiln_context **out) {
  if (!out)
    return KILN_ERR_INVALID;
  *out = NULL;
  if (!model || !model->forward || threads < 0 || model->workspace_bytes < 0)
    return KILN_ERR_INVALID;
  kiln_context *context = calloc(1, sizeof *context);
  if (!context)
    return KILN_ERR_NOMEM;
  context->model = model;
  atomic_flag_clear(&context->busy);
  int64_t bytes = model->workspace_bytes;
  if (bytes > 0) {
    context->workspace =
        (uint64_t)bytes <= SIZE_MAX ? kiln_alloc_aligned((size_t)bytes) : NULL;
    if (!context->workspace) {
      free(context);
      return KILN_ERR_NOMEM;
    }
  }
  context->team = kiln_team_create(threads);
  if (!context->team) {
    free(context->workspace);
    free(context);
    return KILN_ERR_NOMEM;
  }
  *out = context;
  return KILN_OK;
}

int kiln_context_create_with_weights(const kiln_model_desc *model,
                                     const void *const *weights, int threads,
                                     kiln_context **out) {
  int rc = kiln_weights_check(weights);
  if (rc != KILN_OK) {
    if (out)
      *out = NULL;
    return rc;
  }
  return kiln_context_create(model, threads, out);
}

void kiln_context_destroy(kiln_context *context) {
  if (!context)
    return;
  kiln_team_destroy(context->team);
  free(context->workspace);
  free(context);
}

int kiln_context_run(kiln_context *context, const kiln_model_desc *model,
                     const float *input, float *output, void *workspace) {
  if (!context || context->model != model || !input || !output)
    return KILN_ERR_INVALID;
  if ((uintptr_t)workspace % KILN_ALIGNMENT != 0)
    return KILN_ERR_INVALID;
  if (atomic_flag_test_and_set_explicit(&context->busy, memory_order_acquire))
    return KILN_ERR_BUSY;
  kiln_team *previous = kiln_team_exchange_current(context->team);
  kiln_team_hold(context->team, 1);
  model->forward(input, output, workspace ? workspace : context->workspace);
  kiln_team_hold(context->team, 0);
  kiln_team_exchange_current(previous);
  atomic_flag_clear_explicit(&context->busy, memory_order_release);
  return KILN_OK;
}

int kiln_context_num_threads(const kiln_context *context) {
  return context ? kiln_team_size(context->team) : 0;
}

const char *kiln_status_message(int status) {
  switch (status) {
  case KILN_OK:
    return "success";
  case KILN_ERR_IO:
    return "input/output error";
  case KILN_ERR_FORMAT:
    return "unsupported file format";
  case KILN_ERR_INVALID:
    return "invalid argument (a NULL pointer, a context of another model, "
           "a negative thread count or a misaligned workspace)";
  case KILN_ERR_NOMEM:
    return "out of memory";
  case KILN_ERR_BUSY:
    return "the context is already running on another thread (create one "
           "context per thread)";
  case KILN_ERR_NO_WEIGHTS:
    return "the model's weights file is not loaded (call the library's "
           "load_weights function first)";
  case KILN_ERR_GPU:
    return "the GPU failed: no CUDA driver or device, or a CUDA call failed "
           "(a GPU library's status_message says which)";
  default:
    return "unknown status code";
  }
}
