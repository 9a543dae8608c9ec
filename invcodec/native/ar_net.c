/* The plane nets: features -> relu layer -> relu layer -> (mean, scale), in integers.
 * Every product is int32 x int32 (int16 x int16 in the vector paths' layers 1 and 2) and
 * every partial sum stays below 2**53 (2**31 where it is summed in int32; the model's load,
 * and ar_net_prepare for the vector paths' layer 2, check the bounds), so the results are
 * the same for any summation order, compiler or vector width. */
#include "ar_net.h"

#include <math.h>
#include <stdlib.h>

#include "ar_context.h"

/* Integer results do not depend on the vector width: where the toolchain can, AVX2 and
 * AVX-512 VNNI paths too, picked at run time (ar_net_prepare); the tests compare every one
 * to the reference. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(INVCODEC_NO_AVX2)
#define AR_NET_AVX2 1
#include <immintrin.h>
#define AR_NET_AVX2_TARGET __attribute__((target("avx2")))
#define AR_NET_VNNI 1
#define AR_NET_VNNI_TARGET __attribute__((target("avx2,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#endif
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(INVCODEC_NO_AVX2)
#define AR_NET_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))  /* the portable path too */
#else
#define AR_NET_VECTOR_CLONES
#endif
#if defined(__GNUC__)
#define AR_NET_INLINE static inline __attribute__((always_inline))
#else
#define AR_NET_INLINE static inline
#endif

/* floor(value / 2**shift) for any sign: C's >> on a negative value is implementation-defined */
static int64_t floor_shift(int64_t value, int32_t shift) {
    return value >= 0 ? value >> shift : -((-value - 1) >> shift) - 1;
}

/* relu, then floor to the activations' grid, then saturate (value >= 0 after the relu) */
static int32_t activation(int64_t value, int32_t shift, int32_t limit) {
    if (value <= 0) return 0;
    value >>= shift;
    return value > limit ? limit : (int32_t)value;
}

/* Layer 3 and the outputs: (mean in 1/mean_steps units, clipped; scale index, clipped) */
AR_NET_INLINE void outputs(const ArNet *net, int32_t plane, const int32_t *act, int64_t linear, int64_t reference,
                           int64_t *mean_steps, int64_t *scale_index, const int32_t hidden) {
    const int32_t *w3 = net->w3 + (int64_t)plane * hidden * 2;
    const int64_t *b3 = net->b3 + (int64_t)plane * 2;
    int64_t mean = b3[0] + linear, scale = b3[1];
    int32_t i;
    for (i = 0; i < hidden; i++) {
        mean += (int64_t)act[i] * w3[2 * i];
        scale += (int64_t)act[i] * w3[2 * i + 1];
    }
    mean = reference * net->mean_steps + floor_shift(mean + ((int64_t)1 << (net->out_shift - 1)), net->out_shift);
    scale = floor_shift(scale + ((int64_t)1 << (net->out_shift - 1)), net->out_shift);
    if (mean < net->lo[plane] * net->mean_steps) mean = net->lo[plane] * net->mean_steps;
    if (mean > net->hi[plane] * net->mean_steps) mean = net->hi[plane] * net->mean_steps;
    *mean_steps = mean;
    *scale_index = scale < 0 ? 0 : scale >= net->n_scales ? net->n_scales - 1 : scale;
}

/* The net for a given width; inlined with ``hidden`` a constant where it is one, so that
 * the accumulators stay in vector registers. ``narrow``: layer 1's weighted sums fit int32
 * (net->narrow_first), which doubles the products per vector instruction. */
