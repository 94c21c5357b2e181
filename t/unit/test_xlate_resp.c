/*
 * Non-streaming response translation, usage extraction, error bodies and
 * the count_tokens estimate.
 */

#include "test_xlate_util.h"
#include "llm_xlate_int.h"      /* llm_usage_read(), from a tree */

#define LONG_TOOL \
    "mcp__github_enterprise_server__create_pull_request_review_comment_with_suggestion"

static json_t *
xresp(llm_api_t from, llm_api_t to, const char *name,
      const llm_xlate_opts_t *o, llm_usage_t *u)
{
    size_t     len;
    char      *in = read_sample(name, &len);
    llm_buf_t  out = LLM_BUF_INIT;
    json_t    *j = NULL;

    memset(u, 0, sizeof(*u));
    if (llm_xlate_response(from, to, in, len, o, &out, u) == 0) {
        j = json_loadb(out.data, out.len, 0, NULL);
    }
    CHECK(j != NULL);
    llm_buf_free(&out);
    free(in);
    return j;
}

UNIT_TEST(test_openai_resp_to_anthropic)
{
    llm_xlate_opts_t  o = opts(0, 0);
    llm_usage_t       u;
    size_t            rlen;
    char             *req = read_sample("anthropic_req_claude_code.json", &rlen);
    json_t           *j;

    /* the client's request lets the shortened tool name be restored */
    o.client_request = req;
    o.client_request_len = rlen;
    j = xresp(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_resp_tools.json",
              &o, &u);
    CHECK(strncmp(jstr(j, "id"), "msg_", 4) == 0);
    CHECK_STR(jstr(j, "type"), "message");
    CHECK_STR(jstr(j, "role"), "assistant");
    CHECK_STR(jstr(j, "model"), "client-model");
    CHECK_STR(jstr(j, "content.0.type"), "text");
    CHECK_STR(jstr(j, "content.0.text"), "Checking both.");
    CHECK_STR(jstr(j, "content.1.type"), "tool_use");
    CHECK_STR(jstr(j, "content.1.id"), "call_Xk1a9");
    CHECK_STR(jstr(j, "content.1.input.location"), "Paris");
    CHECK_STR(jstr(j, "content.2.name"), LONG_TOOL);
    CHECK_STR(jstr(j, "stop_reason"), "tool_use");
    CHECK(json_is_null(jget(j, "stop_sequence")));
    /* Anthropic's input_tokens exclude cached tokens */
    CHECK(jint(j, "usage.input_tokens") == 1117 - 1024);
    CHECK(jint(j, "usage.cache_read_input_tokens") == 1024);
    CHECK(jint(j, "usage.output_tokens") == 46);
    CHECK(u.present && u.prompt_tokens == 1117 && u.completion_tokens == 46
          && u.total_tokens == 1163 && u.cache_read_tokens == 1024);
    json_decref(j);

    /* without the client's request the short name stays as it is */
    o.client_request = NULL;
    j = xresp(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_resp_tools.json",
              &o, &u);
    CHECK(strlen(jstr(j, "content.2.name")) == 64);
    json_decref(j);
    free(req);

    j = xresp(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_resp_reasoning.json",
              &o, &u);
    CHECK_STR(jstr(j, "content.0.type"), "thinking");
    CHECK_STR(jstr(j, "content.0.thinking"), "Compare decimals: 0.11 vs 0.80.");
    CHECK_STR(jstr(j, "content.1.text"), "9.11 < 9.8");
    CHECK_STR(jstr(j, "stop_reason"), "max_tokens");
    CHECK(u.reasoning_tokens == 50);
    json_decref(j);
}

