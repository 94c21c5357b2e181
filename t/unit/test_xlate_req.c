/*
 * Request translation, all six directions, checked field by field on
 * realistic samples (a Claude Code request with system blocks, 21 tools,
 * parallel tool calls, tool results, cache_control and thinking; an OpenAI
 * request with images, parallel tool calls and a mid-conversation developer
 * message; a Gemini request with function calls and inline data), plus the
 * drop_params rule and malformed input.
 */

#include "test_xlate_util.h"

#define LONG_TOOL \
    "mcp__github_enterprise_server__create_pull_request_review_comment_with_suggestion"

static int
dump_contains(json_t *j, const char *needle)
{
    char  *s = json_dumps(j, 0);
    int    r = s && strstr(s, needle) != NULL;

    free(s);
    return r;
}

UNIT_TEST(test_claude_code_to_openai)
{
    llm_xlate_opts_t  o = opts(1, 0);
    json_t           *j, *args;
    const char       *short_name;
    size_t            i;

    j = xreq_sample(LLM_API_ANTHROPIC, LLM_API_OPENAI,
                    "anthropic_req_claude_code.json", &o);
    CHECK(j != NULL);
    if (j == NULL) {
        return;
    }
    CHECK_STR(jstr(j, "model"), "provider-model");
    CHECK_STR(jstr(j, "messages.0.role"), "system");
    CHECK(strstr(jstr(j, "messages.0.content"), "You are Claude Code") != NULL);
    CHECK(strstr(jstr(j, "messages.0.content"), "Working directory") != NULL);
    CHECK_STR(jstr(j, "messages.1.role"), "user");
    CHECK(jlen(j, "messages.1.content") == 2);
    CHECK_STR(jstr(j, "messages.1.content.1.text"),
              "Fix the failing test in src/parser.c");

    /* assistant turn: thinking dropped, text kept, two parallel calls */
    CHECK_STR(jstr(j, "messages.2.role"), "assistant");
    CHECK_STR(jstr(j, "messages.2.content"),
              "I'll run the tests and read the parser.");
    CHECK(jget(j, "messages.2.reasoning_content") == NULL);
    CHECK(jlen(j, "messages.2.tool_calls") == 2);
    CHECK_STR(jstr(j, "messages.2.tool_calls.0.id"), "toolu_01A");
    CHECK_STR(jstr(j, "messages.2.tool_calls.0.type"), "function");
    CHECK_STR(jstr(j, "messages.2.tool_calls.0.function.name"), "Bash");
    args = json_loads(jstr(j, "messages.2.tool_calls.0.function.arguments"),
                      0, NULL);
    CHECK_STR(jstr(args, "command"), "make test");
    json_decref(args);
    CHECK_STR(jstr(j, "messages.2.tool_calls.1.function.name"), "Read");

    /* tool results become role:tool messages, in order, error flagged */
    CHECK_STR(jstr(j, "messages.3.role"), "tool");
    CHECK_STR(jstr(j, "messages.3.tool_call_id"), "toolu_01A");
    CHECK(strncmp(jstr(j, "messages.3.content"), "Error: FAIL", 11) == 0);
    CHECK_STR(jstr(j, "messages.4.tool_call_id"), "toolu_01B");
    CHECK(strstr(jstr(j, "messages.4.content"), "int parse") != NULL);

    /* the 81-character MCP tool name is shortened consistently */
    short_name = jstr(j, "messages.5.tool_calls.0.function.name");
    CHECK(short_name && strlen(short_name) == 64);
    CHECK(short_name && strncmp(short_name, LONG_TOOL, 55) == 0);
    CHECK(json_is_null(jget(j, "messages.5.content")));
    CHECK_STR(jstr(j, "messages.6.role"), "tool");
    CHECK_STR(jstr(j, "messages.6.content"), "comment created");
    /* the tool's image follows as user content, then the user's text */
    CHECK_STR(jstr(j, "messages.7.role"), "user");
    CHECK_STR(jstr(j, "messages.7.content.1.type"), "image_url");
    CHECK(strncmp(jstr(j, "messages.7.content.1.image_url.url"),
                  "data:image/png;base64,iVBOR", 27) == 0);
    CHECK_STR(jstr(j, "messages.7.content.2.text"), "Now fix it please.");
    CHECK(jlen(j, "messages") == 8);

    CHECK(jlen(j, "tools") == 21);
    for (i = 0; i < jlen(j, "tools"); i++) {
        char  path[64];

        snprintf(path, sizeof(path), "tools.%zu.function.name", i);
        CHECK(jstr(j, path) && strlen(jstr(j, path)) <= 64);
    }
    CHECK_STR(jstr(j, "tools.19.function.name"), short_name);
    CHECK_STR(jstr(j, "tools.1.function.parameters.properties.command.type"),
              "string");
    CHECK_STR(jstr(j, "tool_choice"), "auto");
    CHECK_STR(jstr(j, "reasoning_effort"), "high");
    CHECK(jint(j, "max_tokens") == 32000);
    CHECK_STR(jstr(j, "user"), "user_abc123_account_session_42");
    CHECK(json_is_true(jget(j, "stream")));
    CHECK(json_is_true(jget(j, "stream_options.include_usage")));
    CHECK(!dump_contains(j, "cache_control"));
    json_decref(j);
}

