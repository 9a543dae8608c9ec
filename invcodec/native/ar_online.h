/* The online stage of an autoregressive model's lossless stream: each plane's means moved
 * by a normalized LMS filter over the stage-1 errors of the sample's decoded neighbours,
 * its weights learnt from every sample as it is coded (exact integers, identical in the
 * encoder and the decoder). The net's scale index picks one of AR_ONLINE_CONTEXTS filters. */
#ifndef INVCODEC_AR_ONLINE_H
#define INVCODEC_AR_ONLINE_H

#include <stdint.h>

#include "ar_net.h"

#define AR_ONLINE_TAPS 6
#define AR_ONLINE_CONTEXT_SHIFT 5 /* filter = scale index >> 5 */
#define AR_ONLINE_CONTEXTS 8      /* covers scale indices below 256 */
#define AR_ONLINE_WEIGHT_BITS 24  /* weights on 2**-24 */
#define AR_ONLINE_RATE_BITS 10    /* the step size: 2**-10 */
#define AR_ONLINE_ERROR_LIMIT 2047 /* |a feature| (1/16 units) is clipped here */
#define AR_ONLINE_NORM_FLOOR 256  /* added to the features' squared norm: one unit of error, squared */
#define AR_ONLINE_WEIGHT_LIMIT ((int64_t)1 << 28) /* |a weight| <= 16: every sum below 2**53 */
#define AR_ONLINE_PAD 2           /* the taps reach 2 rows up and 2 columns left and 1 right */

/* One tile's filters and the stage-1 errors seen so far (1/16 units), each plane in a
 * zero-bordered (height + 2 pad) x (width + 2 pad) array. */
typedef struct {
    int32_t planes;
    int64_t height, width, stride, plane_size;
    int64_t weights[AR_NET_MAX_PLANES][AR_ONLINE_CONTEXTS][AR_ONLINE_TAPS];
    int32_t *errors;
} ArOnline;

/* What the filter read for one sample: needed again to learn from it. */
typedef struct {
    int64_t features[AR_ONLINE_TAPS];
    int64_t norm;
    int32_t context;
} ArOnlineInput;

/* 0, or -1 (out of memory or more planes than AR_NET_MAX_PLANES). */
int ar_online_init(ArOnline *online, int32_t planes, int64_t height, int64_t width);
void ar_online_release(ArOnline *online);

/* The corrected mean (1/16 units, clipped to [lo, hi]) of the sample at (row, column) of
 * ``plane`` whose net gave ``mean`` (1/16 units) and ``scale_index``; ``input`` keeps what
 * it read. The caller has checked row, column and plane within the tile. */
int64_t ar_online_mean(const ArOnline *online, int32_t plane, int64_t row, int64_t column, int64_t mean,
                       int64_t scale_index, int64_t lo, int64_t hi, ArOnlineInput *input);

/* Learns from the sample's coded ``value`` (1/16 units): its stage-1 error (value - the
 * net's mean) goes into the errors, the filter moves by value - the corrected mean. */
void ar_online_learn(ArOnline *online, int32_t plane, int64_t row, int64_t column, int64_t value, int64_t mean,
                     int64_t corrected, const ArOnlineInput *input);

/* The encoder's side: every corrected mean of one plane (raster order, 1/16 units) from
 * its samples (``steps`` 1/16 units each) and its net's means (1/16 units) and scale
 * indices, all raster order, the samples taken in the decoder's order (wavefronts
 * 2 row + column = t, rows increasing). */
void ar_online_plane(ArOnline *online, int32_t plane, const int64_t *values, int64_t steps, const int64_t *mean,
                     const int64_t *scale_index, int64_t lo, int64_t hi, int64_t *corrected);

#endif
