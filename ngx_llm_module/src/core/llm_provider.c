/*
 * Provider rows: look-up, names, and rows defined at run time from JSON
 * (see llm_provider.h; the built-in rows are in llm_provider_table.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_provider.h"


static const char *const  llm_wire_names[LLM_WIRE_COUNT] = {
    "openai", "anthropic", "gemini", "openai_completions",
    "bedrock_converse", "cohere_v2", "vertex", "vertex_anthropic"
};

static const char *const  llm_auth_names[LLM_AUTH_COUNT] = {
    "bearer", "header", "none", "sigv4", "oauth2"
};

static const struct {
    const char  *name;
    unsigned     bit;
} llm_endpoint_names[] = {
    { "chat", LLM_EP_CHAT },
    { "completions", LLM_EP_COMPLETIONS },
    { "embeddings", LLM_EP_EMBEDDINGS },
    { "models", LLM_EP_MODELS },
    { "count_tokens", LLM_EP_COUNT_TOKENS },
    { "responses", LLM_EP_RESPONSES },
}, llm_quirk_names[] = {
    { "append_v1", LLM_PQ_APPEND_V1 },
    { "key_optional", LLM_PQ_KEY_OPTIONAL },
    { "azure_path", LLM_PQ_AZURE_PATH },
    { "no_stream_options", LLM_PQ_NO_STREAM_OPTIONS },
};

#define llm_nelts(a)  (sizeof(a) / sizeof((a)[0]))


static int
llm_name_is(const char *s, const char *name, size_t len)
{
    return strlen(s) == len && strncmp(s, name, len) == 0;
}


const llm_provider_row_t *
llm_provider_builtin(const char *name, size_t len)
{
    size_t                     i;
    const llm_provider_row_t  *row;

    for (i = 0; (row = llm_provider_builtin_at(i)) != NULL; i++) {
        if (llm_name_is(row->name, name, len)) {
            return row;
        }
    }

    return NULL;
}


const llm_provider_row_t *
llm_provider_find(const llm_provider_set_t *set, const char *name,
    size_t len)
{
    size_t  i;

    if (set != NULL) {
        for (i = 0; i < set->nrows; i++) {
            if (llm_name_is(set->rows[i].name, name, len)) {
                return &set->rows[i];
            }
        }
    }

    return llm_provider_builtin(name, len);
}


const char *
llm_wire_name(llm_wire_t wire)
{
    return (unsigned) wire < LLM_WIRE_COUNT ? llm_wire_names[wire] : NULL;
}


/* The index of name in names[0..n), or -1. */
static int
llm_name_index(const char *const *names, int n, const char *name)
{
    int  i;

    for (i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }

    return -1;
}


int
llm_wire_parse(const char *name, llm_wire_t *out)
{
    int  i = llm_name_index(llm_wire_names, LLM_WIRE_COUNT, name);

    if (i >= 0) {
        *out = (llm_wire_t) i;
    }

    return i >= 0 ? 0 : -1;
}


const char *
llm_auth_name(llm_auth_t auth)
{
    return (unsigned) auth < LLM_AUTH_COUNT ? llm_auth_names[auth] : NULL;
}


int
llm_auth_parse(const char *name, llm_auth_t *out)
{
    int  i = llm_name_index(llm_auth_names, LLM_AUTH_COUNT, name);

    if (i >= 0) {
        *out = (llm_auth_t) i;
    }

    return i >= 0 ? 0 : -1;
}


const char *
llm_endpoint_name(unsigned ep)
{
    size_t  i;

    for (i = 0; i < llm_nelts(llm_endpoint_names); i++) {
        if (llm_endpoint_names[i].bit == ep) {
            return llm_endpoint_names[i].name;
        }
    }

    return NULL;
}


int
llm_endpoint_parse(const char *name, unsigned *out)
{
    size_t  i;

    for (i = 0; i < llm_nelts(llm_endpoint_names); i++) {
        if (strcmp(llm_endpoint_names[i].name, name) == 0) {
            *out = llm_endpoint_names[i].bit;
            return 0;
        }
    }

    return -1;
}


int
llm_list_each(const char *list, int (*fn)(const char *item, size_t len,
    void *arg), void *arg)
{
    int          rc;
    const char  *p, *end;

    if (list == NULL) {
        return 0;
    }

    for (p = list; *p; p = *end ? end + 1 : end) {
        while (*p == ' ') {
            p++;
        }

        end = strchr(p, ',');
        if (end == NULL) {
            end = p + strlen(p);
        }

        if (end > p) {
            rc = fn(p, (size_t) (end - p), arg);
            if (rc != 0) {
                return rc;
            }
        }
    }

    return 0;
}


