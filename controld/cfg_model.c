/*
 * model_list -> "deployments": one JSON object per entry, with the
 * provider's scheme/host/port/base_path worked out here so the module only
 * appends an endpoint.  "addrs" is left empty; DNS fills it (cfg_resolve.c).
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile_int.h"
#include "cfg_hash.h"
#include "cfg_url.h"
#include "llm_provider.h"

/* Azure's api-version when neither the config nor AZURE_API_VERSION gives
 * one. */
#define CFG_AZURE_DEFAULT_API_VERSION  "2024-10-21"

#define UNSET  (-1LL)

typedef struct {
    char         *model_name;
    char         *model;
    char         *api_base;
    char         *api_key;
    char         *api_version;
    char         *mock_response;
    char         *region_name;
    char         *aws_access_key_id;
    char         *aws_secret_access_key;
    char         *aws_session_token;
    char         *aws_region_name;
    char         *aws_bedrock_runtime_endpoint;
    char         *vertex_project;
    char         *vertex_location;
    char         *vertex_credentials;
    int           drop_params;          /* -1: the router's */
    int           use_chat_completions_api;     /* -1: by api_base */
    long long     timeout_ms;
    long long     stream_timeout_ms;
    long long     rpm;
    long long     tpm;
    long long     weight;
    long long     order;
    long long     max_tokens;
    long long     cooldown_time_ms;
    double        input_cost_per_token;
    double        output_cost_per_token;
    double        cache_read_input_token_cost;
    double        cache_creation_input_token_cost;
    double        input_cost_per_second;
    double        output_cost_per_second;

    char         *info_id;
    long long     info_max_output_tokens;
    long long     info_max_tokens;
    json_t       *info_extra;

    yaml_node_t  *item_node;
    yaml_node_t  *params_node;
    yaml_node_t  *model_node;
    yaml_node_t  *api_base_node;

    /* an os.environ/ variable it names that is not set (first one) */
    const char         *missing_env;
    const yaml_node_t  *missing_env_node;
    /* a vault: value Vault could not give, and why */
    char                missing_why[400];

    /* where api_key came from (ctx->origin when it was read) */
    char                key_origin[320];

    /* why the gateway cannot serve it (empty: it can) */
    char          disabled[512];
    const yaml_node_t  *disabled_node;
} deployment_t;

typedef enum {
    FIELD_STRING,
    FIELD_UINT,
    FIELD_DURATION,
    FIELD_NUMBER,
    FIELD_BOOL
} field_kind_t;

typedef struct {
    const char    *name;
    field_kind_t   kind;
    size_t         offset;
} field_t;

#define F(name, kind)  { #name, kind, offsetof(deployment_t, name) }

static const field_t  litellm_params_fields[] = {
    F(model, FIELD_STRING),
    F(api_base, FIELD_STRING),
    F(api_key, FIELD_STRING),
    F(api_version, FIELD_STRING),
    F(mock_response, FIELD_STRING),
    { "timeout", FIELD_DURATION, offsetof(deployment_t, timeout_ms) },
    { "stream_timeout", FIELD_DURATION,
      offsetof(deployment_t, stream_timeout_ms) },
    F(rpm, FIELD_UINT),
    F(tpm, FIELD_UINT),
    F(weight, FIELD_UINT),
    F(order, FIELD_UINT),
    F(max_tokens, FIELD_UINT),
    { "cooldown_time", FIELD_DURATION,
      offsetof(deployment_t, cooldown_time_ms) },
    F(input_cost_per_token, FIELD_NUMBER),
    F(output_cost_per_token, FIELD_NUMBER),
    F(cache_read_input_token_cost, FIELD_NUMBER),
    F(cache_creation_input_token_cost, FIELD_NUMBER),
    F(input_cost_per_second, FIELD_NUMBER),
    F(output_cost_per_second, FIELD_NUMBER),
    F(region_name, FIELD_STRING),
    F(aws_access_key_id, FIELD_STRING),
    F(aws_secret_access_key, FIELD_STRING),
    F(aws_session_token, FIELD_STRING),
    F(aws_region_name, FIELD_STRING),
    F(aws_bedrock_runtime_endpoint, FIELD_STRING),
    F(vertex_project, FIELD_STRING),
    F(vertex_location, FIELD_STRING),
    F(vertex_credentials, FIELD_STRING),
    F(drop_params, FIELD_BOOL),
    F(use_chat_completions_api, FIELD_BOOL),
};

