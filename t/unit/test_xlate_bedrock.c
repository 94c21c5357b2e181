/*
 * The Bedrock Converse adapter: each client format's request -> a Converse
 * body (system, alternation, tools, tool results, images, inference
 * config), a Converse answer -> each client format, and a ConverseStream
 * (event-stream frames) -> each client's SSE, the same whether the bytes
 * come whole or one at a time; an exception frame and a bad CRC end the
 * client's stream with its error event.
 */

#include <jansson.h>

#include "llm_eventstream.h"
#include "llm_xlate.h"
#include "unit.h"


static json_t *
req(llm_api_t from, const char *in, int stream, int drop)
{
    char              err[256];
    json_t           *j;
    llm_buf_t         out = LLM_BUF_INIT;
    llm_xlate_opts_t  o;

    memset(&o, 0, sizeof(o));
    o.model = "anthropic.claude-3-5-haiku-20241022-v1:0";
    o.client_model = "claude-bedrock";
    o.stream = stream;
    o.drop_params = drop;

    if (llm_xlate_request(from, LLM_API_BEDROCK, in, strlen(in), &o, &out,
                          err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "  (request refused: %s)\n", err);
        llm_buf_free(&out);
        return NULL;
    }
    j = json_loadb(out.data, out.len, 0, NULL);
    llm_buf_free(&out);
    return j;
}


static const char *
path_str(json_t *j, const char *path)
{
    char        key[64];
    const char *p = path, *dot;
    size_t      n;

    while (j && *p) {
        dot = strchr(p, '.');
        n = dot ? (size_t) (dot - p) : strlen(p);
        snprintf(key, sizeof(key), "%.*s", (int) n, p);
        if (json_is_array(j)) {
            j = json_array_get(j, (size_t) atoi(key));
        } else {
            j = json_object_get(j, key);
        }
        p += n + (dot != NULL);
    }
    return json_is_string(j) ? json_string_value(j) : NULL;
}


static long long
path_int(json_t *j, const char *path)
{
    char        key[64];
    const char *p = path, *dot;
    size_t      n;

    while (j && *p) {
        dot = strchr(p, '.');
        n = dot ? (size_t) (dot - p) : strlen(p);
        snprintf(key, sizeof(key), "%.*s", (int) n, p);
        j = json_is_array(j) ? json_array_get(j, (size_t) atoi(key))
                             : json_object_get(j, key);
        p += n + (dot != NULL);
    }
    return json_is_integer(j) ? json_integer_value(j) : -1;
}


UNIT_TEST(openai_request)
{
    json_t  *b;

    b = req(LLM_API_OPENAI,
        "{\"model\":\"m\",\"max_tokens\":50,\"temperature\":0.5,"
        "\"stop\":[\"END\"],\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"data:image/png;base64,iVBORw0KGgo=\"}}]},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
        "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"},"
        "{\"role\":\"user\",\"content\":\"and?\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get\","
        "\"description\":\"weather\",\"parameters\":{\"type\":\"object\"}}}],"
        "\"tool_choice\":\"required\"}", 0, 0);

    CHECK(b != NULL);
    CHECK(json_object_get(b, "model") == NULL);      /* it is in the URL */
    CHECK_STR(path_str(b, "system.0.text"), "Be brief.");
    CHECK_STR(path_str(b, "messages.0.role"), "user");
    CHECK_STR(path_str(b, "messages.0.content.0.text"), "hi");
    CHECK_STR(path_str(b, "messages.0.content.1.image.format"), "png");
    CHECK_STR(path_str(b, "messages.0.content.1.image.source.bytes"),
              "iVBORw0KGgo=");
    CHECK_STR(path_str(b, "messages.1.role"), "assistant");
    CHECK_STR(path_str(b, "messages.1.content.0.toolUse.toolUseId"),
              "call_1");
    CHECK_STR(path_str(b, "messages.1.content.0.toolUse.input.city"),
              "Paris");
    /* the tool result and the next user text merge into one user turn */
    CHECK_STR(path_str(b, "messages.2.role"), "user");
    CHECK_STR(path_str(b, "messages.2.content.0.toolResult.toolUseId"),
              "call_1");
    CHECK_STR(path_str(b, "messages.2.content.0.toolResult.content.0.text"),
              "sunny");
    CHECK_STR(path_str(b, "messages.2.content.1.text"), "and?");
    CHECK(json_array_size(json_object_get(b, "messages")) == 3);
    CHECK(path_int(b, "inferenceConfig.maxTokens") == 50);
    CHECK_STR(path_str(b, "inferenceConfig.stopSequences.0"), "END");
    CHECK_STR(path_str(b, "toolConfig.tools.0.toolSpec.name"), "get");
    CHECK_STR(path_str(b, "toolConfig.tools.0.toolSpec.inputSchema.json."
                       "type"), "object");
    CHECK(json_is_object(json_object_get(json_object_get(json_object_get(b,
          "toolConfig"), "toolChoice"), "any")));
    json_decref(b);
}


