/* The benchmark's own roofline numbers: peak FP32 FMA throughput and memory
 * bandwidth.
 *
 *   micro fma THREADS [SECONDS]
 *     -> {"test":"fma","threads":T,"gflops":G,"isa":"avx512"}
 *   micro triad THREADS [MB_PER_ARRAY]
 *     -> {"test":"triad","threads":T,"gbps":B,...}
 *
 * fma: each thread runs NACC independent chains of vector FMAs
 * (acc = acc * x + y) held in registers, enough to cover the FMA latency on
 * two FMA ports; FLOPs = 2 * lanes per FMA. The best of several timed repeats
 * is reported (peak = what the core can do).
 *
 * triad: STREAM's a[i] = b[i] + s * c[i] on doubles, arrays far larger than
 * the caches, split across threads (each thread first-touches its own part);
 * bytes = 3 * 8 * N (STREAM's convention: the write-allocate traffic is not
 * counted). Best of the repeats.
 *
 * Build: cc -O2 -march=native -pthread micro.c -o micro
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pin(int i) {
  cpu_set_t set;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 0)
    return;
  CPU_ZERO(&set);
  CPU_SET(i % n, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static pthread_barrier_t barrier;
static int nthreads;

/* ---- FMA ----------------------------------------------------------------- */

#if defined(__AVX512F__)
#define ISA "avx512"
#define LANES 16
#define NACC 24
typedef __m512 vec;
#define VSET(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUM(a) _mm512_reduce_add_ps(a)
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "avx2"
#define LANES 8
#define NACC 12
typedef __m256 vec;
#define VSET(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
static float VSUM(__m256 a) {
  float t[8];
  _mm256_storeu_ps(t, a);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else
#define ISA "generic"
#define LANES 4
#define NACC 8
typedef float vec __attribute__((vector_size(16)));
#define VSET(x) ((vec){x, x, x, x})
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
#define VSUM(a) ((a)[0] + (a)[1] + (a)[2] + (a)[3])
#endif

static long fma_iters;
static volatile float fma_sink;

/* NACC chains, fully unrolled so the accumulators stay in registers. */
static float fma_kernel(long iters) {
  vec acc[NACC];
  vec x = VSET(0.9999999f), y = VSET(1e-7f);
  for (int i = 0; i < NACC; i++)
    acc[i] = VSET((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 32
    for (int i = 0; i < NACC; i++)
      acc[i] = VFMA(acc[i], x, y);
#if defined(__AVX512F__) || defined(__AVX2__)
    /* Keep the compiler from merging iterations or hoisting: nothing needed,
       the chains are loop-carried. */
#endif
  }
  vec s = acc[0];
  for (int i = 1; i < NACC; i++)
    s = VADD(s, acc[i]);
  return VSUM(s);
}

static void *fma_thread(void *arg) {
  int id = (int)(long)arg;
  pin(id);
  fma_kernel(fma_iters / 10); /* warm up (and let the clock settle) */
  pthread_barrier_wait(&barrier);
  fma_sink += fma_kernel(fma_iters);
  pthread_barrier_wait(&barrier);
  return NULL;
}

static double run_threads(void *(*fn)(void *)) {
  pthread_t th[256];
  pthread_barrier_init(&barrier, NULL, nthreads + 1);
  for (int i = 0; i < nthreads; i++)
    pthread_create(&th[i], NULL, fn, (void *)(long)i);
  pthread_barrier_wait(&barrier);
  double t0 = now();
  pthread_barrier_wait(&barrier);
  double t = now() - t0;
  for (int i = 0; i < nthreads; i++)
    pthread_join(th[i], NULL);
  pthread_barrier_destroy(&barrier);
  return t;
}

static int bench_fma(double seconds) {
  /* Calibrate on one thread: ~0.05 s. */
  fma_iters = 1 << 16;
  for (;;) {
    double t0 = now();
    fma_sink += fma_kernel(fma_iters);
    double t = now() - t0;
    if (t > 0.05) {
      fma_iters = (long)(fma_iters * (seconds / 5) / t) + 1;
      break;
    }
    fma_iters *= 2;
  }
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t = run_threads(fma_thread);
    double g = 2.0 * LANES * NACC * (double)fma_iters * nthreads / t * 1e-9;
    if (g > best)
      best = g;
  }
  printf("{\"test\":\"fma\",\"threads\":%d,\"gflops\":%.2f,\"isa\":\"%s\","
         "\"lanes\":%d,"
         "\"chains\":%d}\n",
         nthreads, best, ISA, LANES, NACC);
  return 0;
}

/* ---- triad --------------------------------------------------------------- */

static double *A, *B, *C;
static long N;

static void range(int id, long *lo, long *hi) {
  long per = (N + nthreads - 1) / nthreads;
  *lo = id * per;
  *hi = *lo + per < N ? *lo + per : N;
}

static void *triad_thread(void *arg) {
  int id = (int)(long)arg;
  long lo, hi;
  pin(id);
  range(id, &lo, &hi);
  for (long i = lo; i < hi; i++) {
    A[i] = 0;
    B[i] = 1.0;
    C[i] = 2.0;
  } /* first touch */
  pthread_barrier_wait(&barrier);
  const double s = 3.0;
  for (long i = lo; i < hi; i++)
    A[i] = B[i] + s * C[i];
  pthread_barrier_wait(&barrier);
  return NULL;
}

static void *triad_again(void *arg) {
  int id = (int)(long)arg;
  long lo, hi;
  pin(id);
  range(id, &lo, &hi);
  pthread_barrier_wait(&barrier);
  const double s = 3.0;
  for (long i = lo; i < hi; i++)
    A[i] = B[i] + s * C[i];
  pthread_barrier_wait(&barrier);
  return NULL;
}

static int bench_triad(long mb) {
  N = mb * 1024 * 1024 / sizeof(double);
  A = aligned_alloc(64, N * sizeof(double));
  B = aligned_alloc(64, N * sizeof(double));
  C = aligned_alloc(64, N * sizeof(double));
  if (!A || !B || !C) {
    fprintf(stderr, "micro: out of memory\n");
    return 1;
  }
  run_threads(triad_thread);
  double best = 0;
  for (int rep = 0; rep < 6; rep++) {
    double t = run_threads(triad_again);
    double g = 3.0 * sizeof(double) * N / t * 1e-9;
    if (g > best)
      best = g;
  }
  double check = A[N / 2];
  printf(
      "{\"test\":\"triad\",\"threads\":%d,\"gbps\":%.2f,\"mb_per_array\":%ld,"
      "\"check\":%.1f}\n",
      nthreads, best, mb, check);
  free(A);
  free(B);
  free(C);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: micro fma|triad THREADS [SECONDS|MB_PER_ARRAY]\n");
    return 2;
  }
  nthreads = atoi(argv[2]);
  if (nthreads < 1 || nthreads > 256) {
    fprintf(stderr, "micro: bad THREADS\n");
    return 2;
  }
  if (!strcmp(argv[1], "fma"))
    return bench_fma(argc > 3 ? atof(argv[3]) : 1.0);
  if (!strcmp(argv[1], "triad"))
    return bench_triad(argc > 3 ? atol(argv[3]) : 512);
  fprintf(stderr, "micro: unknown test %s\n", argv[1]);
  return 2;
}