/*
 * litellm_params that make no sense here, with why (a warning each, not
 * "unknown key"): the user should know they are not in effect.
 */
static const struct {
    const char  *name;
    const char  *why;
} ignored_params[] = {
    { "mock_timeout", "a LiteLLM test hook; timeouts here come from the "
                      "provider's real answer" },
    { "custom_llm_provider", "the provider is the prefix of 'model'" },
    { "litellm_credential_name", "credentials come from api_key or the "
                                 "provider's environment variable" },
};

static void
deployment_init(deployment_t *d)
{
    memset(d, 0, sizeof(*d));
    d->timeout_ms = UNSET;
    d->stream_timeout_ms = UNSET;
    d->rpm = UNSET;
    d->tpm = UNSET;
    d->weight = UNSET;
    d->order = UNSET;
    d->max_tokens = UNSET;
    d->cooldown_time_ms = UNSET;
    d->input_cost_per_token = NAN;
    d->output_cost_per_token = NAN;
    d->cache_read_input_token_cost = NAN;
    d->cache_creation_input_token_cost = NAN;
    d->input_cost_per_second = NAN;
    d->output_cost_per_second = NAN;
    d->drop_params = -1;
    d->use_chat_completions_api = -1;
    d->info_max_output_tokens = UNSET;
    d->info_max_tokens = UNSET;
}

static void
deployment_free(deployment_t *d)
{
    free(d->model_name);
    free(d->model);
    free(d->api_base);
    free(d->api_key);
    free(d->api_version);
    free(d->mock_response);
    free(d->region_name);
    free(d->aws_access_key_id);
    free(d->aws_secret_access_key);
    free(d->aws_session_token);
    free(d->aws_region_name);
    free(d->aws_bedrock_runtime_endpoint);
    free(d->vertex_project);
    free(d->vertex_location);
    free(d->vertex_credentials);
    free(d->info_id);
    json_decref(d->info_extra);
}

static int
read_field(cfg_ctx_t *ctx, const field_t *f, deployment_t *d,
    yaml_node_t *value, const char *path)
{
    void  *slot = (char *) d + f->offset;

    switch (f->kind) {
    case FIELD_STRING:   return cfg_get_string(ctx, value, path, slot);
    case FIELD_UINT:     return cfg_get_uint(ctx, value, path, slot);
    case FIELD_DURATION: return cfg_get_duration_ms(ctx, value, path, slot);
    case FIELD_BOOL:     return cfg_get_bool(ctx, value, path, slot);
    default:             return cfg_get_number(ctx, value, path, slot);
    }
}

static void
warn_param(cfg_ctx_t *ctx, yaml_node_t *key_node, const char *path,
    const char *key)
{
    char    sub[CFG_PATH_MAX];
    size_t  i;

    for (i = 0; i < sizeof(ignored_params) / sizeof(ignored_params[0]); i++) {
        if (strcmp(key, ignored_params[i].name) == 0) {
            cfg_path(sub, path, key);
            cfg_warning(ctx, key_node, sub, "ignored: %s",
                        ignored_params[i].why);
            return;
        }
    }
    cfg_warn_unknown_key(ctx, key_node, path);
}

static int
read_litellm_params(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    deployment_t *d)
{
    char               sub[CFG_PATH_MAX];
    const char        *key;
    size_t             i;
    int                ok = 0;
    yaml_node_pair_t  *pair;
    yaml_node_t       *value;

    cfg_for_each_pair(node, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (key == NULL) {
            ok = -1;
            continue;
        }
        value = cfg_node(ctx, pair->value);
        cfg_path(sub, path, key);

        for (i = 0; i < sizeof(litellm_params_fields) / sizeof(field_t); i++) {
            if (strcmp(key, litellm_params_fields[i].name) == 0) {
                break;
            }
        }
        if (i == sizeof(litellm_params_fields) / sizeof(field_t)) {
            warn_param(ctx, cfg_node(ctx, pair->key), path, key);
            continue;
        }

        if (read_field(ctx, &litellm_params_fields[i], d, value, sub) < 0) {
            ok = -1;
        }
        if (strcmp(key, "api_key") == 0) {
            memcpy(d->key_origin, ctx->origin, sizeof(d->key_origin));
        } else if (strcmp(key, "model") == 0) {
            d->model_node = value;
        } else if (strcmp(key, "api_base") == 0) {
            d->api_base_node = value;
        }
    }
    return ok;
}

