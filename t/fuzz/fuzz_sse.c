/*
 * libFuzzer target: the SSE parser.  Input bytes are parsed whole and again
 * in pieces whose sizes come from the input itself; when both runs succeed
 * they must deliver the same events (the parser's core promise).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm_sse.h"
#include "fuzz_split.h"

static int
log_cb(void *arg, const char *event, size_t elen, const char *data,
       size_t dlen)
{
    llm_buf_t  *log = arg;

    if (event) {
        llm_buf_append(log, event, elen);
    }
    llm_buf_append(log, "\x01", 1);
    llm_buf_append(log, data, dlen);
    llm_buf_append(log, "\x02", 1);
    return 0;
}

static int
parse(const char *d, size_t n, size_t step_seed, llm_buf_t *log)
{
    llm_sse_parser_t  p;
    size_t            off = 0, step;
    int               rc = 0;
    fuzz_split_t      split;

    fuzz_split_init(&split, step_seed, 64);
    llm_sse_init(&p, 4096);
    while (off < n && rc == 0) {
        step = fuzz_split_next(&split, n - off);
        rc = llm_sse_feed(&p, d + off, step, log_cb, log);
        off += step;
    }
    if (rc == 0) {
        rc = llm_sse_finish(&p, log_cb, log);
    }
    llm_sse_free(&p);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llm_buf_t  a = LLM_BUF_INIT, b = LLM_BUF_INIT;
    int        ra, rb;

    ra = parse((const char *) data, size, 0, &a);
    rb = parse((const char *) data, size, size ? data[0] + 1u : 1, &b);
    if (ra == 0 && rb == 0
        && (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)))
    {
        abort();
    }
    llm_buf_free(&a);
    llm_buf_free(&b);
    return 0;
}
