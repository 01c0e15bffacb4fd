/*===- main.c - Command-line driver linked into every compiled model ------===*
 *
 * Built as kiln_main.o; the compiler links it as
 *   cc -o BIN model.o kiln_main.o libkiln_runtime.a -lm
 * where model.o defines `kiln_model`. See usage() for the interface; the
 * stdout formats are meant to be parsed by tests and scripts.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
  EXIT_BAD_INPUT = 1, // A file could not be read/written, or wrong shape.
  EXIT_USAGE = 2,     // Unknown option, missing argument, bad number.
  EXIT_INTERNAL = 3,  // Out of memory, inconsistent model descriptor.
};

static const char *prog = "kiln";

static void error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fprintf(stderr, "Try '%s --help' for more information.\n", prog);
  return EXIT_USAGE;
}

/*===-- Inputs and outputs ----------------------------------------------===*/

/* The model's inputs or outputs: the descriptor's table, or, when that is
 * empty, its one tensor of `rank` and `shape`. */
typedef struct io_list {
  int64_t count;
  const kiln_io_desc *table;
  const char *name;
  int64_t rank;
  const int64_t *shape;
} io_list;

static io_list model_inputs(void) {
  return (io_list){kiln_model.num_inputs, kiln_model.inputs, "input",
                   kiln_model.input_rank, kiln_model.input_shape};
}

static io_list model_outputs(void) {
  return (io_list){kiln_model.num_outputs, kiln_model.outputs, "output",
                   kiln_model.output_rank, kiln_model.output_shape};
}

static int64_t io_count(io_list list) {
  return list.count > 0 && list.table ? list.count : 1;
}

static kiln_io_desc io_get(io_list list, int64_t i) {
  if (list.count > 0 && list.table)
    return list.table[i];
  kiln_io_desc only = {list.name, list.rank, {0}, 0};
  memcpy(only.shape, list.shape, sizeof only.shape);
  return only;
}

static int64_t num_inputs(void) { return io_count(model_inputs()); }
static int64_t num_outputs(void) { return io_count(model_outputs()); }
static kiln_io_desc get_input(int64_t i) { return io_get(model_inputs(), i); }
static kiln_io_desc get_output(int64_t i) { return io_get(model_outputs(), i); }
static const char *io_name(kiln_io_desc d) { return d.name ? d.name : "?"; }

/* "2x10", or "y 2x10, mean 2x1" for a model with several outputs. */
static void format_io(io_list list, char *buf, size_t size) {
  int64_t n = io_count(list);
  size_t used = 0;
  buf[0] = '\0';
  for (int64_t i = 0; i < n && used < size; ++i) {
    kiln_io_desc d = io_get(list, i);
    char shape[200];
    kiln_shape_format(d.shape, d.rank, shape, sizeof shape);
    if (n > 1)
      used += (size_t)snprintf(buf + used, size - used, "%s%s %s",
                               i ? ", " : "", io_name(d), shape);
    else
      used += (size_t)snprintf(buf + used, size - used, "%s", shape);
  }
}

