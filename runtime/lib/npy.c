/*===- npy.c - Reading and writing float32 .npy files ---------------------===*
 *
 * The .npy format (numpy/lib/format.py):
 *
 *   "\x93NUMPY" major minor HEADER_LEN HEADER DATA
 *
 * HEADER_LEN is a little-endian uint16 in version 1.0 and a uint32 in 2.0 and
 * 3.0 (3.0 only allows UTF-8 in HEADER). HEADER is a Python dict literal such
 * as "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", padded
 * with spaces and a final '\n'. We parse just that subset of Python rather
 * than trust sscanf, because malformed input must produce an error, never a
 * misread tensor.
 *
 * Elements are always converted from/to little-endian byte by byte, so the
 * code is correct on any host; compilers turn this into a plain copy on
 * little-endian machines.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "kiln/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

// Real headers are ~128 bytes; refuse absurd lengths before allocating them.
#define NPY_MAX_HEADER_LEN (1u << 20)

// Formats "PATH: message" into err and returns `code`.
static int fail(char *err, size_t errlen, int code, const char *path,
                const char *fmt, ...) {
  if (err && errlen) {
    int n = snprintf(err, errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return code;
}

/*===-- Header dict parser ------------------------------------------------===*/

typedef struct npy_header {
  const char *descr; // Points into the header text; not NUL-terminated.
  size_t descr_len;
  int descr_is_list; // A structured dtype: descr is a list, not a string.
  int fortran_order;
  int64_t rank;
  int64_t shape[KILN_MAX_RANK];
} npy_header;

typedef struct cursor {
  const char *p, *end;
  char *msg; // Receives the reason for a parse failure.
  size_t msglen;
} cursor;

static int parse_error(cursor *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, c->msglen, fmt, ap);
  va_end(ap);
  return -1;
}

// Skips whitespace and returns the next character, or -1 at the end.
static int peek(cursor *c) {
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    ++c->p;
  return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int expect(cursor *c, char ch, const char *context) {
  if (peek(c) != ch)
    return parse_error(c, "expected '%c' %s", ch, context);
  ++c->p;
  return 0;
}

// Parses a '...' or "..." literal without escapes (numpy never writes any).
static int parse_string(cursor *c, const char **s, size_t *len) {
  int quote = peek(c);
  if (quote != '\'' && quote != '"')
    return parse_error(c, "expected a quoted string");
  const char *start = ++c->p;
  while (c->p < c->end && *c->p != quote && *c->p != '\\')
    ++c->p;
  if (c->p == c->end || *c->p != quote)
    return parse_error(c, "unterminated or escaped string");
  *s = start;
  *len = (size_t)(c->p++ - start);
  return 0;
}

static int parse_bool(cursor *c, int *value) {
  peek(c);
  size_t left = (size_t)(c->end - c->p);
  if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
    *value = 1;
    c->p += 4;
  } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
    *value = 0;
    c->p += 5;
  } else {
    return parse_error(c, "'fortran_order' must be True or False");
  }
  return 0;
}

// Parses one dimension; rejects negatives and values beyond int64_t here so
// the message can quote the offending number.
static int parse_dim(cursor *c, int64_t *dim) {
  peek(c);
  const char *start = c->p;
  int negative = c->p < c->end && *c->p == '-';
  if (negative)
    ++c->p;
  if (c->p == c->end || *c->p < '0' || *c->p > '9')
    return parse_error(c, "shape must be a tuple of integers");
  uint64_t v = 0;
  int overflow = 0;
  for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; ++c->p) {
    unsigned digit = (unsigned)(*c->p - '0');
    overflow |= v > ((uint64_t)INT64_MAX - digit) / 10;
    v = v * 10 + digit;
  }
  int len = (int)(c->p - start);
  if (c->p < c->end && *c->p == 'L') // Python 2 long suffix.
    ++c->p;
  if (negative && (v != 0 || overflow))
    return parse_error(c, "negative dimension %.*s in shape", len, start);
  if (overflow)
    return parse_error(c, "dimension %.*s in shape overflows 64-bit", len,
                       start);
  *dim = (int64_t)v;
  return 0;
}

