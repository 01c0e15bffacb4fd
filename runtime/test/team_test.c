/*===- team_test.c - Unit tests of thread teams and contexts --------------===*
 *
 * kiln-team-tests runs every test and prints "N passed, M failed"; it exits
 * non-zero if any failed. The parallel regions here are hand-written the way
 * the OpenMP lowering emits them: fork, ask for this thread's share of a
 * static loop, work, barrier.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "kiln/context.h"
#include "kiln/team.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__,       \
              #cond);                                                          \
      failed = 1;                                                              \
    }                                                                          \
  } while (0)

/*===-- A worksharing loop: every iteration once, then a barrier ----------===*/

enum { TRIPS = 1000 };

typedef struct loop_state {
  atomic_int hits[TRIPS];
  atomic_int after_barrier_ok;
  atomic_int threads_seen;
  int64_t tag; /* an argument passed through fork_call */
} loop_state;

static void loop_body(int32_t *gtid, int32_t *btid, loop_state *state,
                      int64_t *tag) {
  (void)btid;
  int32_t tid = kiln_omp_global_thread_num(NULL);
  CHECK(tid == *gtid);
  CHECK(*tag == state->tag);
  atomic_fetch_add(&state->threads_seen, 1);
  uint64_t lower = 0, upper = TRIPS - 1;
  int64_t stride = 0;
  int32_t last = 0;
  kiln_omp_for_static_init_8u(NULL, tid, 34, &last, &lower, &upper, &stride, 1,
                              1);
  for (uint64_t i = lower; i <= upper && upper < TRIPS; ++i)
    atomic_fetch_add(&state->hits[i], 1);
  kiln_omp_for_static_fini(NULL, tid);
  kiln_omp_barrier(NULL, tid);
  /* After the barrier every thread's share is done. */
  int complete = 1;
  for (int i = 0; i < TRIPS; ++i)
    complete &= atomic_load(&state->hits[i]) == 1;
  atomic_fetch_add(&state->after_barrier_ok, complete);
}

/* Runs the loop on `team` (NULL: none current) and checks it. */
static void run_loop(kiln_team *team, int64_t tag) {
  static _Thread_local loop_state state;
  memset(&state, 0, sizeof state);
  state.tag = tag;
  kiln_team *previous = kiln_team_exchange_current(team);
  kiln_omp_fork_call(NULL, 2, (kiln_microtask)loop_body, &state, &tag);
  kiln_team_exchange_current(previous);
  int threads = kiln_team_size(team);
  CHECK(atomic_load(&state.threads_seen) == threads);
  CHECK(atomic_load(&state.after_barrier_ok) == threads);
  for (int i = 0; i < TRIPS; ++i)
    CHECK(atomic_load(&state.hits[i]) == 1);
}

static void test_solo(void) {
  CHECK(kiln_team_current() == NULL);
  run_loop(NULL, 7); /* No current team: the caller alone. */
}

static void test_team_sizes(void) {
  for (int threads = 1; threads <= 5; ++threads) {
    kiln_team *team = kiln_team_create(threads);
    CHECK(team && kiln_team_size(team) == threads);
    for (int round = 0; round < 50; ++round)
      run_loop(team, round);
    kiln_team_destroy(team);
  }
  kiln_team_destroy(NULL);
}

/* More threads than iterations: the extra ones get empty ranges. */
static void few_trips(int32_t *gtid, int32_t *btid, atomic_int *hits) {
  (void)btid;
  uint64_t lower = 0, upper = 2;
  int64_t stride;
  int32_t last;
  kiln_omp_for_static_init_8u(NULL, *gtid, 34, &last, &lower, &upper, &stride,
                              1, 1);
  for (uint64_t i = lower; i <= upper; ++i)
    atomic_fetch_add(&hits[i], 1);
}

static void test_more_threads_than_trips(void) {
  kiln_team *team = kiln_team_create(6);
  atomic_int hits[3] = {0, 0, 0};
  kiln_team *previous = kiln_team_exchange_current(team);
  kiln_omp_fork_call(NULL, 1, (kiln_microtask)few_trips, hits);
  kiln_team_exchange_current(previous);
  for (int i = 0; i < 3; ++i)
    CHECK(atomic_load(&hits[i]) == 1);
  kiln_team_destroy(team);
}

/*===-- Barriers reached far apart, and held teams ------------------------===*/

/* Longer than a thread spins before it sleeps (team.c), so that waits take
 * the sleeping path as well as the spinning one. */
static void pause_milliseconds(int ms) {
  struct timespec pause = {0, (long)ms * 1000000L};
  nanosleep(&pause, NULL);
}

enum { PHASES = 6 };

/* Each thread counts into its phase's slot, then meets the others at a
 * barrier; a thread that passes it must see every count of that phase.
 * Thread (phase % size) comes late: at once, or after a pause longer than
 * the spin. */
