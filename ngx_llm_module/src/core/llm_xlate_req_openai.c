/*
 * OpenAI chat-completions request <-> IR (see llm_xlate_int.h).
 */

#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

/* ------------------------------------------------------------ reading */

/* text parts of a string-or-array content into `dst` (system, tool) */
static int
llm_oa_read_text(llm_xl_ctx_t *c, const json_t *content, json_t *dst,
                 const char *where)
{
    size_t   i;
    json_t  *p;

    if (json_is_string(content)) {
        llm_xl_part_text(dst, json_string_value(content),
                         json_string_length(content), NULL);
        return 0;
    }
    if (json_is_null(content) || content == NULL) {
        return 0;
    }
    if (!json_is_array(content)) {
        return llm_xl_error(c, "%s content must be a string or an array",
                            where);
    }
    json_array_foreach(content, i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (t && strcmp(t, "text") == 0
            && json_is_string(json_object_get(p, "text")))
        {
            llm_xl_part_text(dst, llm_xl_str(p, "text"),
                             json_string_length(json_object_get(p, "text")),
                             json_object_get(p, "cache_control"));
        } else if (llm_xl_unsupported(c, where, "only text parts") != 0) {
            return -1;
        }
    }
    return 0;
}

static int
llm_oa_read_user_part(llm_xl_ctx_t *c, const json_t *p, json_t *dst)
{
    const char  *t = llm_xl_str(p, "type");
    json_t      *m;

    if (t == NULL) {
        return llm_xl_error(c, "content part without a type");
    }
    if (strcmp(t, "text") == 0) {
        if (!json_is_string(json_object_get(p, "text"))) {
            return llm_xl_error(c, "text part without text");
        }
        llm_xl_part_text(dst, llm_xl_str(p, "text"),
                         json_string_length(json_object_get(p, "text")),
                         json_object_get(p, "cache_control"));
        return 0;
    }
    if (strcmp(t, "image_url") == 0) {
        const json_t  *iu = json_object_get(p, "image_url");
        const char    *url = json_is_string(iu) ? json_string_value(iu)
                                                : llm_xl_str(iu, "url");

        m = llm_xl_media_from_url(url);
        if (m == NULL) {
            return llm_xl_error(c, "image_url must be an http(s) URL or a "
                                   "base64 data URL");
        }
        if (json_object_get(p, "cache_control")) {
            json_object_set(m, "cache_control", json_object_get(p, "cache_control"));
        }
        json_array_append_new(dst, m);
        return 0;
    }
    if (strcmp(t, "file") == 0) {
        const json_t  *f = json_object_get(p, "file");
        const char    *data = llm_xl_str(f, "file_data");

        if (data == NULL) {
            return llm_xl_unsupported(c, "file parts without file_data",
                                      "file ids are OpenAI-only");
        }
        m = llm_xl_media_from_url(data);
        if (m == NULL || json_object_get(m, "url")) {
            json_decref(m);
            return llm_xl_error(c, "file_data must be a base64 data URL");
        }
        json_array_append_new(dst, m);
        return 0;
    }
    return llm_xl_unsupported(c, t, "content part type");
}

static int
llm_oa_read_tool_calls(llm_xl_ctx_t *c, const json_t *calls, json_t *dst,
                       json_t *names)
{
    size_t   i;
    json_t  *tc;

    json_array_foreach(calls, i, tc) {
        const json_t  *fn = json_object_get(tc, "function");
        const char    *id = llm_xl_str(tc, "id");
        const char    *name = llm_xl_str(fn, "name");
        const char    *args = llm_xl_str(fn, "arguments");
        json_t        *input = NULL;

        if (id == NULL || name == NULL) {
            return llm_xl_error(c, "tool_calls[%zu] needs id and "
                                   "function.name", i);
        }
        if (args && *args) {
            input = llm_json_load(args, strlen(args), LLM_XL_LOAD_FLAGS, NULL);
        }
        if (!json_is_object(input)) {
            /* the model produced something unparsable; keep the call */
            json_decref(input);
            input = json_object();
        }
        json_array_append_new(dst, json_pack("{s:s,s:s,s:s,s:o}",
                              "type", "tool_call", "id", id, "name", name,
                              "input", input));
        json_object_set(names, id, json_object_get(fn, "name"));
    }
    return 0;
}