UNIT_TEST(test_claude_code_to_gemini)
{
    llm_xlate_opts_t  o = opts(1, 0);
    json_t           *j;

    j = xreq_sample(LLM_API_ANTHROPIC, LLM_API_GEMINI,
                    "anthropic_req_claude_code.json", &o);
    CHECK(j != NULL);
    if (j == NULL) {
        return;
    }
    CHECK(jget(j, "model") == NULL);          /* in the URL for Gemini */
    CHECK(jlen(j, "contents") == 5);
    CHECK_STR(jstr(j, "contents.0.role"), "user");
    CHECK_STR(jstr(j, "contents.1.role"), "model");
    CHECK_STR(jstr(j, "contents.2.role"), "user");
    CHECK_STR(jstr(j, "contents.3.role"), "model");
    CHECK_STR(jstr(j, "contents.4.role"), "user");
    CHECK_STR(jstr(j, "contents.1.parts.1.functionCall.name"), "Bash");
    CHECK_STR(jstr(j, "contents.1.parts.1.functionCall.args.command"),
              "make test");
    CHECK_STR(jstr(j, "contents.2.parts.0.functionResponse.name"), "Bash");
    CHECK(strstr(jstr(j, "contents.2.parts.0.functionResponse.response.error"),
                 "FAIL") != NULL);
    CHECK_STR(jstr(j, "contents.2.parts.1.functionResponse.name"), "Read");
    /* Gemini has no name limit: the long name is kept */
    CHECK_STR(jstr(j, "contents.3.parts.0.functionCall.name"), LONG_TOOL);
    CHECK_STR(jstr(j, "contents.4.parts.0.functionResponse.response.content"),
              "comment created");
    CHECK_STR(jstr(j, "contents.4.parts.2.inlineData.mimeType"), "image/png");
    CHECK(jlen(j, "systemInstruction.parts") == 2);

    CHECK(jlen(j, "tools.0.functionDeclarations") == 21);
    CHECK_STR(jstr(j, "tools.0.functionDeclarations.1.parameters.type"),
              "OBJECT");
    CHECK_STR(jstr(j, "tools.0.functionDeclarations.1.parameters.properties."
                      "command.type"), "STRING");
    CHECK(json_is_true(jget(j, "tools.0.functionDeclarations.0.parameters."
                               "properties.path.nullable")));
    CHECK(!dump_contains(j, "$schema"));
    CHECK(!dump_contains(j, "additionalProperties"));
    /* Gemini refuses "format": "uri" */
    CHECK_STR(jstr(j, "tools.0.functionDeclarations.11.name"), "WebFetch");
    CHECK_STR(jstr(j, "tools.0.functionDeclarations.11.parameters.properties."
                      "url.type"), "STRING");
    CHECK(jget(j, "tools.0.functionDeclarations.11.parameters.properties."
                  "url.format") == NULL);
    CHECK(!dump_contains(j, "cache_control"));
    CHECK_STR(jstr(j, "toolConfig.functionCallingConfig.mode"), "AUTO");
    CHECK(jint(j, "generationConfig.maxOutputTokens") == 32000);
    CHECK(jint(j, "generationConfig.thinkingConfig.thinkingBudget") == 10000);
    json_decref(j);
}

