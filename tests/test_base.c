/* test_base.c: the base layer against independent references (scalar
 * rounding models, NumPy itself) and against hostile input. */
#include "harness.h"

#include "base/base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#define PY "/usr/bin/python3"

static char tmpdir[256];

/* A fresh path under a private temp directory. */
static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/tessera_test_base_XXXXXX");
        if (!mkdtemp(tmpdir)) { perror("mkdtemp"); exit(2); }
    }
    char *b = buf[k++ % 4];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static bool file_exists(const char *p) { struct stat sb; return stat(p, &sb) == 0; }

static bool have_numpy(void) {
    static int have = -1;
    if (have < 0)
        have = access(PY, X_OK) == 0 &&
               system(PY " -c 'import numpy' >/dev/null 2>&1") == 0;
    return have;
}

static void write_bytes(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    if (n) fwrite(d, 1, n, f);
    fclose(f);
}

/* ---- errors ------------------------------------------------------------- */

TEST(error_message_and_prefix) {
    CHECK(ts_error(TS_ERR_PARSE, "line %d: bad '%s'", 7, "x") == TS_ERR_PARSE);
    CHECK(strcmp(ts_last_error(), "line 7: bad 'x'") == 0);
    ts_error_prefix("%s: ", "model.onnx");
    CHECK(strcmp(ts_last_error(), "model.onnx: line 7: bad 'x'") == 0);
    ts_error(TS_ERR_PARSE, "node 'y': %s", ts_last_error());  /* wrapping itself */
    CHECK(strcmp(ts_last_error(), "node 'y': model.onnx: line 7: bad 'x'") == 0);
    ts_clear_error();
    CHECK(strcmp(ts_last_error(), "") == 0);
    /* very long messages are truncated, never overflow */
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ts_error(TS_ERR_IO, "%s", big);
    ts_error_prefix("%s", big);
    CHECK(strlen(ts_last_error()) < sizeof big);
    for (int s = 0; s < TS_STATUS_COUNT; s++) {
        CHECK(ts_status_str((ts_status)s) != NULL);
        for (int t = 0; t < s; t++)
            CHECK(strcmp(ts_status_str((ts_status)s), ts_status_str((ts_status)t)) != 0);
    }
    CHECK(strcmp(ts_status_str(TS_STATUS_COUNT), "unknown status") == 0);
}

static void *set_error_thread(void *arg) {
    (void)arg;
    ts_error(TS_ERR_IO, "from the other thread");
    return NULL;
}

TEST(error_is_thread_local) {
    ts_error(TS_ERR_PARSE, "main thread");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, set_error_thread, NULL) == 0);
    pthread_join(th, NULL);
    CHECK(strcmp(ts_last_error(), "main thread") == 0);
}

/* ---- dtypes ------------------------------------------------------------- */

TEST(dtype_table) {
    static const struct { ts_dtype t; const char *name; size_t size; } want[] = {
        {TS_F32, "float32", 4}, {TS_F16, "float16", 2}, {TS_BF16, "bfloat16", 2},
        {TS_F64, "float64", 8}, {TS_I8, "int8", 1},     {TS_U8, "uint8", 1},
        {TS_I16, "int16", 2},   {TS_U16, "uint16", 2},  {TS_I32, "int32", 4},
        {TS_U32, "uint32", 4},  {TS_I64, "int64", 8},   {TS_U64, "uint64", 8},
        {TS_BOOL, "bool", 1},   {TS_STRING, "string", 0},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(want); i++) {
        CHECK(ts_dtype_size(want[i].t) == want[i].size);
        CHECK(strcmp(ts_dtype_name(want[i].t), want[i].name) == 0);
        CHECK(ts_dtype_from_name(want[i].name) == want[i].t);
    }
    CHECK(ts_dtype_from_name("float") == TS_UNDEFINED);
    CHECK(ts_dtype_from_name(NULL) == TS_UNDEFINED);
    CHECK(ts_dtype_size(TS_UNDEFINED) == 0 && ts_dtype_size((ts_dtype)14) == 0);
    CHECK(ts_dtype_size((ts_dtype)99) == 0);
    CHECK(ts_dtype_is_float(TS_BF16) && !ts_dtype_is_float(TS_I32));
    CHECK(ts_dtype_is_int(TS_U64) && !ts_dtype_is_int(TS_BOOL) && !ts_dtype_is_int(TS_F16));
}

/* ---- half conversions vs a value-based reference ------------------------ */

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* f16 value from its fields, by the IEEE formula. */
static double ref_f16_value(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY)
                                               : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Nearest f16 by search over all finite magnitudes; Inf counts as 2^16 when
 * rounding (IEEE: round as if the exponent were unbounded). Ties -> even. */
