/* Must match constriction 0.5.0's AnsCoder<u32, u64> (src/stream/stack.rs:
 * from_compressed, decode_symbol, is_empty), which decodes past the end deterministically. */
#include "ans_decoder.h"

#define PRECISION 24
#define WORD_BITS 32
#define STATE_FLOOR ((uint64_t)1 << (64 - WORD_BITS)) /* the state's invariant while words remain */

int ans_decoder_init(AnsDecoder *decoder, const uint32_t *words, int64_t count) {
    decoder->words = words;
    decoder->unread = count;
    decoder->state = 0;
    decoder->cache = NULL;
    if (count == 0) return 0;
    if (words[count - 1] == 0) return -1;
    /* the state is the last words, read backwards until it reaches the floor */
    decoder->state = words[--decoder->unread];
    while (decoder->unread > 0) {
        decoder->state = (decoder->state << WORD_BITS) | words[--decoder->unread];
        if (decoder->state >= STATE_FLOOR) break;
    }
    return 0;
}

uint32_t ans_quantile(const AnsDecoder *decoder) {
    return (uint32_t)(decoder->state & (((uint64_t)1 << PRECISION) - 1));
}

void ans_pop(AnsDecoder *decoder, uint32_t left, uint32_t probability) {
    const uint32_t remainder = ans_quantile(decoder) - left;
    /* (state >> 24) < 2**40 and probability <= 2**24: no overflow */
    decoder->state = (decoder->state >> PRECISION) * probability + remainder;
    if (decoder->state < STATE_FLOOR && decoder->unread > 0)
        decoder->state = (decoder->state << WORD_BITS) | decoder->words[--decoder->unread];
}

int ans_empty(const AnsDecoder *decoder) {
    return decoder->state == 0;
}