UNIT_TEST(test_openai_to_anthropic)
{
    llm_xlate_opts_t  o = opts(1, 0);
    json_t           *j;

    j = xreq_sample(LLM_API_OPENAI, LLM_API_ANTHROPIC, "openai_req_tools.json",
                    &o);
    CHECK(j != NULL);
    if (j == NULL) {
        return;
    }
    /* the mid-conversation developer message joins the system prompt */
    CHECK(jlen(j, "system") == 2);
    CHECK_STR(jstr(j, "system.0.text"), "You are a helpful assistant.");
    CHECK_STR(jstr(j, "system.1.text"), "Answer in one sentence.");
    CHECK(jlen(j, "messages") == 5);
    CHECK_STR(jstr(j, "messages.0.content.1.type"), "image");
    CHECK_STR(jstr(j, "messages.0.content.1.source.type"), "base64");
    CHECK_STR(jstr(j, "messages.0.content.1.source.media_type"), "image/png");
    CHECK(strncmp(jstr(j, "messages.0.content.1.source.data"), "iVBOR", 5) == 0);
    CHECK_STR(jstr(j, "messages.0.content.2.source.type"), "url");
    CHECK_STR(jstr(j, "messages.0.content.2.source.url"),
              "https://example.com/cat.jpg");
    CHECK_STR(jstr(j, "messages.1.role"), "assistant");
    CHECK_STR(jstr(j, "messages.1.content.0.type"), "tool_use");
    CHECK_STR(jstr(j, "messages.1.content.0.id"), "call_Xk1a9");
    CHECK_STR(jstr(j, "messages.1.content.0.input.location"), "Paris");
    CHECK_STR(jstr(j, "messages.1.content.1.name"), "get_time");
    /* both tool messages merge into one user turn of tool_result blocks */
    CHECK_STR(jstr(j, "messages.2.role"), "user");
    CHECK(jlen(j, "messages.2.content") == 2);
    CHECK_STR(jstr(j, "messages.2.content.0.type"), "tool_result");
    CHECK_STR(jstr(j, "messages.2.content.0.tool_use_id"), "call_Xk1a9");
    CHECK_STR(jstr(j, "messages.2.content.1.tool_use_id"), "call_Zq2b7");
    CHECK_STR(jstr(j, "messages.2.content.1.content.0.text"), "14:05");
    CHECK_STR(jstr(j, "messages.3.content.0.text"),
              "It is a 1-pixel image; Paris is 18\xC2\xB0" "C and cloudy at 14:05.");
    CHECK_STR(jstr(j, "messages.4.content.0.text"), "Thanks! Now book a table.");

    CHECK(jint(j, "max_tokens") == 512);
    CHECK(json_real_value(jget(j, "temperature")) == 0.7);
    CHECK(json_real_value(jget(j, "top_p")) == 0.9);
    CHECK_STR(jstr(j, "stop_sequences.0"), "\n\nHuman:");
    CHECK_STR(jstr(j, "metadata.user_id"), "user-1234");
    CHECK(jlen(j, "tools") == 3);
    CHECK_STR(jstr(j, "tools.0.input_schema.properties.location.type"), "string");
    CHECK_STR(jstr(j, "tools.2.name"), "book_table");
    CHECK_STR(jstr(j, "tool_choice.type"), "any");
    CHECK(json_is_true(jget(j, "tool_choice.disable_parallel_tool_use")));
    CHECK(json_is_true(jget(j, "stream")));
    CHECK(jget(j, "stream_options") == NULL);
    json_decref(j);
}

UNIT_TEST(test_openai_to_gemini)
{
    llm_xlate_opts_t  o = opts(0, 0);
    json_t           *j;

    j = xreq_sample(LLM_API_OPENAI, LLM_API_GEMINI, "openai_req_tools.json",
                    &o);
    CHECK(j != NULL);
    if (j == NULL) {
        return;
    }
    CHECK(jlen(j, "contents") == 5);
    CHECK_STR(jstr(j, "contents.0.parts.1.inlineData.mimeType"), "image/png");
    CHECK_STR(jstr(j, "contents.0.parts.2.fileData.fileUri"),
              "https://example.com/cat.jpg");
    CHECK_STR(jstr(j, "contents.1.role"), "model");
    CHECK_STR(jstr(j, "contents.1.parts.1.functionCall.args.tz"),
              "Europe/Paris");
    /* a JSON object result is passed as the response object itself */
    CHECK(jint(j, "contents.2.parts.0.functionResponse.response.temp_c") == 18);
    CHECK_STR(jstr(j, "contents.2.parts.1.functionResponse.name"), "get_time");
    CHECK_STR(jstr(j, "contents.2.parts.1.functionResponse.response.content"),
              "14:05");
    CHECK(jlen(j, "systemInstruction.parts") == 2);
    CHECK_STR(jstr(j, "tools.0.functionDeclarations.0.parameters.properties."
                      "unit.enum.1"), "f");
    CHECK(jget(j, "tools.0.functionDeclarations.0.parameters."
                  "additionalProperties") == NULL);
    CHECK_STR(jstr(j, "toolConfig.functionCallingConfig.mode"), "ANY");
    CHECK(jint(j, "generationConfig.maxOutputTokens") == 512);
    CHECK_STR(jstr(j, "generationConfig.stopSequences.0"), "\n\nHuman:");
    CHECK(jget(j, "generationConfig.temperature") != NULL);
    json_decref(j);
}

