/*
 * libFuzzer target: stream translation fed in pieces.  Byte 0 picks the
 * formats (the SSE provider formats of `from` below, then the client's:
 * from + 5 * to, as mk/fuzz.mk's seeds are made), byte 1 seeds the piece
 * sizes (and whether the caller reports a failure); the rest is the
 * upstream SSE.  Whatever comes in, the client
 * must get well-formed SSE whose data is JSON (or [DONE]).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm_sse.h"
#include "llm_xlate.h"

static int
check_cb(void *arg, const char *event, size_t elen, const char *data,
         size_t dlen)
{
    json_t  *j;

    if (dlen == 6 && memcmp(data, "[DONE]", 6) == 0) {
        return 0;
    }
    j = json_loadb(data, dlen, JSON_ALLOW_NUL, NULL);
    if (j == NULL) {
        abort();
    }
    json_decref(j);
    return 0;
}

/* the providers whose streams are SSE (Bedrock's is fuzz_eventstream's) */
static const llm_api_t  from_api[] = {
    LLM_API_OPENAI, LLM_API_ANTHROPIC, LLM_API_GEMINI, LLM_API_COHERE,
    LLM_API_OPENAI_TEXT
};

#define NFROM  (sizeof(from_api) / sizeof(from_api[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llm_xlate_opts_t     o = { 0 };
    llm_stream_xlate_t  *x;
    llm_sse_parser_t     p;
    llm_buf_t            out = LLM_BUF_INIT;
    llm_usage_t          u;
    const char          *in;
    size_t               n, off = 0, step;
    unsigned             r;

    if (size < 2) {
        return 0;
    }
    o.client_model = "fuzz-client";
    o.include_usage = data[1] & 1;
    x = llm_stream_xlate_new(from_api[data[0] % NFROM],
                             (llm_api_t) ((data[0] / NFROM) % 4), &o);
    if (x == NULL) {
        return 0;
    }
    in = (const char *) data + 2;
    n = size - 2;
    r = data[1] * 2654435761u + 1;
    while (off < n) {
        r ^= r << 13; r ^= r >> 17; r ^= r << 5;
        step = 1 + r % 97;
        if (step > n - off) {
            step = n - off;
        }
        if (llm_stream_xlate_feed(x, in + off, step, &out) != 0) {
            break;
        }
        off += step;
    }
    if (data[1] & 0x80) {
        llm_stream_xlate_fail(x, "fuzz failure", &out);
    }
    llm_stream_xlate_finish(x, &out);
    llm_stream_xlate_usage(x, &u);
    llm_stream_xlate_free(x);

    llm_sse_init(&p, 0);
    if (llm_sse_feed(&p, out.data ? out.data : "", out.len, check_cb, NULL)
        != 0)
    {
        abort();
    }
    llm_sse_free(&p);
    llm_buf_free(&out);
    return 0;
}
