/* Must match libm 0.2.16 (rust-lang/compiler-builtins, libm/src/math/exp.rs, log.rs and
 * generic/scalbn.rs) operation for operation: IEEE double, round to nearest, no fused
 * multiply-add (setup.py builds with -ffp-contract=off). */
#include "msun_math.h"

#include <stdint.h>
#include <string.h>

static uint64_t bits_of(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double from_bits(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* x * 2**n, pre-scaling by 2**-969 (2**-1022 * 2**53) or 2**1023 like libm's scalbn */
static double scale_by_power_of_two(double x, int32_t n) {
    if (n > 1023) {
        x *= from_bits(0x7fe0000000000000ULL);
        n -= 1023;
        if (n > 1023) {
            x *= from_bits(0x7fe0000000000000ULL);
            n -= 1023;
            if (n > 1023) n = 1023;
        }
    } else if (n < -1022) {
        x *= from_bits(0x0360000000000000ULL);
        n += 969;
        if (n < -1022) {
            x *= from_bits(0x0360000000000000ULL);
            n += 969;
            if (n < -1022) n = -1022;
        }
    }
    return x * from_bits((uint64_t)(1023 + n) << 52);
}

/* the same constants as e_exp.c, written by their bit patterns */
#define EXP_LN2HI from_bits(0x3fe62e42fee00000ULL)
#define EXP_LN2LO from_bits(0x3dea39ef35793c76ULL)
#define EXP_INVLN2 from_bits(0x3ff71547652b82feULL)
#define EXP_P1 from_bits(0x3fc555555555553eULL)
#define EXP_P2 from_bits(0xbf66c16c16bebd93ULL)
#define EXP_P3 from_bits(0x3f11566aaf25de2cULL)
#define EXP_P4 from_bits(0xbebbbd41c5d26bf1ULL)
#define EXP_P5 from_bits(0x3e66376972bea4d0ULL)

double msun_exp(double x) {
    const uint32_t high = (uint32_t)(bits_of(x) >> 32);
    const int32_t sign = (int32_t)(high >> 31);
    const uint32_t magnitude = high & 0x7fffffffU;
    double hi, lo, c, xx, y;
    int32_t k;
    if (magnitude >= 0x4086232bU) { /* |x| >= 708.39 */
        if (x != x) return x;
        if (x > 709.782712893383973096) return x * from_bits(0x7fe0000000000000ULL);
        if (x < -745.13321910194110842) return 0.0;
    }
    if (magnitude > 0x3fd62e42U) { /* |x| > ln2 / 2: x = k ln2 + r */
        if (magnitude >= 0x3ff0a2b2U)
            k = (int32_t)(EXP_INVLN2 * x + (sign ? -0.5 : 0.5)); /* |x| < 746: in int32's range */
        else
            k = 1 - sign - sign;
        hi = x - (double)k * EXP_LN2HI;
        lo = (double)k * EXP_LN2LO;
        x = hi - lo;
    } else if (magnitude > 0x3e300000U) { /* |x| > 2**-28 */
        k = 0;
        hi = x;
        lo = 0.0;
    } else {
        return 1.0 + x;
    }
    xx = x * x;
    c = x - xx * (EXP_P1 + xx * (EXP_P2 + xx * (EXP_P3 + xx * (EXP_P4 + xx * EXP_P5))));
    y = 1.0 + (x * c / (2.0 - c) - lo + hi);
    return k == 0 ? y : scale_by_power_of_two(y, k);
}

#define LOG_LN2_HI from_bits(0x3fe62e42fee00000ULL)
#define LOG_LN2_LO from_bits(0x3dea39ef35793c76ULL)
#define LOG_LG1 from_bits(0x3fe5555555555593ULL)
#define LOG_LG2 from_bits(0x3fd999999997fa04ULL)
#define LOG_LG3 from_bits(0x3fd2492494229359ULL)
#define LOG_LG4 from_bits(0x3fcc71c51d8e78afULL)
#define LOG_LG5 from_bits(0x3fc7466496cb03deULL)
#define LOG_LG6 from_bits(0x3fc39a09d078c69fULL)
#define LOG_LG7 from_bits(0x3fc2f112df3e5244ULL)

double msun_log(double x) {
    uint64_t u = bits_of(x);
    uint32_t high = (uint32_t)(u >> 32);
    int32_t k = 0;
    double f, hfsq, s, z, w, t1, t2, r, dk;
    if (high < 0x00100000U || (high >> 31) != 0) {
        if ((u << 1) == 0) return -1.0 / (x * x); /* log(+-0) = -inf */
        if ((high >> 31) != 0) return (x - x) / 0.0;  /* log(negative) = NaN */
        k -= 54; /* subnormal: scale up */
        x *= from_bits(0x4350000000000000ULL);
        u = bits_of(x);
        high = (uint32_t)(u >> 32);
    } else if (high >= 0x7ff00000U) {
        return x;
    } else if (high == 0x3ff00000U && (u << 32) == 0) {
        return 0.0;
    }
    /* reduce x into [sqrt(2)/2, sqrt(2)] */
    high += 0x3ff00000U - 0x3fe6a09eU;
    k += (int32_t)(high >> 20) - 0x3ff;
    high = (high & 0x000fffffU) + 0x3fe6a09eU;
    u = ((uint64_t)high << 32) | (u & 0xffffffffULL);
    x = from_bits(u);
    f = x - 1.0;
    hfsq = 0.5 * f * f;
    s = f / (2.0 + f);
    z = s * s;
    w = z * z;
    t1 = w * (LOG_LG2 + w * (LOG_LG4 + w * LOG_LG6));
    t2 = z * (LOG_LG1 + w * (LOG_LG3 + w * (LOG_LG5 + w * LOG_LG7)));
    r = t2 + t1;
    dk = (double)k;
    return s * (hfsq + r) + dk * LOG_LN2_LO - hfsq + f + dk * LOG_LN2_HI;
}
