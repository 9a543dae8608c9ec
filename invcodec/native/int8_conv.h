/* One convolution layer of the int8 format (runtime/int8.py): int8 weights, integer
 * activations, a bias, then the output onto a coarser power-of-two grid (floor), clipped,
 * optionally added to a residual stream and clipped again. All integers: int16 inputs,
 * int32 sums (every partial sum below 2**24, checked when the layer is made). */
#ifndef INVCODEC_INT8_CONV_H
#define INVCODEC_INT8_CONV_H

#include <stdint.h>

#define INT8_CONV_EXACT_LIMIT ((int64_t)1 << 24)
#define INT8_CONV_LANES 16  /* output channels per vector (padded with zero weights) */
#define INT8_CONV_BLOCK 8   /* pixels of a row done together */
#define INT8_CONV_MAX_CHANNELS 512  /* outputs */
#define INT8_CONV_MAX_INPUTS 4096
/* The paths, all giving the same integers: the portable C, AVX2, AVX-512 VNNI */
#define INT8_CONV_PATH_PORTABLE 0
#define INT8_CONV_PATH_AVX2 1
#define INT8_CONV_PATH_VNNI 2

typedef struct {
    int32_t out_channels, in_channels, k;
    int32_t in_pairs;    /* ceil(in_channels / 2): inputs go in pairs of int16 */
    int32_t in_quads;    /* ceil(in_channels / 4): or in quads of uint8, where all lie within 0..255 */
    int32_t out_padded;  /* out_channels rounded up to INT8_CONV_LANES */
    int32_t in_limit;    /* the largest |input| the sums' bound was checked for */
    int16_t *weights;    /* [k*k*in_pairs][out_padded][2]: tap (ky, kx), pair q, output o, member */
    int8_t *weights8;    /* [k*k*in_quads][out_padded][4]: the same by quads (the vector path's bytes) */
    int32_t *bias;       /* [out_padded] */
    int vector;          /* the path that runs: INT8_CONV_PATH_* */
} Int8Conv;

/* Packs weights (out, in, k, k) int8 and bias (out) int32, picks the widest path up to
 * ``allow_vector`` the CPU has; 0, or -1 without memory. The caller has checked the bound
 * sum |w_o| * in_limit + |b_o| < 2**24 for every output channel o. */
int int8_conv_init(Int8Conv *conv, const int8_t *weights, const int32_t *bias, int32_t out_channels,
                   int32_t in_channels, int32_t k, int32_t in_limit, int allow_vector);
void int8_conv_release(Int8Conv *conv);

/* Whether every input lies within +-in_limit (else the sums' bound does not hold). */
int int8_conv_inputs_fit(const Int8Conv *conv, const int16_t *x, int64_t count);

/* What follows the sums when a layer's activations are wanted: per element (pixel i,
 * channel o), v = floor(sum * 2**shift[o]) clipped to [lo, hi]; with a residual,
 * v = residual + v clipped to [sum_lo, sum_hi]; into out (int16). shift in [-62, 38],
 * the final bounds within int16 (the caller checks). */
typedef struct {
    const int32_t *shift;
    int64_t lo, hi;
    const int16_t *residual;  /* NULL: none; else (pixels, residual_channels), channel o at residual[o] */
    int64_t residual_channels;
    int64_t sum_lo, sum_hi;
    int16_t *out;
} Int8Activation;

/* The layer on x (height, width, in), 'same' zero padding: with ``act`` NULL, the sums
 * (bias + convolution) into acc (height, width, out) int32; else the activations into
 * act->out (acc unused). 0, or -1 without memory. */
int int8_conv_run(const Int8Conv *conv, const int16_t *x, int32_t height, int32_t width, int32_t *acc,
                  const Int8Activation *act);

#endif
