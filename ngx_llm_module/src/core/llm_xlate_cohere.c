/*
 * The Cohere v2 adapter: request IR -> a /v2/chat body, and a /v2/chat
 * answer -> response IR (llm_xlate_int.h).  Cohere is a provider format
 * only, like Bedrock.  The shape is close to OpenAI's, with its own names:
 *
 *   {"model", "messages":[msg], "tools":[{"type":"function",
 *    "function":{"name","description","parameters"}}],
 *    "tool_choice":"REQUIRED"|"NONE", "max_tokens", "temperature", "p",
 *    "k", "stop_sequences", "seed", "frequency_penalty",
 *    "presence_penalty", "response_format":{"type":"json_object",
 *    "json_schema"?}, "thinking":{"type":"enabled","token_budget"},
 *    "documents":[str|{"id"?,"data"}], "stream"}
 *   msg: {"role":"system"|"user", "content":str|[{"type":"text"}|
 *          {"type":"image_url","image_url":{"url"}}]}
 *      | {"role":"assistant", "content"?, "tool_plan"?,
 *         "tool_calls":[{"id","type":"function",
 *                        "function":{"name","arguments":str}}]}
 *      | {"role":"tool", "tool_call_id", "content":str}
 *
 * The answer: {"id", "finish_reason", "message":{"content":[{"type":"text",
 * "text"}|{"type":"thinking","thinking"}], "tool_plan", "tool_calls"},
 * "citations"?}, "usage":{"tokens":{"input_tokens","output_tokens"},
 * "billed_units"}}.  "documents" in the request (LiteLLM's OpenAI
 * extension) ground the answer; its citations, [{"start","end","text",
 * "sources":[{"type":"document","id","document"}]}], are kept as given
 * (an OpenAI client gets them as message.citations).
 * A tool plan (the text a model says before it calls tools) is text.
 */

#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"


/* images only, inline or by URL */
static int
llm_co_media_ok(const json_t *p)
{
    const char  *mt = llm_xl_str(p, "media_type");

    return mt == NULL || strncmp(mt, "image/", 6) == 0;
}


static void
llm_co_write_user(json_t *msgs, const json_t *parts)
{
    size_t   i;
    json_t  *content, *p, *v;
    char    *url, *text;

    content = json_array();

    json_array_foreach(parts, i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "tool_result") == 0) {
            text = llm_xl_join_text(json_object_get(p, "content"), "\n");
            v = json_pack("{s:s,s:s,s:s}", "role", "tool", "tool_call_id",
                          llm_xl_str(p, "id") ? llm_xl_str(p, "id") : "",
                          "content", text ? text : "");
            if (v && json_is_true(json_object_get(p, "is_error"))) {
                /* Cohere has no error flag: say it in the text */
                json_object_set_new(v, "content", json_sprintf("Error: %s",
                                    text ? text : ""));
            }
            free(text);
            json_array_append_new(msgs, v);

        } else if (strcmp(t, "text") == 0) {
            json_array_append_new(content, json_pack("{s:s,s:O}", "type",
                                  "text", "text", json_object_get(p, "text")));

        } else if (strcmp(t, "media") == 0) {
            url = llm_xl_media_to_url(p);
            json_array_append_new(content, json_pack("{s:s,s:{s:s}}", "type",
                                  "image_url", "image_url", "url",
                                  url ? url : ""));
            free(url);
        }
    }

    if (json_array_size(content)) {
        json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", "user",
                                              "content", content));
    } else {
        json_decref(content);
    }
}


static void
llm_co_write_assistant(json_t *msgs, const json_t *parts)
{
    size_t   i;
    json_t  *calls, *p, *m;
    char    *text, *args;

    calls = json_array();
    text = llm_xl_join_text(parts, "");

    json_array_foreach(parts, i, p) {
        if (strcmp(llm_xl_str(p, "type"), "tool_call") != 0) {
            continue;
        }
        args = llm_json_dumps(json_object_get(p, "input"), LLM_XL_DUMP_FLAGS);
        json_array_append_new(calls, json_pack("{s:s,s:s,s:{s:s,s:s}}",
            "id", llm_xl_str(p, "id") ? llm_xl_str(p, "id") : "",
            "type", "function", "function",
            "name", llm_xl_str(p, "name") ? llm_xl_str(p, "name") : "",
            "arguments", args ? args : "{}"));
        free(args);
    }

    m = json_pack("{s:s}", "role", "assistant");

    if (json_array_size(calls)) {
        /* the text beside tool calls is their plan */
        if (text && *text) {
            json_object_set_new(m, "tool_plan", json_string(text));
        }
        json_object_set(m, "tool_calls", calls);

    } else {
        json_object_set_new(m, "content", json_string(text ? text : ""));
    }

    json_array_append_new(msgs, m);
    json_decref(calls);
    free(text);
}


