/* file.c: clocks and whole-file reads. */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double ts_now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

FILE *ts_open_regular(const char *path) {
    if (!path[0]) { ts_error(TS_ERR_IO, "'': empty file name"); return NULL; }   /* ": cannot open" names nothing */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { ts_error(TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        ts_error(TS_ERR_IO, "%s: not a regular file", path);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        ts_error(TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

ts_status ts_read_file(const char *path, uint8_t **data, size_t *len) {
    *data = NULL;
    *len = 0;
    FILE *f = ts_open_regular(path);
    if (!f) return TS_ERR_IO;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return ts_error(TS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = ts_malloc(n + 1);   /* +1: callers may NUL-terminate text */
    if (!buf) { fclose(f); ts_error_prefix("%s: ", path); return TS_ERR_NOMEM; }
    size_t got = fread(buf, 1, n, f);
    bool bad = ferror(f) || got != n;
    fclose(f);
    if (bad) {
        ts_free(buf);
        return ts_error(TS_ERR_IO, "%s: read failed (got %zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return TS_OK;
}

/* Writes through a temporary file beside path (mkstemp: unique, so two
 * writers never share it), then renames: readers never see a partial file
 * and a failure leaves nothing behind. */
ts_status ts_write_atomic(const char *path, ts_write_fn write, void *ctx, bool binary) {
    if (!path[0]) return ts_error(TS_ERR_IO, "'': empty file name");
    size_t n = strlen(path) + 16;
    char *tmp = ts_malloc(n);
    if (!tmp) { ts_error_prefix("%s: ", path); return TS_ERR_NOMEM; }
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    ts_status st = TS_OK;
    int fd = mkstemp(tmp);
    FILE *f = NULL;
    if (fd < 0) {
        st = ts_error(TS_ERR_IO, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        goto done;
    }
    (void)fchmod(fd, 0644);  /* mkstemp makes 0600; outputs are not secrets */
    f = fdopen(fd, binary ? "wb" : "w");
    if (!f) {
        close(fd);
        st = ts_error(TS_ERR_IO, "%s: %s", path, strerror(errno));
    } else {
        st = write(f, ctx);
        bool bad = ferror(f) != 0;
        if ((fclose(f) != 0 || bad) && !st) st = ts_error(TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        if (!st && rename(tmp, path) != 0)
            st = ts_error(TS_ERR_IO, "%s: cannot rename from %s: %s", path, tmp, strerror(errno));
    }
    if (st) unlink(tmp);
done:
    ts_free(tmp);
    return st;
}
