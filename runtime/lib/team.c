/*===- team.c - Thread teams behind the OpenMP entry points ---------------===*
 *
 * See kiln/team.h. Each team owns its workers, lock and condition
 * variables; the only per-thread state is which team is current and the
 * thread's index in it.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/team.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MAX_ARGS 8

struct kiln_team {
  pthread_mutex_t lock;
  pthread_cond_t work_ready, work_done, barrier_cond;
  int size;           /* threads, the caller of a region included */
  int workers;        /* started workers (size - 1) */
  pthread_t *threads; /* the workers, joined by kiln_team_destroy */
  /* Bumped for every region and for shutdown. Written under the lock and
   * read under it, or without it (atomically) by a spinning worker. */
  uint64_t generation;
  int stopping;
  /* Workers still inside the current region; likewise. */
  int running;
  /* Set (under the lock) while the caller of a region sleeps waiting for
   * `running` to reach 0: only then does the last worker take the lock to
   * wake it. Read and written sequentially consistently, like `running`. */
  int joiner_sleeps;
  /* Threads at the current barrier, and the barrier's generation: updated
   * atomically. Sleepers (under the lock) are the ones that stopped
   * spinning there. */
  int barrier_waiting;
  uint64_t barrier_generation;
  int barrier_sleepers;
  /* Nonzero while a model runs on the team (kiln_team_hold): its threads
   * then spin between regions however long the serial work between them
   * takes, instead of sleeping after SPIN_NANOSECONDS. Atomic. */
  int held;
  kiln_microtask job;
  int job_argc;
  void *job_args[MAX_ARGS];
};

/* The team whose region this thread runs (or that it made current), and the
 * thread's index in it. */
static _Thread_local kiln_team *current_team;
static _Thread_local int32_t thread_index;
static _Thread_local int in_region;

/* How long a thread spins on a team's counter before it sleeps on the
 * condition variable. A model's layers fork regions back to back, with a
 * little serial work between them; waking a sleeping worker takes the
 * kernel tens of microseconds on a loaded machine, several times that gap.
 * Spinning a bounded time keeps the handover in user space and costs an
 * idle program nothing after it. */
#define SPIN_NANOSECONDS 100000

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static uint64_t monotonic_nanoseconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Spins until `done(counter, value)` holds or SPIN_NANOSECONDS pass
 * with the team not held; returns whether it held. */
static int spin_until(const kiln_team *team,
                      int (*done)(const void *, uint64_t), const void *counter,
                      uint64_t value) {
  uint64_t start = monotonic_nanoseconds();
  for (unsigned i = 1;; ++i) {
    if (done(counter, value))
      return 1;
    cpu_relax();
    if (i % 64 == 0) {
      uint64_t now = monotonic_nanoseconds();
      if (__atomic_load_n(&team->held, __ATOMIC_RELAXED))
        start = now;
      else if (now - start > SPIN_NANOSECONDS)
        return 0;
    }
  }
}

/* Whether the generation counter has moved past `seen`: a new region. */
static int generation_moved(const void *generation, uint64_t seen) {
  return __atomic_load_n((const uint64_t *)generation, __ATOMIC_ACQUIRE) !=
         seen;
}

/* Whether no worker is left in the region. */
static int workers_done(const void *running, uint64_t unused) {
  (void)unused;
  return __atomic_load_n((const int *)running, __ATOMIC_ACQUIRE) == 0;
}

typedef struct worker_start {
  kiln_team *team;
  int32_t index;
} worker_start;