AR_NET_INLINE void eval_width(const ArNet *net, int32_t plane, const int32_t *features, int64_t reference, int64_t rate,
                              int64_t *mean_steps, int64_t *scale_index, const int32_t hidden, const int narrow) {
    const int32_t used = net->used[plane];
    const int32_t *w1 = net->w1 + (int64_t)plane * net->features * hidden;
    const int32_t *skip = net->skip + (int64_t)plane * net->features;
    const int64_t *b1 = net->b1 + (int64_t)plane * (hidden + 1);
    const int64_t *w_rate = net->w_rate + (int64_t)plane * (hidden + 1);
    const int32_t *w2 = net->w2 + (int64_t)plane * hidden * hidden;
    const int64_t *b2 = net->b2 + (int64_t)plane * hidden;
    int64_t acc[AR_NET_MAX_HIDDEN];
    int32_t sum[AR_NET_MAX_HIDDEN];
    int32_t act[AR_NET_MAX_HIDDEN];
    int64_t linear = b1[hidden] + w_rate[hidden] * rate;
    int32_t i, j;

    if (narrow) {
        for (j = 0; j < hidden; j++) sum[j] = 0;
        for (i = 0; i < used; i++) {
            const int32_t x = features[i];
            const int32_t *row = w1 + (int64_t)i * hidden;
            for (j = 0; j < hidden; j++) sum[j] += x * row[j];
            linear += (int64_t)x * skip[i];
        }
        for (j = 0; j < hidden; j++) acc[j] = b1[j] + w_rate[j] * rate + sum[j];
    } else {
        for (j = 0; j < hidden; j++) acc[j] = b1[j] + w_rate[j] * rate;
        for (i = 0; i < used; i++) {
            const int32_t x = features[i];
            const int32_t *row = w1 + (int64_t)i * hidden;
            for (j = 0; j < hidden; j++) acc[j] += (int64_t)x * row[j];
            linear += (int64_t)x * skip[i];
        }
    }
    for (j = 0; j < hidden; j++) act[j] = activation(acc[j], net->first_shift, net->act_limit);

    for (j = 0; j < hidden; j++) acc[j] = b2[j];
    for (i = 0; i < hidden; i++) {
        const int32_t a = act[i];
        const int32_t *row = w2 + (int64_t)i * hidden;
        if (a == 0) continue;  /* the relu zeroes many of them */
        for (j = 0; j < hidden; j++) acc[j] += (int64_t)a * row[j];
    }
    for (j = 0; j < hidden; j++) act[j] = activation(acc[j], net->second_shift, net->act_limit);

    outputs(net, plane, act, linear, reference, mean_steps, scale_index, hidden);
}

#ifdef AR_NET_AVX2
/* The multiply-adds of the vector paths: sum + the int16 pairs of x times those of w[0..],
 * into int32 lanes; AVX2 (vpmaddwd, then an add) 8 lanes, AVX-512 VNNI (vpdpwssd) 16 */
static inline AR_NET_AVX2_TARGET __m256i dot_avx2(__m256i sum, __m256i x, const int16_t *w) {
    return _mm256_add_epi32(sum, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)w)));
}

static inline AR_NET_AVX2_TARGET void store_avx2(int32_t *to, __m256i sum) {
    _mm256_storeu_si256((__m256i *)to, sum);
}

#ifdef AR_NET_VNNI
static inline AR_NET_VNNI_TARGET __m512i dot_vnni(__m512i sum, __m512i x, const int16_t *w) {
    return _mm512_dpwssd_epi32(sum, x, _mm512_loadu_si512(w));
}

static inline AR_NET_VNNI_TARGET void store_vnni(int32_t *to, __m512i sum) {
    _mm512_storeu_si512(to, sum);
}
#endif

/* The nonzero entries of values[0..count) into kept, their positions into rows (each with
 * room for count + 16); returns how many. */
static inline AR_NET_AVX2_TARGET int32_t nonzero_avx2(const int32_t *values, int32_t count, int32_t *kept,
                                                      int32_t *rows) {
    int32_t n = 0, i;
    for (i = 0; i < count; i++) { /* listed without a branch */
        kept[n] = values[i];
        rows[n] = i;
        n += values[i] != 0;
    }
    return n;
}

#ifdef AR_NET_VNNI
static inline AR_NET_VNNI_TARGET int32_t nonzero_vnni(const int32_t *values, int32_t count, int32_t *kept,
                                                      int32_t *rows) {
    __m512i at = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int32_t n = 0, i;
    for (i = 0; i < count; i += 16) {
        const __mmask16 in = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const __m512i v = _mm512_maskz_loadu_epi32(in, values + i);
        const __mmask16 nonzero = _mm512_test_epi32_mask(v, v);
        /* the register form of compress: its store form is slow on some cores */
        _mm512_storeu_si512(kept + n, _mm512_maskz_compress_epi32(nonzero, v));
        _mm512_storeu_si512(rows + n, _mm512_maskz_compress_epi32(nonzero, at));
        n += __builtin_popcount(nonzero);
        at = _mm512_add_epi32(at, _mm512_set1_epi32(16));
    }
    return n;
}
#endif

