/*
 * The Bedrock Converse adapter: request IR -> a Converse body, and a
 * Converse answer -> response IR (llm_xlate_int.h).  Bedrock is a provider
 * format only, so there is no reader of its requests and no writer of its
 * answers.  The model is in the URL (/model/{id}/converse), not the body.
 *
 *   {"system":[{"text"}], "messages":[{"role","content":[block]}],
 *    "inferenceConfig":{"maxTokens","temperature","topP","stopSequences"},
 *    "toolConfig":{"tools":[{"toolSpec":{"name","description",
 *                                        "inputSchema":{"json"}}}],
 *                  "toolChoice":{"auto":{}}|{"any":{}}|{"tool":{"name"}}},
 *    "additionalModelRequestFields":{...}}
 *   block: {"text"} | {"image":{"format","source":{"bytes"}}}
 *        | {"toolUse":{"toolUseId","name","input"}}
 *        | {"toolResult":{"toolUseId","content":[{"text"}|{"image"}],
 *                        "status"}}
 *        | {"reasoningContent":{"reasoningText":{"text","signature"}}}
 *        | {"cachePoint":{"type":"default"}}
 */

#include <string.h>

#include "llm_xlate_int.h"


/* media types Converse takes as images, and its name for each */
static const struct {
    const char  *media_type;
    const char  *format;
} llm_br_images[] = {
    { "image/png", "png" },
    { "image/jpeg", "jpeg" },
    { "image/gif", "gif" },
    { "image/webp", "webp" },
};


static const char *
llm_br_image_format(const json_t *p)
{
    size_t       i;
    const char  *mt = llm_xl_str(p, "media_type");

    for (i = 0; mt && i < sizeof(llm_br_images) / sizeof(llm_br_images[0]);
         i++)
    {
        if (strcmp(mt, llm_br_images[i].media_type) == 0) {
            return llm_br_images[i].format;
        }
    }
    return NULL;
}


/* inline images only: Converse fetches no URLs (S3 locations aside) */
static int
llm_br_media_ok(const json_t *p)
{
    return llm_xl_str(p, "data") != NULL && llm_br_image_format(p) != NULL;
}


static json_t *
llm_br_image(const json_t *p)
{
    return json_pack("{s:{s:s,s:{s:O}}}", "image", "format",
                     llm_br_image_format(p), "source", "bytes",
                     json_object_get(p, "data"));
}


static void
llm_br_cache_point(json_t *blocks, const json_t *part)
{
    if (json_object_get(part, "cache_control")) {
        json_array_append_new(blocks, json_pack("{s:{s:s}}", "cachePoint",
                                                "type", "default"));
    }
}


static json_t *
llm_br_tool_result(const json_t *p)
{
    size_t       i;
    json_t      *content, *q, *r;
    const char  *t;

    content = json_array();

    json_array_foreach(json_object_get(p, "content"), i, q) {
        t = llm_xl_str(q, "type");
        if (t && strcmp(t, "text") == 0) {
            json_array_append_new(content, json_pack("{s:O}", "text",
                                  json_object_get(q, "text")));
        } else if (t && strcmp(t, "media") == 0 && llm_br_media_ok(q)) {
            json_array_append_new(content, llm_br_image(q));
        }
    }

    if (json_array_size(content) == 0) {
        /* Converse refuses an empty result */
        json_array_append_new(content, json_pack("{s:s}", "text", ""));
    }

    r = json_pack("{s:s,s:o}", "toolUseId",
                  llm_xl_str(p, "id") ? llm_xl_str(p, "id") : "",
                  "content", content);
    if (json_is_true(json_object_get(p, "is_error"))) {
        json_object_set_new(r, "status", json_string("error"));
    }
    return json_pack("{s:o}", "toolResult", r);
}


/* one IR part -> Converse blocks appended to out */
static void
llm_br_write_part(const json_t *p, json_t *out)
{
    const char  *t = llm_xl_str(p, "type");
    json_t      *input;

    if (t == NULL) {
        return;
    }

    if (strcmp(t, "text") == 0) {
        if (json_string_length(json_object_get(p, "text"))) {
            json_array_append_new(out, json_pack("{s:O}", "text",
                                  json_object_get(p, "text")));
        }

    } else if (strcmp(t, "media") == 0) {
        json_array_append_new(out, llm_br_image(p));

    } else if (strcmp(t, "tool_call") == 0) {
        input = json_object_get(p, "input");
        json_array_append_new(out, json_pack("{s:{s:s,s:s,s:o}}", "toolUse",
            "toolUseId", llm_xl_str(p, "id") ? llm_xl_str(p, "id") : "",
            "name", llm_xl_str(p, "name") ? llm_xl_str(p, "name") : "",
            "input", json_is_object(input) ? json_incref(input)
                                           : json_object()));

    } else if (strcmp(t, "tool_result") == 0) {
        json_array_append_new(out, llm_br_tool_result(p));

    } else if (strcmp(t, "thinking") == 0 && llm_xl_str(p, "signature")) {
        /* thinking goes back only signed: the model checks it */
        json_array_append_new(out, json_pack("{s:{s:{s:O,s:O}}}",
            "reasoningContent", "reasoningText", "text",
            json_object_get(p, "thinking"), "signature",
            json_object_get(p, "signature")));

    } else if (strcmp(t, "redacted_thinking") == 0) {
        json_array_append_new(out, json_pack("{s:{s:O}}", "reasoningContent",
                              "redactedContent", json_object_get(p, "data")));
    }

    llm_br_cache_point(out, p);
}