static void usage(void) {
  char in[1000], out[1000];
  format_io(model_inputs(), in, sizeof in);
  format_io(model_outputs(), out, sizeof out);
  printf(
      "usage: %s INPUT.npy%s [-o OUT.npy]... [--top K] [--bench N]\n"
      "       [--profile N] [--threads T]\n"
      "\n"
      "Runs model '%s' (input%s %s, output%s %s) on INPUT.npy, a float32\n"
      "('<f4') C-order .npy file whose shape must equal the model's input,\n"
      "except that dimension 0 may be any multiple of the model's batch:\n"
      "the model then runs once per batch-sized slice. A model with several\n"
      "inputs takes one file per input, in the order above; each holds the\n"
      "same number of batches, or exactly its input, which then serves every\n"
      "batch.\n"
      "\n"
      "options:\n"
      "  -o OUT.npy   write the output tensor to OUT.npy (atomically); a\n"
      "               model with several outputs takes one -o per output,\n"
      "               in the order above\n"
      "  --top K      print the K largest outputs of each batch row; K is\n"
      "               clamped to the row length. Without --top, the top 5\n"
      "               are printed only if neither -o nor --bench is given\n"
      "  --bench N    after the first (warm-up) run, time N more runs\n"
      "  --profile N  after the first run, time each layer over N more runs\n"
      "               and print a table: layer, ms per run, share of the\n"
      "               total, GFLOP/s\n"
      "  --threads T  run parallel kernels on T threads (default: one per\n"
      "               CPU)\n"
      "  -h, --help   show this help\n"
      "\n"
      "output (stdout):\n"
      "  [ROW] top-K: INDEX (VALUE), INDEX (VALUE), ...\n"
      "      one line per row of the output viewed as [dim0, rest]\n"
      "      (rank 0 and 1 outputs are one row); VALUE is printed with %%.4f;\n"
      "      ties go to the lower index and NaN sorts last. With several\n"
      "      outputs, a line 'output NAME:' precedes each one's rows\n"
      "  bench: N iterations, median X ms, min Y ms\n"
      "  profile: one line per layer (spec line, fused ops), then the total\n"
      "\n"
      "exit status:\n"
      "  0  success\n"
      "  1  bad input: a file cannot be read or written, or has the wrong "
      "shape\n"
      "  2  bad usage: unknown option, missing argument, bad number\n"
      "  3  internal error: out of memory, an invalid model descriptor, or a\n"
      "     crash (a bug in Kiln: please report it with the model)\n",
      prog, num_inputs() > 1 ? "..." : "",
      kiln_model.name ? kiln_model.name : "?", num_inputs() > 1 ? "s" : "", in,
      num_outputs() > 1 ? "s" : "", out);
}

/*===-- Argument parsing --------------------------------------------------===*/

typedef struct options {
  const char **inputs; // The positional arguments, argc long.
  int num_inputs;
  const char **outputs; // The -o arguments, argc long.
  int num_outputs;
  long top;     // 0 means "not given".
  long bench;   // 0 means "no benchmark".
  long profile; // 0 means "no profile".
  long threads; // 0 means one per CPU.
} options;

// Accepts only a whole, positive decimal number that fits in an int.
static int parse_positive(const char *text, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < 1 || v > 0x7fffffff)
    return -1;
  *out = v;
  return 0;
}

// Returns -1 to continue, otherwise the exit code (0 after --help).
static int parse_args(int argc, char **argv, options *o) {
  int only_positional = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (only_positional || a[0] != '-' || a[1] == '\0') {
      o->inputs[o->num_inputs++] = a;
    } else if (!strcmp(a, "--")) {
      only_positional = 1;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage();
      return 0;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--top") ||
               !strcmp(a, "--bench") || !strcmp(a, "--profile") ||
               !strcmp(a, "--threads")) {
      if (i + 1 == argc)
        return usage_error("option '%s' requires an argument", a);
      const char *v = argv[++i];
      long *number = !strcmp(a, "--top")       ? &o->top
                     : !strcmp(a, "--bench")   ? &o->bench
                     : !strcmp(a, "--profile") ? &o->profile
                                               : &o->threads;
      if (a[1] == 'o')
        o->outputs[o->num_outputs++] = v;
      else if (parse_positive(v, number))
        return usage_error("expected a positive integer, got '%s'", v);
    } else {
      return usage_error("unknown option '%s'", a);
    }
  }
  if (!o->num_inputs)
    return usage_error("missing input file");
  return -1;
}

/*===-- Reporting ---------------------------------------------------------===*/

typedef struct scored {
  float value;
  int64_t index;
} scored;

