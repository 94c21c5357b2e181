/*
 * A bounded gunzip (see llm_gzip.h).  zlib inflates into the caller's
 * buffer only, so the output can never grow past outmax whatever the
 * input's ratio.
 */

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
