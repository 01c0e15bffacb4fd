/*===- npy_fuzzer.c - libFuzzer target: the runtime's .npy reader ---------===*
 *
 * kiln_npy_read reads from a path (the compiled executables' input), so each
 * input is written to a temporary file first. An accepted tensor must round
 * trip: kiln_npy_write writes it and reading that back gives the same shape
 * and bytes. A reader error must come with a message naming the file.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char input_path[96], output_path[96];

static void cleanup(void) {
  unlink(input_path);
  unlink(output_path);
  rmdir(dir);
}

static void setup(void) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) + 24 > sizeof dir)
    tmp = "/tmp";
  snprintf(dir, sizeof dir, "%s/kiln-npy-fuzz-XXXXXX", tmp);
  if (!mkdtemp(dir)) {
    perror("npy fuzzer: mkdtemp");
    abort();
  }
  snprintf(input_path, sizeof input_path, "%s/in.npy", dir);
  snprintf(output_path, sizeof output_path, "%s/out.npy", dir);
  atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0])
    setup();
  FILE *f = fopen(input_path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    perror("npy fuzzer: writing the input");
    abort();
  }

  char err[256];
  kiln_tensor t;
  int rc = kiln_npy_read(input_path, &t, err, sizeof err);
  if (rc != KILN_OK) {
    if (t.data || strncmp(err, input_path, strlen(input_path)) != 0) {
      fprintf(stderr, "npy fuzzer: bad failure state: %s\n", err);
      abort();
    }
    return 0;
  }

  int64_t numel;
  if (kiln_shape_numel(t.shape, t.rank, &numel) != 0)
    abort();
  if (kiln_npy_write(output_path, t.shape, t.rank, t.data, err, sizeof err)) {
    fprintf(stderr, "npy fuzzer: cannot write back: %s\n", err);
    abort();
  }
  kiln_tensor back;
  if (kiln_npy_read(output_path, &back, err, sizeof err) != KILN_OK ||
      back.rank != t.rank ||
      memcmp(back.shape, t.shape, sizeof t.shape[0] * (size_t)t.rank) != 0 ||
      memcmp(back.data, t.data, (size_t)numel * sizeof(float)) != 0) {
    fprintf(stderr, "npy fuzzer: the tensor does not round trip: %s\n", err);
    abort();
  }
  kiln_tensor_free(&back);
  kiln_tensor_free(&t);
  return 0;
}
