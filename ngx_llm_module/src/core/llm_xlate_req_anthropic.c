/*
 * Anthropic Messages request <-> IR (see llm_xlate_int.h).
 */

#include <stdlib.h>
#include <string.h>

#include "llm_xlate_int.h"

#define LLM_AN_DEFAULT_MAX_TOKENS  4096
#define LLM_AN_MIN_THINKING        1024

/* ------------------------------------------------------------ reading */

static json_t *
llm_an_read_source(llm_xl_ctx_t *c, const json_t *b)
{
    const json_t  *src = json_object_get(b, "source");
    const char    *st = llm_xl_str(src, "type");
    json_t        *m = NULL;

    if (st && strcmp(st, "base64") == 0 && llm_xl_str(src, "data")) {
        m = json_pack("{s:s,s:O,s:O}", "type", "media", "media_type",
                      json_object_get(src, "media_type"), "data",
                      json_object_get(src, "data"));
    } else if (st && strcmp(st, "url") == 0 && llm_xl_str(src, "url")) {
        m = json_pack("{s:s,s:O}", "type", "media", "url",
                      json_object_get(src, "url"));
        if (strcmp(llm_xl_str(b, "type"), "document") == 0) {
            json_object_set_new(m, "media_type",
                                json_string("application/pdf"));
        }
    } else if (st && strcmp(st, "text") == 0 && llm_xl_str(src, "data")) {
        m = json_pack("{s:s,s:O}", "type", "text", "text",
                      json_object_get(src, "data"));
    } else {
        llm_xl_error(c, "unsupported %s source type %s",
                     llm_xl_str(b, "type"), st ? st : "(none)");
        return NULL;
    }
    if (m && json_object_get(b, "cache_control")) {
        json_object_set(m, "cache_control", json_object_get(b, "cache_control"));
    }
    return m;
}

/* tool_result content: a string or text/image blocks */
static int
llm_an_read_tool_result(llm_xl_ctx_t *c, const json_t *b, json_t *dst,
                        json_t *names)
{
    const json_t  *content = json_object_get(b, "content");
    const char    *id = llm_xl_str(b, "tool_use_id");
    json_t        *parts = json_array(), *p, *tr, *m;
    size_t         i;

    if (id == NULL) {
        json_decref(parts);
        return llm_xl_error(c, "tool_result without tool_use_id");
    }
    if (json_is_string(content)) {
        llm_xl_part_text(parts, json_string_value(content),
                         json_string_length(content), NULL);
    } else {
        json_array_foreach(content, i, p) {
            const char  *t = llm_xl_str(p, "type");

            if (t && strcmp(t, "text") == 0) {
                llm_xl_part_text(parts, llm_xl_str(p, "text"),
                                 json_string_length(json_object_get(p, "text")),
                                 NULL);
            } else if (t && (strcmp(t, "image") == 0
                             || strcmp(t, "document") == 0))
            {
                if ((m = llm_an_read_source(c, p)) == NULL) {
                    json_decref(parts);
                    return -1;
                }
                json_array_append_new(parts, m);
            } else if (llm_xl_unsupported(c, "tool_result content type",
                                          t) != 0)
            {
                json_decref(parts);
                return -1;
            }
        }
    }
    tr = json_pack("{s:s,s:s,s:o}", "type", "tool_result", "id", id,
                   "content", parts);
    llm_xl_copy(tr, "name", names, id);
    if (json_is_true(json_object_get(b, "is_error"))) {
        json_object_set_new(tr, "is_error", json_true());
    }
    llm_xl_copy(tr, "cache_control", b, "cache_control");
    json_array_append_new(dst, tr);
    return 0;
}

