/*
 * The bounded gunzip (llm_gzip.c): a gzip error body inflates whole, a
 * bomb is cut at the bound, garbage and a cut stream are reported.
 * Inputs are made with zlib's own deflate (gzip wrapper) here.
 */

#include <string.h>
#include <stdlib.h>
#include <zlib.h>

#include "llm_gzip.h"
#include "unit.h"


static size_t
gzip_of(const unsigned char *in, size_t len, unsigned char *out, size_t max)
{
    z_stream  z;

    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *) in;
    z.avail_in = (uInt) len;
    z.next_out = out;
    z.avail_out = (uInt) max;
    deflate(&z, Z_FINISH);
    deflateEnd(&z);

    return max - z.avail_out;
}


UNIT_TEST(error_body_whole)
{
    size_t         n, out_len;
    unsigned char  gz[512], out[512];
    const char    *body = "{\"error\":{\"message\":\"temperature 7 is out of "
                          "range\",\"code\":\"context_length_exceeded\"}}";

    n = gzip_of((const unsigned char *) body, strlen(body), gz, sizeof(gz));

    CHECK(llm_gunzip(gz, n, out, sizeof(out), &out_len) == LLM_GUNZIP_OK);
    CHECK(out_len == strlen(body));
    CHECK(memcmp(out, body, out_len) == 0);

    /* the stream cut short: what came is decoded, and said to be cut */
    CHECK(llm_gunzip(gz, n - 10, out, sizeof(out), &out_len)
          == LLM_GUNZIP_CUT);
    CHECK(out_len < strlen(body));
}


UNIT_TEST(bomb_is_cut)
{
    size_t          n, out_len, big = 8 * 1024 * 1024;
    unsigned char  *zeros, *gz, *out;

    zeros = calloc(1, big);
    gz = malloc(big);
    out = malloc(2 * LLM_GUNZIP_MAX);

    n = gzip_of(zeros, big, gz, big);
    CHECK(n < 64 * 1024);

    /* asked for more than the bound: still only the bound */
    CHECK(llm_gunzip(gz, n, out, 2 * LLM_GUNZIP_MAX, &out_len)
          == LLM_GUNZIP_CUT);
    CHECK(out_len == LLM_GUNZIP_MAX);

    free(zeros);
    free(gz);
    free(out);
}


UNIT_TEST(not_gzip)
{
    size_t         out_len;
    unsigned char  out[64];
    const char    *plain = "{\"error\":\"plain json\"}";

    CHECK(llm_gunzip((const unsigned char *) plain, strlen(plain), out,
                     sizeof(out), &out_len) == LLM_GUNZIP_BAD);
    CHECK(out_len == 0);
    CHECK(llm_gunzip(NULL, 0, out, sizeof(out), &out_len) == LLM_GUNZIP_CUT
          || out_len == 0);
}


UNIT_MAIN(error_body_whole, bomb_is_cut, not_gzip)