UNIT_TEST(test_gemini_to_openai)
{
    llm_xlate_opts_t  o = opts(1, 1);
    json_t           *j;
    char              err[256];

    j = xreq_sample(LLM_API_GEMINI, LLM_API_OPENAI, "gemini_req_tools.json",
                    &o);
    CHECK(j != NULL);
    if (j == NULL) {
        return;
    }
    CHECK_STR(jstr(j, "messages.0.role"), "system");
    CHECK_STR(jstr(j, "messages.0.content"), "You are a concise assistant.");
    CHECK_STR(jstr(j, "messages.1.content.1.type"), "image_url");
    /* made-up call ids match the responses by name and order */
    CHECK_STR(jstr(j, "messages.2.tool_calls.0.id"), "call_1_0");
    CHECK_STR(jstr(j, "messages.2.tool_calls.1.id"), "call_1_1");
    CHECK_STR(jstr(j, "messages.3.tool_call_id"), "call_1_0");
    CHECK_STR(jstr(j, "messages.3.content"), "{\"temp_c\":24}");
    CHECK_STR(jstr(j, "messages.4.tool_call_id"), "call_1_1");
    CHECK_STR(jstr(j, "messages.4.content"), "rainy, 15C");
    CHECK_STR(jstr(j, "messages.5.role"), "assistant");
    /* the video part is dropped (drop_params): a plain string remains */
    CHECK_STR(jstr(j, "messages.6.content"), "And a video link?");
    CHECK_STR(jstr(j, "tools.0.function.parameters.type"), "object");
    CHECK_STR(jstr(j, "tools.0.function.parameters.properties.days.type"),
              "integer");
    CHECK(jget(j, "tools.0.function.parameters.properties.days.nullable")
          == NULL);
    CHECK_STR(jstr(j, "tool_choice.function.name"), "get_weather");
    CHECK(jint(j, "max_tokens") == 256);
    CHECK(jget(j, "top_k") == NULL);
    CHECK_STR(jstr(j, "reasoning_effort"), "medium");
    CHECK_STR(jstr(j, "stop.0"), "END");
    json_decref(j);

    /* without drop_params, the first field OpenAI cannot take is named */
    o.drop_params = 0;
    {
        size_t  len;
        char   *in = read_sample("gemini_req_tools.json", &len);

        j = xreq(LLM_API_GEMINI, LLM_API_OPENAI, in, len, &o, err, sizeof(err));
        CHECK(j == NULL);
        CHECK(strstr(err, "safetySettings") != NULL);
        CHECK(strstr(err, "drop_params") != NULL);
        free(in);
    }
}

UNIT_TEST(test_gemini_to_anthropic)
{
    llm_xlate_opts_t  o = opts(0, 1);
    json_t           *j;

    j = xreq_sample(LLM_API_GEMINI, LLM_API_ANTHROPIC, "gemini_req_tools.json",
                    &o);
    CHECK(j != NULL);
    if (j == NULL) {
        return;
    }
    CHECK_STR(jstr(j, "system.0.text"), "You are a concise assistant.");
    CHECK_STR(jstr(j, "messages.1.content.0.id"),
              jstr(j, "messages.2.content.0.tool_use_id"));
    CHECK_STR(jstr(j, "messages.1.content.1.id"),
              jstr(j, "messages.2.content.1.tool_use_id"));
    CHECK_STR(jstr(j, "messages.1.content.1.input.location"), "Milan");
    /* the sample forces get_weather (mode ANY, one allowed name), which
       Anthropic refuses with thinking: thinking goes, and with it the
       limits it puts on temperature and top_k */
    CHECK(jget(j, "thinking") == NULL);
    CHECK(jint(j, "max_tokens") == 256);
    CHECK(jget(j, "temperature") != NULL);
    CHECK(jget(j, "top_k") != NULL);
    CHECK_STR(jstr(j, "tool_choice.type"), "tool");
    CHECK_STR(jstr(j, "tool_choice.name"), "get_weather");
    CHECK(jlen(j, "messages.4.content") == 1);   /* video dropped */
    CHECK(jget(j, "stream") == NULL);
    json_decref(j);
}

