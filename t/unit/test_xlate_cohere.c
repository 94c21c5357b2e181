/*
 * The Cohere v2 adapter: each client format's request -> a /v2/chat body
 * (Cohere's names, roles, tool calls and results, tool_choice), a /v2/chat
 * answer -> each client format with its usage, a v2 SSE stream -> each
 * client's stream, the same for every byte at which the upstream bytes are
 * split; ERROR endings, provider errors, and /v2/embed both ways; an
 * OpenAI client's documents and the citations of the answer and stream.
 */

#include "test_xlate_util.h"


static json_t *
co_req(llm_api_t from, const char *in, int stream, int drop)
{
    char              err[256] = "";
    llm_xlate_opts_t  o = opts(stream, drop);
    json_t           *j;

    o.model = "command-r-plus";
    j = xreq_str(from, LLM_API_COHERE, in, &o, err, sizeof(err));
    if (j == NULL) {
        fprintf(stderr, "  (request refused: %s)\n", err);
    }
    return j;
}


UNIT_TEST(openai_request)
{
    json_t  *b;

    b = co_req(LLM_API_OPENAI,
        "{\"model\":\"m\",\"max_tokens\":50,\"temperature\":0.5,"
        "\"top_p\":0.9,\"stop\":[\"END\"],\"seed\":3,"
        "\"frequency_penalty\":0.1,\"presence_penalty\":0.2,"
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
        "{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}},"
        "\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"data:image/png;base64,iVBORw0KGgo=\"}}]},"
        "{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":"
        "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"},"
        "{\"role\":\"user\",\"content\":\"and?\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get\","
        "\"description\":\"weather\",\"parameters\":{\"type\":\"object\"}}}],"
        "\"tool_choice\":\"required\"}", 0, 0);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "model"), "command-r-plus");
    CHECK_STR(jstr(b, "messages.0.role"), "system");
    CHECK_STR(jstr(b, "messages.0.content"), "Be brief.");
    CHECK_STR(jstr(b, "messages.1.role"), "user");
    CHECK_STR(jstr(b, "messages.1.content.0.text"), "hi");
    CHECK_STR(jstr(b, "messages.1.content.1.type"), "image_url");
    CHECK_STR(jstr(b, "messages.1.content.1.image_url.url"),
              "data:image/png;base64,iVBORw0KGgo=");
    CHECK_STR(jstr(b, "messages.2.role"), "assistant");
    CHECK_STR(jstr(b, "messages.2.tool_plan"), "Checking.");
    CHECK(jget(b, "messages.2.content") == NULL);
    CHECK_STR(jstr(b, "messages.2.tool_calls.0.id"), "call_1");
    CHECK_STR(jstr(b, "messages.2.tool_calls.0.function.arguments"),
              "{\"city\":\"Paris\"}");
    CHECK_STR(jstr(b, "messages.3.role"), "tool");
    CHECK_STR(jstr(b, "messages.3.tool_call_id"), "call_1");
    CHECK_STR(jstr(b, "messages.3.content"), "sunny");
    CHECK_STR(jstr(b, "messages.4.content.0.text"), "and?");
    CHECK(jlen(b, "messages") == 5);
    CHECK(jint(b, "max_tokens") == 50);
    CHECK(json_real_value(jget(b, "p")) == 0.9);
    CHECK_STR(jstr(b, "stop_sequences.0"), "END");
    CHECK(jint(b, "seed") == 3);
    CHECK(json_real_value(jget(b, "frequency_penalty")) == 0.1);
    CHECK(json_real_value(jget(b, "presence_penalty")) == 0.2);
    CHECK_STR(jstr(b, "response_format.type"), "json_object");
    CHECK_STR(jstr(b, "response_format.json_schema.type"), "object");
    CHECK_STR(jstr(b, "tools.0.type"), "function");
    CHECK_STR(jstr(b, "tools.0.function.name"), "get");
    CHECK_STR(jstr(b, "tools.0.function.parameters.type"), "object");
    CHECK_STR(jstr(b, "tool_choice"), "REQUIRED");
    /* OpenAI's names are not Cohere's */
    CHECK(jget(b, "top_p") == NULL && jget(b, "stop") == NULL);
    CHECK(jget(b, "stream") == NULL);
    json_decref(b);

    b = co_req(LLM_API_OPENAI, "{\"model\":\"m\",\"stream\":true,"
               "\"stream_options\":{\"include_usage\":true},"
               "\"tool_choice\":\"none\",\"tools\":[{\"type\":\"function\","
               "\"function\":{\"name\":\"t\"}}],"
               "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 1, 0);
    CHECK(b != NULL);
    CHECK(json_is_true(jget(b, "stream")));
    CHECK(jget(b, "stream_options") == NULL);
    CHECK_STR(jstr(b, "tool_choice"), "NONE");
    json_decref(b);

    /* n > 1: Cohere answers once */
    CHECK(co_req(LLM_API_OPENAI, "{\"model\":\"m\",\"n\":2,\"messages\":"
                 "[{\"role\":\"user\",\"content\":\"x\"}]}", 0, 0) == NULL);
    /* a PDF is not an image */
    CHECK(co_req(LLM_API_ANTHROPIC, "{\"model\":\"m\",\"max_tokens\":5,"
                 "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                 "\"document\",\"source\":{\"type\":\"base64\",\"media_type\":"
                 "\"application/pdf\",\"data\":\"JVBERi0=\"}}]}]}", 0, 0)
          == NULL);
}


