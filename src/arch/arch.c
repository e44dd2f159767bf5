/*
 * arch.c: chip configs in YAML -> arch_chip, validated field by field.
 *
 * The schema is a table (one row per field: dotted path, kind, where it goes,
 * whether it is required, its sane range). The loader walks the YAML tree and
 * looks every key up in the table, so an unknown key, a missing field, a
 * wrong type or an absurd value is reported with file, line and key.
 */
#include "arch/arch.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

typedef enum { K_STR, K_INT, K_I64, K_DBL, K_SIZE, K_BOOL } field_kind;

typedef struct {
    const char *path;     /* dotted key path */
    field_kind  kind;
    size_t      off;      /* offset in arch_chip */
    size_t      cap;      /* K_STR: buffer size */
    bool        required; /* for simulable chips */
    bool        ref_required; /* for reference-only chips */
    double      min, max; /* inclusive range */
} field;

#define F(path, kind, member, req, refreq, lo, hi) \
    {path, kind, offsetof(arch_chip, member), sizeof(((arch_chip *)0)->member), req, refreq, lo, hi}

static const double GiB = 1024.0 * 1024 * 1024;
#define TiB (1024.0 * GiB)

static const field schema[] = {
    F("name",                       K_STR,  name,                          true,  true,  0, 0),
    F("description",                K_STR,  description,                   false, false, 0, 0),
    F("process_nm",                 K_INT,  process_nm,                    false, false, 1, 1000),
    F("clock_ghz",                  K_DBL,  clock_ghz,                     true,  false, 0.001, 100),
    F("cores",                      K_INT,  cores,                         true,  false, 1, 1024),
    F("reference_only",             K_BOOL, reference_only,                false, false, 0, 1),
    F("reference.int8_tops",        K_DBL,  ref_int8_tops,                 false, true,  0, 1e6),
    F("reference.bf16_tflops",      K_DBL,  ref_bf16_tflops,               false, true,  0, 1e6),
    F("core.matrix.rows",           K_INT,  core.matrix.rows,              true,  false, 1, 4096),
    F("core.matrix.cols",           K_INT,  core.matrix.cols,              true,  false, 1, 4096),
    F("core.matrix.bf16_rate",      K_DBL,  core.matrix.bf16_rate,         true,  false, 0, 1),
    F("core.matrix.fill_latency",   K_INT,  core.matrix.fill_latency,      false, false, 0, 1 << 16),
    F("core.vector.lanes",          K_INT,  core.vector.lanes,             true,  false, 1, 65536),
    F("core.vector.latency",        K_INT,  core.vector.latency,           true,  false, 0, 1 << 16),
    F("core.vector.transcendental_cost", K_INT, core.vector.transcendental_cost, true, false, 1, 1024),
    F("core.sram.bytes",            K_SIZE, core.sram.bytes,               true,  false, 1024, 64 * GiB),
    F("core.sram.banks",            K_INT,  core.sram.banks,               true,  false, 1, 4096),
    F("core.sram.bytes_per_cycle",  K_INT,  core.sram.bytes_per_cycle,     true,  false, 1, 1 << 20),
    F("core.acc_bytes",             K_SIZE, core.acc_bytes,                true,  false, 64, 16 * GiB),
    F("core.dma.engines",           K_INT,  core.dma.engines,              true,  false, 1, 64),
    F("core.dma.setup_cycles",      K_INT,  core.dma.setup_cycles,         true,  false, 0, 1 << 20),
    F("hbm.bytes",                  K_SIZE, hbm.bytes,                     true,  true,  0, 64 * TiB),
    F("hbm.gbps",                   K_DBL,  hbm.gbps,                      true,  true,  0, 1e6),
    F("hbm.latency_cycles",         K_INT,  hbm.latency_cycles,            true,  false, 0, 1 << 20),
    F("host_gbps",                  K_DBL,  host_gbps,                     true,  false, 0.001, 1e5),
    F("link.count",                 K_INT,  link.count,                    false, false, 0, 1024),
    F("link.gbps",                  K_DBL,  link.gbps,                     false, false, 0, 1e5),
    F("link.latency_cycles",        K_INT,  link.latency_cycles,           false, false, 0, 1 << 24),
    F("energy.pj_int8_mac",         K_DBL,  energy.pj_int8_mac,            true,  false, 0, 1e4),
    F("energy.pj_bf16_mac",         K_DBL,  energy.pj_bf16_mac,            true,  false, 0, 1e4),
    F("energy.pj_sram_byte",        K_DBL,  energy.pj_sram_byte,           true,  false, 0, 1e4),
    F("energy.pj_hbm_byte",         K_DBL,  energy.pj_hbm_byte,            true,  false, 0, 1e5),
    F("energy.pj_vector_op",        K_DBL,  energy.pj_vector_op,           true,  false, 0, 1e4),
    F("energy.static_watts",        K_DBL,  energy.static_watts,           false, false, 0, 1e5),
};

