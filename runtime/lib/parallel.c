/*===- parallel.c - The thread pool behind parallel kernels ---------------===*
 *
 * Compiled models run their parallel loops (convolution and linear kernels)
 * through MLIR's OpenMP lowering, which calls five entry points of the
 * OpenMP runtime ABI (__kmpc_*). This file implements exactly those five on
 * a small persistent pthread pool, so that binaries need no OpenMP library:
 *
 *   __kmpc_fork_call      run the outlined region on every thread of the team
 *   __kmpc_global_thread_num   the calling thread's index in the team
 *   __kmpc_for_static_init_8u  this thread's share of a worksharing loop
 *   __kmpc_for_static_fini     (nothing to do)
 *   __kmpc_barrier             wait for the whole team
 *
 * Only static schedules and one level of parallelism are supported, which is
 * all the generated code uses.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MAX_ARGS 8

typedef void (*microtask_t)(int32_t *gtid, int32_t *btid, ...);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
static pthread_cond_t barrier_cond = PTHREAD_COND_INITIALIZER;

static int requested_threads; /* 0: one per online CPU */
static int team_size = 1;     /* threads in the pool, the caller included */
static int pool_started;
static uint64_t generation; /* bumped for every fork */
static int running;         /* workers still inside the current region */
static int barrier_waiting;
static uint64_t barrier_generation;

static microtask_t job;
static int job_argc;
static void *job_args[MAX_ARGS];

static _Thread_local int32_t thread_index;

static void run_job(int32_t tid) {
  int32_t btid = 0;
  void **a = job_args;
  switch (job_argc) {
  case 0: job(&tid, &btid); break;
  case 1: job(&tid, &btid, a[0]); break;
  case 2: job(&tid, &btid, a[0], a[1]); break;
  case 3: job(&tid, &btid, a[0], a[1], a[2]); break;
  case 4: job(&tid, &btid, a[0], a[1], a[2], a[3]); break;
  case 5: job(&tid, &btid, a[0], a[1], a[2], a[3], a[4]); break;
  case 6: job(&tid, &btid, a[0], a[1], a[2], a[3], a[4], a[5]); break;
  case 7: job(&tid, &btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6]); break;
  default: job(&tid, &btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  }
}

static void *worker(void *arg) {
  thread_index = (int32_t)(intptr_t)arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (generation == seen)
      pthread_cond_wait(&work_ready, &lock);
    seen = generation;
    pthread_mutex_unlock(&lock);
    run_job(thread_index);
    pthread_mutex_lock(&lock);
    if (--running == 0)
      pthread_cond_signal(&work_done);
  }
  return NULL;
}

/* Starts the workers on first use; a pool that cannot grow runs with the
 * threads it got (at least the caller). Called with `lock` held. */
static void start_pool(void) {
  if (pool_started)
    return;
  pool_started = 1;
  int wanted = requested_threads;
  if (wanted <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    wanted = cpus > 0 ? (int)cpus : 1;
  }
  if (wanted > MAX_THREADS)
    wanted = MAX_THREADS;
  team_size = 1;
  // Workers start with the asynchronous signals (SIGINT, SIGTERM, ...)
  // blocked, so the process receives them on the caller's thread, which can
  // defer them (main.c does while it writes its output). Faults stay
  // unblocked: they are delivered to the thread that caused them.
  sigset_t async, old;
  sigfillset(&async);
  const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; ++i)
    sigdelset(&async, faults[i]);
  pthread_sigmask(SIG_BLOCK, &async, &old);
  for (int i = 1; i < wanted; ++i) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attr, worker, (void *)(intptr_t)i);
    pthread_attr_destroy(&attr);
    if (failed)
      break;
    ++team_size;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int kiln_set_num_threads(int threads) {
  pthread_mutex_lock(&lock);
  int ok = !pool_started && threads >= 0;
  if (ok)
    requested_threads = threads;
  pthread_mutex_unlock(&lock);
  return ok ? 0 : -1;
}

int kiln_num_threads(void) {
  pthread_mutex_lock(&lock);
  start_pool();
  int threads = team_size;
  pthread_mutex_unlock(&lock);
  return threads;
}

/*===-- The OpenMP runtime ABI subset -------------------------------------===*/

void __kmpc_fork_call(void *loc, int32_t argc, microtask_t microtask, ...) {
  (void)loc;
  va_list ap;
  va_start(ap, microtask);
  pthread_mutex_lock(&lock);
  start_pool();
  job = microtask;
  job_argc = argc < MAX_ARGS ? argc : MAX_ARGS;
  for (int i = 0; i < job_argc; ++i)
    job_args[i] = va_arg(ap, void *);
  va_end(ap);
  running = team_size - 1;
  ++generation;
  pthread_cond_broadcast(&work_ready);
  pthread_mutex_unlock(&lock);

  int32_t saved = thread_index;
  thread_index = 0;
  run_job(0);
  thread_index = saved;

  pthread_mutex_lock(&lock);
  while (running > 0)
    pthread_cond_wait(&work_done, &lock);
  pthread_mutex_unlock(&lock);
}

int32_t __kmpc_global_thread_num(void *loc) {
  (void)loc;
  return thread_index;
}

void __kmpc_for_static_init_8u(void *loc, int32_t gtid, int32_t schedule,
                               int32_t *last, uint64_t *lower,
                               uint64_t *upper, int64_t *stride, int64_t incr,
                               int64_t chunk) {
  (void)loc, (void)schedule, (void)chunk;
  /* Bounds are inclusive and the loop is normalised (incr 1). Give each
   * thread one contiguous range, the first `extra` ones an iteration more. */
  uint64_t trips = *upper >= *lower ? (*upper - *lower) / (uint64_t)incr + 1 : 0;
  uint64_t threads = (uint64_t)team_size, tid = (uint64_t)gtid;
  uint64_t share = trips / threads, extra = trips % threads;
  uint64_t begin = tid * share + (tid < extra ? tid : extra);
  uint64_t count = share + (tid < extra ? 1 : 0);
  uint64_t first = *lower;
  if (count == 0) {
    *lower = *upper + 1; /* An empty range. */
  } else {
    *lower = first + begin * (uint64_t)incr;
    *upper = first + (begin + count - 1) * (uint64_t)incr;
  }
  if (last)
    *last = count != 0 && begin + count == trips;
  if (stride)
    *stride = (int64_t)trips;
}

void __kmpc_for_static_fini(void *loc, int32_t gtid) { (void)loc, (void)gtid; }

void __kmpc_barrier(void *loc, int32_t gtid) {
  (void)loc, (void)gtid;
  pthread_mutex_lock(&lock);
  uint64_t my_generation = barrier_generation;
  if (++barrier_waiting == team_size) {
    barrier_waiting = 0;
    ++barrier_generation;
    pthread_cond_broadcast(&barrier_cond);
  } else {
    while (barrier_generation == my_generation)
      pthread_cond_wait(&barrier_cond, &lock);
  }
  pthread_mutex_unlock(&lock);
}
