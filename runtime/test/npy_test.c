/*===- npy_test.c - Unit tests for the Kiln runtime library ---------------===*
 *
 * Usage:
 *   kiln-runtime-tests              run all tests; prints "N passed, M failed"
 *                                   and exits non-zero if any failed
 *   kiln-runtime-tests copy IN OUT  kiln_npy_read IN, kiln_npy_write OUT;
 *                                   lets scripts cross-check against numpy
 *
 * Malformed files are written byte by byte into a fresh temporary directory,
 * which is removed afterwards.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_failed; // Set by CHECK; reset per test.

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__,       \
              #cond);                                                          \
      test_failed = 1;                                                         \
    }                                                                          \
  } while (0)

static char tmpdir[1024];

// Returns tmpdir/name in one of a few rotating buffers.
static const char *tpath(const char *name) {
  static char bufs[4][1400];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", tmpdir, name);
  return b;
}

static void write_bytes(const char *path, const void *bytes, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(bytes, 1, len, f) == len);
  if (f)
    fclose(f);
}

static size_t read_bytes(const char *path, unsigned char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

// Builds a .npy image: magic, version major.0, header length, `dict` padded
// to a 64-byte boundary, then `data_len` bytes of data (copied from `data`).
static size_t make_npy(unsigned char *buf, int major, const char *dict,
                       const void *data, size_t data_len) {
  size_t pre = major == 1 ? 10 : 12, n = strlen(dict);
  size_t total = (pre + n + 1 + 63) / 64 * 64, hlen = total - pre;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  for (size_t i = 0; i < pre - 8; ++i)
    buf[8 + i] = (unsigned char)(hlen >> (8 * i));
  memcpy(buf + pre, dict, n);
  memset(buf + pre + n, ' ', hlen - n - 1);
  buf[total - 1] = '\n';
  if (data_len)
    memcpy(buf + total, data, data_len);
  return total + data_len;
}

static const float k6[6] = {1, -2, 3.5f, 0, 1e-3f, 65504};

// Writes the given bytes to a file, reads it back and expects failure with
// `code` and a message containing the path and `needle`.
static void expect_read_error(const char *name, const void *bytes, size_t len,
                              int code, const char *needle) {
  const char *path = tpath(name);
  write_bytes(path, bytes, len);
  kiln_tensor t;
  char err[512];
  int rc = kiln_npy_read(path, &t, err, sizeof err);
  if (rc != code || !strstr(err, needle) || strncmp(err, path, strlen(path)))
    fprintf(stderr, "  %s: rc=%d (want %d), err='%s' (want '%s')\n", name, rc,
            code, err, needle);
  CHECK(rc == code);
  CHECK(strncmp(err, path, strlen(path)) == 0);
  CHECK(strstr(err, needle) != NULL);
  CHECK(t.data == NULL && t.rank == 0);
}

// Shorthand: a dict with 6 floats of data (enough for a 2x3 shape).
static void expect_dict_error(const char *name, int major, const char *dict,
                              const char *needle) {
  unsigned char buf[1024];
  size_t n = make_npy(buf, major, dict, k6, sizeof k6);
  expect_read_error(name, buf, n, KILN_ERR_FORMAT, needle);
}

static int same_bits(const float *a, const float *b, int64_t n) {
  return n == 0 || memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

/*===-- Tests -------------------------------------------------------------===*/

