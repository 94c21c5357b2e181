/*
 * Stream translation: whole event sequences for every provider -> client
 * pair, identical output whether the upstream bytes arrive whole, one byte
 * at a time or in random pieces, mid-stream errors, truncated upstreams,
 * and incremental (unbuffered) output.
 */

#include "test_xlate_util.h"
#include "llm_sse.h"

/* ----------------------------------------------------- event capture */

typedef struct {
    char     names[64][32];
    json_t  *data[64];         /* NULL for non-JSON data ([DONE]) */
    char     raw[64][16];
    int      n;
} events_t;

static int
events_cb(void *arg, const char *event, size_t elen, const char *data,
          size_t dlen)
{
    events_t  *e = arg;

    if (e->n >= 64) {
        return 0;
    }
    snprintf(e->names[e->n], sizeof(e->names[0]), "%.*s", (int) elen,
             event ? event : "");
    e->data[e->n] = json_loadb(data, dlen, 0, NULL);
    snprintf(e->raw[e->n], sizeof(e->raw[0]), "%.*s",
             (int) (dlen < 15 ? dlen : 15), data);
    e->n++;
    return 0;
}

static void
events_parse(const llm_buf_t *out, events_t *e)
{
    llm_sse_parser_t  p;

    memset(e, 0, sizeof(*e));
    llm_sse_init(&p, 0);
    CHECK(llm_sse_feed(&p, out->data ? out->data : "", out->len, events_cb, e)
          == 0);
    llm_sse_free(&p);
}

static void
events_free(events_t *e)
{
    int  i;

    for (i = 0; i < e->n; i++) {
        json_decref(e->data[i]);
    }
}

/* the output with the wall-clock "created" removed, keys sorted */
static char *
normalized(const llm_buf_t *out)
{
    events_t   e;
    llm_buf_t  b = LLM_BUF_INIT;
    int        i;

    events_parse(out, &e);
    for (i = 0; i < e.n; i++) {
        char  *s;

        llm_buf_appendf(&b, "%s|", e.names[i]);
        if (e.data[i]) {
            json_object_del(e.data[i], "created");
            s = json_dumps(e.data[i], JSON_SORT_KEYS | JSON_COMPACT);
            llm_buf_append_str(&b, s);
            free(s);
        } else {
            llm_buf_append_str(&b, e.raw[i]);
        }
        llm_buf_append_str(&b, "\n");
    }
    events_free(&e);
    return b.data;
}

/* ----------------------------------------------------- running */

/* sizes == NULL: whole; else cycled piece sizes */
static void
run(llm_api_t from, llm_api_t to, const char *in, size_t len,
    const llm_xlate_opts_t *o, const size_t *sizes, size_t nsizes,
    llm_buf_t *out, llm_usage_t *u)
{
    llm_stream_xlate_t  *x = llm_stream_xlate_new(from, to, o);
    size_t               off = 0, i = 0, n;

    CHECK(x != NULL);
    while (off < len) {
        n = sizes ? sizes[i++ % nsizes] : len;
        if (n > len - off) {
            n = len - off;
        }
        CHECK(llm_stream_xlate_feed(x, in + off, n, out) == 0);
        off += n;
    }
    CHECK(llm_stream_xlate_finish(x, out) == 0);
    if (u) {
        llm_stream_xlate_usage(x, u);
    }
    llm_stream_xlate_free(x);
}

static void
run_sample(llm_api_t from, llm_api_t to, const char *name,
           const llm_xlate_opts_t *o, events_t *e, llm_usage_t *u)
{
    size_t     len;
    char      *in = read_sample(name, &len);
    llm_buf_t  out = LLM_BUF_INIT;

    run(from, to, in, len, o, NULL, 0, &out, u);
    events_parse(&out, e);
    llm_buf_free(&out);
    free(in);
}

/* concatenation of a string field over all events */
static void
concat(events_t *e, const char *path, llm_buf_t *b)
{
    int  i;

    llm_buf_reset(b);
    llm_buf_append(b, "", 0);
    for (i = 0; i < e->n; i++) {
        const char  *s = jstr(e->data[i], path);

        if (s) {
            llm_buf_append_str(b, s);
        }
    }
}

