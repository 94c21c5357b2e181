/*
 * OpenAI Responses API request -> IR (see llm_xlate_int.h).  Responses is a
 * client format only: a provider that speaks it gets the body as it came
 * (passthrough), every other one gets the IR written in its own format.
 *
 * The input is a list of items rather than of messages: a message, a
 * function call and its output, a reasoning item are each one item.  Items
 * of one assistant turn (text, reasoning, calls) are gathered into one IR
 * assistant message, as a chat API expects them.
 */

#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

static json_t *
llm_rs_last_message(json_t *ir, const char *role)
{
    json_t  *msgs = json_object_get(ir, "messages");
    json_t  *last = json_array_get(msgs, json_array_size(msgs) - 1);
    json_t  *m;

    if (last && strcmp(llm_xl_str(last, "role"), role) == 0) {
        return json_object_get(last, "content");
    }
    m = json_pack("{s:s,s:[]}", "role", role, "content");
    json_array_append_new(msgs, m);
    return json_object_get(m, "content");
}

/* one input_image / input_file part -> a media part */
static int
llm_rs_read_media(llm_xl_ctx_t *c, const json_t *p, const char *t,
                  json_t *dst)
{
    const char  *url, *data;
    json_t      *m;

    if (strcmp(t, "input_image") == 0) {
        url = llm_xl_str(p, "image_url");
        if (url == NULL) {
            return llm_xl_unsupported(c, "input_image without image_url",
                                      "file ids are OpenAI-only");
        }
        m = llm_xl_media_from_url(url);
        if (m == NULL) {
            return llm_xl_error(c, "image_url must be an http(s) URL or a "
                                   "base64 data URL");
        }
        json_array_append_new(dst, m);
        return 0;
    }

    /* input_file: file_data is a data URL (the SDKs build it so), or bare
       base64 with the type told by the file name */
    data = llm_xl_str(p, "file_data");
    url = llm_xl_str(p, "file_url");
    if (data) {
        if (strncmp(data, "data:", 5) == 0) {
            m = llm_xl_media_from_url(data);
        } else {
            const char  *fn = llm_xl_str(p, "filename");
            size_t       n = fn ? strlen(fn) : 0;
            const char  *mt = (n > 4 && strcmp(fn + n - 4, ".pdf") == 0)
                              ? "application/pdf" : "application/octet-stream";

            m = json_pack("{s:s,s:s,s:s}", "type", "media", "media_type", mt,
                          "data", data);
        }
    } else if (url) {
        m = json_pack("{s:s,s:s}", "type", "media", "url", url);
    } else {
        return llm_xl_unsupported(c, "input_file without file_data",
                                  "file ids are OpenAI-only");
    }
    if (m == NULL) {
        return llm_xl_error(c, "file_data must be base64 or a base64 data "
                               "URL");
    }
    json_array_append_new(dst, m);
    return 0;
}

/* a content list (or string) of a message, or a function_call_output */
static int
llm_rs_read_content(llm_xl_ctx_t *c, const json_t *content, json_t *dst,
                    int media_ok)
{
    const char  *t;
    json_t      *p, *tx;
    size_t       i;

    if (json_is_string(content)) {
        llm_xl_part_text(dst, json_string_value(content),
                         json_string_length(content), NULL);
        return 0;
    }
    if (!json_is_array(content)) {
        return llm_xl_error(c, "content must be a string or an array");
    }
    json_array_foreach(content, i, p) {
        t = llm_xl_str(p, "type");
        if (t == NULL) {
            return llm_xl_error(c, "content part without a type");
        }
        if (strcmp(t, "input_text") == 0 || strcmp(t, "output_text") == 0
            || strcmp(t, "text") == 0 || strcmp(t, "refusal") == 0)
        {
            tx = json_object_get(p, strcmp(t, "refusal") == 0 ? "refusal"
                                                              : "text");
            if (!json_is_string(tx)) {
                return llm_xl_error(c, "%s part without text", t);
            }
            llm_xl_part_text(dst, json_string_value(tx),
                             json_string_length(tx), NULL);

        } else if (media_ok && (strcmp(t, "input_image") == 0
                                || strcmp(t, "input_file") == 0))
        {
            if (llm_rs_read_media(c, p, t, dst) != 0) {
                return -1;
            }

        } else if (llm_xl_unsupported(c, t, "content part type") != 0) {
            return -1;
        }
    }
    return 0;
}

