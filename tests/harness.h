/*
 * A tiny test harness. One test file = one program:
 *
 *   #include "harness.h"
 *   TEST(adds) { CHECK(1 + 1 == 2); CHECK_NEAR(0.1 + 0.2, 0.3, 1e-12); }
 *   TEST_MAIN()
 *
 * Each TEST registers itself (constructor attribute); TEST_MAIN runs them all,
 * or only those whose name contains argv[1], and ends with the line
 * 'N passed, N failed' that scripts/run-tests.sh adds up. Random data comes
 * from th_rand*() seeded from the clock (or TESSERA_SEED); the seed is
 * printed so a failure can be replayed.
 */
#ifndef TESSERA_TEST_HARNESS_H
#define TESSERA_TEST_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*th_fn)(void);
typedef struct { const char *name; th_fn fn; } th_case;

static th_case th_cases[1024];
static int th_ncases;
static int th_failed_checks;
static uint64_t th_rng_state;

/* the parameter is not called `name`: it would replace the field `.name` */
#define TEST(tname)                                                       \
    static void test_##tname(void);                                       \
    __attribute__((constructor)) static void th_reg_##tname(void) {       \
        th_cases[th_ncases].name = #tname;                                \
        th_cases[th_ncases++].fn = test_##tname;                          \
    }                                                                     \
    static void test_##tname(void)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,      \
                    __LINE__, #cond);                                     \
            th_failed_checks++;                                           \
        }                                                                 \
    } while (0)

#define CHECK_MSG(cond, ...)                                              \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed: ", __FILE__,      \
                    __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
            th_failed_checks++;                                           \
        }                                                                 \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                             \
    do {                                                                  \
        double th_a = (a), th_b = (b);                                    \
        if (!(fabs(th_a - th_b) <= (tol))) {                              \
            fprintf(stderr, "  %s:%d: %s = %.9g, %s = %.9g, |diff| > %g\n", \
                    __FILE__, __LINE__, #a, th_a, #b, th_b, (double)(tol)); \
            th_failed_checks++;                                           \
        }                                                                 \
    } while (0)

/* xorshift64*: fast, good enough for test data */
static inline uint64_t th_rand_u64(void) {
    th_rng_state ^= th_rng_state >> 12;
    th_rng_state ^= th_rng_state << 25;
    th_rng_state ^= th_rng_state >> 27;
    return th_rng_state * 2685821657736338717ULL;
}
static inline int th_rand_int(int lo, int hi) { /* inclusive */
    return lo + (int)(th_rand_u64() % (uint64_t)(hi - lo + 1));
}
static inline float th_rand_float(float lo, float hi) {
    return lo + (hi - lo) * (float)((th_rand_u64() >> 40) / 16777216.0);
}

#define TEST_MAIN()                                                       \
    int main(int argc, char **argv) {                                     \
        const char *s = getenv("TESSERA_SEED");                           \
        th_rng_state = s ? strtoull(s, NULL, 0)                           \
                         : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32); \
        if (!th_rng_state) th_rng_state = 1;                              \
        printf("seed %llu (set TESSERA_SEED to replay)\n",                \
               (unsigned long long)th_rng_state);                         \
        int passed = 0, failed = 0;                                       \
        for (int i = 0; i < th_ncases; i++) {                             \
            if (argc > 1 && !strstr(th_cases[i].name, argv[1])) continue; \
            int before = th_failed_checks;                                \
            th_cases[i].fn();                                             \
            if (th_failed_checks == before) { passed++; }                 \
            else { failed++; printf("FAIL %s\n", th_cases[i].name); }     \
        }                                                                 \
        printf("%d passed, %d failed\n", passed, failed);                 \
        return failed ? 1 : 0;                                            \
    }

#endif