static int
read_model_info(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    deployment_t *d)
{
    char               sub[CFG_PATH_MAX];
    const char        *key;
    json_t            *value;
    int                ok = 0;
    yaml_node_pair_t  *pair;

    d->info_extra = json_object();

    cfg_for_each_pair(node, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (key == NULL) {
            ok = -1;
            continue;
        }
        cfg_path(sub, path, key);

        if (strcmp(key, "id") == 0) {
            if (cfg_get_string(ctx, cfg_node(ctx, pair->value), sub,
                               &d->info_id) < 0)
            {
                ok = -1;
            }
        } else if (strcmp(key, "max_output_tokens") == 0) {
            if (cfg_get_uint(ctx, cfg_node(ctx, pair->value), sub,
                             &d->info_max_output_tokens) < 0)
            {
                ok = -1;
            }
        } else if (strcmp(key, "max_tokens") == 0) {
            if (cfg_get_uint(ctx, cfg_node(ctx, pair->value), sub,
                             &d->info_max_tokens) < 0)
            {
                ok = -1;
            }
        } else {
            /* Everything else (mode, base_model, ...) travels as-is. */
            value = cfg_to_json(ctx, cfg_node(ctx, pair->value), sub);
            if (value == NULL) {
                ok = -1;
            } else {
                json_object_set_new(d->info_extra, key, value);
            }
        }
    }
    return ok;
}

/* Marks d as one the gateway cannot serve; the first reason stays. */
static void __attribute__((format(printf, 3, 4)))
disable(deployment_t *d, const yaml_node_t *node, const char *fmt, ...)
{
    va_list  ap;

    if (d->disabled[0] != '\0') {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(d->disabled, sizeof(d->disabled), fmt, ap);
    va_end(ap);
    d->disabled_node = node;
}

static int
read_item(cfg_ctx_t *ctx, yaml_node_t *item, const char *path,
    deployment_t *d)
{
    char               sub[CFG_PATH_MAX];
    const char        *key;
    int                ok = 0, rc;
    yaml_node_pair_t  *pair;
    yaml_node_t       *value;

    d->item_node = item;

    if (item->type != YAML_MAPPING_NODE) {
        cfg_error(ctx, item, path, "expected a mapping, got %s",
                  cfg_kind(item));
        return -1;
    }

    cfg_for_each_pair(item, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (key == NULL) {
            ok = -1;
            continue;
        }
        value = cfg_node(ctx, pair->value);
        cfg_path(sub, path, key);

        if (strcmp(key, "model_name") == 0) {
            if (cfg_get_string(ctx, value, sub, &d->model_name) < 0) {
                ok = -1;
            } else if (d->model_name != NULL && d->model_name[0] == '\0') {
                cfg_error(ctx, value, sub, "must not be empty");
                ok = -1;
            }

        } else if (strcmp(key, "litellm_params") == 0) {
            rc = cfg_expect_mapping(ctx, value, sub);
            if (rc > 0) {
                d->params_node = value;
                ctx->defer_env = 1;
                ctx->missing_env = NULL;
                ctx->missing_why[0] = '\0';
                if (read_litellm_params(ctx, value, sub, d) < 0) {
                    ok = -1;
                }
                ctx->defer_env = 0;
                d->missing_env = ctx->missing_env;
                d->missing_env_node = ctx->missing_env_node;
                memcpy(d->missing_why, ctx->missing_why,
                       sizeof(d->missing_why));
            } else if (rc < 0) {
                ok = -1;
            }

        } else if (strcmp(key, "model_info") == 0) {
            rc = cfg_expect_mapping(ctx, value, sub);
            if (rc > 0) {
                if (read_model_info(ctx, value, sub, d) < 0) {
                    ok = -1;
                }
            } else if (rc < 0) {
                ok = -1;
            }

        } else {
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key), path);
        }
    }

    if (d->model_name == NULL && ok == 0) {
        cfg_error(ctx, item, path, "missing 'model_name'");
        ok = -1;
    }
    if (d->params_node == NULL) {
        if (ok == 0) {
            cfg_error(ctx, item, path, "missing 'litellm_params'");
        }
        return -1;
    }
    if (d->model == NULL) {
        cfg_path(sub, path, "litellm_params");
        if (ok == 0) {
            cfg_error(ctx, d->params_node, sub, "missing 'model'");
        }
        return -1;
    }
    return ok;
}