// Parses "()", "(N,)" or "(N, M, ...)" with an optional trailing comma.
static int parse_shape(cursor *c, npy_header *h) {
  if (expect(c, '(', "to start 'shape'"))
    return -1;
  h->rank = 0;
  while (peek(c) != ')') {
    if (h->rank == KILN_MAX_RANK)
      return parse_error(c, "shape has more than %d dimensions", KILN_MAX_RANK);
    if (parse_dim(c, &h->shape[h->rank++]))
      return -1;
    if (peek(c) != ',')
      break;
    ++c->p;
  }
  return expect(c, ')', "to end 'shape'");
}

static int parse_header(cursor *c, npy_header *h) {
  enum { DESCR = 1, FORTRAN = 2, SHAPE = 4 };
  unsigned seen = 0;
  if (expect(c, '{', "at start of header"))
    return -1;
  while (peek(c) != '}') {
    const char *key;
    size_t len;
    if (parse_string(c, &key, &len) || expect(c, ':', "after key"))
      return -1;
    unsigned which = 0;
    if (len == 5 && memcmp(key, "descr", 5) == 0) {
      which = DESCR;
      if (peek(c) == '[') {
        // Structured dtype; no need to parse the list, it is rejected anyway.
        h->descr_is_list = 1;
        return 0;
      }
      if (parse_string(c, &h->descr, &h->descr_len))
        return -1;
    } else if (len == 13 && memcmp(key, "fortran_order", 13) == 0) {
      which = FORTRAN;
      if (parse_bool(c, &h->fortran_order))
        return -1;
    } else if (len == 5 && memcmp(key, "shape", 5) == 0) {
      which = SHAPE;
      if (parse_shape(c, h))
        return -1;
    } else {
      return parse_error(c, "unexpected key '%.*s'", (int)(len > 32 ? 32 : len),
                         key);
    }
    if (seen & which)
      return parse_error(c, "duplicate key '%.*s'", (int)len, key);
    seen |= which;
    if (peek(c) != ',')
      break;
    ++c->p;
  }
  if (expect(c, '}', "at end of header"))
    return -1;
  if (peek(c) != -1)
    return parse_error(c, "unexpected text after the header dict");
  if (seen != (DESCR | FORTRAN | SHAPE))
    return parse_error(c, "missing key '%s'",
                       !(seen & DESCR)     ? "descr"
                       : !(seen & FORTRAN) ? "fortran_order"
                                           : "shape");
  return 0;
}

/*===-- Reading -----------------------------------------------------------===*/

static uint32_t load_le32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
}

// Reads and checks everything before the data: magic, version, header dict,
// dtype and order. Leaves `f` at the first data byte.
static int read_header(FILE *f, const char *path, npy_header *h, char *err,
                       size_t errlen) {
  unsigned char pre[12];
  size_t got = fread(pre, 1, 8, f);
  if (ferror(f))
    return fail(err, errlen, KILN_ERR_IO, path, "read error: %s",
                strerror(errno));
  if (got < 6 || memcmp(pre, kMagic, 6) != 0)
    return fail(err, errlen, KILN_ERR_FORMAT, path,
                "not a .npy file (bad magic string)");
  if (got < 8)
    return fail(err, errlen, KILN_ERR_FORMAT, path, "truncated header");
  unsigned major = pre[6], minor = pre[7];
  if (minor != 0 || major < 1 || major > 3)
    return fail(err, errlen, KILN_ERR_FORMAT, path,
                "unsupported .npy format version %u.%u (supported: 1.0, 2.0, "
                "3.0)",
                major, minor);

  size_t len_size = major == 1 ? 2 : 4;
  if (fread(pre + 8, 1, len_size, f) != len_size)
    return fail(err, errlen, KILN_ERR_FORMAT, path, "truncated header");
  uint32_t header_len = major == 1 ? (uint32_t)pre[8] | (uint32_t)pre[9] << 8
                                   : load_le32(pre + 8);
  if (header_len > NPY_MAX_HEADER_LEN)
    return fail(err, errlen, KILN_ERR_FORMAT, path,
                "header too large (%lu bytes)", (unsigned long)header_len);

  char *text = malloc(header_len ? header_len : 1);
  if (!text)
    return fail(err, errlen, KILN_ERR_NOMEM, path, "out of memory");
  int rc = KILN_OK;
  char msg[160] = "";
  cursor c = {text, text + header_len, msg, sizeof msg};
  got = fread(text, 1, header_len, f);
  if (got != header_len)
    rc = fail(err, errlen, KILN_ERR_FORMAT, path,
              "truncated header: expected %lu bytes, found %lu",
              (unsigned long)header_len, (unsigned long)got);
  else if (parse_header(&c, h))
    rc = fail(err, errlen, KILN_ERR_FORMAT, path, "malformed header: %s", msg);
  else if (h->descr_is_list)
    rc = fail(err, errlen, KILN_ERR_FORMAT, path,
              "unsupported structured dtype (only '<f4', little-endian "
              "float32, is supported)");
  else if (h->descr_len != 3 || memcmp(h->descr, "<f4", 3) != 0)
    rc = fail(err, errlen, KILN_ERR_FORMAT, path,
              "unsupported dtype '%.*s' (only '<f4', little-endian float32, "
              "is supported)",
              (int)(h->descr_len > 40 ? 40 : h->descr_len), h->descr);
  else if (h->fortran_order)
    rc = fail(err, errlen, KILN_ERR_FORMAT, path,
              "fortran_order is True; only C-order arrays are supported");
  free(text);
  h->descr = NULL; // Pointed into `text`.
  return rc;
}

