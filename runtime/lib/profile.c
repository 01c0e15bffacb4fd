/*===- profile.c - Per-layer wall time of compiled models -----------------===*
 *
 * The layer marks that kiln-instrument-layers puts in every model: cheap
 * when no profile is running (one load and a branch per layer), a clock
 * read per layer when one is.
 *
 *===----------------------------------------------------------------------===*/

#include "kiln/runtime.h"

static double *profile_seconds; /* NULL: not profiling */
static int64_t profile_layers;
static int64_t current_layer = -1;
static double layer_start;

void kiln_profile_begin(double *seconds, int64_t num_layers) {
  profile_seconds = seconds;
  profile_layers = num_layers;
  current_layer = -1;
}

void kiln_profile_end(void) { profile_seconds = 0; }

void kiln_profile_layer(int64_t layer) {
  if (!profile_seconds)
    return;
  double now = kiln_now_seconds();
  if (current_layer >= 0 && current_layer < profile_layers)
    profile_seconds[current_layer] += now - layer_start;
  current_layer = layer;
  layer_start = now;
}
