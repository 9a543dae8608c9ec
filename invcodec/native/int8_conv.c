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
#define INT8_CONV_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define INT8_CONV_AVX2_TARGET __attribute__((target("avx2")))
#endif

/* The portable C built for AVX2 too where the toolchain can (the same integers: exact sums) */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(INVCODEC_NO_AVX2)
#define INT8_CONV_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define INT8_CONV_CLONES
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
    const int32_t pairs = (in_channels + 1) / 2, quads = (in_channels + 3) / 4, padded = (out_channels + INT8_CONV_LANES - 1) / INT8_CONV_LANES * INT8_CONV_LANES;
    int32_t o, i, ky, kx;
    memset(conv, 0, sizeof(*conv));
    conv->out_channels = out_channels;
    conv->in_channels = in_channels;
    conv->k = k;
    conv->in_pairs = pairs;
    conv->in_quads = quads;
    conv->out_padded = padded;
    conv->in_limit = in_limit;
    conv->weights = calloc((size_t)k * k * pairs * padded * 2, sizeof(int16_t));
    conv->weights8 = calloc((size_t)k * k * quads * padded * 4, sizeof(int8_t));
    conv->bias = calloc((size_t)padded, sizeof(int32_t));
    if (conv->weights == NULL || conv->weights8 == NULL || conv->bias == NULL) {
        int8_conv_release(conv);
        return -1;
    }
    for (o = 0; o < out_channels; o++) {
        conv->bias[o] = bias[o];
        for (i = 0; i < in_channels; i++)
            for (ky = 0; ky < k; ky++)
                for (kx = 0; kx < k; kx++) {
                    const int64_t row = (int64_t)(ky * k + kx) * pairs + i / 2;
                    const int64_t row8 = (int64_t)(ky * k + kx) * quads + i / 4;
                    const int8_t v = weights[((int64_t)(o * in_channels + i) * k + ky) * k + kx];
                    conv->weights[(row * padded + o) * 2 + i % 2] = v;
                    conv->weights8[(row8 * padded + o) * 4 + i % 4] = v;
                }
    }
#ifdef INT8_CONV_VNNI
    if (allow_vector >= INT8_CONV_PATH_VNNI && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        conv->vector = INT8_CONV_PATH_VNNI;
    else if (allow_vector >= INT8_CONV_PATH_AVX2 && __builtin_cpu_supports("avx2"))
        conv->vector = INT8_CONV_PATH_AVX2;
#else
    (void)allow_vector;
#endif
    return 0;
}

void int8_conv_release(Int8Conv *conv) {
    free(conv->weights);
    free(conv->weights8);
    free(conv->bias);
    conv->weights = NULL;
    conv->weights8 = NULL;
    conv->bias = NULL;
}

int int8_conv_inputs_fit(const Int8Conv *conv, const int16_t *x, int64_t count) {
    int64_t i;
    int bad = 0;
    for (i = 0; i < count; i++) bad |= x[i] > conv->in_limit || x[i] < -conv->in_limit;
    return !bad;
}

/* The activation of one element (the reference's rule, in int64). */
static int16_t activate(int64_t sum, int32_t shift, const Int8Activation *act, int64_t pixel, int32_t channel) {
    int64_t v = shift >= 0 ? sum * ((int64_t)1 << shift) : floor_shift(sum, -shift);
    v = clip(v, act->lo, act->hi);
    if (act->residual != NULL) v = clip(act->residual[pixel * act->residual_channels + channel] + v, act->sum_lo, act->sum_hi);
    return (int16_t)v;
}

/* A block's sums (n pixels, out_channels each, in ``sums``) to its outputs from pixel ``first``. */
static void finish_block(const Int8Conv *conv, const int32_t *sums, int64_t first, int32_t n, int32_t *acc,
                         const Int8Activation *act) {
    const int32_t O = conv->out_channels;
    int32_t j, o;
    if (act == NULL) {
        memcpy(acc + first * O, sums, (size_t)n * O * sizeof(int32_t));
        return;
    }
    for (j = 0; j < n; j++)
        for (o = 0; o < O; o++)
            act->out[(first + j) * O + o] = activate(sums[(int64_t)j * O + o], act->shift[o], act, first + j, o);
}

