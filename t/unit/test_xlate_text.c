/*
 * The text completions adapter (text-completion-openai): each client
 * format's chat request -> one /v1/completions prompt, what a prompt
 * cannot carry refused in the client's terms, a text_completion answer ->
 * each client format with its usage, the completions stream -> each
 * client's stream for every byte at which the upstream bytes are split.
 */

#include "test_xlate_util.h"


static json_t *
tx_req(llm_api_t from, const char *in, int stream, int drop, char *err)
{
    llm_xlate_opts_t  o = opts(stream, drop);

    o.model = "gpt-3.5-turbo-instruct";
    err[0] = '\0';
    return xreq_str(from, LLM_API_OPENAI_TEXT, in, &o, err, 256);
}


UNIT_TEST(openai_request)
{
    char     err[256];
    json_t  *b;

    b = tx_req(LLM_API_OPENAI,
        "{\"model\":\"m\",\"max_tokens\":50,\"temperature\":0.5,"
        "\"top_p\":0.9,\"stop\":\"END\",\"seed\":3,\"n\":1,"
        "\"frequency_penalty\":0.1,\"presence_penalty\":0.2,\"user\":\"u1\","
        "\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Say \"},"
        "{\"type\":\"text\",\"text\":\"hi\"}]},"
        "{\"role\":\"assistant\",\"content\":\"Hi.\"},"
        "{\"role\":\"user\",\"content\":\"Again:\"}]}", 0, 0, err);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "model"), "gpt-3.5-turbo-instruct");
    CHECK_STR(jstr(b, "prompt"), "Be brief.\n\nSay hi\n\nHi.\n\nAgain:");
    CHECK(jget(b, "messages") == NULL);
    CHECK(jint(b, "max_tokens") == 50);
    CHECK(json_real_value(jget(b, "temperature")) == 0.5);
    CHECK(json_real_value(jget(b, "top_p")) == 0.9);
    CHECK_STR(jstr(b, "stop.0"), "END");
    CHECK(jint(b, "seed") == 3);
    CHECK(jget(b, "n") == NULL);
    CHECK(json_real_value(jget(b, "frequency_penalty")) == 0.1);
    CHECK(json_real_value(jget(b, "presence_penalty")) == 0.2);
    CHECK_STR(jstr(b, "user"), "u1");
    CHECK(jget(b, "stream") == NULL);
    json_decref(b);

    /* one user message: its text as it is; a stream asks for usage */
    b = tx_req(LLM_API_OPENAI, "{\"model\":\"m\",\"stream\":true,"
               "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon\"}]}",
               1, 0, err);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "prompt"), "Once upon");
    CHECK(jget(b, "stream") == json_true());
    CHECK(jget(b, "stream_options.include_usage") == json_true());
    CHECK(jget(b, "max_tokens") == NULL);
    json_decref(b);
}


UNIT_TEST(refused)
{
    static const char  *refused[] = {
        /* tools */
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":"
        "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
        /* a tool call in the history */
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":"
        "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"r\"}]}",
        /* an image */
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
        "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
        "iVBORw0KGgo=\"}}]}]}",
        /* a schema */
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"response_format\":{\"type\":\"json_object\"}}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}",
    };
    static const char  *words[] = {
        "tools", "tool calls", "image/png", "response_format", "n > 1",
    };
    char     err[256];
    size_t   i;
    json_t  *b;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        b = tx_req(LLM_API_OPENAI, refused[i], 0, LLM_DROP_HINTS, err);
        CHECK(b == NULL);
        CHECK(strstr(err, words[i]) != NULL);
        CHECK(strstr(err, "openai_completions") != NULL);
    }

    /* tool_choice "none" and parallel_tool_calls ask nothing of a prompt;
       a required call cannot be made */
    b = tx_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"tool_choice\":\"none\","
               "\"parallel_tool_calls\":false}", 0, 0, err);
    CHECK(b != NULL && jget(b, "tool_choice") == NULL);
    json_decref(b);
    CHECK(tx_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
                 "\"content\":\"x\"}],\"tool_choice\":\"required\"}", 0, 0,
                 err) == NULL);
    CHECK(strstr(err, "tool_choice") != NULL);

    /* drop_params: true takes them out; the text stays */
    b = tx_req(LLM_API_OPENAI, refused[1], 0, LLM_DROP_ALL, err);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "prompt"), "x");
    json_decref(b);
    b = tx_req(LLM_API_OPENAI, refused[0], 0, LLM_DROP_ALL, err);
    CHECK(b != NULL && jget(b, "tools") == NULL);
    json_decref(b);
}