static uint16_t ref_f32_to_f16(float f) {
    if (isnan(f)) return 0x7e00;
    double a = fabs((double)f);
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    int lo = 0, hi = 0x7c00;               /* value(hi) = 65536 */
    if (a >= 65536.0) return sign | 0x7c00;
    while (hi - lo > 1) {                  /* value(lo) <= a < value(hi) */
        int mid = (lo + hi) / 2;
        if (ref_f16_value((uint16_t)mid) <= a) lo = mid; else hi = mid;
    }
    double vlo = ref_f16_value((uint16_t)lo);
    double vhi = hi == 0x7c00 ? 65536.0 : ref_f16_value((uint16_t)hi);
    int pick = (a - vlo < vhi - a) ? lo : (a - vlo > vhi - a) ? hi : ((lo & 1) ? hi : lo);
    return (uint16_t)(sign | pick);
}

static void check_f16(float f) {
    uint16_t got = ts_f32_to_f16(f), want = ref_f32_to_f16(f);
    if (isnan(f))
        CHECK_MSG((got & 0x7c00) == 0x7c00 && (got & 0x3ff) && (got & 0x200),
                  "NaN 0x%08x -> 0x%04x is not a quiet NaN", f2u(f), got);
    else
        CHECK_MSG(got == want, "f32 0x%08x (%.9g) -> f16 0x%04x, want 0x%04x", f2u(f),
                  (double)f, got, want);
}

TEST(f16_to_f32_exhaustive) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float got = ts_f16_to_f32((uint16_t)h);
        double want = ref_f16_value((uint16_t)h);
        bool ok = isnan(want) ? isnan(got) : ((double)got == want && !signbit(got) == !signbit(want));
        if (!ok && bad++ < 5) CHECK_MSG(ok, "f16 0x%04x -> %.9g, want %.9g", h, (double)got, want);
    }
    CHECK(bad == 0);
}

TEST(f32_to_f16_rounding) {
    /* every tie point between neighbouring halves, and one f32 ulp either side */
    for (uint32_t h = 0; h < 0x7c00; h++) {
        double m = (ref_f16_value((uint16_t)h) +
                    (h + 1 == 0x7c00 ? 65536.0 : ref_f16_value((uint16_t)(h + 1)))) / 2;
        float mid = (float)m;
        CHECK((double)mid == m);               /* midpoints are exact in f32 */
        check_f16(mid);
        check_f16(-mid);
        check_f16(nextafterf(mid, 0));
        check_f16(nextafterf(mid, INFINITY));
        check_f16((float)ref_f16_value((uint16_t)h));
    }
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, 65504.0f, 65519.99f,
                                    65520.0f, 1e10f, 5.9604645e-8f, 2.9802322e-8f,
                                    4.4703484e-8f, 1e-45f, 1.17549435e-38f, 6.1035156e-5f};
    for (size_t i = 0; i < TS_ARRAY_LEN(special); i++) { check_f16(special[i]); check_f16(-special[i]); }
    check_f16(NAN);
    check_f16(u2f(0x7f800001));                 /* signalling NaN must become quiet */
    check_f16(u2f(0xffc00000));
    for (int i = 0; i < 300000; i++) {
        check_f16(u2f((uint32_t)th_rand_u64()));             /* any bit pattern */
        check_f16(th_rand_float(-70000.0f, 70000.0f));
        check_f16(ldexpf(th_rand_float(-1, 1), th_rand_int(-30, 0)));
    }
}

/* bf16 by value: the two candidates are the truncation and the next value away
 * from zero (whose value is 2^128 when it is Inf); nearest wins, ties to even. */
static uint16_t ref_f32_to_bf16(float f) {
    if (isnan(f)) return 0x7fc0;
    uint32_t x = f2u(f), lo = x & 0xffff0000u, hi = lo + 0x10000u;
    double a = fabs((double)f), vlo = fabs((double)u2f(lo));
    double vhi = (hi & 0x7fffffffu) == 0x7f800000u ? ldexp(1, 128) : fabs((double)u2f(hi));
    if (isinf(f)) return (uint16_t)(x >> 16);
    if (a - vlo < vhi - a) return (uint16_t)(lo >> 16);
    if (a - vlo > vhi - a) return (uint16_t)(hi >> 16);
    return (uint16_t)(((lo >> 16) & 1) ? hi >> 16 : lo >> 16);
}

static void check_bf16(float f) {
    uint16_t got = ts_f32_to_bf16(f);
    if (isnan(f)) {
        CHECK_MSG((got & 0x7f80) == 0x7f80 && (got & 0x40), "NaN 0x%08x -> 0x%04x", f2u(f), got);
        CHECK(!(got & 0x8000) == !signbit(f));
        return;
    }
    uint16_t want = ref_f32_to_bf16(f);
    CHECK_MSG(got == want, "f32 0x%08x (%.9g) -> bf16 0x%04x, want 0x%04x", f2u(f), (double)f,
              got, want);
}