/* consecutive same-role messages merged: Converse wants alternation */
static json_t *
llm_br_write_messages(const json_t *ir)
{
    size_t       i, j;
    json_t      *msgs, *m, *p, *blocks = NULL;
    const char  *role, *prev = NULL;

    msgs = json_array();

    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        role = llm_xl_str(m, "role");
        if (role == NULL) {
            continue;
        }

        if (prev == NULL || strcmp(prev, role) != 0) {
            if (json_array_size(blocks)) {
                json_array_append_new(msgs, json_pack("{s:s,s:O}", "role",
                                      prev, "content", blocks));
            }
            json_decref(blocks);
            blocks = json_array();
            prev = role;
        }

        json_array_foreach(json_object_get(m, "content"), j, p) {
            llm_br_write_part(p, blocks);
        }
    }

    if (json_array_size(blocks)) {
        json_array_append_new(msgs, json_pack("{s:s,s:O}", "role", prev,
                                              "content", blocks));
    }
    json_decref(blocks);

    return msgs;
}


static int
llm_br_write_tools(llm_xl_ctx_t *c, const json_t *ir, json_t *body)
{
    size_t       i;
    json_t      *tools, *t, *spec, *schema, *v, *cfg;
    const char  *type;

    v = json_object_get(ir, "tools");
    if (json_array_size(v) == 0) {
        return 0;
    }

    tools = json_array();

    json_array_foreach(v, i, t) {
        spec = json_pack("{s:O}", "name", json_object_get(t, "name"));
        if (llm_xl_str(t, "description") && *llm_xl_str(t, "description")) {
            llm_xl_copy(spec, "description", t, "description");
        }
        schema = json_object_get(t, "parameters");
        json_object_set_new(spec, "inputSchema", json_pack("{s:o}", "json",
            schema ? json_incref(schema)
              : json_pack("{s:s,s:{}}", "type", "object", "properties")));
        json_array_append_new(tools, json_pack("{s:o}", "toolSpec", spec));
        if (json_object_get(t, "cache_control")) {
            json_array_append_new(tools, json_pack("{s:{s:s}}", "cachePoint",
                                                   "type", "default"));
        }
    }

    cfg = json_pack("{s:o}", "tools", tools);
    json_object_set_new(body, "toolConfig", cfg);

    v = json_object_get(ir, "tool_choice");
    type = v ? llm_xl_str(v, "type") : NULL;

    if (type == NULL || strcmp(type, "auto") == 0) {
        return 0;
    }

    if (strcmp(type, "required") == 0) {
        json_object_set_new(cfg, "toolChoice", json_pack("{s:{}}", "any"));

    } else if (strcmp(type, "tool") == 0) {
        json_object_set_new(cfg, "toolChoice", json_pack("{s:{s:s}}", "tool",
            "name", llm_xl_str(v, "name") ? llm_xl_str(v, "name") : ""));

    } else {
        /* "none": Converse can only be told auto, any or one tool */
        return llm_xl_unsupported(c, "tool_choice",
                                  "Bedrock Converse has no \"none\"");
    }

    return 0;
}