UNIT_TEST(test_drop_params_rule)
{
    llm_xlate_opts_t  strict = opts(0, 0), lax = opts(0, 1);
    char              err[256];
    json_t           *j;
    const char       *with_logprobs =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        "\"logprobs\":true,\"presence_penalty\":0.5}";
    const char       *server_tool =
        "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\","
        "\"content\":\"hi\"}],\"tools\":[{\"type\":\"web_search_20250305\","
        "\"name\":\"web_search\"},{\"name\":\"f\",\"input_schema\":"
        "{\"type\":\"object\"}}]}";

    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, with_logprobs, &strict,
                 err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "logprobs") != NULL);
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, with_logprobs, &lax,
                 err, sizeof(err));
    CHECK(j != NULL);
    CHECK(jget(j, "logprobs") == NULL && jget(j, "presence_penalty") == NULL);
    json_decref(j);

    /* Gemini can express presence_penalty; logprobs still needs dropping */
    j = xreq_str(LLM_API_OPENAI, LLM_API_GEMINI, with_logprobs, &lax,
                 err, sizeof(err));
    CHECK(j != NULL);
    CHECK(json_real_value(jget(j, "generationConfig.presencePenalty")) == 0.5);
    json_decref(j);

    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_OPENAI, server_tool, &strict,
                 err, sizeof(err));
    CHECK(j == NULL);
    CHECK(strstr(err, "server tools") != NULL);
    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_OPENAI, server_tool, &lax,
                 err, sizeof(err));
    CHECK(jlen(j, "tools") == 1);
    CHECK_STR(jstr(j, "tools.0.function.name"), "f");
    json_decref(j);

    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}",
                 &strict, err, sizeof(err));
    CHECK(j == NULL && strstr(err, "n > 1") != NULL);
}

/* drop_params not set: sampling hints go (and are listed), the rest is 400 */
UNIT_TEST(test_drop_hints_default)
{
    llm_xlate_opts_t  o = opts(0, LLM_DROP_HINTS);
    llm_buf_t         dropped = LLM_BUF_INIT;
    char              err[256];
    json_t           *j;
    const char       *hints =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
        "\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\","
        "\"threshold\":\"BLOCK_NONE\"}],\"generationConfig\":{\"topK\":64,"
        "\"seed\":3,\"presencePenalty\":0.1}}";
    const char       *schema =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
        "\"generationConfig\":{\"responseMimeType\":\"application/json\"}}";

    o.dropped = &dropped;
    j = xreq_str(LLM_API_GEMINI, LLM_API_OPENAI, hints, &o, err, sizeof(err));
    CHECK(j != NULL);
    CHECK(jget(j, "top_k") == NULL);
    CHECK(jint(j, "seed") == 3);                 /* OpenAI has seed */
    CHECK(dropped.len == sizeof("safetySettings,top_k") - 1
          && memcmp(dropped.data, "safetySettings,top_k", dropped.len) == 0);
    json_decref(j);

    llm_buf_reset(&dropped);
    j = xreq_str(LLM_API_GEMINI, LLM_API_ANTHROPIC, hints, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK(jint(j, "top_k") == 64);
    CHECK(dropped.len == sizeof("safetySettings,presence_penalty,seed") - 1
          && memcmp(dropped.data, "safetySettings,presence_penalty,seed",
                    dropped.len) == 0);
    json_decref(j);

    /* a JSON answer Anthropic cannot promise: still a 400, nothing listed */
    llm_buf_reset(&dropped);
    CHECK(xreq_str(LLM_API_GEMINI, LLM_API_ANTHROPIC, schema, &o, err,
                   sizeof(err)) == NULL);
    CHECK(strstr(err, "response_format") != NULL);
    CHECK(xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                   "\"n\":2}", &o, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "n > 1") != NULL);
    CHECK(dropped.len == 0);
    llm_buf_free(&dropped);
}

UNIT_TEST(test_malformed_requests)
{
    llm_xlate_opts_t  o = opts(0, 1);
    char              err[256];
    int               from, to;

    for (from = 0; from < LLM_API_COUNT; from++) {
        for (to = 0; to < LLM_API_COUNT; to++) {
            if (from == to) {
                continue;
            }
            err[0] = '\0';
            CHECK(xreq_str(from, to, "{\"messages\": [", &o, err, sizeof(err))
                  == NULL);
            CHECK(strstr(err, "not valid JSON") != NULL);
            CHECK(xreq_str(from, to, "[1,2]", &o, err, sizeof(err)) == NULL);
            CHECK(strstr(err, "JSON object") != NULL);
            err[0] = '\0';
            CHECK(xreq_str(from, to, "{\"model\":\"x\"}", &o, err, sizeof(err))
                  == NULL);
            CHECK(err[0] != '\0');
            CHECK(xreq_str(from, to, "{\"messages\":[{\"role\":\"user\","
                           "\"content\":42}],\"contents\":[{\"parts\":"
                           "[{\"functionCall\":{}}]}]}", &o, err, sizeof(err))
                  == NULL);
        }
    }
    /* an unknown role is a client error, not a crash */
    CHECK(xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                   "{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}",
                   &(llm_xlate_opts_t){ .drop_params = 0 }, err, sizeof(err))
          == NULL);
    CHECK(strstr(err, "function") != NULL);
}