/* One output row's block of n <= INT8_CONV_BLOCK pixels, portable C, into ``sums``
 * (n, out_channels). ``rows``: the padded input rows y .. y+k-1 (pairs of channels) from
 * the block's first pixel on, each with INT8_CONV_BLOCK + k - 1 pixels readable. */
INT8_CONV_CLONES
static void block_portable(const Int8Conv *conv, const int16_t *const *rows, int32_t n, int32_t *sums) {
    const int32_t P2 = 2 * conv->in_pairs, O = conv->out_channels, padded = conv->out_padded, taps = conv->k * conv->in_pairs;
    int32_t j, ky, t, o;
    for (j = 0; j < n; j++) {
        int32_t s[INT8_CONV_MAX_CHANNELS];  /* a local: no aliasing, the compiler vectorizes over o */
        for (o = 0; o < padded; o++) s[o] = conv->bias[o];
        for (ky = 0; ky < conv->k; ky++) {
            const int16_t *x = rows[ky] + (int64_t)j * P2;
            const int16_t *w = conv->weights + (int64_t)ky * taps * padded * 2;
            for (t = 0; t < taps; t++, w += padded * 2) {
                const int32_t a = x[2 * t], b = x[2 * t + 1];
                if ((a | b) == 0) continue;  /* zero padding and zero activations (after a relu): nothing to add */
                for (o = 0; o < padded; o++) s[o] += a * w[2 * o] + b * w[2 * o + 1];
            }
        }
        memcpy(sums + (int64_t)j * O, s, (size_t)O * sizeof(int32_t));
    }
}

#ifdef INT8_CONV_VNNI
/* The activation's shifts as two per-lane counts (one of them zero), where the vector
 * epilogue is exact: left shifts of at most 7 keep |sum| < 2**24 below 2**31, and a right
 * shift of a two's complement int32 is a floor (srav: >= 32 leaves the sign, the floor too). */
typedef struct {
    __m512i left, right, lo, hi, sum_lo, sum_hi;
} VectorActivation;

static int32_t clip32(int64_t v) {
    return (int32_t)clip(v, -((int64_t)1 << 30), (int64_t)1 << 30);  /* |v| < 2**31 after the shift: the same clamps */
}

INT8_CONV_VNNI_TARGET
static int vector_activation(const Int8Conv *conv, const Int8Activation *act, VectorActivation *va, int32_t c) {
    int32_t left[INT8_CONV_LANES], right[INT8_CONV_LANES], o;
    for (o = 0; o < INT8_CONV_LANES; o++) {
        const int32_t s = c + o < conv->out_channels ? act->shift[c + o] : 0;
        if (s > 7) return 0;
        left[o] = s > 0 ? s : 0;
        right[o] = s < 0 ? (s < -31 ? 31 : -s) : 0;
    }
    va->left = _mm512_loadu_si512((const void *)left);
    va->right = _mm512_loadu_si512((const void *)right);
    va->lo = _mm512_set1_epi32(clip32(act->lo));
    va->hi = _mm512_set1_epi32(clip32(act->hi));
    va->sum_lo = _mm512_set1_epi32(clip32(act->sum_lo));
    va->sum_hi = _mm512_set1_epi32(clip32(act->sum_hi));
    return 1;
}

/* The block's sums, 16 output channels per vpdpwssd (each adds two int16 products per
 * lane) or per vpdpbusd (four uint8 x int8 products: inputs within 0..255), ``chunks``
 * (1 or 2) groups of 16 channels from channel c at a time, then either the activation
 * in registers (``va``) or the sums into ``sums`` (n, out_channels). */