TEST(bf16_conversions) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {   /* widening is exact */
        int e = (h >> 7) & 0xff, m = h & 0x7f;
        double want = e == 0 ? ldexp(m, -133) : e == 255 ? (m ? NAN : INFINITY)
                                                        : ldexp(128 + m, e - 134);
        if (h & 0x8000) want = -want;
        float got = ts_bf16_to_f32((uint16_t)h);
        bool ok = isnan(want) ? isnan(got) : (double)got == want && !signbit(got) == !signbit(want);
        if (!ok && bad++ < 5) CHECK_MSG(ok, "bf16 0x%04x -> %.9g", h, (double)got);
    }
    CHECK(bad == 0);
    for (uint32_t h = 0; h < 0xffff; h++) {  /* ties and their neighbours */
        uint32_t mid = (h << 16) | 0x8000u;
        check_bf16(u2f(mid));
        check_bf16(u2f(mid - 1));
        check_bf16(u2f(mid + 1));
    }
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 3.4028235e38f,
                                    1e-45f, 1.17549435e-38f};
    for (size_t i = 0; i < TS_ARRAY_LEN(special); i++) check_bf16(special[i]);
    check_bf16(u2f(0x7f800001));
    check_bf16(u2f(0xff800001));
    check_bf16(u2f(0x7f7fffff));             /* rounds up to Inf */
    for (int i = 0; i < 300000; i++) {
        check_bf16(u2f((uint32_t)th_rand_u64()));
        check_bf16(th_rand_float(-10.0f, 10.0f));
    }
}

/* ---- tensors ------------------------------------------------------------ */

TEST(tensor_basics) {
    ts_tensor *t = ts_tensor_new(TS_F32, 2, (int64_t[]){3, 5});
    CHECK(t && t->owns_data && t->rank == 2 && ts_tensor_numel(t) == 15);
    CHECK(ts_tensor_nbytes(t) == 60);
    CHECK(((uintptr_t)t->data & 63) == 0);
    for (int i = 0; i < 15; i++) CHECK(((float *)t->data)[i] == 0.0f);
    for (int i = 0; i < 15; i++) ts_tensor_set(t, i, i * 0.5);
    ts_tensor *c = ts_tensor_clone(t);
    CHECK(c && c->data != t->data && memcmp(c->data, t->data, 60) == 0);
    CHECK(ts_tensor_get(c, 7) == 3.5);
    ts_tensor_free(c);
    ts_tensor_free(t);

    ts_tensor *s = ts_tensor_new(TS_I64, 0, NULL);        /* scalar */
    CHECK(s && ts_tensor_numel(s) == 1 && ts_tensor_nbytes(s) == 8);
    ts_tensor_free(s);
    ts_tensor *z = ts_tensor_new(TS_F16, 3, (int64_t[]){4, 0, 2});  /* empty is valid */
    CHECK(z && ts_tensor_numel(z) == 0 && ts_tensor_nbytes(z) == 0 && z->data);
    ts_tensor *zc = ts_tensor_clone(z);
    CHECK(zc && ts_tensor_numel(zc) == 0);
    ts_tensor_free(zc);
    ts_tensor_free(z);

    CHECK(ts_tensor_new(TS_F32, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}) == NULL);
    CHECK(strstr(ts_last_error(), "rank"));
    CHECK(ts_tensor_new(TS_F32, 2, (int64_t[]){3, -1}) == NULL);
    CHECK(strstr(ts_last_error(), "[3,-1]"));
    CHECK(ts_tensor_new(TS_STRING, 1, (int64_t[]){3}) == NULL);
    CHECK(ts_tensor_new(TS_F32, 2, (int64_t[]){INT64_MAX / 2, 3}) == NULL);

    float buf[6] = {1, 2, 3, 4, 5, 6};
    ts_tensor *w = ts_tensor_wrap(TS_F32, 2, (int64_t[]){2, 3}, buf);
    CHECK(w && !w->owns_data && w->data == buf && ts_tensor_get(w, 5) == 6.0);
    ts_tensor_free(w);                                    /* buf untouched */
    CHECK(buf[5] == 6.0f);
}

TEST(shape_numel_and_str) {
    CHECK(ts_shape_numel(0, NULL) == 1);
    CHECK(ts_shape_numel(3, (int64_t[]){2, 3, 4}) == 24);
    CHECK(ts_shape_numel(2, (int64_t[]){0, 5}) == 0);
    CHECK(ts_shape_numel(2, (int64_t[]){0, -5}) == -1);
    CHECK(ts_shape_numel(2, (int64_t[]){1LL << 32, 1LL << 31}) == -1);
    CHECK(ts_shape_numel(2, (int64_t[]){1LL << 31, 1LL << 31}) == 1LL << 62);
    CHECK(ts_shape_numel(3, (int64_t[]){INT64_MAX, 1, 2}) == -1);
    char b[64];
    CHECK(strcmp(ts_shape_str(4, (int64_t[]){1, 3, 224, 224}, b, sizeof b), "[1,3,224,224]") == 0);
    CHECK(strcmp(ts_shape_str(0, NULL, b, sizeof b), "[]") == 0);
    char small[6];
    ts_shape_str(4, (int64_t[]){1, 3, 224, 224}, small, sizeof small);
    CHECK(strlen(small) == 5 && strncmp(small, "[1,3,", 5) == 0);
}

