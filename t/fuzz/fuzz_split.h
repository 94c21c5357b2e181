/*
 * Piece sizes for the fuzz targets that feed a parser whole and again in
 * pieces: seed 0 gives the whole input at once, any other seed a
 * deterministic run of 1..max byte pieces (xorshift).
 */

#ifndef FUZZ_SPLIT_H
#define FUZZ_SPLIT_H

#include <stddef.h>

typedef struct {
    unsigned  x;
    int       whole;
    size_t    max;
} fuzz_split_t;


static inline void
fuzz_split_init(fuzz_split_t *s, size_t seed, size_t max)
{
    s->x = (unsigned) seed * 2654435761u + 1;
    s->whole = (seed == 0);
    s->max = max;
}


/* the next piece's size, at most left */
static inline size_t
fuzz_split_next(fuzz_split_t *s, size_t left)
{
    size_t  step;

    if (s->whole) {
        return left;
    }
    s->x ^= s->x << 13;
    s->x ^= s->x >> 17;
    s->x ^= s->x << 5;
    step = 1 + s->x % s->max;
    return step < left ? step : left;
}

#endif