// Descending by value, NaN last, ties by ascending index: a total order, so
// the output is deterministic.
static int by_score(const void *pa, const void *pb) {
  const scored *a = pa, *b = pb;
  int a_nan = a->value != a->value, b_nan = b->value != b->value;
  if (a_nan != b_nan)
    return a_nan - b_nan;
  if (!a_nan && a->value != b->value)
    return a->value > b->value ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

/* Restores the heap order of `heap[0, size)` below `i`: each entry ranks
 * after (by by_score) neither of its children, so the root is the worst. */
static void sift_down(scored *heap, int64_t size, int64_t i) {
  for (;;) {
    int64_t worst = i, left = 2 * i + 1, right = left + 1;
    if (left < size && by_score(&heap[left], &heap[worst]) > 0)
      worst = left;
    if (right < size && by_score(&heap[right], &heap[worst]) > 0)
      worst = right;
    if (worst == i)
      return;
    scored t = heap[i];
    heap[i] = heap[worst];
    heap[worst] = t;
    i = worst;
  }
}

/* The k best of row[0, cols) into best[0, k), best first: a heap of the k
 * best so far, so that a large output (a segmentation map's 400K scores)
 * costs cols * log k comparisons rather than a sort of the whole row. */
static void select_top(const float *row, int64_t cols, scored *best,
                       int64_t k) {
  if (k <= 0)
    return;
  for (int64_t j = 0; j < k; ++j)
    best[j] = (scored){row[j], j};
  for (int64_t i = k / 2 - 1; i >= 0; --i)
    sift_down(best, k, i);
  for (int64_t j = k; j < cols; ++j) {
    scored candidate = {row[j], j};
    if (by_score(&candidate, &best[0]) < 0) {
      best[0] = candidate;
      sift_down(best, k, 0);
    }
  }
  qsort(best, (size_t)k, sizeof *best, by_score);
}

static int print_top(const float *out, const int64_t *shape, int64_t rank,
                     int64_t numel, long k) {
  int64_t rows = rank >= 2 ? shape[0] : 1;
  int64_t cols = rows ? numel / rows : 0;
  int64_t shown = k < cols ? k : cols;
  scored *s = malloc((size_t)(shown ? shown : 1) * sizeof *s);
  if (!s) {
    error("out of memory");
    return EXIT_INTERNAL;
  }
  for (int64_t r = 0; r < rows; ++r) {
    select_top(out + r * cols, cols, s, shown);
    printf("[%lld] top-%lld:", (long long)r, (long long)shown);
    for (int64_t j = 0; j < shown; ++j)
      printf("%s %lld (%.4f)", j ? "," : "", (long long)s[j].index,
             (double)s[j].value);
    putchar('\n');
  }
  free(s);
  return 0;
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Runs the model over `batches` consecutive model-sized slices of `in`. */
static void forward_all(const float *in, float *out, void *workspace,
                        int64_t batches, int64_t in_numel, int64_t out_numel) {
  kiln_hold_threads(1);
  for (int64_t b = 0; b < batches; ++b)
    kiln_model.forward(in + b * in_numel, out + b * out_numel, workspace);
  kiln_hold_threads(0);
}

static int bench(const float *in, float *out, void *workspace, long n,
                 int64_t batches, int64_t in_numel, int64_t out_numel) {
  double *ms = malloc((size_t)n * sizeof *ms);
  if (!ms) {
    error("out of memory");
    return EXIT_INTERNAL;
  }
  // The caller's first forward() was the warm-up (caches, page faults).
  for (long i = 0; i < n; ++i) {
    double t0 = kiln_now_seconds();
    forward_all(in, out, workspace, batches, in_numel, out_numel);
    ms[i] = (kiln_now_seconds() - t0) * 1e3;
  }
  qsort(ms, (size_t)n, sizeof *ms, cmp_double);
  double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  printf("bench: %ld iterations, median %.4f ms, min %.4f ms\n", n, median,
         ms[0]);
  free(ms);
  return 0;
}

/* Times every layer over n runs and prints one line per layer. */
static int profile(const float *in, float *out, void *workspace, long n,
                   int64_t batches, int64_t in_numel, int64_t out_numel) {
  int64_t layers = kiln_model.num_layers;
  if (layers <= 0 || !kiln_model.layers) {
    error("this model was compiled without a layer table");
    return EXIT_BAD_INPUT;
  }
  double *seconds = calloc((size_t)layers, sizeof *seconds);
  if (!seconds) {
    error("out of memory");
    return EXIT_INTERNAL;
  }
  kiln_profile_begin(seconds, layers);
  double t0 = kiln_now_seconds();
  for (long i = 0; i < n; ++i)
    forward_all(in, out, workspace, batches, in_numel, out_numel);
  double total = (kiln_now_seconds() - t0) / (double)n;
  kiln_profile_end();

  /* The name column fits the longest name (ONNX node names run long). */
  int width = 44;
  for (int64_t l = 0; l < layers; ++l) {
    const char *name = kiln_model.layers[l].name;
    size_t length = name ? strlen(name) : 0;
    if (length > (size_t)width)
      width = length > 200 ? 200 : (int)length;
  }
  double runs = (double)n * (double)batches, flops = 0;
  printf("profile: %ld runs on %d threads\n", n, kiln_num_threads());
  printf("  %-*s %10s %7s %9s\n", width, "layer", "ms/run", "share", "GFLOP/s");
  for (int64_t l = 0; l < layers; ++l) {
    double ms = seconds[l] / runs * 1e3;
    double layer_flops = (double)kiln_model.layers[l].flops;
    flops += layer_flops;
    printf("  %-*s %10.4f %6.1f%% %9.2f\n", width,
           kiln_model.layers[l].name ? kiln_model.layers[l].name : "?", ms,
           total > 0 ? 100.0 * seconds[l] / (double)n / total : 0.0,
           ms > 0 ? layer_flops / (ms * 1e6) : 0.0);
  }
  double total_ms = total / (double)batches * 1e3;
  printf("  %-*s %10.4f %6.1f%% %9.2f\n", width, "total", total_ms, 100.0,
         total_ms > 0 ? flops / (total_ms * 1e6) : 0.0);
  free(seconds);
  return 0;
}

/*===-- Internal errors ---------------------------------------------------===*/

/* A fault in the model or the runtime is a bug in Kiln: exit with
 * EXIT_INTERNAL and ask for a report rather than dump core. Not under
 * AddressSanitizer, whose own report of the fault says much more. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KILN_ASAN 1
#endif

static void on_fault(int sig) {
  (void)sig;
  static const char message[] =
      ": error: internal error: the model crashed\n"
      "This is a bug in Kiln; please report it with the model that "
      "triggered it.\n";
  /* Only async-signal-safe calls here. */
  (void)!write(STDERR_FILENO, prog, strlen(prog));
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
  _exit(EXIT_INTERNAL);
}

static void install_fault_handlers(void) {
#ifndef KILN_ASAN
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_fault;
  sigemptyset(&action.sa_mask);
  /* SIGABRT: a failed check in the model (cf.assert: the data race checks
   * of --gpu-emulate binaries), whose message is already on stdout. */
  const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; ++i)
    sigaction(faults[i], &action, NULL);
#endif
}

