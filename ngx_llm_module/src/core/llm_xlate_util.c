/*
 * Helpers shared by the translators: error reporting, small jansson
 * conveniences, data URLs, tool-name shortening and the stop-reason tables
 * (the drop_params rule is llm_xlate_drop.c).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llm_xlate_int.h"
#include "llm_json_tree.h"

static const char  *llm_api_names[LLM_API_NFORMATS] = {
    "openai", "anthropic", "gemini", "responses", "bedrock", "cohere",
    "openai_completions"
};

const char *
llm_api_name(llm_api_t api)
{
    return (unsigned) api < LLM_API_NFORMATS ? llm_api_names[api]
                                             : "unknown";
}

int
llm_api_from_name(const char *name)
{
    int  i;

    for (i = 0; name && i < LLM_API_CLIENT_COUNT; i++) {
        if (strcmp(name, llm_api_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

int
llm_xl_error(llm_xl_ctx_t *c, const char *fmt, ...)
{
    va_list  ap;

    if (c->err && c->errlen) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int
llm_xl_listed(const char *key, const char *const *list, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(key, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int
llm_xl_check_fields(llm_xl_ctx_t *c, const json_t *body,
    const char *const *known, size_t nknown, const char *const *more,
    size_t nmore)
{
    const char  *key;
    json_t      *v;

    json_object_foreach((json_t *) body, key, v) {
        if (!json_is_null(v) && !llm_xl_listed(key, known, nknown)
            && !llm_xl_listed(key, more, nmore)
            && llm_xl_unsupported(c, key, NULL) != 0)
        {
            return -1;
        }
    }
    return 0;
}

int
llm_xl_refuse_openai_only(llm_xl_ctx_t *c, const json_t *ir)
{
    static const char *const  fields[] = {
        "presence_penalty", "frequency_penalty", "seed", "response_format"
    };
    size_t                    i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (json_object_get(ir, fields[i])
            && llm_xl_unsupported(c, fields[i], NULL) != 0)
        {
            return -1;
        }
    }
    if (json_integer_value(json_object_get(ir, "n")) > 1
        && llm_xl_unsupported(c, "n > 1", NULL) != 0)
    {
        return -1;
    }
    return 0;
}

const char *
llm_xl_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* One serialization pass straight into the buffer (a sizing pass first
   would double the cost of large bodies); the bytes are jansson's. */
int
llm_xl_dump(const json_t *j, llm_buf_t *out)
{
    return llm_json_dump_buf(j, LLM_XL_DUMP_FLAGS, out);
}

void
llm_xl_set(json_t *obj, const char *key, json_t *v)
{
    if (v) {
        json_object_set_new(obj, key, v);
    }
}

void
llm_xl_copy(json_t *dst, const char *dkey, const json_t *src, const char *skey)
{
    json_t  *v = json_object_get(src, skey);

    if (v && !json_is_null(v)) {
        json_object_set(dst, dkey, v);
    }
}

json_t *
llm_xl_function_tool(llm_xl_ctx_t *c, const json_t *fn, const char *where,
                     size_t i)
{
    json_t  *d;

    if (llm_xl_str(fn, "name") == NULL) {
        (void) llm_xl_error(c, "tools[%zu].%s is required", i, where);
        return NULL;
    }
    d = json_pack("{s:O}", "name", json_object_get(fn, "name"));
    llm_xl_copy(d, "description", fn, "description");
    llm_xl_copy(d, "parameters", fn, "parameters");
    return d;
}

int
llm_xl_tool_choice_mode(llm_xl_ctx_t *c, const char *mode, json_t *ir)
{
    if (strcmp(mode, "auto") && strcmp(mode, "none")
        && strcmp(mode, "required"))
    {
        return llm_xl_error(c, "tool_choice must be auto, none, "
                               "required or a function");
    }
    json_object_set_new(ir, "tool_choice", json_pack("{s:s}", "type", mode));
    return 0;
}

