/*
 * The Responses API as a client format: requests read into the IR and
 * written for each provider, provider answers written as `response`
 * objects, provider streams written as typed Responses events, and usage
 * read from forwarded Responses traffic.
 */

#include "test_xlate_util.h"
#include "llm_sse.h"

/* ----------------------------------------------------- event capture */

#define EV_MAX  256

typedef struct {
    char     names[EV_MAX][64];
    json_t  *data[EV_MAX];
    int      n;
} rs_events_t;

static int
rs_events_cb(void *arg, const char *event, size_t elen, const char *data,
             size_t dlen)
{
    rs_events_t  *e = arg;

    if (e->n >= EV_MAX) {
        return 0;
    }
    snprintf(e->names[e->n], sizeof(e->names[0]), "%.*s", (int) elen,
             event ? event : "");
    e->data[e->n] = json_loadb(data, dlen, 0, NULL);
    e->n++;
    return 0;
}

static void
rs_events_free(rs_events_t *e)
{
    int  i;

    for (i = 0; i < e->n; i++) {
        json_decref(e->data[i]);
    }
}

/* an upstream stream fed in pieces of `piece` bytes (0: whole), and an
   optional caller failure after it */
static void
rs_stream_text(llm_api_t from, const char *in, size_t len,
               const llm_xlate_opts_t *o, size_t piece, const char *fail,
               rs_events_t *e, llm_usage_t *u)
{
    llm_stream_xlate_t  *x = llm_stream_xlate_new(from, LLM_API_RESPONSES, o);
    llm_buf_t            out = LLM_BUF_INIT;
    llm_sse_parser_t     p;
    size_t               off, n;

    CHECK(x != NULL);
    if (fail) {
        /* a caller failure cuts the stream: only its first half came */
        len /= 2;
    }
    for (off = 0; off < len; off += n) {
        n = piece ? piece : len;
        if (n > len - off) {
            n = len - off;
        }
        CHECK(llm_stream_xlate_feed(x, in + off, n, &out) == 0);
    }
    if (fail) {
        llm_stream_xlate_fail(x, fail, &out);
    } else {
        CHECK(llm_stream_xlate_finish(x, &out) == 0);
    }
    if (u) {
        llm_stream_xlate_usage(x, u);
    }
    llm_stream_xlate_free(x);

    memset(e, 0, sizeof(*e));
    llm_sse_init(&p, 0);
    CHECK(llm_sse_feed(&p, out.data ? out.data : "", out.len, rs_events_cb, e)
          == 0);
    llm_sse_free(&p);
    llm_buf_free(&out);
}

/* the same with a sample file */
static void
rs_stream(llm_api_t from, const char *sample, const llm_xlate_opts_t *o,
          size_t piece, const char *fail, rs_events_t *e, llm_usage_t *u)
{
    size_t  len;
    char   *in = read_sample(sample, &len);

    rs_stream_text(from, in, len, o, piece, fail, e, u);
    free(in);
}

/* every event: its SSE name is its type, sequence numbers count from 0 */
static void
rs_check_framing(rs_events_t *e)
{
    int  i;

    CHECK(e->n >= 3);
    for (i = 0; i < e->n; i++) {
        CHECK(e->data[i] != NULL);
        CHECK_STR(jstr(e->data[i], "type"), e->names[i]);
        CHECK(jint(e->data[i], "sequence_number") == i);
    }
    CHECK_STR(e->names[0], "response.created");
    CHECK_STR(e->names[1], "response.in_progress");
    CHECK_STR(jstr(e->data[0], "response.status"), "in_progress");
    CHECK(strncmp(jstr(e->data[0], "response.id"), "resp_", 5) == 0);
}

static int
rs_find(rs_events_t *e, const char *name, int from)
{
    int  i;

    for (i = from; i < e->n; i++) {
        if (strcmp(e->names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* ----------------------------------------------------- requests */

UNIT_TEST(test_rs_req_string_input)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256] = "";
    json_t           *j;

    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"instructions\":\"Be brief.\","
                 "\"input\":\"Hello\",\"max_output_tokens\":300,"
                 "\"temperature\":0.5,\"store\":true,\"metadata\":{\"a\":\"b\"},"
                 "\"truncation\":\"auto\",\"include\":[],\"user\":\"u1\"}",
                 &o, err, sizeof(err));
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "model"), "provider-model");
    CHECK_STR(jstr(j, "messages.0.role"), "system");
    CHECK_STR(jstr(j, "messages.0.content"), "Be brief.");
    CHECK_STR(jstr(j, "messages.1.role"), "user");
    CHECK_STR(jstr(j, "messages.1.content"), "Hello");
    CHECK(jint(j, "max_tokens") == 300);
    CHECK(json_real_value(jget(j, "temperature")) == 0.5);
    CHECK_STR(jstr(j, "user"), "u1");
    CHECK(jget(j, "store") == NULL && jget(j, "metadata") == NULL);
    json_decref(j);
}

