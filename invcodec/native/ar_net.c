/* The plane nets: features -> relu layer -> relu layer -> (mean, scale), all in int64.
 * Every product is int32 x int32 and every partial sum stays below 2**53 (the model's
 * load checks that bound), so the results are the same for any summation order, compiler
 * or vector width. */
#include "ar_net.h"

/* Integer results do not depend on the vector width: where the toolchain can, also build
 * an AVX2 version (its widening 32 x 32 -> 64-bit multiplies) and pick it at load. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(INVCODEC_NO_CLONES)
#define AR_NET_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
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

/* The net for a given width; inlined with ``hidden`` a constant where it is one, so that
 * the accumulators stay in vector registers. ``narrow``: layer 1's weighted sums fit int32
 * (net->narrow_first), which doubles the products per vector instruction. */
AR_NET_INLINE void eval_width(const ArNet *net, int32_t plane, const int32_t *features,
                                                           int64_t reference, int64_t rate, int64_t *mean_steps,
                                                           int64_t *scale_index, const int32_t hidden, const int narrow) {
    const int32_t used = net->used[plane];
    const int32_t *w1 = net->w1 + (int64_t)plane * net->features * hidden;
    const int32_t *skip = net->skip + (int64_t)plane * net->features;
    const int64_t *b1 = net->b1 + (int64_t)plane * (hidden + 1);
    const int64_t *w_rate = net->w_rate + (int64_t)plane * (hidden + 1);
    const int32_t *w2 = net->w2 + (int64_t)plane * hidden * hidden;
    const int64_t *b2 = net->b2 + (int64_t)plane * hidden;
    const int32_t *w3 = net->w3 + (int64_t)plane * hidden * 2;
    const int64_t *b3 = net->b3 + (int64_t)plane * 2;
    int64_t acc[AR_NET_MAX_HIDDEN];
    int32_t sum[AR_NET_MAX_HIDDEN];
    int32_t act[AR_NET_MAX_HIDDEN];
    int64_t linear = b1[hidden] + w_rate[hidden] * rate;
    int64_t mean, scale;
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

    mean = b3[0] + linear;
    scale = b3[1];
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

AR_NET_VECTOR_CLONES
void ar_net_eval(const ArNet *net, int32_t plane, const int32_t *features, int64_t reference, int64_t rate,
                 int64_t *mean_steps, int64_t *scale_index) {
    if (net->narrow_first && net->hidden == 32)
        eval_width(net, plane, features, reference, rate, mean_steps, scale_index, 32, 1);
    else if (net->narrow_first && net->hidden == 64)
        eval_width(net, plane, features, reference, rate, mean_steps, scale_index, 64, 1);
    else
        eval_width(net, plane, features, reference, rate, mean_steps, scale_index, net->hidden, net->narrow_first);
}