static void phased_body(int32_t *gtid, int32_t *btid, atomic_int *counts,
                        atomic_int *incomplete) {
  (void)btid;
  int size = kiln_team_size(kiln_team_current());
  for (int phase = 0; phase < PHASES; ++phase) {
    if (*gtid == phase % size && phase % 2 == 1)
      pause_milliseconds(2);
    atomic_fetch_add(&counts[phase], 1);
    kiln_omp_barrier(NULL, *gtid);
    if (atomic_load(&counts[phase]) != size)
      atomic_fetch_add(incomplete, 1);
  }
}

static void test_barrier_reuse(void) {
  for (int threads = 2; threads <= 4; ++threads) {
    kiln_team *team = kiln_team_create(threads);
    kiln_team *previous = kiln_team_exchange_current(team);
    for (int round = 0; round < 3; ++round) {
      atomic_int counts[PHASES], incomplete = 0;
      for (int i = 0; i < PHASES; ++i)
        atomic_init(&counts[i], 0);
      kiln_omp_fork_call(NULL, 2, (kiln_microtask)phased_body, counts,
                         &incomplete);
      CHECK(atomic_load(&incomplete) == 0);
      for (int i = 0; i < PHASES; ++i)
        CHECK(atomic_load(&counts[i]) == threads);
    }
    kiln_team_exchange_current(previous);
    kiln_team_destroy(team);
  }
}

/* The last thread of a region finishes after a pause longer than the spin,
 * with no barrier: the caller stops spinning, sleeps, and is woken by that
 * thread. Plain (non-atomic) writes: the caller reads them after the region
 * only through the runtime's join, which ThreadSanitizer checks
 * (team-tsan.test). */
static void late_finisher(int32_t *gtid, int32_t *btid, int *done) {
  (void)btid;
  if (*gtid == kiln_team_size(kiln_team_current()) - 1)
    pause_milliseconds(2);
  done[*gtid] = 1;
}

static void test_late_finisher(void) {
  for (int threads = 2; threads <= 3; ++threads) {
    kiln_team *team = kiln_team_create(threads);
    kiln_team *previous = kiln_team_exchange_current(team);
    for (int round = 0; round < 3; ++round) {
      int done[3] = {0, 0, 0};
      kiln_omp_fork_call(NULL, 1, (kiln_microtask)late_finisher, done);
      for (int t = 0; t < threads; ++t)
        CHECK(done[t] == 1);
    }
    kiln_team_exchange_current(previous);
    kiln_team_destroy(team);
  }
}

/* Regions run between serial pauses longer than the spin, with the team
 * held (its workers spin through the pauses) and released (they sleep and
 * are woken); holds nest, and a team destroyed while held still stops. */
static void test_hold(void) {
  kiln_team_hold(NULL, 1); /* No-ops. */
  kiln_team_hold(NULL, 0);
  kiln_team *solo = kiln_team_create(1);
  kiln_team_hold(solo, 1);
  run_loop(solo, 1);
  kiln_team_hold(solo, 0);
  kiln_team_destroy(solo);

  kiln_team *team = kiln_team_create(3);
  pause_milliseconds(2); /* The workers sleep by now. */
  for (int round = 0; round < 4; ++round) {
    int held = round % 2 == 0;
    if (held) {
      kiln_team_hold(team, 1);
      kiln_team_hold(team, 1);
    }
    for (int region = 0; region < 3; ++region) {
      run_loop(team, region);
      pause_milliseconds(2);
    }
    if (held) {
      kiln_team_hold(team, 0);
      kiln_team_hold(team, 0);
    }
  }
  kiln_team_hold(team, 1);
  run_loop(team, 5);
  kiln_team_destroy(team);
}

/*===-- Distinct teams on distinct threads at once ------------------------===*/

static void *hammer(void *arg) {
  kiln_team *team = arg;
  for (int round = 0; round < 200; ++round)
    run_loop(team, round);
  return NULL;
}

static void test_concurrent_teams(void) {
  kiln_team *teams[3] = {kiln_team_create(2), kiln_team_create(3),
                         kiln_team_create(1)};
  pthread_t threads[3];
  for (int i = 0; i < 3; ++i)
    pthread_create(&threads[i], NULL, hammer, teams[i]);
  for (int i = 0; i < 3; ++i)
    pthread_join(threads[i], NULL);
  for (int i = 0; i < 3; ++i)
    kiln_team_destroy(teams[i]);
}

/*===-- Contexts ----------------------------------------------------------===*/

static int forward_calls;
static void *last_workspace;

static void fake_forward(const float *input, float *output, void *workspace) {
  ++forward_calls;
  last_workspace = workspace;
  output[0] = input[0] * 2;
  /* The context's team is current while the model runs. */
  output[1] = (float)kiln_team_size(kiln_team_current());
}

