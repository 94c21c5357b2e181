/*
 * Gemini generateContent request <-> IR (see llm_xlate_int.h).
 *
 * Two things need care here.  Gemini identifies tool calls by name and
 * order, not by id: ids are made up on the way in and matched by name on
 * the way back.  And Gemini's schema language is an OpenAPI subset that
 * rejects JSON-Schema keywords other providers accept ($schema,
 * additionalProperties, most formats), so schemas are converted.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_json_tree.h"
#include "llm_xlate_int.h"

/* ------------------------------------------------------------ schemas */

/* JSON Schema -> Gemini Schema */
static json_t *
llm_gm_schema_out(const json_t *s)
{
    static const char  *copied[] = {
        "description", "title", "nullable", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum",
        "minProperties", "maxProperties", "default", "example",
        "propertyOrdering",
    };
    static const char  *formats[] = {
        "enum", "date-time", "int32", "int64", "float", "double",
    };
    json_t      *out = json_object(), *v, *w, *props;
    const char  *key;
    size_t       i;
    char         up[32];

    if (!json_is_object(s)) {
        return out;
    }
    json_object_foreach((json_t *) s, key, v) {
        if (strcmp(key, "type") == 0) {
            const char  *t = json_string_value(v);

            if (json_is_array(v)) {
                /* ["string","null"] -> STRING + nullable */
                json_array_foreach(v, i, w) {
                    if (json_is_string(w)
                        && strcmp(json_string_value(w), "null") != 0)
                    {
                        t = json_string_value(w);
                    } else if (json_is_string(w)) {
                        json_object_set_new(out, "nullable", json_true());
                    }
                }
            }
            if (t) {
                for (i = 0; t[i] && i < sizeof(up) - 1; i++) {
                    up[i] = (char) toupper((unsigned char) t[i]);
                }
                up[i] = '\0';
                json_object_set_new(out, "type", json_string(up));
            }
        } else if (strcmp(key, "properties") == 0 && json_is_object(v)) {
            const char  *pk;

            props = json_object();
            json_object_foreach(v, pk, w) {
                json_object_set_new(props, pk, llm_gm_schema_out(w));
            }
            if (json_object_size(props)) {
                json_object_set_new(out, "properties", props);
            } else {
                json_decref(props);
            }
        } else if (strcmp(key, "items") == 0) {
            json_object_set_new(out, "items", llm_gm_schema_out(v));
        } else if ((strcmp(key, "anyOf") == 0 || strcmp(key, "oneOf") == 0)
                   && json_is_array(v))
        {
            json_t  *arr = json_array();

            json_array_foreach(v, i, w) {
                json_array_append_new(arr, llm_gm_schema_out(w));
            }
            json_object_set_new(out, "anyOf", arr);
        } else if (strcmp(key, "enum") == 0 && json_is_array(v)) {
            int  strings = 1;

            json_array_foreach(v, i, w) {
                strings &= json_is_string(w);
            }
            if (strings) {
                json_object_set(out, "enum", v);
            }
        } else if (strcmp(key, "const") == 0 && json_is_string(v)) {
            json_object_set_new(out, "enum", json_pack("[O]", v));
        } else if (strcmp(key, "required") == 0 && json_is_array(v)) {
            json_object_set(out, "required", v);
        } else if (strcmp(key, "format") == 0 && json_is_string(v)) {
            for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
                if (strcmp(json_string_value(v), formats[i]) == 0) {
                    json_object_set(out, "format", v);
                }
            }
        } else {
            for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
                if (strcmp(key, copied[i]) == 0) {
                    json_object_set(out, key, v);
                }
            }
        }
    }
    return out;
}

