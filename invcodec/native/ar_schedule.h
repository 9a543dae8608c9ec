/* The autoregressive coding loops: every sample of a plane at once (the encoder), and the
 * decoder's schedule, a step at a time (step t: plane p's wavefront t - p lag). */
#ifndef INVCODEC_AR_SCHEDULE_H
#define INVCODEC_AR_SCHEDULE_H

#include <stdint.h>

#include "ar_context.h"
#include "ar_net.h"

/* Rows [first, first + count) of wavefront ``front`` (2 row + column = front) of an
 * height x width plane, in raster order; count 0 when it has none. */
void ar_front_rows(int64_t height, int64_t width, int64_t front, int64_t *first, int64_t *count);

/* Samples of step ``step`` over every plane (the size of its parameters). */
int64_t ar_step_size(const ArContext *context, int32_t planes, int64_t height, int64_t width, int64_t step);

/* Every sample's (mean, scale index) of ``plane``, raster order. */
void ar_plane_params(const ArNet *net, const ArContext *context, const ArPlanes *planes, int32_t plane, int64_t rate,
                     double *mean, int64_t *scale_index);

/* A step's parameters, its planes' samples in turn, each plane's scale indices mapped
 * through its row of ``moved`` (net->planes x net->n_scales; NULL: the net's own). */
void ar_step_params(const ArNet *net, const ArContext *context, const ArPlanes *planes, int64_t step, int64_t rate,
                    const int64_t *moved, double *mean, int64_t *scale_index);

/* Whether a decoded value is an integer within ``plane``'s range (false for NaN). */
int ar_value_fits(const ArNet *net, int32_t plane, double value);

/* Puts a step's decoded values in place; 0, or -1 (nothing stored after it) at the first
 * value that is not an integer within its plane's range. */
int ar_step_store(const ArNet *net, const ArContext *context, ArPlanes *planes, int64_t step, const double *values);

#endif