static const char  rs_items[] =
    "{\"model\":\"m\",\"input\":["
    "{\"role\":\"developer\",\"content\":\"Use tools.\"},"
    "{\"type\":\"message\",\"role\":\"user\",\"content\":["
    "{\"type\":\"input_text\",\"text\":\"Weather in Paris?\"},"
    "{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,iVBO\"}]},"
    "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[{\"type\":"
    "\"summary_text\",\"text\":\"Need the tool.\"}],"
    "\"encrypted_content\":\"SIG123\"},"
    "{\"type\":\"message\",\"role\":\"assistant\",\"content\":["
    "{\"type\":\"output_text\",\"text\":\"Checking.\"}]},"
    "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_9\","
    "\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},"
    "{\"type\":\"function_call_output\",\"call_id\":\"call_9\","
    "\"output\":\"18C\"},"
    "{\"role\":\"user\",\"content\":\"Thanks\"}],"
    "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\","
    "\"description\":\"Weather\",\"parameters\":{\"type\":\"object\","
    "\"properties\":{\"city\":{\"type\":\"string\"}}},\"strict\":true}],"
    "\"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"},"
    "\"parallel_tool_calls\":false,\"reasoning\":{\"effort\":\"high\","
    "\"summary\":\"auto\"},\"max_output_tokens\":8000}";

UNIT_TEST(test_rs_req_items_to_anthropic)
{
    llm_xlate_opts_t  o = opts(0, LLM_DROP_HINTS);
    char              err[256] = "";
    json_t           *j;

    j = xreq_str(LLM_API_RESPONSES, LLM_API_ANTHROPIC, rs_items, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    if (j == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_STR(jstr(j, "system.0.text"), "Use tools.");
    CHECK(jlen(j, "messages") == 3);
    CHECK_STR(jstr(j, "messages.0.role"), "user");
    CHECK_STR(jstr(j, "messages.0.content.0.text"), "Weather in Paris?");
    CHECK_STR(jstr(j, "messages.0.content.1.type"), "image");
    CHECK_STR(jstr(j, "messages.0.content.1.source.media_type"), "image/png");
    /* one assistant turn: thinking (signed), text, call */
    CHECK_STR(jstr(j, "messages.1.role"), "assistant");
    CHECK_STR(jstr(j, "messages.1.content.0.type"), "thinking");
    CHECK_STR(jstr(j, "messages.1.content.0.thinking"), "Need the tool.");
    CHECK_STR(jstr(j, "messages.1.content.0.signature"), "SIG123");
    CHECK_STR(jstr(j, "messages.1.content.1.text"), "Checking.");
    CHECK_STR(jstr(j, "messages.1.content.2.type"), "tool_use");
    CHECK_STR(jstr(j, "messages.1.content.2.id"), "call_9");
    CHECK_STR(jstr(j, "messages.1.content.2.input.city"), "Paris");
    /* the result first in the user turn, then the text */
    CHECK_STR(jstr(j, "messages.2.content.0.type"), "tool_result");
    CHECK_STR(jstr(j, "messages.2.content.0.tool_use_id"), "call_9");
    CHECK_STR(jstr(j, "messages.2.content.1.text"), "Thanks");
    CHECK_STR(jstr(j, "tools.0.name"), "get_weather");
    CHECK_STR(jstr(j, "tools.0.input_schema.type"), "object");
    CHECK_STR(jstr(j, "tool_choice.type"), "tool");
    CHECK_STR(jstr(j, "tool_choice.name"), "get_weather");
    CHECK(json_is_true(jget(j, "tool_choice.disable_parallel_tool_use")));
    /* the named tool_choice forces a tool use: Anthropic refuses thinking
       with it, so the effort is dropped (a hint) */
    CHECK(jget(j, "thinking") == NULL);
    CHECK(jint(j, "max_tokens") == 8000);
    json_decref(j);

    /* reasoning.effort without a forced tool: a thinking budget */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_ANTHROPIC,
                 "{\"model\":\"m\",\"input\":\"hi\",\"reasoning\":"
                 "{\"effort\":\"high\"},\"max_output_tokens\":8000}", &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK(jint(j, "thinking.budget_tokens") == 4096);
    CHECK(jint(j, "max_tokens") == 8000);
    json_decref(j);
}

UNIT_TEST(test_rs_req_items_to_openai_and_gemini)
{
    llm_xlate_opts_t  o = opts(1, 0);
    char              err[256] = "";
    json_t           *j;

    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI, rs_items, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    if (j != NULL) {
        CHECK_STR(jstr(j, "messages.0.content"), "Use tools.");
        CHECK_STR(jstr(j, "messages.1.content.1.type"), "image_url");
        CHECK_STR(jstr(j, "messages.2.role"), "assistant");
        CHECK_STR(jstr(j, "messages.2.content"), "Checking.");
        CHECK_STR(jstr(j, "messages.2.tool_calls.0.id"), "call_9");
        CHECK_STR(jstr(j, "messages.2.tool_calls.0.function.name"),
                  "get_weather");
        CHECK_STR(jstr(j, "messages.3.role"), "tool");
        CHECK_STR(jstr(j, "messages.3.tool_call_id"), "call_9");
        CHECK_STR(jstr(j, "messages.3.content"), "18C");
        CHECK_STR(jstr(j, "messages.4.content"), "Thanks");
        CHECK_STR(jstr(j, "tools.0.function.name"), "get_weather");
        CHECK_STR(jstr(j, "tool_choice.function.name"), "get_weather");
        CHECK(json_is_false(jget(j, "parallel_tool_calls")));
        CHECK_STR(jstr(j, "reasoning_effort"), "high");
        CHECK(json_is_true(jget(j, "stream_options.include_usage")));
        json_decref(j);
    }

    j = xreq_str(LLM_API_RESPONSES, LLM_API_GEMINI, rs_items, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    if (j != NULL) {
        CHECK_STR(jstr(j, "systemInstruction.parts.0.text"), "Use tools.");
        CHECK_STR(jstr(j, "contents.1.role"), "model");
        CHECK_STR(jstr(j, "contents.2.parts.0.functionResponse.name"),
                  "get_weather");
        CHECK(jint(j, "generationConfig.maxOutputTokens") == 8000);
        json_decref(j);
    }
}

UNIT_TEST(test_rs_req_refusals)
{
    llm_xlate_opts_t  o = opts(0, 0), d = opts(0, 1);
    char              err[256] = "";
    json_t           *j;

    /* built-in tools: always a 400 naming the tool */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_ANTHROPIC,
                 "{\"model\":\"m\",\"input\":\"hi\",\"tools\":["
                 "{\"type\":\"web_search\"}]}", &d, err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "web_search") != NULL);
    CHECK(strstr(err, "anthropic") != NULL);

    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"tools\":["
                 "{\"type\":\"code_interpreter\",\"container\":{}}]}", &d,
                 err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "code_interpreter") != NULL);

    /* previous_response_id: the gateway prepended the conversation
       already (llm_rstore.c); the reader leaves it out */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\","
                 "\"previous_response_id\":\"resp_x\"}", &d, err, sizeof(err));
    CHECK(j != NULL);
    CHECK(jget(j, "previous_response_id") == NULL);
    json_decref(j);

    /* no input */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI, "{\"model\":\"m\"}", &o,
                 err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "input") != NULL);

    /* an item type no chat API has */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":[{\"type\":\"computer_call\"}]}",
                 &d, err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "computer_call") != NULL);

    /* unknown top-level field: the drop rule */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"conversation\":\"c\"}",
                 &o, err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "conversation") != NULL);
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"conversation\":\"c\"}",
                 &d, err, sizeof(err));
    CHECK(j != NULL && jget(j, "conversation") == NULL);
    json_decref(j);

    /* a JSON schema Anthropic cannot enforce */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_ANTHROPIC,
                 "{\"model\":\"m\",\"input\":\"hi\",\"text\":{\"format\":"
                 "{\"type\":\"json_schema\",\"name\":\"x\",\"schema\":"
                 "{\"type\":\"object\"}}}}", &o, err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "response_format") != NULL);
}

