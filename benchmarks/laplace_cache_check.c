/* The ANS decoder's cached symbol search (lq_cached_symbol) against the uncached one
 * (lq_symbol): every scale of the codec's grid, every mean of a range in 1/16 steps, and
 * for each the quantiles at every bin edge within +-40 symbols of the mean (edge - 1,
 * edge, edge + 1) and a random one; one cache for the whole run, as a stream has. Exits 1
 * on any difference in the symbol, its left cumulative or its probability.
 *
 *     N=invcodec/native; cc -std=c99 -O2 -ffp-contract=off -I$N benchmarks/laplace_cache_check.c \
 *         $N/laplace_quantizer.c $N/msun_math.c -lm -o /tmp/lq_check
 *     /tmp/lq_check -320 320 1          (means -20 .. 20; then e.g. -65536 -65000 7, 65000 65536 5) */
#include <stdio.h>
#include <stdlib.h>

#include "laplace_quantizer.h"

#define N_SCALES 225 /* entropy/grid.py: 2**(k/16 - 4), built by repeated multiplication */

static uint64_t random_state = 88172645463325252ull;

static uint32_t random_quantile(void) { /* xorshift64 */
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return (uint32_t)(random_state & 0xFFFFFF);
}

int main(int argc, char **argv) {
    double scales[N_SCALES], value = 1.0 / 16;
    long long checked = 0, differ = 0;
    int64_t mean16, scale;
    LqCache cache;
    int i;
    if (argc != 4) {
        fprintf(stderr, "usage: %s FIRST_MEAN16 LAST_MEAN16 STRIDE\n", argv[0]);
        return 2;
    }
    for (i = 0; i < N_SCALES; i++, value *= 1.0442737824274138) scales[i] = value;
    if (lq_cache_init(&cache, scales, N_SCALES) < 0) return 2;
    for (mean16 = atoll(argv[1]); mean16 <= atoll(argv[2]); mean16 += atoll(argv[3])) {
        const double mean = (double)mean16 / 16.0;
        const int32_t centre = (int32_t)(mean16 >= 0 ? mean16 / 16 : -((-mean16 + 15) / 16));
        for (scale = 0; scale < N_SCALES; scale++) {
            int32_t s;
            for (s = centre - 40; s <= centre + 41; s++) {
                const uint32_t edge = lq_left_cumulative(mean, scales[scale], s);
                int d;
                for (d = -1; d <= 2; d++) {
                    const uint32_t quantile = d == 2 ? random_quantile() : edge + (uint32_t)d;
                    uint32_t left, probability, cached_left, cached_probability;
                    int32_t symbol, cached;
                    if (quantile >= (1u << LQ_PRECISION)) continue;
                    symbol = lq_symbol(mean, scales[scale], quantile, &left, &probability);
                    cached = lq_cached_symbol(&cache, mean, scale, quantile, &cached_left, &cached_probability);
                    checked++;
                    if (symbol != cached || left != cached_left || probability != cached_probability) {
                        if (differ++ < 10)
                            printf("mean16 %lld, scale %lld, quantile %u: %d [%u, +%u) against %d [%u, +%u)\n",
                                   (long long)mean16, (long long)scale, quantile, symbol, left, probability, cached,
                                   cached_left, cached_probability);
                    }
                }
            }
        }
    }
    lq_cache_release(&cache);
    printf("%lld searches, %lld differ\n", checked, differ);
    return differ != 0;
}
