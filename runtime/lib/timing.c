/*===- timing.c - Monotonic wall clock ------------------------------------===*
 *
 * CLOCK_MONOTONIC rather than CLOCK_REALTIME so that benchmarks are immune to
 * NTP adjustments and manual clock changes.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <time.h>

double kiln_now_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0.0; /* Cannot happen for CLOCK_MONOTONIC on POSIX systems. */
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
