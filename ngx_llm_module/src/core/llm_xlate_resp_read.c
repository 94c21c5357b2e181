/*
 * Non-streaming responses: each provider format -> response IR
 * (see llm_xlate_int.h).  NULL when the body is not a response of that
 * format (an error body, or garbage).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

static json_t *
llm_resp_ir(const char *id, const char *model)
{
    json_t  *ir = json_pack("{s:[]}", "content");

    if (id) {
        json_object_set_new(ir, "id", json_string(id));
    }
    if (model) {
        json_object_set_new(ir, "model", json_string(model));
    }
    return ir;
}

static void
llm_resp_set_stop(json_t *ir, llm_stop_t s)
{
    if (s != LLM_STOP_NONE) {
        json_object_set_new(ir, "stop", json_string(llm_stop_name(s)));
    }
}

/* OpenAI's chat and text completions: the finish reason and usage */
static json_t *
llm_resp_openai_end(json_t *ir, const json_t *body, const json_t *choice,
                    llm_usage_t *u)
{
    llm_resp_set_stop(ir, llm_stop_from_openai(llm_xl_str(choice,
                                                          "finish_reason")));
    if (u) {
        llm_usage_read(LLM_API_OPENAI, body, u);
    }
    return ir;
}

json_t *
llm_resp_read_openai(json_t *body, llm_usage_t *u)
{
    json_t      *choice, *msg, *ir, *content, *v, *p;
    const char  *s;
    size_t       i;

    choice = json_array_get(json_object_get(body, "choices"), 0);
    msg = json_object_get(choice, "message");
    if (!json_is_object(msg)) {
        return NULL;
    }
    ir = llm_resp_ir(llm_xl_str(body, "id"), llm_xl_str(body, "model"));
    content = json_object_get(ir, "content");

    v = json_object_get(msg, "thinking_blocks");
    if (json_array_size(v)) {
        json_array_foreach(v, i, p) {
            if ((s = llm_xl_str(p, "thinking")) != NULL) {
                json_t  *th = json_pack("{s:s,s:s}", "type", "thinking",
                                        "thinking", s);
                llm_xl_copy(th, "signature", p, "signature");
                json_array_append_new(content, th);
            }
        }
    } else {
        /* DeepSeek says reasoning_content, OpenRouter says reasoning */
        s = llm_xl_str(msg, "reasoning_content");
        if (s == NULL) {
            s = llm_xl_str(msg, "reasoning");
        }
        if (s && *s) {
            json_array_append_new(content, json_pack("{s:s,s:s}", "type",
                                  "thinking", "thinking", s));
        }
    }
    v = json_object_get(msg, "content");
    if (json_is_string(v) && json_string_length(v)) {
        llm_xl_part_text(content, json_string_value(v), json_string_length(v),
                         NULL);
    }
    v = json_object_get(msg, "refusal");
    if (json_is_string(v) && json_string_length(v)) {
        llm_xl_part_text(content, json_string_value(v), json_string_length(v),
                         NULL);
    }
    json_array_foreach(json_object_get(msg, "tool_calls"), i, p) {
        json_t      *fn = json_object_get(p, "function");
        const char  *args = llm_xl_str(fn, "arguments");
        json_t      *input = args && *args
                             ? llm_json_load(args, strlen(args),
                                             LLM_XL_LOAD_FLAGS, NULL)
                             : NULL;
        char         idbuf[48];

        if (!json_is_object(input)) {
            json_decref(input);
            input = json_object();
        }
        s = llm_xl_str(p, "id");
        if (s == NULL) {
            llm_xl_gen_id(idbuf, sizeof(idbuf), "call_");
            s = idbuf;
        }
        json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:o}",
                              "type", "tool_call", "id", s, "name",
                              llm_xl_str(fn, "name") ? llm_xl_str(fn, "name")
                                                     : "",
                              "input", input));
    }
    return llm_resp_openai_end(ir, body, choice, u);
}

