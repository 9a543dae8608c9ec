#include "ar_decode.h"

#include "ar_schedule.h"
#include "latent_decoder.h"

int ar_decode_tile(const ArNet *net, const ArContext *context, ArPlanes *planes, int64_t rate, const int64_t *moved,
                   AnsDecoder *decoder, const double *scales, double *mean, int64_t *scale_index) {
    const int64_t fronts = planes->height > 0 && planes->width > 0 ? 2 * planes->height + planes->width - 2 : 0;
    const int64_t steps = fronts > 0 ? fronts + (int64_t)(net->planes - 1) * context->lag : 0;
    int64_t step;
    for (step = 0; step < steps; step++) {
        const int64_t size = ar_step_size(context, net->planes, planes->height, planes->width, step);
        if (size == 0) continue;
        /* as LatentDecoder: an empty stream with samples to come is truncated or forged */
        if (ans_empty(decoder)) return AR_DECODE_ENDED;
        ar_step_params(net, context, planes, step, rate, moved, mean, scale_index);
        latents_decode(decoder, mean, scale_index, scales, size, mean); /* the values replace the means */
        if (ar_step_store(net, context, planes, step, mean) < 0) return AR_DECODE_OUT_RANGE;
    }
    return 0;
}