UNIT_TEST(anthropic_and_gemini_requests)
{
    char              err[256];
    json_t           *b;
    llm_xlate_opts_t  o = opts(0, 0);

    b = tx_req(LLM_API_ANTHROPIC, "{\"model\":\"m\",\"max_tokens\":20,"
               "\"system\":[{\"type\":\"text\",\"text\":\"S\"}],"
               "\"stop_sequences\":[\"\\n\\n\"],"
               "\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]}",
               0, 0, err);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "prompt"), "S\n\nQ");
    CHECK(jint(b, "max_tokens") == 20);
    CHECK_STR(jstr(b, "stop.0"), "\n\n");
    json_decref(b);

    b = tx_req(LLM_API_GEMINI, "{\"contents\":[{\"role\":\"user\",\"parts\":"
               "[{\"text\":\"G\"}]}],\"generationConfig\":"
               "{\"maxOutputTokens\":7}}", 0, 0, err);
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "prompt"), "G");
    CHECK(jint(b, "max_tokens") == 7);
    json_decref(b);

    /* the deployment's max_tokens when the client gave none */
    o.model = "i";
    o.default_max_tokens = 300;
    b = xreq_str(LLM_API_RESPONSES, LLM_API_OPENAI_TEXT,
                 "{\"model\":\"m\",\"input\":\"R\"}", &o, err, sizeof(err));
    CHECK(b != NULL);
    CHECK_STR(jstr(b, "prompt"), "R");
    CHECK(jint(b, "max_tokens") == 300);
    json_decref(b);
}


static json_t *
tx_resp(llm_api_t to, const char *in, llm_usage_t *u)
{
    llm_xlate_opts_t  o = opts(0, 0);
    llm_buf_t         out = LLM_BUF_INIT;
    json_t           *j = NULL;

    memset(u, 0, sizeof(*u));
    if (llm_xlate_response(LLM_API_OPENAI_TEXT, to, in, strlen(in), &o, &out,
                           u)
        == 0)
    {
        j = json_loadb(out.data, out.len, 0, NULL);
    }
    llm_buf_free(&out);
    return j;
}


UNIT_TEST(responses)
{
    static const char  ans[] =
        "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,"
        "\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"text\":"
        "\" there.\",\"index\":0,\"logprobs\":null,\"finish_reason\":"
        "\"length\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
        "\"total_tokens\":7}}";
    llm_usage_t  u;
    json_t      *j;

    j = tx_resp(LLM_API_OPENAI, ans, &u);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "object"), "chat.completion");
    CHECK_STR(jstr(j, "model"), "client-model");
    CHECK_STR(jstr(j, "choices.0.message.role"), "assistant");
    CHECK_STR(jstr(j, "choices.0.message.content"), " there.");
    CHECK_STR(jstr(j, "choices.0.finish_reason"), "length");
    CHECK(jint(j, "usage.prompt_tokens") == 5);
    CHECK(jint(j, "usage.total_tokens") == 7);
    CHECK(u.present && u.prompt_tokens == 5 && u.completion_tokens == 2);
    json_decref(j);

    j = tx_resp(LLM_API_ANTHROPIC, ans, &u);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "type"), "message");
    CHECK_STR(jstr(j, "content.0.text"), " there.");
    CHECK_STR(jstr(j, "stop_reason"), "max_tokens");
    CHECK(jint(j, "usage.input_tokens") == 5);
    CHECK(jint(j, "usage.output_tokens") == 2);
    json_decref(j);

    j = tx_resp(LLM_API_GEMINI, ans, &u);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "candidates.0.content.parts.0.text"), " there.");
    CHECK_STR(jstr(j, "candidates.0.finishReason"), "MAX_TOKENS");
    json_decref(j);

    j = tx_resp(LLM_API_RESPONSES, ans, &u);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "output.0.content.0.text"), " there.");
    CHECK_STR(jstr(j, "status"), "incomplete");
    json_decref(j);

    /* a chat answer or an error document is not a text completion */
    CHECK(tx_resp(LLM_API_OPENAI, "{\"choices\":[{\"message\":{\"content\":"
                  "\"x\"}}]}", &u) == NULL);
    CHECK(tx_resp(LLM_API_OPENAI, "{\"error\":{\"message\":\"no\"}}", &u)
          == NULL);
}