// Reads from an open file; the caller closes it and frees *out on failure.
static int read_npy(FILE *f, const char *path, kiln_tensor *out, char *err,
                    size_t errlen) {
  npy_header h = {0};
  int rc = read_header(f, path, &h, err, errlen);
  if (rc != KILN_OK)
    return rc;

  char dims[KILN_MAX_RANK * 21 + 3];
  kiln_shape_format(h.shape, h.rank, dims, sizeof dims);
  int64_t numel;
  if (kiln_shape_numel(h.shape, h.rank, &numel) != 0)
    return fail(err, errlen, KILN_ERR_FORMAT, path,
                "shape %s has an element count that overflows 64-bit", dims);
  if (numel > INT64_MAX / 4 || (uint64_t)numel * 4 > SIZE_MAX)
    return fail(err, errlen, KILN_ERR_FORMAT, path,
                "shape %s has a byte count that overflows 64-bit", dims);
  size_t bytes = (size_t)numel * 4;

  // Check the file size first so that a corrupt header claiming terabytes
  // reports truncation instead of failing to allocate.
  struct stat st;
  long data_offset = ftell(f);
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && data_offset >= 0) {
    long long avail = (long long)st.st_size - data_offset;
    if (avail < (long long)bytes)
      return fail(err, errlen, KILN_ERR_FORMAT, path,
                  "truncated data: expected %llu bytes, found %lld",
                  (unsigned long long)bytes, avail < 0 ? 0 : avail);
  }

  out->data = kiln_alloc_aligned(bytes);
  if (!out->data)
    return fail(err, errlen, KILN_ERR_NOMEM, path,
                "out of memory allocating %llu bytes",
                (unsigned long long)bytes);
  size_t got = fread(out->data, 1, bytes, f);
  if (got != bytes) {
    if (ferror(f))
      return fail(err, errlen, KILN_ERR_IO, path, "read error: %s",
                  strerror(errno));
    return fail(err, errlen, KILN_ERR_FORMAT, path,
                "truncated data: expected %llu bytes, found %llu",
                (unsigned long long)bytes, (unsigned long long)got);
  }
  // Trailing bytes after the data are ignored, matching numpy.load.

  unsigned char *raw = (unsigned char *)out->data;
  for (size_t i = 0; i < (size_t)numel; ++i) {
    uint32_t u = load_le32(raw + 4 * i);
    memcpy(&out->data[i], &u, 4);
  }
  out->rank = h.rank;
  memcpy(out->shape, h.shape, sizeof h.shape);
  return KILN_OK;
}