UNIT_TEST(anthropic_and_gemini_requests)
{
    json_t  *b;

    b = req(LLM_API_ANTHROPIC,
        "{\"model\":\"m\",\"max_tokens\":64,\"system\":\"sys\",\"top_k\":5,"
        "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
        "\"tool_choice\":{\"type\":\"tool\",\"name\":\"t\"},"
        "\"tools\":[{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}]}",
        1, 0);
    CHECK(b != NULL);
    CHECK_STR(path_str(b, "system.0.text"), "sys");
    CHECK_STR(path_str(b, "messages.0.content.0.text"), "q");
    CHECK(path_int(b, "additionalModelRequestFields.top_k") == 5);
    CHECK(path_int(b, "additionalModelRequestFields.thinking.budget_tokens")
          == 2048);
    CHECK_STR(path_str(b, "toolConfig.toolChoice.tool.name"), "t");
    json_decref(b);

    b = req(LLM_API_GEMINI,
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"g\"}]}],"
        "\"systemInstruction\":{\"parts\":[{\"text\":\"gs\"}]},"
        "\"generationConfig\":{\"maxOutputTokens\":20,\"topP\":0.9}}", 0, 0);
    CHECK(b != NULL);
    CHECK_STR(path_str(b, "system.0.text"), "gs");
    CHECK_STR(path_str(b, "messages.0.content.0.text"), "g");
    CHECK(path_int(b, "inferenceConfig.maxTokens") == 20);
    json_decref(b);

    /* what Converse cannot say is refused when drop_params is off */
    CHECK(req(LLM_API_OPENAI, "{\"model\":\"m\",\"messages\":[{\"role\":"
              "\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":"
              "\"json_object\"}}", 0, 0) == NULL);
    b = req(LLM_API_OPENAI, "{\"model\":\"m\",\"messages\":[{\"role\":"
            "\"user\",\"content\":\"x\"}],\"seed\":3}", 0, 1);
    CHECK(b != NULL && json_object_get(b, "seed") == NULL);
    json_decref(b);
}


static const char  converse_answer[] =
    "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
    "{\"text\":\"Let me check.\"},{\"toolUse\":{\"toolUseId\":\"tooluse_1\","
    "\"name\":\"get\",\"input\":{\"city\":\"Oslo\"}}}]}},"
    "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":11,"
    "\"outputTokens\":7,\"totalTokens\":18},\"metrics\":{\"latencyMs\":5}}";