/* a token's UTF-8 bytes, as chat's logprobs list them */
static json_t *
llm_resp_token_bytes(const char *s, size_t len)
{
    size_t   i;
    json_t  *a = json_array();

    for (i = 0; s && i < len; i++) {
        json_array_append_new(a, json_integer((unsigned char) s[i]));
    }
    return a;
}

static json_t *
llm_resp_token_logprob(const char *token, size_t len, json_t *logprob)
{
    return json_pack("{s:s%,s:O,s:o}", "token", token ? token : "", len,
                     "logprob", logprob ? logprob : json_null(),
                     "bytes", llm_resp_token_bytes(token, len));
}

/*
 * Text completions' logprobs {"tokens", "token_logprobs", "top_logprobs":
 * [{token: logprob}]} -> chat's {"content":[{"token", "logprob", "bytes",
 * "top_logprobs":[{"token", "logprob", "bytes"}]}]}; NULL when absent.
 */
static json_t *
llm_resp_text_logprobs(const json_t *lp)
{
    size_t       i;
    json_t      *content, *tok, *item, *tops, *top;
    const char  *k;
    json_t      *v;

    if (!json_is_array(json_object_get(lp, "tokens"))) {
        return NULL;
    }
    content = json_array();

    json_array_foreach(json_object_get(lp, "tokens"), i, tok) {
        item = llm_resp_token_logprob(json_string_value(tok),
                                      json_string_length(tok),
                                      json_array_get(json_object_get(lp,
                                          "token_logprobs"), i));
        tops = json_array();
        top = json_array_get(json_object_get(lp, "top_logprobs"), i);
        json_object_foreach(top, k, v) {
            json_array_append_new(tops, llm_resp_token_logprob(k, strlen(k),
                                                               v));
        }
        json_object_set_new(item, "top_logprobs", tops);
        json_array_append_new(content, item);
    }

    return json_pack("{s:o}", "content", content);
}

/* text completions: {"choices":[{"text","finish_reason","logprobs"}],
   "usage"} */
json_t *
llm_resp_read_text(json_t *body, llm_usage_t *u)
{
    json_t  *choice, *ir, *v;

    choice = json_array_get(json_object_get(body, "choices"), 0);
    v = json_object_get(choice, "text");
    if (!json_is_string(v)) {
        return NULL;
    }
    ir = llm_resp_ir(llm_xl_str(body, "id"), llm_xl_str(body, "model"));
    if (json_string_length(v)) {
        llm_xl_part_text(json_object_get(ir, "content"), json_string_value(v),
                         json_string_length(v), NULL);
    }
    llm_xl_set(ir, "logprobs",
               llm_resp_text_logprobs(json_object_get(choice, "logprobs")));
    return llm_resp_openai_end(ir, body, choice, u);
}

