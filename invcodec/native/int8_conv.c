/* The int8 format's convolution layer in integers. Products are int16 x int16 (inputs
 * within +-1023, weights int8), every partial sum below 2**24 in magnitude (checked when
 * the layer is made, and each call checks its inputs), so the int32 sums are exact in any
 * order: the vector and the portable paths give the same integers, which are also the
 * float32 GEMM's of the numpy reference. */
#include "int8_conv.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(INVCODEC_NO_AVX2)
#define INT8_CONV_VNNI 1
#include <immintrin.h>
#define INT8_CONV_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#endif

/* floor(value / 2**shift) for any sign: C's >> on a negative value is implementation-defined */
static int64_t floor_shift(int64_t value, int32_t shift) {
    return value >= 0 ? value >> shift : -((-value - 1) >> shift) - 1;
}

static int64_t clip(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

int int8_conv_init(Int8Conv *conv, const int8_t *weights, const int32_t *bias, int32_t out_channels,
                   int32_t in_channels, int32_t k, int32_t in_limit, int allow_vector) {
    const int32_t pairs = (in_channels + 1) / 2, padded = (out_channels + INT8_CONV_LANES - 1) / INT8_CONV_LANES * INT8_CONV_LANES;
    int32_t o, i, ky, kx;
    memset(conv, 0, sizeof(*conv));
    conv->out_channels = out_channels;
    conv->in_channels = in_channels;
    conv->k = k;
    conv->in_pairs = pairs;
    conv->out_padded = padded;
    conv->in_limit = in_limit;
    conv->weights = calloc((size_t)k * k * pairs * padded * 2, sizeof(int16_t));
    conv->bias = calloc((size_t)padded, sizeof(int32_t));
    if (conv->weights == NULL || conv->bias == NULL) {
        int8_conv_release(conv);
        return -1;
    }
    for (o = 0; o < out_channels; o++) {
        conv->bias[o] = bias[o];
        for (i = 0; i < in_channels; i++)
            for (ky = 0; ky < k; ky++)
                for (kx = 0; kx < k; kx++) {
                    const int64_t row = (int64_t)(ky * k + kx) * pairs + i / 2;
                    conv->weights[(row * padded + o) * 2 + i % 2] = weights[((int64_t)(o * in_channels + i) * k + ky) * k + kx];
                }
    }
#ifdef INT8_CONV_VNNI
    conv->vector = allow_vector && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
                   && __builtin_cpu_supports("avx512vnni");
#else
    (void)allow_vector;
#endif
    return 0;
}

void int8_conv_release(Int8Conv *conv) {
    free(conv->weights);
    free(conv->bias);
    conv->weights = NULL;
    conv->bias = NULL;
}

int int8_conv_inputs_fit(const Int8Conv *conv, const int16_t *x, int64_t count) {
    int64_t i;
    int bad = 0;
    for (i = 0; i < count; i++) bad |= x[i] > conv->in_limit || x[i] < -conv->in_limit;
    return !bad;
}

/* One output row's block of n <= INT8_CONV_BLOCK pixels from x0, portable C. ``rows``:
 * the padded input rows y .. y+k-1, each (padded width, 2 * in_pairs) int16. */
static void block_portable(const Int8Conv *conv, const int16_t *const *rows, int32_t x0, int32_t n, int32_t *out) {
    const int32_t P2 = 2 * conv->in_pairs, O = conv->out_channels, padded = conv->out_padded, taps = conv->k * conv->in_pairs;
    int32_t j, ky, t, o;
    for (j = 0; j < n; j++) {
        int32_t *acc = out + (int64_t)j * O;
        for (o = 0; o < O; o++) acc[o] = conv->bias[o];
        for (ky = 0; ky < conv->k; ky++) {
            const int16_t *x = rows[ky] + (int64_t)(x0 + j) * P2;
            const int16_t *w = conv->weights + (int64_t)ky * taps * padded * 2;
            for (t = 0; t < taps; t++, w += padded * 2) {
                const int32_t a = x[2 * t], b = x[2 * t + 1];
                if ((a | b) == 0) continue;  /* zero padding and zero activations (after a relu): nothing to add */
                for (o = 0; o < O; o++) acc[o] += a * w[2 * o] + b * w[2 * o + 1];
            }
        }
    }
}

#ifdef INT8_CONV_VNNI
/* The same block, 16 output channels per vpdpwssd (each adds two int16 products per lane). */
INT8_CONV_VNNI_TARGET
static void block_vnni(const Int8Conv *conv, const int16_t *const *rows, int32_t x0, int32_t n, int32_t *out) {
    const int32_t P2 = 2 * conv->in_pairs, O = conv->out_channels, padded = conv->out_padded, taps = conv->k * conv->in_pairs;
    int32_t c, j, ky, t;
    for (c = 0; c < padded; c += INT8_CONV_LANES) {
        const int lanes = O - c < INT8_CONV_LANES ? O - c : INT8_CONV_LANES;
        const __mmask16 mask = (__mmask16)((1u << lanes) - 1);
        __m512i acc[INT8_CONV_BLOCK];
        const __m512i bias = _mm512_loadu_si512((const void *)(conv->bias + c));
        for (j = 0; j < INT8_CONV_BLOCK; j++) acc[j] = bias;
        for (ky = 0; ky < conv->k; ky++) {
            const int16_t *x = rows[ky] + (int64_t)x0 * P2;
            const int16_t *w = conv->weights + ((int64_t)ky * taps * padded + c) * 2;
            for (t = 0; t < taps; t++, w += padded * 2) {
                const __m512i weights = _mm512_loadu_si512((const void *)w);
                for (j = 0; j < INT8_CONV_BLOCK; j++) {
                    int32_t pair;
                    memcpy(&pair, x + (int64_t)j * P2 + 2 * t, sizeof(pair));
                    acc[j] = _mm512_dpwssd_epi32(acc[j], _mm512_set1_epi32(pair), weights);
                }
            }
        }
        for (j = 0; j < n; j++) _mm512_mask_storeu_epi32((void *)(out + (int64_t)j * O + c), mask, acc[j]);
    }
}
#endif

int int8_conv_sums(const Int8Conv *conv, const int16_t *x, int32_t height, int32_t width, int32_t *acc) {
    const int32_t pad = conv->k / 2, P2 = 2 * conv->in_pairs, I = conv->in_channels;
    const int64_t padded_width = (int64_t)width + 2 * pad + INT8_CONV_BLOCK;  /* the slack: a last block's unused pixels */
    const int64_t row_size = padded_width * P2;
    const int16_t *rows[3];
    int16_t *padded;
    int32_t y, x0, r, xx;
    /* the padded input, pairs of channels (a zero channel where in_channels is odd) */
    padded = calloc((size_t)((height + 2 * pad) * row_size), sizeof(int16_t));
    if (padded == NULL) return -1;
    for (r = 0; r < height; r++)
        for (xx = 0; xx < width; xx++)
            memcpy(padded + (r + pad) * row_size + (int64_t)(xx + pad) * P2, x + ((int64_t)r * width + xx) * I,
                   (size_t)I * sizeof(int16_t));
    for (y = 0; y < height; y++) {
        for (r = 0; r < conv->k; r++) rows[r] = padded + (y + r) * row_size;
        for (x0 = 0; x0 < width; x0 += INT8_CONV_BLOCK) {
            const int32_t n = width - x0 < INT8_CONV_BLOCK ? width - x0 : INT8_CONV_BLOCK;
            int32_t *out = acc + ((int64_t)y * width + x0) * conv->out_channels;
#ifdef INT8_CONV_VNNI
            if (conv->vector) {
                block_vnni(conv, rows, x0, n, out);
                continue;
            }
#endif
            block_portable(conv, rows, x0, n, out);
        }
    }
    free(padded);
    return 0;
}

void int8_conv_activate(const int32_t *acc, int64_t pixels, int32_t channels, const int32_t *shift, int64_t lo,
                        int64_t hi, const int16_t *residual, int64_t sum_lo, int64_t sum_hi, int16_t *out) {
    int64_t i;
    int32_t o;
    for (i = 0; i < pixels; i++)
        for (o = 0; o < channels; o++) {
            const int64_t e = i * channels + o;
            int64_t v = acc[e];
            v = shift[o] >= 0 ? v * ((int64_t)1 << shift[o]) : floor_shift(v, -shift[o]);
            v = clip(v, lo, hi);
            if (residual != NULL) v = clip(residual[e] + v, sum_lo, sum_hi);
            out[e] = (int16_t)v;
        }
}