UNIT_TEST(test_anthropic_resp_to_openai)
{
    llm_xlate_opts_t  o = opts(0, 0);
    llm_usage_t       u;
    json_t           *j, *args;

    j = xresp(LLM_API_ANTHROPIC, LLM_API_OPENAI, "anthropic_resp_tools.json",
              &o, &u);
    CHECK(strncmp(jstr(j, "id"), "chatcmpl-", 9) == 0);
    CHECK_STR(jstr(j, "object"), "chat.completion");
    CHECK(jint(j, "created") > 1600000000);
    CHECK_STR(jstr(j, "model"), "client-model");
    CHECK_STR(jstr(j, "choices.0.message.role"), "assistant");
    CHECK_STR(jstr(j, "choices.0.message.content"), "I'll check the weather.");
    CHECK_STR(jstr(j, "choices.0.message.reasoning_content"),
              "The user wants the weather.");
    CHECK_STR(jstr(j, "choices.0.message.thinking_blocks.0.signature"),
              "EqQBCgIYAhIM1gbcDa9GJwZA2b3h");
    CHECK(jlen(j, "choices.0.message.tool_calls") == 2);
    CHECK_STR(jstr(j, "choices.0.message.tool_calls.0.id"),
              "toolu_01A09q90qw90lq917835lq9");
    args = json_loads(jstr(j, "choices.0.message.tool_calls.0.function."
                              "arguments"), 0, NULL);
    CHECK_STR(jstr(args, "unit"), "celsius");
    json_decref(args);
    CHECK_STR(jstr(j, "choices.0.finish_reason"), "tool_calls");
    /* prompt_tokens include both cache counts */
    CHECK(jint(j, "usage.prompt_tokens") == 472 + 100 + 2000);
    CHECK(jint(j, "usage.completion_tokens") == 89);
    CHECK(jint(j, "usage.total_tokens") == 472 + 100 + 2000 + 89);
    CHECK(jint(j, "usage.prompt_tokens_details.cached_tokens") == 2000);
    CHECK(jint(j, "usage.cache_creation_input_tokens") == 100);
    CHECK(u.cache_creation_tokens == 100 && u.cache_read_tokens == 2000);
    json_decref(j);

    j = xresp(LLM_API_ANTHROPIC, LLM_API_OPENAI, "anthropic_resp_text.json",
              &o, &u);
    CHECK_STR(jstr(j, "choices.0.finish_reason"), "stop");
    CHECK(jget(j, "choices.0.message.tool_calls") == NULL);
    json_decref(j);

    j = xresp(LLM_API_ANTHROPIC, LLM_API_GEMINI, "anthropic_resp_tools.json",
              &o, &u);
    CHECK(json_is_true(jget(j, "candidates.0.content.parts.0.thought")));
    CHECK_STR(jstr(j, "candidates.0.content.parts.1.text"),
              "I'll check the weather.");
    CHECK_STR(jstr(j, "candidates.0.content.parts.2.functionCall.name"),
              "get_weather");
    CHECK_STR(jstr(j, "candidates.0.content.role"), "model");
    CHECK_STR(jstr(j, "candidates.0.finishReason"), "STOP");
    CHECK(jint(j, "usageMetadata.promptTokenCount") == 2572);
    CHECK(jint(j, "usageMetadata.cachedContentTokenCount") == 2000);
    json_decref(j);
}

UNIT_TEST(test_gemini_resp)
{
    llm_xlate_opts_t  o = opts(0, 0);
    llm_usage_t       u;
    json_t           *j;

    j = xresp(LLM_API_GEMINI, LLM_API_OPENAI, "gemini_resp_tools.json", &o, &u);
    CHECK_STR(jstr(j, "choices.0.message.content"), "Let me check.");
    CHECK_STR(jstr(j, "choices.0.message.reasoning_content"),
              "Weather lookup needed for two cities.");
    CHECK(jlen(j, "choices.0.message.tool_calls") == 2);
    CHECK(strcmp(jstr(j, "choices.0.message.tool_calls.0.id"),
                 jstr(j, "choices.0.message.tool_calls.1.id")) != 0);
    /* STOP after function calls is a tool-call finish */
    CHECK_STR(jstr(j, "choices.0.finish_reason"), "tool_calls");
    /* completion includes thoughts; reasoning reported separately */
    CHECK(jint(j, "usage.completion_tokens") == 55);
    CHECK(jint(j, "usage.completion_tokens_details.reasoning_tokens") == 25);
    CHECK(jint(j, "usage.total_tokens") == 175);
    CHECK(u.prompt_tokens == 120 && u.cache_read_tokens == 64);
    json_decref(j);

    j = xresp(LLM_API_GEMINI, LLM_API_ANTHROPIC, "gemini_resp_safety.json",
              &o, &u);
    CHECK_STR(jstr(j, "stop_reason"), "refusal");
    CHECK_STR(jstr(j, "content.0.text"), "I can't");
    json_decref(j);
    j = xresp(LLM_API_GEMINI, LLM_API_OPENAI, "gemini_resp_safety.json", &o, &u);
    CHECK_STR(jstr(j, "choices.0.finish_reason"), "content_filter");
    json_decref(j);

    j = xresp(LLM_API_OPENAI, LLM_API_GEMINI, "openai_resp_reasoning.json",
              &o, &u);
    CHECK_STR(jstr(j, "candidates.0.finishReason"), "MAX_TOKENS");
    CHECK(jint(j, "usageMetadata.thoughtsTokenCount") == 50);
    CHECK(jint(j, "usageMetadata.candidatesTokenCount") == 10);
    json_decref(j);
}