TEST(tensor_get_set_saturates) {
    static const ts_dtype all[] = {TS_F32, TS_F16, TS_BF16, TS_F64, TS_I8, TS_U8, TS_I16,
                                   TS_U16, TS_I32, TS_U32, TS_I64, TS_U64, TS_BOOL};
    for (size_t d = 0; d < TS_ARRAY_LEN(all); d++) {
        ts_tensor *t = ts_tensor_new(all[d], 1, (int64_t[]){4});
        ts_tensor_set(t, 0, 3.0);
        CHECK(ts_tensor_get(t, 0) == (all[d] == TS_BOOL ? 1.0 : 3.0));
        ts_tensor_set(t, 1, 1e300);                     /* no UB on out-of-range */
        ts_tensor_set(t, 2, -1e300);
        ts_tensor_set(t, 3, NAN);
        ts_tensor_free(t);
    }
    ts_tensor *t = ts_tensor_new(TS_I8, 1, (int64_t[]){2});
    ts_tensor_set(t, 0, 300);
    ts_tensor_set(t, 1, -300);
    CHECK(ts_tensor_get(t, 0) == 127 && ts_tensor_get(t, 1) == -128);
    ts_tensor_free(t);
}

/* ---- allocation fault injection ----------------------------------------- */

TEST(alloc_fault_injection) {
    for (long k = 0; k < 2; k++) {                      /* header, then data */
        ts_alloc_fail_after(k);
        ts_clear_error();
        ts_tensor *t = ts_tensor_new(TS_F32, 2, (int64_t[]){8, 8});
        ts_alloc_fail_after(-1);
        CHECK_MSG(t == NULL, "allocation %ld should have failed", k);
        CHECK(strstr(ts_last_error(), "out of memory"));
        ts_tensor_free(t);
    }
    ts_alloc_fail_after(2);
    ts_tensor *t = ts_tensor_new(TS_F32, 2, (int64_t[]){8, 8});
    ts_alloc_fail_after(-1);
    CHECK(t != NULL);
    /* the first two allocations succeed, the third fails, then all succeed */
    ts_alloc_fail_after(2);
    void *a = ts_malloc(8), *b = ts_calloc(2, 8), *c = ts_malloc(8), *d = ts_malloc(8);
    CHECK(a && b && !c && d);
    ts_free(a); ts_free(b); ts_free(d);
    CHECK(ts_calloc(SIZE_MAX / 2, 4) == NULL);          /* overflowing count */
    CHECK(ts_aligned_alloc(3, 8) == NULL);
    /* every failure point of an npy read cleans up (ASan reports leaks) */
    const char *p = tmp_path("fault.npy");
    CHECK(ts_npy_write(p, t) == TS_OK);
    ts_tensor_free(t);
    int ok_at = -1;
    for (long k = 0; k < 20 && ok_at < 0; k++) {
        ts_tensor *r = (ts_tensor *)1;
        ts_alloc_fail_after(k);
        ts_status st = ts_npy_read(p, &r);
        ts_alloc_fail_after(-1);
        if (st == TS_OK) { ok_at = (int)k; ts_tensor_free(r); break; }
        CHECK(st == TS_ERR_NOMEM && r == NULL);
        CHECK(strstr(ts_last_error(), p));
    }
    CHECK(ok_at > 0);
    for (long k = 0; k < 3; k++) {
        ts_alloc_fail_after(k);
        ts_pool *pool = ts_pool_new(3);
        ts_alloc_fail_after(-1);
        ts_pool_free(pool);
    }
    float one = 1;
    ts_tensor *w = ts_tensor_wrap(TS_F32, 0, NULL, &one);
    ts_alloc_fail_after(0);                              /* write's temp name */
    CHECK(ts_npy_write(tmp_path("nomem.npy"), w) == TS_ERR_NOMEM);
    ts_alloc_fail_after(-1);
    CHECK(!file_exists(tmp_path("nomem.npy")));
    ts_tensor_free(w);
}

/* ---- .npy ----------------------------------------------------------------- */

static const ts_dtype npy_types[] = {TS_F32, TS_F16, TS_F64, TS_I8, TS_U8, TS_I16,
                                     TS_U16, TS_I32, TS_U32, TS_I64, TS_U64, TS_BOOL};

static ts_tensor *random_tensor(ts_dtype dt) {
    int64_t dims[TS_MAX_RANK];
    int rank = th_rand_int(0, 5);
    for (int i = 0; i < rank; i++) dims[i] = th_rand_int(0, 10) == 0 ? 0 : th_rand_int(1, 7);
    ts_tensor *t = ts_tensor_new(dt, rank, dims);
    uint8_t *b = t->data;
    for (size_t i = 0; i < ts_tensor_nbytes(t); i++) b[i] = (uint8_t)th_rand_u64();
    if (dt == TS_BOOL)
        for (size_t i = 0; i < ts_tensor_nbytes(t); i++) b[i] &= 1;
    if (dt == TS_F32 || dt == TS_F64 || dt == TS_F16)   /* keep sums finite for numpy */
        for (int64_t i = 0; i < ts_tensor_numel(t); i++)
            ts_tensor_set(t, i, th_rand_float(-100, 100));
    return t;
}