UNIT_TEST(test_params_and_defaults)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256];
    json_t           *j;

    /* no max_tokens: Anthropic needs one */
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                 &o, err, sizeof(err));
    CHECK(jint(j, "max_tokens") == 4096);
    CHECK_STR(jstr(j, "messages.0.content.0.text"), "x");
    json_decref(j);
    o.default_max_tokens = 1000;
    j = xreq_str(LLM_API_GEMINI, LLM_API_ANTHROPIC,
                 "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}",
                 &o, err, sizeof(err));
    CHECK(jint(j, "max_tokens") == 1000);
    json_decref(j);

    /* a limit that is not a positive integer is refused, not replaced */
    {
        static const char  *limits[] = { "1.5", "1e30", "0", "-1", "\"9\"" };
        char                 in[256];
        size_t               k;

        for (k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
            snprintf(in, sizeof(in), "{\"messages\":[{\"role\":\"user\","
                     "\"content\":\"x\"}],\"max_tokens\":%s}", limits[k]);
            err[0] = '\0';
            CHECK(xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, in, &o, err,
                           sizeof(err)) == NULL);
            CHECK(strstr(err, "max_tokens must be a positive integer")
                  != NULL);
        }
        err[0] = '\0';
        CHECK(xreq_str(LLM_API_GEMINI, LLM_API_OPENAI,
                       "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],"
                       "\"generationConfig\":{\"maxOutputTokens\":2.5}}",
                       &o, err, sizeof(err)) == NULL);
        CHECK(strstr(err, "max_tokens") != NULL);
        /* null is "not given" (some clients send it) */
        j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                     "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                     "\"max_tokens\":null}", &o, err, sizeof(err));
        CHECK(jint(j, "max_tokens") == 1000);
        json_decref(j);
    }

    /* reasoning_effort -> thinking; temperature conflicts with thinking */
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                 "\"reasoning_effort\":\"low\",\"max_tokens\":100}",
                 &o, err, sizeof(err));
    CHECK(jint(j, "thinking.budget_tokens") == 1024);
    CHECK(jint(j, "max_tokens") == 1124);
    json_decref(j);
    CHECK(xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                   "\"reasoning_effort\":\"high\",\"temperature\":0.3}",
                   &o, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "temperature") != NULL);

    /* tool_choice none / specific, in each direction */
    j = xreq_str(LLM_API_OPENAI, LLM_API_GEMINI,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                 "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                 "\"tool_choice\":\"none\"}", &o, err, sizeof(err));
    CHECK_STR(jstr(j, "toolConfig.functionCallingConfig.mode"), "NONE");
    /* no parameters: Gemini gets none, not an empty OBJECT */
    CHECK(jget(j, "tools.0.functionDeclarations.0.parameters") == NULL);
    json_decref(j);
    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_OPENAI,
                 "{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                 "\"x\"}],\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":"
                 "\"object\"}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\","
                 "\"disable_parallel_tool_use\":true}}", &o, err, sizeof(err));
    CHECK_STR(jstr(j, "tool_choice.type"), "function");
    CHECK_STR(jstr(j, "tool_choice.function.name"), "f");
    CHECK(json_is_false(jget(j, "parallel_tool_calls")));
    CHECK(jget(j, "stream") == NULL);
    json_decref(j);

    /* reasoning models take max_completion_tokens */
    o.model = "o3-mini";
    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_OPENAI,
                 "{\"max_tokens\":77,\"messages\":[{\"role\":\"user\","
                 "\"content\":\"x\"}]}", &o, err, sizeof(err));
    CHECK(jint(j, "max_completion_tokens") == 77);
    CHECK(jget(j, "max_tokens") == NULL);
    CHECK_STR(jstr(j, "model"), "o3-mini");
    json_decref(j);
}