static int
llm_an_read_block(llm_xl_ctx_t *c, const json_t *b, json_t *dst,
                  json_t *names)
{
    const char  *t = llm_xl_str(b, "type");
    json_t      *m;

    if (t == NULL) {
        return llm_xl_error(c, "content block without a type");
    }
    if (strcmp(t, "text") == 0) {
        if (!json_is_string(json_object_get(b, "text"))) {
            return llm_xl_error(c, "text block without text");
        }
        llm_xl_part_text(dst, llm_xl_str(b, "text"),
                         json_string_length(json_object_get(b, "text")),
                         json_object_get(b, "cache_control"));
        return 0;
    }
    if (strcmp(t, "image") == 0 || strcmp(t, "document") == 0) {
        if ((m = llm_an_read_source(c, b)) == NULL) {
            return -1;
        }
        json_array_append_new(dst, m);
        return 0;
    }
    if (strcmp(t, "tool_use") == 0) {
        if (!llm_xl_str(b, "id") || !llm_xl_str(b, "name")) {
            return llm_xl_error(c, "tool_use needs id and name");
        }
        m = json_pack("{s:s,s:O,s:O}", "type", "tool_call",
                      "id", json_object_get(b, "id"),
                      "name", json_object_get(b, "name"));
        json_object_set_new(m, "input",
                            json_is_object(json_object_get(b, "input"))
                            ? json_incref(json_object_get(b, "input"))
                            : json_object());
        json_array_append_new(dst, m);
        json_object_set(names, llm_xl_str(b, "id"), json_object_get(b, "name"));
        return 0;
    }
    if (strcmp(t, "tool_result") == 0) {
        return llm_an_read_tool_result(c, b, dst, names);
    }
    if (strcmp(t, "thinking") == 0) {
        m = json_pack("{s:s,s:s}", "type", "thinking", "thinking",
                      llm_xl_str(b, "thinking") ? llm_xl_str(b, "thinking")
                                                : "");
        llm_xl_copy(m, "signature", b, "signature");
        json_array_append_new(dst, m);
        return 0;
    }
    if (strcmp(t, "redacted_thinking") == 0) {
        json_array_append_new(dst, json_pack("{s:s,s:s}", "type",
                              "redacted_thinking", "data",
                              llm_xl_str(b, "data") ? llm_xl_str(b, "data")
                                                    : ""));
        return 0;
    }
    return llm_xl_unsupported(c, t, "content block type");
}

static int
llm_an_read_tools(llm_xl_ctx_t *c, const json_t *tools, json_t *ir)
{
    json_t  *out = json_array(), *t, *d;
    size_t   i;

    json_array_foreach(tools, i, t) {
        const char  *type = llm_xl_str(t, "type");

        if (type && strcmp(type, "custom") != 0) {
            /* server tools (web_search_..., bash_..., text_editor_...) run
               inside Anthropic's API; other providers have no such tool */
            if (llm_xl_unsupported(c, "server tools", type) != 0) {
                json_decref(out);
                return -1;
            }
            continue;
        }
        if (!llm_xl_str(t, "name")) {
            json_decref(out);
            return llm_xl_error(c, "tools[%zu].name is required", i);
        }
        d = json_pack("{s:O}", "name", json_object_get(t, "name"));
        llm_xl_copy(d, "description", t, "description");
        llm_xl_copy(d, "parameters", t, "input_schema");
        llm_xl_copy(d, "cache_control", t, "cache_control");
        json_array_append_new(out, d);
    }
    json_object_set_new(ir, "tools", out);
    return 0;
}