/* The first of a comma-separated list of variables that is set, or NULL. */
static const char *
env_first(cfg_ctx_t *ctx, const char *names, const char **which)
{
    char         name[128];
    const char  *p, *end, *v;
    size_t       len;

    for (p = names; p != NULL && *p; p = *end ? end + 1 : end) {
        end = strchr(p, ',');
        if (end == NULL) {
            end = p + strlen(p);
        }
        len = (size_t) (end - p);
        if (len == 0 || len >= sizeof(name)) {
            continue;
        }
        memcpy(name, p, len);
        name[len] = '\0';

        v = cfg_env_lookup(ctx->env, name);
        if (v != NULL && v[0] != '\0') {
            if (which != NULL) {
                *which = p;
            }
            return v;
        }
    }
    return NULL;
}

/*
 * base with "{NAME}" replaced by variable NAME ("{region}": the
 * deployment's region_name, else the row's region_env).  Returns a
 * malloc'd string, or NULL with d disabled.
 */
static char *
expand_base(cfg_ctx_t *ctx, deployment_t *d, const llm_provider_row_t *row,
    const char *base)
{
    char         name[128], *out;
    const char  *p, *close, *v;
    size_t       len, n;

    out = malloc(strlen(base) + 1);
    if (out == NULL) {
        abort();
    }
    len = 0;

    for (p = base; *p; p++) {
        close = (*p == '{') ? strchr(p, '}') : NULL;
        if (close == NULL || (size_t) (close - p - 1) >= sizeof(name)) {
            out[len++] = *p;
            continue;
        }

        n = (size_t) (close - p - 1);
        memcpy(name, p + 1, n);
        name[n] = '\0';

        if (strcmp(name, "region") == 0) {
            v = d->region_name ? d->region_name
                               : env_first(ctx, row->region_env, NULL);
        } else {
            v = env_first(ctx, name, NULL);
        }

        if (v == NULL) {
            if (strcmp(name, "region") == 0) {
                disable(d, d->model_node, "provider '%s' needs a region: "
                        "set litellm_params.region_name%s%s", row->name,
                        row->region_env ? " or " : "",
                        row->region_env ? row->region_env : "");
            } else {
                disable(d, d->model_node, "%s is not set (the api_base of "
                        "provider '%s' needs it)", name, row->name);
            }
            free(out);
            return NULL;
        }

        out = realloc(out, strlen(base) + len + strlen(v) + 1);
        if (out == NULL) {
            abort();
        }
        memcpy(out + len, v, strlen(v));
        len += strlen(v);
        p = close;
    }

    out[len] = '\0';
    return out;
}

/*
 * scheme/host/port/base_path from api_base, the provider's base variable
 * or its default.  Returns 0, 1 when d got disabled, -1 after an error.
 */
static int
set_endpoint(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const llm_provider_row_t *provider, json_t *out)
{
    char         sub[CFG_PATH_MAX];
    char        *base;
    const char  *given, *why;
    cfg_url_t    url;
    size_t       len;

    given = d->api_base ? d->api_base
                        : env_first(ctx, provider->base_env, NULL);
    if (given == NULL) {
        given = provider->api_base;
    }
    if (given == NULL) {
        disable(d, d->params_node, "'api_base' is required for provider "
                "'%s' (litellm_params.api_base%s%s)", provider->name,
                provider->base_env ? " or " : "",
                provider->base_env ? provider->base_env : "");
        return 1;
    }

    base = expand_base(ctx, d, provider, given);
    if (base == NULL) {
        return 1;
    }

    if (cfg_url_parse(base, &url, &why) != 0) {
        cfg_path(sub, path, "litellm_params.api_base");
        cfg_error(ctx, d->api_base_node ? d->api_base_node : d->model_node,
                  sub, "expected http(s)://host[:port][/path], got "
                  "\"%.80s\" (%s)", base, why);
        free(base);
        return -1;
    }
    free(base);

    len = strlen(url.path);
    if ((provider->quirks & LLM_PQ_APPEND_V1)
        && (len < 3 || strcmp(url.path + len - 3, "/v1") != 0)
        && len + 3 < sizeof(url.path))
    {
        strcat(url.path, "/v1");
    }

    json_object_set_new(out, "scheme", json_string(url.scheme));
    json_object_set_new(out, "host", json_string(url.host));
    json_object_set_new(out, "port", json_integer(url.port));
    json_object_set_new(out, "addrs", json_array());
    json_object_set_new(out, "base_path", json_string(url.path));
    return 0;
}