UNIT_TEST(test_rs_req_structured_output)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256] = "";
    json_t           *j;

    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"text\":{\"format\":"
                 "{\"type\":\"json_schema\",\"name\":\"person\",\"strict\":true,"
                 "\"schema\":{\"type\":\"object\",\"properties\":{\"name\":"
                 "{\"type\":\"string\"}}}},\"verbosity\":\"low\"}}", &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "response_format.type"), "json_schema");
    CHECK_STR(jstr(j, "response_format.json_schema.name"), "person");
    CHECK(json_is_true(jget(j, "response_format.json_schema.strict")));
    CHECK_STR(jstr(j, "response_format.json_schema.schema.type"), "object");
    json_decref(j);

    j = xreq_str(LLM_API_RESPONSES, LLM_API_GEMINI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"text\":{\"format\":"
                 "{\"type\":\"json_schema\",\"name\":\"person\",\"schema\":"
                 "{\"type\":\"object\",\"properties\":{\"name\":"
                 "{\"type\":\"string\"}}}}}}", &o, err, sizeof(err));
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "generationConfig.responseMimeType"),
              "application/json");
    json_decref(j);
}

UNIT_TEST(test_rs_req_passthrough)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256] = "";
    json_t           *j;

    /* Responses to a Responses provider: only the model changes, fields
       the gateway does not know are kept */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_RESPONSES,
                 "{\"model\":\"m\",\"input\":\"hi\",\"tools\":[{\"type\":"
                 "\"web_search\"}],\"future_field\":{\"x\":1}}", &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "model"), "provider-model");
    CHECK_STR(jstr(j, "tools.0.type"), "web_search");
    CHECK(jint(j, "future_field.x") == 1);
    json_decref(j);
}

/* ----------------------------------------------------- responses */