#define VNNI_BLOCK(NAME, CHUNKS, TYPE, WEIGHTS, GROUPS, GROUP, DOT)                                                      \
    INT8_CONV_VNNI_TARGET                                                                                                 \
    static void NAME(const Int8Conv *conv, const void *const *rows, int32_t n, int32_t c,                               \
                     const VectorActivation *va, const Int8Activation *act, int64_t first, int32_t *sums) {               \
        const int32_t P2 = GROUP * conv->GROUPS, O = conv->out_channels, padded = conv->out_padded;                      \
        const int32_t taps = conv->k * conv->GROUPS;                                                                      \
        __m512i acc[CHUNKS][INT8_CONV_BLOCK];                                                                             \
        int32_t j, ky, t, h;                                                                                              \
        for (h = 0; h < CHUNKS; h++) {                                                                                    \
            const __m512i bias = _mm512_loadu_si512((const void *)(conv->bias + c + h * INT8_CONV_LANES));                \
            for (j = 0; j < INT8_CONV_BLOCK; j++) acc[h][j] = bias;                                                       \
        }                                                                                                                 \
        for (ky = 0; ky < conv->k; ky++) {                                                                                \
            const TYPE *x = rows[ky];                                                                                     \
            const int8_t *w = (const int8_t *)(conv->WEIGHTS + ((int64_t)ky * taps * padded + c) * GROUP);               \
            for (t = 0; t < taps; t++, w += padded * 4) {                                                                 \
                __m512i weights[CHUNKS];                                                                                  \
                for (h = 0; h < CHUNKS; h++) weights[h] = _mm512_loadu_si512((const void *)(w + h * 4 * INT8_CONV_LANES)); \
                for (j = 0; j < INT8_CONV_BLOCK; j++) {                                                                   \
                    int32_t pair;                                                                                         \
                    __m512i xs;                                                                                           \
                    memcpy(&pair, x + (int64_t)j * P2 + GROUP * t, sizeof(pair));                                         \
                    xs = _mm512_set1_epi32(pair);                                                                         \
                    for (h = 0; h < CHUNKS; h++) acc[h][j] = DOT(acc[h][j], xs, weights[h]);                              \
                }                                                                                                         \
            }                                                                                                             \
        }                                                                                                                 \
        for (h = 0; h < CHUNKS; h++) {                                                                                    \
            const int32_t base = c + h * INT8_CONV_LANES;                                                                 \
            const int lanes = O - base < INT8_CONV_LANES ? O - base : INT8_CONV_LANES;                                   \
            const __mmask16 mask = (__mmask16)((1u << lanes) - 1);                                                        \
            for (j = 0; j < n; j++) {                                                                                     \
                const int64_t e = (first + j) * O + base;                                                                 \
                if (va == NULL) {                                                                                         \
                    _mm512_mask_storeu_epi32((void *)(sums + (int64_t)j * O + base), mask, acc[h][j]);                    \
                    continue;                                                                                             \
                }                                                                                                         \
                {                                                                                                         \
                    const VectorActivation *a = va + h;                                                                   \
                    __m512i v = _mm512_srav_epi32(_mm512_sllv_epi32(acc[h][j], a->left), a->right);                       \
                    v = _mm512_max_epi32(_mm512_min_epi32(v, a->hi), a->lo);                                              \
                    if (act->residual != NULL) {                                                                          \
                        const __m512i r = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(mask, act->residual + (first + j) * act->residual_channels + base)); \
                        v = _mm512_max_epi32(_mm512_min_epi32(_mm512_add_epi32(v, r), a->sum_hi), a->sum_lo);             \
                    }                                                                                                     \
                    _mm512_mask_cvtepi32_storeu_epi16((void *)(act->out + e), mask, v);                                   \
                }                                                                                                         \
            }                                                                                                             \
        }                                                                                                                 \
    }
VNNI_BLOCK(block_vnni_16, 1, int16_t, weights, in_pairs, 2, _mm512_dpwssd_epi32)
VNNI_BLOCK(block_vnni_32, 2, int16_t, weights, in_pairs, 2, _mm512_dpwssd_epi32)
VNNI_BLOCK(block_bytes_16, 1, uint8_t, weights8, in_quads, 4, _mm512_dpbusd_epi32)
VNNI_BLOCK(block_bytes_32, 2, uint8_t, weights8, in_quads, 4, _mm512_dpbusd_epi32)

/* AVX2 (no VNNI): 4 pixels x 16 output channels at a time, vpmaddwd (two int16 products
 * per lane, summed: exact, |x| <= 1023 and |w| <= 127) then vpaddd; the sums into ``sums``. */
