/* Must match constriction 0.5.0's LeakilyQuantizedDistribution<f64, i32, u32, 24> over
 * probability 0.20's Laplace (src/stream/model/quantize.rs, distribution/laplace.rs):
 * the same f64 operations in the same order, exp and ln from msun_math. */
#include "laplace_quantizer.h"

#include <math.h>
#include <stdlib.h>

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

/* the Laplace's part of a left cumulative (symbol within the support's inner edges) */
static uint32_t laplace_part(double mean, double scale, int32_t symbol) {
    return saturating_u32(FREE_WEIGHT * laplace_cdf(mean, scale, (double)symbol - 0.5));
}

uint32_t lq_left_cumulative(double mean, double scale, int32_t symbol) {
    if (symbol <= LQ_SYMBOL_MIN) return 0;
    if (symbol > LQ_SYMBOL_MAX) return TOTAL;
    /* the bin's left edge; the leak: one unit per symbol before it */
    return laplace_part(mean, scale, symbol) + (uint32_t)(symbol - LQ_SYMBOL_MIN);
}

/* Where the search reads left cumulatives: a cache row (NULL: none) and the mean in 1/16 */
typedef struct {
    double mean, scale;
    uint32_t *row; /* the scale's entries, at k = 0 */
    int64_t mean16;
} Cumulatives;

static inline uint32_t left_of(const Cumulatives *c, int32_t symbol) {
    int64_t k;
    if (c->row == NULL) return lq_left_cumulative(c->mean, c->scale, symbol);
    if (symbol <= LQ_SYMBOL_MIN) return 0;
    if (symbol > LQ_SYMBOL_MAX) return TOTAL;
    k = 16 * (int64_t)symbol - 8 - c->mean16;
    if (k < -LQ_CACHE_REACH || k >= LQ_CACHE_REACH) return lq_left_cumulative(c->mean, c->scale, symbol);
    if (c->row[k] == 0) c->row[k] = laplace_part(c->mean, c->scale, symbol) + 1;
    return c->row[k] - 1 + (uint32_t)(symbol - LQ_SYMBOL_MIN);
}

/* The answer is the one symbol whose interval holds the quantile (the intervals tile
 * [0, 2**24) in order), whatever the search that finds it: from ``low``, galloping to
 * bracket it, then bisecting (the far tails are thousands away). */
static int32_t search(const Cumulatives *c, int32_t low, uint32_t quantile, uint32_t *left, uint32_t *probability) {
    int32_t high, step = 1;
    uint32_t low_left, high_left;
    if (low < LQ_SYMBOL_MIN) low = LQ_SYMBOL_MIN;
    if (low > LQ_SYMBOL_MAX) low = LQ_SYMBOL_MAX;
    low_left = left_of(c, low);
    if (low_left <= quantile) { /* up until past it (LQ_SYMBOL_MAX + 1's left is 2**24) */
        for (;; step *= 2) {
            high = low < LQ_SYMBOL_MAX + 1 - step ? low + step : LQ_SYMBOL_MAX + 1;
            high_left = left_of(c, high);
            if (high_left > quantile) break;
            low = high;
            low_left = high_left;
        }
    } else { /* down until at or before it (LQ_SYMBOL_MIN's left is 0) */
        high = low;
        high_left = low_left;
        for (;; step *= 2) {
            low = high > LQ_SYMBOL_MIN + step ? high - step : LQ_SYMBOL_MIN;
            low_left = left_of(c, low);
            if (low_left <= quantile) break;
            high = low;
            high_left = low_left;
        }
    }
    while (high - low > 1) { /* left(low) <= quantile < left(high) */
        const int32_t middle = low + (high - low) / 2;
        const uint32_t middle_left = left_of(c, middle);
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

int32_t lq_symbol(double mean, double scale, uint32_t quantile, uint32_t *left, uint32_t *probability) {
    /* from the nearest bin to the Laplace's inverse (constriction truncates, a bin too far
     * half the time) */
    const Cumulatives c = {mean, scale, NULL, 0};
    const double start = floor(laplace_inverse(mean, scale, ((double)quantile + 0.5) * (1.0 / (double)TOTAL)) + 0.5);
    return search(&c, saturating_i32(start), quantile, left, probability);
}

/* at most this many scales get a cache (the codec's grid has 225) */
#define LQ_CACHE_MAX_SCALES 4096

int lq_cache_init(LqCache *cache, const double *scales, int64_t n_scales) {
    cache->scales = scales;
    cache->n_scales = n_scales;
    cache->entries = NULL;
    if (n_scales > LQ_CACHE_MAX_SCALES) return 0; /* lq_cached_symbol computes every one */
    /* zeroed lazily by the system for an allocation this size: rows of unused scales cost nothing */
    cache->entries = calloc((size_t)n_scales * 2 * LQ_CACHE_REACH, sizeof(uint32_t));
    return cache->entries == NULL ? -1 : 0;
}

void lq_cache_release(LqCache *cache) {
    free(cache->entries);
    cache->entries = NULL;
}

int32_t lq_cached_symbol(LqCache *cache, double mean, int64_t scale_index, uint32_t quantile, uint32_t *left,
                         uint32_t *probability) {
    const double mean16 = mean * 16.0; /* exact: a power of two */
    Cumulatives c = {mean, cache->scales[scale_index], NULL, 0};
    int64_t start;
    if (cache->entries == NULL || !(mean16 >= -1099511627776.0 && mean16 <= 1099511627776.0) || mean16 != floor(mean16))
        return lq_symbol(mean, c.scale, quantile, left, probability);
    c.mean16 = (int64_t)mean16;
    c.row = cache->entries + (scale_index * 2 + 1) * LQ_CACHE_REACH;
    /* from the bin that holds the mean: floor((16 mean + 8) / 16) (|mean16| <= 2**40), in the support */
    start = (c.mean16 + 8 + ((int64_t)1 << 44)) / 16 - ((int64_t)1 << 40);
    start = start < LQ_SYMBOL_MIN ? LQ_SYMBOL_MIN : start > LQ_SYMBOL_MAX ? LQ_SYMBOL_MAX : start;
    return search(&c, (int32_t)start, quantile, left, probability);
}
