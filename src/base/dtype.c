/* dtype.c: element type table and half-precision conversions. */
#include "base/base.h"

#include <string.h>

typedef struct { const char *name; size_t size; } ts_dtype_info;

/* Indexed by ts_dtype (ONNX numbering); holes stay {NULL, 0}. */
static const ts_dtype_info ts_dtypes[TS_DTYPE_MAX] = {
    [TS_F32] = {"float32", 4},   [TS_U8] = {"uint8", 1},
    [TS_I8] = {"int8", 1},       [TS_U16] = {"uint16", 2},
    [TS_I16] = {"int16", 2},     [TS_I32] = {"int32", 4},
    [TS_I64] = {"int64", 8},     [TS_STRING] = {"string", 0},
    [TS_BOOL] = {"bool", 1},     [TS_F16] = {"float16", 2},
    [TS_F64] = {"float64", 8},   [TS_U32] = {"uint32", 4},
    [TS_U64] = {"uint64", 8},    [TS_BF16] = {"bfloat16", 2},
};

static bool ts_dtype_valid(ts_dtype t) {
    return (int)t > 0 && t < TS_DTYPE_MAX && ts_dtypes[t].name;
}

size_t ts_dtype_size(ts_dtype t) { return ts_dtype_valid(t) ? ts_dtypes[t].size : 0; }

const char *ts_dtype_name(ts_dtype t) {
    return ts_dtype_valid(t) ? ts_dtypes[t].name : "undefined";
}

ts_dtype ts_dtype_from_name(const char *s) {
    if (!s) return TS_UNDEFINED;
    for (int t = 1; t < TS_DTYPE_MAX; t++)
        if (ts_dtypes[t].name && strcmp(ts_dtypes[t].name, s) == 0) return (ts_dtype)t;
    return TS_UNDEFINED;
}

bool ts_dtype_is_float(ts_dtype t) {
    return t == TS_F32 || t == TS_F16 || t == TS_BF16 || t == TS_F64;
}

bool ts_dtype_is_int(ts_dtype t) {
    switch (t) {
    case TS_U8: case TS_I8: case TS_U16: case TS_I16: case TS_I32:
    case TS_I64: case TS_U32: case TS_U64: return true;
    default: return false;
    }
}

/* ---- conversions: bit manipulation, no FPU rounding mode dependence ------ */

static uint32_t ts_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float ts_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float ts_bf16_to_f32(uint16_t h) { return ts_bits_f32((uint32_t)h << 16); }

uint16_t ts_f32_to_bf16(float f) {
    uint32_t x = ts_f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)       /* NaN: keep sign, force quiet */
        return (uint16_t)((x >> 16) | 0x0040u);
    /* Round to nearest even; a carry into the exponent is the right answer
     * (up to and including overflow to infinity). */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float ts_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) {                             /* zero or subnormal: mant * 2^-24 */
        float v = (float)mant * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    if (exp == 31) return ts_bits_f32(sign | 0x7f800000u | (mant << 13));
    return ts_bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* Shifts m right by s bits, rounding to nearest even. */
static uint32_t ts_shift_rne(uint32_t m, int s) {
    uint32_t r = m >> s, rem = m & ((1u << s) - 1u), half = 1u << (s - 1);
    if (rem > half || (rem == half && (r & 1u))) r++;
    return r;
}

uint16_t ts_f32_to_f16(float f) {
    uint32_t x = ts_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    int exp = (int)((x >> 23) & 0xffu);
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff)                            /* Inf stays Inf, NaN stays quiet NaN */
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x0200u | (mant >> 13) : 0u));
    int e = exp - 127 + 15;                     /* biased half exponent */
    if (e >= 31) return sign | 0x7c00u;
    if (e <= 0) {                               /* half subnormal (or zero) */
        if (e < -10) return sign;               /* below half the smallest subnormal */
        uint32_t m = exp ? (mant | 0x800000u) : mant;
        return (uint16_t)(sign | ts_shift_rne(m, 14 - e));
    }
    /* Normal: a rounding carry into the exponent (even to Inf) is correct. */
    uint32_t r = ((uint32_t)e << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
    return (uint16_t)(sign | r);
}