INT8_CONV_AVX2_TARGET
static void block_avx2(const Int8Conv *conv, const int16_t *const *rows, int32_t n, int32_t *sums) {
    const int32_t P2 = 2 * conv->in_pairs, O = conv->out_channels, padded = conv->out_padded, taps = conv->k * conv->in_pairs;
    int32_t block[INT8_CONV_BLOCK * INT8_CONV_LANES];
    int32_t c, j0, j, ky, t, h;
    for (c = 0; c < padded; c += INT8_CONV_LANES) {
        const int lanes = O - c < INT8_CONV_LANES ? O - c : INT8_CONV_LANES;
        for (j0 = 0; j0 < INT8_CONV_BLOCK; j0 += 4) {
            __m256i acc[2][4];
            for (h = 0; h < 2; h++)
                for (j = 0; j < 4; j++) acc[h][j] = _mm256_loadu_si256((const __m256i *)(conv->bias + c + 8 * h));
            for (ky = 0; ky < conv->k; ky++) {
                const int16_t *x = rows[ky] + (int64_t)j0 * P2;
                const int16_t *w = conv->weights + ((int64_t)ky * taps * padded + c) * 2;
                for (t = 0; t < taps; t++, w += padded * 2) {
                    const __m256i w0 = _mm256_loadu_si256((const __m256i *)w), w1 = _mm256_loadu_si256((const __m256i *)(w + 16));
                    for (j = 0; j < 4; j++) {
                        int32_t pair;
                        __m256i xs;
                        memcpy(&pair, x + (int64_t)j * P2 + 2 * t, sizeof(pair));
                        xs = _mm256_set1_epi32(pair);
                        acc[0][j] = _mm256_add_epi32(acc[0][j], _mm256_madd_epi16(xs, w0));
                        acc[1][j] = _mm256_add_epi32(acc[1][j], _mm256_madd_epi16(xs, w1));
                    }
                }
            }
            for (j = 0; j < 4; j++)
                for (h = 0; h < 2; h++) _mm256_storeu_si256((__m256i *)(block + (j0 + j) * INT8_CONV_LANES + 8 * h), acc[h][j]);
        }
        for (j = 0; j < n; j++) memcpy(sums + (int64_t)j * O + c, block + j * INT8_CONV_LANES, (size_t)lanes * sizeof(int32_t));
    }
}
#endif

/* Input row r of x into a padded row (groups of ``group`` channels: int16 pairs, or uint8
 * quads when ``group`` is 4; its borders and missing channels stay zero), or zeros where
 * r is outside the image. */
static void fill_row(const Int8Conv *conv, const int16_t *x, int32_t height, int32_t width, int32_t r, void *row,
                     int64_t row_size, int32_t group) {
    const int32_t pad = conv->k / 2, I = conv->in_channels;
    const int32_t stride = group == 4 ? 4 * conv->in_quads : 2 * conv->in_pairs;
    const int16_t *src = x + (int64_t)r * width * I;
    int32_t xx, i;
    if (r < 0 || r >= height) {
        memset(row, 0, (size_t)row_size * (group == 4 ? 1 : 2));
        return;
    }
    if (group == 4) {
        uint8_t *dst = row;
        for (xx = 0; xx < width; xx++)
            for (i = 0; i < I; i++) dst[(int64_t)(xx + pad) * stride + i] = (uint8_t)src[(int64_t)xx * I + i];
    } else if (I == stride) {
        memcpy((int16_t *)row + (int64_t)pad * stride, src, (size_t)width * I * sizeof(int16_t));
    } else {
        int16_t *dst = row;
        for (xx = 0; xx < width; xx++)
            for (i = 0; i < I; i++) dst[(int64_t)(xx + pad) * stride + i] = src[(int64_t)xx * I + i];
    }
}

/* One block: the sums of n pixels (``rows`` at its first pixel) into their outputs. */
static void run_block(const Int8Conv *conv, const void *const *rows, int32_t n, int64_t first, int32_t *acc,
                      const Int8Activation *act, const void *vector_act, int bytes, int32_t *sums) {
#ifdef INT8_CONV_VNNI
    if (conv->vector == INT8_CONV_PATH_AVX2) {
        block_avx2(conv, (const int16_t *const *)rows, n, sums);
        finish_block(conv, sums, first, n, acc, act);
        return;
    }
    if (conv->vector == INT8_CONV_PATH_VNNI) {
        const VectorActivation *va = vector_act;
        int32_t c;
        for (c = 0; c < conv->out_padded; c += 2 * INT8_CONV_LANES) {
            const VectorActivation *v = va != NULL ? &va[c / INT8_CONV_LANES] : NULL;
            const int two = conv->out_padded - c >= 2 * INT8_CONV_LANES;
            if (bytes)
                (two ? block_bytes_32 : block_bytes_16)(conv, rows, n, c, v, act, first, sums);
            else
                (two ? block_vnni_32 : block_vnni_16)(conv, rows, n, c, v, act, first, sums);
        }
        if (va == NULL) finish_block(conv, sums, first, n, acc, act);
        return;
    }
#endif
    (void)vector_act;
    (void)bytes;
    block_portable(conv, (const int16_t *const *)rows, n, sums);
    finish_block(conv, sums, first, n, acc, act);
}