static void test_round_trip(void) {
  static const int64_t shapes[][KILN_MAX_RANK] = {
      {0}, {7}, {2, 3}, {2, 1, 3, 2, 2}, {1, 2, 1, 2, 1, 2, 1, 3}, {3, 0, 2}};
  static const int64_t ranks[] = {0, 1, 2, 5, 8, 3};
  for (int s = 0; s < 6; ++s) {
    int64_t n;
    CHECK(kiln_shape_numel(shapes[s], ranks[s], &n) == 0);
    float data[64];
    for (int64_t i = 0; i < n; ++i)
      data[i] = (float)i * 0.5f - 3.0f;
    if (s == 1) { // Special values must survive bit for bit.
      data[0] = INFINITY, data[1] = -INFINITY, data[2] = NAN, data[3] = -0.0f;
      data[4] = 1e-45f; // Denormal.
    }
    char err[256];
    const char *path = tpath("rt.npy");
    CHECK(kiln_npy_write(path, shapes[s], ranks[s], data, err, sizeof err) ==
          KILN_OK);
    kiln_tensor t;
    CHECK(kiln_npy_read(path, &t, err, sizeof err) == KILN_OK);
    CHECK(t.rank == ranks[s]);
    CHECK(memcmp(t.shape, shapes[s], (size_t)ranks[s] * 8) == 0);
    CHECK(t.data && ((uintptr_t)t.data % KILN_ALIGNMENT) == 0);
    CHECK(t.data && same_bits(t.data, data, n));
    kiln_tensor_free(&t);
    CHECK(t.data == NULL);
  }
}

