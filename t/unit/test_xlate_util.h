/*
 * Helpers for the translation tests: load samples, translate, and look
 * into the JSON output by path ("messages.2.content.0.text").
 */

#ifndef TEST_XLATE_UTIL_H
#define TEST_XLATE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm_xlate.h"
#include "unit.h"

#define TX_UNUSED  __attribute__((unused))

TX_UNUSED static char *
read_sample(const char *name, size_t *len)
{
    char   path[256], *buf;

    snprintf(path, sizeof(path), "samples/%s", name);
    buf = unit_read_file(path, len);

    if (buf == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }

    return buf;
}

/* a value by dotted path; numeric segments index arrays */
TX_UNUSED static json_t *
jget(json_t *j, const char *path)
{
    char   seg[128];
    size_t n;

    while (j && *path) {
        n = strcspn(path, ".");
        if (n >= sizeof(seg)) {
            return NULL;
        }
        memcpy(seg, path, n);
        seg[n] = '\0';
        if (json_is_array(j)) {
            j = json_array_get(j, (size_t) strtoul(seg, NULL, 10));
        } else {
            j = json_object_get(j, seg);
        }
        path += n;
        if (*path == '.') {
            path++;
        }
    }
    return j;
}

TX_UNUSED static const char *
jstr(json_t *j, const char *path)
{
    return json_string_value(jget(j, path));
}

TX_UNUSED static long long
jint(json_t *j, const char *path)
{
    json_t  *v = jget(j, path);

    return json_is_integer(v) ? (long long) json_integer_value(v) : -999999;
}

TX_UNUSED static size_t
jlen(json_t *j, const char *path)
{
    json_t  *v = jget(j, path);

    return json_is_array(v) ? json_array_size(v)
           : json_is_object(v) ? json_object_size(v) : 0;
}

TX_UNUSED static llm_xlate_opts_t
opts(int stream, int drop)
{
    llm_xlate_opts_t  o;

    memset(&o, 0, sizeof(o));
    o.model = "provider-model";
    o.client_model = "client-model";
    o.stream = stream;
    o.drop_params = drop;
    o.include_usage = 1;
    return o;
}

/* translate a request; returns the parsed output (NULL on error) */
TX_UNUSED static json_t *
xreq(llm_api_t from, llm_api_t to, const char *in, size_t len,
     const llm_xlate_opts_t *o, char *err, size_t errlen)
{
    llm_buf_t  out = LLM_BUF_INIT;
    json_t    *j = NULL;

    if (llm_xlate_request(from, to, in, len, o, &out, err, errlen) == 0) {
        j = json_loadb(out.data, out.len, 0, NULL);
        CHECK(j != NULL);
    }
    llm_buf_free(&out);
    return j;
}

TX_UNUSED static json_t *
xreq_str(llm_api_t from, llm_api_t to, const char *in,
         const llm_xlate_opts_t *o, char *err, size_t errlen)
{
    return xreq(from, to, in, strlen(in), o, err, errlen);
}

TX_UNUSED static json_t *
xreq_sample(llm_api_t from, llm_api_t to, const char *name,
            const llm_xlate_opts_t *o)
{
    size_t   len;
    char    *in = read_sample(name, &len);
    char     err[256] = "";
    json_t  *j = xreq(from, to, in, len, o, err, sizeof(err));

    if (j == NULL) {
        fprintf(stderr, "%s: %s\n", name, err);
    }
    free(in);
    return j;
}

/* the client's bytes for `from` upstream bytes, split once at `cut` */
TX_UNUSED static void
tx_run_split(llm_api_t from, llm_api_t to, const char *in, size_t len,
    size_t cut, llm_buf_t *out, llm_usage_t *u)
{
    llm_xlate_opts_t     o = opts(1, 0);
    llm_stream_xlate_t  *x;

    x = llm_stream_xlate_new(from, to, &o);
    CHECK(x != NULL);
    CHECK(llm_stream_xlate_feed(x, in, cut, out) == 0);
    CHECK(llm_stream_xlate_feed(x, in + cut, len - cut, out) == 0);
    CHECK(llm_stream_xlate_finish(x, out) == 0);
    llm_stream_xlate_usage(x, u);
    llm_stream_xlate_free(x);
}


/* timestamps differ between runs: digits are not compared */
TX_UNUSED static int
tx_same_but_digits(const llm_buf_t *a, const llm_buf_t *b)
{
    size_t  i;

    if (a->len != b->len) {
        return 0;
    }
    for (i = 0; i < a->len; i++) {
        if (a->data[i] != b->data[i]
            && !(a->data[i] >= '0' && a->data[i] <= '9'
                 && b->data[i] >= '0' && b->data[i] <= '9'))
        {
            return 0;
        }
    }
    return 1;
}


/* every client format, every split point: the same bytes as whole */
TX_UNUSED static void
tx_every_split(llm_api_t from, const char *sample)
{
    static const llm_api_t  to[] = { LLM_API_OPENAI, LLM_API_ANTHROPIC,
                                     LLM_API_GEMINI, LLM_API_RESPONSES };
    size_t       len, cut, t, bad;
    char        *in = read_sample(sample, &len);
    llm_buf_t    whole = LLM_BUF_INIT, split = LLM_BUF_INIT;
    llm_usage_t  u;

    for (t = 0; t < sizeof(to) / sizeof(to[0]); t++) {
        llm_buf_reset(&whole);
        tx_run_split(from, to[t], in, len, len, &whole, &u);
        bad = 0;
        for (cut = 0; cut <= len; cut++) {
            llm_buf_reset(&split);
            tx_run_split(from, to[t], in, len, cut, &split, &u);
            bad += !tx_same_but_digits(&whole, &split);
        }
        if (bad) {
            fprintf(stderr, "  %s to %s: %zu splits differ\n", sample,
                    llm_api_name(to[t]), bad);
        }
        CHECK(bad == 0);
    }
    llm_buf_free(&whole);
    llm_buf_free(&split);
    free(in);
}


/* a sample stream, whole, in the client's format */
TX_UNUSED static void
tx_whole_stream(llm_api_t from, llm_api_t to, const char *sample,
    llm_buf_t *out, llm_usage_t *u)
{
    size_t  len;
    char   *in = read_sample(sample, &len);

    llm_buf_reset(out);
    tx_run_split(from, to, in, len, len, out, u);
    free(in);
}

/* every needle is in the output: CHECK(TX_HAS(&out, "a", "b")) */
#define TX_HAS(buf, ...)  tx_has((buf), (const char *[]) { __VA_ARGS__, NULL })

TX_UNUSED static int
tx_has(const llm_buf_t *b, const char **needles)
{
    for ( ; *needles; needles++) {
        if (b->data == NULL || strstr(b->data, *needles) == NULL) {
            fprintf(stderr, "  missing: %s\n", *needles);
            return 0;
        }
    }
    return 1;
}

#endif
