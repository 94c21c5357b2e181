/*
 * What a deployment's provider needs, worked out from its table row
 * (llm_provider_table.c), litellm_params and the environment: endpoint,
 * wire format and endpoints, the key, AWS and Vertex AI credentials.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_url.h"
#include "cfg_model_int.h"

/* The first of a comma-separated list of variables that is set, or NULL. */
const char *
cfg_env_first(cfg_ctx_t *ctx, const char *names, const char **which)
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
                               : cfg_env_first(ctx, row->region_env, NULL);
        } else {
            v = cfg_env_first(ctx, name, NULL);
        }

        if (v == NULL) {
            if (strcmp(name, "region") == 0) {
                cfg_disable(d, d->model_node, "provider '%s' needs a region: "
                        "set litellm_params.region_name%s%s", row->name,
                        row->region_env ? " or " : "",
                        row->region_env ? row->region_env : "");
            } else {
                cfg_disable(d, d->model_node, "%s is not set (the api_base of "
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
int
cfg_deployment_set_endpoint(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const llm_provider_row_t *provider, json_t *out)
{
    char         sub[CFG_PATH_MAX];
    char        *base;
    const char  *given, *why;
    cfg_url_t    url;
    size_t       len;

    given = d->api_base ? d->api_base
                        : cfg_env_first(ctx, provider->base_env, NULL);
    if (given == NULL) {
        given = provider->api_base;
    }
    if (given == NULL) {
        cfg_disable(d, d->params_node, "'api_base' is required for provider "
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

/* The row's data the module needs for each request, into the deployment. */
void
cfg_deployment_set_provider(json_t *out, const llm_provider_row_t *row,
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
void
cfg_deployment_set_responses(cfg_ctx_t *ctx, const deployment_t *d,
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
                            : cfg_env_first(ctx, row->base_env, NULL);
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
int
cfg_deployment_set_api_key(cfg_ctx_t *ctx, const char *path, deployment_t *d,
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
            key = cfg_env_first(ctx, row->key_env, &var);
        }
        if (var != NULL) {
            env_origin(var, origin, sizeof(origin));
        }
    }

    if (key == NULL && why[0] != '\0'
        && d->mock_response == NULL && !(row->quirks & LLM_PQ_KEY_OPTIONAL))
    {
        cfg_disable(d, d->model_node, "no credentials for provider '%s': %s",
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
        cfg_disable(d, d->model_node, "no credentials for provider '%s': set "
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
int
cfg_deployment_set_aws(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const llm_provider_row_t *row, json_t *out)
{
    char         sub[CFG_PATH_MAX], why[256];
    const char  *region;
    int          rc;

    region = d->region_name ? d->region_name
                            : cfg_env_first(ctx, row->region_env, NULL);
    if (region == NULL) {
        cfg_disable(d, d->model_node, "provider '%s' needs a region: set "
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
        cfg_disable(d, d->model_node, "provider '%s': %s", row->name, why);
    } else if (rc < 0) {
        cfg_path(sub, path, "litellm_params");
        cfg_error(ctx, d->params_node, sub, "%s", why);
    }
    return rc;
}

/* OAuth2 (Vertex AI): the project's base path and the service account */
int
cfg_deployment_set_vertex(cfg_ctx_t *ctx, deployment_t *d,
    const llm_provider_row_t *row, const char *model, json_t *out)
{
    char                          why[320], *root = NULL;
    const llm_provider_family_t  *family;

    family = llm_provider_family(row->name, model);

    if (cfg_vertex_setup(ctx, d->vertex_project, d->vertex_location,
                         d->vertex_credentials, d->api_base, &root, out,
                         why, sizeof(why)) != 0)
    {
        cfg_disable(d, d->model_node, "provider '%s': %s", row->name, why);
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