UNIT_TEST(anthropic_and_gemini_requests)
{
    json_t  *b;

    b = co_req(LLM_API_ANTHROPIC,
        "{\"model\":\"m\",\"max_tokens\":64,\"system\":\"sys\",\"top_k\":5,"
        "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
        "\"id\":\"tu_1\",\"name\":\"t\",\"input\":{\"a\":1}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
        "\"tool_use_id\":\"tu_1\",\"is_error\":true,\"content\":\"boom\"}]}],"
        "\"tool_choice\":{\"type\":\"tool\",\"name\":\"t\"},"
        "\"tools\":[{\"name\":\"u\",\"input_schema\":{\"type\":\"object\"}},"
        "{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}]}", 0, 0);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "messages.0.role"), "system");
    CHECK_STR(jstr(b, "messages.0.content"), "sys");
    CHECK(jint(b, "k") == 5);
    CHECK(jint(b, "thinking.token_budget") == 2048);
    CHECK_STR(jstr(b, "messages.2.tool_calls.0.function.arguments"),
              "{\"a\":1}");
    CHECK_STR(jstr(b, "messages.3.role"), "tool");
    CHECK_STR(jstr(b, "messages.3.tool_call_id"), "tu_1");
    CHECK_STR(jstr(b, "messages.3.content"), "Error: boom");
    /* one named tool: that tool alone, REQUIRED */
    CHECK(jlen(b, "tools") == 1);
    CHECK_STR(jstr(b, "tools.0.function.name"), "t");
    CHECK_STR(jstr(b, "tool_choice"), "REQUIRED");
    json_decref(b);

    b = co_req(LLM_API_GEMINI,
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"g\"}]}],"
        "\"systemInstruction\":{\"parts\":[{\"text\":\"gs\"}]},"
        "\"generationConfig\":{\"maxOutputTokens\":20,\"topP\":0.9,"
        "\"stopSequences\":[\"S\"]}}", 0, 0);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "messages.0.content"), "gs");
    CHECK_STR(jstr(b, "messages.1.content.0.text"), "g");
    CHECK(jint(b, "max_tokens") == 20);
    CHECK_STR(jstr(b, "stop_sequences.0"), "S");
    json_decref(b);

    b = co_req(LLM_API_RESPONSES, "{\"model\":\"m\",\"instructions\":\"I\","
               "\"input\":\"r\",\"max_output_tokens\":9}", 0, 0);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "messages.0.content"), "I");
    CHECK_STR(jstr(b, "messages.1.content.0.text"), "r");
    CHECK(jint(b, "max_tokens") == 9);
    json_decref(b);
}


static const char  co_answer[] =
    "{\"id\":\"co-1\",\"finish_reason\":\"TOOL_CALL\",\"message\":{\"role\":"
    "\"assistant\",\"tool_plan\":\"Let me check.\",\"tool_calls\":[{\"id\":"
    "\"get_1\",\"type\":\"function\",\"function\":{\"name\":\"get\","
    "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},\"usage\":{"
    "\"billed_units\":{\"input_tokens\":5,\"output_tokens\":7},"
    "\"tokens\":{\"input_tokens\":11,\"output_tokens\":7}}}";

