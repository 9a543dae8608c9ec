/* The coding loops over the padded planes (see ar_schedule.h). */
#include "ar_schedule.h"

/* exact: |steps| < 2**53 and mean_steps is a power of two */
static double ar_mean_value(const ArNet *net, int64_t steps) {
    return (double)steps / (double)net->mean_steps;
}

static int64_t place_of(const ArContext *context, const ArPlanes *planes, int64_t row, int64_t column) {
    return (row + context->pad) * planes->stride + column + context->pad;
}

void ar_front_rows(int64_t height, int64_t width, int64_t front, int64_t *first, int64_t *count) {
    /* rows r with 0 <= front - 2 r < width, 0 <= r < height */
    int64_t lo = front - (width - 1) > 0 ? (front - (width - 1) + 1) / 2 : 0;
    int64_t hi = front >= 0 ? front / 2 : -1;
    if (hi > height - 1) hi = height - 1;
    *first = lo;
    *count = front < 0 || hi < lo ? 0 : hi - lo + 1;
}

int64_t ar_step_size(const ArContext *context, int32_t planes, int64_t height, int64_t width, int64_t step) {
    int64_t total = 0, first, count;
    int32_t p;
    for (p = 0; p < planes; p++) {
        ar_front_rows(height, width, step - (int64_t)p * context->lag, &first, &count);
        total += count;
    }
    return total;
}

void ar_plane_params(const ArNet *net, const ArContext *context, const ArPlanes *planes, int32_t plane, int64_t rate,
                     double *mean, int64_t *scale_index) {
    const int32_t *start = planes->samples + plane * planes->plane_size;
    int32_t features[AR_CONTEXT_MAX_OFFSETS * AR_NET_MAX_PLANES];
    ArGather gather;
    int64_t row, column, reference, steps, i = 0;
    ar_gather_init(&gather, context, planes, plane);
    for (row = 0; row < planes->height; row++) {
        for (column = 0; column < planes->width; column++, i++) {
            ar_gather(&gather, start, place_of(context, planes, row, column), features, &reference);
            ar_net_eval(net, plane, features, reference, rate, &steps, &scale_index[i]);
            mean[i] = ar_mean_value(net, steps);
        }
    }
}

void ar_step_params(const ArNet *net, const ArContext *context, const ArPlanes *planes, int64_t step, int64_t rate,
                    const int64_t *moved, double *mean, int64_t *scale_index) {
    int32_t features[AR_CONTEXT_MAX_OFFSETS * AR_NET_MAX_PLANES];
    ArGather gather;
    int64_t first, count, k, reference, steps, index, i = 0;
    int32_t p;
    for (p = 0; p < net->planes; p++) {
        const int64_t front = step - (int64_t)p * context->lag;
        ar_front_rows(planes->height, planes->width, front, &first, &count);
        if (!count) continue;
        ar_gather_init(&gather, context, planes, p);
        for (k = first; k < first + count; k++, i++) {
            ar_gather(&gather, planes->samples + p * planes->plane_size, place_of(context, planes, k, front - 2 * k),
                      features, &reference);
            ar_net_eval(net, p, features, reference, rate, &steps, &index);
            mean[i] = ar_mean_value(net, steps);
            scale_index[i] = moved != NULL ? moved[(int64_t)p * net->n_scales + index] : index;
        }
    }
}

int ar_value_fits(const ArNet *net, int32_t plane, double value) {
    /* the comparisons are false for NaN: refused too */
    return value >= (double)net->lo[plane] && value <= (double)net->hi[plane] && value == (double)(int64_t)value;
}

int ar_step_store(const ArNet *net, const ArContext *context, ArPlanes *planes, int64_t step, const double *values) {
    int64_t first, count, k, i = 0;
    int32_t p;
    for (p = 0; p < net->planes; p++) {
        const int64_t front = step - (int64_t)p * context->lag;
        ar_front_rows(planes->height, planes->width, front, &first, &count);
        for (k = first; k < first + count; k++, i++) {
            if (!ar_value_fits(net, p, values[i])) return -1;
            planes->samples[p * planes->plane_size + place_of(context, planes, k, front - 2 * k)] = (int32_t)values[i];
        }
    }
    return 0;
}
