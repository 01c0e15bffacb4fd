/* What a parallel region of Kiln's runtime costs (runtime/lib/team.c), as
 * a model's layers meet it: each region splits a buffer of FLOATS between
 * the team's threads after GAP microseconds of serial work on the calling
 * thread, the serial stretch of layers between two parallel ones.
 *
 *   team_fork [THREADS] [FLOATS]
 *     -> one line per gap: the region's median and mean time, in
 *        microseconds (the mean also counts the rare region that the
 *        machine preempted)
 *
 * A worker that waited longer than the runtime's spin time sleeps, and the
 * next region waits for the kernel to wake it. On the 2-core machine of
 * 2026-12-02 a 37632-float region (ShuffleNet's channel-shuffle transposes)
 * took 2.0-3.5 us on 2 threads after gaps up to 90 us, and 29-58 us after
 * gaps of 150 us and more (the spin is 100 us); on 1 thread, 2.8-3.8 us.
 * (Models hold their team while they run, kiln_team_hold, so their workers
 * do not sleep between layers.) Later the same day, medians: 2.0-2.1 us on 2
 * threads up to 90 us, 36-55 us from 150 us, 2.5 us on 1 thread; a 64-float
 * region 0.21-0.25 us on 2 threads once workers stopped taking the team's
 * lock to leave a region, 0.15-1.04 us before (it sometimes slept on it).
 *
 * Build: cc -O3 -Iruntime/include bench/lib/team_fork.c
 *        build/lib/libkiln_runtime.a -pthread -lm -o team_fork
 */
#include "kiln/team.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

static float *buffer;
static long floats;
static int threads;

/* Thread t adds 1 to its share of the buffer. */
static void add_share(int32_t *gtid, int32_t *btid, ...) {
  (void)btid;
  long share = (floats + threads - 1) / threads;
  long first = *gtid * share, last = first + share;
  for (long i = first; i < last && i < floats; ++i)
    buffer[i] += 1.0f;
}

static volatile double sink;

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* `us` microseconds of work on this thread alone. */
static void serial_work(double us) {
  double end = now_us() + us, x = 0;
  while (now_us() < end)
    x += 1;
  sink = x;
}

int main(int argc, char **argv) {
  threads = argc > 1 ? atoi(argv[1]) : 2;
  floats = argc > 2 ? atol(argv[2]) : 37632;
  if (threads < 1 || floats < 1) {
    fprintf(stderr, "usage: team_fork [THREADS >= 1] [FLOATS >= 1]\n");
    return 2;
  }
  enum { MAX_REPEATS = 2000 };
  buffer = calloc(floats, sizeof(float));
  double *times = calloc(MAX_REPEATS, sizeof(double));
  kiln_team *team = kiln_team_create(threads);
  if (!buffer || !times || !team) {
    fprintf(stderr, "team_fork: out of memory\n");
    return 1;
  }
  kiln_team_exchange_current(team);
  for (int i = 0; i < 100; ++i) /* Warm-up: workers started and spinning. */
    kiln_omp_fork_call(NULL, 0, add_share);
  const double gaps[] = {0, 50, 90, 150, 500, 2000};
  for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); ++g) {
    int repeats = gaps[g] >= 500 ? 500 : MAX_REPEATS;
    double total = 0;
    for (int i = 0; i < repeats; ++i) {
      serial_work(gaps[g]);
      double start = now_us();
      kiln_omp_fork_call(NULL, 0, add_share);
      times[i] = now_us() - start;
      total += times[i];
    }
    qsort(times, repeats, sizeof(double), compare_doubles);
    printf("threads %d, %ld floats, after %4.0f us of serial work: region "
           "median %.2f us, mean %.2f us\n",
           threads, floats, gaps[g], times[repeats / 2], total / repeats);
  }
  kiln_team_exchange_current(NULL);
  kiln_team_destroy(team);
  free(times);
  free(buffer);
  return 0;
}
