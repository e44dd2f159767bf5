/* device.c: the registry of devices. A new device adds one line here. */
#include "runtime/runtime.h"

#include <string.h>

typedef struct {
    const char *name;         /* exact name, or a prefix ending in '-' */
    ts_status (*open)(const char *name, int threads, rt_device **out);
    const char *summary;
} rt_device_entry;

static const rt_device_entry rt_devices[] = {
    {"cpu", rt_cpu_open, "host CPU kernels (reference and fallback)"},
};

static bool rt_name_matches(const char *pattern, const char *name) {
    size_t n = strlen(pattern);
    return pattern[n - 1] == '-' ? !strncmp(pattern, name, n) : !strcmp(pattern, name);
}

ts_status rt_device_open(const char *name, int threads, rt_device **out) {
    *out = NULL;
    if (!name || !name[0]) return ts_error(TS_ERR_INVALID, "no device name given");
    for (size_t i = 0; i < TS_ARRAY_LEN(rt_devices); i++) {
        if (!rt_name_matches(rt_devices[i].name, name)) continue;
        ts_status st = rt_devices[i].open(name, threads, out);
        if (st) return st;
        if ((*out)->version != RT_DEVICE_VERSION || !(*out)->prepare || !(*out)->run ||
            !(*out)->program_free) {
            rt_device_close(*out);
            *out = NULL;
            return ts_error(TS_ERR_INTERNAL, "device %s: incomplete interface", name);
        }
        return TS_OK;
    }
    char list[256] = "";
    for (size_t i = 0; i < TS_ARRAY_LEN(rt_devices); i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 rt_devices[i].name);
    return ts_error(TS_ERR_UNSUPPORTED, "unknown device '%s' (available: %s)", name, list);
}

void rt_device_close(rt_device *d) {
    if (!d) return;
    if (d->close) d->close(d);
    ts_free(d);
}
