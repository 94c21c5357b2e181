/*
 * Canonical config JSON -> routing tables.  controld has validated the
 * document already; this re-checks only what would make the data plane
 * misbehave (types, required fields), so a bad publish is refused whole.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_config.h"
#include "llm_xlate.h"


static const struct {
    const char      *name;
    llm_provider_t   provider;
    llm_api_t        api;
} llm_providers[] = {
    { "openai", LLM_PROVIDER_OPENAI, LLM_API_OPENAI },
    { "azure", LLM_PROVIDER_AZURE, LLM_API_OPENAI },
    { "openrouter", LLM_PROVIDER_OPENROUTER, LLM_API_OPENAI },
    { "ollama", LLM_PROVIDER_OLLAMA, LLM_API_OPENAI },
    { "ollama_chat", LLM_PROVIDER_OLLAMA, LLM_API_OPENAI },
    { "hosted_vllm", LLM_PROVIDER_HOSTED_VLLM, LLM_API_OPENAI },
    { "anthropic", LLM_PROVIDER_ANTHROPIC, LLM_API_ANTHROPIC },
    { "gemini", LLM_PROVIDER_GEMINI, LLM_API_GEMINI },
    { "mock", LLM_PROVIDER_MOCK, LLM_API_OPENAI },
};


static const char *llm_str(json_t *obj, const char *key);


llm_api_t
llm_wire_api(llm_wire_t wire)
{
    switch (wire) {
    case LLM_WIRE_ANTHROPIC:
    case LLM_WIRE_VERTEX_ANTHROPIC: /* Anthropic's, rawPredict's path */
        return LLM_API_ANTHROPIC;
    case LLM_WIRE_GEMINI:
    case LLM_WIRE_VERTEX:           /* Gemini's format, another path */
        return LLM_API_GEMINI;
    case LLM_WIRE_BEDROCK_CONVERSE:
        return LLM_API_BEDROCK;
    case LLM_WIRE_COHERE_V2:
        return LLM_API_COHERE;
    case LLM_WIRE_OPENAI_COMPLETIONS:
        return LLM_API_OPENAI_TEXT;
    default:
        return LLM_API_OPENAI;
    }
}


/* A list of strings ("rejects") as pointers into the tree. */
static int
llm_strings(json_t *a, const char ***out, size_t *n, char *err,
    size_t errlen, const char *where)
{
    size_t   i;
    json_t  *v;

    *out = NULL;
    *n = 0;

    if (a == NULL) {
        return 0;
    }

    if (!json_is_array(a)) {
        snprintf(err, errlen, "%s: expected a list of strings", where);
        return -1;
    }

    *out = calloc(json_array_size(a) + 1, sizeof(char *));
    if (*out == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    json_array_foreach(a, i, v) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "%s[%zu]: expected a string", where, i);
            return -1;
        }
        (*out)[(*n)++] = json_string_value(v);
    }

    return 0;
}


/*
 * Wire format, auth, endpoints, quirks and rejected fields: from the
 * deployment (controld copies them from the provider's row), else from the
 * built-in row of its provider (snapshots written before they existed).
 */
