/* The online LMS stage (see ar_online.h). */
#include "ar_online.h"

#include <stdlib.h>
#include <string.h>

#include "ar_schedule.h"

/* (rows up, columns left) of the taps: all on earlier wavefronts of the same plane */
static const int32_t TAPS[AR_ONLINE_TAPS][2] = {{0, 1}, {1, 0}, {1, 1}, {1, -1}, {0, 2}, {2, 0}};

/* floor(a / b) for b > 0: C's division truncates towards zero */
static int64_t floor_div(int64_t a, int64_t b) {
    const int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t clip(int64_t x, int64_t lo, int64_t hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

static int64_t place(const ArOnline *online, int64_t row, int64_t column) {
    return (row + AR_ONLINE_PAD) * online->stride + column + AR_ONLINE_PAD;
}

int ar_online_init(ArOnline *online, int32_t planes, int64_t height, int64_t width) {
    memset(online, 0, sizeof *online);
    if (planes < 1 || planes > AR_NET_MAX_PLANES || height < 0 || width < 0) return -1;
    online->planes = planes;
    online->height = height;
    online->width = width;
    online->stride = width + 2 * AR_ONLINE_PAD;
    online->plane_size = (height + 2 * AR_ONLINE_PAD) * online->stride;
    online->errors = calloc((size_t)(planes * online->plane_size), sizeof(int32_t));
    return online->errors == NULL ? -1 : 0;
}

void ar_online_release(ArOnline *online) {
    free(online->errors);
    online->errors = NULL;
}

int64_t ar_online_mean(const ArOnline *online, int32_t plane, int64_t row, int64_t column, int64_t mean,
                       int64_t scale_index, int64_t lo, int64_t hi, ArOnlineInput *input) {
    const int32_t *errors = online->errors + plane * online->plane_size + place(online, row, column);
    const int64_t context = scale_index >> AR_ONLINE_CONTEXT_SHIFT;
    const int64_t *weights;
    int64_t sum = 0;
    int k;
    input->context = (int32_t)(context < AR_ONLINE_CONTEXTS ? context : AR_ONLINE_CONTEXTS - 1);
    weights = online->weights[plane][input->context];
    input->norm = AR_ONLINE_NORM_FLOOR;
    for (k = 0; k < AR_ONLINE_TAPS; k++) {
        const int64_t f = clip(errors[-TAPS[k][0] * online->stride - TAPS[k][1]], -AR_ONLINE_ERROR_LIMIT,
                               AR_ONLINE_ERROR_LIMIT);
        input->features[k] = f;
        input->norm += f * f;
        sum += weights[k] * f;
    }
    return clip(mean + floor_div(sum + ((int64_t)1 << (AR_ONLINE_WEIGHT_BITS - 1)), (int64_t)1 << AR_ONLINE_WEIGHT_BITS),
                lo, hi);
}

void ar_online_learn(ArOnline *online, int32_t plane, int64_t row, int64_t column, int64_t value, int64_t mean,
                     int64_t corrected, const ArOnlineInput *input) {
    int64_t *weights = online->weights[plane][input->context];
    /* |error| < 2**17 (values and means within +-4096 * 16), features <= 2047: every product below 2**53 */
    const int64_t error = value - corrected, gain = (int64_t)1 << (AR_ONLINE_WEIGHT_BITS - AR_ONLINE_RATE_BITS);
    int k;
    online->errors[plane * online->plane_size + place(online, row, column)] = (int32_t)(value - mean);
    for (k = 0; k < AR_ONLINE_TAPS; k++)
        weights[k] = clip(weights[k] + floor_div(2 * error * input->features[k] * gain + input->norm, 2 * input->norm),
                          -AR_ONLINE_WEIGHT_LIMIT, AR_ONLINE_WEIGHT_LIMIT);
}

void ar_online_plane(ArOnline *online, int32_t plane, const int64_t *values, int64_t steps, const int64_t *mean,
                     const int64_t *scale_index, int64_t lo, int64_t hi, int64_t *corrected) {
    const int64_t fronts = online->height > 0 && online->width > 0 ? 2 * online->height + online->width - 2 : 0;
    int64_t front, first, count, row;
    ArOnlineInput input;
    for (front = 0; front < fronts; front++) {
        ar_front_rows(online->height, online->width, front, &first, &count);
        for (row = first; row < first + count; row++) {
            const int64_t column = front - 2 * row, i = row * online->width + column;
            corrected[i] = ar_online_mean(online, plane, row, column, mean[i], scale_index[i], lo, hi, &input);
            ar_online_learn(online, plane, row, column, values[i] * steps, mean[i], corrected[i], &input);
        }
    }
}