// The header must match numpy's own layout byte for byte.
static void test_written_header(void) {
  static const struct {
    int64_t rank;
    int64_t shape[2];
    const char *dict;
  } cases[] = {
      {2,
       {2, 3},
       "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
      {1, {5}, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"},
      {0, {0}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"},
  };
  for (int c = 0; c < 3; ++c) {
    float data[6] = {1, 2, 3, 4, 5, 6};
    const char *path = tpath("hdr.npy");
    CHECK(kiln_npy_write(path, cases[c].shape, cases[c].rank, data, NULL, 0) ==
          KILN_OK);
    unsigned char got[256], want[256];
    size_t n = read_bytes(path, got, sizeof got);
    int64_t numel;
    kiln_shape_numel(cases[c].shape, cases[c].rank, &numel);
    size_t m = make_npy(want, 1, cases[c].dict, data, (size_t)numel * 4);
    CHECK(n == m && memcmp(got, want, n) == 0);
    CHECK(m % 64 == (size_t)numel * 4 % 64);
  }
}

static void test_read_variants(void) {
  unsigned char buf[1024];
  static const struct {
    int major;
    const char *dict;
  } ok[] = {
      {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
      {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
      {1, "{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<f4\"}"},
      {1, "{'descr':'<f4','fortran_order':False,'shape':(2L, 3L)}"},
      {1,
       "{ 'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 6 , ) }"},
  };
  for (int c = 0; c < 5; ++c) {
    size_t n = make_npy(buf, ok[c].major, ok[c].dict, k6, sizeof k6);
    const char *path = tpath("variant.npy");
    write_bytes(path, buf, n);
    kiln_tensor t;
    char err[256] = "";
    int rc = kiln_npy_read(path, &t, err, sizeof err);
    if (rc)
      fprintf(stderr, "  variant %d: %s\n", c, err);
    CHECK(rc == KILN_OK);
    CHECK(t.data && same_bits(t.data, k6, 6));
    kiln_tensor_free(&t);
  }
  // Trailing bytes after the data are ignored, like numpy.load does.
  size_t n = make_npy(buf, 1,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (5,)}",
                      k6, sizeof k6);
  write_bytes(tpath("trailing.npy"), buf, n);
  kiln_tensor t;
  CHECK(kiln_npy_read(tpath("trailing.npy"), &t, NULL, 0) == KILN_OK);
  CHECK(t.rank == 1 && t.shape[0] == 5 && same_bits(t.data, k6, 5));
  kiln_tensor_free(&t);
}

static void test_bad_container(void) {
  unsigned char buf[1024];
  kiln_tensor t;
  char err[256];
  CHECK(kiln_npy_read(tpath("missing.npy"), &t, err, sizeof err) ==
        KILN_ERR_IO);
  CHECK(strstr(err, "missing.npy: cannot open: ") != NULL);

  expect_read_error("empty.npy", "", 0, KILN_ERR_FORMAT, "not a .npy file");
  expect_read_error("gif.npy", "GIF89a\1\0\0\0", 10, KILN_ERR_FORMAT,
                    "not a .npy file (bad magic string)");
  expect_read_error("short.npy", "\x93NUMPY\1", 7, KILN_ERR_FORMAT,
                    "truncated header");
  expect_read_error("nolen.npy", "\x93NUMPY\2\0\1\0", 10, KILN_ERR_FORMAT,
                    "truncated header");

  const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,3)}";
  size_t n = make_npy(buf, 1, dict, k6, sizeof k6);
  buf[6] = 4;
  expect_read_error("v4.npy", buf, n, KILN_ERR_FORMAT,
                    "unsupported .npy format version 4.0");
  buf[6] = 1, buf[7] = 1;
  expect_read_error("v11.npy", buf, n, KILN_ERR_FORMAT,
                    "unsupported .npy format version 1.1");
  buf[7] = 0;
  expect_read_error("hdrcut.npy", buf, 40, KILN_ERR_FORMAT,
                    "truncated header: expected 118 bytes, found 30");
  expect_read_error("datacut.npy", buf, n - 4, KILN_ERR_FORMAT,
                    "truncated data: expected 24 bytes, found 20");
  expect_read_error("nodata.npy", buf, n - 24, KILN_ERR_FORMAT,
                    "truncated data: expected 24 bytes, found 0");

  n = make_npy(buf, 2, dict, k6, sizeof k6);
  buf[8] = buf[9] = buf[10] = 0, buf[11] = 0x10; // Header length 256 MiB.
  expect_read_error("hugehdr.npy", buf, n, KILN_ERR_FORMAT,
                    "header too large (268435456 bytes)");
}

static void test_bad_dtype_and_order(void) {
  static const char *dtypes[] = {"<f8", "<i8", ">f4", "|u1", "<f2", "f4"};
  for (int i = 0; i < 6; ++i) {
    char dict[128], needle[64];
    snprintf(dict, sizeof dict,
             "{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }",
             dtypes[i]);
    snprintf(needle, sizeof needle, "unsupported dtype '%s'", dtypes[i]);
    expect_dict_error("dtype.npy", 1, dict, needle);
  }
  expect_dict_error("struct.npy", 1,
                    "{'descr': [('a', '<f4')], 'fortran_order': False, "
                    "'shape': (2,), }",
                    "unsupported structured dtype");
  expect_dict_error(
      "fortran.npy", 1,
      "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
      "fortran_order is True");
}

static void test_malformed_header(void) {
  static const struct {
    const char *dict, *needle;
  } cases[] = {
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'fortran_order': False, 'shape': (6,)}", "missing key 'descr'"},
      {"{'descr': '<f4', 'shape': (6,)}", "missing key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}",
       "duplicate key 'descr'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (6,)}",
       "malformed header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)",
       "expected '}' at end of header"},
      {"'descr': '<f4', 'fortran_order': False, 'shape': (6,)}",
       "expected '{' at start of header"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}",
       "expected '(' to start 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}",
       "expected ')' to end 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (a,)}",
       "shape must be a tuple of integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}",
       "shape must be a tuple of integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x",
       "unexpected text after the header dict"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,6)}",
       "shape has more than 8 dimensions"},
      {"{descr: '<f4', 'fortran_order': False, 'shape': (6,)}",
       "expected a quoted string"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    expect_dict_error("malformed.npy", 1, cases[i].dict, cases[i].needle);
}