static int
llm_parse_provider_fields(llm_deployment_t *d, json_t *o, const char *where,
    char *err, size_t errlen)
{
    size_t                     i;
    json_t                    *v;
    unsigned                   bit;
    const char                *s;
    const llm_provider_row_t  *row;

    row = llm_provider_builtin(d->provider_name, strlen(d->provider_name));

    d->wire = row ? row->wire : LLM_WIRE_OPENAI;
    d->auth = row ? row->auth : LLM_AUTH_BEARER;
    d->auth_header = row ? row->auth_header : NULL;
    d->endpoints = row ? row->endpoints : LLM_EP_ALL;
    d->quirks = row ? row->quirks : 0;

    s = llm_str(o, "api");
    if (s != NULL && llm_wire_parse(s, &d->wire) != 0) {
        snprintf(err, errlen, "%s.api: unknown wire format \"%s\"", where, s);
        return -1;
    }

    s = llm_str(o, "auth");
    if (s != NULL && llm_auth_parse(s, &d->auth) != 0) {
        snprintf(err, errlen, "%s.auth: unknown auth scheme \"%s\"", where,
                 s);
        return -1;
    }

    if (llm_str(o, "auth_header") != NULL) {
        d->auth_header = llm_str(o, "auth_header");
    }

    if (d->auth == LLM_AUTH_HEADER && d->auth_header == NULL) {
        snprintf(err, errlen, "%s: auth \"header\" needs auth_header", where);
        return -1;
    }

    v = json_object_get(o, "endpoints");
    if (json_is_array(v)) {
        d->endpoints = 0;
        for (i = 0; i < json_array_size(v); i++) {
            s = json_string_value(json_array_get(v, i));
            if (s != NULL && llm_endpoint_parse(s, &bit) == 0) {
                d->endpoints |= bit;
            }
        }
    }

    v = json_object_get(o, "quirks");
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            s = json_string_value(json_array_get(v, i));
            if (s != NULL && strcmp(s, "azure_path") == 0) {
                d->quirks |= LLM_PQ_AZURE_PATH;
            } else if (s != NULL && strcmp(s, "no_stream_options") == 0) {
                d->quirks |= LLM_PQ_NO_STREAM_OPTIONS;
            }
        }
    }

    if (d->quirks & LLM_PQ_AZURE_PATH) {
        d->provider = LLM_PROVIDER_AZURE;
    }

    d->api = llm_wire_api(d->wire);

    v = json_object_get(o, "drop_params");
    d->drop_params = json_is_boolean(v) ? json_is_true(v) : -1;
    d->region_name = llm_str(o, "region_name");

    if (d->auth == LLM_AUTH_SIGV4) {
        d->aws_access_key_id = llm_str(o, "aws_access_key_id");
        d->aws_secret_access_key = llm_str(o, "aws_secret_access_key");
        d->aws_session_token = llm_str(o, "aws_session_token");

        if (d->aws_access_key_id == NULL || d->aws_secret_access_key == NULL
            || d->region_name == NULL)
        {
            snprintf(err, errlen, "%s: auth \"sigv4\" needs "
                     "aws_access_key_id, aws_secret_access_key and "
                     "region_name", where);
            return -1;
        }
    }

    return llm_strings(json_object_get(o, "rejects"), &d->rejects,
                       &d->nrejects, err, errlen, where);
}


static const char *
llm_str(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}


static int
llm_int(json_t *obj, const char *key, long long *out, char *err,
    size_t errlen, const char *where)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (json_is_integer(v)) {
        *out = json_integer_value(v);

    } else if (json_is_real(v)) {
        *out = (long long) json_real_value(v);

    } else {
        snprintf(err, errlen, "%s.%s: expected a number", where, key);
        return -1;
    }

    if (*out < 0) {
        snprintf(err, errlen, "%s.%s: must not be negative", where, key);
        return -1;
    }

    return 0;
}


static int
llm_hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    size_t    i;
    unsigned  hi, lo;

    if (strlen(hex) != n * 2) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (sscanf(hex + 2 * i, "%1x%1x", &hi, &lo) != 2) {
            return -1;
        }
        out[i] = (unsigned char) (hi << 4 | lo);
    }

    return 0;
}


static int
llm_parse_settings(llm_config_t *cf, json_t *s, char *err, size_t errlen)
{
    json_t          *v;
    llm_settings_t  *st;

    st = &cf->settings;

    st->routing_strategy = "simple-shuffle";
    st->num_retries = 2;
    st->allowed_fails = 3;
    st->cooldown_time_ms = 5000;
    st->max_fallbacks = 5;
    st->drop_params = -1;             /* not set: LLM_DROP_HINTS */
    st->log_payload_bytes = 0;

    if (s == NULL) {
        return 0;
    }

    if (!json_is_object(s)) {
        snprintf(err, errlen, "settings: expected an object");
        return -1;
    }

    if (llm_str(s, "routing_strategy") != NULL) {
        st->routing_strategy = llm_str(s, "routing_strategy");
    }

    v = json_object_get(s, "drop_params");
    if (json_is_boolean(v)) {
        st->drop_params = json_is_true(v);
    }

    if (llm_int(s, "num_retries", &st->num_retries, err, errlen, "settings")
        || llm_int(s, "timeout_ms", &st->timeout_ms, err, errlen, "settings")
        || llm_int(s, "stream_timeout_ms", &st->stream_timeout_ms, err, errlen,
                   "settings")
        || llm_int(s, "allowed_fails", &st->allowed_fails, err, errlen,
                   "settings")
        || llm_int(s, "cooldown_time_ms", &st->cooldown_time_ms, err, errlen,
                   "settings")
        || llm_int(s, "max_fallbacks", &st->max_fallbacks, err, errlen,
                   "settings"))
    {
        return -1;
    }

    return 0;
}