/* Termination signals wait while the output is written and renamed into
 * place, so an interrupted run leaves the old file or the complete new one
 * and never its temporary file. (The pool's workers block them: see
 * team.c.) */
static int write_output(const char *path, const int64_t *shape, int64_t rank,
                        const float *data, char *msg, size_t msglen) {
  sigset_t termination, old;
  sigemptyset(&termination);
  const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; ++i)
    sigaddset(&termination, signals[i]);
  sigprocmask(SIG_BLOCK, &termination, &old);
  int rc = kiln_npy_write(path, shape, rank, data, msg, msglen);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}

/* Whether every tensor of `list` lies within its buffer of `numel` floats,
 * that of one inference. */
static int valid_io(io_list list, int64_t buffer_numel) {
  for (int64_t i = 0; i < io_count(list); ++i) {
    kiln_io_desc d = io_get(list, i);
    int64_t numel;
    if (d.rank < 0 || d.rank > KILN_MAX_RANK ||
        kiln_shape_numel(d.shape, d.rank, &numel) || d.offset < 0 ||
        d.offset > buffer_numel || numel > buffer_numel - d.offset)
      return 0;
  }
  return 1;
}

/* Output `i` of every batch, gathered from the inferences' output buffers
 * (`out`, `model_out_numel` floats each) into `data`, with its shape: dim 0
 * grows by the number of batches. Returns 0, or an exit code after an
 * error. *data is `out` itself for a model with one output. */
static int gather_output(int64_t i, const float *out, int64_t batches,
                         int64_t model_out_numel, const float **data,
                         float **owned, int64_t *shape, int64_t *numel) {
  kiln_io_desc d = get_output(i);
  memcpy(shape, d.shape, sizeof d.shape);
  if (batches > 1)
    shape[0] *= batches;
  kiln_shape_numel(d.shape, d.rank, numel);
  *owned = NULL;
  if (num_outputs() == 1) {
    *data = out;
    *numel *= batches;
    return 0;
  }
  size_t count = (size_t)(*numel * batches);
  float *buffer = malloc((count ? count : 1) * sizeof(float));
  if (!buffer) {
    error("out of memory gathering output '%s'", io_name(d));
    return EXIT_INTERNAL;
  }
  for (int64_t b = 0; b < batches; ++b)
    memcpy(buffer + b * *numel, out + b * model_out_numel + d.offset,
           (size_t)*numel * sizeof(float));
  *numel *= batches;
  *data = *owned = buffer;
  return 0;
}