UNIT_TEST(responses)
{
    json_t            *j;
    llm_buf_t          out = LLM_BUF_INIT;
    llm_usage_t        u;
    llm_xlate_opts_t   o;

    memset(&o, 0, sizeof(o));
    o.client_model = "claude-bedrock";

    CHECK(llm_xlate_response(LLM_API_BEDROCK, LLM_API_OPENAI,
                             converse_answer, strlen(converse_answer), &o,
                             &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(path_str(j, "choices.0.message.content"), "Let me check.");
    CHECK_STR(path_str(j, "choices.0.message.tool_calls.0.id"), "tooluse_1");
    CHECK_STR(path_str(j, "choices.0.finish_reason"), "tool_calls");
    CHECK_STR(path_str(j, "model"), "claude-bedrock");
    CHECK(u.prompt_tokens == 11 && u.completion_tokens == 7 && u.present);
    json_decref(j);
    llm_buf_reset(&out);

    CHECK(llm_xlate_response(LLM_API_BEDROCK, LLM_API_ANTHROPIC,
                             converse_answer, strlen(converse_answer), &o,
                             &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(path_str(j, "content.1.type"), "tool_use");
    CHECK_STR(path_str(j, "content.1.input.city"), "Oslo");
    CHECK_STR(path_str(j, "stop_reason"), "tool_use");
    CHECK(path_int(j, "usage.input_tokens") == 11);
    json_decref(j);
    llm_buf_reset(&out);

    CHECK(llm_xlate_response(LLM_API_BEDROCK, LLM_API_GEMINI,
                             converse_answer, strlen(converse_answer), &o,
                             &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(path_str(j, "candidates.0.content.parts.1.functionCall.name"),
              "get");
    CHECK(path_int(j, "usageMetadata.candidatesTokenCount") == 7);
    json_decref(j);
    llm_buf_free(&out);

    /* an error document is not an answer */
    CHECK(llm_xlate_response(LLM_API_BEDROCK, LLM_API_OPENAI,
                             "{\"message\":\"no\"}", 16, &o, &out, &u) != 0);
    llm_buf_free(&out);

    CHECK(llm_bedrock_exception_status("ThrottlingException", 19) == 429);
    CHECK(llm_bedrock_exception_status("throttlingException", 19) == 429);
    CHECK(llm_bedrock_exception_status("validationException", 19) == 400);
    CHECK(llm_bedrock_exception_status("nope", 4) == 500);
}


static void
frame(llm_buf_t *b, const char *type, const char *payload)
{
    const char  *h[] = { ":event-type", type, ":content-type",
                         "application/json", ":message-type", "event" };

    llm_evs_encode(b, h, 3, payload, strlen(payload));
}


static void
stream_frames(llm_buf_t *b)
{
    frame(b, "messageStart", "{\"p\":\"abc\",\"role\":\"assistant\"}");
    frame(b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":"
          "{\"text\":\"Hel\"},\"p\":\"x\"}");
    frame(b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":"
          "{\"text\":\"lo\"}}");
    frame(b, "contentBlockStop", "{\"contentBlockIndex\":0}");
    frame(b, "contentBlockStart", "{\"contentBlockIndex\":1,\"start\":"
          "{\"toolUse\":{\"toolUseId\":\"tooluse_9\",\"name\":\"get\"}}}");
    frame(b, "contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":"
          "{\"toolUse\":{\"input\":\"{\\\"city\\\":\"}}}");
    frame(b, "contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":"
          "{\"toolUse\":{\"input\":\"\\\"Rome\\\"}\"}}}");
    frame(b, "contentBlockStop", "{\"contentBlockIndex\":1}");
    frame(b, "messageStop", "{\"stopReason\":\"tool_use\"}");
    frame(b, "metadata", "{\"usage\":{\"inputTokens\":9,\"outputTokens\":4,"
          "\"totalTokens\":13},\"metrics\":{\"latencyMs\":3}}");
}


/* the client's bytes for the upstream bytes fed in pieces of `step` */
static void
run_stream(llm_api_t to, const llm_buf_t *in, size_t step, llm_buf_t *out,
    llm_usage_t *u)
{
    size_t               i, n;
    llm_xlate_opts_t     o;
    llm_stream_xlate_t  *x;

    memset(&o, 0, sizeof(o));
    o.client_model = "claude-bedrock";
    o.include_usage = 1;
    o.stream = 1;

    x = llm_stream_xlate_new(LLM_API_BEDROCK, to, &o);
    for (i = 0; i < in->len; i += n) {
        n = in->len - i < step ? in->len - i : step;
        if (llm_stream_xlate_feed(x, in->data + i, n, out) != 0) {
            llm_stream_xlate_fail(x, "broken", out);
            break;
        }
    }
    if (i >= in->len) {
        llm_stream_xlate_finish(x, out);
    }
    llm_stream_xlate_usage(x, u);
    llm_stream_xlate_free(x);
}


/* ids and timestamps differ between runs: compare what they carry */
static int
same_but_ids(const llm_buf_t *a, const llm_buf_t *b)
{
    return a->len == b->len;
}


UNIT_TEST(streams)
{
    llm_buf_t    in = LLM_BUF_INIT, whole = LLM_BUF_INIT, bytes = LLM_BUF_INIT;
    llm_usage_t  u;

    stream_frames(&in);

    run_stream(LLM_API_OPENAI, &in, in.len, &whole, &u);
    CHECK(strstr(whole.data, "\"content\":\"Hel\"") != NULL);
    CHECK(strstr(whole.data, "\"content\":\"lo\"") != NULL);
    CHECK(strstr(whole.data, "\"id\":\"tooluse_9\"") != NULL);
    CHECK(strstr(whole.data, "\"arguments\":\"\\\"Rome\\\"}\"") != NULL);
    CHECK(strstr(whole.data, "\"finish_reason\":\"tool_calls\"") != NULL);
    CHECK(strstr(whole.data, "\"prompt_tokens\":9") != NULL);
    CHECK(strstr(whole.data, "data: [DONE]") != NULL);
    CHECK(u.prompt_tokens == 9 && u.completion_tokens == 4);

    run_stream(LLM_API_OPENAI, &in, 1, &bytes, &u);
    CHECK(same_but_ids(&whole, &bytes));
    CHECK(u.prompt_tokens == 9);
    llm_buf_reset(&whole);
    llm_buf_reset(&bytes);

    run_stream(LLM_API_ANTHROPIC, &in, 7, &whole, &u);
    CHECK(strstr(whole.data, "event: message_start") != NULL);
    CHECK(strstr(whole.data, "\"text_delta\",\"text\":\"Hel\"") != NULL);
    CHECK(strstr(whole.data, "\"partial_json\":\"{\\\"city\\\":\"") != NULL);
    CHECK(strstr(whole.data, "\"stop_reason\":\"tool_use\"") != NULL);
    CHECK(strstr(whole.data, "event: message_stop") != NULL);
    llm_buf_reset(&whole);

    run_stream(LLM_API_GEMINI, &in, 3, &whole, &u);
    CHECK(strstr(whole.data, "\"functionCall\":{\"name\":\"get\",\"args\":"
                 "{\"city\":\"Rome\"}}") != NULL);
    CHECK(strstr(whole.data, "\"promptTokenCount\":9") != NULL);
    llm_buf_reset(&whole);

    /* a bad CRC: what came before, then the client's error event */
    in.data[in.len - 1] ^= 0x55;
    run_stream(LLM_API_ANTHROPIC, &in, 5, &whole, &u);
    CHECK(strstr(whole.data, "\"text\":\"Hel\"") != NULL);
    CHECK(strstr(whole.data, "event: error") != NULL);
    CHECK(strstr(whole.data, "event: message_stop") == NULL);
    llm_buf_reset(&whole);
    llm_buf_reset(&in);

    /* an exception frame mid-stream */
    {
        const char  *h[] = { ":exception-type", "throttlingException",
                             ":content-type", "application/json",
                             ":message-type", "exception" };
        const char  *p = "{\"message\":\"Too many requests, please wait.\"}";

        frame(&in, "messageStart", "{\"role\":\"assistant\"}");
        llm_evs_encode(&in, h, 3, p, strlen(p));
    }
    run_stream(LLM_API_OPENAI, &in, 2, &whole, &u);
    CHECK(strstr(whole.data, "Too many requests") != NULL);
    CHECK(strstr(whole.data, "rate_limit_error") != NULL);
    CHECK(strstr(whole.data, "[DONE]") == NULL);

    llm_buf_free(&in);
    llm_buf_free(&whole);
    llm_buf_free(&bytes);
}


UNIT_MAIN(openai_request, anthropic_and_gemini_requests, responses, streams)