/*
 * "addrs" (controld's resolved addresses of the target) of a deployment or
 * a pass-through route; the strings stay owned by the document.
 */
int
llm_deployment_addrs(llm_deployment_t *d, json_t *o, const char *where,
    char *err, size_t errlen)
{
    size_t   k, n;
    json_t  *addrs;

    addrs = json_object_get(o, "addrs");
    n = json_is_array(addrs) ? json_array_size(addrs) : 0;

    if (n == 0) {
        return 0;
    }

    d->addrs = calloc(n, sizeof(char *));
    if (d->addrs == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    for (k = 0; k < n; k++) {
        if (!json_is_string(json_array_get(addrs, k))) {
            snprintf(err, errlen, "%s.addrs[%zu]: expected a string",
                     where, k);
            return -1;
        }
        d->addrs[d->naddrs++] = json_string_value(json_array_get(addrs, k));
    }

    return 0;
}


static int
llm_parse_deployment(llm_deployment_t *d, json_t *o, size_t i, char *err,
    size_t errlen)
{
    char    where[64];
    size_t  k;

    snprintf(where, sizeof(where), "deployments[%zu]", i);

    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: expected an object", where);
        return -1;
    }

    d->index = i;
    d->id = llm_str(o, "id");
    d->model_name = llm_str(o, "model_name");
    d->provider_name = llm_str(o, "provider");
    d->model = llm_str(o, "model");

    if (d->id == NULL || d->model_name == NULL || d->provider_name == NULL
        || d->model == NULL)
    {
        snprintf(err, errlen, "%s: id, model_name, provider and model are "
                 "required strings", where);
        return -1;
    }

    for (k = 0; k < sizeof(llm_providers) / sizeof(llm_providers[0]); k++) {
        if (strcmp(llm_providers[k].name, d->provider_name) == 0) {
            d->provider = llm_providers[k].provider;
            d->api = llm_providers[k].api;
            break;
        }
    }

    if (k == sizeof(llm_providers) / sizeof(llm_providers[0])) {
        d->provider = LLM_PROVIDER_OTHER;
        d->api = LLM_API_OPENAI;
    }

    if (d->provider == LLM_PROVIDER_MOCK) {
        d->wire = LLM_WIRE_OPENAI;
        d->auth = LLM_AUTH_NONE;
        d->endpoints = LLM_EP_ALL;
        d->drop_params = -1;

    } else if (llm_parse_provider_fields(d, o, where, err, errlen) != 0) {
        return -1;
    }

    d->model_passthrough = (strcmp(d->model, "*") == 0);
    d->scheme = llm_str(o, "scheme");
    d->host = llm_str(o, "host");
    d->base_path = llm_str(o, "base_path");
    d->api_key = llm_str(o, "api_key");
    d->api_version = llm_str(o, "api_version");
    d->mock_response = llm_str(o, "mock_response");

    if (d->base_path == NULL) {
        d->base_path = "";
    }

    if (d->provider == LLM_PROVIDER_MOCK) {
        if (d->mock_response == NULL) {
            d->mock_response = "This is a mock response.";
        }

    } else {
        if (d->scheme == NULL || d->host == NULL
            || (strcmp(d->scheme, "http") != 0
                && strcmp(d->scheme, "https") != 0))
        {
            snprintf(err, errlen, "%s: scheme (http or https) and host are "
                     "required", where);
            return -1;
        }
    }

    {
        long long  port = 0;

        if (llm_int(o, "port", &port, err, errlen, where) != 0) {
            return -1;
        }

        if (port == 0 && d->scheme != NULL) {
            port = strcmp(d->scheme, "https") == 0 ? 443 : 80;
        }

        if (port > 65535) {
            snprintf(err, errlen, "%s.port: out of range", where);
            return -1;
        }

        d->port = (int) port;
    }

    if (llm_int(o, "timeout_ms", &d->timeout_ms, err, errlen, where)
        || llm_int(o, "stream_timeout_ms", &d->stream_timeout_ms, err, errlen,
                   where)
        || llm_int(o, "rpm", &d->rpm, err, errlen, where)
        || llm_int(o, "tpm", &d->tpm, err, errlen, where)
        || llm_int(o, "weight", &d->weight, err, errlen, where)
        || llm_int(o, "order", &d->order, err, errlen, where)
        || llm_int(o, "max_tokens", &d->max_tokens, err, errlen, where))
    {
        return -1;
    }

    d->cooldown_time_ms = -1;

    if (json_object_get(o, "cooldown_time_ms") != NULL
        && llm_int(o, "cooldown_time_ms", &d->cooldown_time_ms, err, errlen,
                   where) != 0)
    {
        return -1;
    }

    if (llm_deployment_addrs(d, o, where, err, errlen) != 0
        || llm_deployment_families(d, o, where, err, errlen) != 0)
    {
        return -1;
    }

    return 0;
}