json_t *
llm_req_read_anthropic(llm_xl_ctx_t *c, json_t *body)
{
    /*
     * The last ones steer Anthropic's own service (context editing, output
     * effort, containers) and have no counterpart at other providers;
     * Claude Code sends them on every request, so they are dropped
     * whatever drop_params says.
     */
    static const char  *known[] = {
        "model", "messages", "system", "max_tokens", "temperature", "top_p",
        "top_k", "stop_sequences", "stream", "metadata", "tools",
        "tool_choice", "thinking", "service_tier",
        "context_management", "output_config", "container",
    };
    json_t      *ir, *names, *msgs, *m, *v, *b;
    const char  *key, *role;
    size_t       i, k;

    msgs = json_object_get(body, "messages");
    if (!json_is_array(msgs)) {
        llm_xl_error(c, "messages: field required");
        return NULL;
    }
    ir = json_pack("{s:[],s:[]}", "system", "messages");
    names = json_object();

    v = json_object_get(body, "system");
    if (json_is_string(v)) {
        llm_xl_part_text(json_object_get(ir, "system"), json_string_value(v),
                         json_string_length(v), NULL);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, b) {
            if (!json_is_string(json_object_get(b, "text"))) {
                llm_xl_error(c, "system blocks must be text blocks");
                goto fail;
            }
            llm_xl_part_text(json_object_get(ir, "system"),
                             llm_xl_str(b, "text"),
                             json_string_length(json_object_get(b, "text")),
                             json_object_get(b, "cache_control"));
        }
    }

    json_array_foreach(msgs, i, m) {
        json_t  *parts = json_array();
        json_t  *content = json_object_get(m, "content");

        role = llm_xl_str(m, "role");

        /*
         * Claude Code sends system-role messages in the middle of the
         * conversation; they join the system prompt, in order.
         */
        if (role != NULL && strcmp(role, "system") == 0) {
            json_decref(parts);

            if (json_is_string(content)) {
                llm_xl_part_text(json_object_get(ir, "system"),
                                 json_string_value(content),
                                 json_string_length(content), NULL);

            } else if (json_is_array(content)) {
                json_array_foreach(content, k, b) {
                    if (json_is_string(json_object_get(b, "text"))) {
                        llm_xl_part_text(json_object_get(ir, "system"),
                            llm_xl_str(b, "text"),
                            json_string_length(json_object_get(b, "text")),
                            json_object_get(b, "cache_control"));
                    }
                }
            }

            continue;
        }

        if (role == NULL || (strcmp(role, "user") && strcmp(role, "assistant")))
        {
            json_decref(parts);
            llm_xl_error(c, "messages.%zu.role must be user or assistant", i);
            goto fail;
        }
        if (json_is_string(content)) {
            llm_xl_part_text(parts, json_string_value(content),
                             json_string_length(content), NULL);
        } else if (json_is_array(content)) {
            json_array_foreach(content, k, b) {
                if (llm_an_read_block(c, b, parts, names) != 0) {
                    json_decref(parts);
                    goto fail;
                }
            }
        } else {
            json_decref(parts);
            llm_xl_error(c, "messages.%zu.content must be a string or an "
                            "array", i);
            goto fail;
        }
        json_array_append_new(json_object_get(ir, "messages"),
                              json_pack("{s:s,s:o}", "role", role,
                                        "content", parts));
    }

    llm_xl_copy(ir, "max_tokens", body, "max_tokens");
    llm_xl_copy(ir, "temperature", body, "temperature");
    llm_xl_copy(ir, "top_p", body, "top_p");
    llm_xl_copy(ir, "top_k", body, "top_k");
    v = json_object_get(body, "stop_sequences");
    if (json_is_array(v) && json_array_size(v)) {
        json_object_set(ir, "stop", v);
    }
    llm_xl_copy(ir, "user", json_object_get(body, "metadata"), "user_id");

    v = json_object_get(body, "tools");
    if (json_is_array(v) && json_array_size(v)
        && llm_an_read_tools(c, v, ir) != 0)
    {
        goto fail;
    }
    v = json_object_get(body, "tool_choice");
    if (json_is_object(v)) {
        key = llm_xl_str(v, "type");
        if (key && strcmp(key, "tool") == 0 && llm_xl_str(v, "name")) {
            json_object_set_new(ir, "tool_choice", json_pack("{s:s,s:O}",
                                "type", "tool", "name",
                                json_object_get(v, "name")));
        } else if (key && (strcmp(key, "auto") == 0 || strcmp(key, "none") == 0
                           || strcmp(key, "any") == 0))
        {
            json_object_set_new(ir, "tool_choice", json_pack("{s:s}", "type",
                                strcmp(key, "any") == 0 ? "required" : key));
        } else {
            llm_xl_error(c, "tool_choice.type must be auto, any, tool or none");
            goto fail;
        }
        if (json_is_true(json_object_get(v, "disable_parallel_tool_use"))) {
            json_object_set_new(ir, "parallel_tool_calls", json_false());
        }
    }
    v = json_object_get(body, "thinking");
    key = llm_xl_str(v, "type");
    if (key && strcmp(key, "enabled") == 0) {
        json_object_set_new(ir, "thinking", json_pack("{s:I}", "budget_tokens",
            json_integer_value(json_object_get(v, "budget_tokens"))));
    } else if (key && strcmp(key, "adaptive") == 0) {
        json_object_set_new(ir, "thinking", json_pack("{s:I}", "budget_tokens",
                            (json_int_t) 2048));
        json_object_set_new(ir, "reasoning_effort", json_string("medium"));
    }

    if (llm_xl_check_fields(c, body, known, sizeof(known) / sizeof(known[0]),
                            NULL, 0)
        != 0)
    {
        goto fail;
    }
    json_decref(names);
    return ir;