static bool same_tensor(const ts_tensor *a, const ts_tensor *b) {
    return a->dtype == b->dtype && a->rank == b->rank &&
           memcmp(a->dims, b->dims, (size_t)a->rank * 8) == 0 &&
           ts_tensor_nbytes(a) == ts_tensor_nbytes(b) &&
           memcmp(a->data, b->data, ts_tensor_nbytes(a)) == 0;
}

TEST(npy_round_trip) {
    const char *p = tmp_path("rt.npy");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    for (int iter = 0; iter < 20; iter++) {
        for (size_t d = 0; d < TS_ARRAY_LEN(npy_types); d++) {
            ts_tensor *t = random_tensor(npy_types[d]), *r = NULL;
            CHECK(ts_npy_write(p, t) == TS_OK);
            CHECK(!file_exists(tmp));
            struct stat sb;
            CHECK(stat(p, &sb) == 0 && (size_t)sb.st_size >= ts_tensor_nbytes(t) &&
                  ((size_t)sb.st_size - ts_tensor_nbytes(t)) % 64 == 0);
            CHECK_MSG(ts_npy_read(p, &r) == TS_OK, "%s", ts_last_error());
            CHECK(r && same_tensor(t, r));
            ts_tensor_free(r);
            ts_tensor_free(t);
        }
    }
}

TEST(npy_write_errors) {
    ts_tensor *t = ts_tensor_new(TS_BF16, 1, (int64_t[]){2});
    const char *p = tmp_path("bf16.npy");
    CHECK(ts_npy_write(p, t) == TS_ERR_UNSUPPORTED);
    CHECK(strstr(ts_last_error(), p) && strstr(ts_last_error(), "bfloat16"));
    CHECK(!file_exists(p));
    ts_tensor_free(t);
    t = ts_tensor_new(TS_F32, 1, (int64_t[]){2});
    const char *q = tmp_path("no/such/dir/x.npy");
    CHECK(ts_npy_write(q, t) == TS_ERR_IO && strstr(ts_last_error(), "x.npy"));
    ts_tensor_free(t);
    ts_tensor *r = (ts_tensor *)1;
    CHECK(ts_npy_read(tmp_path("missing.npy"), &r) == TS_ERR_IO && r == NULL);
    CHECK(strstr(ts_last_error(), "missing.npy"));
}

/* Writes a hand-made v1 .npy with the given header dict and data bytes. */
static void write_npy_raw(const char *path, const char *dict, const void *data, size_t n) {
    uint8_t buf[1024];
    size_t hl = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)(hl + 1);
    buf[9] = 0;
    memcpy(buf + 10, dict, hl);
    buf[10 + hl] = '\n';
    memcpy(buf + 11 + hl, data, n);
    write_bytes(path, buf, 11 + hl + n);
}

static ts_status read_status(const char *p) {
    ts_tensor *r = (ts_tensor *)1;
    ts_status st = ts_npy_read(p, &r);
    if (st == TS_OK) ts_tensor_free(r); else CHECK(r == NULL);
    return st;
}

TEST(npy_rejects_bad_headers) {
    const char *p = tmp_path("bad.npy");
    float d[4] = {1, 2, 3, 4};
    static const struct { const char *dict; ts_status st; const char *msg; } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", TS_OK, ""},
        {"{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(4,)}", TS_OK, ""},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", TS_ERR_UNSUPPORTED, "Fortran"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", TS_ERR_UNSUPPORTED, "big-endian"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", TS_ERR_UNSUPPORTED, "<c8"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", TS_ERR_PARSE, "truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", TS_ERR_PARSE, "dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", TS_ERR_UNSUPPORTED, "rank"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", TS_ERR_PARSE, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", TS_ERR_PARSE, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 2), }", TS_ERR_PARSE, "shape"},
        {"{'descr': '<f4', 'shape': (4,), }", TS_ERR_PARSE, "missing"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (4,), }", TS_ERR_PARSE, "fortran_order"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", TS_ERR_PARSE, "'x'"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (4,)}", TS_ERR_PARSE, "header"},
        {"['descr']", TS_ERR_PARSE, "'{'"},
        {"", TS_ERR_PARSE, "header"},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(cases); i++) {
        write_npy_raw(p, cases[i].dict, d, sizeof d);
        ts_status st = read_status(p);
        CHECK_MSG(st == cases[i].st, "case %zu: got %s (%s)", i, ts_status_str(st), ts_last_error());
        if (st != TS_OK)
            CHECK_MSG(strstr(ts_last_error(), p) && strstr(ts_last_error(), cases[i].msg),
                      "case %zu: message '%s'", i, ts_last_error());
    }
    write_bytes(p, "\x93NUMPY\x09\x00\x10\x00", 10);
    CHECK(read_status(p) == TS_ERR_UNSUPPORTED && strstr(ts_last_error(), "version"));
    write_bytes(p, "\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
    CHECK(read_status(p) == TS_ERR_PARSE);
    write_bytes(p, "PK\x03\x04", 4);
    CHECK(read_status(p) == TS_ERR_PARSE && strstr(ts_last_error(), "magic"));
}