static int
llm_oa_read_message(llm_xl_ctx_t *c, const json_t *msg, json_t *ir,
                    json_t *names)
{
    const char  *role = llm_xl_str(msg, "role");
    json_t      *content = json_object_get(msg, "content");
    json_t      *parts, *p;
    size_t       i;
    int          rc = 0;

    if (role == NULL) {
        return llm_xl_error(c, "message without role");
    }
    if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
        /* anywhere in the conversation: merged into the system prompt */
        return llm_oa_read_text(c, content, json_object_get(ir, "system"),
                                "system message");
    }

    parts = json_array();
    if (strcmp(role, "user") == 0) {
        if (json_is_string(content)) {
            llm_xl_part_text(parts, json_string_value(content),
                             json_string_length(content), NULL);
        } else if (json_is_array(content)) {
            json_array_foreach(content, i, p) {
                if ((rc = llm_oa_read_user_part(c, p, parts)) != 0) {
                    break;
                }
            }
        } else {
            rc = llm_xl_error(c, "user message content must be a string "
                                 "or an array");
        }

    } else if (strcmp(role, "assistant") == 0) {
        const json_t  *blocks = json_object_get(msg, "thinking_blocks");
        const char    *rc_text = llm_xl_str(msg, "reasoning_content");

        if (json_is_array(blocks) && json_array_size(blocks)) {
            /* LiteLLM's thinking_blocks keep Anthropic's signatures */
            json_array_foreach(blocks, i, p) {
                const char  *bt = llm_xl_str(p, "type");

                if (bt && strcmp(bt, "thinking") == 0) {
                    json_t  *th = json_pack("{s:s,s:O}", "type", "thinking",
                                            "thinking",
                                            json_object_get(p, "thinking"));
                    llm_xl_copy(th, "signature", p, "signature");
                    json_array_append_new(parts, th);
                } else if (bt && strcmp(bt, "redacted_thinking") == 0) {
                    json_array_append_new(parts, json_pack("{s:s,s:O}",
                        "type", "redacted_thinking", "data",
                        json_object_get(p, "data")));
                }
            }
        } else if (rc_text && *rc_text) {
            json_array_append_new(parts, json_pack("{s:s,s:s}", "type",
                                  "thinking", "thinking", rc_text));
        }
        if (json_is_string(content)) {
            if (json_string_length(content)) {
                llm_xl_part_text(parts, json_string_value(content),
                                 json_string_length(content), NULL);
            }
        } else if (json_is_array(content)) {
            json_array_foreach(content, i, p) {
                const char  *t = llm_xl_str(p, "type");
                const char  *key = t && strcmp(t, "refusal") == 0 ? "refusal"
                                                                  : "text";
                json_t      *tx = json_object_get(p, key);

                if (json_is_string(tx)) {
                    llm_xl_part_text(parts, json_string_value(tx),
                                     json_string_length(tx),
                                     json_object_get(p, "cache_control"));
                }
            }
        }
        if (json_object_get(msg, "function_call")
            && !json_is_null(json_object_get(msg, "function_call")))
        {
            rc = llm_xl_unsupported(c, "function_call", "use tool_calls");
        }
        if (rc == 0 && json_is_array(json_object_get(msg, "tool_calls"))) {
            rc = llm_oa_read_tool_calls(c, json_object_get(msg, "tool_calls"),
                                        parts, names);
        }

    } else if (strcmp(role, "tool") == 0) {
        const char  *id = llm_xl_str(msg, "tool_call_id");
        json_t      *tr, *trc = json_array();

        if (id == NULL) {
            json_decref(trc);
            json_decref(parts);
            return llm_xl_error(c, "tool message without tool_call_id");
        }
        rc = llm_oa_read_text(c, content, trc, "tool message");
        tr = json_pack("{s:s,s:s,s:o}", "type", "tool_result", "id", id,
                       "content", trc);
        llm_xl_copy(tr, "name", names, id);
        json_array_append_new(parts, tr);
        role = "user";

    } else {
        json_decref(parts);
        return llm_xl_unsupported(c, role, "message role");
    }

    if (rc != 0) {
        json_decref(parts);
        return -1;
    }
    json_array_append_new(json_object_get(ir, "messages"),
                          json_pack("{s:s,s:o}", "role", role,
                                    "content", parts));
    return 0;
}