/* two int16 values (either sign) as one int32 lane, the first in the low half */
static inline int32_t int16_pair(int32_t first, int32_t second) {
    return (int32_t)((uint32_t)(uint16_t)first | (uint32_t)(uint16_t)second << 16);
}

/* The vector paths' net, written once for each kind of multiply-add (dot_SUFFIX on VECTOR,
 * LANES int32 lanes, under TARGET).
 * pair_sums_SUFFIX: sums[j] = sum over k of the int16 pairs of pairs[k] times those of
 *   w[k][j][0..1] (the caller's bounds keep every partial sum below 2**31, so two chains
 *   summed apart, the even and the odd k, give the same; hidden a multiple of LANES).
 * second_sums_SUFFIX: layer 2's sums (before its bias) on int16 multiply-adds, each
 *   activation a = high 2**split + low with both parts below the bound that keeps the int32
 *   sums exact (ar_net_prepare), the high part's pass skipped when every activation is below
 *   2**split, then the few weights beyond int16 (their excess over the clamp) in int64.
 * eval_SUFFIX_width: layer 1 two features per int16 multiply-add into int32 (the sums fit:
 *   net->narrow_first), layer 2 likewise where net->second_split allows, else int32 x int32
 *   -> int64 multiplies on 64-bit lanes. */