static size_t
llm_literal_chars(const char *s)
{
    size_t  n;

    for (n = 0; *s; s++) {
        n += (*s != '*');
    }

    return n;
}


static int
llm_group_cmp(const void *a, const void *b)
{
    const llm_group_t  *ga = a, *gb = b;

    /* exact names first, then patterns from the most specific */
    if (ga->pattern != gb->pattern) {
        return ga->pattern - gb->pattern;
    }

    if (ga->literal_chars != gb->literal_chars) {
        return ga->literal_chars < gb->literal_chars ? 1 : -1;
    }

    /* stable by first appearance */
    return ga->deployments[0]->index < gb->deployments[0]->index ? -1 : 1;
}


static int
llm_build_groups(llm_config_t *cf, char *err, size_t errlen)
{
    size_t              i, g;
    llm_group_t        *grp;
    llm_deployment_t   *d;

    cf->groups = calloc(cf->ndeployments ? cf->ndeployments : 1,
                        sizeof(llm_group_t));
    if (cf->groups == NULL) {
        goto nomem;
    }

    for (i = 0; i < cf->ndeployments; i++) {
        d = &cf->deployments[i];

        for (g = 0; g < cf->ngroups; g++) {
            if (strcmp(cf->groups[g].name, d->model_name) == 0) {
                break;
            }
        }

        grp = &cf->groups[g];

        if (g == cf->ngroups) {
            cf->ngroups++;
            grp->name = d->model_name;
            grp->pattern = (strchr(d->model_name, '*') != NULL);
            grp->literal_chars = llm_literal_chars(d->model_name);
            grp->deployments = calloc(cf->ndeployments,
                                      sizeof(llm_deployment_t *));
            if (grp->deployments == NULL) {
                goto nomem;
            }
        }

        grp->deployments[grp->ndeployments++] = d;
    }

    qsort(cf->groups, cf->ngroups, sizeof(llm_group_t), llm_group_cmp);

    for (g = 0; g < cf->ngroups && !cf->groups[g].pattern; g++) {
        /* void */
    }

    cf->nexact = g;

    return 0;

nomem:

    snprintf(err, errlen, "out of memory");

    return -1;
}