static const char  co_text_answer[] =
    "{\"id\":\"co-2\",\"finish_reason\":\"%s\",\"message\":{\"role\":"
    "\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\"},"
    "{\"type\":\"text\",\"text\":\"Hello\"},{\"type\":\"text\",\"text\":"
    "\" there\"}]},\"usage\":{\"billed_units\":{\"input_tokens\":3,"
    "\"output_tokens\":2}}}";


static json_t *
co_resp(llm_api_t to, const char *in, llm_usage_t *u)
{
    json_t            *j = NULL;
    llm_buf_t          out = LLM_BUF_INIT;
    llm_xlate_opts_t   o = opts(0, 0);

    if (llm_xlate_response(LLM_API_COHERE, to, in, strlen(in), &o, &out, u)
        == 0)
    {
        j = json_loadb(out.data, out.len, 0, NULL);
    }
    llm_buf_free(&out);
    return j;
}


UNIT_TEST(responses)
{
    char         buf[1024];
    json_t      *j;
    llm_usage_t  u;
    size_t       i;
    static const struct { const char *fr, *openai, *anthropic; } stops[] = {
        { "COMPLETE", "stop", "end_turn" },
        { "MAX_TOKENS", "length", "max_tokens" },
        { "STOP_SEQUENCE", "stop", "stop_sequence" },
        { "ERROR_TOXIC", "content_filter", "refusal" },
    };

    j = co_resp(LLM_API_OPENAI, co_answer, &u);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "choices.0.message.content"), "Let me check.");
    CHECK_STR(jstr(j, "choices.0.message.tool_calls.0.id"), "get_1");
    CHECK_STR(jstr(j, "choices.0.message.tool_calls.0.function.arguments"),
              "{\"city\":\"Oslo\"}");
    CHECK_STR(jstr(j, "choices.0.finish_reason"), "tool_calls");
    CHECK_STR(jstr(j, "model"), "client-model");
    /* tokens (what the model saw) over billed_units */
    CHECK(jint(j, "usage.prompt_tokens") == 11);
    CHECK(u.prompt_tokens == 11 && u.completion_tokens == 7 && u.present);
    json_decref(j);

    j = co_resp(LLM_API_ANTHROPIC, co_answer, &u);
    CHECK_STR(jstr(j, "content.1.type"), "tool_use");
    CHECK_STR(jstr(j, "content.1.input.city"), "Oslo");
    CHECK_STR(jstr(j, "stop_reason"), "tool_use");
    CHECK(jint(j, "usage.input_tokens") == 11);
    json_decref(j);

    j = co_resp(LLM_API_GEMINI, co_answer, &u);
    CHECK_STR(jstr(j, "candidates.0.content.parts.1.functionCall.name"),
              "get");
    CHECK(jint(j, "usageMetadata.candidatesTokenCount") == 7);
    json_decref(j);

    j = co_resp(LLM_API_RESPONSES, co_answer, &u);
    CHECK(j != NULL);
    CHECK(jint(j, "usage.output_tokens") == 7);
    json_decref(j);

    for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        snprintf(buf, sizeof(buf), co_text_answer, stops[i].fr);
        j = co_resp(LLM_API_OPENAI, buf, &u);
        CHECK_STR(jstr(j, "choices.0.message.content"), "Hello there");
        CHECK_STR(jstr(j, "choices.0.finish_reason"), stops[i].openai);
        /* billed_units when there are no tokens */
        CHECK(u.prompt_tokens == 3 && u.completion_tokens == 2);
        json_decref(j);
        j = co_resp(LLM_API_ANTHROPIC, buf, &u);
        CHECK_STR(jstr(j, "content.0.type"), "thinking");
        CHECK_STR(jstr(j, "content.0.thinking"), "hm");
        CHECK_STR(jstr(j, "stop_reason"), stops[i].anthropic);
        json_decref(j);
    }

    /* an ERROR ending, an error document, an old v1 answer: not answers */
    snprintf(buf, sizeof(buf), co_text_answer, "ERROR");
    CHECK(co_resp(LLM_API_OPENAI, buf, &u) == NULL);
    CHECK(co_resp(LLM_API_OPENAI, "{\"message\":\"no\"}", &u) == NULL);
    CHECK(co_resp(LLM_API_OPENAI, "{\"text\":\"v1\",\"generation_id\":"
                  "\"g\"}", &u) == NULL);
}


