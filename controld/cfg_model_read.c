/*
 * Reading one model_list entry: model_name, litellm_params (the fields
 * LiteLLM knows, with a warning for those that do nothing here) and
 * model_info, into a deployment_t (cfg_model_int.h).
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_model_int.h"

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

void
cfg_deployment_init(deployment_t *d)
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

void
cfg_deployment_free(deployment_t *d)
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
void __attribute__((format(printf, 3, 4)))
cfg_disable(deployment_t *d, const yaml_node_t *node, const char *fmt, ...)
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

int
cfg_deployment_read(cfg_ctx_t *ctx, yaml_node_t *item, const char *path,
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
