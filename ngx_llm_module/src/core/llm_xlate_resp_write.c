/*
 * Non-streaming responses: response IR -> each client format.  The model
 * name echoed is the one the client asked for; tool names shortened for an
 * OpenAI provider are restored from the client's own tool list.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

/* id with the prefix the client's SDKs print, keeping the provider's id */
static json_t *
llm_resp_id(const json_t *ir, const char *prefix)
{
    const char  *id = llm_xl_str(ir, "id");
    char         buf[48];

    if (id == NULL || *id == '\0') {
        llm_xl_gen_id(buf, sizeof(buf), prefix);
        return json_string(buf);
    }
    if (strncmp(id, prefix, strlen(prefix)) == 0) {
        return json_string(id);
    }
    return json_sprintf("%s%s", prefix, id);
}

static llm_stop_t
llm_resp_stop(const json_t *ir)
{
    llm_stop_t  s = llm_stop_from_name(llm_xl_str(ir, "stop"));

    return s == LLM_STOP_NONE ? LLM_STOP_END : s;
}

json_t *
llm_resp_write_openai(const llm_xlate_opts_t *o, json_t *ir,
                      const llm_usage_t *u, const json_t *client_tools)
{
    json_t     *msg, *calls, *blocks, *p, *res;
    char       *text, *thinking;
    llm_buf_t   th = LLM_BUF_INIT;
    size_t      i;
    int         signed_blocks = 0;

    calls = json_array();
    blocks = json_array();
    json_array_foreach(json_object_get(ir, "content"), i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "thinking") == 0) {
            llm_buf_append_str(&th, llm_xl_str(p, "thinking"));
            if (llm_xl_str(p, "signature")) {
                signed_blocks = 1;
            }
            json_array_append_new(blocks, json_pack("{s:s,s:O}", "type",
                                  "thinking", "thinking",
                                  json_object_get(p, "thinking")));
            llm_xl_copy(json_array_get(blocks, json_array_size(blocks) - 1),
                        "signature", p, "signature");
        } else if (strcmp(t, "redacted_thinking") == 0) {
            signed_blocks = 1;
            json_array_append_new(blocks, json_pack("{s:s,s:O}", "type",
                                  "redacted_thinking", "data",
                                  json_object_get(p, "data")));
        } else if (strcmp(t, "tool_call") == 0) {
            char  *args = llm_json_dumps(json_object_get(p, "input"),
                                         LLM_XL_DUMP_FLAGS);

            json_array_append_new(calls, json_pack("{s:O,s:s,s:{s:s,s:s}}",
                "id", json_object_get(p, "id"), "type", "function",
                "function", "name",
                llm_xl_tool_name_restore(llm_xl_str(p, "name"), client_tools),
                "arguments", args ? args : "{}"));
            free(args);
        }
    }

    text = llm_xl_join_text(json_object_get(ir, "content"), "");
    msg = json_pack("{s:s}", "role", "assistant");
    json_object_set_new(msg, "content", text ? json_string(text)
                        : json_array_size(calls) ? json_null()
                        : json_string(""));
    thinking = th.data;
    if (thinking) {
        json_object_set_new(msg, "reasoning_content", json_string(thinking));
    }
    if (signed_blocks) {
        /* LiteLLM's field: lets a client send signed thinking back */
        json_object_set(msg, "thinking_blocks", blocks);
    }
    if (json_array_size(calls)) {
        json_object_set(msg, "tool_calls", calls);
    }
    if (json_object_get(ir, "citations")) {
        /* a provider's own (Cohere's), as LiteLLM passes them on */
        json_object_set(msg, "citations", json_object_get(ir, "citations"));
    }
    free(text);
    llm_buf_free(&th);
    json_decref(calls);
    json_decref(blocks);

    res = json_pack("{s:o,s:s,s:I,s:s,s:[{s:i,s:o,s:s}],s:o}",
                    "id", llm_resp_id(ir, "chatcmpl-"),
                    "object", "chat.completion",
                    "created", (json_int_t) time(NULL),
                    "model", llm_xl_client_model(o, llm_xl_str(ir, "model")),
                    "choices", "index", 0, "message", msg,
                    "finish_reason", llm_stop_to_openai(llm_resp_stop(ir)),
                    "usage", llm_usage_openai(u));
    if (res && json_object_get(ir, "logprobs")) {
        /* chat's shape already (text completions' are read so) */
        json_object_set(json_array_get(json_object_get(res, "choices"), 0),
                        "logprobs", json_object_get(ir, "logprobs"));
    }
    return res;
}

