/*===- kiln/context.h - Contexts: how libraries run a model ---------------===*
 *
 * `kilnc --emit=lib` wraps a model in a small C API whose functions are
 * prefixed by the model's name (NAME_create, NAME_run, ...; see the NAME.h it
 * writes). Each of them is a one-line call into this interface, passing the
 * model's descriptor:
 *
 *   NAME_create(threads, &ctx)   -> kiln_context_create(&desc, threads, &ctx)
 *   NAME_run(ctx, in, out, ws)   -> kiln_context_run(ctx, &desc, in, out, ws)
 *
 * A context owns a thread team (kiln/team.h) and, when the model needs one
 * and the caller does not pass it, a workspace. There is no global state:
 * distinct contexts may run on distinct threads at the same time, and one
 * context refuses (KILN_ERR_BUSY) a run that overlaps another run on it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_CONTEXT_H
#define KILN_CONTEXT_H

#include "kiln/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes beyond kiln_status (runtime.h) that contexts return. */
enum {
  KILN_ERR_BUSY = 5, /* the context is running on another thread */
  /* 6 is KILN_ERR_NO_WEIGHTS (kiln/weights.h). */
  KILN_ERR_GPU = 7, /* no CUDA driver or device, or a CUDA call failed */
};

typedef struct kiln_context kiln_context;

/* Creates a context for `model` whose team has `threads` threads (0: one per
 * online CPU) and stores it in *out. Returns KILN_OK, KILN_ERR_INVALID (NULL
 * argument, negative threads) or KILN_ERR_NOMEM; *out is NULL on error. */
int kiln_context_create(const kiln_model_desc *model, int threads,
                        kiln_context **out);

/* As kiln_context_create, for a model whose weights live in a file: fails
 * with KILN_ERR_NO_WEIGHTS until kiln_weights_load has set *weights. */
int kiln_context_create_with_weights(const kiln_model_desc *model,
                                     const void *const *weights, int threads,
                                     kiln_context **out);

/* Joins the context's threads and frees it. NULL is a no-op. */
void kiln_context_destroy(kiln_context *context);

/* Runs `model` (the one the context was created for) on `input`, writing
 * `output`. `workspace` is NULL (the context's own is used) or
 * model->workspace_bytes bytes aligned to KILN_ALIGNMENT. Returns KILN_OK,
 * KILN_ERR_INVALID or KILN_ERR_BUSY. */
int kiln_context_run(kiln_context *context, const kiln_model_desc *model,
                     const float *input, float *output, void *workspace);

/* The number of threads the context's team has (it may have started fewer
 * than asked for), or 0 for NULL. */
int kiln_context_num_threads(const kiln_context *context);

/* A one-line English description of a status code; never NULL. */
const char *kiln_status_message(int status);

#ifdef __cplusplus
}
#endif

#endif /* KILN_CONTEXT_H */
