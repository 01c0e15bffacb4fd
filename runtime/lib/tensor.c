/*===- tensor.c - Shapes, aligned buffers and tensor lifetime -------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <stdio.h>
#include <stdlib.h>

void kiln_tensor_free(kiln_tensor *t) {
  if (!t)
    return;
  free(t->data);
  *t = (kiln_tensor){0};
}

int kiln_shape_numel(const int64_t *shape, int64_t rank, int64_t *numel) {
  if (rank < 0 || rank > KILN_MAX_RANK)
    return -1;
  // A zero dimension makes the whole product zero, even if multiplying the
  // other dimensions would overflow, so look for one first.
  int has_zero = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return -1;
    has_zero |= shape[i] == 0;
  }
  int64_t n = 1;
  for (int64_t i = 0; i < rank && !has_zero; ++i) {
    if (n > INT64_MAX / shape[i])
      return -1;
    n *= shape[i];
  }
  *numel = has_zero ? 0 : n;
  return 0;
}

char *kiln_shape_format(const int64_t *shape, int64_t rank, char *buf,
                        size_t buflen) {
  if (buflen == 0)
    return buf;
  if (rank <= 0) {
    snprintf(buf, buflen, "()");
    return buf;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int64_t i = 0; i < rank && used < buflen; ++i) {
    int n = snprintf(buf + used, buflen - used, "%s%lld", i ? "x" : "",
                     (long long)shape[i]);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  return buf;
}

void *kiln_alloc_aligned(size_t bytes) {
  // Round up so the buffer is also valid for C11 aligned_alloc-style users
  // and so vectorized tails may read a whole cache line.
  size_t rounded = bytes ? bytes : 1;
  if (rounded > SIZE_MAX - (KILN_ALIGNMENT - 1))
    return NULL;
  rounded = (rounded + KILN_ALIGNMENT - 1) / KILN_ALIGNMENT * KILN_ALIGNMENT;
  void *p = NULL;
  if (posix_memalign(&p, KILN_ALIGNMENT, rounded) != 0)
    return NULL;
  return p;
}