static int
llm_oa_read_tools(llm_xl_ctx_t *c, const json_t *tools, json_t *ir)
{
    json_t  *out = json_array(), *t;
    size_t   i;

    json_array_foreach(tools, i, t) {
        const char    *type = llm_xl_str(t, "type");
        const json_t  *fn = json_object_get(t, "function");
        json_t        *d;

        if (type && strcmp(type, "function") != 0) {
            if (llm_xl_unsupported(c, "tools of a type other than function",
                                   type) != 0)
            {
                json_decref(out);
                return -1;
            }
            continue;
        }
        d = llm_xl_function_tool(c, fn, "function.name", i);
        if (d == NULL) {
            json_decref(out);
            return -1;
        }
        llm_xl_copy(d, "cache_control", t, "cache_control");
        json_array_append_new(out, d);
    }
    json_object_set_new(ir, "tools", out);
    return 0;
}

static int
llm_oa_read_tool_choice(llm_xl_ctx_t *c, const json_t *tc, json_t *ir)
{
    const char  *s = json_string_value(tc);

    if (s) {
        return llm_xl_tool_choice_mode(c, s, ir);
    }
    s = llm_xl_str(json_object_get(tc, "function"), "name");
    if (s == NULL) {
        return llm_xl_error(c, "tool_choice.function.name is required");
    }
    json_object_set_new(ir, "tool_choice",
                        json_pack("{s:s,s:s}", "type", "tool", "name", s));
    return 0;
}

