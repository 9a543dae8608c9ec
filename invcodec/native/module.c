/* invcodec.native._kernel: the Python surface of the integer kernels. Every size, type
 * and value range is checked here, before any C loop runs; the loops run without the GIL.
 * No global state: a net's weights live in its ArNet object, a tile's decoding state in
 * its ArDecoder, an ANS stream's in its AnsDecoder, a convolution layer's in its Int8Conv. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ans_decoder.h"
#include "ar_context.h"
#include "ar_decode.h"
#include "ar_net.h"
#include "ar_online.h"
#include "ar_schedule.h"
#include "int8_conv.h"
#include "laplace_quantizer.h"
#include "latent_decoder.h"

#define MAX_SIDE ((int64_t)1 << 24)  /* planes' sides: far above any tile, far below overflow */
#define EXACT_LIMIT 9007199254740992.0  /* 2**53 */

/* -- buffers ---------------------------------------------------------------------------- */

/* A C-contiguous buffer of ``count`` items of signed integers ('i') or doubles ('f') of
 * ``itemsize`` bytes; on failure an exception is set, nothing held. */
static int get_array(PyObject *obj, Py_buffer *view, char kind, Py_ssize_t itemsize, Py_ssize_t count, int writable,
                     const char *name) {
    const char *format;
    int ok;
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous%s array is needed", name, writable ? " writable" : "");
        return -1;
    }
    format = view->format ? view->format : "B";
    if (*format == '<' || *format == '=' || *format == '@') format++;
    ok = view->itemsize == itemsize && format[0] != '\0' && format[1] == '\0'
         && (kind == 'f' ? format[0] == 'd' : strchr("bhilq", format[0]) != NULL) && view->len == count * itemsize;
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s: %zd %s of %zd bytes needed", name, count, kind == 'f' ? "floats" : "integers",
                     itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int copy_array(PyObject *obj, void **out, char kind, Py_ssize_t itemsize, Py_ssize_t count, const char *name) {
    Py_buffer view;
    if (get_array(obj, &view, kind, itemsize, count, 0, name) < 0) return -1;
    *out = malloc(count ? (size_t)(count * itemsize) : 1);
    if (*out == NULL) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(*out, view.buf, (size_t)(count * itemsize));
    PyBuffer_Release(&view);
    return 0;
}

/* -- ArNet ------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    ArNet net;
    ArContext context;
    int64_t max_rate;
} NetObject;

static void net_dealloc(NetObject *self) {
    free(self->net.w1);
    free(self->net.skip);
    free(self->net.b1);
    free(self->net.w_rate);
    free(self->net.w2);
    free(self->net.b2);
    free(self->net.w3);
    free(self->net.b3);
    ar_net_release(&self->net);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int read_offsets(PyObject *obj, int32_t (*pairs)[2], int32_t *count, int32_t pad, const char *name) {
    Py_buffer view;
    Py_ssize_t n;
    int32_t k;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) return -1;
    n = view.len / (Py_ssize_t)(2 * sizeof(int32_t));
    if (view.len != n * (Py_ssize_t)(2 * sizeof(int32_t)) || n < 3 || n > AR_CONTEXT_MAX_OFFSETS) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "%s: 3 to %d (rows, columns) int32 pairs needed", name, AR_CONTEXT_MAX_OFFSETS);
        return -1;
    }
    memcpy(pairs, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    *count = (int32_t)n;
    for (k = 0; k < *count; k++) {
        if (pairs[k][0] < -pad || pairs[k][0] > pad || pairs[k][1] < -pad || pairs[k][1] > pad) {
            PyErr_Format(PyExc_ValueError, "%s: an offset reaches beyond the border of %d", name, pad);
            return -1;
        }
    }
    return 0;
}

/* Whether layer 1's weighted sums, without bias, stay below 2**31 for any input */
static int32_t first_sums_fit_int32(const ArNet *net, double feature_limit) {
    const int32_t H = net->hidden, F = net->features;
    int32_t p, i, j;
    for (p = 0; p < net->planes; p++) {
        for (j = 0; j < H; j++) {
            double sum = 0.0;
            for (i = 0; i < F; i++) sum += fabs((double)net->w1[((int64_t)p * F + i) * H + j]) * feature_limit;
            if (!(sum < 2147483647.0)) return 0;
        }
    }
    return 1;
}

/* Every accumulator of every layer below 2**53 for any input within the ranges: then no
 * int64 overflows and the sums are the exact ones the numpy reference computes. */
static int check_exact(const ArNet *net, double feature_limit, int64_t max_rate) {
    const int32_t H = net->hidden, F = net->features;
    int32_t p, i, j;
    for (p = 0; p < net->planes; p++) {
        double skip_sum = fabs((double)net->b1[p * (H + 1) + H]) + fabs((double)net->w_rate[p * (H + 1) + H]) * max_rate;
        double mean_sum = fabs((double)net->b3[2 * p]), scale_sum = fabs((double)net->b3[2 * p + 1]);
        for (i = 0; i < F; i++) skip_sum += fabs((double)net->skip[p * F + i]) * feature_limit;
        for (j = 0; j < H; j++) {
            double first = fabs((double)net->b1[p * (H + 1) + j]) + fabs((double)net->w_rate[p * (H + 1) + j]) * max_rate;
            double second = fabs((double)net->b2[p * H + j]);
            for (i = 0; i < F; i++) first += fabs((double)net->w1[((int64_t)p * F + i) * H + j]) * feature_limit;
            for (i = 0; i < H; i++) second += fabs((double)net->w2[((int64_t)p * H + i) * H + j]) * net->act_limit;
            if (!(first < EXACT_LIMIT && second < EXACT_LIMIT)) return -1;
            mean_sum += fabs((double)net->w3[((int64_t)p * H + j) * 2]) * net->act_limit;
            scale_sum += fabs((double)net->w3[((int64_t)p * H + j) * 2 + 1]) * net->act_limit;
        }
        if (!(skip_sum < EXACT_LIMIT && mean_sum + skip_sum < EXACT_LIMIT && scale_sum < EXACT_LIMIT)) return -1;
    }
    return 0;
}

