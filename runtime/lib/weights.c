/*===- weights.c - Weights kept in a file mapped at run time --------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/weights.h"
#include "kiln/runtime.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Serialises loads; the slots themselves are read with acquire loads. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t read_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | p[i];
  return v;
}

static const void *load_slot(const void *const *slot) {
  return atomic_load_explicit((_Atomic(const void *) *)slot,
                              memory_order_acquire);
}

/* Maps `path` after checking its header; stores the weights in *out. */
static int map_file(const char *path, uint64_t bytes, uint64_t fingerprint,
                    const void **out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return KILN_ERR_IO;
  struct stat st;
  unsigned char header[KILN_WEIGHTS_HEADER_BYTES];
  int rc = KILN_ERR_IO;
  if (fstat(fd, &st) != 0)
    goto done;
  rc = KILN_ERR_FORMAT; /* Too short, or not these weights. */
  if (pread(fd, header, sizeof header, 0) != (ssize_t)sizeof header ||
      memcmp(header, "KILNWTS", 8) != 0 || read_u64(header + 8) != 1 ||
      read_u64(header + 16) != bytes || read_u64(header + 24) != fingerprint ||
      (uint64_t)st.st_size < KILN_WEIGHTS_HEADER_BYTES + bytes)
    goto done;
  rc = KILN_ERR_IO;
  void *base = mmap(NULL, (size_t)(KILN_WEIGHTS_HEADER_BYTES + bytes),
                    PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED)
    goto done;
  *out = (const unsigned char *)base + KILN_WEIGHTS_HEADER_BYTES;
  rc = KILN_OK;
done:
  close(fd);
  return rc;
}

int kiln_weights_load(const void **slot, const char *path, uint64_t bytes,
                      uint64_t fingerprint) {
  if (!slot || !path)
    return KILN_ERR_INVALID;
  pthread_mutex_lock(&load_lock);
  int rc = KILN_OK;
  if (!load_slot(slot)) {
    const void *data = NULL;
    rc = map_file(path, bytes, fingerprint, &data);
    if (rc == KILN_OK)
      atomic_store_explicit((_Atomic(const void *) *)slot, data,
                            memory_order_release);
  }
  pthread_mutex_unlock(&load_lock);
  return rc;
}

int kiln_weights_check(const void *const *slot) {
  return slot && load_slot(slot) ? KILN_OK : KILN_ERR_NO_WEIGHTS;
}