json_t *
llm_req_read_openai(llm_xl_ctx_t *c, json_t *body)
{
    static const char  *numbers[] = {
        "temperature", "top_p", "top_k", "n", "seed", "presence_penalty",
        "frequency_penalty",
    };
    /* transport details or OpenAI-only bookkeeping with no meaning for
       another provider: always dropped without complaint */
    static const char  *ignored[] = {
        "model", "stream", "stream_options", "store", "metadata",
        "service_tier", "messages", "tools", "tool_choice", "max_tokens",
        "max_completion_tokens", "stop", "parallel_tool_calls",
        "response_format", "reasoning_effort", "user", "thinking",
    };
    json_t      *ir, *names, *msgs, *m, *v;
    const char  *key;
    size_t       i;

    msgs = json_object_get(body, "messages");
    if (!json_is_array(msgs)) {
        llm_xl_error(c, "messages is required and must be an array");
        return NULL;
    }
    ir = json_pack("{s:[],s:[]}", "system", "messages");
    names = json_object();

    json_array_foreach(msgs, i, m) {
        if (llm_oa_read_message(c, m, ir, names) != 0) {
            goto fail;
        }
    }

    /* any type: a limit that is not an integer is refused, not dropped */
    v = json_object_get(body, "max_completion_tokens");
    if (v == NULL || json_is_null(v)) {
        v = json_object_get(body, "max_tokens");
    }
    if (v != NULL && !json_is_null(v)) {
        json_object_set(ir, "max_tokens", v);
    }
    for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        v = json_object_get(body, numbers[i]);
        if (json_is_number(v)) {
            json_object_set(ir, numbers[i], v);
        }
    }
    v = json_object_get(body, "stop");
    if (json_is_string(v)) {
        json_object_set_new(ir, "stop", json_pack("[O]", v));
    } else if (json_is_array(v) && json_array_size(v)) {
        json_object_set(ir, "stop", v);
    }
    v = json_object_get(body, "tools");
    if (json_is_array(v) && json_array_size(v)
        && llm_oa_read_tools(c, v, ir) != 0)
    {
        goto fail;
    }
    v = json_object_get(body, "tool_choice");
    if (v && !json_is_null(v) && llm_oa_read_tool_choice(c, v, ir) != 0) {
        goto fail;
    }
    llm_xl_copy(ir, "parallel_tool_calls", body, "parallel_tool_calls");
    v = json_object_get(body, "response_format");
    if (json_is_object(v) && llm_xl_str(v, "type")
        && strcmp(llm_xl_str(v, "type"), "text") != 0)
    {
        json_object_set(ir, "response_format", v);
    }
    key = llm_xl_str(body, "reasoning_effort");
    if (key && llm_xl_effort_budget(key)) {
        json_object_set_new(ir, "reasoning_effort", json_string(key));
        json_object_set_new(ir, "thinking", json_pack("{s:I}", "budget_tokens",
                            (json_int_t) llm_xl_effort_budget(key)));
    }
    /* LiteLLM also accepts Anthropic's thinking param on OpenAI requests */
    v = json_object_get(body, "thinking");
    if (llm_xl_str(v, "type") && strcmp(llm_xl_str(v, "type"), "enabled") == 0
        && json_is_integer(json_object_get(v, "budget_tokens")))
    {
        json_object_set_new(ir, "thinking", json_pack("{s:O}", "budget_tokens",
                            json_object_get(v, "budget_tokens")));
    }
    llm_xl_copy(ir, "user", body, "user");

    /* LiteLLM's extension for Cohere: documents to ground the answer in,
       and cite; to any other provider it stays an unknown field */
    v = json_object_get(body, "documents");
    if (v && !json_is_null(v) && c->to == LLM_API_COHERE) {
        if (!json_is_array(v)) {
            llm_xl_error(c, "documents must be an array of strings or "
                         "objects");
            goto fail;
        }
        json_object_set(ir, "documents", v);
        json_object_del(body, "documents");     /* known now */
    }

    /* text completions: logprobs whole answers carry back (chat's
       logprobs + top_logprobs -> completions' logprobs: N) */
    if (c->to == LLM_API_OPENAI_TEXT && !c->o->stream
        && json_is_true(json_object_get(body, "logprobs")))
    {
        v = json_object_get(body, "top_logprobs");
        json_object_set_new(ir, "logprobs",
                            json_integer(json_is_integer(v)
                                         ? json_integer_value(v) : 0));
        json_object_del(body, "logprobs");
        json_object_del(body, "top_logprobs");
    }

    if (llm_xl_check_fields(c, body, numbers,
                            sizeof(numbers) / sizeof(numbers[0]), ignored,
                            sizeof(ignored) / sizeof(ignored[0]))
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
llm_oa_media_part(const json_t *p)
{
    const char  *mt = llm_xl_str(p, "media_type");
    char        *url = llm_xl_media_to_url(p);
    json_t      *j;

    if (url == NULL) {
        return NULL;
    }
    if (mt && strncmp(mt, "image/", 6) != 0 && llm_xl_str(p, "data")) {
        /* PDFs and other documents travel as file parts */
        j = json_pack("{s:s,s:{s:s,s:s}}", "type", "file", "file",
                      "filename", strcmp(mt, "application/pdf") == 0
                                  ? "document.pdf" : "document",
                      "file_data", url);
    } else {
        j = json_pack("{s:s,s:{s:s}}", "type", "image_url", "image_url",
                      "url", url);
    }
    free(url);
    return j;
}

/* user content: a plain string when it is a single text, else parts */
static json_t *
llm_oa_user_content(const json_t *parts)
{
    json_t  *arr = json_array(), *p, *j;
    size_t   i;

    json_array_foreach(parts, i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "text") == 0) {
            json_array_append_new(arr, json_pack("{s:s,s:O}", "type", "text",
                                  "text", json_object_get(p, "text")));
        } else if (strcmp(t, "media") == 0 && (j = llm_oa_media_part(p))) {
            json_array_append_new(arr, j);
        }
    }
    if (json_array_size(arr) == 1
        && strcmp(llm_xl_str(json_array_get(arr, 0), "type"), "text") == 0)
    {
        j = json_incref(json_object_get(json_array_get(arr, 0), "text"));
        json_decref(arr);
        return j;
    }
    return arr;
}