/* What is done with each output: its index, data (all batches) and shape.
 * Returns 0 or an exit code. */
typedef int (*output_action)(int64_t i, const float *data, const int64_t *shape,
                             int64_t numel, void *context);

/* Gathers each output in turn and hands it to `action`; stops at the first
 * failure and returns its exit code. */
static int for_each_output(const float *out, int64_t batches,
                           int64_t model_out_numel, output_action action,
                           void *context) {
  for (int64_t i = 0; i < num_outputs(); ++i) {
    const float *data;
    float *owned;
    int64_t shape[KILN_MAX_RANK], numel;
    int rc = gather_output(i, out, batches, model_out_numel, &data, &owned,
                           shape, &numel);
    if (rc == 0)
      rc = action(i, data, shape, numel, context);
    free(owned);
    if (rc != 0)
      return rc;
  }
  return 0;
}

typedef struct written {
  const options *o;
  int64_t count; /* outputs written so far */
} written;

static int write_one(int64_t i, const float *data, const int64_t *shape,
                     int64_t numel, void *context) {
  (void)numel;
  written *w = context;
  char msg[512];
  int rc = write_output(w->o->outputs[i], shape, get_output(i).rank, data, msg,
                        sizeof msg);
  if (rc != KILN_OK) {
    error("%s", msg);
    return rc == KILN_ERR_IO ? EXIT_BAD_INPUT : EXIT_INTERNAL;
  }
  w->count = i + 1;
  return 0;
}

/* Writes every output to its -o file, or none: a failure removes the ones
 * written before it. */
static int write_outputs(const options *o, const float *out, int64_t batches,
                         int64_t model_out_numel) {
  if (o->num_outputs == 0)
    return 0;
  written w = {o, 0};
  int rc = for_each_output(out, batches, model_out_numel, write_one, &w);
  if (rc != 0)
    for (int64_t j = 0; j < w.count; ++j)
      remove(o->outputs[j]);
  return rc;
}

static int print_one(int64_t i, const float *data, const int64_t *shape,
                     int64_t numel, void *context) {
  if (num_outputs() > 1)
    printf("output %s:\n", io_name(get_output(i)));
  return print_top(data, shape, get_output(i).rank, numel, *(long *)context);
}

/* Prints the top K of each output's rows, each output named when there are
 * several. */
static int print_tops(const float *out, int64_t batches,
                      int64_t model_out_numel, long k) {
  return for_each_output(out, batches, model_out_numel, print_one, &k);
}

/*===-- Driver ------------------------------------------------------------===*/

/* The input files, read and checked against the model's inputs, and the
 * buffer the model reads: batch after batch, each the inputs packed as the
 * descriptor's table places them. */
typedef struct input_data {
  kiln_tensor *files; /* num_inputs() of them */
  int64_t batches;
  float *packed; /* files[0].data for a model with one input */
  float *owned;  /* what to free besides the files */
} input_data;

static void free_inputs(input_data *in) {
  for (int64_t i = 0; in->files && i < num_inputs(); ++i)
    kiln_tensor_free(&in->files[i]);
  free(in->files);
  free(in->owned);
}

/* How many model-sized batches along dimension 0 `t` holds as input `d`
 * (say 100 digits for a model compiled at batch 1), or 0 when its shape
 * does not fit. A scalar holds one. */
static int64_t count_batches(const kiln_tensor *t, kiln_io_desc d) {
  if (t->rank == 0 && d.rank == 0)
    return 1;
  if (t->rank != d.rank || t->rank < 1 || d.shape[0] <= 0 || t->shape[0] <= 0 ||
      t->shape[0] % d.shape[0] != 0)
    return 0;
  for (int64_t i = 1; i < t->rank; ++i)
    if (t->shape[i] != d.shape[i])
      return 0;
  return t->shape[0] / d.shape[0];
}

/* Reads each input file and packs them for the model, whose one input is
 * `in_numel` floats. Returns 0 or an exit code after an error. */