static int
llm_parse_aliases(llm_config_t *cf, char *err, size_t errlen)
{
    json_t      *map, *v;
    const char  *alias;

    map = json_object_get(json_object_get(cf->root, "settings"),
                          "model_group_alias");
    if (!json_is_object(map) || json_object_size(map) == 0) {
        return 0;
    }

    cf->aliases = calloc(json_object_size(map), sizeof(llm_alias_t));
    if (cf->aliases == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    json_object_foreach(map, alias, v) {
        if (json_is_string(v)) {
            cf->aliases[cf->naliases].group = json_string_value(v);

        } else if (json_is_string(json_object_get(v, "model"))) {
            cf->aliases[cf->naliases].group = llm_str(v, "model");
            cf->aliases[cf->naliases].hidden =
                json_is_true(json_object_get(v, "hidden"));

        } else {
            snprintf(err, errlen, "settings.model_group_alias.%s: expected "
                     "a group name", alias);
            return -1;
        }

        cf->aliases[cf->naliases++].alias = alias;
    }

    return 0;
}


static int
llm_parse_disabled(llm_config_t *cf, char *err, size_t errlen)
{
    size_t           i;
    json_t          *list, *v;
    llm_disabled_t  *dis;

    list = json_object_get(cf->root, "disabled");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        return 0;
    }

    cf->disabled = calloc(json_array_size(list), sizeof(llm_disabled_t));
    if (cf->disabled == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    json_array_foreach(list, i, v) {
        dis = &cf->disabled[cf->ndisabled];
        dis->model_name = llm_str(v, "model_name");
        dis->model = llm_str(v, "model");
        dis->reason = llm_str(v, "reason");

        if (dis->model_name == NULL || dis->reason == NULL) {
            snprintf(err, errlen, "disabled[%zu]: model_name and reason are "
                     "required strings", i);
            return -1;
        }

        if (dis->model == NULL) {
            dis->model = "";
        }

        cf->ndisabled++;
    }

    return 0;
}


llm_config_t *
llm_config_parse(const char *json, size_t len, char *err, size_t errlen)
{
    size_t         i;
    json_t        *deps, *v;
    json_error_t   jerr;
    llm_config_t  *cf;

    cf = calloc(1, sizeof(llm_config_t));
    if (cf == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    cf->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (cf->root == NULL) {
        snprintf(err, errlen, "invalid JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        goto failed;
    }

    if (!json_is_object(cf->root)) {
        snprintf(err, errlen, "config: expected an object");
        goto failed;
    }

    v = json_object_get(cf->root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        snprintf(err, errlen, "version: expected 1");
        goto failed;
    }

    v = json_object_get(cf->root, "master_key_sha256");
    if (json_is_string(v)) {
        if (llm_hex_to_bytes(json_string_value(v), cf->master_key_sha256, 32)
            != 0)
        {
            snprintf(err, errlen, "master_key_sha256: expected 64 hex digits");
            goto failed;
        }
        cf->has_master_key = 1;

    } else if (v != NULL && !json_is_null(v)) {
        snprintf(err, errlen, "master_key_sha256: expected a string");
        goto failed;
    }

    if (llm_parse_settings(cf, json_object_get(cf->root, "settings"), err,
                           errlen) != 0)
    {
        goto failed;
    }

    /* request_log.payload_bytes: general_settings.log_payloads */
    if (llm_int(json_object_get(cf->root, "request_log"), "payload_bytes",
                &cf->settings.log_payload_bytes, err, errlen, "request_log")
        != 0)
    {
        goto failed;
    }

    /* stored responses: general_settings.responses_* */
    v = json_object_get(cf->root, "responses");
    cf->settings.responses_ttl_ms = 3600 * 1000;
    cf->settings.responses_max_bytes = 8 * 1024 * 1024;
    cf->settings.responses_max_entry_bytes = 1024 * 1024;
    if (llm_int(v, "ttl_ms", &cf->settings.responses_ttl_ms, err, errlen,
                "responses")
        || llm_int(v, "max_bytes", &cf->settings.responses_max_bytes, err,
                   errlen, "responses")
        || llm_int(v, "max_entry_bytes",
                   &cf->settings.responses_max_entry_bytes, err, errlen,
                   "responses"))
    {
        goto failed;
    }

    deps = json_object_get(cf->root, "deployments");
    if (deps != NULL && !json_is_array(deps)) {
        snprintf(err, errlen, "deployments: expected an array");
        goto failed;
    }

    cf->ndeployments = deps ? json_array_size(deps) : 0;
    cf->deployments = calloc(cf->ndeployments ? cf->ndeployments : 1,
                             sizeof(llm_deployment_t));
    if (cf->deployments == NULL) {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    for (i = 0; i < cf->ndeployments; i++) {
        if (llm_parse_deployment(&cf->deployments[i], json_array_get(deps, i),
                                 i, err, errlen) != 0)
        {
            goto failed;
        }
    }

    if (llm_build_groups(cf, err, errlen) != 0
        || llm_parse_aliases(cf, err, errlen) != 0
        || llm_parse_disabled(cf, err, errlen) != 0
        || llm_parse_pass(cf, err, errlen) != 0)
    {
        goto failed;
    }

    return cf;

failed:

    llm_config_free(cf);

    return NULL;
}


void
llm_config_free(llm_config_t *cf)
{
    size_t  i;

    if (cf == NULL) {
        return;
    }

    for (i = 0; cf->deployments && i < cf->ndeployments; i++) {
        free(cf->deployments[i].addrs);
        free(cf->deployments[i].rejects);
        free(cf->deployments[i].families);
    }

    free(cf->aliases);
    free(cf->disabled);
    llm_pass_free(cf);

    for (i = 0; cf->groups && i < cf->ngroups; i++) {
        free(cf->groups[i].deployments);
    }

    free(cf->groups);
    free(cf->deployments);
    json_decref(cf->root);
    free(cf);
}
