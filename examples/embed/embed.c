/*===- embed.c - Classify handwritten digits with the LeNet-5 library -----===*
 *
 * A C program that embeds a model compiled by Kiln. Build the library and
 * this program with (see README.md):
 *
 *   kilnc examples/lenet5.nn --weights examples/lenet5/lenet5.safetensors \
 *         --emit=lib -o lenet5.a                  # writes lenet5.h too
 *   cc -I. -o embed examples/embed/embed.c lenet5.a -lpthread -lm
 *   ./embed examples/lenet5/digits.npy 0 15       # digits 0 and 15
 *
 * DIGITS.npy holds N grey 28x28 digits as float32 (N x 1 x 28 x 28); the
 * program prints "digit I: CLASS (score S)" for each index given, or for
 * every digit without indices. Exit status 0, or 1 with a message.
 *
 *===----------------------------------------------------------------------===*/

#include "lenet5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a little-endian float32, C-order .npy file (format 1.0 or 2.0) whose
 * rows hold `row` floats each; returns the data and the row count, or NULL
 * with a message. Real programs get their tensors from elsewhere. */
static float *read_rows(const char *path, long row, long *rows) {
  FILE *file = fopen(path, "rb");
  unsigned char magic[12];
  char header[1024];
  float *data = NULL;
  if (!file || fread(magic, 1, 10, file) != 10 ||
      memcmp(magic, "\x93NUMPY", 6) != 0 || magic[6] < 1 || magic[6] > 2)
    goto fail;
  size_t length = magic[8] | (size_t)magic[9] << 8;
  if (magic[6] == 2) { /* A 4-byte header length. */
    if (fread(magic + 10, 1, 2, file) != 2)
      goto fail;
    length |= (size_t)magic[10] << 16 | (size_t)magic[11] << 24;
  }
  if (length >= sizeof header || fread(header, 1, length, file) != length)
    goto fail;
  header[length] = '\0';
  const char *shape = strstr(header, "'shape': (");
  if (!strstr(header, "'descr': '<f4'") ||
      !strstr(header, "'fortran_order': False") || !shape)
    goto fail;
  /* The first dimension counts rows; the others must multiply to `row`. */
  char *end;
  *rows = strtol(shape + 10, &end, 10);
  long per_row = 1;
  while (*end == ',' && end[1] == ' ' && end[2] != ')')
    per_row *= strtol(end + 1, &end, 10);
  if (*rows <= 0 || per_row != row)
    goto fail;
  data = malloc((size_t)*rows * (size_t)row * sizeof *data);
  if (!data || fread(data, sizeof *data, (size_t)*rows * (size_t)row, file) !=
                   (size_t)*rows * (size_t)row)
    goto fail;
  fclose(file);
  return data;
fail:
  fprintf(stderr, "embed: %s is not a float32 .npy file of %ld-float rows\n",
          path, row);
  free(data);
  if (file)
    fclose(file);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed DIGITS.npy [INDEX...]\n");
    return 1;
  }
  long count;
  float *digits = read_rows(argv[1], LENET5_INPUT_SIZE, &count);
  if (!digits)
    return 1;

  /* One context, with a thread per CPU; it owns its threads and workspace. */
  lenet5_context *ctx;
  int rc = lenet5_create(0, &ctx);
  if (rc != LENET5_OK) {
    fprintf(stderr, "embed: %s\n", lenet5_status_message(rc));
    free(digits);
    return 1;
  }

  int status = 0;
  long total = argc > 2 ? argc - 2 : count;
  for (long i = 0; i < total && status == 0; ++i) {
    long index = argc > 2 ? strtol(argv[2 + i], NULL, 10) : i;
    if (index < 0 || index >= count) {
      fprintf(stderr, "embed: no digit %ld (there are %ld)\n", index, count);
      status = 1;
      break;
    }
    float scores[LENET5_OUTPUT_SIZE];
    rc = lenet5_run(ctx, digits + index * LENET5_INPUT_SIZE, scores, NULL);
    if (rc != LENET5_OK) {
      fprintf(stderr, "embed: %s\n", lenet5_status_message(rc));
      status = 1;
      break;
    }
    int best = 0;
    for (int c = 1; c < LENET5_OUTPUT_SIZE; ++c)
      if (scores[c] > scores[best])
        best = c;
    printf("digit %ld: %d (score %.3f)\n", index, best, scores[best]);
  }

  lenet5_destroy(ctx);
  free(digits);
  return status;
}