static const struct {
    llm_api_t    api;
    const char  *name;
} samples[] = {
    { LLM_API_OPENAI, "openai_stream_text.sse" },
    { LLM_API_OPENAI, "openai_stream_tools.sse" },
    { LLM_API_OPENAI, "openai_stream_reasoning.sse" },
    { LLM_API_OPENAI, "openai_stream_error.sse" },
    { LLM_API_ANTHROPIC, "anthropic_stream_text.sse" },
    { LLM_API_ANTHROPIC, "anthropic_stream_tools.sse" },
    { LLM_API_ANTHROPIC, "anthropic_stream_error.sse" },
    { LLM_API_GEMINI, "gemini_stream_text.sse" },
    { LLM_API_GEMINI, "gemini_stream_tools.sse" },
};

UNIT_TEST(test_split_invariance)
{
    llm_xlate_opts_t  o = opts(1, 0);
    size_t            s, i, k;
    int               to;

    srand(4242);
    for (s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
        size_t  len;
        char   *in = read_sample(samples[s].name, &len);

        for (to = 0; to < LLM_API_COUNT; to++) {
            llm_buf_t  whole = LLM_BUF_INIT, bytes = LLM_BUF_INIT;
            size_t     one = 1;
            char      *nw, *nb;

            if ((llm_api_t) to == samples[s].api) {
                continue;
            }
            run(samples[s].api, to, in, len, &o, NULL, 0, &whole, NULL);
            run(samples[s].api, to, in, len, &o, &one, 1, &bytes, NULL);
            nw = normalized(&whole);
            nb = normalized(&bytes);
            CHECK(nw != NULL && strlen(nw) > 20);
            CHECK_STR(nb, nw);
            free(nb);
            for (i = 0; i < 20; i++) {
                llm_buf_t  r = LLM_BUF_INIT;
                size_t     sizes[8];
                char      *nr;

                for (k = 0; k < 8; k++) {
                    sizes[k] = 1 + (size_t) rand() % 200;
                }
                run(samples[s].api, to, in, len, &o, sizes, 8, &r, NULL);
                nr = normalized(&r);
                CHECK_STR(nr, nw);
                free(nr);
                llm_buf_free(&r);
            }
            free(nw);
            llm_buf_free(&whole);
            llm_buf_free(&bytes);
        }
        free(in);
    }
}

UNIT_TEST(test_openai_tools_to_anthropic)
{
    static const char  *want[] = {
        "message_start", "ping", "content_block_start", "content_block_delta",
        "content_block_delta", "content_block_stop", "content_block_start",
        "content_block_delta", "content_block_stop", "message_delta",
        "message_stop",
    };
    llm_xlate_opts_t  o = opts(1, 0);
    events_t          e;
    llm_usage_t       u;
    llm_buf_t         b = LLM_BUF_INIT;
    json_t           *args;
    int               i;

    run_sample(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_stream_tools.sse",
               &o, &e, &u);
    CHECK(e.n == (int) (sizeof(want) / sizeof(want[0])));
    for (i = 0; i < e.n && i < 11; i++) {
        CHECK_STR(e.names[i], want[i]);
        /* every event's data names its own type, as the SDKs expect */
        CHECK_STR(jstr(e.data[i], "type"), want[i]);
    }
    CHECK_STR(jstr(e.data[0], "message.model"), "client-model");
    CHECK(strncmp(jstr(e.data[0], "message.id"), "msg_", 4) == 0);
    CHECK(jint(e.data[2], "index") == 0);
    CHECK_STR(jstr(e.data[2], "content_block.type"), "tool_use");
    CHECK_STR(jstr(e.data[2], "content_block.id"), "call_Xk1a9");
    CHECK_STR(jstr(e.data[2], "content_block.name"), "get_weather");
    CHECK(jint(e.data[3], "index") == 0);
    CHECK_STR(jstr(e.data[3], "delta.type"), "input_json_delta");
    llm_buf_reset(&b);
    llm_buf_append_str(&b, jstr(e.data[3], "delta.partial_json"));
    llm_buf_append_str(&b, jstr(e.data[4], "delta.partial_json"));
    args = json_loads(b.data, 0, NULL);
    CHECK_STR(jstr(args, "location"), "Paris");
    json_decref(args);
    CHECK(jint(e.data[6], "index") == 1);
    CHECK_STR(jstr(e.data[6], "content_block.name"), "get_time");
    CHECK(jint(e.data[8], "index") == 1);
    CHECK_STR(jstr(e.data[9], "delta.stop_reason"), "tool_use");
    CHECK(jint(e.data[9], "usage.output_tokens") == 40);
    CHECK(jint(e.data[9], "usage.input_tokens") == 120 - 64);
    CHECK(jint(e.data[9], "usage.cache_read_input_tokens") == 64);
    CHECK(u.prompt_tokens == 120 && u.completion_tokens == 40);
    events_free(&e);
    llm_buf_free(&b);
}