UNIT_TEST(test_resp_not_a_response)
{
    llm_buf_t    out = LLM_BUF_INIT;
    llm_usage_t  u;
    const char  *err = "{\"error\":{\"message\":\"x\"}}";
    int          f, t;

    for (f = 0; f < LLM_API_COUNT; f++) {
        for (t = 0; t < LLM_API_COUNT; t++) {
            if (f == t) {
                continue;
            }
            CHECK(llm_xlate_response(f, t, err, strlen(err), NULL, &out, &u)
                  == -1);
            CHECK(llm_xlate_response(f, t, "<html>", 6, NULL, &out, &u) == -1);
        }
    }
    CHECK(out.len == 0);
    /* same format: passed through, usage still extracted */
    {
        size_t  len;
        char   *in = read_sample("anthropic_resp_text.json", &len);

        CHECK(llm_xlate_response(LLM_API_ANTHROPIC, LLM_API_ANTHROPIC, in, len,
                                 NULL, &out, &u) == 0);
        CHECK(out.len == len && memcmp(out.data, in, len) == 0);
        CHECK(u.prompt_tokens == 10 && u.completion_tokens == 12);
        free(in);
    }
    llm_buf_free(&out);
}

static int
ufj(llm_api_t api, const char *s, llm_usage_t *u)
{
    return llm_usage_from_json(api, s, strlen(s), u);
}

UNIT_TEST(test_usage_from_json)
{
    llm_usage_t  u;

    memset(&u, 0, sizeof(u));
    /* Anthropic stream: message_start, then message_delta */
    CHECK(ufj(LLM_API_ANTHROPIC,
        "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":"
        "472,\"cache_creation_input_tokens\":1200,\"cache_read_input_tokens\":"
        "3000,\"output_tokens\":2}}}", &u) == 1);
    CHECK(u.prompt_tokens == 4672 && u.completion_tokens == 2);
    CHECK(ufj(LLM_API_ANTHROPIC,
        "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":89}}", &u)
        == 1);
    CHECK(u.prompt_tokens == 4672 && u.completion_tokens == 89
          && u.total_tokens == 4761 && u.cache_creation_tokens == 1200);
    CHECK(ufj(LLM_API_ANTHROPIC, "{\"type\":\"ping\"}", &u)
          == 0);
    CHECK(u.total_tokens == 4761);
    CHECK(ufj(LLM_API_ANTHROPIC, "not json", &u) == -1);

    memset(&u, 0, sizeof(u));
    CHECK(ufj(LLM_API_OPENAI,
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":7,"
        "\"total_tokens\":31,\"prompt_tokens_details\":{\"cached_tokens\":8}}}",
        &u) == 1);
    CHECK(u.present && u.prompt_tokens == 24 && u.total_tokens == 31
          && u.cache_read_tokens == 8);

    /* a count too large for any real answer is not read (no overflow) */
    memset(&u, 0, sizeof(u));
    CHECK(ufj(LLM_API_OPENAI,
        "{\"usage\":{\"prompt_tokens\":47222222222222222222222,"
        "\"completion_tokens\":2}}", &u) == 1);
    CHECK(u.prompt_tokens == 0 && u.completion_tokens == 2);
    CHECK(ufj(LLM_API_OPENAI, "{\"usage\":null}", &u) == 0);

    memset(&u, 0, sizeof(u));
    CHECK(ufj(LLM_API_GEMINI,
        "{\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":7,"
        "\"thoughtsTokenCount\":3,\"totalTokenCount\":19}}", &u) == 1);
    CHECK(u.prompt_tokens == 9 && u.completion_tokens == 10
          && u.reasoning_tokens == 3 && u.total_tokens == 19);
}