fail:
    json_decref(names);
    json_decref(ir);
    return NULL;
}

/* ------------------------------------------------------------ writing */

static json_t *
llm_an_media_block(const json_t *p)
{
    const char  *mt = llm_xl_str(p, "media_type");
    const char  *type = mt && strncmp(mt, "image/", 6) != 0 ? "document"
                                                            : "image";
    json_t      *b;

    if (llm_xl_str(p, "url")) {
        b = json_pack("{s:s,s:{s:s,s:O}}", "type",
                      mt && strcmp(mt, "application/pdf") == 0 ? "document"
                                                               : "image",
                      "source", "type", "url", "url", json_object_get(p, "url"));
    } else {
        b = json_pack("{s:s,s:{s:s,s:s,s:O}}", "type", type, "source",
                      "type", "base64", "media_type", mt ? mt : "image/png",
                      "data", json_object_get(p, "data"));
    }
    llm_xl_copy(b, "cache_control", p, "cache_control");
    return b;
}

static json_t *
llm_an_text_block(const json_t *p)
{
    json_t  *b = json_pack("{s:s,s:O}", "type", "text", "text",
                           json_object_get(p, "text"));

    llm_xl_copy(b, "cache_control", p, "cache_control");
    return b;
}

/* IR parts -> Anthropic blocks; tool results first as the API requires */
static void
llm_an_write_parts(const json_t *parts, const char *role, json_t *first,
                   json_t *rest)
{
    json_t  *p, *b, *inner, *q;
    size_t   i, k;

    json_array_foreach(parts, i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "text") == 0) {
            if (json_string_length(json_object_get(p, "text")) == 0) {
                continue;           /* the API refuses empty text blocks */
            }
            json_array_append_new(rest, llm_an_text_block(p));
        } else if (strcmp(t, "media") == 0) {
            json_array_append_new(rest, llm_an_media_block(p));
        } else if (strcmp(t, "tool_call") == 0) {
            json_array_append_new(rest, json_pack("{s:s,s:O,s:O,s:O}",
                "type", "tool_use", "id", json_object_get(p, "id"),
                "name", json_object_get(p, "name"),
                "input", json_object_get(p, "input")));
        } else if (strcmp(t, "tool_result") == 0) {
            inner = json_array();
            json_array_foreach(json_object_get(p, "content"), k, q) {
                if (strcmp(llm_xl_str(q, "type"), "text") == 0) {
                    json_array_append_new(inner, llm_an_text_block(q));
                } else {
                    json_array_append_new(inner, llm_an_media_block(q));
                }
            }
            b = json_pack("{s:s,s:O,s:o}", "type", "tool_result",
                          "tool_use_id", json_object_get(p, "id"),
                          "content", inner);
            if (json_is_true(json_object_get(p, "is_error"))) {
                json_object_set_new(b, "is_error", json_true());
            }
            llm_xl_copy(b, "cache_control", p, "cache_control");
            json_array_append_new(first, b);
        } else if (strcmp(t, "thinking") == 0 && strcmp(role, "assistant") == 0
                   && llm_xl_str(p, "signature")
                   && *llm_xl_str(p, "signature"))
        {
            /* unsigned thinking (from DeepSeek-style reasoning_content)
               would be refused by the API: it is dropped */
            json_array_append_new(first, json_pack("{s:s,s:O,s:O}",
                "type", "thinking", "thinking", json_object_get(p, "thinking"),
                "signature", json_object_get(p, "signature")));
        } else if (strcmp(t, "redacted_thinking") == 0
                   && strcmp(role, "assistant") == 0)
        {
            json_array_append_new(first, json_pack("{s:s,s:O}", "type",
                "redacted_thinking", "data", json_object_get(p, "data")));
        }
    }
}