void
llm_xl_part_text(json_t *content, const char *text, size_t len,
                 const json_t *cache_control)
{
    json_t  *p = json_pack("{s:s,s:s%}", "type", "text", "text", text, len);

    if (p == NULL) {
        return;
    }
    if (cache_control && json_is_object(cache_control)) {
        json_object_set(p, "cache_control", (json_t *) cache_control);
    }
    json_array_append_new(content, p);
}

json_t *
llm_xl_media_from_url(const char *url)
{
    const char  *semi, *comma;

    if (url == NULL) {
        return NULL;
    }
    if (strncmp(url, "data:", 5) != 0) {
        return json_pack("{s:s,s:s}", "type", "media", "url", url);
    }
    comma = strchr(url, ',');
    semi = strchr(url, ';');
    if (comma == NULL || semi == NULL || semi > comma
        || strncmp(semi, ";base64,", 8) != 0)
    {
        return NULL;
    }
    return json_pack("{s:s,s:s%,s:s}", "type", "media", "media_type", url + 5,
                     (size_t) (semi - url - 5), "data", comma + 1);
}

char *
llm_xl_media_to_url(const json_t *part)
{
    const char  *url = llm_xl_str(part, "url");
    const char  *mt = llm_xl_str(part, "media_type");
    const char  *data = llm_xl_str(part, "data");
    size_t       n;
    char        *s;

    if (url) {
        return llm_xl_strdup(url);
    }
    if (data == NULL) {
        return NULL;
    }
    if (mt == NULL) {
        mt = "application/octet-stream";
    }
    n = strlen(mt) + strlen(data) + 16;
    s = malloc(n);
    if (s) {
        snprintf(s, n, "data:%s;base64,%s", mt, data);
    }
    return s;
}

char *
llm_xl_join_text(const json_t *content, const char *sep)
{
    llm_buf_t   b = LLM_BUF_INIT;
    size_t      i;
    json_t     *p;
    int         any = 0;

    json_array_foreach(content, i, p) {
        const char  *t = llm_xl_str(p, "type");

        if (t == NULL || strcmp(t, "text") != 0) {
            continue;
        }
        if ((any && llm_buf_append_str(&b, sep) != 0)
            || llm_buf_append(&b, json_string_value(json_object_get(p, "text")),
                              json_string_length(json_object_get(p, "text")))
               != 0)
        {
            llm_buf_free(&b);
            return NULL;
        }
        any = 1;
    }
    if (any && b.data == NULL) {
        return llm_xl_strdup("");
    }
    return b.data;
}

/*
 * The start of a body for the writers whose providers take OpenAI-shaped
 * "messages" (OpenAI, Cohere): the model (the deployment's, else the
 * client's), and *msgs with the IR's system text as its first message.
 */
json_t *
llm_xl_chat_body(const llm_xl_ctx_t *c, const json_t *ir, json_t **msgs)
{
    json_t      *body = json_object();
    const char  *model = c->o->model ? c->o->model : c->o->client_model;
    char        *sys;

    if (model) {
        json_object_set_new(body, "model", json_string(model));
    }
    *msgs = json_array();
    sys = llm_xl_join_text(json_object_get(ir, "system"), "\n\n");
    if (sys) {
        json_array_append_new(*msgs, json_pack("{s:s,s:s}", "role", "system",
                                               "content", sys));
        free(sys);
    }
    return body;
}

/* what OpenAI's chat and text completions bodies share, as the IR has it */
void
llm_xl_openai_common(const llm_xl_ctx_t *c, json_t *body, const json_t *ir)
{
    static const char  *same[] = {
        "temperature", "top_p", "stop", "seed", "presence_penalty",
        "frequency_penalty", "user",
    };
    size_t              i;

    for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        llm_xl_copy(body, same[i], ir, same[i]);
    }
    if (c->o->stream) {
        json_object_set_new(body, "stream", json_true());
        /* always: usage is how the gateway accounts a stream */
        json_object_set_new(body, "stream_options",
                            json_pack("{s:b}", "include_usage", 1));
    }
}