static int
llm_rs_read_message(llm_xl_ctx_t *c, const json_t *item, json_t *ir)
{
    const char  *role = llm_xl_str(item, "role");
    json_t      *content = json_object_get(item, "content");
    json_t      *dst;

    if (role == NULL) {
        return llm_xl_error(c, "input message without role");
    }
    if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
        /* as for chat: merged, in order, into the system prompt */
        return llm_rs_read_content(c, content, json_object_get(ir, "system"),
                                   0);
    }
    if (strcmp(role, "user") == 0) {
        dst = llm_rs_last_message(ir, "user");
        return llm_rs_read_content(c, content, dst, 1);
    }
    if (strcmp(role, "assistant") == 0) {
        dst = llm_rs_last_message(ir, "assistant");
        return llm_rs_read_content(c, content, dst, 0);
    }
    return llm_xl_unsupported(c, role, "message role");
}

static int
llm_rs_read_call(llm_xl_ctx_t *c, const json_t *item, json_t *ir,
                 json_t *names)
{
    const char  *id = llm_xl_str(item, "call_id");
    const char  *name = llm_xl_str(item, "name");
    const char  *ns = llm_xl_str(item, "namespace");
    const char  *args = llm_xl_str(item, "arguments");
    json_t      *input = NULL, *qname;

    if (id == NULL || name == NULL) {
        return llm_xl_error(c, "function_call needs call_id and name");
    }
    /* a call to a member of a namespace tool: the name it was given */
    qname = ns && *ns ? llm_xl_tool_qualified(ns, name) : json_string(name);
    if (qname == NULL) {
        return llm_xl_error(c, "function_call name must be UTF-8");
    }
    if (args && *args) {
        input = llm_json_load(args, strlen(args), LLM_XL_LOAD_FLAGS, NULL);
    }
    if (!json_is_object(input)) {
        /* the model produced something unparsable; keep the call */
        json_decref(input);
        input = json_object();
    }
    json_array_append_new(llm_rs_last_message(ir, "assistant"),
                          json_pack("{s:s,s:s,s:O,s:o}", "type", "tool_call",
                                    "id", id, "name", qname, "input", input));
    json_object_set_new(names, id, qname);
    return 0;
}

static int
llm_rs_read_call_output(llm_xl_ctx_t *c, const json_t *item, json_t *ir,
                        const json_t *names)
{
    const char  *id = llm_xl_str(item, "call_id");
    json_t      *out = json_object_get(item, "output");
    json_t      *content, *tr;

    if (id == NULL || out == NULL) {
        return llm_xl_error(c, "function_call_output needs call_id and "
                               "output");
    }
    content = json_array();
    if (llm_rs_read_content(c, out, content, 1) != 0) {
        json_decref(content);
        return -1;
    }
    tr = json_pack("{s:s,s:s,s:o}", "type", "tool_result", "id", id,
                   "content", content);
    llm_xl_copy(tr, "name", names, id);
    json_array_append_new(llm_rs_last_message(ir, "user"), tr);
    return 0;
}

/* a reasoning item: its summary is the thinking text, and its
   encrypted_content the signature the gateway gave it on the way out (or,
   without a summary, the data of redacted thinking) */
static void
llm_rs_read_reasoning(const json_t *item, json_t *ir)
{
    llm_buf_t    text = LLM_BUF_INIT;
    const char  *sig = llm_xl_str(item, "encrypted_content");
    json_t      *p, *th;
    size_t       i;

    json_array_foreach(json_object_get(item, "summary"), i, p) {
        if (llm_xl_str(p, "text")) {
            if (text.len) {
                llm_buf_append(&text, "\n\n", 2);
            }
            llm_buf_append_str(&text, llm_xl_str(p, "text"));
        }
    }
    json_array_foreach(json_object_get(item, "content"), i, p) {
        if (llm_xl_str(p, "text")) {
            llm_buf_append_str(&text, llm_xl_str(p, "text"));
        }
    }
    if (text.len) {
        th = json_pack("{s:s,s:s%}", "type", "thinking", "thinking",
                       text.data, text.len);
        if (sig && *sig) {
            json_object_set_new(th, "signature", json_string(sig));
        }
        json_array_append_new(llm_rs_last_message(ir, "assistant"), th);

    } else if (sig && *sig) {
        /* what the gateway made of redacted thinking: no text, the data */
        json_array_append_new(llm_rs_last_message(ir, "assistant"),
            json_pack("{s:s,s:s}", "type", "redacted_thinking", "data", sig));
    }
    llm_buf_free(&text);
}