TEST(npy_garbage_never_crashes) {
    const char *p = tmp_path("good.npy"), *g = tmp_path("garbage.npy");
    ts_tensor *t = ts_tensor_new(TS_I16, 2, (int64_t[]){5, 3});
    CHECK(ts_npy_write(p, t) == TS_OK);
    uint8_t *bytes;
    size_t n;
    CHECK(ts_read_file(p, &bytes, &n) == TS_OK);
    for (size_t cut = 0; cut < n; cut++) {       /* every truncation fails */
        write_bytes(g, bytes, cut);
        CHECK_MSG(read_status(g) != TS_OK, "truncated to %zu of %zu bytes read fine", cut, n);
    }
    uint8_t *mut = malloc(n);
    for (int iter = 0; iter < 3000; iter++) {   /* random header corruption */
        memcpy(mut, bytes, n);
        int flips = th_rand_int(1, 4);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)th_rand_int(0, 127);
            mut[at] = th_rand_int(0, 1) ? (uint8_t)th_rand_u64() : (uint8_t)"(),:'0123456789"[th_rand_int(0, 14)];
        }
        write_bytes(g, mut, n);
        read_status(g);
    }
    for (int iter = 0; iter < 500; iter++) {     /* pure noise, with and without magic */
        size_t len = (size_t)th_rand_int(0, 300);
        for (size_t i = 0; i < len && i < n; i++) mut[i] = (uint8_t)th_rand_u64();
        if (iter & 1 && len >= 10) memcpy(mut, "\x93NUMPY\x01\x00", 8);
        write_bytes(g, mut, TS_MIN(len, n));
        read_status(g);
    }
    free(mut);
    ts_free(bytes);
    ts_tensor_free(t);
}

/* ---- .npy against NumPy itself ------------------------------------------ */

static const char *np_name(ts_dtype t) { return t == TS_BOOL ? "bool_" : ts_dtype_name(t); }

TEST(npy_numpy_writes_we_read) {
    if (!have_numpy()) { printf("  (no numpy: skipped)\n"); return; }
    /* value i of each file is (i * 37 + 5) % 101 - 50 (mod 2 for bool) */
    for (size_t d = 0; d < TS_ARRAY_LEN(npy_types); d++) {
        for (int version = 1; version <= 3; version++) {
            ts_dtype dt = npy_types[d];
            int64_t dims[3] = {th_rand_int(1, 6), th_rand_int(0, 5), th_rand_int(1, 4)};
            const char *p = tmp_path("np.npy");
            char cmd[1024];
            snprintf(cmd, sizeof cmd,
                     PY " -c \"import numpy as np; from numpy.lib import format as F; "
                     "n=%lld; v=(np.arange(n)*37+5)%%101-50; "
                     "a=(v%%2!=0) if '%s'=='bool_' else v.astype(np.%s); "
                     "F.write_array(open('%s','wb'), a.reshape(%lld,%lld,%lld), version=(%d,0))\"",
                     (long long)(dims[0] * dims[1] * dims[2]), np_name(dt), np_name(dt), p,
                     (long long)dims[0], (long long)dims[1], (long long)dims[2], version);
            CHECK_MSG(system(cmd) == 0, "%s", cmd);
            ts_tensor *t = NULL;
            ts_status st = ts_npy_read(p, &t);
            CHECK_MSG(st == TS_OK, "%s v%d: %s", ts_dtype_name(dt), version, ts_last_error());
            if (st) continue;
            CHECK(t->dtype == dt && t->rank == 3 && memcmp(t->dims, dims, sizeof dims) == 0);
            for (int64_t i = 0; i < ts_tensor_numel(t); i++) {
                int64_t v = (i * 37 + 5) % 101 - 50;
                double want = dt == TS_BOOL ? (v % 2 != 0) : (double)v;
                if (dt == TS_U8) want = (uint8_t)v;
                if (dt == TS_U16) want = (uint16_t)v;
                if (dt == TS_U32) want = (uint32_t)v;
                if (dt == TS_U64) want = (double)(uint64_t)v;
                CHECK_MSG(ts_tensor_get(t, i) == want, "%s[%lld] = %g, want %g",
                          ts_dtype_name(dt), (long long)i, ts_tensor_get(t, i), want);
            }
            ts_tensor_free(t);
        }
    }
    /* numpy's Fortran-order and big-endian files are refused by name */
    const char *p = tmp_path("np_f.npy");
    char cmd[512];
    snprintf(cmd, sizeof cmd, PY " -c \"import numpy as np; np.save('%s', "
             "np.asfortranarray(np.ones((3,4),np.float32)))\"", p);
    CHECK(system(cmd) == 0);
    CHECK(read_status(p) == TS_ERR_UNSUPPORTED && strstr(ts_last_error(), p));
    snprintf(cmd, sizeof cmd, PY " -c \"import numpy as np; np.save('%s', "
             "np.ones((3,4),'>f4'))\"", p);
    CHECK(system(cmd) == 0);
    CHECK(read_status(p) == TS_ERR_UNSUPPORTED && strstr(ts_last_error(), "big-endian"));
}