static json_t *
rs_resp(llm_api_t from, const char *sample, const llm_xlate_opts_t *o,
        llm_usage_t *u)
{
    size_t     len;
    char      *in = read_sample(sample, &len);
    llm_buf_t  out = LLM_BUF_INIT;
    json_t    *j = NULL;

    if (llm_xlate_response(from, LLM_API_RESPONSES, in, len, o, &out, u)
        == 0)
    {
        j = json_loadb(out.data, out.len, 0, NULL);
    }
    CHECK(j != NULL);
    llm_buf_free(&out);
    free(in);
    return j;
}

UNIT_TEST(test_rs_resp_openai_tools)
{
    static const char  req[] =
        "{\"model\":\"client-model\",\"input\":\"x\",\"instructions\":\"I\","
        "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\"},"
        "{\"type\":\"function\",\"name\":\"mcp__github_enterprise_server__"
        "create_pull_request_review_comment_with_suggestion\"}],"
        "\"max_output_tokens\":99}";
    llm_xlate_opts_t   o = opts(0, 0);
    llm_usage_t        u;
    json_t            *j;

    o.client_request = req;
    o.client_request_len = sizeof(req) - 1;
    j = rs_resp(LLM_API_OPENAI, "openai_resp_tools.json", &o, &u);
    if (j == NULL) {
        return;
    }
    CHECK_STR(jstr(j, "object"), "response");
    CHECK_STR(jstr(j, "id"), "resp_chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG");
    CHECK_STR(jstr(j, "status"), "completed");
    CHECK_STR(jstr(j, "model"), "client-model");
    CHECK_STR(jstr(j, "instructions"), "I");
    CHECK(jint(j, "max_output_tokens") == 99);
    CHECK(jlen(j, "output") == 3);
    CHECK_STR(jstr(j, "output.0.type"), "message");
    CHECK_STR(jstr(j, "output.0.role"), "assistant");
    CHECK_STR(jstr(j, "output.0.content.0.type"), "output_text");
    CHECK_STR(jstr(j, "output.0.content.0.text"), "Checking both.");
    CHECK_STR(jstr(j, "output.1.type"), "function_call");
    CHECK_STR(jstr(j, "output.1.call_id"), "call_Xk1a9");
    CHECK_STR(jstr(j, "output.1.name"), "get_weather");
    CHECK_STR(jstr(j, "output.1.arguments"), "{\"location\":\"Paris\"}");
    CHECK(strncmp(jstr(j, "output.1.id"), "fc_", 3) == 0);
    /* the shortened name restored from the client's tools */
    CHECK_STR(jstr(j, "output.2.name"), "mcp__github_enterprise_server__"
              "create_pull_request_review_comment_with_suggestion");
    CHECK(jint(j, "usage.input_tokens") == 1117);
    CHECK(jint(j, "usage.input_tokens_details.cached_tokens") == 1024);
    CHECK(jint(j, "usage.output_tokens") == 46);
    CHECK(jint(j, "usage.output_tokens_details.reasoning_tokens") == 0);
    CHECK(jint(j, "usage.total_tokens") == 1163);
    CHECK(u.prompt_tokens == 1117 && u.completion_tokens == 46);
    json_decref(j);
}

UNIT_TEST(test_rs_resp_reasoning_and_length)
{
    llm_xlate_opts_t  o = opts(0, 0);
    json_t           *j;

    o.response_id = "resp_gateway1";
    j = rs_resp(LLM_API_OPENAI, "openai_resp_reasoning.json", &o, NULL);
    if (j == NULL) {
        return;
    }
    CHECK_STR(jstr(j, "id"), "resp_gateway1");
    CHECK_STR(jstr(j, "output.0.type"), "reasoning");
    CHECK_STR(jstr(j, "output.0.summary.0.type"), "summary_text");
    CHECK_STR(jstr(j, "output.0.summary.0.text"),
              "Compare decimals: 0.11 vs 0.80.");
    CHECK_STR(jstr(j, "output.1.content.0.text"), "9.11 < 9.8");
    /* finish_reason length */
    CHECK_STR(jstr(j, "status"), "incomplete");
    CHECK_STR(jstr(j, "incomplete_details.reason"), "max_output_tokens");
    CHECK(jint(j, "usage.output_tokens_details.reasoning_tokens") == 50);
    json_decref(j);
}