/*
 * Usage read from the text and from a parsed tree agree, for every key of
 * every format, placed as providers place them, next to members that are
 * not usage keys (some one byte off one, or of a key's length).
 */

typedef struct {
    const char  *sub;       /* the sub-object it sits in, or NULL */
    const char  *key;
} usage_member_t;

static const usage_member_t  usage_members[][16] = {
    [LLM_API_OPENAI] = {
        { NULL, "prompt_tokens" }, { NULL, "completion_tokens" },
        { NULL, "total_tokens" }, { NULL, "prompt_cache_hit_tokens" },
        { NULL, "cache_creation_input_tokens" }, { NULL, "audio_tokens" },
        { NULL, "prompt_tokenz" }, { NULL, "cache_read_input_tokenx" },
        { "prompt_tokens_details", "cached_tokens" },
        { "prompt_tokens_details", "cache_write_tokens" },
        { "prompt_tokens_details", "audio_tokens" },
        { "completion_tokens_details", "reasoning_tokens" },
        { "completion_tokens_details", "accepted_prediction_tokens" },
        { "completion_tokens_details", "output_tokenz" },
    },
    [LLM_API_ANTHROPIC] = {
        { NULL, "input_tokens" }, { NULL, "cache_read_input_tokens" },
        { NULL, "cache_creation_input_tokens" }, { NULL, "output_tokens" },
        { NULL, "input_tokenz" }, { NULL, "cached_tokens_" },
        { "server_tool_use", "web_search_requests" },
        { "cache_creation", "ephemeral_5m_input_tokens" },
    },
    [LLM_API_GEMINI] = {
        { NULL, "promptTokenCount" }, { NULL, "toolUsePromptTokenCount" },
        { NULL, "candidatesTokenCount" }, { NULL, "thoughtsTokenCount" },
        { NULL, "cachedContentTokenCount" }, { NULL, "totalTokenCount" },
        { NULL, "cachedContentTokenCounT" },
        { NULL, "toolUsePromptTokenCounts" },
        { NULL, "totalTokenCounts" },
    },
};

static unsigned
usage_rand(unsigned *seed)
{
    *seed = *seed * 1103515245 + 12345;
    return *seed >> 8;
}

/* one member "key":value with a random integer (or, rarely, not one) */
static char *
usage_member(char *p, const char *key, unsigned *seed)
{
    static const char  *other[] = { "null", "1.5", "\"7\"", "-3", "1e3" };
    unsigned            r = usage_rand(seed);

    p += sprintf(p, "\"%s\"%s:%s", key, r % 5 == 0 ? " " : "",
                 r % 7 == 0 ? " " : "");
    if (r % 11 == 0) {
        return p + sprintf(p, "%s", other[usage_rand(seed) % 5]);
    }
    return p + sprintf(p, "%u", usage_rand(seed) % 100000);
}

