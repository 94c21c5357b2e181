/*
 * A bounded gunzip for a provider's small bodies (an error's JSON) that
 * came with Content-Encoding: gzip although we never asked for it.
 */

#ifndef LLM_GZIP_H
#define LLM_GZIP_H

#include <stddef.h>

/* at most this much is inflated: a bomb is cut, never expanded */
#define LLM_GUNZIP_MAX  65536

typedef enum {
    LLM_GUNZIP_OK = 0,          /* the whole stream, *outlen bytes */
    LLM_GUNZIP_CUT,             /* out is full, or the input ended early */
    LLM_GUNZIP_BAD              /* not gzip/zlib data */
} llm_gunzip_rc_t;

/*
 * Inflates gzip (or zlib) data in[0..inlen) into out[0..outmax), outmax at
 * most LLM_GUNZIP_MAX; *outlen is what was written in every case.
 */
llm_gunzip_rc_t llm_gunzip(const unsigned char *in, size_t inlen,
    unsigned char *out, size_t outmax, size_t *outlen);

#endif /* LLM_GZIP_H */
