/*
 * A bounded gunzip for a provider's small bodies (an error's JSON) that
 * came with Content-Encoding: gzip although we never asked for it.
 */

#ifndef LLM_GZIP_H
#define LLM_GZIP_H

#include <stddef.h>

#include "llm_buf.h"

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


/*
 * An incremental inflater, for a body decoded as it arrives (an answer or
 * a stream to translate or to read usage from, that came gzip-encoded):
 * gzip, zlib, or raw deflate (what some servers send as "deflate"), and
 * at most `max` decoded bytes in all.
 */
typedef struct llm_inflate_s  llm_inflate_t;

typedef enum {
    LLM_INFLATE_MORE = 0,       /* all input taken, the data goes on */
    LLM_INFLATE_END,            /* the compressed data ended */
    LLM_INFLATE_FULL,           /* max bytes decoded: the rest is dropped */
    LLM_INFLATE_BAD,            /* not compressed data, or corrupt */
    LLM_INFLATE_NOMEM
} llm_inflate_rc_t;

/* NULL when out of memory */
llm_inflate_t *llm_inflate_new(size_t max);

/*
 * Decodes in[0..len) onto the end of out.  Once it returned anything but
 * LLM_INFLATE_MORE it returns the same again and decodes nothing more.
 */
llm_inflate_rc_t llm_inflate_feed(llm_inflate_t *z, const void *in,
    size_t len, llm_buf_t *out);

void llm_inflate_free(llm_inflate_t *z);

#endif /* LLM_GZIP_H */