/* ---- scalar parsing --------------------------------------------------------- */

/* "16MiB", "2 GB", "65536" -> bytes. Binary (KiB) and decimal (KB) suffixes. */
static bool parse_size(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v)) return false;
    while (isspace((unsigned char)*end)) end++;
    static const struct { const char *suf; double mul; } sufs[] = {
        {"", 1}, {"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(sufs); i++)
        if (!strcmp(end, sufs[i].suf)) { *out = v * sufs[i].mul; return true; }
    return false;
}

static bool parse_number(const char *s, field_kind kind, double *out) {
    if (kind == K_SIZE) return parse_size(s, out);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) return false;
    if ((kind == K_INT || kind == K_I64) && v != floor(v)) return false;
    *out = v;
    return true;
}

/* ---- loading ----------------------------------------------------------------- */

typedef struct {
    const char *file;
    yaml_document_t *doc;
    arch_chip *chip;
    bool seen[TS_ARRAY_LEN(schema)];
} loader;

static const field *find_field(const char *path) {
    for (size_t i = 0; i < TS_ARRAY_LEN(schema); i++)
        if (!strcmp(schema[i].path, path)) return &schema[i];
    return NULL;
}

static bool is_section(const char *path) {
    size_t n = strlen(path);
    for (size_t i = 0; i < TS_ARRAY_LEN(schema); i++)
        if (!strncmp(schema[i].path, path, n) && schema[i].path[n] == '.') return true;
    return false;
}

static ts_status set_scalar(loader *L, const field *f, yaml_node_t *v) {
    int line = (int)v->start_mark.line + 1;
    const char *s = (const char *)v->data.scalar.value;
    void *dst = (char *)L->chip + f->off;
    if (f->kind == K_STR) {
        if (strlen(s) >= f->cap)
            return ts_error(TS_ERR_INVALID, "%s:%d: '%s' is longer than %zu characters",
                            L->file, line, f->path, f->cap - 1);
        strcpy((char *)dst, s);
        return TS_OK;
    }
    if (f->kind == K_BOOL) {
        if (!strcmp(s, "true")) *(bool *)dst = true;
        else if (!strcmp(s, "false")) *(bool *)dst = false;
        else return ts_error(TS_ERR_INVALID, "%s:%d: '%s' must be true or false, not '%s'",
                             L->file, line, f->path, s);
        return TS_OK;
    }
    double v_num;
    if (!parse_number(s, f->kind, &v_num))
        return ts_error(TS_ERR_INVALID, "%s:%d: '%s' must be %s, not '%s'", L->file, line, f->path,
                        f->kind == K_SIZE ? "a size (e.g. 2MiB)"
                        : f->kind == K_DBL ? "a number" : "an integer", s);
    if (v_num < f->min || v_num > f->max)
        return ts_error(TS_ERR_INVALID, "%s:%d: '%s' = %s is out of range [%g, %g]",
                        L->file, line, f->path, s, f->min, f->max);
    switch (f->kind) {
    case K_INT:  *(int *)dst = (int)v_num; break;
    case K_I64:
    case K_SIZE: *(int64_t *)dst = (int64_t)v_num; break;
    default:     *(double *)dst = v_num; break;
    }
    return TS_OK;
}