int kiln_npy_read(const char *path, kiln_tensor *out, char *err,
                  size_t errlen) {
  *out = (kiln_tensor){0};
  if (err && errlen)
    err[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(err, errlen, KILN_ERR_IO, path, "cannot open: %s",
                strerror(errno));
  int rc = read_npy(f, path, out, err, errlen);
  fclose(f);
  if (rc != KILN_OK)
    kiln_tensor_free(out);
  return rc;
}

/*===-- Writing -----------------------------------------------------------===*/

// Writes the preamble and header dict, padded so the data starts on a
// 64-byte boundary like numpy does. The header of an 8-d shape is ~250 bytes,
// so version 1.0 (16-bit length) always suffices.
static int write_header(FILE *f, const int64_t *shape, int64_t rank) {
  char dict[512];
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  for (int64_t i = 0; i < rank; ++i)
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", i ? ", " : "",
                  (long long)shape[i]);
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }",
                rank == 1 ? "," : "");
  // 10 preamble bytes + dict + padding + '\n' must be a multiple of 64.
  size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
  size_t header_len = total - 10;
  memset(dict + n, ' ', header_len - (size_t)n - 1);
  dict[header_len - 1] = '\n';
  unsigned char pre[10] = {0x93,
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           (unsigned char)(header_len & 0xff),
                           (unsigned char)(header_len >> 8)};
  return fwrite(pre, 1, 10, f) == 10 &&
                 fwrite(dict, 1, header_len, f) == header_len
             ? 0
             : -1;
}

static int write_data(FILE *f, const float *data, int64_t numel) {
  unsigned char chunk[4096 * 4];
  for (int64_t i = 0; i < numel;) {
    size_t k = 0;
    for (; k < 4096 && i < numel; ++k, ++i) {
      uint32_t u;
      memcpy(&u, &data[i], 4);
      chunk[4 * k] = (unsigned char)u;
      chunk[4 * k + 1] = (unsigned char)(u >> 8);
      chunk[4 * k + 2] = (unsigned char)(u >> 16);
      chunk[4 * k + 3] = (unsigned char)(u >> 24);
    }
    if (fwrite(chunk, 4, k, f) != k)
      return -1;
  }
  return 0;
}

// Creates a fresh temporary file next to `path`. O_EXCL guarantees we never
// clobber someone else's file; mode 0666 lets the umask apply as for fopen.
static int create_temp(const char *path, char *tmp, size_t tmplen) {
  static unsigned counter;
  for (int attempt = 0; attempt < 100; ++attempt) {
    snprintf(tmp, tmplen, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

int kiln_npy_write(const char *path, const int64_t *shape, int64_t rank,
                   const float *data, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = '\0';
  int64_t numel;
  if (kiln_shape_numel(shape, rank, &numel) != 0 || numel > INT64_MAX / 4)
    return fail(err, errlen, KILN_ERR_INVALID, path,
                "invalid shape for .npy output (rank %lld)", (long long)rank);
  if (numel > 0 && !data)
    return fail(err, errlen, KILN_ERR_INVALID, path, "no data to write");

  size_t tmplen = strlen(path) + 48;
  char *tmp = malloc(tmplen);
  if (!tmp)
    return fail(err, errlen, KILN_ERR_NOMEM, path, "out of memory");
  int fd = create_temp(path, tmp, tmplen);
  if (fd < 0) {
    int rc =
        fail(err, errlen, KILN_ERR_IO, path,
             "cannot create temporary file '%s': %s", tmp, strerror(errno));
    free(tmp);
    return rc;
  }

  FILE *f = fdopen(fd, "wb");
  const char *what = "cannot write temporary file";
  int ok = f && write_header(f, shape, rank) == 0 &&
           write_data(f, data, numel) == 0 && fflush(f) == 0;
  // fsync before rename so a crash cannot leave a renamed-but-empty file.
  ok = ok && fsync(fileno(f)) == 0;
  int saved = errno;
  int closed = f ? fclose(f) == 0 : close(fd) == 0;
  if (ok && !closed) {
    saved = errno;
    ok = 0;
  }
  if (ok && rename(tmp, path) != 0) {
    saved = errno;
    ok = 0;
    what = "cannot rename temporary file into place";
  }
  int rc = KILN_OK;
  if (!ok) {
    unlink(tmp);
    rc = fail(err, errlen, KILN_ERR_IO, path, "%s: %s", what, strerror(saved));
  }
  free(tmp);
  return rc;
}