/* Whether every input lies within 0..255 (the vector path then takes them as bytes). */
static int inputs_are_bytes(const int16_t *x, int64_t count) {
    int64_t i;
    int bad = 0;
    for (i = 0; i < count; i++) bad |= (uint16_t)x[i] > 255;
    return !bad;
}

int int8_conv_run(const Int8Conv *conv, const int16_t *x, int32_t height, int32_t width, int32_t *acc,
                  const Int8Activation *act) {
    const int32_t k = conv->k, pad = k / 2, P2 = 2 * conv->in_pairs;
    const int64_t pixels = (int64_t)height * width;
    const int bytes = conv->vector == INT8_CONV_PATH_VNNI && inputs_are_bytes(x, pixels * conv->in_channels);
    const int32_t group = bytes ? 4 : 2, stride = bytes ? 4 * conv->in_quads : P2;
    const int64_t row_size = ((int64_t)width + 2 * pad + INT8_CONV_BLOCK) * stride;  /* the slack: a last block's unused pixels */
    const int direct = k == 1 && !bytes && conv->in_channels == P2;  /* a 1x1 conv on int16 pairs reads x in place */
    const size_t element = bytes ? 1 : 2;
    const void *rows[3];
    char *ring = NULL;
    int16_t *tail;
    int32_t *sums;
    const void *vector_act = NULL;
    int32_t y, x0, ky;
    int64_t p0;
#ifdef INT8_CONV_VNNI
    VectorActivation va[INT8_CONV_MAX_CHANNELS / INT8_CONV_LANES];  /* per group of 16 output channels */
    int32_t c;
    if (conv->vector == INT8_CONV_PATH_VNNI && act != NULL) {
        vector_act = va;
        for (c = 0; vector_act != NULL && c < conv->out_padded; c += INT8_CONV_LANES)
            if (!vector_activation(conv, act, &va[c / INT8_CONV_LANES], c)) vector_act = NULL;
    }
#endif
    sums = malloc((size_t)INT8_CONV_BLOCK * conv->out_channels * sizeof(int32_t));
    tail = calloc((size_t)INT8_CONV_BLOCK * P2, sizeof(int16_t));
    if (!direct) ring = malloc((size_t)(k * row_size) * element);
    if (sums == NULL || tail == NULL || (ring == NULL && !direct)) {
        free(sums);
        free(tail);
        free(ring);
        return -1;
    }
    if (direct) {
        /* x as it is, one long row; the last block from a copy */
        for (p0 = 0; p0 < pixels; p0 += INT8_CONV_BLOCK) {
            const int32_t n = pixels - p0 < INT8_CONV_BLOCK ? (int32_t)(pixels - p0) : INT8_CONV_BLOCK;
            rows[0] = x + p0 * P2;
            if (n < INT8_CONV_BLOCK) {
                memcpy(tail, rows[0], (size_t)n * P2 * sizeof(int16_t));
                rows[0] = tail;
            }
            run_block(conv, rows, n, p0, acc, act, vector_act, 0, sums);
        }
    } else {
        /* k padded input rows in a ring: row r in slot (r + pad) % k */
        memset(ring, 0, (size_t)(k * row_size) * element);
        for (ky = 0; ky < k - 1; ky++) fill_row(conv, x, height, width, ky - pad, ring + ky * row_size * element, row_size, group);
        for (y = 0; y < height; y++) {
            const void *at[3];
            fill_row(conv, x, height, width, y + k - 1 - pad, ring + ((y + k - 1) % k) * row_size * element, row_size, group);
            for (x0 = 0; x0 < width; x0 += INT8_CONV_BLOCK) {
                const int32_t n = width - x0 < INT8_CONV_BLOCK ? width - x0 : INT8_CONV_BLOCK;
                for (ky = 0; ky < k; ky++) at[ky] = ring + (((y + ky) % k) * row_size + (int64_t)x0 * stride) * element;
                run_block(conv, at, n, (int64_t)y * width + x0, acc, act, vector_act, bytes, sums);
            }
        }
    }
    free(sums);
    free(tail);
    free(ring);
    return 0;
}