/* Gemini Schema -> JSON Schema: lower-case types, the rest is compatible */
static json_t *
llm_gm_schema_in(const json_t *s)
{
    json_t      *out, *v, *w;
    const char  *key;
    size_t       i;
    char         low[32];

    if (!json_is_object(s)) {
        return json_incref((json_t *) s);
    }
    out = json_object();
    json_object_foreach((json_t *) s, key, v) {
        if (strcmp(key, "type") == 0 && json_is_string(v)) {
            const char  *t = json_string_value(v);

            for (i = 0; t[i] && i < sizeof(low) - 1; i++) {
                low[i] = (char) tolower((unsigned char) t[i]);
            }
            low[i] = '\0';
            json_object_set_new(out, "type", json_string(low));
        } else if (strcmp(key, "properties") == 0 && json_is_object(v)) {
            json_t      *props = json_object();
            const char  *pk;

            json_object_foreach(v, pk, w) {
                json_object_set_new(props, pk, llm_gm_schema_in(w));
            }
            json_object_set_new(out, key, props);
        } else if (strcmp(key, "items") == 0) {
            json_object_set_new(out, key, llm_gm_schema_in(v));
        } else if (strcmp(key, "anyOf") == 0 && json_is_array(v)) {
            json_t  *arr = json_array();

            json_array_foreach(v, i, w) {
                json_array_append_new(arr, llm_gm_schema_in(w));
            }
            json_object_set_new(out, key, arr);
        } else if (strcmp(key, "nullable") && strcmp(key, "propertyOrdering")) {
            json_object_set(out, key, v);
        }
    }
    return out;
}

/* ------------------------------------------------------------ reading */

/* id of the oldest call to `name` not yet answered (and forget it) */
static const char *
llm_gm_take_call(json_t *pending, const char *name, char *buf, size_t size)
{
    json_t  *q = json_object_get(pending, name);

    if (json_array_size(q) == 0) {
        return NULL;
    }
    snprintf(buf, size, "%s", json_string_value(json_array_get(q, 0)));
    json_array_remove(q, 0);
    return buf;
}

static int
llm_gm_read_part(llm_xl_ctx_t *c, const json_t *p, json_t *dst,
                 json_t *pending, size_t mi, size_t pi)
{
    json_t      *v, *m;
    char         idbuf[96];
    const char  *id;

    if (json_is_string(json_object_get(p, "text"))) {
        if (json_is_true(json_object_get(p, "thought"))) {
            m = json_pack("{s:s,s:O}", "type", "thinking", "thinking",
                          json_object_get(p, "text"));
            llm_xl_copy(m, "signature", p, "thoughtSignature");
            json_array_append_new(dst, m);
        } else {
            llm_xl_part_text(dst, llm_xl_str(p, "text"),
                             json_string_length(json_object_get(p, "text")),
                             NULL);
        }
        return 0;
    }
    if ((v = json_object_get(p, "inlineData")) != NULL) {
        if (!llm_xl_str(v, "data")) {
            return llm_xl_error(c, "inlineData without data");
        }
        json_array_append_new(dst, json_pack("{s:s,s:s,s:O}", "type", "media",
                              "media_type", llm_xl_str(v, "mimeType")
                                            ? llm_xl_str(v, "mimeType")
                                            : "image/png",
                              "data", json_object_get(v, "data")));
        return 0;
    }
    if ((v = json_object_get(p, "fileData")) != NULL) {
        if (!llm_xl_str(v, "fileUri")) {
            return llm_xl_error(c, "fileData without fileUri");
        }
        m = json_pack("{s:s,s:O}", "type", "media", "url",
                      json_object_get(v, "fileUri"));
        llm_xl_copy(m, "media_type", v, "mimeType");
        json_array_append_new(dst, m);
        return 0;
    }
    if ((v = json_object_get(p, "functionCall")) != NULL) {
        const char  *name = llm_xl_str(v, "name");
        json_t      *args = json_object_get(v, "args");

        if (name == NULL) {
            return llm_xl_error(c, "functionCall without name");
        }
        id = llm_xl_str(v, "id");
        if (id == NULL) {
            snprintf(idbuf, sizeof(idbuf), "call_%zu_%zu", mi, pi);
            id = idbuf;
        }
        if (!json_is_array(json_object_get(pending, name))) {
            json_object_set_new(pending, name, json_array());
        }
        json_array_append_new(json_object_get(pending, name), json_string(id));
        json_array_append_new(dst, json_pack("{s:s,s:s,s:s,s:o}", "type",
                              "tool_call", "id", id, "name", name, "input",
                              json_is_object(args) ? json_incref(args)
                                                   : json_object()));
        return 0;
    }
    if ((v = json_object_get(p, "functionResponse")) != NULL) {
        const char  *name = llm_xl_str(v, "name");
        json_t      *resp = json_object_get(v, "response");
        json_t      *content = json_array(), *tr;
        char         tbuf[96];

        if (name == NULL) {
            json_decref(content);
            return llm_xl_error(c, "functionResponse without name");
        }
        id = llm_xl_str(v, "id");
        if (id == NULL) {
            id = llm_gm_take_call(pending, name, tbuf, sizeof(tbuf));
        }
        if (id == NULL) {
            snprintf(idbuf, sizeof(idbuf), "call_%zu_%zu", mi, pi);
            id = idbuf;
        }
        /* {"content": "..."} alone is how text results are usually sent */
        if (json_object_size(resp) == 1
            && json_is_string(json_object_get(resp, "content")))
        {
            llm_xl_part_text(content, llm_xl_str(resp, "content"),
                json_string_length(json_object_get(resp, "content")), NULL);
        } else {
            char  *s = llm_json_dumps(resp ? resp : json_null(),
                                      LLM_XL_DUMP_FLAGS | JSON_ENCODE_ANY);

            llm_xl_part_text(content, s ? s : "{}", s ? strlen(s) : 2, NULL);
            free(s);
        }
        tr = json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_result", "id", id,
                       "name", name, "content", content);
        json_array_append_new(dst, tr);
        return 0;
    }
    return llm_xl_unsupported(c, "this Gemini part type",
                              "only text, inlineData, fileData, functionCall "
                              "and functionResponse translate");
}