UNIT_TEST(test_rs_resp_anthropic_and_gemini)
{
    llm_xlate_opts_t  o = opts(0, 0);
    json_t           *j;

    j = rs_resp(LLM_API_ANTHROPIC, "anthropic_resp_tools.json", &o, NULL);
    if (j != NULL) {
        size_t  i, calls = 0;
        json_t *a;

        CHECK_STR(jstr(j, "status"), "completed");
        /* without a client request, every echoed field has its default
           (scalars and null included, not only objects) */
        CHECK(json_is_true(jget(j, "store")));
        CHECK(json_is_true(jget(j, "parallel_tool_calls")));
        CHECK_STR(jstr(j, "tool_choice"), "auto");
        CHECK_STR(jstr(j, "truncation"), "disabled");
        CHECK(json_is_null(jget(j, "instructions")));
        CHECK(json_is_null(jget(j, "previous_response_id")));
        CHECK(json_is_null(jget(j, "max_output_tokens")));
        CHECK(json_is_null(jget(j, "temperature")));
        CHECK(json_is_null(jget(j, "top_p")));
        CHECK(json_is_null(jget(j, "user")));
        for (i = 0; i < jlen(j, "output"); i++) {
            json_t  *it = json_array_get(jget(j, "output"), i);

            if (strcmp(jstr(it, "type"), "function_call") == 0) {
                calls++;
                CHECK(strncmp(jstr(it, "call_id"), "toolu_", 6) == 0);
                a = json_loads(jstr(it, "arguments"), 0, NULL);
                CHECK(json_is_object(a));
                json_decref(a);
            }
        }
        CHECK(calls >= 1);
        json_decref(j);
    }
    j = rs_resp(LLM_API_GEMINI, "gemini_resp_safety.json", &o, NULL);
    if (j != NULL) {
        CHECK_STR(jstr(j, "status"), "incomplete");
        CHECK_STR(jstr(j, "incomplete_details.reason"), "content_filter");
        json_decref(j);
    }
}

/* ----------------------------------------------------- streams */

UNIT_TEST(test_rs_stream_openai_text)
{
    llm_xlate_opts_t  o = opts(1, 0);
    rs_events_t       e, b;
    llm_buf_t         text = LLM_BUF_INIT;
    llm_usage_t       u;
    int               i, last;

    rs_stream(LLM_API_OPENAI, "openai_stream_text.sse", &o, 0, NULL, &e, &u);
    rs_check_framing(&e);
    CHECK_STR(e.names[2], "response.output_item.added");
    CHECK_STR(jstr(e.data[2], "item.type"), "message");
    CHECK_STR(jstr(e.data[2], "item.status"), "in_progress");
    CHECK_STR(e.names[3], "response.content_part.added");
    llm_buf_append(&text, "", 0);
    for (i = 0; i < e.n; i++) {
        if (strcmp(e.names[i], "response.output_text.delta") == 0) {
            CHECK_STR(jstr(e.data[i], "item_id"), jstr(e.data[2], "item.id"));
            CHECK(jint(e.data[i], "output_index") == 0);
            llm_buf_append_str(&text, jstr(e.data[i], "delta"));
        }
    }
    CHECK_STR(text.data, "The capital of France is Paris.");
    i = rs_find(&e, "response.output_text.done", 0);
    CHECK(i > 0 && strcmp(jstr(e.data[i], "text"), text.data) == 0);
    CHECK(rs_find(&e, "response.content_part.done", i) == i + 1);
    CHECK(rs_find(&e, "response.output_item.done", i) == i + 2);
    last = e.n - 1;
    CHECK_STR(e.names[last], "response.completed");
    CHECK_STR(jstr(e.data[last], "response.status"), "completed");
    CHECK_STR(jstr(e.data[last], "response.model"), "client-model");
    CHECK_STR(jstr(e.data[last], "response.output.0.content.0.text"),
              "The capital of France is Paris.");
    CHECK(jint(e.data[last], "response.usage.input_tokens") == 24);
    CHECK(jint(e.data[last], "response.usage.output_tokens") == 7);
    CHECK(u.prompt_tokens == 24 && u.completion_tokens == 7);

    /* byte by byte: the same events */
    rs_stream(LLM_API_OPENAI, "openai_stream_text.sse", &o, 1, NULL, &b, NULL);
    CHECK(b.n == e.n);
    for (i = 0; i < e.n && i < b.n; i++) {
        json_object_del(json_object_get(e.data[i], "response"), "created_at");
        json_object_del(json_object_get(b.data[i], "response"), "created_at");
        CHECK(json_equal(e.data[i], b.data[i]));
    }
    rs_events_free(&b);
    rs_events_free(&e);
    llm_buf_free(&text);
}