TEST(npy_we_write_numpy_reads) {
    if (!have_numpy()) { printf("  (no numpy: skipped)\n"); return; }
    for (size_t d = 0; d < TS_ARRAY_LEN(npy_types); d++) {
        ts_dtype dt = npy_types[d];
        ts_tensor *t = random_tensor(dt);
        const char *p = tmp_path("ours.npy");
        CHECK(ts_npy_write(p, t) == TS_OK);
        double sum = 0;
        for (int64_t i = 0; i < ts_tensor_numel(t); i++) sum += ts_tensor_get(t, i);
        char cmd[512], line[256] = "";
        snprintf(cmd, sizeof cmd,
                 PY " -c \"import numpy as np; a=np.load('%s'); "
                 "print(a.dtype.name, list(a.shape), repr(float(a.astype(np.float64).sum())))\"", p);
        FILE *f = popen(cmd, "r");
        CHECK(f && fgets(line, sizeof line, f));
        if (f) CHECK(pclose(f) == 0);
        char name[32] = "", shape[128] = "";
        double got = NAN;
        /* e.g. "float32 [3, 4] 12.5" */
        char *lb = strchr(line, '['), *rb = strchr(line, ']');
        CHECK(lb && rb && sscanf(line, "%31s", name) == 1);
        if (!lb || !rb) { ts_tensor_free(t); continue; }
        memcpy(shape, lb, (size_t)(rb - lb + 1));
        got = strtod(rb + 1, NULL);
        char want_shape[128] = "[";
        for (int i = 0; i < t->rank; i++)
            snprintf(want_shape + strlen(want_shape), sizeof want_shape - strlen(want_shape),
                     "%s%lld", i ? ", " : "", (long long)t->dims[i]);
        strcat(want_shape, "]");
        CHECK_MSG(strcmp(name, dt == TS_BOOL ? "bool" : ts_dtype_name(dt)) == 0, "%s", line);
        CHECK_MSG(strcmp(shape, want_shape) == 0, "%s vs %s", shape, want_shape);
        CHECK_NEAR(got, sum, 1e-9 * (1 + fabs(sum)));
        ts_tensor_free(t);
    }
}

/* ---- JSON --------------------------------------------------------------- */

static char *json_capture(bool pretty, void (*emit)(ts_json *)) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ts_json j;
    ts_json_init(&j, f, pretty);
    emit(&j);
    fclose(f);
    return buf;
}

static void emit_doc(ts_json *j) {
    ts_json_begin_obj(j);
    ts_json_key(j, "name");
    ts_json_str(j, "a\"b\\c\n\t\x01\x1f/é");
    ts_json_key(j, "cycles");
    ts_json_int(j, -42);
    ts_json_key(j, "vals");
    ts_json_begin_arr(j);
    ts_json_num(j, 0.1);
    ts_json_num(j, INFINITY);
    ts_json_num(j, NAN);
    ts_json_num(j, 1e300);
    ts_json_bool(j, true);
    ts_json_null(j);
    ts_json_end_arr(j);
    ts_json_key(j, "empty");
    ts_json_begin_obj(j);
    ts_json_end_obj(j);
    ts_json_key(j, "e\"k");
    ts_json_begin_arr(j);
    ts_json_end_arr(j);
    ts_json_end_obj(j);
}

TEST(json_exact_output) {
    char *s = json_capture(false, emit_doc);
    const char *want =
        "{\"name\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/é\",\"cycles\":-42,"
        "\"vals\":[0.1,null,null,1e+300,true,null],\"empty\":{},\"e\\\"k\":[]}";
    CHECK_MSG(strcmp(s, want) == 0, "\n got %s\nwant %s", s, want);
    free(s);
    s = json_capture(true, emit_doc);
    const char *pretty =
        "{\n  \"name\": \"a\\\"b\\\\c\\n\\t\\u0001\\u001f/é\",\n  \"cycles\": -42,\n"
        "  \"vals\": [\n    0.1,\n    null,\n    null,\n    1e+300,\n    true,\n    null\n  ],\n"
        "  \"empty\": {},\n  \"e\\\"k\": []\n}";
    CHECK_MSG(strcmp(s, pretty) == 0, "\n got %s\nwant %s", s, pretty);
    free(s);
}