static ts_status walk(loader *L, yaml_node_t *map, const char *prefix) {
    if (map->type != YAML_MAPPING_NODE)
        return ts_error(TS_ERR_PARSE, "%s:%d: '%s' must be a mapping of keys to values", L->file,
                        (int)map->start_mark.line + 1, *prefix ? prefix : "(top level)");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(L->doc, p->value);
        int line = (int)k->start_mark.line + 1, col = (int)k->start_mark.column + 1;
        if (k->type != YAML_SCALAR_NODE)
            return ts_error(TS_ERR_PARSE, "%s:%d:%d: keys must be plain names", L->file, line, col);
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", (char *)k->data.scalar.value);
        const field *f = find_field(path);
        ts_status st;
        if (f) {
            if (v->type != YAML_SCALAR_NODE)
                return ts_error(TS_ERR_INVALID, "%s:%d:%d: '%s' must be a single value", L->file, line, col, path);
            if (L->seen[f - schema])
                return ts_error(TS_ERR_INVALID, "%s:%d:%d: '%s' is given twice", L->file, line, col, path);
            L->seen[f - schema] = true;
            st = set_scalar(L, f, v);
        } else if (is_section(path)) {
            st = walk(L, v, path);
        } else {
            return ts_error(TS_ERR_INVALID, "%s:%d:%d: unknown key '%s'", L->file, line, col, path);
        }
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

static ts_status check_required(loader *L) {
    for (size_t i = 0; i < TS_ARRAY_LEN(schema); i++) {
        bool need = L->chip->reference_only ? schema[i].ref_required : schema[i].required;
        if (need && !L->seen[i])
            return ts_error(TS_ERR_INVALID, "%s: missing field '%s'", L->file, schema[i].path);
    }
    return TS_OK;
}

/* Cross-field rules that no single range can express. */
static ts_status check_consistency(loader *L) {
    arch_chip *c = L->chip;
    if (c->reference_only) return TS_OK;
    if (c->cores > ARCH_MAX_CORES)
        return ts_error(TS_ERR_INVALID, "%s: 'cores' = %d: a simulable chip has at most %d cores",
                        L->file, c->cores, ARCH_MAX_CORES);
    if (c->core.matrix.fill_latency == 0 && !L->seen[find_field("core.matrix.fill_latency") - schema])
        c->core.matrix.fill_latency = c->core.matrix.rows + c->core.matrix.cols;
    if (c->core.sram.bytes % c->core.sram.banks)
        return ts_error(TS_ERR_INVALID, "%s: 'core.sram.bytes' (%lld) is not a multiple of 'core.sram.banks' (%d)",
                        L->file, (long long)c->core.sram.bytes, c->core.sram.banks);
    if (c->hbm.bytes > 0 && c->hbm.gbps <= 0)
        return ts_error(TS_ERR_INVALID, "%s: 'hbm.gbps' must be > 0 when 'hbm.bytes' is > 0", L->file);
    if (c->link.count > 0 && c->link.gbps <= 0)
        return ts_error(TS_ERR_INVALID, "%s: 'link.gbps' must be > 0 when 'link.count' is > 0", L->file);
    return TS_OK;
}

/* libyaml's scanner takes time quadratic in the flow nesting depth ("[[[[...":
 * 20000 levels, seconds; 200000, minutes). No config nests more than a few
 * levels, so deeper flow collections are refused before libyaml sees them.
 * Brackets inside quotes and comments do not count. */
#define ARCH_MAX_FLOW_DEPTH 64

static ts_status arch_check_depth(const char *text, size_t len, const char *filename) {
    int depth = 0, line = 1;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\n') line++;
        if (quote) {
            if (c == '\\' && quote == '"' && i + 1 < len) i++;
            else if (c == quote) quote = 0;
        } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n')) {
            while (i + 1 < len && text[i + 1] != '\n') i++;
        } else if (c == '"' || (c == '\'' && (i == 0 || strchr(" \t\n[{,:", text[i - 1])))) {
            quote = c;
        } else if (c == '[' || c == '{') {
            if (++depth > ARCH_MAX_FLOW_DEPTH)
                return ts_error(TS_ERR_PARSE, "%s:%d: '[' / '{' nested deeper than %d levels", filename, line,
                                ARCH_MAX_FLOW_DEPTH);
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return TS_OK;
}

ts_status arch_parse(const char *text, size_t len, const char *filename, arch_chip *out) {
    yaml_parser_t parser;
    yaml_document_t doc;
    loader L = {.file = filename, .doc = &doc, .chip = out};
    memset(out, 0, sizeof *out);
    ts_status depth_st = arch_check_depth(text, len, filename);
    if (depth_st) return depth_st;
    if (!yaml_parser_initialize(&parser)) return ts_error(TS_ERR_NOMEM, "%s: out of memory", filename);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        ts_status st = ts_error(TS_ERR_PARSE, "%s:%d:%d: %s", filename, (int)parser.problem_mark.line + 1,
                                (int)parser.problem_mark.column + 1,
                                parser.problem ? parser.problem : "malformed YAML");
        yaml_parser_delete(&parser);
        return st;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    ts_status st = root ? walk(&L, root, "") : ts_error(TS_ERR_PARSE, "%s: empty config", filename);
    if (st == TS_OK) st = check_required(&L);
    if (st == TS_OK) st = check_consistency(&L);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return st;
}

/* ---- presets and lookup ------------------------------------------------------ */

static const char *const presets[] = {
    "npu-256t", "hanguang-800", "tpuv3-core", "edge-4t", "a100-ref", "h100-ref", NULL,
};

const char *const *arch_preset_names(void) { return presets; }

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* TESSERA_CONFIGS, else configs/ beside the binary's build dir, else ./configs. */
const char *arch_config_dir(void) {
    static char dir[PATH_MAX];
    const char *env = getenv("TESSERA_CONFIGS");
    if (env && *env) return env;
    char exe[PATH_MAX - 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            for (int up = 1; up <= 3; up++) {
                char *s = strrchr(exe, '/');
                snprintf(dir, sizeof dir, "%s/configs", exe);
                if (is_dir(dir)) return dir;
                if (!s) break;
                *s = 0;
            }
        }
    }
    return "configs";
}

