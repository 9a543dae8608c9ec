/* The features of a sample, read from the padded planes (see ar_context.h). */
#include "ar_context.h"

/* floor(value / 2) for any sign, without relying on >> of a negative value */
static int64_t floor_half(int64_t value) {
    return value >= 0 ? value / 2 : -((-value + 1) / 2);
}

void ar_gather_init(ArGather *gather, const ArContext *context, const ArPlanes *planes, int32_t plane) {
    const int64_t stride = planes->stride, size = planes->plane_size;
    int32_t n = 0, q, k;
    /* offsets relative to the start of ``plane``; earlier planes lie (plane - q) sizes before */
    for (k = 0; k < context->causal_count; k++, n++) {
        gather->offsets[n] = -(context->causal[k][0] * stride + context->causal[k][1]);
        gather->group[n] = 0;
    }
    gather->west[0] = -(context->causal[context->causal_west][0] * stride + context->causal[context->causal_west][1]);
    gather->north[0] = -(context->causal[context->causal_north][0] * stride + context->causal[context->causal_north][1]);
    for (q = 0; q < plane; q++) {
        const int64_t base = (int64_t)(q - plane) * size;
        for (k = 0; k < context->earlier_count; k++, n++) {
            gather->offsets[n] = base - (context->earlier[k][0] * stride + context->earlier[k][1]);
            gather->group[n] = q + 1;
        }
        gather->west[q + 1] = base - (context->earlier[context->earlier_west][0] * stride + context->earlier[context->earlier_west][1]);
        gather->north[q + 1] = base - (context->earlier[context->earlier_north][0] * stride + context->earlier[context->earlier_north][1]);
    }
    gather->count = n;
    gather->groups = plane + 1;
}

void ar_gather(const ArGather *gather, const int32_t *plane_start, int64_t place, int32_t *features, int64_t *reference) {
    const int32_t *at = plane_start + place;
    int64_t refs[AR_NET_MAX_PLANES];
    int32_t g, i;
    for (g = 0; g < gather->groups; g++) refs[g] = floor_half((int64_t)at[gather->west[g]] + at[gather->north[g]]);
    for (i = 0; i < gather->count; i++) features[i] = (int32_t)(at[gather->offsets[i]] - refs[gather->group[i]]);
    *reference = refs[0];
}