json_t *
llm_req_write_bedrock(llm_xl_ctx_t *c, json_t *ir)
{
    size_t       i;
    json_t      *body, *sys, *p, *inf, *extra, *v;
    const char  *model;

    if (llm_xl_filter_media(c, ir, llm_br_media_ok) != 0) {
        return NULL;
    }

    if (llm_xl_refuse_openai_only(c, ir) != 0) {
        return NULL;
    }

    body = json_object();

    sys = json_array();
    json_array_foreach(json_object_get(ir, "system"), i, p) {
        if (json_string_length(json_object_get(p, "text"))) {
            json_array_append_new(sys, json_pack("{s:O}", "text",
                                  json_object_get(p, "text")));
            llm_br_cache_point(sys, p);
        }
    }
    if (json_array_size(sys)) {
        json_object_set(body, "system", sys);
    }
    json_decref(sys);

    json_object_set_new(body, "messages", llm_br_write_messages(ir));

    inf = json_object();
    v = json_object_get(ir, "max_tokens");
    if (v) {
        json_object_set(inf, "maxTokens", v);
    } else if (c->o->default_max_tokens > 0) {
        json_object_set_new(inf, "maxTokens",
                            json_integer(c->o->default_max_tokens));
    }
    llm_xl_copy(inf, "temperature", ir, "temperature");
    llm_xl_copy(inf, "topP", ir, "top_p");
    llm_xl_copy(inf, "stopSequences", ir, "stop");
    if (json_object_size(inf)) {
        json_object_set(body, "inferenceConfig", inf);
    }
    json_decref(inf);

    /*
     * What only the model family understands goes in its own terms; the
     * Anthropic models take Anthropic's names (as LiteLLM sends them).
     */
    extra = json_object();
    model = c->o->model ? c->o->model : "";
    v = json_object_get(ir, "thinking");
    if (v) {
        json_object_set_new(extra, "thinking", json_pack("{s:s,s:O}", "type",
                            "enabled", "budget_tokens",
                            json_object_get(v, "budget_tokens")));
    }
    if (json_object_get(ir, "top_k")) {
        if (strstr(model, "anthropic.") != NULL) {
            llm_xl_copy(extra, "top_k", ir, "top_k");
        } else if (llm_xl_unsupported(c, "top_k", NULL) != 0) {
            json_decref(extra);
            json_decref(body);
            return NULL;
        }
    }
    if (json_object_size(extra)) {
        json_object_set(body, "additionalModelRequestFields", extra);
    }
    json_decref(extra);

    if (llm_xl_str(ir, "user")) {
        json_object_set_new(body, "requestMetadata", json_pack("{s:O}",
                            "user", json_object_get(ir, "user")));
    }

    if (llm_br_write_tools(c, ir, body) != 0) {
        json_decref(body);
        return NULL;
    }

    return body;
}


llm_stop_t
llm_stop_from_bedrock(const char *s)
{
    if (s == NULL) {
        return LLM_STOP_NONE;
    }
    if (strcmp(s, "guardrail_intervened") == 0
        || strcmp(s, "content_filtered") == 0)
    {
        return LLM_STOP_CONTENT_FILTER;
    }
    if (strcmp(s, "model_context_window_exceeded") == 0) {
        return LLM_STOP_LENGTH;
    }
    /* end_turn, tool_use, max_tokens, stop_sequence: Anthropic's names */
    return llm_stop_from_anthropic(s);
}


/* Converse's usage object (a response's, or a stream's metadata event) */
json_t *
llm_resp_read_bedrock(json_t *body, llm_usage_t *u)
{
    size_t   i;
    json_t  *msg, *ir, *content, *b, *v, *r;

    msg = json_object_get(json_object_get(body, "output"), "message");
    if (!json_is_array(json_object_get(msg, "content"))) {
        return NULL;
    }

    ir = json_pack("{s:[]}", "content");
    content = json_object_get(ir, "content");

    json_array_foreach(json_object_get(msg, "content"), i, b) {
        if ((v = json_object_get(b, "text")) != NULL && json_is_string(v)) {
            llm_xl_part_text(content, json_string_value(v),
                             json_string_length(v), NULL);

        } else if ((v = json_object_get(b, "toolUse")) != NULL) {
            r = json_object_get(v, "input");
            json_array_append_new(content, json_pack("{s:s,s:s,s:s,s:o}",
                "type", "tool_call",
                "id", llm_xl_str(v, "toolUseId")
                      ? llm_xl_str(v, "toolUseId") : "",
                "name", llm_xl_str(v, "name") ? llm_xl_str(v, "name") : "",
                "input", json_is_object(r) ? json_incref(r)
                                           : json_object()));

        } else if ((v = json_object_get(b, "reasoningContent")) != NULL) {
            r = json_object_get(v, "reasoningText");
            if (json_is_object(r)) {
                json_t  *th = json_pack("{s:s,s:s}", "type", "thinking",
                                        "thinking", llm_xl_str(r, "text")
                                        ? llm_xl_str(r, "text") : "");
                llm_xl_copy(th, "signature", r, "signature");
                json_array_append_new(content, th);

            } else if (llm_xl_str(v, "redactedContent")) {
                json_array_append_new(content, json_pack("{s:s,s:O}", "type",
                    "redacted_thinking", "data",
                    json_object_get(v, "redactedContent")));
            }
        }
    }

    v = json_object_get(body, "stopReason");
    if (llm_stop_from_bedrock(json_string_value(v)) != LLM_STOP_NONE) {
        json_object_set_new(ir, "stop", json_string(llm_stop_name(
                            llm_stop_from_bedrock(json_string_value(v)))));
    }

    if (u) {
        llm_usage_read_tree(LLM_API_BEDROCK, json_object_get(body, "usage"), u);
    }

    return ir;
}