static bool looks_like_path(const char *s) {
    return strchr(s, '/') || strstr(s, ".yaml") || strstr(s, ".yml");
}

ts_status arch_load(const char *name_or_path, arch_chip *out) {
    char path[PATH_MAX];
    if (looks_like_path(name_or_path)) {
        snprintf(path, sizeof path, "%s", name_or_path);
    } else {
        bool known = false;
        for (int i = 0; presets[i]; i++) known |= !strcmp(presets[i], name_or_path);
        snprintf(path, sizeof path, "%s/%s.yaml", arch_config_dir(), name_or_path);
        if (!known && access(path, R_OK) != 0) {
            char list[256] = "";
            for (int i = 0; presets[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", presets[i]);
            return ts_error(TS_ERR_INVALID, "unknown target '%s' (presets: %s; or give a path to a .yaml file)",
                            name_or_path, list);
        }
    }
    uint8_t *text;
    size_t len;
    ts_status st = ts_read_file(path, &text, &len);
    if (st != TS_OK) return st;
    st = arch_parse((const char *)text, len, path, out);
    ts_free(text);
    return st;
}

/* ---- derived figures ---------------------------------------------------------- */

void arch_derive(const arch_chip *c, arch_derived *d) {
    memset(d, 0, sizeof *d);
    d->hbm_gbps = c->hbm.gbps;
    if (c->reference_only) {
        d->peak_int8_tops = c->ref_int8_tops;
        d->peak_bf16_tflops = c->ref_bf16_tflops;
    } else {
        double macs = (double)c->core.matrix.rows * c->core.matrix.cols * c->cores;
        d->peak_int8_tops = 2.0 * macs * c->clock_ghz * 1e9 / 1e12;
        d->peak_bf16_tflops = d->peak_int8_tops * c->core.matrix.bf16_rate;
        d->sram_bytes = c->core.sram.bytes * c->cores;
        d->acc_bytes = c->core.acc_bytes * c->cores;
        d->cycle_ns = 1.0 / c->clock_ghz;
    }
    /* ops per byte where compute and HBM bandwidth meet; with no DRAM the
     * host link feeds the chip, so the ridge is against that instead. */
    double feed_gbps = c->hbm.gbps > 0 ? c->hbm.gbps : c->host_gbps;
    d->ridge_ops_per_byte = feed_gbps > 0 ? d->peak_int8_tops * 1e12 / (feed_gbps * 1e9) : 0;
}
