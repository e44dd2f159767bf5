/* pool.c: a persistent thread pool and a blocking parallel-for.
 *
 * One job at a time: ts_parallel_for() must not be called on the same pool
 * from two threads at once, nor from inside fn (a nested call would wait on
 * itself). Different pools are independent.
 *
 * A job is [0, n) cut into nearly equal chunks of at least `grain` items;
 * workers and the caller take chunk indices from an atomic counter, so a
 * slow thread does not hold up the others.
 *
 * Idle workers spin for a short while (TS_POOL_SPIN_SEC) before sleeping on
 * the condition variable: a model runs one op after another, and waking a
 * sleeping thread costs tens of microseconds on a VM, as much as a small
 * op's whole run. The caller likewise spins before waiting for stragglers. */
#include "base/base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define TS_POOL_SPIN_SEC 100e-6

static inline void ts_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct ts_pool {
    int nthreads;               /* including the caller */
    pthread_t *workers;         /* nthreads - 1 of them */
    int nstarted;
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* workers wait for a new generation */
    pthread_cond_t done;        /* the caller waits for busy == 0 */
    _Atomic uint64_t generation; /* bumped (under mu) when a job is posted */
    atomic_bool stop;
    atomic_int busy;            /* workers still inside the current job */
    /* the current job */
    ts_range_fn fn;
    void *arg;
    int64_t n, nchunks;
    atomic_llong next;
};

int ts_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Chunk c starts here. Sizes differ by at most one item, so all are >= grain
 * when nchunks <= n / grain; written without c * n, which could overflow. */
static int64_t ts_chunk_begin(const ts_pool *p, int64_t c) {
    int64_t base = p->n / p->nchunks, rem = p->n % p->nchunks;
    return c * base + TS_MIN(c, rem);
}

/* Runs chunks until none are left. */
static void ts_pool_drain(ts_pool *p) {
    for (;;) {
        int64_t c = atomic_fetch_add(&p->next, 1);
        if (c >= p->nchunks) return;
        p->fn(p->arg, ts_chunk_begin(p, c), ts_chunk_begin(p, c + 1));
    }
}

/* Spins until cond(p, x) is false or TS_POOL_SPIN_SEC pass; true if it ended early. */
static bool ts_spin_while(bool (*cond)(ts_pool *, uint64_t), ts_pool *p, uint64_t x) {
    double t0 = 0;
    for (int i = 0; cond(p, x); i++) {
        ts_cpu_relax();
        if ((i & 63) == 0) {
            double t = ts_now_sec();
            if (i == 0) t0 = t;
            else if (t - t0 > TS_POOL_SPIN_SEC) return false;
        }
    }
    return true;
}

static bool ts_no_new_job(ts_pool *p, uint64_t seen) {
    return !atomic_load(&p->stop) && atomic_load(&p->generation) == seen;
}

static bool ts_job_running(ts_pool *p, uint64_t unused) {
    (void)unused;
    return atomic_load(&p->busy) > 0;
}

static void *ts_pool_worker(void *arg) {
    ts_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        if (!ts_spin_while(ts_no_new_job, p, seen)) {
            pthread_mutex_lock(&p->mu);
            while (ts_no_new_job(p, seen)) pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) break;
        seen = atomic_load(&p->generation);
        ts_pool_drain(p);
        /* the last one out wakes the caller, under mu so the wake is not lost */
        if (atomic_fetch_sub(&p->busy, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

ts_pool *ts_pool_new(int threads) {
    if (threads <= 0) threads = ts_cpu_count();
    if (threads > TS_MAX_THREADS) {
        ts_error(TS_ERR_RANGE, "threads = %d is out of range [1, %d]", threads, TS_MAX_THREADS);
        return NULL;
    }
    ts_pool *p = ts_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nthreads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    if (threads > 1) {
        p->workers = ts_calloc((size_t)threads - 1, sizeof *p->workers);
        if (!p->workers) { ts_pool_free(p); return NULL; }
    }
    for (int i = 0; i < threads - 1; i++) {
        if (pthread_create(&p->workers[i], NULL, ts_pool_worker, p) != 0) {
            ts_error(TS_ERR_INTERNAL, "cannot start thread %d of %d", i + 1, threads);
            ts_pool_free(p);
            return NULL;
        }
        p->nstarted++;
    }
    return p;
}

void ts_pool_free(ts_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nstarted; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    ts_free(p->workers);
    ts_free(p);
}

int ts_pool_threads(const ts_pool *p) { return p ? p->nthreads : 1; }

void ts_parallel_for(ts_pool *p, int64_t n, int64_t grain, ts_range_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t nchunks = n / grain;       /* each chunk >= grain items */
    if (!p || p->nstarted == 0 || nchunks <= 1) { fn(arg, 0, n); return; }
    /* A few chunks per thread balances uneven work without tiny chunks. */
    nchunks = TS_MIN(nchunks, (int64_t)p->nthreads * 4);
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->nchunks = nchunks;
    atomic_store(&p->next, 0);
    atomic_store(&p->busy, p->nstarted);
    atomic_fetch_add(&p->generation, 1);  /* publishes the job (seq_cst) */
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    ts_pool_drain(p);
    if (ts_spin_while(ts_job_running, p, 0)) return;
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->busy) > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