UNIT_TEST(test_anthropic_tools_to_openai)
{
    llm_xlate_opts_t  o = opts(1, 0);
    events_t          e;
    llm_usage_t       u;
    llm_buf_t         b = LLM_BUF_INIT;
    json_t           *args;
    int               i, last;

    run_sample(LLM_API_ANTHROPIC, LLM_API_OPENAI, "anthropic_stream_tools.sse",
               &o, &e, &u);
    last = e.n - 1;
    CHECK(e.n >= 10);
    CHECK_STR(e.raw[last], "[DONE]");
    for (i = 0; i < last; i++) {
        CHECK_STR(e.names[i], "");
        CHECK_STR(jstr(e.data[i], "object"), "chat.completion.chunk");
        CHECK_STR(jstr(e.data[i], "id"), jstr(e.data[0], "id"));
        CHECK_STR(jstr(e.data[i], "model"), "client-model");
    }
    CHECK_STR(jstr(e.data[0], "choices.0.delta.role"), "assistant");
    concat(&e, "choices.0.delta.reasoning_content", &b);
    CHECK_STR(b.data, "The user wants the weather in Paris and the local time.");
    concat(&e, "choices.0.delta.content", &b);
    CHECK_STR(b.data, "Let me check both.");

    /* tool calls: announced with index/id/name, then argument pieces */
    for (i = 0; i < last; i++) {
        if (jget(e.data[i], "choices.0.delta.tool_calls.0.id")) {
            break;
        }
    }
    CHECK(jint(e.data[i], "choices.0.delta.tool_calls.0.index") == 0);
    CHECK_STR(jstr(e.data[i], "choices.0.delta.tool_calls.0.id"),
              "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
    CHECK_STR(jstr(e.data[i], "choices.0.delta.tool_calls.0.type"), "function");
    CHECK_STR(jstr(e.data[i], "choices.0.delta.tool_calls.0.function.name"),
              "get_weather");
    llm_buf_reset(&b);
    for (; i < last; i++) {
        if (jint(e.data[i], "choices.0.delta.tool_calls.0.index") == 0
            && jstr(e.data[i], "choices.0.delta.tool_calls.0.function."
                               "arguments"))
        {
            llm_buf_append_str(&b, jstr(e.data[i], "choices.0.delta."
                                        "tool_calls.0.function.arguments"));
        }
    }
    args = json_loads(b.data, 0, NULL);
    CHECK_STR(jstr(args, "location"), "Paris");
    json_decref(args);

    CHECK_STR(jstr(e.data[last - 2], "choices.0.finish_reason"), "tool_calls");
    CHECK(jlen(e.data[last - 2], "choices.0.delta") == 0);
    CHECK(jlen(e.data[last - 1], "choices") == 0);
    CHECK(jint(e.data[last - 1], "usage.prompt_tokens") == 4672);
    CHECK(jint(e.data[last - 1], "usage.completion_tokens") == 89);
    CHECK(jint(e.data[last - 1], "usage.prompt_tokens_details.cached_tokens")
          == 3000);
    CHECK(u.total_tokens == 4761 && u.cache_creation_tokens == 1200);
    events_free(&e);

    /* no include_usage: no usage chunk, finish then [DONE] */
    o.include_usage = 0;
    run_sample(LLM_API_ANTHROPIC, LLM_API_OPENAI, "anthropic_stream_text.sse",
               &o, &e, &u);
    CHECK_STR(e.raw[e.n - 1], "[DONE]");
    CHECK_STR(jstr(e.data[e.n - 2], "choices.0.finish_reason"), "stop");
    concat(&e, "choices.0.delta.content", &b);
    CHECK_STR(b.data, "Hello! How can I help?");
    CHECK(u.prompt_tokens == 25 && u.completion_tokens == 12);
    events_free(&e);
    llm_buf_free(&b);
}

UNIT_TEST(test_gemini_streams)
{
    llm_xlate_opts_t  o = opts(1, 0);
    events_t          e;
    llm_usage_t       u;
    llm_buf_t         b = LLM_BUF_INIT;
    int               i, tools = 0;

    run_sample(LLM_API_GEMINI, LLM_API_ANTHROPIC, "gemini_stream_tools.sse",
               &o, &e, &u);
    CHECK_STR(e.names[0], "message_start");
    /* Gemini sends prompt usage first, so message_start can carry it */
    CHECK(jint(e.data[0], "message.usage.input_tokens") == 80);
    CHECK_STR(jstr(e.data[2], "content_block.type"), "thinking");
    CHECK_STR(jstr(e.data[3], "delta.type"), "thinking_delta");
    for (i = 0; i < e.n; i++) {
        if (strcmp(e.names[i], "content_block_start") == 0
            && strcmp(jstr(e.data[i], "content_block.type"), "tool_use") == 0)
        {
            tools++;
            CHECK(strncmp(jstr(e.data[i], "content_block.id"),
                          "toolu_Rm2iZ4kLM1_", 17) == 0);
        }
    }
    CHECK(tools == 2);
    CHECK_STR(e.names[e.n - 2], "message_delta");
    CHECK_STR(jstr(e.data[e.n - 2], "delta.stop_reason"), "tool_use");
    CHECK(jint(e.data[e.n - 2], "usage.output_tokens") == 50);
    CHECK(jint(e.data[e.n - 2], "usage.input_tokens") == 80 - 32);
    CHECK_STR(e.names[e.n - 1], "message_stop");
    CHECK(u.reasoning_tokens == 20 && u.total_tokens == 130);
    events_free(&e);

    run_sample(LLM_API_GEMINI, LLM_API_OPENAI, "gemini_stream_text.sse",
               &o, &e, &u);
    concat(&e, "choices.0.delta.content", &b);
    CHECK_STR(b.data, "The capital of France is Paris.\n");
    CHECK_STR(jstr(e.data[e.n - 3], "choices.0.finish_reason"), "stop");
    CHECK(jint(e.data[e.n - 2], "usage.total_tokens") == 16);
    events_free(&e);

    /* to Gemini: text deltas forwarded, calls sent whole, finish last */
    run_sample(LLM_API_OPENAI, LLM_API_GEMINI, "openai_stream_tools.sse",
               &o, &e, &u);
    tools = 0;
    for (i = 0; i < e.n; i++) {
        CHECK_STR(e.names[i], "");
        if (jget(e.data[i], "candidates.0.content.parts.0.functionCall")) {
            tools++;
        }
    }
    CHECK(tools == 2);
    CHECK_STR(jstr(e.data[0], "candidates.0.content.parts.0.functionCall.args."
                              "location"), "Paris");
    CHECK_STR(jstr(e.data[1], "candidates.0.content.parts.0.functionCall.args."
                              "tz"), "Europe/Paris");
    CHECK_STR(jstr(e.data[e.n - 1], "candidates.0.finishReason"), "STOP");
    CHECK(jint(e.data[e.n - 1], "usageMetadata.promptTokenCount") == 120);
    CHECK(jint(e.data[e.n - 1], "usageMetadata.cachedContentTokenCount") == 64);
    events_free(&e);

    run_sample(LLM_API_ANTHROPIC, LLM_API_GEMINI, "anthropic_stream_tools.sse",
               &o, &e, &u);
    CHECK(json_is_true(jget(e.data[0], "candidates.0.content.parts.0.thought")));
    concat(&e, "candidates.0.content.parts.0.text", &b);
    CHECK_STR(b.data, "The user wants the weather in Paris and the local time."
                      "Let me check both.");
    CHECK_STR(jstr(e.data[e.n - 1], "candidates.0.finishReason"), "STOP");
    CHECK(jint(e.data[e.n - 1], "usageMetadata.totalTokenCount") == 4761);
    events_free(&e);
    llm_buf_free(&b);
}

UNIT_TEST(test_reasoning_stream)
{
    llm_xlate_opts_t  o = opts(1, 0);
    events_t          e;
    llm_buf_t         b = LLM_BUF_INIT;

    run_sample(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_stream_reasoning.sse",
               &o, &e, NULL);
    CHECK_STR(jstr(e.data[2], "content_block.type"), "thinking");
    concat(&e, "delta.thinking", &b);
    CHECK_STR(b.data, "The user asks 2+2. That is 4.");
    concat(&e, "delta.text", &b);
    CHECK_STR(b.data, "2 + 2 = 4");
    CHECK(jint(e.data[e.n - 2], "usage.output_tokens") == 25);
    events_free(&e);
    llm_buf_free(&b);
}

UNIT_TEST(test_stream_errors)
{
    llm_xlate_opts_t  o = opts(1, 0);
    events_t          e;
    int               i;

    /* Anthropic overloaded mid-stream -> OpenAI error chunk, then stop */
    run_sample(LLM_API_ANTHROPIC, LLM_API_OPENAI, "anthropic_stream_error.sse",
               &o, &e, NULL);
    CHECK_STR(jstr(e.data[e.n - 1], "error.message"), "Overloaded");
    CHECK_STR(jstr(e.data[e.n - 1], "error.code"), "529");
    for (i = 0; i < e.n; i++) {
        CHECK(strcmp(e.raw[i], "[DONE]") != 0);
        CHECK(jget(e.data[i], "choices.0.finish_reason") == NULL
              || json_is_null(jget(e.data[i], "choices.0.finish_reason")));
    }
    events_free(&e);

    run_sample(LLM_API_ANTHROPIC, LLM_API_GEMINI, "anthropic_stream_error.sse",
               &o, &e, NULL);
    CHECK_STR(jstr(e.data[e.n - 1], "error.status"), "UNAVAILABLE");
    CHECK(jint(e.data[e.n - 1], "error.code") == 529);
    events_free(&e);

    /* OpenAI error chunk -> Anthropic error event, no message_stop */
    run_sample(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_stream_error.sse",
               &o, &e, NULL);
    CHECK_STR(e.names[e.n - 1], "error");
    CHECK_STR(jstr(e.data[e.n - 1], "type"), "error");
    CHECK_STR(jstr(e.data[e.n - 1], "error.type"), "api_error");
    CHECK(strstr(jstr(e.data[e.n - 1], "error.message"), "server had an error")
          != NULL);
    for (i = 0; i < e.n; i++) {
        CHECK(strcmp(e.names[i], "message_stop") != 0);
    }
    events_free(&e);

    /* the caller's failure (upstream connection broke) */
    {
        llm_stream_xlate_t  *x;
        llm_buf_t            out = LLM_BUF_INIT;
        const char          *part = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,"
                                    "\"delta\":{\"content\":\"Hi\"}}]}\n\n";

        x = llm_stream_xlate_new(LLM_API_OPENAI, LLM_API_ANTHROPIC, &o);
        CHECK(llm_stream_xlate_feed(x, part, strlen(part), &out) == 0);
        llm_stream_xlate_fail(x, "upstream timed out", &out);
        CHECK(llm_stream_xlate_finish(x, &out) == 0);
        events_parse(&out, &e);
        CHECK_STR(e.names[e.n - 1], "error");
        CHECK_STR(jstr(e.data[e.n - 1], "error.message"), "upstream timed out");
        CHECK_STR(e.names[e.n - 2], "content_block_delta");
        events_free(&e);
        llm_stream_xlate_free(x);
        llm_buf_free(&out);
    }
}

UNIT_TEST(test_truncated_upstream)
{
    llm_xlate_opts_t  o = opts(1, 0);
    events_t          e;
    size_t            len;
    char             *in = read_sample("anthropic_stream_text.sse", &len);
    char             *cut = strstr(in, "event: content_block_stop");
    llm_buf_t         out = LLM_BUF_INIT;

    /* the provider closed before finishing: the client still gets a
       well-formed end */
    run(LLM_API_ANTHROPIC, LLM_API_OPENAI, in, (size_t) (cut - in), &o, NULL,
        0, &out, NULL);
    events_parse(&out, &e);
    CHECK_STR(e.raw[e.n - 1], "[DONE]");
    CHECK_STR(jstr(e.data[e.n - 3], "choices.0.finish_reason"), "stop");
    events_free(&e);
    free(in);

    in = read_sample("openai_stream_tools.sse", &len);
    cut = strstr(in, "data: {\"id\":\"chatcmpl-AYt2\",\"object\":\"chat.completion"
                     ".chunk\",\"created\":1732700100,\"model\":\"gpt-4o-2024-08-06"
                     "\",\"system_fingerprint\":\"fp_7f6be3efb0\",\"choices\":[{"
                     "\"index\":0,\"delta\":{},");
    CHECK(cut != NULL);
    llm_buf_reset(&out);
    run(LLM_API_OPENAI, LLM_API_ANTHROPIC, in, (size_t) (cut - in), &o, NULL,
        0, &out, NULL);
    events_parse(&out, &e);
    CHECK_STR(e.names[e.n - 3], "content_block_stop");
    CHECK_STR(e.names[e.n - 2], "message_delta");
    CHECK_STR(jstr(e.data[e.n - 2], "delta.stop_reason"), "tool_use");
    CHECK_STR(e.names[e.n - 1], "message_stop");
    events_free(&e);
    free(in);
    llm_buf_free(&out);
}

UNIT_TEST(test_incremental_output)
{
    llm_xlate_opts_t     o = opts(1, 0);
    llm_stream_xlate_t  *x;
    llm_buf_t            out = LLM_BUF_INIT;
    size_t               len;
    char                *in = read_sample("anthropic_stream_text.sse", &len);
    char                *after = strstr(in, "\"text\":\"Hello\"}}");

    /* bytes up to the first text delta produce that text at once */
    x = llm_stream_xlate_new(LLM_API_ANTHROPIC, LLM_API_OPENAI, &o);
    after = strstr(after, "\n\n") + 2;
    CHECK(llm_stream_xlate_feed(x, in, (size_t) (after - in), &out) == 0);
    CHECK(strstr(out.data, "\"content\":\"Hello\"") != NULL);
    CHECK(strstr(out.data, "[DONE]") == NULL);
    llm_stream_xlate_free(x);
    llm_buf_free(&out);
    free(in);
}

UNIT_TEST(test_stream_tool_name_restore)
{
    llm_xlate_opts_t     o = opts(1, 0);
    llm_stream_xlate_t  *x;
    llm_buf_t            out = LLM_BUF_INIT;
    size_t               rlen;
    char                *req = read_sample("anthropic_req_claude_code.json", &rlen);
    events_t             e;
    const char          *s =
        "data: {\"id\":\"c2\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
        "[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":"
        "{\"name\":\"mcp__github_enterprise_server__create_pull_request_revi_"
        "963756ed\",\"arguments\":\"{}\"}}]}}]}\n\n"
        "data: [DONE]\n\n";

    o.client_request = req;
    o.client_request_len = rlen;
    x = llm_stream_xlate_new(LLM_API_OPENAI, LLM_API_ANTHROPIC, &o);
    CHECK(llm_stream_xlate_feed(x, s, strlen(s), &out) == 0);
    CHECK(llm_stream_xlate_finish(x, &out) == 0);
    events_parse(&out, &e);
    CHECK_STR(jstr(e.data[2], "content_block.name"),
              "mcp__github_enterprise_server__create_pull_request_review_"
              "comment_with_suggestion");
    CHECK_STR(jstr(e.data[e.n - 2], "delta.stop_reason"), "tool_use");
    events_free(&e);
    llm_stream_xlate_free(x);
    llm_buf_free(&out);
    free(req);
}

/*
 * Every event is written as "event: NAME\n" (Anthropic) and one "data: "
 * line holding exactly json_dumps() of its document, whatever line breaks
 * (LF, CR LF, U+2028) and escapes the text carries.
 */
UNIT_TEST(test_event_bytes)
{
    llm_xlate_opts_t  o = opts(1, 0);
    llm_buf_t         out = LLM_BUF_INIT;
    const char       *p, *end, *q, *data;
    char             *s;
    json_t           *j;
    int               to, n, bad, text;
    const char       *in =
        "data: {\"id\":\"c3\",\"model\":\"m\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"content\":\"a\\nb\\r\\nc\\r\xe2\x80\xa8"
        "\\\"q\\\" \\\\ \\u0001\\u00e9\\ud83d\\ude00\"}}]}\n\n"
        "data: {\"id\":\"c3\",\"choices\":[{\"index\":0,\"delta\":"
        "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":"
        "\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
        "\"{\\\"x\\\": \\\"1\\\\n2\\\"}\"}}]}}]}\n\n"
        "data: {\"id\":\"c3\",\"choices\":[{\"index\":0,\"delta\":{},"
        "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":"
        "3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
        "data: [DONE]\n\n";

    for (to = 0; to < LLM_API_COUNT; to++) {
        llm_buf_reset(&out);
        run(LLM_API_OPENAI, (llm_api_t) to, in, strlen(in), &o, NULL, 0, &out,
            NULL);
        CHECK(out.len > 0);

        n = 0;
        bad = 0;
        text = 0;
        p = out.data;
        end = out.data + out.len;

        while (p < end) {
            q = strstr(p, "\n\n");
            if (q == NULL) {
                bad++;
                break;
            }
            data = p;
            if (strncmp(p, "event: ", 7) == 0) {
                data = memchr(p, '\n', (size_t) (q - p));
                data = data ? data + 1 : q;
            }
            if (strncmp(data, "data: ", 6) != 0
                || memchr(data, '\n', (size_t) (q - data)) != NULL
                || memchr(data, '\r', (size_t) (q - data)) != NULL)
            {
                bad++;
                break;
            }
            data += 6;
            if ((size_t) (q - data) != 6 || memcmp(data, "[DONE]", 6) != 0) {
                j = json_loadb(data, (size_t) (q - data), JSON_ALLOW_NUL,
                               NULL);
                s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15))
                      : NULL;
                bad += s == NULL || strlen(s) != (size_t) (q - data)
                       || memcmp(s, data, (size_t) (q - data)) != 0;
                text += s != NULL
                        && strstr(s, "\"a\\nb\\r\\nc\\r\xe2\x80\xa8"
                                  "\\\"q\\\" \\\\ \\u0001\xc3\xa9"
                                  "\xf0\x9f\x98\x80\"") != NULL;
                free(s);
                json_decref(j);
            }
            n++;
            p = q + 2;
        }

        CHECK(n >= 3);
        CHECK(bad == 0);
        CHECK(text == 1);
    }

    llm_buf_free(&out);
}

UNIT_MAIN(test_split_invariance, test_openai_tools_to_anthropic,
          test_anthropic_tools_to_openai, test_gemini_streams,
          test_reasoning_stream, test_stream_errors, test_truncated_upstream,
          test_incremental_output, test_stream_tool_name_restore,
          test_event_bytes)