char *
llm_xl_strdup(const char *s)
{
    size_t  n = strlen(s) + 1;
    char   *d = malloc(n);

    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

/* copy with truncation that never splits a UTF-8 character (the result
   goes into JSON strings, which must be valid UTF-8) */
void
llm_xl_copy_utf8(char *dst, size_t size, const char *src)
{
    size_t  n = strlen(src);

    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char) src[n] & 0xC0) == 0x80) {
            n--;            /* src[n] continues a character: cut before it */
        }
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------- tool names */

static unsigned long
llm_xl_fnv1a(const char *s)
{
    unsigned long  h = 2166136261UL;

    while (*s) {
        h ^= (unsigned char) *s++;
        h = (h * 16777619UL) & 0xffffffffUL;
    }
    return h;
}

/*
 * OpenAI refuses function names over 64 characters (MCP tools easily have
 * longer ones).  The name becomes its first 55 characters, '_' and 8 hex
 * digits of a hash of the whole name: stable, so the same tool gets the same
 * short name in the tool list and in the history, and recognizable, so the
 * response side can map it back using the client's own tool list.
 */
const char *
llm_xl_tool_name_short(const char *name, char *buf)
{
    if (strlen(name) <= LLM_XL_TOOL_NAME_MAX) {
        return name;
    }
    char  head[56];

    llm_xl_copy_utf8(head, sizeof(head), name);
    snprintf(buf, LLM_XL_TOOL_NAME_MAX + 1, "%s_%08lx", head,
             llm_xl_fnv1a(name));
    return buf;
}

int
llm_xl_tool_name_is_short(const char *name)
{
    size_t  i, n = strlen(name);

    /* "<up to 55 bytes>_<8 hex>"; only a hint: restoring recomputes and
       compares, so a false positive costs one lookup */
    if (n < 10 || n > LLM_XL_TOOL_NAME_MAX || name[n - 9] != '_') {
        return 0;
    }
    for (i = n - 8; i < n; i++) {
        if (!strchr("0123456789abcdef", name[i])) {
            return 0;
        }
    }
    return 1;
}

const char *
llm_xl_tool_name_restore(const char *name, const json_t *client_tools)
{
    char         buf[LLM_XL_TOOL_NAME_MAX + 1];
    size_t       i;
    json_t      *v;

    if (name == NULL || client_tools == NULL
        || !llm_xl_tool_name_is_short(name))
    {
        return name;
    }
    json_array_foreach(client_tools, i, v) {
        /* a member of a namespace tool: [qualified, namespace, name] */
        const char  *full = json_string_value(json_is_array(v)
                                              ? json_array_get(v, 0) : v);

        if (full && strcmp(llm_xl_tool_name_short(full, buf), name) == 0) {
            return full;
        }
    }
    return name;
}

json_t *
llm_xl_tool_qualified(const char *ns, const char *name)
{
    return json_sprintf("%s" LLM_XL_NS_SEP "%s", ns, name);
}

const char *
llm_xl_tool_namespace(const json_t *client_tools, const char *full,
                      const char **name)
{
    size_t   i;
    json_t  *v;

    if (full == NULL || strstr(full, LLM_XL_NS_SEP) == NULL) {
        return NULL;
    }
    json_array_foreach(client_tools, i, v) {
        if (json_is_array(v)
            && strcmp(json_string_value(json_array_get(v, 0)), full) == 0)
        {
            *name = json_string_value(json_array_get(v, 2));
            return json_string_value(json_array_get(v, 1));
        }
    }
    return NULL;
}

/* the members of a Responses namespace tool, as [qualified, ns, name] */
static void
llm_xl_client_ns_tools(const json_t *t, json_t *names)
{
    const char  *ns = json_string_value(json_object_get(t, "name"));
    const char  *n;
    json_t      *m;
    size_t       i;

    json_array_foreach(json_object_get(t, "tools"), i, m) {
        n = json_string_value(json_object_get(m, "name"));
        if (ns && n) {
            json_array_append_new(names, json_pack("[o,s,s]",
                                  llm_xl_tool_qualified(ns, n), ns, n));
        }
    }
}