/* a tool result's content as the string a role:tool message carries */
static json_t *
llm_oa_tool_content(const json_t *tr, json_t *extra_media)
{
    const json_t  *content = json_object_get(tr, "content");
    char          *text;
    json_t        *j, *p;
    size_t         i;

    json_array_foreach(content, i, p) {
        if (strcmp(llm_xl_str(p, "type"), "media") == 0) {
            /* role:tool carries text only: images follow as user content */
            json_array_append(extra_media, p);
        }
    }
    text = llm_xl_join_text(content, "\n");
    j = json_string(text ? text : "");
    free(text);
    if (j == NULL) {
        j = json_string("");
    }
    if (json_is_true(json_object_get(tr, "is_error"))) {
        /* OpenAI has no error flag: say it in the text */
        json_t  *e = json_sprintf("Error: %s", json_string_value(j));

        json_decref(j);
        j = e;
    }
    return j;
}

static void
llm_oa_write_user(json_t *msgs, const json_t *parts)
{
    json_t  *rest = json_array(), *media = json_array(), *p;
    size_t   i;

    json_array_foreach(parts, i, p) {
        if (strcmp(llm_xl_str(p, "type"), "tool_result") == 0) {
            json_array_append_new(msgs, json_pack("{s:s,s:O,s:o}",
                "role", "tool", "tool_call_id", json_object_get(p, "id"),
                "content", llm_oa_tool_content(p, media)));
        } else {
            json_array_append(rest, p);
        }
    }
    if (json_array_size(media)) {
        json_t  *note = json_pack("{s:s,s:s}", "type", "text", "text",
                                  "Images returned by the tool calls above:");

        json_array_insert_new(media, 0, note);
        json_array_extend(media, rest);
        json_decref(rest);
        rest = media;
        media = NULL;
    }
    if (json_array_size(rest)) {
        json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", "user",
                              "content", llm_oa_user_content(rest)));
    }
    json_decref(rest);
    json_decref(media);
}

static void
llm_oa_write_assistant(json_t *msgs, const json_t *parts)
{
    json_t  *calls = json_array(), *p, *m;
    char    *text = llm_xl_join_text(parts, "");
    char     sbuf[LLM_XL_TOOL_NAME_MAX + 1];
    size_t   i;

    json_array_foreach(parts, i, p) {
        if (strcmp(llm_xl_str(p, "type"), "tool_call") == 0) {
            char  *args = llm_json_dumps(json_object_get(p, "input"),
                                         LLM_XL_DUMP_FLAGS);

            json_array_append_new(calls, json_pack("{s:O,s:s,s:{s:s,s:s}}",
                "id", json_object_get(p, "id"), "type", "function",
                "function", "name",
                llm_xl_tool_name_short(llm_xl_str(p, "name"), sbuf),
                "arguments", args ? args : "{}"));
            free(args);
        }
        /* thinking is not sent back: OpenAI-style APIs (DeepSeek) refuse
           reasoning_content in input messages */
    }
    m = json_pack("{s:s}", "role", "assistant");
    json_object_set_new(m, "content", text ? json_string(text)
                                           : json_array_size(calls)
                                             ? json_null() : json_string(""));
    if (json_array_size(calls)) {
        json_object_set(m, "tool_calls", calls);
    }
    json_array_append_new(msgs, m);
    json_decref(calls);
    free(text);
}

/* models that take max_completion_tokens and refuse max_tokens */
static int
llm_oa_is_reasoning_model(const char *model)
{
    const char  *slash;

    if (model == NULL) {
        return 0;
    }
    slash = strrchr(model, '/');
    if (slash) {
        model = slash + 1;
    }
    return (model[0] == 'o' && model[1] >= '1' && model[1] <= '9')
           || strncmp(model, "gpt-5", 5) == 0;
}