typedef struct {
    const char  *name;
    size_t       len;
} llm_list_needle_t;


static int
llm_list_match(const char *item, size_t len, void *arg)
{
    llm_list_needle_t  *n = arg;

    while (len && item[len - 1] == ' ') {
        len--;
    }

    return len == n->len && memcmp(item, n->name, len) == 0;
}


int
llm_list_has(const char *list, const char *name, size_t len)
{
    llm_list_needle_t  n = { name, len };

    return llm_list_each(list, llm_list_match, &n);
}


/* run-time definitions */

static const char *
llm_def_str(const json_t *def, const char *key)
{
    return json_string_value(json_object_get(def, key));
}


/*
 * A list member of a definition as one comma-separated string kept in the
 * definition itself (so the row's pointers live as long as def does).
 */
static int
llm_def_list(json_t *def, const char *key, const char **out, char *err,
    size_t errlen)
{
    char    *s;
    size_t   i, len;
    json_t  *v, *item;

    v = json_object_get(def, key);
    *out = NULL;

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }

    if (!json_is_array(v)) {
        snprintf(err, errlen, "'%s': expected a list of strings", key);
        return -1;
    }

    len = 1;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            snprintf(err, errlen, "'%s[%zu]': expected a string", key, i);
            return -1;
        }
        len += json_string_length(item) + 1;
    }

    s = malloc(len);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    s[0] = '\0';
    json_array_foreach(v, i, item) {
        if (i) {
            strcat(s, ",");
        }
        strcat(s, json_string_value(item));
    }

    /* the joined form replaces the array; the object owns it from now on */
    json_object_set_new(def, key, json_string(s));
    free(s);

    *out = json_string_value(json_object_get(def, key));
    return 0;
}


typedef struct {
    const void  *names;
    size_t       n;
    unsigned     bits;
    const char  *bad;
    size_t       bad_len;
} llm_bits_t;


static int
llm_bit_of(const char *item, size_t len, void *arg)
{
    size_t       i;
    llm_bits_t  *b = arg;
    const struct { const char *name; unsigned bit; }  *names = b->names;

    for (i = 0; i < b->n; i++) {
        if (llm_name_is(names[i].name, item, len)) {
            b->bits |= names[i].bit;
            return 0;
        }
    }

    b->bad = item;
    b->bad_len = len;
    return 1;
}


static int
llm_def_bits(json_t *def, const char *key, const void *names, size_t n,
    unsigned *out, char *err, size_t errlen)
{
    const char  *list;
    llm_bits_t   b = { names, n, 0, NULL, 0 };

    if (llm_def_list(def, key, &list, err, errlen) != 0) {
        return -1;
    }

    if (llm_list_each(list, llm_bit_of, &b) != 0) {
        snprintf(err, errlen, "'%s': unknown value \"%.*s\"", key,
                 (int) b.bad_len, b.bad);
        return -1;
    }

    *out = b.bits;
    return 0;
}


int
llm_provider_from_json(const json_t *cdef, llm_provider_row_t *row,
    char *err, size_t errlen)
{
    json_t      *def = (json_t *) cdef;
    const char  *s;

    memset(row, 0, sizeof(*row));

    if (!json_is_object(def)) {
        snprintf(err, errlen, "expected an object");
        return -1;
    }

    row->name = llm_def_str(def, "name");
    if (row->name == NULL || row->name[0] == '\0'
        || strchr(row->name, '/') != NULL)
    {
        snprintf(err, errlen, "'name': expected a provider prefix "
                 "without '/'");
        return -1;
    }

    s = llm_def_str(def, "wire");
    if (llm_wire_parse(s ? s : "openai", &row->wire) != 0) {
        snprintf(err, errlen, "'wire': unknown wire format \"%.40s\"", s);
        return -1;
    }

    s = llm_def_str(def, "auth");
    if (llm_auth_parse(s ? s : "bearer", &row->auth) != 0) {
        snprintf(err, errlen, "'auth': unknown auth scheme \"%.40s\"", s);
        return -1;
    }

    row->auth_header = llm_def_str(def, "auth_header");
    if (row->auth == LLM_AUTH_HEADER && row->auth_header == NULL) {
        snprintf(err, errlen, "'auth_header' is required with auth "
                 "\"header\"");
        return -1;
    }

    row->api_base = llm_def_str(def, "api_base");

    row->endpoints = LLM_EP_ALL;

    if (llm_def_list(def, "key_env", &row->key_env, err, errlen)
        || llm_def_list(def, "base_env", &row->base_env, err, errlen)
        || llm_def_list(def, "region_env", &row->region_env, err, errlen)
        || llm_def_list(def, "rejects", &row->rejects, err, errlen)
        || (json_object_get(def, "endpoints") != NULL
            && llm_def_bits(def, "endpoints", llm_endpoint_names,
                            llm_nelts(llm_endpoint_names), &row->endpoints,
                            err, errlen))
        || llm_def_bits(def, "quirks", llm_quirk_names,
                        llm_nelts(llm_quirk_names), &row->quirks, err,
                        errlen))
    {
        return -1;
    }

    return 0;
}