json_t *
llm_resp_write_anthropic(const llm_xlate_opts_t *o, json_t *ir,
                         const llm_usage_t *u, const json_t *client_tools)
{
    json_t  *content, *p, *stop_seq;
    size_t   i;

    content = json_array();
    json_array_foreach(json_object_get(ir, "content"), i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "text") == 0) {
            json_array_append_new(content, json_pack("{s:s,s:O}", "type",
                                  "text", "text", json_object_get(p, "text")));
        } else if (strcmp(t, "thinking") == 0) {
            const char  *sig = llm_xl_str(p, "signature");

            json_array_append_new(content, json_pack("{s:s,s:O,s:s}", "type",
                                  "thinking", "thinking",
                                  json_object_get(p, "thinking"),
                                  "signature", sig ? sig : ""));
        } else if (strcmp(t, "redacted_thinking") == 0) {
            json_array_append_new(content, json_pack("{s:s,s:O}", "type",
                                  "redacted_thinking", "data",
                                  json_object_get(p, "data")));
        } else if (strcmp(t, "tool_call") == 0) {
            json_array_append_new(content, json_pack("{s:s,s:O,s:s,s:O}",
                "type", "tool_use", "id", json_object_get(p, "id"),
                "name",
                llm_xl_tool_name_restore(llm_xl_str(p, "name"), client_tools),
                "input", json_object_get(p, "input")));
        }
    }
    stop_seq = json_object_get(ir, "stop_sequence");
    return json_pack("{s:o,s:s,s:s,s:s,s:o,s:s,s:O,s:o}",
                     "id", llm_resp_id(ir, "msg_"),
                     "type", "message", "role", "assistant",
                     "model", llm_xl_client_model(o, llm_xl_str(ir, "model")),
                     "content", content,
                     "stop_reason", llm_stop_to_anthropic(llm_resp_stop(ir)),
                     "stop_sequence", stop_seq ? stop_seq : json_null(),
                     "usage", llm_usage_anthropic(u));
}

json_t *
llm_resp_write_gemini(const llm_xlate_opts_t *o, json_t *ir,
                      const llm_usage_t *u, const json_t *client_tools)
{
    json_t  *parts, *p;
    size_t   i;

    parts = json_array();
    json_array_foreach(json_object_get(ir, "content"), i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "text") == 0) {
            json_array_append_new(parts, json_pack("{s:O}", "text",
                                  json_object_get(p, "text")));
        } else if (strcmp(t, "thinking") == 0) {
            json_array_append_new(parts, json_pack("{s:O,s:b}", "text",
                                  json_object_get(p, "thinking"),
                                  "thought", 1));
        } else if (strcmp(t, "tool_call") == 0) {
            json_array_append_new(parts, json_pack("{s:{s:s,s:O}}",
                "functionCall", "name",
                llm_xl_tool_name_restore(llm_xl_str(p, "name"), client_tools),
                "args", json_object_get(p, "input")));
        }
    }
    return json_pack("{s:[{s:{s:o,s:s},s:s,s:i}],s:o,s:s,s:o}",
                     "candidates", "content", "parts", parts, "role", "model",
                     "finishReason", llm_stop_to_gemini(llm_resp_stop(ir)),
                     "index", 0,
                     "usageMetadata", llm_usage_gemini(u),
                     "modelVersion",
                     llm_xl_client_model(o, llm_xl_str(ir, "model")),
                     "responseId", llm_resp_id(ir, ""));
}