UNIT_TEST(errors)
{
    llm_buf_t  out = LLM_BUF_INIT;
    json_t    *j;
    const char *body = "{\"id\":\"e1\",\"message\":\"invalid api token\"}";

    llm_xlate_error(LLM_API_COHERE, LLM_API_OPENAI, 401, body, strlen(body),
                    &out);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "error.message"), "invalid api token");
    CHECK_STR(jstr(j, "error.type"), "authentication_error");
    json_decref(j);
    llm_buf_reset(&out);

    body = "{\"message\":\"You are using a Trial key, which is limited to "
           "10 API calls / minute.\"}";
    llm_xlate_error(LLM_API_COHERE, LLM_API_ANTHROPIC, 429, body,
                    strlen(body), &out);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "error.type"), "rate_limit_error");
    CHECK(strstr(jstr(j, "error.message"), "Trial key") != NULL);
    json_decref(j);
    llm_buf_reset(&out);

    body = "{\"message\":\"internal server error\"}";
    llm_xlate_error(LLM_API_COHERE, LLM_API_GEMINI, 500, body, strlen(body),
                    &out);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "error.status"), "INTERNAL");
    CHECK_STR(jstr(j, "error.message"), "internal server error");
    json_decref(j);
    llm_buf_free(&out);
}


static void
run_split(llm_api_t to, const char *in, size_t len, size_t cut,
    llm_buf_t *out, llm_usage_t *u)
{
    tx_run_split(LLM_API_COHERE, to, in, len, cut, out, u);
}


static void
every_split(const char *sample)
{
    tx_every_split(LLM_API_COHERE, sample);
}


static void
whole_stream(llm_api_t to, const char *sample, llm_buf_t *out,
    llm_usage_t *u)
{
    tx_whole_stream(LLM_API_COHERE, to, sample, out, u);
}


UNIT_TEST(streams)
{
    llm_buf_t    out = LLM_BUF_INIT;
    llm_usage_t  u;

    whole_stream(LLM_API_OPENAI, "cohere_stream.sse", &out, &u);
    CHECK(strstr(out.data, "\"content\":\"I will check. \"") != NULL);
    CHECK(strstr(out.data, "\"id\":\"get_ab12\"") != NULL);
    CHECK(strstr(out.data, "\"arguments\":\"\\\"Rome\\\"}\"") != NULL);
    CHECK(strstr(out.data, "\"finish_reason\":\"tool_calls\"") != NULL);
    CHECK(strstr(out.data, "\"prompt_tokens\":15") != NULL);
    CHECK(strstr(out.data, "data: [DONE]") != NULL);
    CHECK(u.prompt_tokens == 15 && u.completion_tokens == 4 && u.present);

    whole_stream(LLM_API_ANTHROPIC, "cohere_stream.sse", &out, &u);
    CHECK(strstr(out.data, "event: message_start") != NULL);
    CHECK(strstr(out.data, "\"partial_json\":\"{\\\"city\\\":\"") != NULL);
    CHECK(strstr(out.data, "\"stop_reason\":\"tool_use\"") != NULL);
    CHECK(strstr(out.data, "event: message_stop") != NULL);

    whole_stream(LLM_API_GEMINI, "cohere_stream.sse", &out, &u);
    CHECK(strstr(out.data, "\"functionCall\":{\"name\":\"get\",\"args\":"
                 "{\"city\":\"Rome\"}}") != NULL);
    CHECK(strstr(out.data, "\"promptTokenCount\":15") != NULL);

    whole_stream(LLM_API_RESPONSES, "cohere_stream.sse", &out, &u);
    CHECK(strstr(out.data, "event: response.function_call_arguments.delta")
          != NULL);
    CHECK(strstr(out.data, "event: response.completed") != NULL);

    whole_stream(LLM_API_OPENAI, "cohere_text_stream.sse", &out, &u);
    CHECK(strstr(out.data, "\"content\":\"Hel\"") != NULL);
    CHECK(strstr(out.data, "\"finish_reason\":\"length\"") != NULL);
    CHECK(u.prompt_tokens == 10 && u.completion_tokens == 2);

    every_split("cohere_stream.sse");
    every_split("cohere_text_stream.sse");

    llm_buf_free(&out);
}