static long long
or_zero(long long v)
{
    return v == UNSET ? 0 : v;
}

/* The stable id: it must not change across reloads of the same entry. */
static void
default_id(const deployment_t *d, size_t index, char *out)
{
    char    hex[CFG_SHA256_HEX_LEN + 1];
    char   *buf;
    size_t  len;

    len = strlen(d->model_name) + strlen(d->model)
          + (d->api_base ? strlen(d->api_base) : 0) + 32;
    buf = malloc(len);
    if (buf == NULL) {
        abort();
    }
    snprintf(buf, len, "%s\n%s\n%s\n%zu", d->model_name, d->model,
             d->api_base ? d->api_base : "", index);
    cfg_sha256_hex(buf, strlen(buf), hex);
    free(buf);

    memcpy(out, hex, 16);
    out[16] = '\0';
}

/* The row's data the module needs for each request, into the deployment. */
static void
set_provider_fields(json_t *out, const llm_provider_row_t *row,
    const char *model)
{
    json_t                       *row_json;
    const llm_provider_family_t  *family;

    row_json = llm_provider_to_json(row);

    json_object_set_new(out, "api", json_string(llm_wire_name(row->wire)));
    json_object_set_new(out, "auth", json_string(llm_auth_name(row->auth)));
    if (row->auth_header != NULL) {
        json_object_set_new(out, "auth_header",
                            json_string(row->auth_header));
    }
    json_object_set(out, "endpoints", json_object_get(row_json, "endpoints"));
    if (json_array_size(json_object_get(row_json, "quirks")) > 0) {
        json_object_set(out, "quirks", json_object_get(row_json, "quirks"));
    }
    if (json_array_size(json_object_get(row_json, "rejects")) > 0) {
        json_object_set(out, "rejects", json_object_get(row_json, "rejects"));
    }
    json_decref(row_json);

    /* the model's family: its wire format and endpoints (Vertex AI) */
    family = llm_provider_family(row->name, model);
    if (family == NULL) {
        return;
    }
    json_object_set_new(out, "api", json_string(llm_wire_name(family->wire)));
    json_object_set_new(out, "endpoints", cfg_family_endpoints(family));
}

/*
 * Whether a Responses request is passed through to the provider's own
 * Responses API (the row's "responses" endpoint) or translated to chat:
 * use_chat_completions_api says so; without it, a deployment whose
 * api_base is not its provider's default (an OpenAI-compatible server
 * behind openai/) is taken to have chat completions only.
 */
static void
set_responses(cfg_ctx_t *ctx, const deployment_t *d,
    const llm_provider_row_t *row, json_t *out)
{
    size_t       i, len;
    json_t      *eps;
    const char  *given;
    int          chat;

    eps = json_object_get(out, "endpoints");
    for (i = 0; i < json_array_size(eps); i++) {
        if (strcmp(json_string_value(json_array_get(eps, i)) ?: "",
                   "responses") == 0)
        {
            break;
        }
    }
    if (i == json_array_size(eps)) {
        return;
    }

    chat = d->use_chat_completions_api;
    if (chat == -1) {
        given = d->api_base ? d->api_base
                            : env_first(ctx, row->base_env, NULL);
        len = given ? strlen(given) : 0;
        while (len > 0 && given[len - 1] == '/') {
            len--;
        }
        chat = given != NULL && row->api_base != NULL
               && (len != strlen(row->api_base)
                   || strncmp(given, row->api_base, len) != 0);
    }
    if (chat) {
        json_array_remove(eps, i);
    }
}

/* "environment NAME" or ".env NAME" for the first name of "NAME,..." */
static void
env_origin(const char *names, char *out, size_t size)
{
    char    name[128];
    size_t  len = strcspn(names, ",");

    if (len >= sizeof(name)) {
        len = sizeof(name) - 1;
    }
    memcpy(name, names, len);
    name[len] = '\0';
    snprintf(out, size, "%s %s", getenv(name) != NULL ? "environment"
                                                       : ".env", name);
}

