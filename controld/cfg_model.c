/*
 * model_list -> "deployments": one JSON object per entry, with the
 * provider's scheme/host/port/base_path worked out here so the module only
 * appends an endpoint.  "addrs" is left empty; DNS fills it (cfg_resolve.c).
 */

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile_int.h"
#include "cfg_hash.h"
#include "cfg_provider.h"
#include "cfg_url.h"

#define UNSET  (-1LL)

typedef struct {
    char         *model_name;
    char         *model;
    char         *api_base;
    char         *api_key;
    char         *api_version;
    char         *mock_response;
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

    char         *info_id;
    long long     info_max_output_tokens;
    long long     info_max_tokens;
    json_t       *info_extra;

    yaml_node_t  *item_node;
    yaml_node_t  *params_node;
    yaml_node_t  *model_node;
    yaml_node_t  *api_base_node;
} deployment_t;

typedef enum {
    FIELD_STRING,
    FIELD_UINT,
    FIELD_DURATION,
    FIELD_NUMBER
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
    default:             return cfg_get_number(ctx, value, path, slot);
    }
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
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key), path);
            continue;
        }

        if (read_field(ctx, &litellm_params_fields[i], d, value, sub) < 0) {
            ok = -1;
        }
        if (strcmp(key, "model") == 0) {
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
                if (read_litellm_params(ctx, value, sub, d) < 0) {
                    ok = -1;
                }
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

static int
has_control_char(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* scheme/host/port/base_path from api_base or the provider's default. */
static int
set_endpoint(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const cfg_provider_t *provider, json_t *out)
{
    char         sub[CFG_PATH_MAX];
    const char  *base, *why;
    cfg_url_t    url;
    size_t       len;

    base = d->api_base ? d->api_base : provider->default_base;
    if (base == NULL) {
        cfg_path(sub, path, "litellm_params");
        cfg_error(ctx, d->params_node, sub,
                  "'api_base' is required for provider %s", provider->name);
        return -1;
    }

    if (cfg_url_parse(base, &url, &why) != 0) {
        cfg_path(sub, path, "litellm_params.api_base");
        cfg_error(ctx, d->api_base_node, sub,
                  "expected http(s)://host[:port][/path], got \"%.80s\" (%s)",
                  base, why);
        return -1;
    }

    len = strlen(url.path);
    if (provider->append_v1
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

static json_t *
build_deployment(cfg_ctx_t *ctx, const char *path, size_t index,
    deployment_t *d)
{
    char                   sub[CFG_PATH_MAX], id[17];
    const char            *slash, *model;
    const cfg_provider_t  *provider;
    json_t                *out;
    long long              max_tokens;

    slash = strchr(d->model, '/');
    if (slash != NULL) {
        provider = cfg_provider_find(d->model, (size_t) (slash - d->model));
        model = slash + 1;
        if (provider == NULL) {
            cfg_path(sub, path, "litellm_params.model");
            cfg_error(ctx, d->model_node, sub,
                      "unknown provider '%.*s' (supported: %s)",
                      (int) (slash - d->model), d->model,
                      cfg_provider_names());
            return NULL;
        }
    } else {
        provider = cfg_provider_find("openai", 6);
        model = d->model;
    }

    if (model[0] == '\0') {
        cfg_path(sub, path, "litellm_params.model");
        cfg_error(ctx, d->model_node, sub, "no model name after '%s/'",
                  provider->name);
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
        json_object_set_new(out, "api", json_string(provider->api));
        json_object_set_new(out, "model", json_string(model));
        if (set_endpoint(ctx, path, d, provider, out) != 0) {
            json_decref(out);
            return NULL;
        }
    }

    if (d->api_key != NULL && d->api_key[0] != '\0') {
        if (has_control_char(d->api_key)) {
            /* the module writes the key into a request header */
            cfg_path(sub, path, "litellm_params.api_key");
            cfg_error(ctx, d->params_node, sub,
                      "contains a control character (a stray line break "
                      "or carriage return in .env?); a key is one line");
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, "api_key", json_string(d->api_key));
    }
    if (strcmp(provider->name, "azure") == 0 && d->mock_response == NULL) {
        json_object_set_new(out, "api_version",
                            json_string(d->api_version
                                        ? d->api_version
                                        : CFG_AZURE_DEFAULT_API_VERSION));
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

    if (!isnan(d->input_cost_per_token)) {
        json_object_set_new(out, "input_cost_per_token",
                            json_real(d->input_cost_per_token));
    }
    if (!isnan(d->output_cost_per_token)) {
        json_object_set_new(out, "output_cost_per_token",
                            json_real(d->output_cost_per_token));
    }
    if (!isnan(d->cache_read_input_token_cost)) {
        json_object_set_new(out, "cache_read_input_token_cost",
                            json_real(d->cache_read_input_token_cost));
    }
    if (!isnan(d->cache_creation_input_token_cost)) {
        json_object_set_new(out, "cache_creation_input_token_cost",
                            json_real(d->cache_creation_input_token_cost));
    }
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

int
cfg_compile_models(cfg_ctx_t *ctx, yaml_node_t *list, json_t *deployments)
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
            if (dep == NULL) {
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