/* Outlined OpenMP regions take (gtid, btid, args...) with a fixed count;
 * the ABI (__kmpc_fork_call) hands them over as a variadic pointer, and
 * libomp calls them through one as well. UBSan's -fsanitize=function flags
 * that call (in a KILN_SANITIZE build, on the hand-written regions of the
 * runtime's tests); the generated regions are not instrumented. */
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
static void run_job(kiln_team *team, int32_t tid) {
  int32_t btid = 0;
  kiln_microtask job = team->job;
  void **a = team->job_args;
  switch (team->job_argc) {
  case 0:
    job(&tid, &btid);
    break;
  case 1:
    job(&tid, &btid, a[0]);
    break;
  case 2:
    job(&tid, &btid, a[0], a[1]);
    break;
  case 3:
    job(&tid, &btid, a[0], a[1], a[2]);
    break;
  case 4:
    job(&tid, &btid, a[0], a[1], a[2], a[3]);
    break;
  case 5:
    job(&tid, &btid, a[0], a[1], a[2], a[3], a[4]);
    break;
  case 6:
    job(&tid, &btid, a[0], a[1], a[2], a[3], a[4], a[5]);
    break;
  case 7:
    job(&tid, &btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    break;
  default:
    job(&tid, &btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  }
}

static void *worker(void *arg) {
  worker_start start = *(worker_start *)arg;
  free(arg);
  kiln_team *team = start.team;
  current_team = team;
  thread_index = start.index;
  in_region = 1;
  uint64_t seen = 0;
  for (;;) {
    /* The region's job and `stopping` are written before the generation
     * is bumped (release), so either wait sees them once it sees that. */
    while (!spin_until(team, generation_moved, &team->generation, seen)) {
      /* Sleep until a region starts or kiln_team_hold wakes the team. */
      pthread_mutex_lock(&team->lock);
      while (__atomic_load_n(&team->generation, __ATOMIC_ACQUIRE) == seen &&
             !__atomic_load_n(&team->held, __ATOMIC_RELAXED))
        pthread_cond_wait(&team->work_ready, &team->lock);
      int moved = __atomic_load_n(&team->generation, __ATOMIC_ACQUIRE) != seen;
      pthread_mutex_unlock(&team->lock);
      if (moved)
        break;
    }
    seen = __atomic_load_n(&team->generation, __ATOMIC_ACQUIRE);
    if (team->stopping)
      break;
    run_job(team, thread_index);
    /* Without the lock unless the caller sleeps: a worker that took it for
     * every region held it just as the caller, done spinning, forked the
     * next region, which then slept on the lock (back-to-back regions cost
     * 8.6 us each on 2 threads instead of 1.6). The caller sets
     * joiner_sleeps before it reads `running` again, and this thread reads
     * it after its decrement (both sequentially consistent), so one of the
     * two sees the other's write. */
    if (__atomic_sub_fetch(&team->running, 1, __ATOMIC_SEQ_CST) == 0 &&
        __atomic_load_n(&team->joiner_sleeps, __ATOMIC_SEQ_CST)) {
      pthread_mutex_lock(&team->lock);
      pthread_cond_signal(&team->work_done);
      pthread_mutex_unlock(&team->lock);
    }
  }
  return NULL;
}

kiln_team *kiln_team_create(int threads) {
  if (threads <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cpus > 0 ? (int)cpus : 1;
  }
  if (threads > MAX_THREADS)
    threads = MAX_THREADS;
  kiln_team *team = calloc(1, sizeof *team);
  if (!team)
    return NULL;
  team->threads = calloc((size_t)threads, sizeof *team->threads);
  if (!team->threads) {
    free(team);
    return NULL;
  }
  pthread_mutex_init(&team->lock, NULL);
  pthread_cond_init(&team->work_ready, NULL);
  pthread_cond_init(&team->work_done, NULL);
  pthread_cond_init(&team->barrier_cond, NULL);
  team->size = 1;
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
  for (int i = 1; i < threads; ++i) {
    worker_start *start = malloc(sizeof *start);
    if (!start)
      break;
    *start = (worker_start){team, i};
    if (pthread_create(&team->threads[team->workers], NULL, worker, start)) {
      free(start);
      break;
    }
    ++team->workers;
    ++team->size;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return team;
}

void kiln_team_destroy(kiln_team *team) {
  if (!team)
    return;
  pthread_mutex_lock(&team->lock);
  team->stopping = 1;
  __atomic_add_fetch(&team->generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&team->work_ready);
  pthread_mutex_unlock(&team->lock);
  for (int i = 0; i < team->workers; ++i)
    pthread_join(team->threads[i], NULL);
  pthread_cond_destroy(&team->barrier_cond);
  pthread_cond_destroy(&team->work_done);
  pthread_cond_destroy(&team->work_ready);
  pthread_mutex_destroy(&team->lock);
  free(team->threads);
  free(team);
}

int kiln_team_size(const kiln_team *team) { return team ? team->size : 1; }

void kiln_team_hold(kiln_team *team, int hold) {
  if (!team || team->size == 1)
    return;
  if (!hold) {
    __atomic_sub_fetch(&team->held, 1, __ATOMIC_RELAXED);
    return;
  }
  /* Wake sleeping workers now, so that they are spinning by the time the
   * model forks its first region. */
  pthread_mutex_lock(&team->lock);
  __atomic_add_fetch(&team->held, 1, __ATOMIC_RELAXED);
  pthread_cond_broadcast(&team->work_ready);
  pthread_mutex_unlock(&team->lock);
}

kiln_team *kiln_team_current(void) { return current_team; }

kiln_team *kiln_team_exchange_current(kiln_team *team) {
  kiln_team *previous = current_team;
  current_team = team;
  return previous;
}

void kiln_team_vfork(kiln_team *team, int32_t argc, kiln_microtask task,
                     va_list args) {
  void *argv[MAX_ARGS];
  int count = argc < MAX_ARGS ? (argc > 0 ? argc : 0) : MAX_ARGS;
  for (int i = 0; i < count; ++i)
    argv[i] = va_arg(args, void *);

  /* A region inside a region (never generated) runs on this thread alone. */
  if (!team || team->size == 1 || in_region) {
    kiln_team solo = {.size = 1, .job = task, .job_argc = count};
    for (int i = 0; i < count; ++i)
      solo.job_args[i] = argv[i];
    kiln_team *saved_team = current_team;
    int32_t saved_index = thread_index;
    current_team = &solo;
    thread_index = 0;
    run_job(&solo, 0);
    current_team = saved_team;
    thread_index = saved_index;
    return;
  }

  pthread_mutex_lock(&team->lock);
  team->job = task;
  team->job_argc = count;
  for (int i = 0; i < count; ++i)
    team->job_args[i] = argv[i];
  __atomic_store_n(&team->running, team->size - 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&team->generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&team->work_ready);
  pthread_mutex_unlock(&team->lock);

  kiln_team *saved_team = current_team;
  int32_t saved_index = thread_index;
  current_team = team;
  thread_index = 0;
  in_region = 1;
  run_job(team, 0);
  in_region = 0;
  current_team = saved_team;
  thread_index = saved_index;

  if (!spin_until(team, workers_done, &team->running, 0)) {
    pthread_mutex_lock(&team->lock);
    __atomic_store_n(&team->joiner_sleeps, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&team->running, __ATOMIC_SEQ_CST) > 0)
      pthread_cond_wait(&team->work_done, &team->lock);
    __atomic_store_n(&team->joiner_sleeps, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&team->lock);
  }
}

/*===-- The OpenMP entry points -------------------------------------------===*/

void kiln_omp_fork_call(void *loc, int32_t argc, kiln_microtask task, ...) {
  (void)loc;
  va_list args;
  va_start(args, task);
  kiln_team_vfork(current_team, argc, task, args);
  va_end(args);
}

int32_t kiln_omp_global_thread_num(void *loc) {
  (void)loc;
  return thread_index;
}

void kiln_omp_for_static_init_8u(void *loc, int32_t gtid, int32_t schedule,
                                 int32_t *last, uint64_t *lower,
                                 uint64_t *upper, int64_t *stride, int64_t incr,
                                 int64_t chunk) {
  (void)loc, (void)schedule, (void)chunk;
  /* Bounds are inclusive and the loop is normalised (incr 1). Give each
   * thread one contiguous range, the first `extra` ones an iteration more. */
  uint64_t trips =
      *upper >= *lower ? (*upper - *lower) / (uint64_t)incr + 1 : 0;
  uint64_t threads = (uint64_t)kiln_team_size(current_team);
  uint64_t tid = (uint64_t)gtid;
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

void kiln_omp_for_static_fini(void *loc, int32_t gtid) {
  (void)loc, (void)gtid;
}

void kiln_omp_barrier(void *loc, int32_t gtid) {
  (void)loc, (void)gtid;
  kiln_team *team = current_team;
  if (!team || team->size == 1)
    return;
  /* Threads reach a worksharing loop's barrier microseconds apart, so the
   * early ones spin before they sleep, as at a fork: sleeping at once left
   * every barrier to a futex wake-up (tens of microseconds; ShuffleNetV2's
   * stem convolution ran slower on 2 threads than on 1). The last thread
   * resets the count before it moves the generation, so a thread that sees
   * the new generation finds the count ready for the next barrier. */
  uint64_t my_generation =
      __atomic_load_n(&team->barrier_generation, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(&team->barrier_waiting, 1, __ATOMIC_ACQ_REL) ==
      team->size) {
    __atomic_store_n(&team->barrier_waiting, 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&team->barrier_generation, 1, __ATOMIC_RELEASE);
    /* A sleeper checked the generation under the lock before it slept, so
     * taking the lock here cannot miss it. */
    pthread_mutex_lock(&team->lock);
    if (team->barrier_sleepers > 0)
      pthread_cond_broadcast(&team->barrier_cond);
    pthread_mutex_unlock(&team->lock);
    return;
  }
  if (spin_until(team, generation_moved, &team->barrier_generation,
                 my_generation))
    return;
  pthread_mutex_lock(&team->lock);
  ++team->barrier_sleepers;
  while (__atomic_load_n(&team->barrier_generation, __ATOMIC_ACQUIRE) ==
         my_generation)
    pthread_cond_wait(&team->barrier_cond, &team->lock);
  --team->barrier_sleepers;
  pthread_mutex_unlock(&team->lock);
}