static void emit_numbers(ts_json *j) {
    ts_json_begin_arr(j);
    for (int i = 0; i < 1000; i++) {
        uint64_t u = th_rand_u64();
        double v;
        memcpy(&v, &u, 8);
        ts_json_num(j, isfinite(v) ? v : (double)i / 7);
    }
    ts_json_end_arr(j);
}

TEST(json_numbers_read_back_exactly) {
    uint64_t seed = th_rng_state;
    char *s = json_capture(false, emit_numbers);
    th_rng_state = seed;                          /* replay the same numbers */
    char *p = s + 1;
    for (int i = 0; i < 1000; i++) {
        uint64_t u = th_rand_u64();
        double v;
        memcpy(&v, &u, 8);
        if (!isfinite(v)) v = (double)i / 7;
        char *end;
        double got = strtod(p, &end);
        CHECK_MSG(memcmp(&got, &v, 8) == 0 || (got == 0 && v == 0), "%.17g vs %.17g", got, v);
        p = end + 1;
    }
    free(s);
}

/* ---- parallel for ------------------------------------------------------- */

typedef struct {
    atomic_int *hits;
    int64_t grain, n;
    atomic_int bad_chunks, calls;
} cover_ctx;

static void cover_fn(void *arg, int64_t b, int64_t e) {
    cover_ctx *c = arg;
    atomic_fetch_add(&c->calls, 1);
    if (b >= e || b < 0 || e > c->n || (e - b < c->grain && !(b == 0 && e == c->n)))
        atomic_fetch_add(&c->bad_chunks, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&c->hits[i], 1);
}

TEST(parallel_for_covers_once) {
    static const int threads[] = {0, 1, 2, 3, 4, 8};
    for (size_t ti = 0; ti < TS_ARRAY_LEN(threads); ti++) {
        ts_pool *p = ts_pool_new(threads[ti]);
        CHECK(p && ts_pool_threads(p) == (threads[ti] ? threads[ti] : ts_cpu_count()));
        for (int iter = 0; iter < 150; iter++) {
            int64_t n = th_rand_int(0, 3) == 0 ? th_rand_int(0, 10) : th_rand_int(0, 5000);
            int64_t grain = th_rand_int(0, 4) == 0 ? th_rand_int(-2, 1) : th_rand_int(1, 700);
            cover_ctx c = {.grain = grain < 1 ? 1 : grain, .n = n};
            c.hits = calloc((size_t)n + 1, sizeof *c.hits);
            ts_parallel_for(p, n, grain, cover_fn, &c);
            int bad = 0;
            for (int64_t i = 0; i < n; i++) bad += atomic_load(&c.hits[i]) != 1;
            CHECK_MSG(bad == 0, "threads %d n %lld grain %lld: %d indices not hit once",
                      threads[ti], (long long)n, (long long)grain, bad);
            CHECK(atomic_load(&c.bad_chunks) == 0);
            if (n <= c.grain) CHECK(atomic_load(&c.calls) == (n > 0));
            free(c.hits);
        }
        ts_pool_free(p);
    }
    ts_pool_free(NULL);
    CHECK(ts_cpu_count() >= 1);
}

static void tid_fn(void *arg, int64_t b, int64_t e) {
    (void)b; (void)e;
    pthread_t *caller = arg;
    CHECK(pthread_equal(*caller, pthread_self()));
}

TEST(parallel_for_inline_when_small) {
    ts_pool *p = ts_pool_new(4);
    pthread_t self = pthread_self();
    ts_parallel_for(p, 100, 100, tid_fn, &self);   /* one chunk: caller's thread */
    ts_pool_free(p);
    p = ts_pool_new(1);
    ts_parallel_for(p, 100000, 1, tid_fn, &self);  /* one thread: inline */
    ts_pool_free(p);
}

/* ---- misc --------------------------------------------------------------- */

TEST(read_file_and_clock) {
    const char *p = tmp_path("text.txt");
    write_bytes(p, "hello\0world", 11);
    uint8_t *d;
    size_t n;
    CHECK(ts_read_file(p, &d, &n) == TS_OK && n == 11 && memcmp(d, "hello\0world", 11) == 0);
    CHECK(d[11] == 0);
    ts_free(d);
    write_bytes(p, "", 0);
    CHECK(ts_read_file(p, &d, &n) == TS_OK && n == 0);
    ts_free(d);
    CHECK(ts_read_file(tmp_path("nope.txt"), &d, &n) == TS_ERR_IO && d == NULL);
    CHECK(strstr(ts_last_error(), "nope.txt"));
    CHECK(ts_read_file(tmpdir, &d, &n) == TS_ERR_IO && strstr(ts_last_error(), tmpdir));
    double t0 = ts_now_sec(), t1 = ts_now_sec();
    CHECK(t0 > 0 && t1 >= t0);
}

TEST(zz_cleanup_tmpdir) {
    if (!tmpdir[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
}

TEST_MAIN()