static const kiln_model_desc fake = {
    .name = "fake",
    .input_rank = 1,
    .input_shape = {1},
    .output_rank = 1,
    .output_shape = {2},
    .workspace_bytes = 100,
    .forward = fake_forward,
};

static const kiln_model_desc other = {.name = "other", .forward = fake_forward};

static void test_contexts(void) {
  kiln_context *ctx = (kiln_context *)&failed;
  CHECK(kiln_context_create(&fake, -1, &ctx) == KILN_ERR_INVALID);
  CHECK(ctx == NULL);
  CHECK(kiln_context_create(NULL, 1, &ctx) == KILN_ERR_INVALID);
  CHECK(kiln_context_create(&fake, 1, NULL) == KILN_ERR_INVALID);
  CHECK(kiln_context_create(&fake, 3, &ctx) == KILN_OK);
  CHECK(kiln_context_num_threads(ctx) == 3);
  CHECK(kiln_context_num_threads(NULL) == 0);

  float in = 21, out[2] = {0, 0};
  CHECK(kiln_context_run(ctx, &fake, &in, out, NULL) == KILN_OK);
  CHECK(out[0] == 42 && out[1] == 3);
  CHECK(last_workspace != NULL && (uintptr_t)last_workspace % 64 == 0);
  CHECK(kiln_team_current() == NULL); /* Restored after the run. */

  static _Alignas(64) char mine[128];
  CHECK(kiln_context_run(ctx, &fake, &in, out, mine) == KILN_OK);
  CHECK(last_workspace == mine);
  int calls = forward_calls;
  CHECK(kiln_context_run(ctx, &fake, &in, out, mine + 8) == KILN_ERR_INVALID);
  CHECK(kiln_context_run(ctx, &other, &in, out, NULL) == KILN_ERR_INVALID);
  CHECK(kiln_context_run(ctx, &fake, NULL, out, NULL) == KILN_ERR_INVALID);
  CHECK(kiln_context_run(ctx, &fake, &in, NULL, NULL) == KILN_ERR_INVALID);
  CHECK(kiln_context_run(NULL, &fake, &in, out, NULL) == KILN_ERR_INVALID);
  CHECK(forward_calls == calls); /* Nothing ran. */
  kiln_context_destroy(ctx);
  kiln_context_destroy(NULL);

  CHECK(strcmp(kiln_status_message(KILN_OK), "success") == 0);
  CHECK(strstr(kiln_status_message(KILN_ERR_BUSY), "another thread"));
  CHECK(strcmp(kiln_status_message(-1), "unknown status code") == 0);
}

/* A run that overlaps another on the same context is refused. */
static kiln_context *shared;
static atomic_int inside, release, busy_seen;

static void slow_forward(const float *input, float *output, void *workspace) {
  (void)input, (void)output, (void)workspace;
  atomic_store(&inside, 1);
  while (!atomic_load(&release))
    ;
}

static const kiln_model_desc slow = {.name = "slow", .forward = slow_forward};

static void *second_run(void *arg) {
  (void)arg;
  while (!atomic_load(&inside))
    ;
  float in = 0, out = 0;
  atomic_store(&busy_seen, kiln_context_run(shared, &slow, &in, &out, NULL) ==
                               KILN_ERR_BUSY);
  atomic_store(&release, 1);
  return NULL;
}

static void test_busy(void) {
  CHECK(kiln_context_create(&slow, 1, &shared) == KILN_OK);
  pthread_t thread;
  pthread_create(&thread, NULL, second_run, NULL);
  float in = 0, out = 0;
  CHECK(kiln_context_run(shared, &slow, &in, &out, NULL) == KILN_OK);
  pthread_join(thread, NULL);
  CHECK(atomic_load(&busy_seen));
  /* Free again once the run returned. */
  atomic_store(&inside, 0);
  atomic_store(&release, 1);
  CHECK(kiln_context_run(shared, &slow, &in, &out, NULL) == KILN_OK);
  kiln_context_destroy(shared);
}

int main(void) {
  struct {
    const char *name;
    void (*run)(void);
  } tests[] = {
      {"solo", test_solo},
      {"team_sizes", test_team_sizes},
      {"more_threads_than_trips", test_more_threads_than_trips},
      {"barrier_reuse", test_barrier_reuse},
      {"late_finisher", test_late_finisher},
      {"hold", test_hold},
      {"concurrent_teams", test_concurrent_teams},
      {"contexts", test_contexts},
      {"busy", test_busy},
  };
  int passed = 0, total = (int)(sizeof tests / sizeof tests[0]);
  for (int i = 0; i < total; ++i) {
    failed = 0;
    tests[i].run();
    if (failed)
      fprintf(stderr, "FAIL: %s\n", tests[i].name);
    else
      ++passed;
  }
  printf("%d passed, %d failed\n", passed, total - passed);
  return passed == total ? 0 : 1;
}