UNIT_TEST(test_rs_stream_anthropic_tools)
{
    llm_xlate_opts_t  o = opts(1, 0);
    rs_events_t       e;
    llm_buf_t         args = LLM_BUF_INIT;
    json_t           *r, *a;
    int               i, last;

    rs_stream(LLM_API_ANTHROPIC, "anthropic_stream_tools.sse", &o, 7, NULL,
              &e, NULL);
    rs_check_framing(&e);
    /* reasoning first: summary part, deltas, done */
    CHECK_STR(jstr(e.data[2], "item.type"), "reasoning");
    CHECK_STR(e.names[3], "response.reasoning_summary_part.added");
    CHECK_STR(e.names[4], "response.reasoning_summary_text.delta");
    CHECK_STR(jstr(e.data[4], "delta"), "The user wants the weather in Paris");
    i = rs_find(&e, "response.reasoning_summary_text.done", 0);
    CHECK(i > 0);
    CHECK_STR(jstr(e.data[i], "text"),
              "The user wants the weather in Paris and the local time.");
    /* a function call with streamed arguments */
    i = rs_find(&e, "response.function_call_arguments.delta", 0);
    CHECK(i > 0);
    llm_buf_append(&args, "", 0);
    for (; i < e.n && strcmp(e.names[i],
                             "response.function_call_arguments.delta") == 0;
         i++)
    {
        llm_buf_append_str(&args, jstr(e.data[i], "delta"));
    }
    CHECK_STR(e.names[i], "response.function_call_arguments.done");
    CHECK_STR(jstr(e.data[i], "arguments"), args.data);
    a = json_loads(args.data, 0, NULL);
    CHECK_STR(jstr(a, "location"), "Paris");
    json_decref(a);

    last = e.n - 1;
    CHECK_STR(e.names[last], "response.completed");
    r = jget(e.data[last], "response");
    CHECK_STR(jstr(r, "output.0.type"), "reasoning");
    CHECK_STR(jstr(r, "output.0.encrypted_content"),
              "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
    CHECK_STR(jstr(r, "output.1.type"), "message");
    CHECK_STR(jstr(r, "output.1.content.0.text"), "Let me check both.");
    CHECK_STR(jstr(r, "output.2.type"), "function_call");
    CHECK_STR(jstr(r, "output.2.call_id"), "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
    CHECK_STR(jstr(r, "output.2.name"), "get_weather");
    CHECK_STR(jstr(r, "output.2.status"), "completed");
    /* Anthropic's input counts plus its cache counts */
    CHECK(jint(r, "usage.input_tokens") == 472 + 1200 + 3000);
    CHECK(jint(r, "usage.input_tokens_details.cached_tokens") == 3000);
    rs_events_free(&e);
    llm_buf_free(&args);
}

UNIT_TEST(test_rs_stream_gemini_tools)
{
    llm_xlate_opts_t  o = opts(1, 0);
    rs_events_t       e;
    int               i;

    rs_stream(LLM_API_GEMINI, "gemini_stream_tools.sse", &o, 3, NULL, &e,
              NULL);
    rs_check_framing(&e);
    i = rs_find(&e, "response.output_item.added", 0);
    for (; i >= 0; i = rs_find(&e, "response.output_item.added", i + 1)) {
        if (strcmp(jstr(e.data[i], "item.type"), "function_call") == 0) {
            break;
        }
    }
    CHECK(i > 0);
    CHECK(strncmp(jstr(e.data[i], "item.call_id"), "call_", 5) == 0);
    CHECK_STR(e.names[e.n - 1], "response.completed");
    rs_events_free(&e);
}

UNIT_TEST(test_rs_stream_failures)
{
    llm_xlate_opts_t  o = opts(1, 0);
    rs_events_t       e;
    int               last;

    /* the provider's error event mid-stream */
    rs_stream(LLM_API_OPENAI, "openai_stream_error.sse", &o, 0, NULL, &e,
              NULL);
    rs_check_framing(&e);
    last = e.n - 1;
    CHECK_STR(e.names[last], "response.failed");
    CHECK_STR(jstr(e.data[last], "response.status"), "failed");
    CHECK(strstr(jstr(e.data[last], "response.error.message"),
                 "server had an error") != NULL);
    CHECK_STR(jstr(e.data[last], "response.error.code"), "server_error");
    CHECK(rs_find(&e, "response.completed", 0) < 0);
    rs_events_free(&e);

    /* the connection broke (caller failure) after some text */
    rs_stream(LLM_API_ANTHROPIC, "anthropic_stream_tools.sse", &o, 0,
              "upstream timed out", &e, NULL);
    last = e.n - 1;
    CHECK_STR(e.names[last], "response.failed");
    CHECK_STR(jstr(e.data[last], "response.error.message"),
              "upstream timed out");
    CHECK(jint(e.data[last], "sequence_number") == last);
    rs_events_free(&e);
}

UNIT_TEST(test_rs_stream_empty_upstream)
{
    llm_xlate_opts_t     o = opts(1, 0);
    llm_stream_xlate_t  *x = llm_stream_xlate_new(LLM_API_OPENAI,
                                                  LLM_API_RESPONSES, &o);
    llm_buf_t            out = LLM_BUF_INIT;

    /* nothing came: still a whole, well-formed response */
    CHECK(llm_stream_xlate_finish(x, &out) == 0);
    CHECK(strstr(out.data, "event: response.created\n") != NULL);
    CHECK(strstr(out.data, "event: response.completed\n") != NULL);
    llm_stream_xlate_free(x);
    llm_buf_free(&out);
}

/* ----------------------------------------------------- usage, errors */

UNIT_TEST(test_rs_usage_passthrough)
{
    static const char  obj[] =
        "{\"id\":\"resp_1\",\"object\":\"response\",\"output\":[{\"type\":"
        "\"message\",\"content\":[{\"type\":\"output_text\",\"text\":"
        "\"input_tokens\"}]}],\"usage\":{\"input_tokens\":36,"
        "\"input_tokens_details\":{\"cached_tokens\":12},\"output_tokens\":"
        "87,\"output_tokens_details\":{\"reasoning_tokens\":40},"
        "\"total_tokens\":123}}";
    static const char  done[] =
        "{\"type\":\"response.completed\",\"sequence_number\":9,\"response\":"
        "{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":{"
        "\"input_tokens\":5,\"output_tokens\":3,\"total_tokens\":8}}}";
    static const char  delta[] =
        "{\"type\":\"response.output_text.delta\",\"sequence_number\":4,"
        "\"delta\":\"usage\"}";
    llm_usage_t        u;

    memset(&u, 0, sizeof(u));
    CHECK(llm_usage_from_json(LLM_API_RESPONSES, obj, sizeof(obj) - 1, &u)
          == 1);
    CHECK(u.prompt_tokens == 36 && u.completion_tokens == 87);
    CHECK(u.cache_read_tokens == 12 && u.reasoning_tokens == 40);
    CHECK(u.total_tokens == 123);

    memset(&u, 0, sizeof(u));
    CHECK(llm_usage_from_json(LLM_API_RESPONSES, delta, sizeof(delta) - 1,
                              &u) == 0);
    CHECK(llm_usage_from_json(LLM_API_RESPONSES, done, sizeof(done) - 1, &u)
          == 1);
    CHECK(u.prompt_tokens == 5 && u.completion_tokens == 3);
}

UNIT_TEST(test_rs_error_body)
{
    llm_buf_t  b = LLM_BUF_INIT;
    json_t    *j;

    llm_error_body(LLM_API_RESPONSES, 400, NULL, "bad", "input", &b);
    j = json_loadb(b.data, b.len, 0, NULL);
    CHECK_STR(jstr(j, "error.type"), "invalid_request_error");
    CHECK_STR(jstr(j, "error.param"), "input");
    json_decref(j);
    llm_buf_free(&b);
    CHECK_STR(llm_api_name(LLM_API_RESPONSES), "responses");
    CHECK(llm_api_from_name("responses") == LLM_API_RESPONSES);
    CHECK(llm_estimate_tokens(LLM_API_RESPONSES,
                              "{\"input\":\"hello there, how are you\"}",
                              35) > 3);
}

/* ----------------------------------------------------- namespace tools */

/* Codex's multi_agent_v1, an MCP server: function tools grouped under a
   namespace; translated as <namespace>__<name> and split again */
static const char  rs_ns_req[] =
    "{\"model\":\"m\",\"input\":["
    "{\"type\":\"message\",\"role\":\"user\",\"content\":\"close it\"},"
    "{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":"
    "\"close_agent\",\"namespace\":\"multi_agent_v1\",\"arguments\":"
    "\"{\\\"target\\\":\\\"a1\\\"}\"},"
    "{\"type\":\"function_call_output\",\"call_id\":\"call_1\","
    "\"output\":\"closed\"}],"
    "\"tools\":[{\"type\":\"function\",\"name\":\"exec_command\"},"
    "{\"type\":\"namespace\",\"name\":\"multi_agent_v1\",\"description\":"
    "\"Sub-agents\",\"tools\":[{\"type\":\"function\",\"name\":"
    "\"close_agent\",\"description\":\"Close an agent\",\"parameters\":"
    "{\"type\":\"object\"}},{\"type\":\"function\",\"name\":"
    "\"spawn_agent\"}]}],"
    "\"tool_choice\":{\"type\":\"function\",\"name\":\"spawn_agent\","
    "\"namespace\":\"multi_agent_v1\"},"
    "\"client_metadata\":{\"turn_id\":\"t1\"}}";

UNIT_TEST(test_rs_req_namespace_tools)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256] = "";
    json_t           *j;

    j = xreq_str(LLM_API_RESPONSES, LLM_API_ANTHROPIC, rs_ns_req, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    if (j == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(jlen(j, "tools") == 3);
    CHECK_STR(jstr(j, "tools.0.name"), "exec_command");
    CHECK_STR(jstr(j, "tools.1.name"), "multi_agent_v1__close_agent");
    CHECK_STR(jstr(j, "tools.1.description"), "Close an agent");
    CHECK_STR(jstr(j, "tools.1.input_schema.type"), "object");
    CHECK_STR(jstr(j, "tools.2.name"), "multi_agent_v1__spawn_agent");
    CHECK_STR(jstr(j, "tool_choice.name"), "multi_agent_v1__spawn_agent");
    CHECK_STR(jstr(j, "messages.1.content.0.name"),
              "multi_agent_v1__close_agent");
    CHECK_STR(jstr(j, "messages.1.content.0.input.target"), "a1");
    CHECK_STR(jstr(j, "messages.2.content.0.tool_use_id"), "call_1");
    CHECK(jget(j, "client_metadata") == NULL);
    json_decref(j);

    /* Gemini names a result by its call's name: the qualified one */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_GEMINI, rs_ns_req, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    if (j != NULL) {
        CHECK_STR(jstr(j, "contents.2.parts.0.functionResponse.name"),
                  "multi_agent_v1__close_agent");
        json_decref(j);
    }

    /* a member that is not a function tool: a 400 naming both */
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"tools\":[{\"type\":"
                 "\"namespace\",\"name\":\"ns\",\"tools\":[{\"type\":"
                 "\"custom\",\"name\":\"apply_patch\"}]}]}", &o, err,
                 sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "custom") != NULL && strstr(err, "ns") != NULL);
    j = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI,
                 "{\"model\":\"m\",\"input\":\"hi\",\"tools\":[{\"type\":"
                 "\"namespace\",\"name\":\"ns\"}]}", &o, err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "namespace") != NULL);
}