/* images (URL or inline) and inline PDFs (file parts) */
static int
llm_oa_media_ok(const json_t *p)
{
    const char  *mt = llm_xl_str(p, "media_type");

    if (mt == NULL || strncmp(mt, "image/", 6) == 0) {
        return 1;
    }
    return strcmp(mt, "application/pdf") == 0 && llm_xl_str(p, "data");
}

json_t *
llm_req_write_openai(llm_xl_ctx_t *c, json_t *ir)
{
    json_t      *body, *msgs, *m, *v, *tools, *t;
    const char  *role, *model = c->o->model;
    char         sbuf[LLM_XL_TOOL_NAME_MAX + 1];
    size_t       i;

    if (llm_xl_filter_media(c, ir, llm_oa_media_ok) != 0) {
        return NULL;
    }
    if (model == NULL) {
        model = c->o->client_model;
    }
    /* cache_control has no OpenAI equivalent (caching is automatic) */
    body = llm_xl_chat_body(c, ir, &msgs);
    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        role = llm_xl_str(m, "role");
        if (strcmp(role, "assistant") == 0) {
            llm_oa_write_assistant(msgs, json_object_get(m, "content"));
        } else {
            llm_oa_write_user(msgs, json_object_get(m, "content"));
        }
    }
    json_object_set_new(body, "messages", msgs);

    v = json_object_get(ir, "max_tokens");
    if (v) {
        json_object_set(body, llm_oa_is_reasoning_model(model)
                              ? "max_completion_tokens" : "max_tokens", v);
    }
    llm_xl_copy(body, "response_format", ir, "response_format");
    if (json_object_get(ir, "top_k")
        && llm_xl_unsupported(c, "top_k", NULL) != 0)
    {
        goto fail;
    }
    v = json_object_get(ir, "n");
    if (json_is_integer(v) && json_integer_value(v) > 1
        && llm_xl_unsupported(c, "n > 1", "across API formats") != 0)
    {
        goto fail;
    }

    tools = json_object_get(ir, "tools");
    if (json_array_size(tools)) {
        json_t  *out = json_array();

        json_array_foreach(tools, i, t) {
            json_t  *fn = json_pack("{s:s}", "name",
                llm_xl_tool_name_short(llm_xl_str(t, "name"), sbuf));

            llm_xl_copy(fn, "description", t, "description");
            v = json_object_get(t, "parameters");
            json_object_set_new(fn, "parameters", v ? json_incref(v)
                : json_pack("{s:s,s:{}}", "type", "object", "properties"));
            json_array_append_new(out, json_pack("{s:s,s:o}", "type",
                                                 "function", "function", fn));
        }
        json_object_set_new(body, "tools", out);
    }
    v = json_object_get(ir, "tool_choice");
    if (v) {
        const char  *type = llm_xl_str(v, "type");

        if (strcmp(type, "tool") == 0) {
            json_object_set_new(body, "tool_choice", json_pack(
                "{s:s,s:{s:s}}", "type", "function", "function", "name",
                llm_xl_tool_name_short(llm_xl_str(v, "name"), sbuf)));
        } else {
            json_object_set_new(body, "tool_choice", json_string(type));
        }
    }
    llm_xl_copy(body, "parallel_tool_calls", ir, "parallel_tool_calls");

    v = json_object_get(ir, "thinking");
    if (v) {
        const char  *effort = llm_xl_str(ir, "reasoning_effort");
        json_int_t   b = json_integer_value(json_object_get(v, "budget_tokens"));

        if (effort == NULL) {
            effort = b <= 1024 ? "low" : b <= 2048 ? "medium" : "high";
        }
        json_object_set_new(body, "reasoning_effort", json_string(effort));
    }
    llm_xl_openai_common(c, body, ir);
    return body;

fail:
    json_decref(body);
    return NULL;
}
