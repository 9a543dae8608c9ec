/* A whole autoregressive tile off its ANS stream: every schedule step's priors, its
 * latents, stored before the next step (tile_coder's AutoregressiveTileCoder.decode). */
#ifndef INVCODEC_AR_DECODE_H
#define INVCODEC_AR_DECODE_H

#include <stdint.h>

#include "ans_decoder.h"
#include "ar_context.h"
#include "ar_net.h"
#include "ar_online.h"

#define AR_DECODE_ENDED (-1)     /* the stream was empty with samples still to come */
#define AR_DECODE_OUT_RANGE (-2) /* a value outside its plane's range */

/* 0 or one of the codes above. ``mean`` and ``scale_index`` are scratch of
 * ``planes * height`` items (a step's size at most); ``scales``: the grid of
 * ``net->n_scales`` positive scales the (moved) scale indices point into; ``online``: the
 * tile's online stage, freshly initialised, or NULL for a model without one. */
int ar_decode_tile(const ArNet *net, const ArContext *context, ArPlanes *planes, int64_t rate, const int64_t *moved,
                   AnsDecoder *decoder, const double *scales, ArOnline *online, double *mean, int64_t *scale_index);

#endif
