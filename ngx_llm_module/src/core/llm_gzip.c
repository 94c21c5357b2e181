/*
 * A bounded gunzip (see llm_gzip.h).  zlib inflates into the caller's
 * buffer only, so the output can never grow past outmax whatever the
 * input's ratio.
 */

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "llm_gzip.h"


llm_gunzip_rc_t
llm_gunzip(const unsigned char *in, size_t inlen, unsigned char *out,
    size_t outmax, size_t *outlen)
{
    int       rc;
    z_stream  z;

    *outlen = 0;

    if (outmax > LLM_GUNZIP_MAX) {
        outmax = LLM_GUNZIP_MAX;
    }

    memset(&z, 0, sizeof(z));

    /* 32 + windowBits: a gzip or a zlib header, detected */
    if (inflateInit2(&z, 32 + MAX_WBITS) != Z_OK) {
        return LLM_GUNZIP_BAD;
    }

    z.next_in = (unsigned char *) in;
    z.avail_in = (uInt) inlen;
    z.next_out = out;
    z.avail_out = (uInt) outmax;

    rc = inflate(&z, Z_FINISH);

    *outlen = outmax - z.avail_out;

    inflateEnd(&z);

    switch (rc) {

    case Z_STREAM_END:
        return LLM_GUNZIP_OK;

    case Z_BUF_ERROR:                  /* no room left, or no input left */
    case Z_OK:
        return LLM_GUNZIP_CUT;

    default:
        return *outlen ? LLM_GUNZIP_CUT : LLM_GUNZIP_BAD;
    }
}


/* how much room is offered to one inflate() call */
#define LLM_INFLATE_STEP  16384


struct llm_inflate_s {
    z_stream          z;
    size_t            max;         /* decoded bytes still allowed */
    llm_inflate_rc_t  rc;          /* sticky once not MORE */
    unsigned          started:1;   /* some input was taken */
    unsigned          raw:1;       /* retried as raw deflate */
};


llm_inflate_t *
llm_inflate_new(size_t max)
{
    llm_inflate_t  *zs;

    zs = calloc(1, sizeof(llm_inflate_t));
    if (zs == NULL) {
        return NULL;
    }

    /* 32 + windowBits: a gzip or a zlib header, detected */
    if (inflateInit2(&zs->z, 32 + MAX_WBITS) != Z_OK) {
        free(zs);
        return NULL;
    }

    zs->max = max;
    zs->rc = LLM_INFLATE_MORE;

    return zs;
}


/*
 * A "deflate" body without its zlib header: decoding starts over as raw
 * deflate, once, and only if nothing was decoded and this is the first
 * input (all of which is still at hand).
 */

static int
llm_inflate_raw(llm_inflate_t *zs, const void *in, size_t len)
{
    if (zs->raw || zs->started || zs->z.total_out) {
        return -1;
    }

    inflateEnd(&zs->z);
    memset(&zs->z, 0, sizeof(z_stream));

    if (inflateInit2(&zs->z, -MAX_WBITS) != Z_OK) {
        return -1;
    }

    zs->raw = 1;
    zs->z.next_in = (unsigned char *) in;
    zs->z.avail_in = (uInt) len;

    return 0;
}


llm_inflate_rc_t
llm_inflate_feed(llm_inflate_t *zs, const void *in, size_t len,
    llm_buf_t *out)
{
    int     rc;
    size_t  room, n;

    if (zs->rc != LLM_INFLATE_MORE || len == 0) {
        return zs->rc;
    }

    zs->z.next_in = (unsigned char *) in;
    zs->z.avail_in = (uInt) len;

    for ( ;; ) {
        if (zs->max == 0) {
            zs->rc = LLM_INFLATE_FULL;
            break;
        }

        room = zs->max < LLM_INFLATE_STEP ? zs->max : LLM_INFLATE_STEP;

        if (llm_buf_reserve(out, room) != 0) {
            zs->rc = LLM_INFLATE_NOMEM;
            break;
        }

        zs->z.next_out = (unsigned char *) out->data + out->len;
        zs->z.avail_out = (uInt) room;

        rc = inflate(&zs->z, Z_NO_FLUSH);

        n = room - zs->z.avail_out;
        out->len += n;
        out->data[out->len] = '\0';
        zs->max -= n;

        if (rc == Z_DATA_ERROR && llm_inflate_raw(zs, in, len) == 0) {
            continue;
        }

        zs->started = 1;

        if (rc == Z_STREAM_END) {
            /* what follows the compressed data is not the body's */
            zs->rc = LLM_INFLATE_END;
            break;
        }

        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            zs->rc = LLM_INFLATE_BAD;
            break;
        }

        if (zs->z.avail_in == 0 && zs->z.avail_out != 0) {
            /* everything taken, and all of its output given */
            break;
        }

        if (rc == Z_BUF_ERROR && n == 0) {
            break;
        }
    }

    return zs->rc;
}


void
llm_inflate_free(llm_inflate_t *zs)
{
    if (zs == NULL) {
        return;
    }

    inflateEnd(&zs->z);
    free(zs);
}
