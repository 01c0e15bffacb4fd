/* A program that embeds a model library compiled for the GPU
 * (kilnc --target=nvptx --emit=lib or so), for test/gpu/library.test and
 * the device check. Compiled with -DHEADER='"NAME.h"' -DPREFIX=NAME
 * -DUPPER=NAME_IN_CAPITALS:
 *
 *   gpu_library api          the API's contracts, one line each
 *   gpu_library create       creates a context and reports the status
 *   gpu_library run IN OUT   runs the model on IN (raw float32, the
 *                            input's size) and writes OUT (raw float32);
 *                            twice, on two contexts, which must agree
 *   gpu_library threads IN   4 threads, each with a context of its own
 *                            made while the main thread's lives, run IN
 *                            3 times at once; every output must equal the
 *                            main thread's
 *
 * Every failure is reported with the library's status message; the program
 * itself never stops on one (a library must not exit), and prints "alive"
 * last. */

#include HEADER

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define API(name) CAT(PREFIX, CAT(_, name))
#define CONST(name) CAT(UPPER, CAT(_, name))

typedef API(context) context;

static float input[CONST(INPUT_SIZE)], output[CONST(OUTPUT_SIZE)],
    second[CONST(OUTPUT_SIZE)];

static void report(const char *what, int rc) {
  printf("%s: %d", what, rc);
  if (rc != CONST(OK))
    printf(" (%s)", API(status_message)(rc));
  printf("\n");
}

static void api(void) {
  context *ctx = (context *)&ctx;
  report("negative threads", API(create)(-1, &ctx));
  printf("context after an error: %s\n", ctx ? "set" : "NULL");
  report("NULL out pointer", API(create)(0, NULL));
  int rc = API(create)(4, &ctx);
  report("create", rc);
  if (rc != CONST(OK))
    return;
  printf("threads: %d\n", API(num_threads)(ctx));
  printf("workspace bytes: %lld\n", (long long)API(workspace_size)());
  report("NULL input", API(run)(ctx, NULL, output, NULL));
  report("NULL output", API(run)(ctx, input, NULL, NULL));
  report("NULL context", API(run)(NULL, input, output, NULL));
  context *other;
  report("second context", API(create)(0, &other));
  for (int i = 0; i < CONST(INPUT_SIZE); ++i)
    input[i] = (float)((i * 7919) % 1000) / 1000.0f;
  report("run", API(run)(ctx, input, output, NULL));
  report("run on the second", API(run)(other, input, second, NULL));
  report("run again", API(run)(ctx, input, second, NULL));
  printf("message %d: %s\n", CONST(ERR_INVALID),
         API(status_message)(CONST(ERR_INVALID)));
  /* The contexts of a model share its weights: they outlive the first. */
  API(destroy)(ctx);
  report("run on the second after the first's destroy",
         API(run)(other, input, second, NULL));
  API(destroy)(other);
  API(destroy)(NULL);
}

static int read_input(const char *path) {
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(input, sizeof(float), CONST(INPUT_SIZE), f) : 0;
  if (f)
    fclose(f);
  if (n != CONST(INPUT_SIZE)) {
    printf("cannot read %d floats from %s\n", CONST(INPUT_SIZE), path);
    return 0;
  }
  return 1;
}

static void run(const char *in, const char *out) {
  if (!read_input(in))
    return;
  context *a, *b;
  int rc = API(create)(0, &a);
  report("create", rc);
  if (rc != CONST(OK))
    return;
  rc = API(create)(0, &b);
  report("create a second", rc);
  if (rc == CONST(OK)) {
    report("run", API(run)(a, input, output, NULL));
    report("run on the second", API(run)(b, input, second, NULL));
    printf("contexts agree: %s\n",
           memcmp(output, second, sizeof output) ? "no" : "yes");
    API(destroy)(b);
  }
  API(destroy)(a);
  FILE *f = fopen(out, "wb");
  if (!f || fwrite(output, sizeof output, 1, f) != 1)
    printf("cannot write %s\n", out);
  if (f)
    fclose(f);
}

enum { kThreads = 4, kRunsPerThread = 3 };
static float thread_outputs[kThreads][CONST(OUTPUT_SIZE)];
static int thread_failures[kThreads];
static char thread_messages[kThreads][256];

static void *thread_main(void *arg) {
  int t = (int)(intptr_t)arg;
  context *ctx;
  int rc = API(create)(0, &ctx);
  for (int r = 0; rc == CONST(OK) && r < kRunsPerThread; ++r)
    rc = API(run)(ctx, input, thread_outputs[t], NULL);
  if (rc != CONST(OK)) {
    /* The message is per thread: read it on the thread that failed. */
    thread_failures[t] = 1;
    snprintf(thread_messages[t], sizeof thread_messages[t], "%d (%s)", rc,
             API(status_message)(rc));
  }
  API(destroy)(ctx);
  return NULL;
}

static void threads(const char *in) {
  if (!read_input(in))
    return;
  context *main_ctx;
  int rc = API(create)(0, &main_ctx);
  report("create", rc);
  if (rc != CONST(OK))
    return;
  report("run", API(run)(main_ctx, input, output, NULL));
  pthread_t ids[kThreads];
  for (int t = 0; t < kThreads; ++t)
    pthread_create(&ids[t], NULL, thread_main, (void *)(intptr_t)t);
  int failed = 0, differ = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(ids[t], NULL);
    if (thread_failures[t]) {
      ++failed;
      printf("thread %d: %s\n", t, thread_messages[t]);
    } else if (memcmp(thread_outputs[t], output, sizeof output)) {
      ++differ;
    }
  }
  printf("threads: %d x %d runs, %d failed, %d outputs differ\n", kThreads,
         kRunsPerThread, failed, differ);
  API(destroy)(main_ctx);
}

int main(int argc, char **argv) {
  /* Lines in order with what the driver prints to stderr. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && !strcmp(argv[1], "api")) {
    api();
  } else if (argc == 2 && !strcmp(argv[1], "create")) {
    context *ctx;
    int rc = API(create)(0, &ctx);
    report("create", rc);
    API(destroy)(ctx);
  } else if (argc == 4 && !strcmp(argv[1], "run")) {
    run(argv[2], argv[3]);
  } else if (argc == 3 && !strcmp(argv[1], "threads")) {
    threads(argv[2]);
  } else {
    fprintf(stderr, "usage: %s api | create | run IN OUT | threads IN\n",
            argv[0]);
    return 2;
  }
  printf("alive\n");
  return 0;
}
