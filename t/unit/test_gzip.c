/*
 * The bounded gunzip (llm_gzip.c): a gzip error body inflates whole, a
 * bomb is cut at the bound, garbage and a cut stream are reported.
 * Inputs are made with zlib's own deflate (gzip wrapper) here.
 */

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <zlib.h>

#include "llm_gzip.h"
#include "unit.h"


static size_t
deflate_of(const unsigned char *in, size_t len, unsigned char *out,
    size_t max, int wbits)
{
    z_stream  z;

    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *) in;
    z.avail_in = (uInt) len;
    z.next_out = out;
    z.avail_out = (uInt) max;
    deflate(&z, Z_FINISH);
    deflateEnd(&z);

    return max - z.avail_out;
}


static size_t
gzip_of(const unsigned char *in, size_t len, unsigned char *out, size_t max)
{
    return deflate_of(in, len, out, max, 16 + MAX_WBITS);
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


/* An SSE-like text, long enough to span several inflate() steps. */

static char *
sample_text(size_t *len)
{
    size_t  i, n = 0, max = 200000;
    char   *t;

    t = malloc(max);

    for (i = 0; n + 64 < max; i++) {
        n += (size_t) snprintf(t + n, max - n,
                               "data: {\"i\":%zu,\"delta\":\"w%zu\"}\n\n",
                               i, i * 7919 % 1000);
    }

    *len = n;
    return t;
}


/* Decoded as it comes, whatever the pieces: 1 byte, 7 bytes, all at once. */

UNIT_TEST(inflate_in_pieces)
{
    size_t          len, n, i, step;
    char           *text;
    unsigned char  *gz;
    llm_buf_t       out = LLM_BUF_INIT;
    llm_inflate_t  *zs;

    static const size_t  steps[] = { 1, 7, 1000, 0 };

    text = sample_text(&len);
    gz = malloc(len);
    n = gzip_of((unsigned char *) text, len, gz, len);
    CHECK(n > 0 && n < len);

    for (step = 0; step < sizeof(steps) / sizeof(steps[0]); step++) {
        size_t  piece = steps[step] ? steps[step] : n;

        zs = llm_inflate_new(16 * 1024 * 1024);
        CHECK(zs != NULL);
        llm_buf_reset(&out);

        for (i = 0; i < n; i += piece) {
            llm_inflate_rc_t  rc;

            rc = llm_inflate_feed(zs, gz + i, i + piece > n ? n - i : piece,
                                  &out);
            CHECK(rc == (i + piece >= n ? LLM_INFLATE_END : LLM_INFLATE_MORE));
        }

        CHECK(out.len == len);
        CHECK(memcmp(out.data, text, len) == 0);

        /* after the end: nothing more */
        CHECK(llm_inflate_feed(zs, gz, n, &out) == LLM_INFLATE_END);
        CHECK(out.len == len);
        llm_inflate_free(zs);
    }

    /* cut short: what came is decoded, the end not seen */
    zs = llm_inflate_new(16 * 1024 * 1024);
    llm_buf_reset(&out);
    CHECK(llm_inflate_feed(zs, gz, n / 2, &out) == LLM_INFLATE_MORE);
    CHECK(out.len > 0 && out.len < len);
    CHECK(memcmp(out.data, text, out.len) == 0);
    llm_inflate_free(zs);

    llm_buf_free(&out);
    free(gz);
    free(text);
}


/* "deflate" as zlib data, and as raw deflate as some servers send it */

UNIT_TEST(inflate_deflate_forms)
{
    size_t          n, w;
    unsigned char   dz[512];
    llm_buf_t       out = LLM_BUF_INIT;
    llm_inflate_t  *zs;
    const char     *body = "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":3}}";

    static const int  wbits[] = { MAX_WBITS, -MAX_WBITS };

    for (w = 0; w < 2; w++) {
        n = deflate_of((const unsigned char *) body, strlen(body), dz,
                       sizeof(dz), wbits[w]);

        zs = llm_inflate_new(1024);
        llm_buf_reset(&out);
        CHECK(llm_inflate_feed(zs, dz, n, &out) == LLM_INFLATE_END);
        CHECK(out.len == strlen(body));
        CHECK(strcmp(out.data, body) == 0);
        llm_inflate_free(zs);
    }

    llm_buf_free(&out);
}


UNIT_TEST(inflate_bounded_and_bad)
{
    size_t          n, big = 4 * 1024 * 1024;
    unsigned char  *zeros, *gz;
    llm_buf_t       out = LLM_BUF_INIT;
    llm_inflate_t  *zs;
    const char     *plain = "{\"error\":\"plain json, not compressed\"}";

    zeros = calloc(1, big);
    gz = malloc(big);
    n = gzip_of(zeros, big, gz, big);

    /* a bomb stops at the bound, and stays stopped */
    zs = llm_inflate_new(LLM_GUNZIP_MAX);
    CHECK(llm_inflate_feed(zs, gz, n, &out) == LLM_INFLATE_FULL);
    CHECK(out.len == LLM_GUNZIP_MAX);
    CHECK(llm_inflate_feed(zs, gz, n, &out) == LLM_INFLATE_FULL);
    CHECK(out.len == LLM_GUNZIP_MAX);
    llm_inflate_free(zs);

    zs = llm_inflate_new(1024);
    llm_buf_reset(&out);
    CHECK(llm_inflate_feed(zs, plain, strlen(plain), &out)
          == LLM_INFLATE_BAD);
    llm_inflate_free(zs);

    llm_inflate_free(NULL);
    llm_buf_free(&out);
    free(zeros);
    free(gz);
}


UNIT_MAIN(error_body_whole, bomb_is_cut, not_gzip, inflate_in_pieces,
          inflate_deflate_forms, inflate_bounded_and_bad)