/*
 * The key: api_key, else Vault's PREFIX/<provider> (vault_path_prefix),
 * else the provider's variables (as in LiteLLM).
 */
static int
set_api_key(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const llm_provider_row_t *row, json_t *out)
{
    char         sub[CFG_PATH_MAX], why[320], origin[320];
    const char  *key, *var = NULL;

    why[0] = '\0';
    origin[0] = '\0';
    if (d->api_key != NULL && d->api_key[0] != '\0') {
        key = d->api_key;
        memcpy(origin, d->key_origin, sizeof(origin));
    } else {
        /* Vault's PREFIX/<provider> first (where an operator who set it
         * keeps keys), then the provider's variables */
        key = cfg_vault_default_key(ctx, row->name, why, sizeof(why));
        if (key != NULL) {
            memcpy(origin, ctx->origin, sizeof(origin));
        } else {
            key = env_first(ctx, row->key_env, &var);
        }
        if (var != NULL) {
            env_origin(var, origin, sizeof(origin));
        }
    }

    if (key == NULL && why[0] != '\0'
        && d->mock_response == NULL && !(row->quirks & LLM_PQ_KEY_OPTIONAL))
    {
        disable(d, d->model_node, "no credentials for provider '%s': %s",
                row->name, why);
        return 1;
    }

    if (key == NULL) {
        if (d->mock_response != NULL || (row->quirks & LLM_PQ_KEY_OPTIONAL)
            || row->auth == LLM_AUTH_NONE || row->auth == LLM_AUTH_SIGV4
            || row->auth == LLM_AUTH_OAUTH2)
        {
            return 0;
        }
        disable(d, d->model_node, "no credentials for provider '%s': set "
                "litellm_params.api_key%s%s", row->name,
                row->key_env ? " or " : "",
                row->key_env ? row->key_env : "");
        return 1;
    }

    if (cfg_has_control_char(key)) {
        /* the module writes the key into a request header */
        cfg_path(sub, path, "litellm_params.api_key");
        cfg_error(ctx, d->params_node, sub,
                  "contains a control character (a stray line break "
                  "or carriage return in .env?); a key is one line");
        return -1;
    }
    json_object_set_new(out, "api_key", json_string(key));
    cfg_key_source(ctx, d->model_name, row->name, origin, key);
    return 0;
}

/* SigV4: the credentials, and the region the signature names */
static int
set_aws(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const llm_provider_row_t *row, json_t *out)
{
    char         sub[CFG_PATH_MAX], why[256];
    const char  *region;
    int          rc;

    region = d->region_name ? d->region_name
                            : env_first(ctx, row->region_env, NULL);
    if (region == NULL) {
        disable(d, d->model_node, "provider '%s' needs a region: set "
                "litellm_params.aws_region_name%s%s", row->name,
                row->region_env ? " or " : "",
                row->region_env ? row->region_env : "");
        return 1;
    }
    json_object_set_new(out, "region_name", json_string(region));

    rc = cfg_aws_credentials(ctx, d->aws_access_key_id,
                             d->aws_secret_access_key, d->aws_session_token,
                             out, why, sizeof(why));
    if (rc == 1) {
        disable(d, d->model_node, "provider '%s': %s", row->name, why);
    } else if (rc < 0) {
        cfg_path(sub, path, "litellm_params");
        cfg_error(ctx, d->params_node, sub, "%s", why);
    }
    return rc;
}

/* OAuth2 (Vertex AI): the project's base path and the service account */
static int
set_vertex(cfg_ctx_t *ctx, deployment_t *d, const llm_provider_row_t *row,
    const char *model, json_t *out)
{
    char                          why[320], *root = NULL;
    const llm_provider_family_t  *family;

    family = llm_provider_family(row->name, model);

    if (cfg_vertex_setup(ctx, d->vertex_project, d->vertex_location,
                         d->vertex_credentials, d->api_base, &root, out,
                         why, sizeof(why)) != 0)
    {
        disable(d, d->model_node, "provider '%s': %s", row->name, why);
        return 1;
    }
    free(d->api_base);
    d->api_base = cfg_vertex_base(root, family ? family->publisher
                                               : "google");
    /* a wildcard's family is the requested model's (the module picks) */
    if (strcmp(model, "*") == 0) {
        cfg_vertex_families(root, row->name, out);
    }
    free(root);
    return 0;
}