static int read_inputs(const options *o, int64_t in_numel, input_data *in) {
  int64_t n = num_inputs();
  in->files = calloc((size_t)n, sizeof *in->files);
  int64_t *counts = calloc((size_t)n, sizeof *counts);
  if (!in->files || !counts) {
    free(counts);
    error("out of memory");
    return EXIT_INTERNAL;
  }
  int rc = 0;
  in->batches = 1;
  for (int64_t i = 0; i < n && rc == 0; ++i) {
    char msg[512];
    kiln_io_desc d = get_input(i);
    int status = kiln_npy_read(o->inputs[i], &in->files[i], msg, sizeof msg);
    if (status != KILN_OK) {
      error("%s", msg);
      rc = status == KILN_ERR_NOMEM ? EXIT_INTERNAL : EXIT_BAD_INPUT;
      break;
    }
    counts[i] = count_batches(&in->files[i], d);
    if (!counts[i]) {
      char got[200], want[200];
      kiln_shape_format(in->files[i].shape, in->files[i].rank, got, sizeof got);
      kiln_shape_format(d.shape, d.rank, want, sizeof want);
      if (n > 1)
        error("%s: input shape %s does not match the model's input '%s' %s",
              o->inputs[i], got, io_name(d), want);
      else
        error("%s: input shape %s does not match the model's input %s",
              o->inputs[i], got, want);
      rc = EXIT_BAD_INPUT;
    } else if (counts[i] > in->batches) {
      in->batches = counts[i];
    }
  }
  /* Every input holds the same number of batches, or one, for all. */
  for (int64_t i = 0; i < n && rc == 0; ++i)
    if (counts[i] != 1 && counts[i] != in->batches) {
      int64_t most = 0;
      while (counts[most] != in->batches)
        ++most;
      error("%s holds %lld batches of input '%s', but %s holds %lld of "
            "'%s'",
            o->inputs[i], (long long)counts[i], io_name(get_input(i)),
            o->inputs[most], (long long)in->batches, io_name(get_input(most)));
      rc = EXIT_BAD_INPUT;
    }
  free(counts);
  if (rc != 0)
    return rc;
  if (n == 1) {
    in->packed = in->files[0].data;
    return 0;
  }
  if (in_numel > INT64_MAX / 4 / in->batches) {
    error("%s: input too large", o->inputs[0]);
    return EXIT_BAD_INPUT;
  }
  size_t bytes = (size_t)(in_numel * in->batches) * sizeof(float);
  in->packed = in->owned = kiln_alloc_aligned(bytes ? bytes : 1);
  if (!in->packed) {
    error("out of memory packing the inputs (%zu bytes)", bytes);
    return EXIT_INTERNAL;
  }
  for (int64_t b = 0; b < in->batches; ++b)
    for (int64_t i = 0; i < n; ++i) {
      kiln_io_desc d = get_input(i);
      const kiln_tensor *t = &in->files[i];
      int64_t numel;
      kiln_shape_numel(d.shape, d.rank, &numel);
      int64_t from = d.rank == 0 || t->shape[0] == d.shape[0] ? 0 : b * numel;
      memcpy(in->packed + b * in_numel + d.offset, t->data + from,
             (size_t)numel * sizeof(float));
    }
  return 0;
}

