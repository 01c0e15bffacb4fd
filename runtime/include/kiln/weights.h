/*===- kiln/weights.h - Weights kept in a file mapped at run time ---------===*
 *
 * `kilnc --emit=lib --external-weights` leaves a model's weights out of the
 * library and writes them to LIBRARY.weights; the library's PREFIX_load_weights
 * maps that file (read-only, shared with other processes, paged in on
 * demand) through this interface. The file is a 64-byte header followed by
 * the weights, at the offsets the compiled code uses:
 *
 *   bytes 0-7    "KILNWTS\0"
 *   bytes 8-15   format version (1), little-endian
 *   bytes 16-23  size of the weights in bytes
 *   bytes 24-31  fingerprint of the weights (FNV-1a 64), which must match
 *                the library's
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_WEIGHTS_H
#define KILN_WEIGHTS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes beyond kiln_status (runtime.h) and kiln/context.h's. */
enum {
  KILN_ERR_NO_WEIGHTS = 6, /* the weights file was not loaded yet */
};

/* Size of the file header; the weights start at this offset. */
#define KILN_WEIGHTS_HEADER_BYTES 64

/* Maps the weights file at `path` once and stores the address of its
 * weights in *slot (the library's own pointer). Returns KILN_OK (also when
 * *slot was already set: the file is not read again), KILN_ERR_IO (with
 * errno-style causes: missing, unreadable), KILN_ERR_FORMAT (not a weights
 * file, or the weights of another model: size or fingerprint differ) or
 * KILN_ERR_INVALID (NULL argument). Thread-safe. */
int kiln_weights_load(const void **slot, const char *path, uint64_t bytes,
                      uint64_t fingerprint);

/* KILN_OK once *slot is set, KILN_ERR_NO_WEIGHTS before. */
int kiln_weights_check(const void *const *slot);

#ifdef __cplusplus
}
#endif

#endif /* KILN_WEIGHTS_H */