static const char  rs_ns_answer[] =
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude\",\"content\":[{\"type\":\"tool_use\",\"id\":"
    "\"toolu_1\",\"name\":\"multi_agent_v1__spawn_agent\",\"input\":"
    "{\"message\":\"go\"}},{\"type\":\"tool_use\",\"id\":\"toolu_2\","
    "\"name\":\"exec_command\",\"input\":{\"cmd\":\"ls\"}}],"
    "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":5,"
    "\"output_tokens\":3}}";

UNIT_TEST(test_rs_resp_namespace_tools)
{
    llm_xlate_opts_t  o = opts(0, 0);
    llm_buf_t         out = LLM_BUF_INIT;
    llm_usage_t       u;
    json_t           *j;

    o.client_request = rs_ns_req;
    o.client_request_len = sizeof(rs_ns_req) - 1;
    CHECK(llm_xlate_response(LLM_API_ANTHROPIC, LLM_API_RESPONSES,
                             rs_ns_answer, sizeof(rs_ns_answer) - 1, &o,
                             &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "output.0.type"), "function_call");
    CHECK_STR(jstr(j, "output.0.name"), "spawn_agent");
    CHECK_STR(jstr(j, "output.0.namespace"), "multi_agent_v1");
    CHECK_STR(jstr(j, "output.0.call_id"), "toolu_1");
    CHECK_STR(jstr(j, "output.1.name"), "exec_command");
    CHECK(jget(j, "output.1.namespace") == NULL);
    json_decref(j);
    llm_buf_free(&out);

    /* without the client's request (or its namespace) the name stays */
    o.client_request = NULL;
    o.client_request_len = 0;
    CHECK(llm_xlate_response(LLM_API_ANTHROPIC, LLM_API_RESPONSES,
                             rs_ns_answer, sizeof(rs_ns_answer) - 1, &o,
                             &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "output.0.name"), "multi_agent_v1__spawn_agent");
    CHECK(jget(j, "output.0.namespace") == NULL);
    json_decref(j);
    llm_buf_free(&out);
}

