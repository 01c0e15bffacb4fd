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

/*===-- Outputs -----------------------------------------------------------===*/

/* The model's outputs: the descriptor's table, or its one output_shape. */
static int64_t num_outputs(void) {
  return kiln_model.num_outputs > 0 && kiln_model.outputs
             ? kiln_model.num_outputs
             : 1;
}

static kiln_output_desc get_output(int64_t i) {
  if (kiln_model.num_outputs > 0 && kiln_model.outputs)
    return kiln_model.outputs[i];
  kiln_output_desc only = {"output", kiln_model.output_rank, {0}, 0};
  memcpy(only.shape, kiln_model.output_shape, sizeof only.shape);
  return only;
}

/* "2x10", or "y 2x10, mean 2x1" for a model with several outputs. */
static void format_outputs(char *buf, size_t size) {
  int64_t n = num_outputs();
  size_t used = 0;
  buf[0] = '\0';
  for (int64_t i = 0; i < n && used < size; ++i) {
    kiln_output_desc o = get_output(i);
    char shape[200];
    kiln_shape_format(o.shape, o.rank, shape, sizeof shape);
    if (n > 1)
      used += (size_t)snprintf(buf + used, size - used, "%s%s %s",
                               i ? ", " : "", o.name ? o.name : "?", shape);
    else
      used += (size_t)snprintf(buf + used, size - used, "%s", shape);
  }
}

static void usage(void) {
  char in[200], out[1000];
  kiln_shape_format(kiln_model.input_shape, kiln_model.input_rank, in,
                    sizeof in);
  format_outputs(out, sizeof out);
  printf(
      "usage: %s INPUT.npy [-o OUT.npy]... [--top K] [--bench N]\n"
      "       [--profile N] [--threads T]\n"
      "\n"
      "Runs model '%s' (input %s, output%s %s) on INPUT.npy, a float32\n"
      "('<f4') C-order .npy file whose shape must equal the model's input,\n"
      "except that dimension 0 may be any multiple of the model's batch:\n"
      "the model then runs once per batch-sized slice.\n"
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
      prog, kiln_model.name ? kiln_model.name : "?", in,
      num_outputs() > 1 ? "s" : "", out);
}

/*===-- Argument parsing --------------------------------------------------===*/