static int
llm_rs_read_input(llm_xl_ctx_t *c, const json_t *input, json_t *ir)
{
    const char  *t;
    json_t      *item, *names;
    size_t       i;
    int          rc = 0;

    if (json_is_string(input)) {
        llm_xl_part_text(llm_rs_last_message(ir, "user"),
                         json_string_value(input), json_string_length(input),
                         NULL);
        return 0;
    }
    if (!json_is_array(input)) {
        return llm_xl_error(c, "input must be a string or an array of items");
    }
    names = json_object();
    json_array_foreach(input, i, item) {
        if (!json_is_object(item)) {
            rc = llm_xl_error(c, "input[%zu] must be an object", i);
            break;
        }
        t = llm_xl_str(item, "type");
        if (t == NULL || strcmp(t, "message") == 0) {
            rc = llm_rs_read_message(c, item, ir);
        } else if (strcmp(t, "function_call") == 0) {
            rc = llm_rs_read_call(c, item, ir, names);
        } else if (strcmp(t, "function_call_output") == 0) {
            rc = llm_rs_read_call_output(c, item, ir, names);
        } else if (strcmp(t, "reasoning") == 0) {
            llm_rs_read_reasoning(item, ir);
        } else if (strcmp(t, "item_reference") == 0) {
            rc = llm_xl_error(c, "input[%zu]: item_reference is not "
                                 "supported by %s models", i,
                              llm_api_name(c->to));
        } else {
            rc = llm_xl_error(c, "input item type %s is not supported by %s "
                                 "models", t, llm_api_name(c->to));
        }
        if (rc != 0) {
            break;
        }
    }
    json_decref(names);
    return rc;
}

/* the function tools of a namespace tool, each as <namespace>__<name> */
static int
llm_rs_read_namespace(llm_xl_ctx_t *c, const json_t *t, json_t *out,
                      size_t i)
{
    const char  *ns = llm_xl_str(t, "name"), *type;
    json_t      *m, *fn, *d;
    size_t       k;

    if (ns == NULL || !json_is_array(json_object_get(t, "tools"))) {
        return llm_xl_error(c, "tools[%zu]: a namespace tool needs a name "
                               "and tools", i);
    }
    json_array_foreach(json_object_get(t, "tools"), k, m) {
        type = llm_xl_str(m, "type");
        if (type == NULL || strcmp(type, "function") != 0
            || llm_xl_str(m, "name") == NULL)
        {
            return llm_xl_error(c, "tool %s in namespace %s is not "
                                   "supported by %s models: only function "
                                   "tools can be translated",
                                type ? type : "(without a type)", ns,
                                llm_api_name(c->to));
        }
        fn = json_pack("{s:o}", "name",
                       llm_xl_tool_qualified(ns, llm_xl_str(m, "name")));
        llm_xl_copy(fn, "description", m, "description");
        llm_xl_copy(fn, "parameters", m, "parameters");
        d = llm_xl_function_tool(c, fn, "name", i);
        json_decref(fn);
        if (d == NULL) {
            return -1;
        }
        json_array_append_new(out, d);
    }
    return 0;
}

static int
llm_rs_read_tools(llm_xl_ctx_t *c, const json_t *tools, json_t *ir)
{
    json_t      *out = json_array(), *t, *d;
    const char  *type;
    size_t       i;

    json_array_foreach(tools, i, t) {
        type = llm_xl_str(t, "type");
        if (type && strcmp(type, "namespace") == 0) {
            if (llm_rs_read_namespace(c, t, out, i) != 0) {
                json_decref(out);
                return -1;
            }
            continue;
        }
        if (type == NULL || strcmp(type, "function") != 0) {
            /* built-in tools (web_search, file_search, code_interpreter,
               ...) run on OpenAI's side: dropping one would change what
               the model can do, so it is refused whatever drop_params */
            json_decref(out);
            return llm_xl_error(c, "tool %s is not supported by %s models: "
                                   "only function tools can be translated",
                                type ? type : "(without a type)",
                                llm_api_name(c->to));
        }
        d = llm_xl_function_tool(c, t, "name", i);
        if (d == NULL) {
            json_decref(out);
            return -1;
        }
        json_array_append_new(out, d);
    }
    json_object_set_new(ir, "tools", out);
    return 0;
}

static int
llm_rs_read_tool_choice(llm_xl_ctx_t *c, const json_t *tc, json_t *ir)
{
    const char  *s = json_string_value(tc);

    if (s) {
        return llm_xl_tool_choice_mode(c, s, ir);
    }
    s = llm_xl_str(tc, "type");
    if (s && strcmp(s, "function") == 0 && llm_xl_str(tc, "name")) {
        s = llm_xl_str(tc, "namespace");
        json_object_set_new(ir, "tool_choice", json_pack("{s:s,s:o}",
            "type", "tool", "name", s && *s
                ? llm_xl_tool_qualified(s, llm_xl_str(tc, "name"))
                : json_string(llm_xl_str(tc, "name"))));
        return 0;
    }
    if (s && strcmp(s, "allowed_tools") == 0) {
        /* a subset cannot be expressed everywhere; the mode can */
        s = llm_xl_str(tc, "mode");
        json_object_set_new(ir, "tool_choice", json_pack("{s:s}", "type",
                            s && strcmp(s, "required") == 0 ? "required"
                                                            : "auto"));
        return 0;
    }
    return llm_xl_error(c, "tool_choice %s is not supported by %s models",
                        s ? s : "(without a type)", llm_api_name(c->to));
}