static int
llm_gm_read_generation(llm_xl_ctx_t *c, const json_t *g, json_t *ir)
{
    static const struct { const char *from, *to; }  simple[] = {
        { "maxOutputTokens", "max_tokens" }, { "temperature", "temperature" },
        { "topP", "top_p" }, { "topK", "top_k" }, { "seed", "seed" },
        { "candidateCount", "n" }, { "presencePenalty", "presence_penalty" },
        { "frequencyPenalty", "frequency_penalty" },
    };
    const char  *key;
    json_t      *v;
    size_t       i;
    int          ok;

    json_object_foreach((json_t *) g, key, v) {
        ok = 0;
        for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
            if (strcmp(key, simple[i].from) == 0) {
                json_object_set(ir, simple[i].to, v);
                ok = 1;
            }
        }
        if (strcmp(key, "stopSequences") == 0) {
            if (json_array_size(v)) {
                json_object_set(ir, "stop", v);
            }
            ok = 1;
        } else if (strcmp(key, "responseMimeType") == 0) {
            const json_t  *schema = json_object_get(g, "responseJsonSchema");

            if (schema == NULL) {
                schema = json_object_get(g, "responseSchema");
            }
            if (json_is_string(v)
                && strcmp(json_string_value(v), "application/json") == 0)
            {
                json_object_set_new(ir, "response_format", schema
                    ? json_pack("{s:s,s:{s:s,s:o}}", "type", "json_schema",
                                "json_schema", "name", "response", "schema",
                                llm_gm_schema_in(schema))
                    : json_pack("{s:s}", "type", "json_object"));
            }
            ok = 1;
        } else if (strcmp(key, "responseSchema") == 0
                   || strcmp(key, "responseJsonSchema") == 0)
        {
            ok = 1;
        } else if (strcmp(key, "thinkingConfig") == 0) {
            json_t  *b = json_object_get(v, "thinkingBudget");

            if (json_is_integer(b) && json_integer_value(b) != 0) {
                json_object_set_new(ir, "thinking", json_pack("{s:I}",
                    "budget_tokens", json_integer_value(b) > 0
                                     ? json_integer_value(b)
                                     : (json_int_t) 2048));   /* -1: dynamic */
            } else if (llm_xl_str(v, "thinkingLevel")) {
                const char  *l = llm_xl_str(v, "thinkingLevel");
                char         low[16];

                /* LOW, HIGH (and MINIMAL, MEDIUM) are reasoning_effort's
                   levels: OpenAI gets the level, Anthropic its budget */
                for (i = 0; l[i] && i < sizeof(low) - 1; i++) {
                    low[i] = (char) tolower((unsigned char) l[i]);
                }
                low[i] = '\0';

                if (llm_xl_effort_budget(low)) {
                    json_object_set_new(ir, "reasoning_effort",
                                        json_string(low));
                    json_object_set_new(ir, "thinking", json_pack("{s:I}",
                        "budget_tokens",
                        (json_int_t) llm_xl_effort_budget(low)));
                }
            }
            ok = 1;
        }
        if (!ok && !json_is_null(v)) {
            char  field[96];

            snprintf(field, sizeof(field), "generationConfig.%s", key);
            if (llm_xl_unsupported(c, field, NULL) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/*
 * mode ANY with several allowedFunctionNames: a call to one of them is
 * required, which other formats say by offering only those tools.
 */
static void
llm_gm_keep_tools(json_t *tools, const json_t *names)
{
    json_t      *n;
    size_t       i, k;
    const char  *name;
    int          allowed;

    if (json_array_size(names) == 0) {
        return;
    }
    for (i = json_array_size(tools); i-- > 0; ) {
        name = llm_xl_str(json_array_get(tools, i), "name");
        allowed = 0;
        json_array_foreach(names, k, n) {
            if (json_is_string(n) && name
                && strcmp(json_string_value(n), name) == 0)
            {
                allowed = 1;
            }
        }
        if (!allowed) {
            json_array_remove(tools, i);
        }
    }
}

json_t *
llm_req_read_gemini(llm_xl_ctx_t *c, json_t *body)
{
    static const char  *known[] = {
        "contents", "systemInstruction", "system_instruction", "tools",
        "toolConfig", "generationConfig", "model",
    };
    json_t      *ir, *pending, *contents, *m, *p, *v, *t, *d;
    const char  *key, *role;
    size_t       i, k;

    contents = json_object_get(body, "contents");
    if (!json_is_array(contents)) {
        llm_xl_error(c, "contents is required and must be an array");
        return NULL;
    }
    ir = json_pack("{s:[],s:[]}", "system", "messages");
    pending = json_object();

    v = json_object_get(body, "systemInstruction");
    if (v == NULL) {
        v = json_object_get(body, "system_instruction");
    }
    json_array_foreach(json_object_get(v, "parts"), i, p) {
        if (json_is_string(json_object_get(p, "text"))) {
            llm_xl_part_text(json_object_get(ir, "system"),
                             llm_xl_str(p, "text"),
                             json_string_length(json_object_get(p, "text")),
                             NULL);
        }
    }

    json_array_foreach(contents, i, m) {
        json_t  *parts = json_array();

        role = llm_xl_str(m, "role");
        role = role && strcmp(role, "model") == 0 ? "assistant" : "user";
        json_array_foreach(json_object_get(m, "parts"), k, p) {
            if (llm_gm_read_part(c, p, parts, pending, i, k) != 0) {
                json_decref(parts);
                goto fail;
            }
        }
        json_array_append_new(json_object_get(ir, "messages"),
                              json_pack("{s:s,s:o}", "role", role,
                                        "content", parts));
    }

    v = json_object_get(body, "tools");
    if (json_array_size(v)) {
        json_t  *out = json_array();

        json_object_set_new(ir, "tools", out);
        json_array_foreach(v, i, t) {
            json_object_foreach(t, key, p) {
                if (strcmp(key, "functionDeclarations") != 0
                    && strcmp(key, "function_declarations") != 0)
                {
                    if (llm_xl_unsupported(c, key, "a Gemini built-in tool")
                        != 0)
                    {
                        goto fail;
                    }
                    continue;
                }
                json_array_foreach(p, k, d) {
                    json_t  *decl, *schema;

                    if (!llm_xl_str(d, "name")) {
                        llm_xl_error(c, "functionDeclarations need a name");
                        goto fail;
                    }
                    decl = json_pack("{s:O}", "name", json_object_get(d, "name"));
                    llm_xl_copy(decl, "description", d, "description");
                    schema = json_object_get(d, "parametersJsonSchema");
                    if (schema) {
                        json_object_set(decl, "parameters", schema);
                    } else if ((schema = json_object_get(d, "parameters"))) {
                        json_object_set_new(decl, "parameters",
                                            llm_gm_schema_in(schema));
                    }
                    json_array_append_new(out, decl);
                }
            }
        }
    }

    v = json_object_get(json_object_get(body, "toolConfig"),
                        "functionCallingConfig");
    if ((key = llm_xl_str(v, "mode")) != NULL) {
        json_t  *names = json_object_get(v, "allowedFunctionNames");

        if (strcmp(key, "NONE") == 0) {
            json_object_set_new(ir, "tool_choice", json_pack("{s:s}", "type",
                                                             "none"));
        } else if (strcmp(key, "ANY") == 0 && json_array_size(names) == 1) {
            json_object_set_new(ir, "tool_choice", json_pack("{s:s,s:O}",
                                "type", "tool", "name",
                                json_array_get(names, 0)));
        } else if (strcmp(key, "ANY") == 0) {
            json_object_set_new(ir, "tool_choice", json_pack("{s:s}", "type",
                                                             "required"));
            llm_gm_keep_tools(json_object_get(ir, "tools"), names);
        } else {
            json_object_set_new(ir, "tool_choice", json_pack("{s:s}", "type",
                                                             "auto"));
        }
    }

    v = json_object_get(body, "generationConfig");
    if (json_is_object(v) && llm_gm_read_generation(c, v, ir) != 0) {
        goto fail;
    }

    if (llm_xl_check_fields(c, body, known, sizeof(known) / sizeof(known[0]),
                            NULL, 0)
        != 0)
    {
        goto fail;
    }
    json_decref(pending);
    return ir;

fail:
    json_decref(pending);
    json_decref(ir);
    return NULL;
}

/* ------------------------------------------------------------ writing */

static json_t *
llm_gm_media_part(const json_t *p)
{
    const char  *mt = llm_xl_str(p, "media_type");

    if (llm_xl_str(p, "url")) {
        return json_pack("{s:{s:s,s:O}}", "fileData", "mimeType",
                         mt ? mt : "image/jpeg",
                         "fileUri", json_object_get(p, "url"));
    }
    return json_pack("{s:{s:s,s:O}}", "inlineData", "mimeType",
                     mt ? mt : "image/png", "data", json_object_get(p, "data"));
}

/* a tool result as functionResponse.response, which must be an object */
static json_t *
llm_gm_tool_response(const json_t *tr)
{
    char    *text = llm_xl_join_text(json_object_get(tr, "content"), "\n");
    json_t  *j = NULL;

    if (text) {
        j = llm_json_load(text, strlen(text), LLM_XL_LOAD_FLAGS, NULL);
        if (!json_is_object(j)) {
            json_decref(j);
            j = NULL;
        }
    }
    if (j == NULL) {
        j = json_pack("{s:s}", json_is_true(json_object_get(tr, "is_error"))
                               ? "error" : "content", text ? text : "");
    }
    free(text);
    return j;
}

static void
llm_gm_write_parts(const json_t *parts, json_t *dst, json_t *after)
{
    json_t  *p, *q;
    size_t   i, k;

    json_array_foreach(parts, i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (strcmp(t, "text") == 0) {
            json_array_append_new(dst, json_pack("{s:O}", "text",
                                  json_object_get(p, "text")));
        } else if (strcmp(t, "media") == 0) {
            json_array_append_new(dst, llm_gm_media_part(p));
        } else if (strcmp(t, "tool_call") == 0) {
            json_array_append_new(dst, json_pack("{s:{s:O,s:O}}",
                "functionCall", "name", json_object_get(p, "name"),
                "args", json_object_get(p, "input")));
        } else if (strcmp(t, "tool_result") == 0) {
            json_t  *name = json_object_get(p, "name");

            json_array_append_new(dst, json_pack("{s:{s:O,s:o}}",
                "functionResponse", "name",
                name ? name : json_object_get(p, "id"),
                "response", llm_gm_tool_response(p)));
            /* images a tool returned follow the responses as parts */
            json_array_foreach(json_object_get(p, "content"), k, q) {
                if (strcmp(llm_xl_str(q, "type"), "media") == 0) {
                    json_array_append_new(after, llm_gm_media_part(q));
                }
            }
        }
        /* thinking from other providers cannot be replayed to Gemini */
    }
}

json_t *
llm_req_write_gemini(llm_xl_ctx_t *c, json_t *ir)
{
    json_t      *body, *contents, *m, *v, *t, *gen, *parts = NULL, *after;
    const char  *role, *prev = NULL;
    size_t       i;

    body = json_object();
    contents = json_array();
    after = json_array();
    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        role = strcmp(llm_xl_str(m, "role"), "assistant") == 0 ? "model"
                                                                : "user";
        if (prev && strcmp(prev, role) != 0) {
            json_array_extend(parts, after);
            json_array_clear(after);
            if (json_array_size(parts)) {
                json_array_append_new(contents, json_pack("{s:s,s:O}", "role",
                                      prev, "parts", parts));
            }
            json_decref(parts);
            parts = NULL;
        }
        if (parts == NULL) {
            parts = json_array();
        }
        llm_gm_write_parts(json_object_get(m, "content"), parts, after);
        prev = role;
    }
    if (prev) {
        json_array_extend(parts, after);
        if (json_array_size(parts)) {
            json_array_append_new(contents, json_pack("{s:s,s:O}", "role",
                                                      prev, "parts", parts));
        }
        json_decref(parts);
    }
    json_decref(after);
    json_object_set_new(body, "contents", contents);

    v = json_object_get(ir, "system");
    if (json_array_size(v)) {
        json_t  *sp = json_array();

        json_array_foreach(v, i, m) {
            json_array_append_new(sp, json_pack("{s:O}", "text",
                                                json_object_get(m, "text")));
        }
        json_object_set_new(body, "systemInstruction",
                            json_pack("{s:o}", "parts", sp));
    }

    v = json_object_get(ir, "tools");
    if (json_array_size(v)) {
        json_t  *decls = json_array();

        json_array_foreach(v, i, t) {
            json_t  *d = json_pack("{s:O}", "name", json_object_get(t, "name"));
            json_t  *schema;

            llm_xl_copy(d, "description", t, "description");
            if (json_object_get(t, "parameters")) {
                schema = llm_gm_schema_out(json_object_get(t, "parameters"));
                /* Gemini refuses an OBJECT without properties */
                if (json_object_get(schema, "properties")) {
                    json_object_set_new(d, "parameters", schema);
                } else {
                    json_decref(schema);
                }
            }
            json_array_append_new(decls, d);
        }
        json_object_set_new(body, "tools", json_pack("[{s:o}]",
                            "functionDeclarations", decls));
    }
    v = json_object_get(ir, "tool_choice");
    if (v) {
        const char  *type = llm_xl_str(v, "type");
        json_t      *fc;

        fc = json_pack("{s:s}", "mode", strcmp(type, "none") == 0 ? "NONE"
                                        : strcmp(type, "auto") == 0 ? "AUTO"
                                        : "ANY");
        if (strcmp(type, "tool") == 0) {
            json_object_set_new(fc, "allowedFunctionNames", json_pack("[O]",
                                json_object_get(v, "name")));
        }
        json_object_set_new(body, "toolConfig", json_pack("{s:o}",
                            "functionCallingConfig", fc));
    }

    gen = json_object();
    llm_xl_copy(gen, "maxOutputTokens", ir, "max_tokens");
    llm_xl_copy(gen, "temperature", ir, "temperature");
    llm_xl_copy(gen, "topP", ir, "top_p");
    llm_xl_copy(gen, "topK", ir, "top_k");
    llm_xl_copy(gen, "stopSequences", ir, "stop");
    llm_xl_copy(gen, "seed", ir, "seed");
    llm_xl_copy(gen, "presencePenalty", ir, "presence_penalty");
    llm_xl_copy(gen, "frequencyPenalty", ir, "frequency_penalty");
    if (json_integer_value(json_object_get(ir, "n")) > 1
        && llm_xl_unsupported(c, "n > 1", NULL) != 0)
    {
        json_decref(gen);
        goto fail;
    }
    v = json_object_get(ir, "response_format");
    if (v) {
        const json_t  *schema = json_object_get(json_object_get(v,
                                                "json_schema"), "schema");

        json_object_set_new(gen, "responseMimeType",
                            json_string("application/json"));
        if (schema) {
            json_object_set_new(gen, "responseSchema",
                                llm_gm_schema_out(schema));
        }
    }
    v = json_object_get(ir, "thinking");
    if (v) {
        json_object_set_new(gen, "thinkingConfig", json_pack("{s:O,s:b}",
                            "thinkingBudget", json_object_get(v, "budget_tokens"),
                            "includeThoughts", 1));
    }
    if (json_object_size(gen)) {
        json_object_set_new(body, "generationConfig", gen);
    } else {
        json_decref(gen);
    }
    /* `user` (an end-user id for abuse tracking) has no Gemini field and
       changes nothing about the answer: dropped without complaint */
    return body;

fail:
    json_decref(body);
    return NULL;
}
