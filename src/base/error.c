/* error.c: ts_status strings and the per-thread error message. */
#include "base/base.h"

#include <stdarg.h>
#include <string.h>

#define TS_ERR_MAX 1024

/* One buffer per thread, so worker threads never clobber the caller's message. */
static _Thread_local char ts_err_buf[TS_ERR_MAX];

const char *ts_status_str(ts_status st) {
    static const char *const names[TS_STATUS_COUNT] = {
        [TS_OK] = "ok",
        [TS_ERR_IO] = "I/O error",
        [TS_ERR_PARSE] = "parse error",
        [TS_ERR_INVALID] = "invalid argument",
        [TS_ERR_UNSUPPORTED] = "unsupported",
        [TS_ERR_NOMEM] = "out of memory",
        [TS_ERR_RANGE] = "out of range",
        [TS_ERR_DEADLOCK] = "deadlock",
        [TS_ERR_INTERNAL] = "internal error",
    };
    if ((int)st < 0 || st >= TS_STATUS_COUNT) return "unknown status";
    return names[st];
}

ts_status ts_error(ts_status st, const char *fmt, ...) {
    /* Format into a copy first: callers may pass ts_last_error() as an argument. */
    char msg[TS_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(ts_err_buf, msg, sizeof msg);
    return st;
}

void ts_error_prefix(const char *fmt, ...) {
    char prefix[TS_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    size_t plen = strlen(prefix);
    size_t mlen = strlen(ts_err_buf);
    /* Shift the message right (truncating its tail) and copy the prefix in. */
    if (plen >= TS_ERR_MAX - 1) plen = TS_ERR_MAX - 1;
    if (plen + mlen >= TS_ERR_MAX) mlen = TS_ERR_MAX - 1 - plen;
    memmove(ts_err_buf + plen, ts_err_buf, mlen);
    memcpy(ts_err_buf, prefix, plen);
    ts_err_buf[plen + mlen] = '\0';
}

const char *ts_last_error(void) { return ts_err_buf; }

void ts_clear_error(void) { ts_err_buf[0] = '\0'; }