static void
usage_doc(llm_api_t api, char *p, unsigned *seed)
{
    const usage_member_t  *m = usage_members[api];
    const char            *subs[4] = { NULL };
    size_t                 i, j, n, nsubs = 0;
    int                    first = 1, sfirst;

    for (n = 0; n < 16 && m[n].key; n++) { /* void */ }

    p += sprintf(p, "{\"id\":\"x\",\"%s\":{", api == LLM_API_GEMINI
                 ? "usageMetadata" : "usage");
    for (i = 0; i < n; i++) {
        if (usage_rand(seed) % 3 == 0) {
            continue;
        }
        if (m[i].sub == NULL) {
            p += sprintf(p, "%s", first ? "" : ",");
            p = usage_member(p, m[i].key, seed);
            first = 0;
            continue;
        }
        for (j = 0; j < nsubs && strcmp(subs[j], m[i].sub) != 0; j++) { }
        if (j == nsubs) {
            subs[nsubs++] = m[i].sub;
        }
    }
    /* each sub-object once, with the members of it that were drawn */
    for (j = 0; j < nsubs; j++) {
        p += sprintf(p, "%s\"%s\":{", first ? "" : ",", subs[j]);
        first = 0;
        sfirst = 1;
        for (i = 0; i < n; i++) {
            if (m[i].sub && strcmp(m[i].sub, subs[j]) == 0) {
                p += sprintf(p, "%s", sfirst ? "" : ",");
                p = usage_member(p, m[i].key, seed);
                sfirst = 0;
            }
        }
        p += sprintf(p, "}");
    }
    sprintf(p, "}%s}", api == LLM_API_OPENAI
            ? ",\"service_tier\":\"default\"" : "");
}

static int
usage_same(const llm_usage_t *a, const llm_usage_t *b)
{
    return a->prompt_tokens == b->prompt_tokens
           && a->completion_tokens == b->completion_tokens
           && a->total_tokens == b->total_tokens
           && a->cache_read_tokens == b->cache_read_tokens
           && a->cache_creation_tokens == b->cache_creation_tokens
           && a->reasoning_tokens == b->reasoning_tokens
           && a->present == b->present;
}

UNIT_TEST(test_usage_text_agrees_with_tree)
{
    char         doc[4096];
    unsigned     seed = 2026;
    int          i, rt, rj;
    llm_api_t    api;
    json_t      *j;
    llm_usage_t  ut, uj;

    for (i = 0; i < 3000; i++) {
        api = (llm_api_t) (usage_rand(&seed) % 3);
        usage_doc(api, doc, &seed);

        /* the same state before: Anthropic adds to an earlier event's */
        memset(&ut, 0, sizeof(ut));
        ut.prompt_tokens = usage_rand(&seed) % 50;
        ut.completion_tokens = usage_rand(&seed) % 50;
        uj = ut;

        rt = llm_usage_from_json(api, doc, strlen(doc), &ut);
        j = json_loads(doc, 0, NULL);
        CHECK(j != NULL);
        rj = llm_usage_read(api, j, &uj);
        json_decref(j);

        CHECK(rt == rj);
        CHECK(usage_same(&ut, &uj));
        if (rt != rj || !usage_same(&ut, &uj)) {
            fprintf(stderr, "  api %d: %s\n", (int) api, doc);
            break;
        }
    }
}

UNIT_TEST(test_error_bodies)
{
    llm_buf_t  out = LLM_BUF_INIT;
    json_t    *j;

    llm_error_body(LLM_API_OPENAI, 400, "budget_exceeded", "over budget",
                   "model", &out);
    j = json_loads(out.data, 0, NULL);
    CHECK_STR(jstr(j, "error.message"), "over budget");
    CHECK_STR(jstr(j, "error.type"), "budget_exceeded");
    CHECK_STR(jstr(j, "error.param"), "model");
    CHECK_STR(jstr(j, "error.code"), "400");
    json_decref(j);

    llm_buf_reset(&out);
    llm_error_body(LLM_API_OPENAI, 429, NULL, "slow down", NULL, &out);
    j = json_loads(out.data, 0, NULL);
    CHECK_STR(jstr(j, "error.type"), "rate_limit_error");
    CHECK(json_is_null(jget(j, "error.param")));
    CHECK_STR(jstr(j, "error.code"), "429");
    json_decref(j);

    {
        static const struct { int status; const char *type, *gstatus; } m[] = {
            { 400, "invalid_request_error", "INVALID_ARGUMENT" },
            { 401, "authentication_error", "UNAUTHENTICATED" },
            { 403, "permission_error", "PERMISSION_DENIED" },
            { 404, "not_found_error", "NOT_FOUND" },
            { 413, "request_too_large", "INVALID_ARGUMENT" },
            { 429, "rate_limit_error", "RESOURCE_EXHAUSTED" },
            { 500, "api_error", "INTERNAL" },
            { 529, "overloaded_error", "UNAVAILABLE" },
            { 504, "timeout_error", "DEADLINE_EXCEEDED" },
        };
        size_t  i;

        for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
            llm_buf_reset(&out);
            llm_error_body(LLM_API_ANTHROPIC, m[i].status, NULL, "msg", NULL,
                           &out);
            j = json_loads(out.data, 0, NULL);
            CHECK_STR(jstr(j, "type"), "error");
            CHECK_STR(jstr(j, "error.type"), m[i].type);
            CHECK_STR(jstr(j, "error.message"), "msg");
            json_decref(j);

            llm_buf_reset(&out);
            llm_error_body(LLM_API_GEMINI, m[i].status, NULL, "msg", NULL, &out);
            j = json_loads(out.data, 0, NULL);
            CHECK(jint(j, "error.code") == m[i].status);
            CHECK_STR(jstr(j, "error.status"), m[i].gstatus);
            json_decref(j);
        }
    }
    llm_buf_free(&out);
}