UNIT_TEST(stream_errors)
{
    static const char   err_end[] =
        "event: content-delta\n"
        "data: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":"
        "{\"content\":{\"text\":\"par\"}}}}\n\n"
        "event: message-end\n"
        "data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
        "\"ERROR\",\"error\":\"the model crashed\"}}\n\n";
    static const char   msg_only[] =
        "data: {\"message\":\"stream failed: upstream closed\"}\n\n";
    llm_buf_t           out = LLM_BUF_INIT;
    llm_usage_t         u;

    run_split(LLM_API_OPENAI, err_end, sizeof(err_end) - 1, 40, &out, &u);
    CHECK(strstr(out.data, "\"content\":\"par\"") != NULL);
    CHECK(strstr(out.data, "the model crashed") != NULL);
    CHECK(strstr(out.data, "[DONE]") == NULL);

    llm_buf_reset(&out);
    run_split(LLM_API_ANTHROPIC, msg_only, sizeof(msg_only) - 1, 3, &out, &u);
    CHECK(strstr(out.data, "event: error") != NULL);
    CHECK(strstr(out.data, "upstream closed") != NULL);
    CHECK(strstr(out.data, "event: message_stop") == NULL);

    llm_buf_free(&out);
}

UNIT_TEST(documents_and_citations)
{
    static const char  ans[] =
        "{\"id\":\"c1\",\"finish_reason\":\"COMPLETE\",\"message\":"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":"
        "\"Emperor penguins are tallest.\"}],\"citations\":[{\"start\":0,"
        "\"end\":16,\"text\":\"Emperor penguins\",\"sources\":[{\"type\":"
        "\"document\",\"id\":\"doc:0\",\"document\":{\"id\":\"doc:0\","
        "\"title\":\"T\"}}]}]},\"usage\":{\"tokens\":{\"input_tokens\":9,"
        "\"output_tokens\":4}}}";
    char               err[256];
    json_t            *b, *j;
    llm_xlate_opts_t   o = opts(0, 0);
    llm_buf_t          out = LLM_BUF_INIT;
    llm_usage_t        u;

    b = co_req(LLM_API_OPENAI, "{\"model\":\"m\",\"messages\":[{\"role\":"
               "\"user\",\"content\":\"tallest?\"}],\"documents\":["
               "\"plain text\",{\"title\":\"T\",\"snippet\":\"S\"},"
               "{\"id\":\"d2\",\"data\":{\"text\":\"x\"}}]}", 0, 0);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "documents.0"), "plain text");
    CHECK_STR(jstr(b, "documents.1.data.title"), "T");
    CHECK_STR(jstr(b, "documents.1.data.snippet"), "S");
    CHECK_STR(jstr(b, "documents.2.id"), "d2");
    CHECK_STR(jstr(b, "documents.2.data.text"), "x");
    json_decref(b);

    /* not a list, not a document; and to another provider unknown */
    CHECK(co_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
                 "\"content\":\"x\"}],\"documents\":\"d\"}", 0, 0) == NULL);
    CHECK(co_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
                 "\"content\":\"x\"}],\"documents\":[1]}", 0, 0) == NULL);
    b = xreq_str(LLM_API_OPENAI, LLM_API_ANTHROPIC, "{\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"x\"}],\"documents\":[\"d\"]}", &o,
                 err, sizeof(err));
    CHECK(b == NULL && strstr(err, "documents") != NULL);

    /* the answer's citations: message.citations for an OpenAI client */
    CHECK(llm_xlate_response(LLM_API_COHERE, LLM_API_OPENAI, ans,
                             sizeof(ans) - 1, &o, &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "choices.0.message.content"),
              "Emperor penguins are tallest.");
    CHECK(jint(j, "choices.0.message.citations.0.end") == 16);
    CHECK_STR(jstr(j, "choices.0.message.citations.0.sources.0.id"), "doc:0");
    json_decref(j);
    llm_buf_reset(&out);
    CHECK(llm_xlate_response(LLM_API_COHERE, LLM_API_ANTHROPIC, ans,
                             sizeof(ans) - 1, &o, &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "content.0.text"), "Emperor penguins are tallest.");
    json_decref(j);

    /* streamed: one chunk with delta.citations, between the text */
    whole_stream(LLM_API_OPENAI, "cohere_cite_stream.sse", &out, &u);
    CHECK(strstr(out.data, "\"delta\":{\"citations\":[{\"start\":0,"
                 "\"end\":16,") != NULL);
    CHECK(strstr(out.data, "\"title\":\"Tall penguins\"") != NULL);
    CHECK(strstr(out.data, "\"finish_reason\":\"stop\"") != NULL);
    CHECK(u.prompt_tokens == 230 && u.completion_tokens == 6);
    whole_stream(LLM_API_ANTHROPIC, "cohere_cite_stream.sse", &out, &u);
    CHECK(strstr(out.data, "citations") == NULL);
    CHECK(strstr(out.data, "event: message_stop") != NULL);
    every_split("cohere_cite_stream.sse");
    llm_buf_free(&out);
}


