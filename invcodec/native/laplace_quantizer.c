/* Must match constriction 0.5.0's LeakilyQuantizedDistribution<f64, i32, u32, 24> over
 * probability 0.20's Laplace (src/stream/model/quantize.rs, distribution/laplace.rs):
 * the same f64 operations in the same order, exp and ln from msun_math. */
#include "laplace_quantizer.h"

#include <math.h>

#include "msun_math.h"

#define TOTAL ((uint32_t)1 << LQ_PRECISION)
/* the weight left to the distribution once every symbol has its 1 */
#define FREE_WEIGHT ((double)((TOTAL - 1) - (uint32_t)(LQ_SYMBOL_MAX - LQ_SYMBOL_MIN)))

/* Rust's `f64 as u32`: truncation, saturating at both ends, NaN to 0 */
static uint32_t saturating_u32(double x) {
    if (!(x > 0.0)) return 0;
    if (x >= 4294967295.0) return UINT32_MAX;
    return (uint32_t)x;
}

/* Rust's `f64 as i32` */
static int32_t saturating_i32(double x) {
    if (x != x) return 0;
    if (x <= -2147483648.0) return INT32_MIN;
    if (x >= 2147483647.0) return INT32_MAX;
    return (int32_t)x;
}

static double laplace_cdf(double mean, double scale, double x) {
    if (x <= mean) return 0.5 * msun_exp((x - mean) / scale);
    return 1.0 - 0.5 * msun_exp(-(x - mean) / scale);
}

static double laplace_inverse(double mean, double scale, double p) {
    if (p > 0.5) {
        if (p == 1.0) return 1.0 / 0.0;
        return mean - scale * msun_log(2.0 - 2.0 * p);
    }
    if (p == 0.0) return -1.0 / 0.0;
    return mean + scale * msun_log(2.0 * p);
}

uint32_t lq_left_cumulative(double mean, double scale, int32_t symbol) {
    if (symbol <= LQ_SYMBOL_MIN) return 0;
    if (symbol > LQ_SYMBOL_MAX) return TOTAL;
    /* the bin's left edge; the leak: one unit per symbol before it */
    return saturating_u32(FREE_WEIGHT * laplace_cdf(mean, scale, (double)symbol - 0.5)) + (uint32_t)(symbol - LQ_SYMBOL_MIN);
}

int32_t lq_symbol(double mean, double scale, uint32_t quantile, uint32_t *left, uint32_t *probability) {
    /* The answer is the one symbol whose interval holds the quantile (the intervals tile
     * [0, 2**24) in order), whatever the search that finds it: from the nearest bin to the
     * Laplace's inverse (constriction truncates, a bin too far half the time), galloping
     * to bracket it, then bisecting (the far tails are thousands away). */
    int32_t low = saturating_i32(floor(laplace_inverse(mean, scale, ((double)quantile + 0.5) * (1.0 / (double)TOTAL)) + 0.5));
    int32_t high, step = 1;
    uint32_t low_left, high_left;
    if (low < LQ_SYMBOL_MIN) low = LQ_SYMBOL_MIN;
    if (low > LQ_SYMBOL_MAX) low = LQ_SYMBOL_MAX;
    low_left = lq_left_cumulative(mean, scale, low);
    if (low_left <= quantile) { /* up until past it (LQ_SYMBOL_MAX + 1's left is 2**24) */
        for (;; step *= 2) {
            high = low < LQ_SYMBOL_MAX + 1 - step ? low + step : LQ_SYMBOL_MAX + 1;
            high_left = lq_left_cumulative(mean, scale, high);
            if (high_left > quantile) break;
            low = high;
            low_left = high_left;
        }
    } else { /* down until at or before it (LQ_SYMBOL_MIN's left is 0) */
        high = low;
        high_left = low_left;
        for (;; step *= 2) {
            low = high > LQ_SYMBOL_MIN + step ? high - step : LQ_SYMBOL_MIN;
            low_left = lq_left_cumulative(mean, scale, low);
            if (low_left <= quantile) break;
            high = low;
            high_left = low_left;
        }
    }
    while (high - low > 1) { /* left(low) <= quantile < left(high) */
        const int32_t middle = low + (high - low) / 2;
        const uint32_t middle_left = lq_left_cumulative(mean, scale, middle);
        if (middle_left <= quantile) {
            low = middle;
            low_left = middle_left;
        } else {
            high = middle;
            high_left = middle_left;
        }
    }
    *left = low_left;
    *probability = high_left - low_left;
    return low;
}