UNIT_TEST(test_thinking_history)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256];
    json_t           *j;

    /* DeepSeek-style reasoning_content has no signature: Anthropic would
       refuse it, so it is dropped; LiteLLM thinking_blocks keep theirs */
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
        "{\"role\":\"assistant\",\"content\":\"b\",\"reasoning_content\":\"r\"},"
        "{\"role\":\"user\",\"content\":\"c\"},"
        "{\"role\":\"assistant\",\"content\":\"d\",\"thinking_blocks\":"
        "[{\"type\":\"thinking\",\"thinking\":\"t\",\"signature\":\"SIG\"}]},"
        "{\"role\":\"user\",\"content\":\"e\"}]}", &o, err, sizeof(err));
    CHECK(j != NULL);
    CHECK(jlen(j, "messages.1.content") == 1);
    CHECK_STR(jstr(j, "messages.1.content.0.text"), "b");
    CHECK_STR(jstr(j, "messages.3.content.0.type"), "thinking");
    CHECK_STR(jstr(j, "messages.3.content.0.signature"), "SIG");
    CHECK_STR(jstr(j, "messages.3.content.1.text"), "d");
    json_decref(j);

    /* a PDF file part becomes a document block */
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\","
        "\"file\":{\"filename\":\"a.pdf\",\"file_data\":"
        "\"data:application/pdf;base64,JVBERi0=\"}}]}]}", &o, err, sizeof(err));
    CHECK_STR(jstr(j, "messages.0.content.0.type"), "document");
    CHECK_STR(jstr(j, "messages.0.content.0.source.media_type"),
              "application/pdf");
    CHECK_STR(jstr(j, "messages.0.content.0.source.data"), "JVBERi0=");
    json_decref(j);

    /* and back: Anthropic document -> OpenAI file part */
    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_OPENAI,
        "{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
        "\"document\",\"source\":{\"type\":\"base64\",\"media_type\":"
        "\"application/pdf\",\"data\":\"JVBERi0=\"}},{\"type\":\"text\","
        "\"text\":\"sum\"}]}]}", &o, err, sizeof(err));
    CHECK_STR(jstr(j, "messages.0.content.0.type"), "file");
    CHECK_STR(jstr(j, "messages.0.content.0.file.file_data"),
              "data:application/pdf;base64,JVBERi0=");
    json_decref(j);
}

UNIT_TEST(test_long_name_utf8_cut)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256], body[512], name[128];
    json_t           *j;
    const char       *n;
    size_t            i;

    /* 54 ASCII bytes then 2-byte characters: byte 55 is mid-character */
    for (i = 0; i < 54; i++) {
        name[i] = 'a';
    }
    for (i = 54; i < 54 + 2 * 10; i += 2) {
        name[i] = '\xC3';
        name[i + 1] = '\xA9';
    }
    name[i] = '\0';
    snprintf(body, sizeof(body), "{\"max_tokens\":5,\"messages\":[{\"role\":"
             "\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"%s\","
             "\"input_schema\":{\"type\":\"object\"}}]}", name);
    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_OPENAI, body, &o, err, sizeof(err));
    CHECK(j != NULL);
    n = jstr(j, "tools.0.function.name");
    CHECK(n != NULL && strlen(n) <= 64 && strncmp(n, name, 54) == 0);
    json_decref(j);
}

UNIT_TEST(test_gemini_inline_without_mime)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256];
    json_t           *j;

    /* found by fuzz_req_gemini_*: a default media type leaked */
    j = xreq_str(LLM_API_GEMINI, LLM_API_OPENAI,
                 "{\"contents\":[{\"parts\":[{\"inlineData\":{\"data\":"
                 "\"AAAA\"}}]}]}", &o, err, sizeof(err));
    CHECK_STR(jstr(j, "messages.0.content.0.image_url.url"),
              "data:image/png;base64,AAAA");
    json_decref(j);
}

UNIT_TEST(test_same_format_replaces_model)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256];
    json_t           *j;

    j = xreq_str(LLM_API_OPENAI, LLM_API_OPENAI,
                 "{\"model\":\"alias\",\"messages\":[],\"logprobs\":true}",
                 &o, err, sizeof(err));
    CHECK_STR(jstr(j, "model"), "provider-model");
    CHECK(json_is_true(jget(j, "logprobs")));
    json_decref(j);
}

/* Anthropic refuses thinking when tool_choice forces a tool use: thinking
   is the hint that goes (a 400 only with drop_params: false) */
UNIT_TEST(test_anthropic_thinking_forced_tool)
{
    llm_xlate_opts_t  o = opts(0, LLM_DROP_HINTS), strict = opts(0, 0);
    llm_buf_t         dropped = LLM_BUF_INIT;
    char              err[256];
    json_t           *j;
    const char       *forced =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"x\"}],\"max_tokens\":300,\"reasoning_effort\":\"low\","
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
        "\"tool_choice\":\"required\"}";
    const char       *named =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"x\"}],\"reasoning_effort\":\"high\","
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":"
        "\"f\"}}}";
    const char       *free_choice =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"x\"}],\"max_tokens\":300,\"reasoning_effort\":\"low\","
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
        "\"tool_choice\":\"auto\"}";

    o.dropped = &dropped;
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, forced, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK(jget(j, "thinking") == NULL);
    CHECK_STR(jstr(j, "tool_choice.type"), "any");
    CHECK(jint(j, "max_tokens") == 300);        /* no budget on top */
    CHECK(dropped.len == sizeof("thinking with a forced tool_choice") - 1);
    json_decref(j);

    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, named, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK(jget(j, "thinking") == NULL);
    CHECK_STR(jstr(j, "tool_choice.name"), "f");
    json_decref(j);

    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, free_choice, &o, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK(jint(j, "thinking.budget_tokens") == 1024);
    json_decref(j);

    CHECK(xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, forced, &strict, err,
                   sizeof(err)) == NULL);
    CHECK(strstr(err, "thinking with a forced tool_choice") != NULL);
    llm_buf_free(&dropped);
}

