/*
 * Mock responses in OpenAI's wire format.  A stream is cut at word
 * boundaries into a few chunks, like a real provider's.
 */

#include <string.h>
#include <stdlib.h>

#include <jansson.h>

#include "llm_mock.h"
#include "llm_json_scan.h"
#include "llm_sse.h"


long long
llm_mock_estimate_tokens(const char *text, size_t len)
{
    return len ? (long long) (len + 3) / 4 : 0;
}


static int
llm_mock_quoted(llm_buf_t *out, const char *s, size_t len)
{
    size_t  n;

    if (llm_buf_reserve(out, LLM_JSON_QUOTED_MAX(len)) != 0) {
        return -1;
    }

    n = llm_json_quote(s, len, out->data + out->len);
    out->len += n;
    out->data[out->len] = '\0';

    return 0;
}


static int
llm_mock_chunk(llm_buf_t *out, const llm_mock_t *m, const char *delta,
    size_t delta_len, int first, const char *finish)
{
    llm_buf_t  data = LLM_BUF_INIT;
    int        rc;

    rc = llm_buf_appendf(&data, "{\"id\":\"chatcmpl-mock-%lu\","
                         "\"object\":\"chat.completion.chunk\","
                         "\"created\":%lld,\"model\":", m->seq, m->created);
    rc |= llm_mock_quoted(&data, m->model, strlen(m->model));
    rc |= llm_buf_append_str(&data, ",\"choices\":[{\"index\":0,\"delta\":{");

    if (first) {
        rc |= llm_buf_append_str(&data, "\"role\":\"assistant\",");
    }

    if (delta != NULL) {
        rc |= llm_buf_append_str(&data, "\"content\":");
        rc |= llm_mock_quoted(&data, delta, delta_len);

    } else if (first) {
        rc |= llm_buf_append_str(&data, "\"content\":\"\"");

    } else if (data.len && data.data[data.len - 1] == ',') {
        data.len--;
    }

    rc |= llm_buf_appendf(&data, "},\"finish_reason\":%s%s%s}]}",
                          finish ? "\"" : "", finish ? finish : "null",
                          finish ? "\"" : "");

    if (rc == 0) {
        rc = llm_sse_write(out, NULL, data.data, data.len);
    }

    llm_buf_free(&data);

    return rc ? -1 : 0;
}


static int
llm_mock_stream(const llm_mock_t *m, llm_buf_t *out, long long pt,
    long long ct)
{
    int          rc;
    size_t       len, start, end;
    llm_buf_t    data = LLM_BUF_INIT;
    const char  *t;

    t = m->text;
    len = strlen(t);

    rc = llm_mock_chunk(out, m, NULL, 0, 1, NULL);

    for (start = 0; start < len && rc == 0; start = end) {
        /* a chunk is a word and the space before the next one */
        end = start;
        while (end < len && t[end] == ' ') {
            end++;
        }
        while (end < len && t[end] != ' ') {
            end++;
        }

        rc = llm_mock_chunk(out, m, t + start, end - start, 0, NULL);
    }

    rc |= llm_mock_chunk(out, m, NULL, 0, 0, "stop");

    if (m->include_usage && rc == 0) {
        rc = llm_buf_appendf(&data, "{\"id\":\"chatcmpl-mock-%lu\","
                             "\"object\":\"chat.completion.chunk\","
                             "\"created\":%lld,\"model\":", m->seq,
                             m->created);
        rc |= llm_mock_quoted(&data, m->model, strlen(m->model));
        rc |= llm_buf_appendf(&data, ",\"choices\":[],\"usage\":"
                              "{\"prompt_tokens\":%lld,"
                              "\"completion_tokens\":%lld,"
                              "\"total_tokens\":%lld}}", pt, ct, pt + ct);
        if (rc == 0) {
            rc = llm_sse_write(out, NULL, data.data, data.len);
        }
        llm_buf_free(&data);
    }

    if (rc == 0) {
        rc = llm_sse_write(out, NULL, "[DONE]", 6);
    }

    return rc ? -1 : 0;
}


