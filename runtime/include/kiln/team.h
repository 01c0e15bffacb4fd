/*===- kiln/team.h - Thread teams that run a model's parallel loops -------===*
 *
 * Compiled models run their parallel loops (convolution and linear kernels)
 * through MLIR's OpenMP lowering, which calls five entry points of the
 * OpenMP runtime ABI. Kiln implements them on its own small pthread teams,
 * so binaries need no OpenMP library:
 *
 *   fork_call               run the outlined region on every team thread
 *   global_thread_num       the calling thread's index in its team
 *   for_static_init_8u      this thread's share of a worksharing loop
 *   for_static_fini         (nothing to do)
 *   barrier                 wait for the whole team
 *
 * A team is an explicit object. The thread that runs a model makes a team
 * *current* (a thread-local pointer) for the duration of the run; the entry
 * points work on the current team, so distinct threads can run models on
 * distinct teams at the same time, with no global state. Without a current
 * team, a region runs on the calling thread alone.
 *
 * Executables call the entry points under their OpenMP names (__kmpc_*,
 * parallel.c); libraries made by `kilnc --emit=lib` call them under the
 * kiln_omp_* names below so that they cannot clash with an OpenMP runtime
 * the embedding program links.
 *
 * Only static schedules and one level of parallelism are supported, which is
 * all the generated code uses.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_TEAM_H
#define KILN_TEAM_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_team kiln_team;

/* The outlined body of a parallel region, as the OpenMP lowering emits it. */
typedef void (*kiln_microtask)(int32_t *gtid, int32_t *btid, ...);

/* Starts a team of `threads` threads, the caller of each region included, so
 * `threads - 1` workers are created; 0 (or less) means one per online CPU.
 * A team that cannot start every worker runs with those it got. Returns NULL
 * only when memory runs out. */
kiln_team *kiln_team_create(int threads);

/* Stops and joins the workers and frees the team. NULL is a no-op. The team
 * must not be running a region nor be current on any thread. */
void kiln_team_destroy(kiln_team *team);

/* The number of threads of `team`, the caller included. */
int kiln_team_size(const kiln_team *team);

/* Holds (hold != 0) or releases (0) the team's threads. A model's layers
 * fork regions with serial work between them, sometimes longer than a
 * worker spins before it sleeps; waking a sleeping worker then costs the
 * next region tens of microseconds. While held, the workers spin between
 * regions, so the caller holds the team for the duration of one forward
 * call (kiln_context_run and the executables do) and releases it after.
 * Holding also wakes workers that sleep. Holds nest. NULL is a no-op. */
void kiln_team_hold(kiln_team *team, int hold);

/* The calling thread's current team, or NULL. */
kiln_team *kiln_team_current(void);

/* Makes `team` (may be NULL) the calling thread's current team and returns
 * the previous one, which the caller restores when its run ends. */
kiln_team *kiln_team_exchange_current(kiln_team *team);

/* Runs `task(&tid, &btid, args...)` on every thread of `team` (NULL: on the
 * caller only) and returns when all have finished. At most 8 arguments. */
void kiln_team_vfork(kiln_team *team, int32_t argc, kiln_microtask task,
                     va_list args);

/*===-- The OpenMP entry points, on the current team ----------------------===*/

void kiln_omp_fork_call(void *loc, int32_t argc, kiln_microtask task, ...);
int32_t kiln_omp_global_thread_num(void *loc);
void kiln_omp_for_static_init_8u(void *loc, int32_t gtid, int32_t schedule,
                                 int32_t *last, uint64_t *lower,
                                 uint64_t *upper, int64_t *stride, int64_t incr,
                                 int64_t chunk);
void kiln_omp_for_static_fini(void *loc, int32_t gtid);
void kiln_omp_barrier(void *loc, int32_t gtid);

#ifdef __cplusplus
}
#endif

#endif /* KILN_TEAM_H */
