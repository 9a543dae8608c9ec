/* The autoregressive architecture's plane nets in exact integer arithmetic. */
#ifndef INVCODEC_AR_NET_H
#define INVCODEC_AR_NET_H

#include <stdint.h>

#define AR_NET_MAX_PLANES 3
#define AR_NET_MAX_HIDDEN 256
#define AR_NET_PATH_AVX2 1 /* ArNet.vector: the paths, 0 the portable C */
#define AR_NET_PATH_VNNI 2

/* One net per plane, the planes' nets of one width. Weights are integers on the grids
 * of runtime/autoregressive.py; every accumulator is an int64 below 2**53 in magnitude
 * for any input within the model's ranges (checked when the model loads). */
typedef struct {
    int32_t planes;
    int32_t features;  /* columns of a plane's feature vector (every plane padded to the widest) */
    int32_t hidden;
    int32_t used[AR_NET_MAX_PLANES];  /* the leading feature columns each plane's net reads */
    int32_t first_shift;  /* layer 1's sums -> activations: floor(x / 2**first_shift) */
    int32_t second_shift; /* layer 2's */
    int32_t out_shift;    /* the outputs' accumulators -> integers, rounding half up */
    int32_t act_limit;    /* activations saturate here */
    int32_t mean_steps;   /* the mean's grid: 1 / mean_steps */
    int32_t n_scales;     /* scale indices 0 .. n_scales - 1 */
    int32_t narrow_first; /* layer 1's weighted sums (before the bias) fit int32 for any input */
    int32_t vector;       /* the path: 0 portable, AR_NET_PATH_AVX2 or _VNNI (ar_net_prepare decides) */
    int32_t second_split; /* vector layer 2 on int16 multiply-adds: activations split at 2**second_split (0: int64 lanes) */
    int64_t lo[AR_NET_MAX_PLANES], hi[AR_NET_MAX_PLANES];  /* each plane's value range */
    int32_t *w1;     /* [plane][feature][hidden] */
    int32_t *skip;   /* [plane][feature]: the linear skip, on the output grid */
    int64_t *b1;     /* [plane][hidden + 1]: the last one the skip's bias */
    int64_t *w_rate; /* [plane][hidden + 1]: times the rate input, added to b1 */
    int32_t *w2;     /* [plane][hidden in][hidden out] */
    int64_t *b2;     /* [plane][hidden] */
    int32_t *w3;     /* [plane][hidden][2]: mean, scale */
    int64_t *b3;     /* [plane][2] */
    /* the vector paths' copies (ar_net_prepare), NULL without them */
    int16_t *w1_pairs; /* [plane][feature pair][hidden][2]: layer 1 two features at a time, int16 */
    int64_t *w2_wide;  /* w2 sign-extended: each 64-bit lane a multiplier as is (second_split 0) */
    int16_t *w2_pairs; /* [plane][input pair][hidden][2]: w2 clamped to int16 (second_split > 0) */
    int32_t *w2_excess; /* [k][3]: input, output, w2 minus its clamp, for the few weights beyond int16 */
    int32_t excess_start[AR_NET_MAX_PLANES + 1]; /* plane p's excess weights: rows excess_start[p] .. [p + 1] - 1 */
} ArNet;

/* Picks the path, the fastest up to ``allow_vector`` (an AR_NET_PATH) that the CPU has and
 * the model fits: AVX2 for layer 1 in int16 x int16 -> int32 and a width a multiple of 8,
 * AVX-512 (F, BW, DQ, VL, VNNI) for a multiple of 16; makes its copies of the weights,
 * layer 2's too where its bound allows the int16 multiply-adds (see second_split). 0, or
 * -1 out of memory. */
int ar_net_prepare(ArNet *net, int32_t allow_vector, double feature_limit);

/* Frees what ar_net_prepare made. */
void ar_net_release(ArNet *net);

/* One sample's prior: its mean in 1/mean_steps units (clipped to the plane's range) and its
 * scale index, from its features (net->used[plane] of them) and its reference value. */
void ar_net_eval(const ArNet *net, int32_t plane, const int32_t *features, int64_t reference, int64_t rate,
                 int64_t *mean_steps, int64_t *scale_index);

#endif