/* images (by URL or inline) and PDFs; nothing else (audio, video) */
static int
llm_an_media_ok(const json_t *p)
{
    const char  *mt = llm_xl_str(p, "media_type");

    if (mt == NULL) {
        return llm_xl_str(p, "url") != NULL;
    }
    return strcmp(mt, "image/jpeg") == 0 || strcmp(mt, "image/png") == 0
           || strcmp(mt, "image/gif") == 0 || strcmp(mt, "image/webp") == 0
           || strcmp(mt, "application/pdf") == 0;
}

/* tool_choice required or one named tool, with tools to choose from */
static int
llm_an_forces_tool(json_t *ir)
{
    const char  *type = llm_xl_str(json_object_get(ir, "tool_choice"),
                                   "type");

    return type && (strcmp(type, "required") == 0
                    || strcmp(type, "tool") == 0)
           && json_array_size(json_object_get(ir, "tools")) > 0;
}

json_t *
llm_req_write_anthropic(llm_xl_ctx_t *c, json_t *ir)
{
    json_t      *body, *msgs, *m, *v, *t, *sys, *p;
    json_t      *first = NULL, *rest = NULL;
    const char  *role, *prev = NULL, *model = c->o->model;
    json_int_t   max_tokens, budget = 0;
    size_t       i;

    if (llm_xl_filter_media(c, ir, llm_an_media_ok) != 0) {
        return NULL;
    }
    body = json_object();
    if (model == NULL) {
        model = c->o->client_model;
    }
    if (model) {
        json_object_set_new(body, "model", json_string(model));
    }

    /* consecutive same-role messages merge: Anthropic wants alternation and
       all tool results of a turn in one user message */
    msgs = json_array();
    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        role = llm_xl_str(m, "role");
        if (prev && strcmp(prev, role) != 0) {
            json_array_extend(first, rest);
            if (json_array_size(first)) {
                json_array_append_new(msgs, json_pack("{s:s,s:O}", "role",
                                                      prev, "content", first));
            }
            json_decref(first);
            json_decref(rest);
            first = rest = NULL;
        }
        if (first == NULL) {
            first = json_array();
            rest = json_array();
        }
        llm_an_write_parts(json_object_get(m, "content"), role, first, rest);
        prev = role;
    }
    if (prev) {
        json_array_extend(first, rest);
        if (json_array_size(first)) {
            json_array_append_new(msgs, json_pack("{s:s,s:O}", "role", prev,
                                                  "content", first));
        }
        json_decref(first);
        json_decref(rest);
    }

    v = json_object_get(ir, "thinking");
    if (v) {
        budget = json_integer_value(json_object_get(v, "budget_tokens"));
        if (budget < LLM_AN_MIN_THINKING) {
            budget = LLM_AN_MIN_THINKING;
        }
    }
    if (budget && llm_an_forces_tool(ir)) {
        /* Anthropic refuses thinking when tool_choice forces a tool use:
           the choice decides what the answer is, thinking only how it is
           reached, so thinking is what goes (a hint) */
        if (llm_xl_unsupported(c, "thinking with a forced tool_choice",
                               "tool_choice forces tool use") != 0)
        {
            json_decref(msgs);
            goto fail;
        }
        budget = 0;
    }
    v = json_object_get(ir, "max_tokens");
    max_tokens = json_is_integer(v) ? json_integer_value(v)
                 : c->o->default_max_tokens > 0 ? c->o->default_max_tokens
                 : LLM_AN_DEFAULT_MAX_TOKENS;
    if (budget && max_tokens <= budget) {
        /* thinking counts against max_tokens: keep the client's answer
           budget on top of the thinking budget */
        max_tokens += budget;
    }
    json_object_set_new(body, "max_tokens", json_integer(max_tokens));

    sys = json_array();
    json_array_foreach(json_object_get(ir, "system"), i, p) {
        if (json_string_length(json_object_get(p, "text"))) {
            json_array_append_new(sys, llm_an_text_block(p));
        }
    }
    if (json_array_size(sys)) {
        json_object_set(body, "system", sys);
    }
    json_decref(sys);
    json_object_set_new(body, "messages", msgs);

    if (budget) {
        json_object_set_new(body, "thinking", json_pack("{s:s,s:I}", "type",
                            "enabled", "budget_tokens", budget));
        v = json_object_get(ir, "temperature");
        if (v && json_number_value(v) != 1.0
            && llm_xl_unsupported(c, "temperature other than 1",
                                  "not allowed with thinking") != 0)
        {
            goto fail;
        }
    } else {
        llm_xl_copy(body, "temperature", ir, "temperature");
    }
    llm_xl_copy(body, "top_p", ir, "top_p");
    if (budget && json_object_get(ir, "top_k")) {
        if (llm_xl_unsupported(c, "top_k", "not allowed with thinking") != 0) {
            goto fail;
        }
    } else {
        llm_xl_copy(body, "top_k", ir, "top_k");
    }
    llm_xl_copy(body, "stop_sequences", ir, "stop");
    if (llm_xl_str(ir, "user")) {
        json_object_set_new(body, "metadata", json_pack("{s:O}", "user_id",
                            json_object_get(ir, "user")));
    }

    if (llm_xl_refuse_openai_only(c, ir) != 0) {
        goto fail;
    }

    v = json_object_get(ir, "tools");
    if (json_array_size(v)) {
        json_t  *out = json_array();

        json_array_foreach(v, i, t) {
            json_t  *d = json_pack("{s:O}", "name", json_object_get(t, "name"));

            llm_xl_copy(d, "description", t, "description");
            p = json_object_get(t, "parameters");
            json_object_set_new(d, "input_schema", p ? json_incref(p)
                : json_pack("{s:s,s:{}}", "type", "object", "properties"));
            llm_xl_copy(d, "cache_control", t, "cache_control");
            json_array_append_new(out, d);
        }
        json_object_set_new(body, "tools", out);
    }
    v = json_object_get(ir, "tool_choice");
    if (v || json_is_false(json_object_get(ir, "parallel_tool_calls"))) {
        const char  *type = v ? llm_xl_str(v, "type") : "auto";
        json_t      *tc;

        if (strcmp(type, "required") == 0) {
            type = "any";
        }
        tc = json_pack("{s:s}", "type", type);
        if (strcmp(type, "tool") == 0) {
            llm_xl_copy(tc, "name", v, "name");
        }
        if (json_is_false(json_object_get(ir, "parallel_tool_calls"))
            && strcmp(type, "none") != 0)
        {
            json_object_set_new(tc, "disable_parallel_tool_use", json_true());
        }
        if (json_array_size(json_object_get(body, "tools"))) {
            json_object_set_new(body, "tool_choice", tc);
        } else {
            json_decref(tc);    /* tool_choice without tools is refused */
        }
    }

    if (c->o->stream) {
        json_object_set_new(body, "stream", json_true());
    }
    return body;

fail:
    json_decref(body);
    return NULL;
}