/* tools; tool_choice: one named tool is REQUIRED with that tool alone */
static int
llm_co_write_tools(llm_xl_ctx_t *c, const json_t *ir, json_t *body)
{
    size_t       i;
    json_t      *tools, *t, *fn, *v, *tc;
    const char  *type, *only = NULL;

    tc = json_object_get(ir, "tool_choice");
    type = tc ? llm_xl_str(tc, "type") : NULL;

    if (type && strcmp(type, "tool") == 0) {
        only = llm_xl_str(tc, "name");
    }

    v = json_object_get(ir, "tools");
    if (json_array_size(v)) {
        tools = json_array();

        json_array_foreach(v, i, t) {
            if (only && strcmp(only, llm_xl_str(t, "name")) != 0) {
                continue;
            }
            fn = json_pack("{s:O}", "name", json_object_get(t, "name"));
            llm_xl_copy(fn, "description", t, "description");
            json_object_set_new(fn, "parameters",
                json_object_get(t, "parameters")
                ? json_incref(json_object_get(t, "parameters"))
                : json_pack("{s:s,s:{}}", "type", "object", "properties"));
            json_array_append_new(tools, json_pack("{s:s,s:o}", "type",
                                                   "function", "function", fn));
        }

        if (only && json_array_size(tools) == 0) {
            json_decref(tools);
            return llm_xl_error(c, "tool_choice names the tool \"%s\", which "
                                "is not in tools", only);
        }
        json_object_set_new(body, "tools", tools);
    }

    if (type == NULL || strcmp(type, "auto") == 0) {
        return 0;
    }

    json_object_set_new(body, "tool_choice", json_string(
                        strcmp(type, "none") == 0 ? "NONE" : "REQUIRED"));
    return 0;
}


/* OpenAI's response_format -> Cohere's (a schema is json_object's) */
static void
llm_co_write_format(const json_t *ir, json_t *body)
{
    json_t      *rf = json_object_get(ir, "response_format"), *out, *s;
    const char  *type = llm_xl_str(rf, "type");

    if (type == NULL || strcmp(type, "text") == 0) {
        return;
    }

    out = json_pack("{s:s}", "type", "json_object");
    s = json_object_get(json_object_get(rf, "json_schema"), "schema");
    if (strcmp(type, "json_schema") == 0 && s) {
        json_object_set(out, "json_schema", s);
    }
    json_object_set_new(body, "response_format", out);
}


/*
 * documents: a string, or an object sent as {"id"?, "data": {...}}; an
 * object without "data" (LiteLLM's {"title", "snippet"}) is the data.
 */
static int
llm_co_write_documents(llm_xl_ctx_t *c, const json_t *docs, json_t *body)
{
    size_t   i;
    json_t  *out, *d;

    out = json_array();

    json_array_foreach(docs, i, d) {
        if (json_is_string(d)
            || json_is_object(json_object_get(d, "data")))
        {
            json_array_append(out, d);

        } else if (json_is_object(d)) {
            json_array_append_new(out, json_pack("{s:O}", "data", d));

        } else {
            json_decref(out);
            return llm_xl_error(c, "documents[%zu] must be a string or an "
                                "object", i);
        }
    }

    json_object_set_new(body, "documents", out);
    return 0;
}

json_t *
llm_req_write_cohere(llm_xl_ctx_t *c, json_t *ir)
{
    size_t       i;
    json_t      *body, *msgs, *m, *v;

    if (llm_xl_filter_media(c, ir, llm_co_media_ok) != 0) {
        return NULL;
    }

    v = json_object_get(ir, "n");
    if (json_integer_value(v) > 1
        && llm_xl_unsupported(c, "n > 1", "Cohere answers once") != 0)
    {
        return NULL;
    }

    body = llm_xl_chat_body(c, ir, &msgs);

    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        if (strcmp(llm_xl_str(m, "role"), "assistant") == 0) {
            llm_co_write_assistant(msgs, json_object_get(m, "content"));
        } else {
            llm_co_write_user(msgs, json_object_get(m, "content"));
        }
    }
    json_object_set_new(body, "messages", msgs);

    if (llm_co_write_tools(c, ir, body) != 0) {
        json_decref(body);
        return NULL;
    }

    llm_xl_copy(body, "max_tokens", ir, "max_tokens");
    llm_xl_copy(body, "temperature", ir, "temperature");
    llm_xl_copy(body, "p", ir, "top_p");
    llm_xl_copy(body, "k", ir, "top_k");
    llm_xl_copy(body, "stop_sequences", ir, "stop");
    llm_xl_copy(body, "seed", ir, "seed");
    llm_xl_copy(body, "frequency_penalty", ir, "frequency_penalty");
    llm_xl_copy(body, "presence_penalty", ir, "presence_penalty");
    llm_co_write_format(ir, body);

    v = json_object_get(ir, "thinking");
    if (v) {
        json_object_set_new(body, "thinking", json_pack("{s:s,s:O}", "type",
                            "enabled", "token_budget",
                            json_object_get(v, "budget_tokens")));
    }

    v = json_object_get(ir, "documents");
    if (v && llm_co_write_documents(c, v, body) != 0) {
        json_decref(body);
        return NULL;
    }

    if (c->o->stream) {
        json_object_set_new(body, "stream", json_true());
    }

    return body;
}