static json_t *
xerr(llm_api_t from, llm_api_t to, int status, const char *sample)
{
    llm_buf_t  out = LLM_BUF_INIT;
    size_t     len;
    char      *in = read_sample(sample, &len);
    json_t    *j;

    llm_xlate_error(from, to, status, in, len, &out);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK(j != NULL);
    llm_buf_free(&out);
    free(in);
    return j;
}

UNIT_TEST(test_xlate_error)
{
    json_t      *j;
    const char  *m;

    /* the provider's message survives, the key in it does not */
    j = xerr(LLM_API_OPENAI, LLM_API_ANTHROPIC, 401, "openai_error.json");
    CHECK_STR(jstr(j, "error.type"), "authentication_error");
    m = jstr(j, "error.message");
    CHECK(m && strstr(m, "Incorrect API key provided") != NULL);
    CHECK(m && strstr(m, "AbCdEfGhIjKlMn") == NULL);
    CHECK(m && strstr(m, "sk-...wxyz") != NULL);
    json_decref(j);
    j = xerr(LLM_API_OPENAI, LLM_API_OPENAI, 401, "openai_error.json");
    CHECK_STR(jstr(j, "error.type"), "invalid_request_error");
    CHECK_STR(jstr(j, "error.code"), "401");
    CHECK(strstr(jstr(j, "error.message"), "AbCdEfGh") == NULL);
    json_decref(j);

    j = xerr(LLM_API_ANTHROPIC, LLM_API_OPENAI, 529, "anthropic_error.json");
    CHECK_STR(jstr(j, "error.message"), "Overloaded");
    CHECK_STR(jstr(j, "error.code"), "529");
    json_decref(j);

    j = xerr(LLM_API_GEMINI, LLM_API_ANTHROPIC, 400, "gemini_error.json");
    CHECK(strstr(jstr(j, "error.message"), "contents is not specified") != NULL);
    CHECK_STR(jstr(j, "error.type"), "invalid_request_error");
    json_decref(j);
    j = xerr(LLM_API_GEMINI, LLM_API_GEMINI, 400, "gemini_error.json");
    CHECK_STR(jstr(j, "error.status"), "INVALID_ARGUMENT");
    json_decref(j);

    j = xerr(LLM_API_OPENAI, LLM_API_GEMINI, 502, "html_error.txt");
    CHECK(strstr(jstr(j, "error.message"), "502 Bad Gateway") != NULL);
    CHECK_STR(jstr(j, "error.status"), "INTERNAL");
    json_decref(j);

    /* empty body, invalid UTF-8 and Ollama's {"error":"..."} */
    {
        llm_buf_t  out = LLM_BUF_INIT;

        llm_xlate_error(LLM_API_OPENAI, LLM_API_OPENAI, 503, "", 0, &out);
        j = json_loads(out.data, 0, NULL);
        CHECK_STR(jstr(j, "error.message"), "upstream error (HTTP 503)");
        json_decref(j);
        llm_buf_reset(&out);
        llm_xlate_error(LLM_API_OPENAI, LLM_API_ANTHROPIC, 500, "bad \xff\xfe!",
                        7, &out);
        j = json_loads(out.data, 0, NULL);
        CHECK_STR(jstr(j, "error.message"), "bad ?" "?!");
        json_decref(j);
        llm_buf_reset(&out);
        llm_xlate_error(LLM_API_OPENAI, LLM_API_ANTHROPIC, 404,
                        "{\"error\":\"model 'llama9' not found\"}", 36, &out);
        j = json_loads(out.data, 0, NULL);
        CHECK_STR(jstr(j, "error.message"), "model 'llama9' not found");
        CHECK_STR(jstr(j, "error.type"), "not_found_error");
        json_decref(j);
        llm_buf_free(&out);
    }
}

