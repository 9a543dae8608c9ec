#include "latent_decoder.h"

#include "laplace_quantizer.h"

void latents_decode(AnsDecoder *decoder, const double *mean, const int64_t *scale_index, const double *scales,
                    int64_t count, double *values) {
    int64_t i;
    for (i = 0; i < count; i++) {
        uint32_t left, probability;
        const uint32_t quantile = ans_quantile(decoder);
        const int32_t symbol = decoder->cache != NULL
                                   ? lq_cached_symbol(decoder->cache, mean[i], scale_index[i], quantile, &left, &probability)
                                   : lq_symbol(mean[i], scales[scale_index[i]], quantile, &left, &probability);
        ans_pop(decoder, left, probability);
        values[i] = (double)symbol;
    }
}