llm_stop_t
llm_stop_from_cohere(const char *s)
{
    static const struct {
        const char  *name;
        llm_stop_t   stop;
    } map[] = {
        { "COMPLETE", LLM_STOP_END },
        { "STOP_SEQUENCE", LLM_STOP_STOP_SEQUENCE },
        { "MAX_TOKENS", LLM_STOP_LENGTH },
        { "TOOL_CALL", LLM_STOP_TOOL_CALLS },
        { "ERROR_LIMIT", LLM_STOP_LENGTH },
        { "ERROR_TOXIC", LLM_STOP_CONTENT_FILTER },
    };
    size_t  i;

    for (i = 0; s && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(s, map[i].name) == 0) {
            return map[i].stop;
        }
    }
    return LLM_STOP_NONE;
}


/* usage.tokens (what the model saw), else usage.billed_units */
json_t *
llm_resp_read_cohere(json_t *body, llm_usage_t *u)
{
    size_t       i;
    json_t      *msg, *ir, *content, *p, *fn, *input;
    const char  *t, *args, *fr;

    msg = json_object_get(body, "message");
    fr = llm_xl_str(body, "finish_reason");

    /* ERROR: the model failed mid-answer; not an answer to translate */
    if (!json_is_object(msg) || (fr && strcmp(fr, "ERROR") == 0)) {
        return NULL;
    }

    ir = json_pack("{s:[]}", "content");
    content = json_object_get(ir, "content");
    llm_xl_copy(ir, "id", body, "id");

    if (llm_xl_str(msg, "tool_plan") && *llm_xl_str(msg, "tool_plan")) {
        llm_xl_part_text(content, llm_xl_str(msg, "tool_plan"),
            json_string_length(json_object_get(msg, "tool_plan")), NULL);
    }

    json_array_foreach(json_object_get(msg, "content"), i, p) {
        t = llm_xl_str(p, "type");
        if (t && strcmp(t, "text") == 0 && llm_xl_str(p, "text")) {
            llm_xl_part_text(content, llm_xl_str(p, "text"),
                json_string_length(json_object_get(p, "text")), NULL);

        } else if (t && strcmp(t, "thinking") == 0
                   && llm_xl_str(p, "thinking"))
        {
            json_array_append_new(content, json_pack("{s:s,s:O}", "type",
                                  "thinking", "thinking",
                                  json_object_get(p, "thinking")));
        }
    }

    json_array_foreach(json_object_get(msg, "tool_calls"), i, p) {
        fn = json_object_get(p, "function");
        args = llm_xl_str(fn, "arguments");
        input = args ? llm_json_load(args, strlen(args), 0, NULL) : NULL;
        json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:o}",
            "type", "tool_call",
            "id", llm_xl_str(p, "id") ? llm_xl_str(p, "id") : "",
            "name", llm_xl_str(fn, "name") ? llm_xl_str(fn, "name") : "",
            "input", json_is_object(input) ? input : json_object()));
        if (input && !json_is_object(input)) {
            json_decref(input);
        }
    }

    /* grounded in the request's documents: kept as Cohere gave them */
    if (json_array_size(json_object_get(msg, "citations"))) {
        json_object_set(ir, "citations", json_object_get(msg, "citations"));
    }

    if (llm_stop_from_cohere(fr) != LLM_STOP_NONE) {
        json_object_set_new(ir, "stop", json_string(llm_stop_name(
                            llm_stop_from_cohere(fr))));
    }

    if (u) {
        llm_usage_read_tree(LLM_API_COHERE, json_object_get(body, "usage"), u);
    }

    return ir;
}