json_t *
llm_resp_read_anthropic(json_t *body, llm_usage_t *u)
{
    json_t      *ir, *content, *b;
    const char  *t;
    size_t       i;

    if (!json_is_array(json_object_get(body, "content"))
        || (llm_xl_str(body, "type")
            && strcmp(llm_xl_str(body, "type"), "message") != 0))
    {
        return NULL;
    }
    ir = llm_resp_ir(llm_xl_str(body, "id"), llm_xl_str(body, "model"));
    content = json_object_get(ir, "content");

    json_array_foreach(json_object_get(body, "content"), i, b) {
        t = llm_xl_str(b, "type");
        if (t == NULL) {
            continue;
        }
        if (strcmp(t, "text") == 0 && llm_xl_str(b, "text")) {
            llm_xl_part_text(content, llm_xl_str(b, "text"),
                             json_string_length(json_object_get(b, "text")),
                             NULL);
        } else if (strcmp(t, "thinking") == 0) {
            json_t  *th = json_pack("{s:s,s:s}", "type", "thinking", "thinking",
                                    llm_xl_str(b, "thinking")
                                    ? llm_xl_str(b, "thinking") : "");
            llm_xl_copy(th, "signature", b, "signature");
            json_array_append_new(content, th);
        } else if (strcmp(t, "redacted_thinking") == 0) {
            json_array_append_new(content, json_pack("{s:s,s:s}", "type",
                                  "redacted_thinking", "data",
                                  llm_xl_str(b, "data") ? llm_xl_str(b, "data")
                                                        : ""));
        } else if (strcmp(t, "tool_use") == 0) {
            json_t  *input = json_object_get(b, "input");

            json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:o}",
                "type", "tool_call",
                "id", llm_xl_str(b, "id") ? llm_xl_str(b, "id") : "",
                "name", llm_xl_str(b, "name") ? llm_xl_str(b, "name") : "",
                "input", json_is_object(input) ? json_incref(input)
                                               : json_object()));
        }
        /* server_tool_use / web_search_tool_result: Anthropic-side tools
           whose results are already folded into the text */
    }
    llm_resp_set_stop(ir, llm_stop_from_anthropic(llm_xl_str(body,
                                                             "stop_reason")));
    llm_xl_copy(ir, "stop_sequence", body, "stop_sequence");
    if (u) {
        llm_usage_read(LLM_API_ANTHROPIC, body, u);
    }
    return ir;
}

json_t *
llm_resp_read_gemini(json_t *body, llm_usage_t *u)
{
    json_t      *ir, *content, *cand, *p, *v;
    const char  *reason;
    size_t       i;
    int          calls = 0;
    llm_stop_t   stop;

    cand = json_array_get(json_object_get(body, "candidates"), 0);
    if (cand == NULL && !json_object_get(body, "promptFeedback")
        && !json_object_get(body, "usageMetadata"))
    {
        return NULL;
    }
    ir = llm_resp_ir(llm_xl_str(body, "responseId"),
                     llm_xl_str(body, "modelVersion"));
    content = json_object_get(ir, "content");

    json_array_foreach(json_object_get(json_object_get(cand, "content"),
                                       "parts"), i, p)
    {
        if (json_is_string(json_object_get(p, "text"))) {
            if (json_is_true(json_object_get(p, "thought"))) {
                json_t  *th = json_pack("{s:s,s:O}", "type", "thinking",
                                        "thinking", json_object_get(p, "text"));
                llm_xl_copy(th, "signature", p, "thoughtSignature");
                json_array_append_new(content, th);
            } else {
                llm_xl_part_text(content, llm_xl_str(p, "text"),
                                 json_string_length(json_object_get(p, "text")),
                                 NULL);
            }
        } else if ((v = json_object_get(p, "functionCall")) != NULL) {
            json_t      *args = json_object_get(v, "args");
            const char  *id = llm_xl_str(v, "id");
            char         idbuf[48];

            if (id == NULL) {
                llm_xl_gen_id(idbuf, sizeof(idbuf), "call_");
                id = idbuf;
            }
            json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:o}",
                "type", "tool_call", "id", id,
                "name", llm_xl_str(v, "name") ? llm_xl_str(v, "name") : "",
                "input", json_is_object(args) ? json_incref(args)
                                              : json_object()));
            calls++;
        }
    }

    reason = llm_xl_str(cand, "finishReason");
    stop = llm_stop_from_gemini(reason);
    if (stop == LLM_STOP_END && calls) {
        stop = LLM_STOP_TOOL_CALLS;   /* Gemini says STOP after calls */
    }
    if (cand == NULL
        && llm_xl_str(json_object_get(body, "promptFeedback"), "blockReason"))
    {
        stop = LLM_STOP_CONTENT_FILTER;
    }
    llm_resp_set_stop(ir, stop);
    if (u) {
        llm_usage_read(LLM_API_GEMINI, body, u);
    }
    return ir;
}
