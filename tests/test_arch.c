/* Chip configs: presets give their published peaks; bad configs give messages
 * naming file, line and key. */
#include "harness.h"

#include "arch/arch.h"

static bool load(const char *name, arch_chip *c, arch_derived *d) {
    if (arch_load(name, c) != TS_OK) {
        fprintf(stderr, "  %s\n", ts_last_error());
        return false;
    }
    arch_derive(c, d);
    return true;
}

/* Published figures, within 1% (the presets pick array shapes and clocks
 * that reproduce them; the figure itself is never typed into the config). */
TEST(presets_match_published_peaks) {
    static const struct { const char *name; double int8_tops, bf16_tflops, hbm_gbps; } want[] = {
        {"npu-256t", 256, 128, 512},      /* Baidu Kunlun: 256 TOPS INT8, 512 GB/s */
        {"hanguang-800", 825, -1, 0},     /* Hot Chips 32: 825 TOPS INT8, no DRAM */
        {"tpuv3-core", 61.5, 61.5, 450},  /* 123 TFLOPS BF16 per 2-core chip, 900 GB/s */
        {"edge-4t", 4, 0, 17},
        {"a100-ref", 624, 312, 2039},
        {"h100-ref", 1979, 989, 3350},
    };
    for (size_t i = 0; i < TS_ARRAY_LEN(want); i++) {
        arch_chip c;
        arch_derived d;
        CHECK_MSG(load(want[i].name, &c, &d), "%s", want[i].name);
        CHECK_MSG(fabs(d.peak_int8_tops / want[i].int8_tops - 1) < 0.01, "%s: %.1f TOPS",
                  want[i].name, d.peak_int8_tops);
        if (want[i].bf16_tflops > 0)
            CHECK_MSG(fabs(d.peak_bf16_tflops / want[i].bf16_tflops - 1) < 0.01, "%s: %.1f TFLOPS",
                      want[i].name, d.peak_bf16_tflops);
        CHECK_NEAR(c.hbm.gbps, want[i].hbm_gbps, 1e-9);
        CHECK(!strcmp(c.name, want[i].name));
    }
}

TEST(derived_figures_follow_the_formula) {
    arch_chip c;
    arch_derived d;
    CHECK(load("npu-256t", &c, &d));
    double macs = (double)c.core.matrix.rows * c.core.matrix.cols * c.cores;
    CHECK_NEAR(d.peak_int8_tops, 2 * macs * c.clock_ghz * 1e9 / 1e12, 1e-9);
    CHECK(d.sram_bytes == c.core.sram.bytes * c.cores);
    CHECK_NEAR(d.ridge_ops_per_byte, d.peak_int8_tops * 1e12 / (c.hbm.gbps * 1e9), 1e-6);
    CHECK(c.core.matrix.fill_latency == c.core.matrix.rows + c.core.matrix.cols);
}

static const char *good =
    "name: t\n"
    "clock_ghz: 1.0\n"
    "cores: 2\n"
    "core:\n"
    "  matrix: {rows: 16, cols: 16, bf16_rate: 0.5}\n"
    "  vector: {lanes: 8, latency: 2, transcendental_cost: 4}\n"
    "  sram: {bytes: 64KiB, banks: 4, bytes_per_cycle: 64}\n"
    "  acc_bytes: 4KiB\n"
    "  dma: {engines: 1, setup_cycles: 8}\n"
    "hbm: {bytes: 1GiB, gbps: 100, latency_cycles: 50}\n"
    "host_gbps: 8\n"
    "energy: {pj_int8_mac: 0.1, pj_bf16_mac: 0.5, pj_sram_byte: 0.5, pj_hbm_byte: 20, pj_vector_op: 0.2}\n";

/* Replaces the first occurrence of `from` in `good` with `to`. */
static ts_status parse_edit(const char *from, const char *to) {
    char buf[4096];
    const char *at = strstr(good, from);
    if (!at) { fprintf(stderr, "  bad test edit '%s'\n", from); return TS_ERR_INTERNAL; }
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    arch_chip c;
    return arch_parse(buf, strlen(buf), "bad.yaml", &c);
}

static void expect_error(const char *from, const char *to, const char *want_in_msg) {
    ts_status st = parse_edit(from, to);
    CHECK_MSG(st != TS_OK, "edit '%s' -> '%s' was accepted", from, to);
    CHECK_MSG(strstr(ts_last_error(), want_in_msg) != NULL, "message '%s' lacks '%s'",
              ts_last_error(), want_in_msg);
}

TEST(good_config_parses_with_sizes) {
    arch_chip c;
    CHECK(arch_parse(good, strlen(good), "good.yaml", &c) == TS_OK);
    CHECK(c.core.sram.bytes == 65536);
    CHECK(c.hbm.bytes == (int64_t)1 << 30);
    CHECK(c.cores == 2);
}

TEST(bad_configs_name_file_line_and_key) {
    expect_error("cores: 2", "corez: 2", "bad.yaml:3:1: unknown key 'corez'");
    expect_error("rows: 16", "rowz: 16", "unknown key 'core.matrix.rowz'");
    expect_error("host_gbps: 8\n", "", "missing field 'host_gbps'");
    expect_error("bytes: 64KiB", "bytes: -5", "'core.sram.bytes' = -5 is out of range");
    expect_error("cores: 2", "cores: 100000", "bad.yaml:3: 'cores' = 100000 is out of range");
    expect_error("cores: 2", "cores: two", "'cores' must be an integer");
    expect_error("cores: 2", "cores: 2.5", "'cores' must be an integer");
    expect_error("bytes: 64KiB", "bytes: 64 parsecs", "must be a size");
    expect_error("clock_ghz: 1.0", "clock_ghz: [1, 2]", "'clock_ghz' must be a single value");
    expect_error("cores: 2", "cores: 2\ncores: 3", "'cores' is given twice");
    expect_error("cores: 2", "cores: 2\n  bad indent: [", "bad.yaml:");
    expect_error("banks: 4", "banks: 3", "not a multiple of 'core.sram.banks'");
    expect_error("cores: 2", "cores: 65", "at most 64 cores");
}

TEST(missing_file_and_unknown_preset) {
    arch_chip c;
    CHECK(arch_load("/nonexistent/chip.yaml", &c) != TS_OK);
    CHECK(strstr(ts_last_error(), "/nonexistent/chip.yaml") != NULL);
    CHECK(arch_load("no-such-chip", &c) != TS_OK);
    CHECK(strstr(ts_last_error(), "unknown target 'no-such-chip'") != NULL);
}

TEST(random_garbage_never_crashes) {
    char buf[512];
    for (int iter = 0; iter < 2000; iter++) {
        /* mutate the good config at random byte positions */
        size_t n = strlen(good) < sizeof buf - 1 ? strlen(good) : sizeof buf - 1;
        memcpy(buf, good, n);
        int edits = th_rand_int(1, 8);
        for (int e = 0; e < edits; e++) buf[th_rand_int(0, (int)n - 1)] = (char)th_rand_int(1, 255);
        arch_chip c;
        ts_status st = arch_parse(buf, n, "fuzz.yaml", &c);
        if (st != TS_OK) CHECK(strstr(ts_last_error(), "fuzz.yaml") != NULL);
    }
}

TEST_MAIN()