/* text.format -> the IR's response_format (OpenAI chat shape) */
static int
llm_rs_read_text(llm_xl_ctx_t *c, const json_t *text, json_t *ir)
{
    const json_t  *f = json_object_get(text, "format");
    const char    *t = llm_xl_str(f, "type");
    json_t        *js;

    if (t == NULL || strcmp(t, "text") == 0) {
        return 0;
    }
    if (strcmp(t, "json_object") == 0) {
        json_object_set_new(ir, "response_format",
                            json_pack("{s:s}", "type", "json_object"));
        return 0;
    }
    if (strcmp(t, "json_schema") != 0) {
        return llm_xl_unsupported(c, "text.format", t);
    }
    if (!json_is_object(json_object_get(f, "schema"))) {
        return llm_xl_error(c, "text.format.schema must be an object");
    }
    js = json_pack("{s:O}", "schema", json_object_get(f, "schema"));
    llm_xl_copy(js, "name", f, "name");
    llm_xl_copy(js, "description", f, "description");
    llm_xl_copy(js, "strict", f, "strict");
    json_object_set_new(ir, "response_format", json_pack("{s:s,s:o}", "type",
                        "json_schema", "json_schema", js));
    return 0;
}

json_t *
llm_req_read_responses(llm_xl_ctx_t *c, json_t *body)
{
    /* bookkeeping of the Responses API or of OpenAI's side (storage,
       caching, service tier, what to include in the answer): no meaning
       for the provider of a translated request */
    static const char  *ignored[] = {
        "model", "input", "instructions", "tools", "tool_choice",
        "parallel_tool_calls", "max_output_tokens", "temperature", "top_p",
        "reasoning", "text", "metadata", "store", "include", "truncation",
        "user", "stream", "stream_options", "service_tier",
        "prompt_cache_key", "safety_identifier", "previous_response_id",
        "top_k", "background", "client_metadata",
    };
    json_t      *ir, *v;
    const char  *key, *s;
    size_t       i;
    int          known;

    ir = json_pack("{s:[],s:[]}", "system", "messages");

    s = llm_xl_str(body, "instructions");
    if (s && *s) {
        llm_xl_part_text(json_object_get(ir, "system"), s, strlen(s), NULL);
    }
    v = json_object_get(body, "input");
    if (v == NULL || json_is_null(v)) {
        llm_xl_error(c, "input is required");
        goto fail;
    }
    if (llm_rs_read_input(c, v, ir) != 0) {
        goto fail;
    }

    /* previous_response_id: the gateway put the stored conversation in
       front of the input before the translation (llm_rstore.c) */
    if (json_is_true(json_object_get(body, "background"))) {
        llm_xl_error(c, "background is not supported by %s models",
                     llm_api_name(c->to));
        goto fail;
    }

    v = json_object_get(body, "max_output_tokens");
    if (json_is_integer(v)) {
        json_object_set(ir, "max_tokens", v);
    }
    llm_xl_copy(ir, "temperature", body, "temperature");
    llm_xl_copy(ir, "top_p", body, "top_p");
    if (json_is_number(json_object_get(body, "top_k"))) {
        json_object_set(ir, "top_k", json_object_get(body, "top_k"));
    }

    v = json_object_get(body, "tools");
    if (json_is_array(v) && json_array_size(v)
        && llm_rs_read_tools(c, v, ir) != 0)
    {
        goto fail;
    }
    v = json_object_get(body, "tool_choice");
    if (v && !json_is_null(v) && llm_rs_read_tool_choice(c, v, ir) != 0) {
        goto fail;
    }
    llm_xl_copy(ir, "parallel_tool_calls", body, "parallel_tool_calls");

    v = json_object_get(body, "text");
    if (json_is_object(v) && llm_rs_read_text(c, v, ir) != 0) {
        goto fail;
    }

    s = llm_xl_str(json_object_get(body, "reasoning"), "effort");
    if (s && llm_xl_effort_budget(s)) {
        json_object_set_new(ir, "reasoning_effort", json_string(s));
        json_object_set_new(ir, "thinking", json_pack("{s:I}", "budget_tokens",
                            (json_int_t) llm_xl_effort_budget(s)));
    }
    llm_xl_copy(ir, "user", body, "user");

    json_object_foreach(body, key, v) {
        known = 0;
        for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
            known |= strcmp(key, ignored[i]) == 0;
        }
        if (!known && !json_is_null(v)
            && llm_xl_unsupported(c, key, NULL) != 0)
        {
            goto fail;
        }
    }
    return ir;

fail:
    json_decref(ir);
    return NULL;
}