/* names of the tools the client declared, as a JSON array of strings
   (and, for the members of a Responses namespace tool, of
   [qualified, namespace, name] arrays) */
json_t *
llm_xl_client_tools(llm_api_t api, const char *in, size_t len)
{
    json_t   *body, *tools, *names, *t, *d, *n;
    size_t    i, k;

    if (in == NULL || len == 0) {
        return NULL;
    }
    body = llm_json_load(in, len, LLM_XL_LOAD_FLAGS, NULL);
    if (body == NULL) {
        return NULL;
    }
    names = json_array();
    tools = json_object_get(body, "tools");
    json_array_foreach(tools, i, t) {
        switch (api) {
        case LLM_API_OPENAI:
            n = json_object_get(json_object_get(t, "function"), "name");
            break;
        case LLM_API_RESPONSES:
            if (json_is_array(json_object_get(t, "tools"))) {
                llm_xl_client_ns_tools(t, names);
                n = NULL;
                break;
            }
            n = json_object_get(t, "name");
            break;
        case LLM_API_ANTHROPIC:
            n = json_object_get(t, "name");
            break;
        default:
            json_array_foreach(json_object_get(t, "functionDeclarations"), k, d) {
                n = json_object_get(d, "name");
                if (json_is_string(n)) {
                    json_array_append(names, n);
                }
            }
            n = NULL;
            break;
        }
        if (json_is_string(n)) {
            json_array_append(names, n);
        }
    }
    json_decref(body);
    return names;
}

const char *
llm_xl_client_model(const llm_xlate_opts_t *o, const char *fallback)
{
    if (o && o->client_model) {
        return o->client_model;
    }
    if (fallback) {
        return fallback;
    }
    return o && o->model ? o->model : "unknown";
}

/* ids for objects the target format needs and the source did not give */
void
llm_xl_gen_id(char *buf, size_t size, const char *prefix)
{
    static unsigned long long  state;
    unsigned long long         x;

    if (state == 0) {
        state = ((unsigned long long) time(NULL) << 20)
                ^ (unsigned long long) getpid() ^ 0x9E3779B97F4A7C15ULL;
    }
    /* xorshift64: unique enough for ids, no global libc rand() state */
    x = state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state = x;
    snprintf(buf, size, "%s%016llx", prefix, x);
}

/* LiteLLM's reasoning_effort -> thinking budget mapping (0: not an effort
   that asks for thinking) */
long long
llm_xl_effort_budget(const char *e)
{
    if (strcmp(e, "minimal") == 0 || strcmp(e, "low") == 0) {
        return 1024;
    }
    if (strcmp(e, "medium") == 0) {
        return 2048;
    }
    if (strcmp(e, "high") == 0) {
        return 4096;
    }
    return 0;
}

/* ------------------------------------------------------- stop reasons */

static const char  *llm_stop_names[] = {
    "", "end", "length", "tool_calls", "stop_sequence", "content_filter"
};

const char *
llm_stop_name(llm_stop_t s)
{
    return llm_stop_names[s];
}

llm_stop_t
llm_stop_from_name(const char *s)
{
    size_t  i;

    for (i = 1; s && i < sizeof(llm_stop_names) / sizeof(llm_stop_names[0]);
         i++)
    {
        if (strcmp(s, llm_stop_names[i]) == 0) {
            return (llm_stop_t) i;
        }
    }
    return LLM_STOP_NONE;
}

llm_stop_t
llm_stop_from_openai(const char *s)
{
    if (s == NULL) {
        return LLM_STOP_NONE;
    }
    if (strcmp(s, "length") == 0) {
        return LLM_STOP_LENGTH;
    }
    if (strcmp(s, "tool_calls") == 0 || strcmp(s, "function_call") == 0) {
        return LLM_STOP_TOOL_CALLS;
    }
    if (strcmp(s, "content_filter") == 0) {
        return LLM_STOP_CONTENT_FILTER;
    }
    return LLM_STOP_END;
}