/* thinkingLevel is reasoning_effort's level; ANY with several names
   offers only those tools */
UNIT_TEST(test_gemini_level_and_allowed_names)
{
    llm_xlate_opts_t  o = opts(0, 0), hints = opts(0, LLM_DROP_HINTS);
    char              err[256];
    json_t           *j;

    static const char  *req =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"a\"},"
        "{\"name\":\"b\"},{\"name\":\"c\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\","
        "\"allowedFunctionNames\":[\"c\",\"a\"]}},"
        "\"generationConfig\":{\"thinkingConfig\":"
        "{\"thinkingLevel\":\"MEDIUM\"}}}";

    j = xreq_str(LLM_API_GEMINI, LLM_API_OPENAI, req, &o, err, sizeof(err));
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "reasoning_effort"), "medium");
    CHECK_STR(jstr(j, "tool_choice"), "required");
    CHECK(jlen(j, "tools") == 2);
    CHECK_STR(jstr(j, "tools.0.function.name"), "a");
    CHECK_STR(jstr(j, "tools.1.function.name"), "c");
    json_decref(j);

    /* ANY forces a tool: Anthropic then takes no thinking (the hint goes) */
    j = xreq_str(LLM_API_GEMINI, LLM_API_ANTHROPIC, req, &hints, err,
                 sizeof(err));
    CHECK(j != NULL);
    CHECK(jget(j, "thinking") == NULL);
    CHECK_STR(jstr(j, "tool_choice.type"), "any");
    CHECK(jlen(j, "tools") == 2);
    json_decref(j);
}

/* Claude on Vertex AI: the version in the body, the model in the URL */
UNIT_TEST(test_anthropic_on_vertex)
{
    llm_xlate_opts_t  o = opts(0, 0);
    char              err[256];
    json_t           *j;

    o.anthropic_version = "vertex-2023-10-16";
    o.no_model = 1;

    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_ANTHROPIC,
                 "{\"model\":\"alias\",\"max_tokens\":5,\"messages\":[],"
                 "\"metadata\":{\"user_id\":\"u\"}}", &o, err, sizeof(err));
    CHECK(jget(j, "model") == NULL);
    CHECK_STR(jstr(j, "anthropic_version"), "vertex-2023-10-16");
    CHECK_STR(jstr(j, "metadata.user_id"), "u");
    CHECK(jint(j, "max_tokens") == 5);
    json_decref(j);

    o.stream = 1;
    j = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC,
                 "{\"model\":\"a\",\"stream\":true,\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"hi\"}]}", &o, err, sizeof(err));
    CHECK(jget(j, "model") == NULL);
    CHECK_STR(jstr(j, "anthropic_version"), "vertex-2023-10-16");
    CHECK(json_is_true(jget(j, "stream")));
    CHECK_STR(jstr(j, "messages.0.content.0.text"), "hi");
    json_decref(j);

    /* count-tokens: the body names the model */
    o.stream = 0;
    o.no_model = 0;
    j = xreq_str(LLM_API_ANTHROPIC, LLM_API_ANTHROPIC,
                 "{\"model\":\"alias\",\"messages\":[]}", &o, err,
                 sizeof(err));
    CHECK_STR(jstr(j, "model"), "provider-model");
    CHECK_STR(jstr(j, "anthropic_version"), "vertex-2023-10-16");
    json_decref(j);

    /* only Anthropic's format has it */
    o.no_model = 1;
    j = xreq_str(LLM_API_OPENAI, LLM_API_GEMINI,
                 "{\"model\":\"a\",\"messages\":[{\"role\":\"user\","
                 "\"content\":\"hi\"}]}", &o, err, sizeof(err));
    CHECK(jget(j, "anthropic_version") == NULL);
    json_decref(j);
}

UNIT_MAIN(test_claude_code_to_openai, test_claude_code_to_gemini,
          test_openai_to_anthropic, test_openai_to_gemini,
          test_gemini_to_openai, test_gemini_to_anthropic,
          test_drop_params_rule, test_drop_hints_default,
          test_malformed_requests,
          test_params_and_defaults, test_thinking_history,
          test_long_name_utf8_cut, test_gemini_inline_without_mime,
          test_same_format_replaces_model,
          test_anthropic_thinking_forced_tool,
          test_gemini_level_and_allowed_names, test_anthropic_on_vertex)