UNIT_TEST(test_estimate_tokens)
{
    size_t      len;
    char       *in = read_sample("anthropic_req_claude_code.json", &len);
    long long   est = llm_estimate_tokens(LLM_API_ANTHROPIC, in, len);
    long long   small, with_image, cjk;
    const char *a = "{\"messages\":[{\"role\":\"user\",\"content\":"
                    "\"Hello, world\"}]}";
    const char *b = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                    "\"text\",\"text\":\"Hello, world\"},{\"type\":\"image\","
                    "\"source\":{\"type\":\"base64\",\"media_type\":"
                    "\"image/png\",\"data\":\"AAAA\"}}]}]}";
    const char *c = "{\"messages\":[{\"role\":\"user\",\"content\":"
                    "\"\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c\"}]}";

    /* 12 chars -> 3 tokens, + 3 per message + 3 primer */
    small = llm_estimate_tokens(LLM_API_ANTHROPIC, a, strlen(a));
    CHECK(small == 3 + 3 + 3);
    with_image = llm_estimate_tokens(LLM_API_ANTHROPIC, b, strlen(b));
    CHECK(with_image == small + 1600);
    cjk = llm_estimate_tokens(LLM_API_ANTHROPIC, c, strlen(c));
    CHECK(cjk == 4 + 3 + 3);             /* one token per CJK character */
    /* the Claude Code request: tools dominate; a sane range, not a guess */
    CHECK(est > (long long) len / 8);
    CHECK(est < (long long) len / 2);
    CHECK(llm_estimate_tokens(LLM_API_OPENAI, "plain words here", 16) == 4);
    /* Gemini's countTokens: contents, or a whole request wrapped */
    {
        const char *g = "{\"contents\":[{\"role\":\"user\",\"parts\":"
                        "[{\"text\":\"Hello, world\"}]}]}";
        const char *w = "{\"generateContentRequest\":{\"model\":"
                        "\"models/m\",\"contents\":[{\"role\":\"user\","
                        "\"parts\":[{\"text\":\"Hello, world\"}]}]}}";

        CHECK(llm_estimate_tokens(LLM_API_GEMINI, g, strlen(g)) == small);
        CHECK(llm_estimate_tokens(LLM_API_GEMINI, w, strlen(w)) == small);
    }
    /* the Responses API: input as a string or as items, as one message */
    {
        const char *s = "{\"model\":\"m\",\"input\":\"Hello, world\"}";
        const char *i = "{\"model\":\"m\",\"input\":[{\"type\":"
                        "\"message\",\"role\":\"user\",\"content\":[{"
                        "\"type\":\"input_text\",\"text\":"
                        "\"Hello, world\"}]}]}";
        const char *f = "{\"model\":\"m\",\"instructions\":\"Hello, world\","
                        "\"input\":[{\"type\":\"function_call_output\","
                        "\"call_id\":\"call_1\",\"output\":"
                        "\"Hello, world\"}]}";

        CHECK(llm_estimate_tokens(LLM_API_RESPONSES, s, strlen(s)) == small);
        CHECK(llm_estimate_tokens(LLM_API_RESPONSES, i, strlen(i)) == small);
        CHECK(llm_estimate_tokens(LLM_API_RESPONSES, f, strlen(f))
              == 2 * small - 3);
    }
    free(in);
}

UNIT_MAIN(test_openai_resp_to_anthropic, test_anthropic_resp_to_openai,
          test_gemini_resp, test_resp_not_a_response, test_usage_from_json,
          test_usage_text_agrees_with_tree, test_error_bodies,
          test_xlate_error, test_estimate_tokens)