static void
llm_set_list(json_t *o, const char *key, const char *list)
{
    char        *s, *p, *tok;
    json_t      *a;

    if (list == NULL) {
        return;
    }

    a = json_array();
    s = strdup(list);

    if (s != NULL) {
        for (tok = strtok_r(s, ",", &p); tok; tok = strtok_r(NULL, ",", &p)) {
            json_array_append_new(a, json_string(tok));
        }
        free(s);
    }

    json_object_set_new(o, key, a);
}


json_t *
llm_provider_to_json(const llm_provider_row_t *row)
{
    size_t   i;
    json_t  *o, *a;

    o = json_object();

    json_object_set_new(o, "name", json_string(row->name));
    json_object_set_new(o, "wire", json_string(llm_wire_name(row->wire)));
    json_object_set_new(o, "auth", json_string(llm_auth_name(row->auth)));

    if (row->auth_header) {
        json_object_set_new(o, "auth_header", json_string(row->auth_header));
    }

    json_object_set_new(o, "api_base", row->api_base
                                       ? json_string(row->api_base)
                                       : json_null());
    llm_set_list(o, "key_env", row->key_env);
    llm_set_list(o, "base_env", row->base_env);
    llm_set_list(o, "region_env", row->region_env);

    a = json_array();
    for (i = 0; i < llm_nelts(llm_endpoint_names); i++) {
        if (row->endpoints & llm_endpoint_names[i].bit) {
            json_array_append_new(a, json_string(llm_endpoint_names[i].name));
        }
    }
    json_object_set_new(o, "endpoints", a);

    a = json_array();
    for (i = 0; i < llm_nelts(llm_quirk_names); i++) {
        if (row->quirks & llm_quirk_names[i].bit) {
            json_array_append_new(a, json_string(llm_quirk_names[i].name));
        }
    }
    json_object_set_new(o, "quirks", a);

    llm_set_list(o, "rejects", row->rejects);
    if (row->rejects == NULL) {
        json_object_set_new(o, "rejects", json_array());
    }

    return o;
}


int
llm_provider_set_load(llm_provider_set_t *set, json_t *defs, char *err,
    size_t errlen)
{
    char     why[200];
    size_t   i, n;
    json_t  *def;

    memset(set, 0, sizeof(*set));

    if (!json_is_array(defs)) {
        snprintf(err, errlen, "provider definitions: expected a list");
        return -1;
    }

    n = json_array_size(defs);
    set->rows = calloc(n ? n : 1, sizeof(llm_provider_row_t));
    if (set->rows == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    set->defs = json_incref(defs);

    json_array_foreach(defs, i, def) {
        if (llm_provider_from_json(def, &set->rows[i], why, sizeof(why))
            != 0)
        {
            snprintf(err, errlen, "provider definition %zu (%s): %s", i,
                     json_is_string(json_object_get(def, "name"))
                     ? json_string_value(json_object_get(def, "name"))
                     : "?", why);
            llm_provider_set_free(set);
            return -1;
        }
    }

    set->nrows = n;
    return 0;
}


void
llm_provider_set_free(llm_provider_set_t *set)
{
    free(set->rows);
    json_decref(set->defs);
    memset(set, 0, sizeof(*set));
}


int
llm_azure_responses_dated(const char *v)
{
    int  i;

    /* YYYY-MM-DD, then nothing or "-preview" */
    if (v == NULL || strlen(v) < 10) {
        return 0;
    }

    for (i = 0; i < 10; i++) {
        if ((i == 4 || i == 7) ? v[i] != '-' : (v[i] < '0' || v[i] > '9')) {
            return 0;
        }
    }

    return strncmp(v, "2025-03-01", 10) >= 0;
}