#define AR_NET_VECTOR_PATH(SUFFIX, TARGET, VECTOR, LANES, BROADCAST, ADD)                                              \
    AR_NET_INLINE TARGET void pair_sums_##SUFFIX(const int16_t *w, const int32_t *pairs, const int32_t *rows,        \
                                                 int32_t count, int32_t *sums, const int32_t hidden) {                \
        const int32_t n = hidden / LANES, sets = n <= 4 ? 2 : 1; /* two chains of sums where registers allow */      \
        VECTOR sum[2][AR_NET_MAX_HIDDEN / LANES];                                                                     \
        int32_t h, j, k;                                                                                              \
        for (h = 0; h < sets; h++)                                                                                    \
            for (j = 0; j < n; j++) sum[h][j] = BROADCAST(0);                                                         \
        for (k = 0; k + sets <= count; k += sets) {                                                                   \
            for (h = 0; h < sets; h++) {                                                                              \
                const VECTOR x = BROADCAST(pairs[k + h]);                                                             \
                const int16_t *row = w + (int64_t)(rows ? rows[k + h] : k + h) * hidden * 2;                         \
                for (j = 0; j < n; j++) sum[h][j] = dot_##SUFFIX(sum[h][j], x, row + 2 * LANES * j);                  \
            }                                                                                                         \
        }                                                                                                             \
        if (k < count) {                                                                                              \
            const VECTOR x = BROADCAST(pairs[k]);                                                                     \
            const int16_t *row = w + (int64_t)(rows ? rows[k] : k) * hidden * 2;                                      \
            for (j = 0; j < n; j++) sum[0][j] = dot_##SUFFIX(sum[0][j], x, row + 2 * LANES * j);                      \
        }                                                                                                             \
        for (j = 0; j < n; j++) store_##SUFFIX(sums + LANES * j, sets == 2 ? ADD(sum[0][j], sum[1][j]) : sum[0][j]); \
    }                                                                                                                 \
                                                                                                                      \
    AR_NET_INLINE TARGET void second_sums_##SUFFIX(const ArNet *net, int32_t plane, const int32_t *act, int64_t *wide, \
                                                   const int32_t hidden) {                                            \
        const int32_t split = net->second_split, mask = (1 << split) - 1;                                             \
        const int16_t *w2 = net->w2_pairs + (int64_t)plane * hidden * hidden;                                         \
        const int32_t *excess = net->w2_excess;                                                                       \
        int32_t pairs[AR_NET_MAX_HIDDEN / 2], sums[AR_NET_MAX_HIDDEN], top = 0;                                       \
        int32_t kept[AR_NET_MAX_HIDDEN / 2 + 16], rows[AR_NET_MAX_HIDDEN / 2 + 16];                                   \
        int32_t i, j, k;                                                                                              \
        for (i = 0; i < hidden; i++) top |= act[i];                                                                   \
        for (i = 0; i < hidden / 2; i++) pairs[i] = int16_pair(act[2 * i] & mask, act[2 * i + 1] & mask);             \
        pair_sums_##SUFFIX(w2, pairs, NULL, hidden / 2, sums, hidden);                                                \
        for (j = 0; j < hidden; j++) wide[j] += sums[j];                                                              \
        if (top >> split) { /* few activations reach 2**split: their pairs only */                                    \
            for (i = 0; i < hidden / 2; i++) pairs[i] = int16_pair(act[2 * i] >> split, act[2 * i + 1] >> split);     \
            k = nonzero_##SUFFIX(pairs, hidden / 2, kept, rows);                                                      \
            pair_sums_##SUFFIX(w2, kept, rows, k, sums, hidden);                                                      \
            for (j = 0; j < hidden; j++) wide[j] += (int64_t)sums[j] * ((int64_t)1 << split);                         \
        }                                                                                                             \
        for (k = net->excess_start[plane]; k < net->excess_start[plane + 1]; k++)                                     \
            wide[excess[3 * k + 1]] += (int64_t)act[excess[3 * k]] * excess[3 * k + 2];                               \
    }                                                                                                                 \
                                                                                                                      \
    AR_NET_INLINE TARGET void eval_##SUFFIX##_width(const ArNet *net, int32_t plane, const int32_t *features,         \
                                                    int64_t reference, int64_t rate, int64_t *mean_steps,             \
                                                    int64_t *scale_index, const int32_t hidden) {                     \
        const int32_t used = net->used[plane], pairs = (net->features + 1) / 2;                                       \
        const int16_t *w1 = net->w1_pairs + (int64_t)plane * pairs * hidden * 2;                                      \
        const int32_t *skip = net->skip + (int64_t)plane * net->features;                                             \
        const int64_t *b1 = net->b1 + (int64_t)plane * (hidden + 1);                                                  \
        const int64_t *w_rate = net->w_rate + (int64_t)plane * (hidden + 1);                                          \
        const int64_t *b2 = net->b2 + (int64_t)plane * hidden;                                                        \
        int32_t feature_pairs[(AR_CONTEXT_MAX_OFFSETS * AR_NET_MAX_PLANES + 1) / 2];                                  \
        int32_t sums[AR_NET_MAX_HIDDEN], act[AR_NET_MAX_HIDDEN];                                                      \
        int64_t wide[AR_NET_MAX_HIDDEN];                                                                              \
        int64_t linear = b1[hidden] + w_rate[hidden] * rate;                                                          \
        int32_t i, j, k;                                                                                              \
        for (k = 0; 2 * k < used; k++)                                                                                \
            feature_pairs[k] = int16_pair(features[2 * k], 2 * k + 1 < used ? features[2 * k + 1] : 0);               \
        pair_sums_##SUFFIX(w1, feature_pairs, NULL, k, sums, hidden);                                                 \
        for (i = 0; i < used; i++) linear += (int64_t)features[i] * skip[i];                                          \
        for (j = 0; j < hidden; j++)                                                                                  \
            act[j] = activation(b1[j] + w_rate[j] * rate + sums[j], net->first_shift, net->act_limit);                \
        for (j = 0; j < hidden; j++) wide[j] = b2[j];                                                                 \
        if (net->second_split) {                                                                                      \
            second_sums_##SUFFIX(net, plane, act, wide, hidden);                                                      \
        } else {                                                                                                      \
            const int64_t *w2 = net->w2_wide + (int64_t)plane * hidden * hidden;                                      \
            __m256i acc[AR_NET_MAX_HIDDEN / 4];                                                                       \
            for (j = 0; j < hidden / 4; j++) acc[j] = _mm256_loadu_si256((const __m256i *)(wide + 4 * j));            \
            for (i = 0; i < hidden; i++) { /* no test for relu zeros: the branch mispredicts */                       \
                const int64_t *row = w2 + (int64_t)i * hidden;                                                        \
                const __m256i a = _mm256_set1_epi64x(act[i]);                                                         \
                for (j = 0; j < hidden / 4; j++)                                                                      \
                    acc[j] = _mm256_add_epi64(acc[j],                                                                 \
                                              _mm256_mul_epi32(a, _mm256_loadu_si256((const __m256i *)(row + 4 * j)))); \
            }                                                                                                         \
            for (j = 0; j < hidden / 4; j++) _mm256_storeu_si256((__m256i *)(wide + 4 * j), acc[j]);                  \
        }                                                                                                             \
        for (j = 0; j < hidden; j++) act[j] = activation(wide[j], net->second_shift, net->act_limit);                 \
        outputs(net, plane, act, linear, reference, mean_steps, scale_index, hidden);                                 \
    }                                                                                                                 \
                                                                                                                      \
    static TARGET void eval_##SUFFIX(const ArNet *net, int32_t plane, const int32_t *features, int64_t reference,     \
                                     int64_t rate, int64_t *mean_steps, int64_t *scale_index) {                       \
        if (net->hidden == 32)                                                                                        \
            eval_##SUFFIX##_width(net, plane, features, reference, rate, mean_steps, scale_index, 32);                \
        else if (net->hidden == 64)                                                                                   \
            eval_##SUFFIX##_width(net, plane, features, reference, rate, mean_steps, scale_index, 64);                \
        else if (net->hidden == 96)                                                                                   \
            eval_##SUFFIX##_width(net, plane, features, reference, rate, mean_steps, scale_index, 96);                \
        else                                                                                                          \
            eval_##SUFFIX##_width(net, plane, features, reference, rate, mean_steps, scale_index, net->hidden);       \
    }

