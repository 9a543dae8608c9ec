/* constriction's QuantizedLaplace(-4096, 4095) at its default 24-bit precision: a
 * Laplace(mean, scale) quantized to integer bins, every symbol of the support given at
 * least probability 2**-24 (LeakyQuantizer). The coder's tables of the latents. */
#ifndef INVCODEC_LAPLACE_QUANTIZER_H
#define INVCODEC_LAPLACE_QUANTIZER_H

#include <stdint.h>

#define LQ_SYMBOL_MIN (-4096)
#define LQ_SYMBOL_MAX 4095
#define LQ_PRECISION 24

/* Left cumulative of ``symbol`` (LQ_SYMBOL_MIN..LQ_SYMBOL_MAX + 1: the total 2**24 past
 * the last), out of 2**24. ``scale`` > 0, both finite. */
uint32_t lq_left_cumulative(double mean, double scale, int32_t symbol);

/* The symbol whose interval [left, left + probability) holds ``quantile`` (< 2**24). */
int32_t lq_symbol(double mean, double scale, uint32_t quantile, uint32_t *left, uint32_t *probability);

/* Left cumulatives remembered per scale index for means on the 1/16 grid: there a bin
 * edge's distance to the mean, (s - 0.5) - mean, is the exact double k / 16 for the integer
 * k = 16 s - 8 - 16 mean, so its cumulative is a function of (k, scale) alone, the same
 * double operations whatever the mean. Entries within LQ_CACHE_REACH sixteenths of the
 * mean, computed when first read; one cache per stream (not shared between threads). */
#define LQ_CACHE_REACH 512
typedef struct LqCache {
    const double *scales;
    int64_t n_scales;
    uint32_t *entries; /* [scale index][k + LQ_CACHE_REACH]: 1 + the Laplace's part of the cumulative, 0 not yet known */
} LqCache;

/* 0, or -1 out of memory; the cache reads ``scales`` (n_scales of them) as long as it lives. */
int lq_cache_init(LqCache *cache, const double *scales, int64_t n_scales);
void lq_cache_release(LqCache *cache);

/* lq_symbol(mean, cache->scales[scale_index], ...), the same answer. */
int32_t lq_cached_symbol(LqCache *cache, double mean, int64_t scale_index, uint32_t quantile, uint32_t *left,
                         uint32_t *probability);

#endif