static int run(const options *o) {
  int64_t in_numel, out_numel;
  if (!kiln_model.forward ||
      kiln_shape_numel(kiln_model.input_shape, kiln_model.input_rank,
                       &in_numel) ||
      kiln_shape_numel(kiln_model.output_shape, kiln_model.output_rank,
                       &out_numel) ||
      out_numel > INT64_MAX / 4 || kiln_model.workspace_bytes < 0 ||
      (uint64_t)kiln_model.workspace_bytes > SIZE_MAX / 2 ||
      !valid_io(model_inputs(), in_numel) ||
      !valid_io(model_outputs(), out_numel)) {
    error("invalid model descriptor");
    return EXIT_INTERNAL;
  }
  const char *model = kiln_model.name ? kiln_model.name : "?";
  if (o->num_inputs != num_inputs()) {
    char inputs[1000];
    format_io(model_inputs(), inputs, sizeof inputs);
    if (num_inputs() == 1)
      return usage_error("unexpected extra argument '%s'", o->inputs[1]);
    return usage_error("%d input file%s given, but model '%s' has %lld "
                       "inputs (%s): give one .npy file per input, in that "
                       "order",
                       o->num_inputs, o->num_inputs > 1 ? "s" : "", model,
                       (long long)num_inputs(), inputs);
  }
  if (o->num_outputs > 0 && o->num_outputs != num_outputs()) {
    char outputs[1000];
    format_io(model_outputs(), outputs, sizeof outputs);
    return usage_error("-o given %d time%s, but model '%s' has %lld "
                       "output%s (%s): give -o once per output, in that order",
                       o->num_outputs, o->num_outputs > 1 ? "s" : "", model,
                       (long long)num_outputs(), num_outputs() > 1 ? "s" : "",
                       outputs);
  }

  input_data in = {0};
  int rc = read_inputs(o, in_numel, &in);
  if (rc != 0) {
    free_inputs(&in);
    return rc;
  }
  int64_t batches = in.batches;
  for (int64_t i = 0; i < num_outputs() && batches > 1; ++i)
    if (get_output(i).rank == 0) {
      error("%s: input holds %lld batches, but output '%s' is a scalar that "
            "cannot stack them",
            o->inputs[0], (long long)batches, io_name(get_output(i)));
      free_inputs(&in);
      return EXIT_BAD_INPUT;
    }
  int64_t model_out_numel = out_numel;
  if (out_numel > INT64_MAX / 4 / batches) {
    error("%s: output too large", o->inputs[0]);
    free_inputs(&in);
    return EXIT_BAD_INPUT;
  }
  out_numel *= batches;

  // Zeroed so that a model that skips elements never leaks garbage.
  size_t out_bytes = (size_t)out_numel * sizeof(float);
  float *out = kiln_alloc_aligned(out_bytes);
  if (!out) {
    error("out of memory allocating the output (%zu bytes)", out_bytes);
    free_inputs(&in);
    return EXIT_INTERNAL;
  }
  memset(out, 0, out_bytes);
  // One workspace for every inference: the model itself never allocates.
  void *workspace = NULL;
  if (kiln_model.workspace_bytes > 0) {
    workspace = kiln_alloc_aligned((size_t)kiln_model.workspace_bytes);
    if (!workspace) {
      error("out of memory allocating the workspace (%lld bytes)",
            (long long)kiln_model.workspace_bytes);
      free(out);
      free_inputs(&in);
      return EXIT_INTERNAL;
    }
  }
  forward_all(in.packed, out, workspace, batches, in_numel, model_out_numel);

  rc = write_outputs(o, out, batches, model_out_numel);
  if (rc == 0 && (o->top || (!o->num_outputs && !o->bench && !o->profile)))
    rc = print_tops(out, batches, model_out_numel, o->top ? o->top : 5);
  if (rc == 0 && o->bench)
    rc = bench(in.packed, out, workspace, o->bench, batches, in_numel,
               model_out_numel);
  if (rc == 0 && o->profile)
    rc = profile(in.packed, out, workspace, o->profile, batches, in_numel,
                 model_out_numel);

  free(workspace);
  free(out);
  free_inputs(&in);
  if (rc == 0 && fflush(stdout) != 0) {
    error("cannot write to standard output");
    return EXIT_INTERNAL;
  }
  return rc;
}

int main(int argc, char **argv) {
  /* Line by line, so that a message the model prints just before it aborts
   * (a failed cf.assert) is not lost in the buffer. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 0 && argv[0] && argv[0][0]) {
    const char *slash = strrchr(argv[0], '/');
    prog = slash ? slash + 1 : argv[0];
  }
  options o = {0};
  o.inputs = calloc((size_t)argc, sizeof *o.inputs);
  o.outputs = calloc((size_t)argc, sizeof *o.outputs);
  if (!o.inputs || !o.outputs) {
    free(o.inputs);
    free(o.outputs);
    error("out of memory");
    return EXIT_INTERNAL;
  }
  int rc = parse_args(argc, argv, &o);
  if (rc < 0) {
    install_fault_handlers();
    kiln_set_num_threads((int)o.threads);
    rc = run(&o);
  }
  free(o.inputs);
  free(o.outputs);
  return rc;
}