static int
embed_req(const char *in, const char *model, llm_buf_t *out, char *err)
{
    return llm_xlate_embed_request_to(LLM_WIRE_COHERE_V2, in, strlen(in),
                                      model, out, err, 256);
}


static int
co_embed_resp(const char *ans, const char *req, llm_buf_t *out,
    llm_usage_t *u)
{
    return llm_xlate_embed_response_from(LLM_WIRE_COHERE_V2, ans,
                                         strlen(ans), req,
                                         req ? strlen(req) : 0, "emb", out,
                                         u);
}


UNIT_TEST(embeddings)
{
    char         err[256];
    json_t      *j;
    llm_buf_t    out = LLM_BUF_INIT;
    llm_usage_t  u;
    const char  *ans = "{\"id\":\"e\",\"embeddings\":{\"float\":[[0.5,-1.25],"
                       "[1,0]]},\"meta\":{\"billed_units\":{\"input_tokens\":"
                       "6}},\"response_type\":\"embeddings_by_type\"}";
    const char  *b64req = "{\"encoding_format\":\"base64\"}";

    CHECK(embed_req("{\"model\":\"x\",\"input\":[\"a\",\"b\"],"
                    "\"dimensions\":256}", "embed-v4.0", &out, err) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "model"), "embed-v4.0");
    CHECK_STR(jstr(j, "texts.1"), "b");
    CHECK_STR(jstr(j, "input_type"), "search_document");
    CHECK_STR(jstr(j, "embedding_types.0"), "float");
    CHECK(jint(j, "output_dimension") == 256);
    json_decref(j);
    llm_buf_reset(&out);

    CHECK(embed_req("{\"input\":\"q\",\"input_type\":\"search_query\"}",
                    "m", &out, err) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "texts.0"), "q");
    CHECK_STR(jstr(j, "input_type"), "search_query");
    json_decref(j);
    llm_buf_reset(&out);

    CHECK(embed_req("{\"input\":[[1,2]]}", "m", &out, err) != 0);
    CHECK(strstr(err, "token arrays") != NULL);
    CHECK(embed_req("{\"input\":[]}", "m", &out, err) != 0);

    llm_buf_reset(&out);
    CHECK(co_embed_resp(ans, NULL, &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "object"), "list");
    CHECK_STR(jstr(j, "model"), "emb");
    CHECK(jint(j, "data.1.index") == 1);
    CHECK(json_real_value(jget(j, "data.0.embedding.1")) == -1.25);
    CHECK(jint(j, "usage.prompt_tokens") == 6);
    CHECK(u.prompt_tokens == 6 && u.present);
    json_decref(j);

    /* base64 of little-endian float32s: 0.5, -1.25 */
    llm_buf_reset(&out);
    CHECK(co_embed_resp(ans, b64req, &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "data.0.embedding"), "AAAAPwAAoL8=");
    json_decref(j);

    llm_buf_reset(&out);
    CHECK(co_embed_resp("{\"message\":\"no\"}", NULL, &out, &u) != 0);
    llm_buf_free(&out);
}


UNIT_MAIN(openai_request, anthropic_and_gemini_requests, responses, errors,
          streams, stream_errors, documents_and_citations, embeddings)