static void test_bad_shape(void) {
  static const struct {
    const char *shape, *needle;
  } cases[] = {
      {"(-3, 2)", "negative dimension -3 in shape"},
      {"(2, -0)", ""}, // -0 is just 0: reads fine, handled below.
      {"(99999999999999999999,)",
       "dimension 99999999999999999999 in shape overflows 64-bit"},
      {"(9223372036854775808,)", "overflows 64-bit"}, // INT64_MAX + 1
      {"(4294967296, 4294967296)",
       "shape 4294967296x4294967296 has an element count that overflows"},
      {"(4611686018427387904,)", "has a byte count that overflows 64-bit"},
      {"(2305843009213693952,)", "has a byte count that overflows 64-bit"},
      // Large but representable: must report truncation, not try to allocate.
      {"(1099511627776,)", "truncated data: expected 4398046511104 bytes"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    char dict[160];
    snprintf(dict, sizeof dict,
             "{'descr': '<f4', 'fortran_order': False, 'shape': %s}",
             cases[i].shape);
    if (i == 1) {
      unsigned char buf[256];
      size_t n = make_npy(buf, 1, dict, NULL, 0);
      write_bytes(tpath("zero.npy"), buf, n);
      kiln_tensor t;
      CHECK(kiln_npy_read(tpath("zero.npy"), &t, NULL, 0) == KILN_OK);
      CHECK(t.rank == 2 && t.shape[0] == 2 && t.shape[1] == 0);
      kiln_tensor_free(&t);
      continue;
    }
    expect_dict_error("shape.npy", 1, dict, cases[i].needle);
  }
  // Zero dimension with others whose product would overflow: 0 elements.
  int64_t numel = -1;
  const int64_t big[3] = {INT64_MAX, INT64_MAX, 0};
  CHECK(kiln_shape_numel(big, 3, &numel) == 0 && numel == 0);
}

// Lists tmpdir and returns how many entries contain ".tmp.".
static int count_temp_files(void) {
  DIR *d = opendir(tmpdir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += strstr(e->d_name, ".tmp.") != NULL;
  if (d)
    closedir(d);
  return n;
}

static void test_write_errors(void) {
  const int64_t shape[2] = {2, 3};
  char err[512];
  const char *bad = tpath("no/such/dir/out.npy");
  CHECK(kiln_npy_write(bad, shape, 2, k6, err, sizeof err) == KILN_ERR_IO);
  CHECK(strstr(err, "out.npy: cannot create temporary file") != NULL);
  CHECK(access(bad, F_OK) != 0);

  // The temporary file is created but rename fails: target is a directory.
  const char *dir = tpath("adir.npy");
  CHECK(mkdir(dir, 0777) == 0);
  CHECK(kiln_npy_write(dir, shape, 2, k6, err, sizeof err) == KILN_ERR_IO);
  CHECK(strstr(err, "cannot rename temporary file into place") != NULL);
  CHECK(count_temp_files() == 0);
  rmdir(dir);

  const int64_t neg[2] = {2, -1};
  CHECK(kiln_npy_write(tpath("x.npy"), neg, 2, k6, err, sizeof err) ==
        KILN_ERR_INVALID);
  CHECK(kiln_npy_write(tpath("x.npy"), shape, 9, k6, err, sizeof err) ==
        KILN_ERR_INVALID);
  CHECK(kiln_npy_write(tpath("x.npy"), shape, 2, NULL, err, sizeof err) ==
        KILN_ERR_INVALID);
  const int64_t huge[1] = {INT64_MAX / 2};
  CHECK(kiln_npy_write(tpath("x.npy"), huge, 1, k6, err, sizeof err) ==
        KILN_ERR_INVALID);
  CHECK(access(tpath("x.npy"), F_OK) != 0);

  // Overwriting replaces the file completely and leaves no temporaries.
  const int64_t one[1] = {1};
  CHECK(kiln_npy_write(tpath("ow.npy"), shape, 2, k6, NULL, 0) == KILN_OK);
  CHECK(kiln_npy_write(tpath("ow.npy"), one, 1, k6 + 2, NULL, 0) == KILN_OK);
  kiln_tensor t;
  CHECK(kiln_npy_read(tpath("ow.npy"), &t, NULL, 0) == KILN_OK);
  CHECK(t.rank == 1 && t.shape[0] == 1 && t.data && t.data[0] == 3.5f);
  kiln_tensor_free(&t);
  CHECK(count_temp_files() == 0);
}

static void test_error_buffer(void) {
  kiln_tensor t;
  char err[8];
  memset(err, 'x', sizeof err);
  CHECK(kiln_npy_read(tpath("missing.npy"), &t, err, sizeof err) ==
        KILN_ERR_IO);
  CHECK(strlen(err) == 7);
  CHECK(kiln_npy_read(tpath("missing.npy"), &t, NULL, 0) == KILN_ERR_IO);
  CHECK(kiln_npy_read(tpath("missing.npy"), &t, err, 0) == KILN_ERR_IO);
  kiln_tensor_free(NULL);
}

static void test_helpers(void) {
  char buf[64];
  const int64_t s[4] = {1, 3, 32, 32};
  CHECK(strcmp(kiln_shape_format(s, 4, buf, sizeof buf), "1x3x32x32") == 0);
  CHECK(strcmp(kiln_shape_format(s, 0, buf, sizeof buf), "()") == 0);
  CHECK(strcmp(kiln_shape_format(s, 4, buf, 4), "1x3") == 0);
  int64_t n = 0;
  CHECK(kiln_shape_numel(s, 4, &n) == 0 && n == 3072);
  CHECK(kiln_shape_numel(s, 0, &n) == 0 && n == 1);
  CHECK(kiln_shape_numel(s, 9, &n) == -1);
  CHECK(kiln_shape_numel(s, -1, &n) == -1);
  const int64_t over[2] = {INT64_MAX / 2 + 1, 2};
  CHECK(kiln_shape_numel(over, 2, &n) == -1);
  const int64_t max[2] = {INT64_MAX, 1};
  CHECK(kiln_shape_numel(max, 2, &n) == 0 && n == INT64_MAX);

  for (size_t bytes = 0; bytes < 200; bytes += 37) {
    void *p = kiln_alloc_aligned(bytes);
    CHECK(p && (uintptr_t)p % KILN_ALIGNMENT == 0);
    free(p);
  }
  CHECK(kiln_alloc_aligned(SIZE_MAX) == NULL);

  double t0 = kiln_now_seconds(), t1 = kiln_now_seconds();
  CHECK(t0 > 0 && t1 >= t0);
}

/*===-- Driver ------------------------------------------------------------===*/

static int copy_file(const char *in, const char *out) {
  kiln_tensor t;
  char err[512];
  if (kiln_npy_read(in, &t, err, sizeof err) != KILN_OK ||
      kiln_npy_write(out, t.shape, t.rank, t.data, err, sizeof err) !=
          KILN_OK) {
    fprintf(stderr, "error: %s\n", err);
    kiln_tensor_free(&t);
    return 1;
  }
  kiln_tensor_free(&t);
  return 0;
}

static void remove_tmpdir(void) {
  DIR *d = opendir(tmpdir);
  for (struct dirent *e; d && (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      remove(tpath(e->d_name));
  if (d)
    closedir(d);
  rmdir(tmpdir);
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "copy"))
    return copy_file(argv[2], argv[3]);
  if (argc != 1) {
    fprintf(stderr, "usage: %s [copy IN.npy OUT.npy]\n", argv[0]);
    return 2;
  }

  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/kiln-runtime-test-XXXXXX",
           base && *base ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }

  static const struct {
    const char *name;
    void (*fn)(void);
  } tests[] = {
      {"round_trip", test_round_trip},
      {"written_header", test_written_header},
      {"read_variants", test_read_variants},
      {"bad_container", test_bad_container},
      {"bad_dtype_and_order", test_bad_dtype_and_order},
      {"malformed_header", test_malformed_header},
      {"bad_shape", test_bad_shape},
      {"write_errors", test_write_errors},
      {"error_buffer", test_error_buffer},
      {"helpers", test_helpers},
  };
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; ++i) {
    test_failed = 0;
    tests[i].fn();
    printf("%s %s\n", test_failed ? "FAIL" : "ok  ", tests[i].name);
    test_failed ? ++failed : ++passed;
  }
  remove_tmpdir();
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
