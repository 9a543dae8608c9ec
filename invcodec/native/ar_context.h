/* What a sample's net reads: its own plane's causal neighbours and the earlier planes
 * around it, each minus its plane's reference floor((west + north) / 2). */
#ifndef INVCODEC_AR_CONTEXT_H
#define INVCODEC_AR_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "ar_net.h"

#define AR_CONTEXT_MAX_OFFSETS 64

/* The neighbourhood, as (rows up, columns left) pairs; all within ``pad`` of the sample. */
typedef struct {
    int32_t causal_count, earlier_count;
    int32_t causal[AR_CONTEXT_MAX_OFFSETS][2];
    int32_t earlier[AR_CONTEXT_MAX_OFFSETS][2];
    int32_t causal_west, causal_north;    /* which causal pairs are the west and north neighbours */
    int32_t earlier_west, earlier_north;  /* which earlier pairs are */
    int32_t pad;   /* the zero border around every plane */
    int32_t lag;   /* the decoder's schedule: wavefronts between one plane and the next */
} ArContext;

/* The padded planes: ``planes`` of (height + 2 pad) x (width + 2 pad) int32 samples, stacked. */
typedef struct {
    int32_t *samples;
    int64_t height, width;
    int64_t stride;      /* width + 2 pad */
    int64_t plane_size;  /* (height + 2 pad) * stride */
} ArPlanes;

/* Flat offsets (from a sample's place in its plane) of each feature column of ``plane``:
 * ``offsets`` gets net->used[plane] of them, ``group`` which reference each one takes. */
typedef struct {
    int64_t offsets[AR_CONTEXT_MAX_OFFSETS * AR_NET_MAX_PLANES];
    int32_t group[AR_CONTEXT_MAX_OFFSETS * AR_NET_MAX_PLANES];
    int64_t west[AR_NET_MAX_PLANES], north[AR_NET_MAX_PLANES];  /* per group: group 0 the plane itself, g >= 1 plane g - 1 */
    int32_t count, groups;
} ArGather;

void ar_gather_init(ArGather *gather, const ArContext *context, const ArPlanes *planes, int32_t plane);

/* ``features`` (gather->count) and the reference of the sample at padded place ``place`` */
void ar_gather(const ArGather *gather, const int32_t *plane_start, int64_t place, int32_t *features, int64_t *reference);

#endif