llm_stop_t
llm_stop_from_anthropic(const char *s)
{
    if (s == NULL) {
        return LLM_STOP_NONE;
    }
    if (strcmp(s, "max_tokens") == 0
        || strcmp(s, "model_context_window_exceeded") == 0)
    {
        return LLM_STOP_LENGTH;
    }
    if (strcmp(s, "tool_use") == 0) {
        return LLM_STOP_TOOL_CALLS;
    }
    if (strcmp(s, "stop_sequence") == 0) {
        return LLM_STOP_STOP_SEQUENCE;
    }
    if (strcmp(s, "refusal") == 0) {
        return LLM_STOP_CONTENT_FILTER;
    }
    return LLM_STOP_END;            /* end_turn, pause_turn, unknown */
}

llm_stop_t
llm_stop_from_gemini(const char *s)
{
    static const char  *filtered[] = {
        "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
    };
    size_t  i;

    if (s == NULL || strcmp(s, "FINISH_REASON_UNSPECIFIED") == 0) {
        return LLM_STOP_NONE;
    }
    if (strcmp(s, "MAX_TOKENS") == 0) {
        return LLM_STOP_LENGTH;
    }
    for (i = 0; i < sizeof(filtered) / sizeof(filtered[0]); i++) {
        if (strcmp(s, filtered[i]) == 0) {
            return LLM_STOP_CONTENT_FILTER;
        }
    }
    return LLM_STOP_END;            /* STOP, OTHER, LANGUAGE, MALFORMED_... */
}

const char *
llm_stop_to_openai(llm_stop_t s)
{
    switch (s) {
    case LLM_STOP_LENGTH:         return "length";
    case LLM_STOP_TOOL_CALLS:     return "tool_calls";
    case LLM_STOP_CONTENT_FILTER: return "content_filter";
    default:                      return "stop";
    }
}

const char *
llm_stop_to_anthropic(llm_stop_t s)
{
    switch (s) {
    case LLM_STOP_LENGTH:         return "max_tokens";
    case LLM_STOP_TOOL_CALLS:     return "tool_use";
    case LLM_STOP_STOP_SEQUENCE:  return "stop_sequence";
    case LLM_STOP_CONTENT_FILTER: return "refusal";
    default:                      return "end_turn";
    }
}

const char *
llm_stop_to_gemini(llm_stop_t s)
{
    switch (s) {
    case LLM_STOP_LENGTH:         return "MAX_TOKENS";
    case LLM_STOP_CONTENT_FILTER: return "SAFETY";
    default:                      return "STOP";
    }
}

/* ------------------------------------------------------- media */

static int
llm_xl_filter_parts(llm_xl_ctx_t *c, json_t *parts, llm_xl_media_ok_fn ok)
{
    size_t  i = json_array_size(parts);
    json_t *p;

    while (i-- > 0) {
        const char  *t;

        p = json_array_get(parts, i);
        t = llm_xl_str(p, "type");
        if (t && strcmp(t, "tool_result") == 0) {
            if (llm_xl_filter_parts(c, json_object_get(p, "content"), ok) != 0) {
                return -1;
            }
        } else if (t && strcmp(t, "media") == 0 && !ok(p)) {
            const char  *mt = llm_xl_str(p, "media_type");
            char         what[96];

            snprintf(what, sizeof(what), "%s content", mt ? mt : "this media");
            if (llm_xl_unsupported(c, what, NULL) != 0) {
                return -1;
            }
            json_array_remove(parts, i);
        }
    }
    return 0;
}

int
llm_xl_filter_media(llm_xl_ctx_t *c, json_t *ir, llm_xl_media_ok_fn ok)
{
    size_t   i;
    json_t  *m;

    json_array_foreach(json_object_get(ir, "messages"), i, m) {
        if (llm_xl_filter_parts(c, json_object_get(m, "content"), ok) != 0) {
            return -1;
        }
    }
    return 0;
}
