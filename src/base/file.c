/* file.c: clocks and whole-file reads. */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
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