static void
set_number(json_t *out, const char *name, double v)
{
    if (!isnan(v)) {
        json_object_set_new(out, name, json_real(v));
    }
}

/*
 * One deployment's JSON.  NULL after an error, or with d->disabled set when
 * the gateway cannot serve it.
 */
static json_t *
build_deployment(cfg_ctx_t *ctx, const char *path, size_t index,
    deployment_t *d)
{
    char                       id[17];
    const char                *slash, *model, *version;
    const llm_provider_row_t  *provider;
    json_t                    *out;
    long long                  max_tokens;
    int                        rc;

    slash = strchr(d->model, '/');
    if (slash != NULL) {
        provider = llm_provider_find(ctx->providers, d->model,
                                     (size_t) (slash - d->model));
        model = slash + 1;
        if (provider == NULL) {
            disable(d, d->model_node, "provider '%.*s' is not supported by "
                    "this gateway (docs/providers.md lists those it is)",
                    (int) (slash - d->model), d->model);
            return NULL;
        }
    } else {
        provider = llm_provider_builtin("openai", 6);
        model = d->model;
    }

    if (provider->auth == LLM_AUTH_SIGV4) {
        /* bedrock/converse/M is bedrock/M: Converse is the only API here */
        if (strncmp(model, "converse/", 9) == 0) {
            model += 9;
        }
        /* LiteLLM's names for what the other providers call these */
        if (d->region_name == NULL && d->aws_region_name != NULL) {
            d->region_name = strdup(d->aws_region_name);
        }
        if (d->api_base == NULL && d->aws_bedrock_runtime_endpoint != NULL) {
            d->api_base = strdup(d->aws_bedrock_runtime_endpoint);
        }
    }

    if (model[0] == '\0') {
        disable(d, d->model_node, "incomplete: no %s name after '%s/'",
                (provider->quirks & LLM_PQ_AZURE_PATH) ? "deployment"
                                                        : "model",
                provider->name);
        return NULL;
    }

    if (d->missing_env != NULL) {
        disable(d, d->missing_env_node, "environment variable %.128s is not "
                "set (os.environ/%.128s)", d->missing_env, d->missing_env);
        return NULL;
    }
    if (d->missing_why[0] != '\0') {
        disable(d, d->item_node, "%s", d->missing_why);
        return NULL;
    }

    if (d->info_id == NULL) {
        default_id(d, index, id);
    }

    out = json_object();
    json_object_set_new(out, "id", json_string(d->info_id ? d->info_id : id));
    json_object_set_new(out, "model_name", json_string(d->model_name));

    if (d->mock_response != NULL) {
        /* Answered by the module itself: no network fields at all. */
        json_object_set_new(out, "provider", json_string("mock"));
        json_object_set_new(out, "api", json_string("openai"));
        json_object_set_new(out, "model", json_string(model));
    } else {
        json_object_set_new(out, "provider", json_string(provider->name));
        json_object_set_new(out, "model", json_string(model));
        set_provider_fields(out, provider, model);
        rc = provider->auth == LLM_AUTH_OAUTH2
             ? set_vertex(ctx, d, provider, model, out) : 0;
        if (rc == 0) {
            rc = set_endpoint(ctx, path, d, provider, out);
        }
        if (rc == 0) {
            set_responses(ctx, d, provider, out);
        }
        if (rc == 0) {
            rc = set_api_key(ctx, path, d, provider, out);
        }
        if (rc == 0 && provider->auth == LLM_AUTH_SIGV4) {
            rc = set_aws(ctx, path, d, provider, out);
        }
        if (rc != 0) {
            json_decref(out);
            return NULL;
        }
    }

    if ((provider->quirks & LLM_PQ_AZURE_PATH) && d->mock_response == NULL) {
        version = d->api_version ? d->api_version
                  : env_first(ctx, "AZURE_API_VERSION", NULL);
        json_object_set_new(out, "api_version",
                            json_string(version ? version
                                        : CFG_AZURE_DEFAULT_API_VERSION));
    }
    if (d->region_name != NULL) {
        json_object_set_new(out, "region_name", json_string(d->region_name));
    }
    if (d->drop_params != -1) {
        json_object_set_new(out, "drop_params",
                            json_boolean(d->drop_params));
    }

    max_tokens = d->max_tokens != UNSET ? d->max_tokens
                 : d->info_max_output_tokens != UNSET
                   ? d->info_max_output_tokens
                   : d->info_max_tokens;

    json_object_set_new(out, "timeout_ms", json_integer(or_zero(d->timeout_ms)));
    json_object_set_new(out, "stream_timeout_ms",
                        json_integer(or_zero(d->stream_timeout_ms)));
    json_object_set_new(out, "rpm", json_integer(or_zero(d->rpm)));
    json_object_set_new(out, "tpm", json_integer(or_zero(d->tpm)));
    json_object_set_new(out, "weight", json_integer(or_zero(d->weight)));
    json_object_set_new(out, "order", json_integer(or_zero(d->order)));
    json_object_set_new(out, "max_tokens", json_integer(or_zero(max_tokens)));

    set_number(out, "input_cost_per_token", d->input_cost_per_token);
    set_number(out, "output_cost_per_token", d->output_cost_per_token);
    set_number(out, "cache_read_input_token_cost",
               d->cache_read_input_token_cost);
    set_number(out, "cache_creation_input_token_cost",
               d->cache_creation_input_token_cost);
    set_number(out, "input_cost_per_second", d->input_cost_per_second);
    set_number(out, "output_cost_per_second", d->output_cost_per_second);

    /* absent: the router's cooldown_time; 0 disables it here */
    if (d->cooldown_time_ms != UNSET) {
        json_object_set_new(out, "cooldown_time_ms",
                            json_integer(d->cooldown_time_ms));
    }
    if (d->mock_response != NULL) {
        json_object_set_new(out, "mock_response",
                            json_string(d->mock_response));
    }
    if (d->info_extra != NULL && json_object_size(d->info_extra) > 0) {
        json_object_set(out, "model_info", d->info_extra);
    }
    return out;
}

