/* The codec's latents off an ANS stream: each under the quantized Laplace of its mean and
 * its scale (an index into the codec's scale grid), as entropy/ans.py's LatentDecoder. */
#ifndef INVCODEC_LATENT_DECODER_H
#define INVCODEC_LATENT_DECODER_H

#include <stdint.h>

#include "ans_decoder.h"

/* ``count`` symbols into ``values``. The caller has checked every mean finite and every
 * scale index within its grid of positive scales; the decoder's cache, if any, is over
 * that grid. */
void latents_decode(AnsDecoder *decoder, const double *mean, const int64_t *scale_index, const double *scales,
                    int64_t count, double *values);

#endif