AR_NET_VECTOR_PATH(avx2, AR_NET_AVX2_TARGET, __m256i, 8, _mm256_set1_epi32, _mm256_add_epi32)
#ifdef AR_NET_VNNI
AR_NET_VECTOR_PATH(vnni, AR_NET_VNNI_TARGET, __m512i, 16, _mm512_set1_epi32, _mm512_add_epi32)
#endif
#endif

#ifdef AR_NET_AVX2
static int32_t clamp_int16(int32_t w) {
    return w < -32768 ? -32768 : w > 32767 ? 32767 : w;
}

/* The split of the activations that keeps layer 2's int16 multiply-adds exact: the largest
 * s <= 15 such that activations below 2**s and their high parts (<= act_limit / 2**s) both
 * fit int16 and, times any output's sum of |clamped weights|, stay below 2**31; 0 if none. */
static int32_t second_split(const ArNet *net) {
    const int64_t H = net->hidden;
    double largest = 1.0;
    int64_t p, i, j;
    int32_t split;
    for (p = 0; p < net->planes; p++) {
        for (j = 0; j < H; j++) {
            double sum = 0.0;
            for (i = 0; i < H; i++) sum += fabs((double)clamp_int16(net->w2[(p * H + i) * H + j]));
            if (sum > largest) largest = sum;
        }
    }
    for (split = 15; split >= 1; split--) {
        const double low = (double)((1 << split) - 1), high = (double)(net->act_limit >> split);
        if (low * largest < 2147483648.0) return high <= 32767 && high * largest < 2147483648.0 ? split : 0;
    }
    return 0;
}

/* Layer 2's copies for its int16 path: the clamped weights in pairs, the excess list. 0, or
 * -1 out of memory; second_split 0 (the int64 lanes) where the excess is more than a row. */
static int prepare_second(ArNet *net) {
    const int64_t P = net->planes, H = net->hidden;
    int64_t p, i, j, n = 0;
    net->second_split = second_split(net);
    for (i = 0; i < P * H * H; i++) n += net->w2[i] != clamp_int16(net->w2[i]);
    if (net->second_split == 0 || n > H) {
        net->second_split = 0;
        return 0;
    }
    net->w2_pairs = malloc((size_t)(P * H * H) * sizeof(int16_t));
    net->w2_excess = malloc((size_t)(n > 0 ? 3 * n : 1) * sizeof(int32_t));
    if (net->w2_pairs == NULL || net->w2_excess == NULL) return -1;
    n = 0;
    for (p = 0; p < P; p++) {
        net->excess_start[p] = (int32_t)n;
        for (i = 0; i < H; i++) {
            for (j = 0; j < H; j++) {
                const int32_t w = net->w2[(p * H + i) * H + j], clamped = clamp_int16(w);
                net->w2_pairs[((p * H + i - i % 2) * H + 2 * j) + i % 2] = (int16_t)clamped;
                if (w != clamped) {
                    net->w2_excess[3 * n] = (int32_t)i;
                    net->w2_excess[3 * n + 1] = (int32_t)j;
                    net->w2_excess[3 * n + 2] = w - clamped;
                    n++;
                }
            }
        }
    }
    net->excess_start[P] = (int32_t)n;
    return 0;
}
#endif

