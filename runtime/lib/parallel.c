/*===- parallel.c - The executables' thread team and OpenMP names ---------===*
 *
 * Executables (kiln_main.o + the model object) call the OpenMP entry points
 * under their usual __kmpc_* names and size the team with --threads before
 * the first inference (kiln_set_num_threads). This file gives them one
 * process-wide team, started on first use, and forwards the __kmpc_* names
 * to team.c. A thread that made another team current (a library context)
 * keeps using that one.
 *
 * Libraries made by `kilnc --emit=lib` do not contain this file: they call
 * the kiln_omp_* names on the team of the context that runs them.
 *
 *===----------------------------------------------------------------------===*/

#include "kiln/runtime.h"
#include "kiln/team.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int requested_threads; /* 0: one per online CPU */
static int started;
static kiln_team *process_team; /* NULL if it could not be allocated */

static kiln_team *get_process_team(void) {
  pthread_mutex_lock(&lock);
  if (!started) {
    started = 1;
    process_team = kiln_team_create(requested_threads);
  }
  kiln_team *team = process_team;
  pthread_mutex_unlock(&lock);
  return team;
}

int kiln_set_num_threads(int threads) {
  pthread_mutex_lock(&lock);
  int ok = !started && threads >= 0;
  if (ok)
    requested_threads = threads;
  pthread_mutex_unlock(&lock);
  return ok ? 0 : -1;
}

int kiln_num_threads(void) { return kiln_team_size(get_process_team()); }

void kiln_hold_threads(int hold) {
  // The team this thread holds, so that the release matches the hold even
  // if the pool started in between.
  static _Thread_local kiln_team *held;
  if (!hold) {
    kiln_team_hold(held, 0);
    held = NULL;
    return;
  }
  if (held)
    return;
  // A pool that has not started yet (no kernel has forked) has no threads
  // to hold; starting one would only add threads that spin for nothing.
  pthread_mutex_lock(&lock);
  held = process_team;
  pthread_mutex_unlock(&lock);
  kiln_team_hold(held, 1);
}

/*===-- The OpenMP runtime ABI subset -------------------------------------===*/

void __kmpc_fork_call(void *loc, int32_t argc, kiln_microtask task, ...) {
  (void)loc;
  kiln_team *team = kiln_team_current();
  if (!team)
    team = get_process_team();
  va_list args;
  va_start(args, task);
  kiln_team_vfork(team, argc, task, args);
  va_end(args);
}

int32_t __kmpc_global_thread_num(void *loc) {
  return kiln_omp_global_thread_num(loc);
}

void __kmpc_for_static_init_8u(void *loc, int32_t gtid, int32_t schedule,
                               int32_t *last, uint64_t *lower, uint64_t *upper,
                               int64_t *stride, int64_t incr, int64_t chunk) {
  kiln_omp_for_static_init_8u(loc, gtid, schedule, last, lower, upper, stride,
                              incr, chunk);
}

void __kmpc_for_static_fini(void *loc, int32_t gtid) {
  kiln_omp_for_static_fini(loc, gtid);
}

void __kmpc_barrier(void *loc, int32_t gtid) { kiln_omp_barrier(loc, gtid); }