UNIT_TEST(test_rs_stream_namespace_tools)
{
    static const char   sse[] =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"claude\",\"content\":[],\"usage\":{\"input_tokens\":5,"
        "\"output_tokens\":1}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\","
        "\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":"
        "\"toolu_1\",\"name\":\"multi_agent_v1__close_agent\",\"input\":{}}}"
        "\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
        "\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"{\\\"target\\\":\\\"a1\\\"}\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
        "\"index\":0}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
        "{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    llm_xlate_opts_t    o = opts(1, 0);
    rs_events_t         e;
    int                 i;

    o.client_request = rs_ns_req;
    o.client_request_len = sizeof(rs_ns_req) - 1;
    rs_stream_text(LLM_API_ANTHROPIC, sse, sizeof(sse) - 1, &o, 11, NULL, &e,
                   NULL);
    rs_check_framing(&e);

    i = rs_find(&e, "response.output_item.added", 0);
    CHECK(i > 0);
    CHECK_STR(jstr(e.data[i], "item.name"), "close_agent");
    CHECK_STR(jstr(e.data[i], "item.namespace"), "multi_agent_v1");
    i = rs_find(&e, "response.output_item.done", 0);
    CHECK(i > 0);
    CHECK_STR(jstr(e.data[i], "item.name"), "close_agent");
    CHECK_STR(jstr(e.data[i], "item.namespace"), "multi_agent_v1");
    CHECK_STR(jstr(e.data[i], "item.arguments"), "{\"target\":\"a1\"}");
    CHECK_STR(e.names[e.n - 1], "response.completed");
    CHECK_STR(jstr(e.data[e.n - 1], "response.output.0.namespace"),
              "multi_agent_v1");
    rs_events_free(&e);
}

UNIT_MAIN(test_rs_req_string_input, test_rs_req_items_to_anthropic,
          test_rs_req_items_to_openai_and_gemini, test_rs_req_refusals,
          test_rs_req_structured_output, test_rs_req_passthrough,
          test_rs_resp_openai_tools, test_rs_resp_reasoning_and_length,
          test_rs_resp_anthropic_and_gemini, test_rs_stream_openai_text,
          test_rs_stream_anthropic_tools, test_rs_stream_gemini_tools,
          test_rs_stream_failures, test_rs_stream_empty_upstream,
          test_rs_usage_passthrough, test_rs_error_body,
          test_rs_req_namespace_tools, test_rs_resp_namespace_tools,
          test_rs_stream_namespace_tools)
