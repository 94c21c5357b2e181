/*
 * libFuzzer target: the AWS event-stream decoder.  The input is decoded
 * whole and again in pieces whose sizes come from the input; the decoder
 * must never read outside the bytes it was given, and both runs must agree
 * on the outcome and on every message delivered (its core promise: a frame
 * may be split at any byte).  The input's first byte also picks whether it
 * is taken raw or as the payload of a frame with valid CRCs, so that the
 * fuzzer reaches the header parser and not only the CRC checks.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm_eventstream.h"
#include "fuzz_split.h"


static int
log_cb(const llm_evs_message_t *m, void *arg)
{
    llm_buf_t  *log = arg;

    llm_buf_append(log, m->event_type.data, m->event_type.len);
    llm_buf_append(log, "\x01", 1);
    llm_buf_append(log, m->exception_type.data, m->exception_type.len);
    llm_buf_append(log, "\x01", 1);
    llm_buf_append(log, m->payload, m->payload_len);
    llm_buf_append(log, "\x02", 1);
    return 0;
}


static int
decode(const unsigned char *d, size_t n, unsigned seed, llm_buf_t *log)
{
    llm_evs_parser_t  p;
    size_t            off = 0, step;
    int               rc = LLM_EVS_OK;
    fuzz_split_t      split;

    fuzz_split_init(&split, seed, 40);
    llm_evs_init(&p);
    while (off < n && rc == LLM_EVS_OK) {
        step = fuzz_split_next(&split, n - off);
        rc = llm_evs_feed(&p, d + off, step, log_cb, log);
        off += step;
    }
    llm_evs_free(&p);
    return rc;
}


/* data as a frame's headers and payload, with correct lengths and CRCs */
static void
wrap(const unsigned char *d, size_t n, llm_buf_t *out)
{
    size_t         hlen;
    uint32_t       v;
    unsigned char  b[12];
    int            i;

    hlen = n ? d[0] % (n + 1) : 0;
    if (hlen > 0) {
        d++, n--, hlen--;
    }
    if (hlen > n) {
        hlen = n;
    }

    v = (uint32_t) (16 + n);
    for (i = 0; i < 4; i++) {
        b[i] = (unsigned char) (v >> (24 - 8 * i));
        b[4 + i] = (unsigned char) (hlen >> (24 - 8 * i));
    }
    v = llm_evs_crc32(0, b, 8);
    for (i = 0; i < 4; i++) {
        b[8 + i] = (unsigned char) (v >> (24 - 8 * i));
    }
    llm_buf_append(out, b, 12);
    llm_buf_append(out, d, n);
    v = llm_evs_crc32(0, out->data, out->len);
    for (i = 0; i < 4; i++) {
        b[i] = (unsigned char) (v >> (24 - 8 * i));
    }
    llm_buf_append(out, b, 4);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llm_buf_t             whole = LLM_BUF_INIT, parts = LLM_BUF_INIT;
    llm_buf_t             framed = LLM_BUF_INIT;
    const unsigned char  *d;
    size_t                n;
    unsigned              seed;
    int                   a, b;

    if (size < 2) {
        return 0;
    }
    seed = data[1];

    if (data[0] & 1) {
        wrap(data + 2, size - 2, &framed);
        d = (unsigned char *) framed.data;
        n = framed.len;
    } else {
        d = data + 2;
        n = size - 2;
    }

    a = decode(d, n, 0, &whole);
    b = decode(d, n, seed | 1, &parts);

    if (a != b || (a == LLM_EVS_OK && (whole.len != parts.len
                   || (whole.len > 0
                       && memcmp(whole.data, parts.data, whole.len) != 0))))
    {
        abort();
    }

    llm_buf_free(&whole);
    llm_buf_free(&parts);
    llm_buf_free(&framed);
    return 0;
}