static int
llm_mock_embedding(const llm_mock_t *m, llm_buf_t *out, long long pt)
{
    int           rc;
    size_t        i, n, k;
    json_t       *req, *input;
    unsigned int  h;

    req = json_loadb(m->request, m->request_len, 0, NULL);
    input = req ? json_object_get(req, "input") : NULL;
    n = json_is_array(input) ? json_array_size(input) : 1;

    rc = llm_buf_append_str(out, "{\"object\":\"list\",\"data\":[");

    for (i = 0; i < n && rc == 0; i++) {
        rc |= llm_buf_appendf(out, "%s{\"object\":\"embedding\",\"index\":%zu,"
                              "\"embedding\":[", i ? "," : "", i);

        /* a deterministic vector, so equal inputs embed equally */
        h = 2166136261u + (unsigned int) i;
        for (k = 0; k < 8; k++) {
            h = (h ^ (unsigned int) k) * 16777619u;
            rc |= llm_buf_appendf(out, "%s%.6f", k ? "," : "",
                                  (double) (h % 2000) / 1000.0 - 1.0);
        }

        rc |= llm_buf_append_str(out, "]}");
    }

    rc |= llm_buf_append_str(out, "],\"model\":");
    rc |= llm_mock_quoted(out, m->model, strlen(m->model));
    rc |= llm_buf_appendf(out, ",\"usage\":{\"prompt_tokens\":%lld,"
                          "\"total_tokens\":%lld}}", pt, pt);

    json_decref(req);

    return rc ? -1 : 0;
}


int
llm_mock_response(const llm_mock_t *m, llm_buf_t *out,
    long long *prompt_tokens, long long *completion_tokens)
{
    int        rc;
    long long  pt, ct;

    pt = llm_mock_estimate_tokens(m->request, m->request_len);
    ct = m->kind == LLM_MOCK_EMBEDDING
         ? 0 : llm_mock_estimate_tokens(m->text, strlen(m->text));

    *prompt_tokens = pt;
    *completion_tokens = ct;

    if (m->kind == LLM_MOCK_EMBEDDING) {
        return llm_mock_embedding(m, out, pt);
    }

    if (m->stream && m->kind == LLM_MOCK_CHAT) {
        return llm_mock_stream(m, out, pt, ct);
    }

    if (m->kind == LLM_MOCK_COMPLETION) {
        rc = llm_buf_appendf(out, "{\"id\":\"cmpl-mock-%lu\","
                             "\"object\":\"text_completion\","
                             "\"created\":%lld,\"model\":", m->seq,
                             m->created);
        rc |= llm_mock_quoted(out, m->model, strlen(m->model));
        rc |= llm_buf_append_str(out, ",\"choices\":[{\"index\":0,\"text\":");
        rc |= llm_mock_quoted(out, m->text, strlen(m->text));
        rc |= llm_buf_append_str(out, ",\"logprobs\":null,"
                                 "\"finish_reason\":\"stop\"}],");

    } else {
        rc = llm_buf_appendf(out, "{\"id\":\"chatcmpl-mock-%lu\","
                             "\"object\":\"chat.completion\","
                             "\"created\":%lld,\"model\":", m->seq,
                             m->created);
        rc |= llm_mock_quoted(out, m->model, strlen(m->model));
        rc |= llm_buf_append_str(out, ",\"choices\":[{\"index\":0,\"message\":"
                                 "{\"role\":\"assistant\",\"content\":");
        rc |= llm_mock_quoted(out, m->text, strlen(m->text));
        rc |= llm_buf_append_str(out, "},\"finish_reason\":\"stop\"}],");
    }

    rc |= llm_buf_appendf(out, "\"usage\":{\"prompt_tokens\":%lld,"
                          "\"completion_tokens\":%lld,"
                          "\"total_tokens\":%lld}}", pt, ct, pt + ct);

    return rc ? -1 : 0;
}
