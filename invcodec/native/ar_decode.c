#include "ar_decode.h"

#include "ar_schedule.h"
#include "latent_decoder.h"

/* A step's samples one at a time through the online stage: each one's mean corrected by
 * what the samples before it taught the filter. ``mean`` and ``scale_index`` hold the
 * net's (unmoved) priors; the values replace the means. */
static int ar_decode_step_online(const ArNet *net, const ArContext *context, const ArPlanes *planes, int64_t step,
                                 const int64_t *moved, AnsDecoder *decoder, const double *scales, ArOnline *online,
                                 double *mean, const int64_t *scale_index) {
    int64_t first, count, row, i = 0;
    int32_t p;
    for (p = 0; p < net->planes; p++) {
        const int64_t front = step - (int64_t)p * context->lag;
        const int64_t lo = net->lo[p] * net->mean_steps, hi = net->hi[p] * net->mean_steps;
        ar_front_rows(planes->height, planes->width, front, &first, &count);
        for (row = first; row < first + count; row++, i++) {
            const int64_t column = front - 2 * row, net_mean = (int64_t)(mean[i] * net->mean_steps);
            const int64_t moved_index = moved[(int64_t)p * net->n_scales + scale_index[i]];
            ArOnlineInput input;
            const int64_t corrected = ar_online_mean(online, p, row, column, net_mean, scale_index[i], lo, hi, &input);
            const double corrected_mean = (double)corrected / (double)net->mean_steps;
            double value;
            latents_decode(decoder, &corrected_mean, &moved_index, scales, 1, &value);
            if (!ar_value_fits(net, p, value)) return AR_DECODE_OUT_RANGE; /* before it teaches the filter */
            ar_online_learn(online, p, row, column, (int64_t)value * net->mean_steps, net_mean, corrected, &input);
            mean[i] = value;
        }
    }
    return 0;
}

int ar_decode_tile(const ArNet *net, const ArContext *context, ArPlanes *planes, int64_t rate, const int64_t *moved,
                   AnsDecoder *decoder, const double *scales, ArOnline *online, double *mean, int64_t *scale_index) {
    const int64_t fronts = planes->height > 0 && planes->width > 0 ? 2 * planes->height + planes->width - 2 : 0;
    const int64_t steps = fronts > 0 ? fronts + (int64_t)(net->planes - 1) * context->lag : 0;
    int64_t step;
    for (step = 0; step < steps; step++) {
        const int64_t size = ar_step_size(context, net->planes, planes->height, planes->width, step);
        if (size == 0) continue;
        /* as LatentDecoder: an empty stream with samples to come is truncated or forged */
        if (ans_empty(decoder)) return AR_DECODE_ENDED;
        if (online != NULL) {
            ar_step_params(net, context, planes, step, rate, NULL, mean, scale_index);
            if (ar_decode_step_online(net, context, planes, step, moved, decoder, scales, online, mean, scale_index) < 0)
                return AR_DECODE_OUT_RANGE;
        } else {
            ar_step_params(net, context, planes, step, rate, moved, mean, scale_index);
            latents_decode(decoder, mean, scale_index, scales, size, mean); /* the values replace the means */
        }
        if (ar_step_store(net, context, planes, step, mean) < 0) return AR_DECODE_OUT_RANGE;
    }
    return 0;
}