static PyObject *net_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"w1", "skip", "b1", "w_rate", "w2", "b2", "w3", "b3", "lo", "hi", "used", "causal", "earlier",
                               "west_north", "shifts", "act_limit", "mean_steps", "n_scales", "pad", "lag",
                               "feature_limit", "max_rate", "vector", NULL};
    PyObject *w1, *skip, *b1, *w_rate, *w2, *b2, *w3, *b3, *lo, *hi, *used, *causal, *earlier;
    int west_north[4], shifts[3], act_limit, mean_steps, n_scales, pad, lag;
    long long max_rate;
    double feature_limit;
    int vector = AR_NET_PATH_VNNI;
    Py_buffer view;
    NetObject *self;
    ArNet *net;
    Py_ssize_t P, F, H;
    int32_t p;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOOOOOOOO(iiii)(iii)iiiiidL|i", keywords, &w1, &skip, &b1, &w_rate,
                                     &w2, &b2, &w3, &b3, &lo, &hi, &used, &causal, &earlier, &west_north[0],
                                     &west_north[1], &west_north[2], &west_north[3], &shifts[0], &shifts[1], &shifts[2],
                                     &act_limit, &mean_steps, &n_scales, &pad, &lag, &feature_limit, &max_rate, &vector))
        return NULL;
    /* the shapes: from w2 (planes, hidden, hidden) and w1 (planes, features, hidden) */
    if (PyObject_GetBuffer(w2, &view, PyBUF_ND) < 0) return NULL;
    P = view.ndim == 3 ? view.shape[0] : 0;
    H = view.ndim == 3 ? view.shape[1] : 0;
    PyBuffer_Release(&view);
    if (PyObject_GetBuffer(w1, &view, PyBUF_ND) < 0) return NULL;
    F = view.ndim == 3 ? view.shape[1] : 0;
    PyBuffer_Release(&view);
    if (P < 1 || P > AR_NET_MAX_PLANES || H < 1 || H > AR_NET_MAX_HIDDEN || F < 1
        || F > AR_CONTEXT_MAX_OFFSETS * AR_NET_MAX_PLANES) {
        PyErr_SetString(PyExc_ValueError, "net shapes outside the kernel's limits");
        return NULL;
    }
    if (shifts[0] < 0 || shifts[0] > 40 || shifts[1] < 0 || shifts[1] > 40 || shifts[2] < 1 || shifts[2] > 40
        || act_limit < 1 || mean_steps < 1 || mean_steps > (1 << 16) || (mean_steps & (mean_steps - 1)) || n_scales < 1
        || pad < 0 || pad > 64 || lag < 0 || !(feature_limit >= 0 && feature_limit < EXACT_LIMIT) || max_rate < 0
        || max_rate > ((long long)1 << 32)) {
        PyErr_SetString(PyExc_ValueError, "kernel settings outside their limits");
        return NULL;
    }

    self = (NetObject *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    net = &self->net;  /* tp_alloc zeroes it: a failure below frees what was copied */
    net->planes = (int32_t)P;
    net->features = (int32_t)F;
    net->hidden = (int32_t)H;
    net->first_shift = shifts[0];
    net->second_shift = shifts[1];
    net->out_shift = shifts[2];
    net->act_limit = act_limit;
    net->mean_steps = mean_steps;
    net->n_scales = n_scales;
    self->max_rate = max_rate;
    if (copy_array(w1, (void **)&net->w1, 'i', 4, P * F * H, "w1") < 0 || copy_array(skip, (void **)&net->skip, 'i', 4, P * F, "skip") < 0
        || copy_array(b1, (void **)&net->b1, 'i', 8, P * (H + 1), "b1") < 0
        || copy_array(w_rate, (void **)&net->w_rate, 'i', 8, P * (H + 1), "w_rate") < 0
        || copy_array(w2, (void **)&net->w2, 'i', 4, P * H * H, "w2") < 0 || copy_array(b2, (void **)&net->b2, 'i', 8, P * H, "b2") < 0
        || copy_array(w3, (void **)&net->w3, 'i', 4, P * H * 2, "w3") < 0 || copy_array(b3, (void **)&net->b3, 'i', 8, P * 2, "b3") < 0)
        goto fail;
    if (get_array(lo, &view, 'i', 8, P, 0, "lo") < 0) goto fail;
    memcpy(net->lo, view.buf, (size_t)(P * 8));
    PyBuffer_Release(&view);
    if (get_array(hi, &view, 'i', 8, P, 0, "hi") < 0) goto fail;
    memcpy(net->hi, view.buf, (size_t)(P * 8));
    PyBuffer_Release(&view);
    if (get_array(used, &view, 'i', 4, P, 0, "used") < 0) goto fail;
    memcpy(net->used, view.buf, (size_t)(P * 4));
    PyBuffer_Release(&view);
    if (read_offsets(causal, self->context.causal, &self->context.causal_count, pad, "causal") < 0
        || read_offsets(earlier, self->context.earlier, &self->context.earlier_count, pad, "earlier") < 0)
        goto fail;
    self->context.causal_west = west_north[0];
    self->context.causal_north = west_north[1];
    self->context.earlier_west = west_north[2];
    self->context.earlier_north = west_north[3];
    self->context.pad = pad;
    self->context.lag = lag;
    if (west_north[0] < 0 || west_north[0] >= self->context.causal_count || west_north[1] < 0
        || west_north[1] >= self->context.causal_count || west_north[2] < 0 || west_north[2] >= self->context.earlier_count
        || west_north[3] < 0 || west_north[3] >= self->context.earlier_count) {
        PyErr_SetString(PyExc_ValueError, "west_north: indices outside the neighbourhoods");
        goto fail;
    }
    for (p = 0; p < P; p++) {
        /* a plane's values and the zero border: |feature| <= hi - lo <= feature_limit */
        if (net->lo[p] > 0 || net->hi[p] < 0 || net->hi[p] - net->lo[p] > feature_limit || net->hi[p] >= ((int64_t)1 << 30)
            || net->lo[p] <= -((int64_t)1 << 30)
            || net->used[p] < 0 || net->used[p] > F || net->used[p] != self->context.causal_count + p * self->context.earlier_count) {
            PyErr_SetString(PyExc_ValueError, "plane ranges or feature counts outside the kernel's limits");
            goto fail;
        }
    }
    if (check_exact(net, feature_limit, max_rate) < 0) {
        PyErr_SetString(PyExc_ValueError, "weights outside the exact fixed-point range");
        goto fail;
    }
    net->narrow_first = first_sums_fit_int32(net, feature_limit);
    if (ar_net_prepare(net, vector, feature_limit) < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static int check_rate(const NetObject *self, long long rate) {
    if (rate < 0 || rate > self->max_rate) {
        PyErr_Format(PyExc_ValueError, "rate input %lld outside 0..%lld", rate, (long long)self->max_rate);
        return -1;
    }
    return 0;
}

static int check_sides(long long height, long long width) {
    if (height < 0 || width < 0 || height > MAX_SIDE || width > MAX_SIDE) {
        PyErr_Format(PyExc_ValueError, "planes of %lld x %lld samples: sides 0..%lld", height, width, (long long)MAX_SIDE);
        return -1;
    }
    return 0;
}

static int32_t *padded_planes(const NetObject *self, ArPlanes *planes, int64_t height, int64_t width) {
    const int64_t pad = self->context.pad;
    planes->height = height;
    planes->width = width;
    planes->stride = width + 2 * pad;
    planes->plane_size = (height + 2 * pad) * planes->stride;
    planes->samples = calloc((size_t)(self->net.planes * planes->plane_size), sizeof(int32_t));
    if (planes->samples == NULL) PyErr_NoMemory();
    return planes->samples;
}

PyDoc_STRVAR(plane_params_doc,
"plane_params(planes, height, width, plane, rate, mean, scale_index)\n--\n\n"
"Every sample's prior of one plane, raster order, into mean (float64) and scale_index\n"
"(int64), height * width each. planes: (planes, height, width) int32, each within its range.");

static PyObject *net_plane_params(NetObject *self, PyObject *args) {
    PyObject *planes_obj, *mean_obj, *index_obj;
    long long height, width, rate;
    int plane;
    Py_buffer given, mean, index;
    ArPlanes planes;
    int64_t n, r, c;
    int32_t p;
    const int32_t *values;
    if (!PyArg_ParseTuple(args, "OLLiLOO", &planes_obj, &height, &width, &plane, &rate, &mean_obj, &index_obj)) return NULL;
    if (check_sides(height, width) < 0 || check_rate(self, rate) < 0) return NULL;
    if (plane < 0 || plane >= self->net.planes) return PyErr_Format(PyExc_ValueError, "plane %d outside 0..%d", plane, self->net.planes - 1);
    n = height * width;
    if (get_array(planes_obj, &given, 'i', 4, self->net.planes * n, 0, "planes") < 0) return NULL;
    if (get_array(mean_obj, &mean, 'f', 8, n, 1, "mean") < 0) {
        PyBuffer_Release(&given);
        return NULL;
    }
    if (get_array(index_obj, &index, 'i', 8, n, 1, "scale_index") < 0) {
        PyBuffer_Release(&given);
        PyBuffer_Release(&mean);
        return NULL;
    }
    values = given.buf;
    for (p = 0; p < self->net.planes; p++) {
        for (r = 0; r < n; r++) {
            if (values[p * n + r] < self->net.lo[p] || values[p * n + r] > self->net.hi[p]) {
                PyErr_SetString(PyExc_ValueError, "samples out of their plane's range");
                goto done;
            }
        }
    }
    if (padded_planes(self, &planes, height, width) == NULL) goto done;
    Py_BEGIN_ALLOW_THREADS
    for (p = 0; p < self->net.planes; p++)
        for (r = 0; r < height; r++)
            for (c = 0; c < width; c++)
                planes.samples[p * planes.plane_size + (r + self->context.pad) * planes.stride + c + self->context.pad]
                    = values[(p * height + r) * width + c];
    ar_plane_params(&self->net, &self->context, &planes, plane, rate, mean.buf, index.buf);
    Py_END_ALLOW_THREADS
    free(planes.samples);
done:
    PyBuffer_Release(&given);
    PyBuffer_Release(&mean);
    PyBuffer_Release(&index);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(online_means_doc,
"online_means(values, height, width, plane, mean, scale_index, out)\n--\n\n"
"The online stage's corrected means of one plane (ar_online.h), raster order, into out:\n"
"from the plane's values and its net's means (in 1/mean_steps units) and scale indices,\n"
"all int64, height * width each, the samples taken in the decoder's order.");

static PyObject *net_online_means(NetObject *self, PyObject *args) {
    PyObject *values_obj, *mean_obj, *index_obj, *out_obj;
    long long height, width;
    int plane, ok = 1;
    Py_buffer views[4];
    int got = 0;
    ArOnline online;
    int64_t n, k;
    const int64_t *values, *mean, *index;
    if (!PyArg_ParseTuple(args, "OLLiOOO", &values_obj, &height, &width, &plane, &mean_obj, &index_obj, &out_obj)) return NULL;
    if (check_sides(height, width) < 0) return NULL;
    if (plane < 0 || plane >= self->net.planes) return PyErr_Format(PyExc_ValueError, "plane %d outside 0..%d", plane, self->net.planes - 1);
    n = height * width;
    if (get_array(values_obj, &views[0], 'i', 8, n, 0, "values") < 0) goto done;
    got++;
    if (get_array(mean_obj, &views[1], 'i', 8, n, 0, "mean") < 0) goto done;
    got++;
    if (get_array(index_obj, &views[2], 'i', 8, n, 0, "scale_index") < 0) goto done;
    got++;
    if (get_array(out_obj, &views[3], 'i', 8, n, 1, "out") < 0) goto done;
    got++;
    values = views[0].buf;
    mean = views[1].buf;
    index = views[2].buf;
    for (k = 0; k < n && ok; k++)
        ok = values[k] >= self->net.lo[plane] && values[k] <= self->net.hi[plane]
             && mean[k] >= self->net.lo[plane] * self->net.mean_steps && mean[k] <= self->net.hi[plane] * self->net.mean_steps
             && index[k] >= 0 && index[k] < self->net.n_scales;
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "online_means: a value, mean or scale index outside its range");
        goto done;
    }
    if (ar_online_init(&online, self->net.planes, height, width) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    ar_online_plane(&online, plane, values, self->net.mean_steps, mean, index, self->net.lo[plane] * self->net.mean_steps,
                    self->net.hi[plane] * self->net.mean_steps, views[3].buf);
    Py_END_ALLOW_THREADS
    ar_online_release(&online);
done:
    while (got > 0) PyBuffer_Release(&views[--got]);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

static PyTypeObject DecoderType;

typedef struct {
    PyObject_HEAD
    NetObject *owner;  /* keeps the net alive */
    ArPlanes planes;
    int64_t rate;
    int64_t *moved;  /* [plane][scale index] */
    int busy;        /* a call is running without the GIL: no other may touch the planes */
} DecoderObject;

PyDoc_STRVAR(decoder_doc,
"decoder(height, width, rate, moved) -> ArDecoder\n--\n\n"
"A tile's decoding state: zero planes, filled a schedule step at a time. moved:\n"
"(planes, n_scales) int64, where each plane's scale indices go (the recalibration).");

static PyObject *net_decoder(NetObject *self, PyObject *args) {
    long long height, width, rate;
    PyObject *moved_obj;
    Py_buffer moved;
    DecoderObject *decoder;
    Py_ssize_t k, count = (Py_ssize_t)self->net.planes * self->net.n_scales;
    if (!PyArg_ParseTuple(args, "LLLO", &height, &width, &rate, &moved_obj)) return NULL;
    if (check_sides(height, width) < 0 || check_rate(self, rate) < 0) return NULL;
    if (get_array(moved_obj, &moved, 'i', 8, count, 0, "moved") < 0) return NULL;
    for (k = 0; k < count; k++) {
        const int64_t value = ((const int64_t *)moved.buf)[k];
        if (value < 0 || value >= self->net.n_scales) {
            PyBuffer_Release(&moved);
            return PyErr_Format(PyExc_ValueError, "moved: scale indices outside 0..%d", self->net.n_scales - 1);
        }
    }
    decoder = PyObject_New(DecoderObject, &DecoderType);
    if (decoder == NULL) {
        PyBuffer_Release(&moved);
        return NULL;
    }
    decoder->planes.samples = NULL;
    decoder->busy = 0;
    decoder->rate = rate;
    decoder->moved = malloc((size_t)count * sizeof(int64_t));
    Py_INCREF(self);
    decoder->owner = self;
    if (decoder->moved != NULL) memcpy(decoder->moved, moved.buf, (size_t)count * sizeof(int64_t));
    PyBuffer_Release(&moved);
    if (decoder->moved == NULL) {
        Py_DECREF(decoder);
        return PyErr_NoMemory();
    }
    if (padded_planes(self, &decoder->planes, height, width) == NULL) {
        Py_DECREF(decoder);
        return NULL;
    }
    return (PyObject *)decoder;
}

static PyObject *net_get_vector(NetObject *self, void *closure) {
    return PyLong_FromLong(self->net.vector);
}

static PyObject *net_get_second_split(NetObject *self, void *closure) {
    return PyLong_FromLong(self->net.second_split);
}

static PyGetSetDef net_getset[] = {
    {"vector", (getter)net_get_vector, NULL, PyDoc_STR("the path that runs: 2 AVX-512 VNNI, 1 AVX2, 0 the portable C (``vector=`` caps it)"), NULL},
    {"second_split", (getter)net_get_second_split, NULL,
     PyDoc_STR("the vector paths' layer 2 on int16 multiply-adds, activations split at 2**second_split (0: int64 lanes)"),
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef net_methods[] = {
    {"plane_params", (PyCFunction)net_plane_params, METH_VARARGS, plane_params_doc},
    {"decoder", (PyCFunction)net_decoder, METH_VARARGS, decoder_doc},
    {"online_means", (PyCFunction)net_online_means, METH_VARARGS, online_means_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject NetType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "invcodec.native._kernel.ArNet",
    .tp_doc = PyDoc_STR("An autoregressive model's plane nets, integer weights (see invcodec.native)."),
    .tp_basicsize = sizeof(NetObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = net_new,
    .tp_dealloc = (destructor)net_dealloc,
    .tp_methods = net_methods,
    .tp_getset = net_getset,
};

/* -- AnsDecoder ------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    AnsDecoder coder;
    LqCache cache;
    uint32_t *words;
    double *scales;
    Py_ssize_t n_scales;
    int busy; /* a call is running without the GIL: no other may touch the state */
} AnsObject;

/* How many 8-byte items a buffer holds (its type is get_array's to check); -1 and
 * TypeError when it is no buffer. */
static Py_ssize_t buffer_items(PyObject *obj, const char *name) {
    Py_buffer view;
    Py_ssize_t count;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous array is needed", name);
        return -1;
    }
    count = view.len / 8;
    PyBuffer_Release(&view);
    return count;
}

static void ans_dealloc(AnsObject *self) {
    lq_cache_release(&self->cache);
    free(self->words);
    free(self->scales);
    PyObject_Free(self);
}

static PyObject *ans_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"payload", "scales", "cache", NULL};
    Py_buffer payload, scales;
    PyObject *scales_obj;
    AnsObject *self;
    Py_ssize_t k, count;
    const unsigned char *bytes;
    int cache = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*O|p", keywords, &payload, &scales_obj, &cache)) return NULL;
    if (payload.len % 4) {
        PyBuffer_Release(&payload);
        return PyErr_Format(PyExc_ValueError, "ANS stream length is not a multiple of 4 bytes");
    }
    if ((count = buffer_items(scales_obj, "scales")) < 0) {
        PyBuffer_Release(&payload);
        return NULL;
    }
    if (count < 1 || count > INT32_MAX || get_array(scales_obj, &scales, 'f', 8, count, 0, "scales") < 0) {
        PyBuffer_Release(&payload);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "scales: a non-empty float64 table is needed");
        return NULL;
    }
    self = (AnsObject *)type->tp_alloc(type, 0);
    if (self == NULL) goto fail;
    self->busy = 0;
    self->n_scales = count;
    self->scales = malloc((size_t)count * sizeof(double));
    self->words = malloc(payload.len ? (size_t)payload.len : 1);
    if (self->scales == NULL || self->words == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (k = 0; k < count; k++) {
        const double scale = ((const double *)scales.buf)[k];
        if (!(scale > 0.0 && scale <= 1e300)) { /* NaN fails too */
            PyErr_SetString(PyExc_ValueError, "scales: every scale must be positive and finite");
            goto fail;
        }
        self->scales[k] = scale;
    }
    bytes = payload.buf;
    for (k = 0; k < payload.len / 4; k++) /* the stream's words are little-endian */
        self->words[k] = (uint32_t)bytes[4 * k] | (uint32_t)bytes[4 * k + 1] << 8 | (uint32_t)bytes[4 * k + 2] << 16
                         | (uint32_t)bytes[4 * k + 3] << 24;
    if (ans_decoder_init(&self->coder, self->words, payload.len / 4) < 0) {
        PyErr_SetString(PyExc_ValueError, "Invalid compressed data: ANS compressed data never ends in a zero word.");
        goto fail;
    }
    if (cache) {
        if (lq_cache_init(&self->cache, self->scales, count) < 0) {
            PyErr_NoMemory();
            goto fail;
        }
        self->coder.cache = &self->cache;
    }
    PyBuffer_Release(&payload);
    PyBuffer_Release(&scales);
    return (PyObject *)self;
fail:
    Py_XDECREF(self);
    PyBuffer_Release(&payload);
    PyBuffer_Release(&scales);
    return NULL;
}

static int ans_claim(AnsObject *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the ANS decoder is in use by another thread");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(ans_decode_doc,
"decode(mean, scale_index, out)\n--\n\n"
"The next len(out) latents into out (float64), each under the quantized Laplace of its\n"
"mean (float64, finite) and scales[scale_index] (int64). Past the end of the data it\n"
"goes on as constriction does: the caller checks exhausted() first.");

static PyObject *ans_decode(AnsObject *self, PyObject *args) {
    PyObject *mean_obj, *index_obj, *out_obj;
    Py_buffer mean, index, out;
    Py_ssize_t k, count;
    if (!PyArg_ParseTuple(args, "OOO", &mean_obj, &index_obj, &out_obj) || ans_claim(self) < 0) return NULL;
    if ((count = buffer_items(out_obj, "out")) < 0) return NULL;
    if (get_array(out_obj, &out, 'f', 8, count, 1, "out") < 0) return NULL;
    if (get_array(mean_obj, &mean, 'f', 8, count, 0, "mean") < 0) {
        PyBuffer_Release(&out);
        return NULL;
    }
    if (get_array(index_obj, &index, 'i', 8, count, 0, "scale_index") < 0) goto done;
    for (k = 0; k < count; k++) {
        const int64_t i = ((const int64_t *)index.buf)[k];
        const double m = ((const double *)mean.buf)[k];
        if (i < 0 || i >= self->n_scales || !(m >= -1e300 && m <= 1e300)) {
            PyErr_Format(PyExc_ValueError, "latent %zd: a finite mean and a scale index within 0..%zd are needed", k,
                         self->n_scales - 1);
            break;
        }
    }
    if (!PyErr_Occurred()) {
        self->busy = 1;
        Py_BEGIN_ALLOW_THREADS
        latents_decode(&self->coder, mean.buf, index.buf, self->scales, count, out.buf);
        Py_END_ALLOW_THREADS
        self->busy = 0;
    }
    PyBuffer_Release(&index);
done:
    PyBuffer_Release(&mean);
    PyBuffer_Release(&out);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(ans_exhausted_doc,
"exhausted() -> bool\n--\n\n"
"Whether nothing is left to decode (constriction's AnsCoder.is_empty).");

static PyObject *ans_exhausted(AnsObject *self, PyObject *unused) {
    if (ans_claim(self) < 0) return NULL;
    return PyBool_FromLong(ans_empty(&self->coder));
}

static PyMethodDef ans_methods[] = {
    {"decode", (PyCFunction)ans_decode, METH_VARARGS, ans_decode_doc},
    {"exhausted", (PyCFunction)ans_exhausted, METH_NOARGS, ans_exhausted_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AnsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "invcodec.native._kernel.AnsDecoder",
    .tp_doc = PyDoc_STR("AnsDecoder(payload, scales, cache=True): an ANS stream of the codec's latents, decoded as\n"
                        "constriction decodes it (see invcodec.native); cache=False computes every cumulative afresh."),
    .tp_basicsize = sizeof(AnsObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = ans_new,
    .tp_dealloc = (destructor)ans_dealloc,
    .tp_methods = ans_methods,
};

/* -- ArDecoder -------------------------------------------------------------------------- */

static void decoder_dealloc(DecoderObject *self) {
    free(self->planes.samples);
    free(self->moved);
    Py_XDECREF(self->owner);
    PyObject_Free(self);
}

static int decoder_step(DecoderObject *self, long long step, Py_ssize_t *size) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the decoder is in use by another thread");
        return -1;
    }
    if (step < 0 || step > 4 * MAX_SIDE) {
        PyErr_Format(PyExc_ValueError, "step %lld outside the schedule", step);
        return -1;
    }
    *size = (Py_ssize_t)ar_step_size(&self->owner->context, self->owner->net.planes, self->planes.height, self->planes.width, step);
    return 0;
}

PyDoc_STRVAR(params_doc,
"params(step, mean, scale_index)\n--\n\n"
"The priors of a schedule step's samples (each plane's in turn, raster order) into\n"
"mean (float64) and scale_index (int64), as many as the step has.");

static PyObject *decoder_params(DecoderObject *self, PyObject *args) {
    long long step;
    PyObject *mean_obj, *index_obj;
    Py_buffer mean, index;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "LOO", &step, &mean_obj, &index_obj) || decoder_step(self, step, &size) < 0) return NULL;
    if (get_array(mean_obj, &mean, 'f', 8, size, 1, "mean") < 0) return NULL;
    if (get_array(index_obj, &index, 'i', 8, size, 1, "scale_index") < 0) {
        PyBuffer_Release(&mean);
        return NULL;
    }
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    ar_step_params(&self->owner->net, &self->owner->context, &self->planes, step, self->rate, self->moved, mean.buf, index.buf);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyBuffer_Release(&mean);
    PyBuffer_Release(&index);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(store_doc,
"store(step, values)\n--\n\n"
"Puts a step's decoded values (float64, in params' order) in place. ValueError if one\n"
"is not an integer within its plane's range (a corrupted stream).");

static PyObject *decoder_store(DecoderObject *self, PyObject *args) {
    long long step;
    PyObject *values_obj;
    Py_buffer values;
    Py_ssize_t size;
    int status;
    if (!PyArg_ParseTuple(args, "LO", &step, &values_obj) || decoder_step(self, step, &size) < 0) return NULL;
    if (get_array(values_obj, &values, 'f', 8, size, 0, "values") < 0) return NULL;
    status = ar_step_store(&self->owner->net, &self->owner->context, &self->planes, step, values.buf);
    PyBuffer_Release(&values);
    if (status < 0) {
        PyErr_SetString(PyExc_ValueError, "decoded samples out of their plane's range");
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(planes_doc,
"planes(out)\n--\n\n"
"The decoded planes into out: (planes, height, width) int32.");

static PyObject *decoder_planes(DecoderObject *self, PyObject *args) {
    PyObject *out_obj;
    Py_buffer out;
    const ArPlanes *planes = &self->planes;
    const int64_t pad = self->owner->context.pad;
    int32_t *dest;
    int64_t r;
    int32_t p;
    if (!PyArg_ParseTuple(args, "O", &out_obj)) return NULL;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the decoder is in use by another thread");
        return NULL;
    }
    if (get_array(out_obj, &out, 'i', 4, self->owner->net.planes * planes->height * planes->width, 1, "out") < 0) return NULL;
    dest = out.buf;
    for (p = 0; p < self->owner->net.planes; p++)
        for (r = 0; r < planes->height; r++)
            memcpy(dest + (p * planes->height + r) * planes->width,
                   planes->samples + p * planes->plane_size + (r + pad) * planes->stride + pad,
                   (size_t)planes->width * sizeof(int32_t));
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(run_doc,
"run(ans, online=False)\n--\n\n"
"Decodes the whole tile off ans (an AnsDecoder over the scale grid the net's scale\n"
"indices point into), every schedule step in turn, without the GIL; online: with the\n"
"online stage (ar_online.h). ValueError when the stream ends early or a sample falls\n"
"outside its plane's range (a corrupted stream).");

static PyObject *decoder_run(DecoderObject *self, PyObject *args) {
    AnsObject *ans;
    double *mean;
    int64_t *index;
    size_t scratch;
    int status, with_online = 0;
    ArOnline online;
    if (!PyArg_ParseTuple(args, "O!|p", &AnsType, &ans, &with_online)) return NULL;
    if (self->busy || ans->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the decoder is in use by another thread");
        return NULL;
    }
    if (ans->n_scales != self->owner->net.n_scales)
        return PyErr_Format(PyExc_ValueError, "ans: %d scales needed", self->owner->net.n_scales);
    scratch = (size_t)self->owner->net.planes * (size_t)(self->planes.height > 0 ? self->planes.height : 1);
    mean = malloc(scratch * sizeof(double));
    index = malloc(scratch * sizeof(int64_t));
    if (mean == NULL || index == NULL
        || (with_online && ar_online_init(&online, self->owner->net.planes, self->planes.height, self->planes.width) < 0)) {
        free(mean);
        free(index);
        return PyErr_NoMemory();
    }
    self->busy = ans->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    status = ar_decode_tile(&self->owner->net, &self->owner->context, &self->planes, self->rate, self->moved, &ans->coder,
                            ans->scales, with_online ? &online : NULL, mean, index);
    Py_END_ALLOW_THREADS
    self->busy = ans->busy = 0;
    if (with_online) ar_online_release(&online);
    free(mean);
    free(index);
    if (status == AR_DECODE_ENDED) return PyErr_Format(PyExc_ValueError, "ANS stream ended before the last latent");
    if (status < 0) return PyErr_Format(PyExc_ValueError, "decoded samples out of their plane's range");
    Py_RETURN_NONE;
}

static PyMethodDef decoder_methods[] = {
    {"params", (PyCFunction)decoder_params, METH_VARARGS, params_doc},
    {"store", (PyCFunction)decoder_store, METH_VARARGS, store_doc},
    {"planes", (PyCFunction)decoder_planes, METH_VARARGS, planes_doc},
    {"run", (PyCFunction)decoder_run, METH_VARARGS, run_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "invcodec.native._kernel.ArDecoder",
    .tp_doc = PyDoc_STR("One tile's autoregressive decoding state (ArNet.decoder)."),
    .tp_basicsize = sizeof(DecoderObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)decoder_dealloc,
    .tp_methods = decoder_methods,
};

/* -- Int8Conv --------------------------------------------------------------------------- */

#define INT8_MAX_SIDE ((int64_t)1 << 24)  /* a tile's side, or a 1x1 conv's positions as one row: far below */

typedef struct {
    PyObject_HEAD
    Int8Conv conv;
} Int8ConvObject;

static void int8_conv_dealloc(Int8ConvObject *self) {
    int8_conv_release(&self->conv);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *int8_conv_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"weights", "bias", "out_channels", "in_channels", "k", "in_limit", "vector", NULL};
    PyObject *w_obj, *b_obj;
    int out_channels, in_channels, k, in_limit, vector = INT8_CONV_PATH_VNNI;
    Py_buffer w, b;
    int64_t i, o, count;
    Int8ConvObject *self;
    int status;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOiiii|i", keywords, &w_obj, &b_obj, &out_channels, &in_channels, &k,
                                     &in_limit, &vector))
        return NULL;
    if (out_channels < 1 || out_channels > INT8_CONV_MAX_CHANNELS || in_channels < 1 || in_channels > INT8_CONV_MAX_INPUTS
        || (k != 1 && k != 3)
        || in_limit < 0 || in_limit > 32767) {
        PyErr_SetString(PyExc_ValueError, "Int8Conv: 1..512 outputs, 1..4096 inputs, k 1 or 3, in_limit 0..32767");
        return NULL;
    }
    count = (int64_t)out_channels * in_channels * k * k;
    if (get_array(w_obj, &w, 'i', 1, count, 0, "weights") < 0) return NULL;
    if (get_array(b_obj, &b, 'i', 4, out_channels, 0, "bias") < 0) {
        PyBuffer_Release(&w);
        return NULL;
    }
    /* the bound that makes every int32 partial sum exact, per output channel (runtime/int8.py
     * checks a coarser one): sum |w| * in_limit + |b| < 2**24 */
    for (o = 0; o < out_channels; o++) {
        const int64_t b_o = ((const int32_t *)b.buf)[o];
        int64_t total = b_o < 0 ? -b_o : b_o;
        for (i = 0; i < count / out_channels; i++) {
            const int64_t v = ((const int8_t *)w.buf)[o * (count / out_channels) + i];
            total += (v < 0 ? -v : v) * in_limit;
        }
        if (total >= INT8_CONV_EXACT_LIMIT) {
            PyBuffer_Release(&w);
            PyBuffer_Release(&b);
            PyErr_SetString(PyExc_ValueError, "Int8Conv: weights outside the exact range");
            return NULL;
        }
    }
    self = (Int8ConvObject *)type->tp_alloc(type, 0);
    status = self == NULL ? -1 : int8_conv_init(&self->conv, w.buf, b.buf, out_channels, in_channels, k, in_limit, vector);
    PyBuffer_Release(&w);
    PyBuffer_Release(&b);
    if (self == NULL) return NULL;
    if (status < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

/* The layer on x (height, width, in) with every check: the sums into acc, or the
 * activations (``act``); 0, or -1 with an exception set. */
static int int8_conv_checked_run(Int8ConvObject *self, PyObject *x_obj, long long height, long long width, int32_t *acc,
                                 const Int8Activation *act) {
    const Int8Conv *conv = &self->conv;
    Py_buffer x;
    int status = 0;
    if (get_array(x_obj, &x, 'i', 2, (Py_ssize_t)(height * width * conv->in_channels), 0, "x") < 0) return -1;
    Py_BEGIN_ALLOW_THREADS
    if (!int8_conv_inputs_fit(conv, x.buf, height * width * conv->in_channels)) status = -2;
    else status = int8_conv_run(conv, x.buf, (int32_t)height, (int32_t)width, acc, act);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&x);
    if (status == -2) PyErr_Format(PyExc_ValueError, "Int8Conv: an input beyond +-%d", (int)conv->in_limit);
    else if (status < 0) PyErr_NoMemory();
    return status < 0 ? -1 : 0;
}

static int check_sides_int8(long long height, long long width) {
    if (height < 0 || width < 0 || height > INT8_MAX_SIDE || width > INT8_MAX_SIDE) {
        PyErr_SetString(PyExc_ValueError, "Int8Conv: sides 0..2**24");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(int8_sums_doc,
"sums(x, height, width, out)\n--\n\n"
"out (height, width, out_channels) int32 = bias + the 'same' zero-padded convolution of\n"
"x (height, width, in_channels) int16, whose values must lie within +-in_limit.");

static PyObject *int8_conv_sums_method(Int8ConvObject *self, PyObject *args) {
    PyObject *x_obj, *out_obj;
    long long height, width;
    Py_buffer out;
    int status;
    if (!PyArg_ParseTuple(args, "OLLO", &x_obj, &height, &width, &out_obj) || check_sides_int8(height, width) < 0) return NULL;
    if (get_array(out_obj, &out, 'i', 4, (Py_ssize_t)(height * width * self->conv.out_channels), 1, "out") < 0) return NULL;
    status = int8_conv_checked_run(self, x_obj, height, width, out.buf, NULL);
    PyBuffer_Release(&out);
    if (status < 0) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(int8_activate_doc,
"activate(x, height, width, shift, lo, hi, out, residual=None, sum_lo=0, sum_hi=0,\n"
"         residual_channels=out_channels, residual_offset=0)\n--\n\n"
"The sums (see sums), each floor(sum * 2**shift[o]) clipped to [lo, hi]; with a\n"
"residual (int16, (height, width, residual_channels), its channels from residual_offset\n"
"on), residual + that clipped to [sum_lo, sum_hi]; into out (height, width, out_channels)\n"
"int16.");

static PyObject *int8_conv_activate_method(Int8ConvObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"x", "height", "width", "shift", "lo", "hi", "out", "residual", "sum_lo", "sum_hi",
                               "residual_channels", "residual_offset", NULL};
    const int32_t O = self->conv.out_channels;
    PyObject *x_obj, *shift_obj, *out_obj, *residual_obj = Py_None;
    long long height, width, lo, hi, sum_lo = 0, sum_hi = 0, final_lo, final_hi, residual_channels = -1, residual_offset = 0;
    Py_buffer shift, out, residual;
    Int8Activation act;
    Py_ssize_t count;
    int32_t o;
    int status;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLLOLLO|OLLLL", keywords, &x_obj, &height, &width, &shift_obj, &lo, &hi,
                                     &out_obj, &residual_obj, &sum_lo, &sum_hi, &residual_channels, &residual_offset)
        || check_sides_int8(height, width) < 0)
        return NULL;
    if (residual_channels == -1) residual_channels = O;
    if (residual_offset < 0 || residual_channels > INT8_CONV_MAX_CHANNELS || residual_offset + O > residual_channels) {
        PyErr_SetString(PyExc_ValueError, "Int8Conv.activate: the residual's channels do not hold the output's");
        return NULL;
    }
    final_lo = residual_obj == Py_None ? lo : sum_lo;
    final_hi = residual_obj == Py_None ? hi : sum_hi;
    if (lo > hi || final_lo > final_hi || final_lo < -32768 || final_hi > 32767 || lo < -((long long)1 << 40)
        || hi > ((long long)1 << 40)) {
        PyErr_SetString(PyExc_ValueError, "Int8Conv.activate: clip bounds out of order or beyond int16");
        return NULL;
    }
    if (get_array(shift_obj, &shift, 'i', 4, O, 0, "shift") < 0) return NULL;
    for (o = 0; o < O; o++) {
        const int32_t s = ((const int32_t *)shift.buf)[o];
        if (s < -62 || s > 38) {
            PyBuffer_Release(&shift);
            PyErr_SetString(PyExc_ValueError, "Int8Conv.activate: shift outside -62..38");
            return NULL;
        }
    }
    count = (Py_ssize_t)(height * width * O);
    if (get_array(out_obj, &out, 'i', 2, count, 1, "out") < 0) {
        PyBuffer_Release(&shift);
        return NULL;
    }
    if (residual_obj != Py_None
        && get_array(residual_obj, &residual, 'i', 2, (Py_ssize_t)(height * width * residual_channels), 0, "residual") < 0) {
        PyBuffer_Release(&out);
        PyBuffer_Release(&shift);
        return NULL;
    }
    act.shift = shift.buf;
    act.lo = lo;
    act.hi = hi;
    act.residual = residual_obj == Py_None ? NULL : (const int16_t *)residual.buf + residual_offset;
    act.residual_channels = residual_channels;
    act.sum_lo = sum_lo;
    act.sum_hi = sum_hi;
    act.out = out.buf;
    status = int8_conv_checked_run(self, x_obj, height, width, NULL, &act);
    if (residual_obj != Py_None) PyBuffer_Release(&residual);
    PyBuffer_Release(&out);
    PyBuffer_Release(&shift);
    if (status < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *int8_conv_get_vector(Int8ConvObject *self, void *closure) {
    return PyLong_FromLong(self->conv.vector);
}

static PyGetSetDef int8_conv_getset[] = {
    {"vector", (getter)int8_conv_get_vector, NULL,
     PyDoc_STR("the path that runs: 2 AVX-512 VNNI, 1 AVX2, 0 the portable C (``vector=`` caps it)"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef int8_conv_methods[] = {
    {"sums", (PyCFunction)int8_conv_sums_method, METH_VARARGS, int8_sums_doc},
    {"activate", (PyCFunction)(void (*)(void))int8_conv_activate_method, METH_VARARGS | METH_KEYWORDS, int8_activate_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Int8ConvType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "invcodec.native._kernel.Int8Conv",
    .tp_doc = PyDoc_STR("One convolution layer of the int8 format: int8 weights, int32 bias (see invcodec.native)."),
    .tp_basicsize = sizeof(Int8ConvObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = int8_conv_new,
    .tp_dealloc = (destructor)int8_conv_dealloc,
    .tp_methods = int8_conv_methods,
    .tp_getset = int8_conv_getset,
};

/* -- the module ------------------------------------------------------------------------- */

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "invcodec.native._kernel",
    .m_doc = PyDoc_STR("invcodec's integer kernels (see invcodec.native)."),
    .m_size = 0,
};

static int add_type(PyObject *module, const char *name, PyTypeObject *type) {
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__kernel(void) {
    PyObject *module;
    if (PyType_Ready(&NetType) < 0 || PyType_Ready(&DecoderType) < 0 || PyType_Ready(&AnsType) < 0
        || PyType_Ready(&Int8ConvType) < 0) return NULL;
    module = PyModule_Create(&kernel_module);
    if (module == NULL) return NULL;
    if (add_type(module, "ArNet", &NetType) < 0 || add_type(module, "AnsDecoder", &AnsType) < 0
        || add_type(module, "Int8Conv", &Int8ConvType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