int ar_net_prepare(ArNet *net, int32_t allow_vector, double feature_limit) {
    net->vector = 0;
    net->second_split = 0;
#ifdef AR_NET_AVX2
    {
        const int64_t P = net->planes, F = net->features, H = net->hidden, pairs = (F + 1) / 2;
        int64_t p, i, j, n = P * F * H;
        int fits = net->narrow_first && H % 8 == 0 && feature_limit <= 32767;
        for (i = 0; i < n && fits; i++) fits = net->w1[i] >= -32768 && net->w1[i] <= 32767;
        __builtin_cpu_init();
        if (!(allow_vector && fits && __builtin_cpu_supports("avx2"))) return 0;
        net->w1_pairs = calloc((size_t)(P * pairs * H * 2), sizeof(int16_t));
        if (net->w1_pairs == NULL || prepare_second(net) < 0) return -1;
        for (p = 0; p < P; p++)
            for (i = 0; i < F; i++)
                for (j = 0; j < H; j++)
                    net->w1_pairs[((p * pairs + i / 2) * H + j) * 2 + i % 2] = (int16_t)net->w1[(p * F + i) * H + j];
        if (net->second_split == 0) {
            net->w2_wide = malloc((size_t)(P * H * H) * sizeof(int64_t));
            if (net->w2_wide == NULL) return -1;
            for (i = 0; i < P * H * H; i++) net->w2_wide[i] = net->w2[i];
        }
        net->vector = AR_NET_PATH_AVX2;
#ifdef AR_NET_VNNI
        if (allow_vector >= AR_NET_PATH_VNNI && H % 16 == 0 && __builtin_cpu_supports("avx512f")
            && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512vnni"))
            net->vector = AR_NET_PATH_VNNI;
#endif
    }
#else
    (void)allow_vector;
    (void)feature_limit;
#endif
    return 0;
}

void ar_net_release(ArNet *net) {
    free(net->w1_pairs);
    free(net->w2_wide);
    free(net->w2_pairs);
    free(net->w2_excess);
    net->w1_pairs = NULL;
    net->w2_wide = NULL;
    net->w2_pairs = NULL;
    net->w2_excess = NULL;
}

AR_NET_VECTOR_CLONES
static void eval_portable(const ArNet *net, int32_t plane, const int32_t *features, int64_t reference, int64_t rate,
                          int64_t *mean_steps, int64_t *scale_index) {
    if (net->narrow_first && net->hidden == 32)
        eval_width(net, plane, features, reference, rate, mean_steps, scale_index, 32, 1);
    else if (net->narrow_first && net->hidden == 64)
        eval_width(net, plane, features, reference, rate, mean_steps, scale_index, 64, 1);
    else
        eval_width(net, plane, features, reference, rate, mean_steps, scale_index, net->hidden, net->narrow_first);
}

void ar_net_eval(const ArNet *net, int32_t plane, const int32_t *features, int64_t reference, int64_t rate,
                 int64_t *mean_steps, int64_t *scale_index) {
#ifdef AR_NET_AVX2
#ifdef AR_NET_VNNI
    if (net->vector == AR_NET_PATH_VNNI) {
        eval_vnni(net, plane, features, reference, rate, mean_steps, scale_index);
        return;
    }
#endif
    if (net->vector == AR_NET_PATH_AVX2) {
        eval_avx2(net, plane, features, reference, rate, mean_steps, scale_index);
        return;
    }
#endif
    eval_portable(net, plane, features, reference, rate, mean_steps, scale_index);
}
