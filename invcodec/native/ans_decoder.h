/* The decoding side of constriction's stack ANS coder (DefaultAnsCoder: 32-bit words, a
 * 64-bit state, 24-bit probabilities): the state, the words still unread, renormalisation.
 * The entropy model is the caller's: it turns the quantile into a symbol's interval. */
#ifndef INVCODEC_ANS_DECODER_H
#define INVCODEC_ANS_DECODER_H

#include <stddef.h>
#include <stdint.h>

struct LqCache;

typedef struct {
    const uint32_t *words; /* the compressed words; read from the end (a stack) */
    int64_t unread;        /* words[0 .. unread) not yet in the state */
    uint64_t state;
    struct LqCache *cache; /* the latents' cumulatives remembered for this stream, or NULL (latent_decoder.c) */
} AnsDecoder;

/* 0, or -1 when the words end in a zero word (no encoder writes one). No cache. */
int ans_decoder_init(AnsDecoder *decoder, const uint32_t *words, int64_t count);

/* The quantile (< 2**24) the next symbol's interval must hold. */
uint32_t ans_quantile(const AnsDecoder *decoder);

/* Pops the symbol whose interval [left, left + probability) held the quantile. */
void ans_pop(AnsDecoder *decoder, uint32_t left, uint32_t probability);

/* No state left (every symbol coded moves the state off zero, so nothing was coded). */
int ans_empty(const AnsDecoder *decoder);

#endif