UNIT_TEST(logprobs)
{
    static const char  ans[] =
        "{\"id\":\"cmpl-2\",\"object\":\"text_completion\",\"model\":\"i\","
        "\"choices\":[{\"text\":\" hi\",\"index\":0,\"finish_reason\":"
        "\"stop\",\"logprobs\":{\"tokens\":[\" h\",\"i\"],"
        "\"token_logprobs\":[-0.5,-0.25],\"top_logprobs\":[{\" h\":-0.5,"
        "\" y\":-1.5},{\"i\":-0.25}],\"text_offset\":[0,2]}}],"
        "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
        "\"total_tokens\":3}}";
    char         err[256];
    json_t      *b, *j;
    llm_usage_t  u;

    /* chat's logprobs + top_logprobs -> completions' logprobs: N */
    b = tx_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"logprobs\":true,\"top_logprobs\":2}",
               0, 0, err);
    CHECK(b != NULL && jint(b, "logprobs") == 2);
    json_decref(b);
    b = tx_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"logprobs\":true}", 0, 0, err);
    CHECK(b != NULL && jint(b, "logprobs") == 0);
    json_decref(b);
    /* a stream does not carry them back: dropped as a hint */
    b = tx_req(LLM_API_OPENAI, "{\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"logprobs\":true}", 1, LLM_DROP_HINTS,
               err);
    CHECK(b != NULL && jget(b, "logprobs") == NULL);
    json_decref(b);

    j = tx_resp(LLM_API_OPENAI, ans, &u);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "choices.0.logprobs.content.0.token"), " h");
    CHECK(json_real_value(jget(j, "choices.0.logprobs.content.0.logprob"))
          == -0.5);
    CHECK(jint(j, "choices.0.logprobs.content.0.bytes.0") == 32);
    CHECK(jint(j, "choices.0.logprobs.content.0.bytes.1") == 104);
    CHECK_STR(jstr(j, "choices.0.logprobs.content.0.top_logprobs.1.token"),
              " y");
    CHECK(jlen(j, "choices.0.logprobs.content.1.top_logprobs") == 1);
    CHECK_STR(jstr(j, "choices.0.logprobs.content.1.token"), "i");
    json_decref(j);

    /* none asked: none given, as OpenAI's chat answers */
    j = tx_resp(LLM_API_OPENAI, "{\"choices\":[{\"text\":\"a\","
                "\"logprobs\":null,\"finish_reason\":\"stop\"}]}", &u);
    CHECK(j != NULL && jget(j, "choices.0.logprobs") == NULL);
    json_decref(j);
}


UNIT_TEST(errors)
{
    llm_buf_t    out = LLM_BUF_INIT;
    json_t      *j;
    const char  *body = "{\"error\":{\"message\":\"This is a chat model\","
                        "\"type\":\"invalid_request_error\",\"param\":"
                        "\"model\",\"code\":null}}";

    /* the same bodies as OpenAI's: kept whole for an OpenAI client */
    llm_xlate_error(LLM_API_OPENAI_TEXT, LLM_API_OPENAI, 404, body,
                    strlen(body), &out);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "error.message"), "This is a chat model");
    CHECK_STR(jstr(j, "error.type"), "invalid_request_error");
    CHECK_STR(jstr(j, "error.param"), "model");
    json_decref(j);
    llm_buf_reset(&out);

    llm_xlate_error(LLM_API_OPENAI_TEXT, LLM_API_ANTHROPIC, 404, body,
                    strlen(body), &out);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "type"), "error");
    CHECK_STR(jstr(j, "error.type"), "not_found_error");
    json_decref(j);
    llm_buf_free(&out);
}


UNIT_TEST(streams)
{
    static const char   err_ev[] =
        "data: {\"choices\":[{\"text\":\"par\",\"index\":0}]}\n\n"
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":"
        "\"server_error\"}}\n\n";
    llm_buf_t           out = LLM_BUF_INIT;
    llm_usage_t         u;

    tx_whole_stream(LLM_API_OPENAI_TEXT, LLM_API_OPENAI, "text_stream.sse",
                    &out, &u);
    CHECK(TX_HAS(&out, "\"object\":\"chat.completion.chunk\"",
                 "\"content\":\"Hel\"",
                 "\"content\":\"lo, \\\"wörld\\\"\"",
                 "\"finish_reason\":\"length\"",
                 "\"prompt_tokens\":9",
                 "data: [DONE]"));
    CHECK(u.present && u.prompt_tokens == 9 && u.completion_tokens == 4);

    tx_whole_stream(LLM_API_OPENAI_TEXT, LLM_API_ANTHROPIC, "text_stream.sse",
                    &out, &u);
    CHECK(TX_HAS(&out, "event: message_start",
                 "\"text_delta\",\"text\":\"Hel\"",
                 "\"stop_reason\":\"max_tokens\"",
                 "\"output_tokens\":4",
                 "event: message_stop"));

    tx_whole_stream(LLM_API_OPENAI_TEXT, LLM_API_GEMINI, "text_stream.sse",
                    &out, &u);
    CHECK(TX_HAS(&out, "{\"text\":\"Hel\"}",
                 "\"candidatesTokenCount\":4"));

    tx_whole_stream(LLM_API_OPENAI_TEXT, LLM_API_RESPONSES,
                    "text_stream.sse", &out, &u);
    CHECK(TX_HAS(&out, "event: response.output_text.delta",
                 "event: response.incomplete"));

    tx_every_split(LLM_API_OPENAI_TEXT, "text_stream.sse");

    /* an error event mid-stream: the client's error, no [DONE] */
    llm_buf_reset(&out);
    tx_run_split(LLM_API_OPENAI_TEXT, LLM_API_OPENAI, err_ev,
                 sizeof(err_ev) - 1, 30, &out, &u);
    CHECK(TX_HAS(&out, "\"content\":\"par\"",
                 "overloaded"));
    CHECK(strstr(out.data, "[DONE]") == NULL);
    llm_buf_free(&out);
}


UNIT_MAIN(openai_request, refused, anthropic_and_gemini_requests, responses,
          logprobs, errors, streams)