typedef struct options {
  const char *input;
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
      if (o->input)
        return usage_error("unexpected extra argument '%s'", a);
      o->input = a;
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
  if (!o->input)
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

static int print_top(const float *out, const int64_t *shape, int64_t rank,
                     int64_t numel, long k) {
  int64_t rows = rank >= 2 ? shape[0] : 1;
  int64_t cols = rows ? numel / rows : 0;
  scored *s = malloc((size_t)(cols ? cols : 1) * sizeof *s);
  if (!s) {
    error("out of memory");
    return EXIT_INTERNAL;
  }
  int64_t shown = k < cols ? k : cols;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j)
      s[j] = (scored){out[r * cols + j], j};
    qsort(s, (size_t)cols, sizeof *s, by_score);
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

/* Whether every output lies within the output buffer of one inference,
 * `out_numel` floats. */
static int valid_outputs(int64_t out_numel) {
  for (int64_t i = 0; i < num_outputs(); ++i) {
    kiln_output_desc d = get_output(i);
    int64_t numel;
    if (d.rank < 0 || d.rank > KILN_MAX_RANK ||
        kiln_shape_numel(d.shape, d.rank, &numel) || d.offset < 0 ||
        d.offset > out_numel || numel > out_numel - d.offset)
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
  kiln_output_desc d = get_output(i);
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
    error("out of memory gathering output '%s'", d.name ? d.name : "?");
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
    printf("output %s:\n", get_output(i).name ? get_output(i).name : "?");
  return print_top(data, shape, get_output(i).rank, numel, *(long *)context);
}

/* Prints the top K of each output's rows, each output named when there are
 * several. */
static int print_tops(const float *out, int64_t batches,
                      int64_t model_out_numel, long k) {
  return for_each_output(out, batches, model_out_numel, print_one, &k);
}

/*===-- Driver ------------------------------------------------------------===*/

static int run(const options *o) {
  int64_t in_numel, out_numel;
  if (!kiln_model.forward ||
      kiln_shape_numel(kiln_model.input_shape, kiln_model.input_rank,
                       &in_numel) ||
      kiln_shape_numel(kiln_model.output_shape, kiln_model.output_rank,
                       &out_numel) ||
      out_numel > INT64_MAX / 4 || kiln_model.workspace_bytes < 0 ||
      (uint64_t)kiln_model.workspace_bytes > SIZE_MAX / 2 ||
      !valid_outputs(out_numel)) {
    error("invalid model descriptor");
    return EXIT_INTERNAL;
  }
  if (o->num_outputs > 0 && o->num_outputs != num_outputs()) {
    char outputs[1000];
    format_outputs(outputs, sizeof outputs);
    return usage_error("-o given %d time%s, but model '%s' has %lld "
                       "output%s (%s): give -o once per output, in that order",
                       o->num_outputs, o->num_outputs > 1 ? "s" : "",
                       kiln_model.name ? kiln_model.name : "?",
                       (long long)num_outputs(), num_outputs() > 1 ? "s" : "",
                       outputs);
  }

  char msg[512];
  kiln_tensor in;
  int rc = kiln_npy_read(o->input, &in, msg, sizeof msg);
  if (rc != KILN_OK) {
    error("%s", msg);
    return rc == KILN_ERR_NOMEM ? EXIT_INTERNAL : EXIT_BAD_INPUT;
  }
  // An input holding several model-sized batches along dimension 0 (say 100
  // digits for a model compiled at batch 1) runs batch by batch.
  int same = in.rank == kiln_model.input_rank && in.rank >= 1 &&
             kiln_model.output_rank >= 1 && kiln_model.input_shape[0] > 0 &&
             in.shape[0] % kiln_model.input_shape[0] == 0 && in.shape[0] > 0;
  for (int64_t i = 1; same && i < in.rank; ++i)
    same = in.shape[i] == kiln_model.input_shape[i];
  if (!same) {
    char got[200], want[200];
    kiln_shape_format(in.shape, in.rank, got, sizeof got);
    kiln_shape_format(kiln_model.input_shape, kiln_model.input_rank, want,
                      sizeof want);
    error("%s: input shape %s does not match the model's input %s", o->input,
          got, want);
    kiln_tensor_free(&in);
    return EXIT_BAD_INPUT;
  }
  int64_t batches = in.shape[0] / kiln_model.input_shape[0];
  for (int64_t i = 0; i < num_outputs() && batches > 1; ++i)
    if (get_output(i).rank == 0) {
      error("%s: input holds %lld batches, but output '%s' is a scalar that "
            "cannot stack them",
            o->input, (long long)batches,
            get_output(i).name ? get_output(i).name : "?");
      kiln_tensor_free(&in);
      return EXIT_BAD_INPUT;
    }
  int64_t model_out_numel = out_numel;
  if (out_numel > INT64_MAX / 4 / batches) {
    error("%s: output too large", o->input);
    kiln_tensor_free(&in);
    return EXIT_BAD_INPUT;
  }
  out_numel *= batches;

  // Zeroed so that a model that skips elements never leaks garbage.
  size_t out_bytes = (size_t)out_numel * sizeof(float);
  float *out = kiln_alloc_aligned(out_bytes);
  if (!out) {
    error("out of memory allocating the output (%zu bytes)", out_bytes);
    kiln_tensor_free(&in);
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
      kiln_tensor_free(&in);
      return EXIT_INTERNAL;
    }
  }
  forward_all(in.data, out, workspace, batches, in_numel, model_out_numel);

  rc = write_outputs(o, out, batches, model_out_numel);
  if (rc == 0 && (o->top || (!o->num_outputs && !o->bench && !o->profile)))
    rc = print_tops(out, batches, model_out_numel, o->top ? o->top : 5);
  if (rc == 0 && o->bench)
    rc = bench(in.data, out, workspace, o->bench, batches, in_numel,
               model_out_numel);
  if (rc == 0 && o->profile)
    rc = profile(in.data, out, workspace, o->profile, batches, in_numel,
                 model_out_numel);

  free(workspace);
  free(out);
  kiln_tensor_free(&in);
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
  o.outputs = calloc((size_t)argc, sizeof *o.outputs);
  if (!o.outputs) {
    error("out of memory");
    return EXIT_INTERNAL;
  }
  int rc = parse_args(argc, argv, &o);
  if (rc < 0) {
    install_fault_handlers();
    kiln_set_num_threads((int)o.threads);
    rc = run(&o);
  }
  free(o.outputs);
  return rc;
}