/*
 * A deployment the gateway cannot serve: a warning (an error under
 * --strict) at its position, and an entry in "disabled" so that status,
 * /health and requests for the model can say why.
 */
static void
record_disabled(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    json_t *disabled)
{
    char               where[CFG_PATH_MAX + 64];
    const yaml_node_t  *node;
    const char        *slash;

    node = d->disabled_node ? d->disabled_node : d->item_node;

    cfg_soft_error(ctx, node, path, "deployment '%.128s' disabled: %s",
                   d->model_name, d->disabled);

    snprintf(where, sizeof(where), "%s:%zu:%zu", ctx->file,
             node ? node->start_mark.line + 1 : 0,
             node ? node->start_mark.column + 1 : 0);

    slash = strchr(d->model, '/');

    json_array_append_new(disabled, json_pack(
        "{s:s, s:s, s:s%, s:s, s:s}",
        "model_name", d->model_name,
        "model", d->model,
        "provider", slash ? d->model : "openai",
                    slash ? (size_t) (slash - d->model) : strlen("openai"),
        "reason", d->disabled,
        "where", where));
}

int
cfg_compile_models(cfg_ctx_t *ctx, yaml_node_t *list, json_t *deployments,
    json_t *disabled)
{
    char               path[CFG_PATH_MAX];
    size_t             index = 0;
    int                ok = 0;
    const char        *id;
    json_t            *dep, *seen, *first;
    yaml_node_item_t  *item;
    deployment_t       d;

    seen = json_object();       /* id -> index of its first use */

    cfg_for_each_item(list, item) {
        snprintf(path, sizeof(path), "model_list[%zu]", index);
        deployment_init(&d);

        if (read_item(ctx, cfg_node(ctx, *item), path, &d) == 0) {
            dep = build_deployment(ctx, path, index, &d);
            if (dep == NULL && d.disabled[0] != '\0') {
                record_disabled(ctx, path, &d, disabled);
            } else if (dep == NULL) {
                ok = -1;
            } else {
                id = json_string_value(json_object_get(dep, "id"));
                first = json_object_get(seen, id);
                if (first != NULL) {
                    cfg_error(ctx, d.item_node, path,
                              "duplicate deployment id '%.64s' (first used "
                              "by model_list[%lld])", id,
                              json_integer_value(first));
                    json_decref(dep);
                    ok = -1;
                } else {
                    json_object_set_new(seen, id, json_integer(index));
                    json_array_append_new(deployments, dep);
                }
            }
        } else {
            ok = -1;
        }

        deployment_free(&d);
        index++;
    }

    json_decref(seen);
    return ok;
}
