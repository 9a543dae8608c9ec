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

#endif
