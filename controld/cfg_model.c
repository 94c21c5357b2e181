/*
 * model_list -> "deployments": one JSON object per entry, with the
 * provider's scheme/host/port/base_path worked out here so the module only
 * appends an endpoint.  "addrs" is left empty; DNS fills it (cfg_resolve.c).
 * Reading an entry: cfg_model_read.c; its provider's needs:
 * cfg_model_provider.c.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_hash.h"
#include "cfg_model_int.h"

/* Azure's api-version when neither the config nor AZURE_API_VERSION gives
 * one. */
#define CFG_AZURE_DEFAULT_API_VERSION  "2024-10-21"

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
            cfg_disable(d, d->model_node, "provider '%.*s' is not supported by "
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
        cfg_disable(d, d->model_node, "incomplete: no %s name after '%s/'",
                (provider->quirks & LLM_PQ_AZURE_PATH) ? "deployment"
                                                        : "model",
                provider->name);
        return NULL;
    }

    if (d->missing_env != NULL) {
        cfg_disable(d, d->missing_env_node, "environment variable %.128s is "
                "not set (os.environ/%.128s)", d->missing_env, d->missing_env);
        return NULL;
    }
    if (d->missing_why[0] != '\0') {
        cfg_disable(d, d->item_node, "%s", d->missing_why);
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
        cfg_deployment_set_provider(out, provider, model);
        rc = provider->auth == LLM_AUTH_OAUTH2
             ? cfg_deployment_set_vertex(ctx, d, provider, model, out) : 0;
        if (rc == 0) {
            rc = cfg_deployment_set_endpoint(ctx, path, d, provider, out);
        }
        if (rc == 0) {
            cfg_deployment_set_responses(ctx, d, provider, out);
        }
        if (rc == 0) {
            rc = cfg_deployment_set_api_key(ctx, path, d, provider, out);
        }
        if (rc == 0 && provider->auth == LLM_AUTH_SIGV4) {
            rc = cfg_deployment_set_aws(ctx, path, d, provider, out);
        }
        if (rc != 0) {
            json_decref(out);
            return NULL;
        }
    }

    if ((provider->quirks & LLM_PQ_AZURE_PATH) && d->mock_response == NULL) {
        version = d->api_version ? d->api_version
                  : cfg_env_first(ctx, "AZURE_API_VERSION", NULL);
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

    json_object_set_new(out, "timeout_ms",
                        json_integer(or_zero(d->timeout_ms)));
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
        cfg_deployment_init(&d);

        if (cfg_deployment_read(ctx, cfg_node(ctx, *item), path, &d) == 0) {
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

        cfg_deployment_free(&d);
        index++;
    }

    json_decref(seen);
    return ok;
}
