/* alloc.c: the one allocation hook, with fault injection for tests. */
#include "base/base.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Allocations left before one fails; negative = never fail. Atomic because
 * worker threads allocate too. */
static atomic_long ts_fail_countdown = -1;

void ts_alloc_fail_after(long n) { atomic_store(&ts_fail_countdown, n < 0 ? -1 : n); }

/* True when fault injection says this allocation must fail. */
static bool ts_alloc_should_fail(void) {
    long cur = atomic_load(&ts_fail_countdown);
    while (cur >= 0) {
        long next = cur == 0 ? -1 : cur - 1;
        if (atomic_compare_exchange_weak(&ts_fail_countdown, &cur, next))
            return cur == 0;
    }
    return false;
}

static void *ts_nomem(size_t n) {
    ts_error(TS_ERR_NOMEM, "out of memory allocating %zu bytes", n);
    return NULL;
}

/* No request this large can be met (2^40 bytes, 1 TiB): it comes from an
 * absurd shape in user input. Refused here, not by the allocator, so that
 * every build fails it the same way (ASan aborts on such sizes instead of
 * returning NULL). */
#define TS_ALLOC_MAX ((size_t)1 << 40)
static bool ts_alloc_refused(size_t n) { return n >= TS_ALLOC_MAX || ts_alloc_should_fail(); }

void *ts_malloc(size_t n) {
    if (ts_alloc_refused(n)) return ts_nomem(n);
    void *p = malloc(n ? n : 1);
    return p ? p : ts_nomem(n);
}

void *ts_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return ts_nomem(SIZE_MAX);
    if (ts_alloc_refused(count * size)) return ts_nomem(count * size);
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : ts_nomem(count * size);
}

void *ts_realloc(void *p, size_t n) {
    if (ts_alloc_refused(n)) return ts_nomem(n);
    void *q = realloc(p, n ? n : 1);
    return q ? q : ts_nomem(n);
}

void ts_free(void *p) { free(p); }

char *ts_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = ts_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void *ts_aligned_alloc(size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1))) {
        ts_error(TS_ERR_INVALID, "alignment %zu is not a power of two >= %zu",
                 align, sizeof(void *));
        return NULL;
    }
    if (ts_alloc_refused(n)) return ts_nomem(n);
    void *p = NULL;
    if (posix_memalign(&p, align, n ? n : 1) != 0) return ts_nomem(n);
    return p;
}

void ts_aligned_free(void *p) { free(p); }
