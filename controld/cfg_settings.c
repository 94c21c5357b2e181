/*
 * router_settings, litellm_settings and general_settings -> "settings".
 * LiteLLM reads the routing keys from both sections; the compiler applies
 * litellm_settings first and router_settings second, so the router wins.
 */

#include <stdlib.h>
#include <string.h>

#include "cfg_compile_int.h"

static const char *const  routing_strategies[] = {
    "simple-shuffle", "least-busy", "usage-based-routing",
    "usage-based-routing-v2", "latency-based-routing", "cost-based-routing",
};

static const char *const  retry_policy_names[] = {
    "BadRequestErrorRetries", "AuthenticationErrorRetries",
    "TimeoutErrorRetries", "RateLimitErrorRetries",
    "ContentPolicyViolationErrorRetries", "InternalServerErrorRetries",
};

json_t *
cfg_default_settings(void)
{
    /* drop_params is absent unless set: the worker's default then drops
       sampling hints only (llm_xlate_drop.c) */
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:{}, s:{},"
                     " s:{}, s:[]}",
                     "routing_strategy", "simple-shuffle",
                     "num_retries", 2,
                     "timeout_ms", 0,
                     "stream_timeout_ms", 0,
                     "allowed_fails", 3,
                     "cooldown_time_ms", 5000,
                     "max_fallbacks", 5,
                     "fallbacks",
                     "context_window_fallbacks",
                     "content_policy_fallbacks",
                     "default_fallbacks");
}

/* A model group name or a list of them -> JSON array of strings. */
static json_t *
group_list(cfg_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    char               sub[CFG_PATH_MAX];
    char              *name = NULL;
    json_t            *out = json_array();
    size_t             index = 0;
    yaml_node_item_t  *item;
    int                rc;

    if (node->type == YAML_SCALAR_NODE) {
        rc = cfg_get_string(ctx, node, path, &name);
        if (rc < 0) {
            json_decref(out);
            return NULL;
        }
        if (rc > 0) {
            json_array_append_new(out, json_string(name));
        }
        free(name);
        return out;
    }

    if (node->type != YAML_SEQUENCE_NODE) {
        cfg_error(ctx, node, path, "expected a list of model names, got %s",
                  cfg_kind(node));
        json_decref(out);
        return NULL;
    }

    cfg_for_each_item(node, item) {
        cfg_path_index(sub, path, index++);
        rc = cfg_get_string(ctx, cfg_node(ctx, *item), sub, &name);
        if (rc < 0) {
            json_decref(out);
            free(name);
            return NULL;
        }
        if (rc > 0) {
            json_array_append_new(out, json_string(name));
        }
        free(name);
        name = NULL;
    }
    return out;
}

/* Adds one {group: [fallbacks]} mapping into out. */
static int
merge_fallback_map(cfg_ctx_t *ctx, yaml_node_t *map, const char *path,
    json_t *out)
{
    char               sub[CFG_PATH_MAX];
    const char        *group;
    json_t            *targets;
    yaml_node_pair_t  *pair;

    cfg_for_each_pair(map, pair) {
        group = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (group == NULL) {
            return -1;
        }
        cfg_path(sub, path, group);
        targets = group_list(ctx, cfg_node(ctx, pair->value), sub);
        if (targets == NULL) {
            return -1;
        }
        json_object_set_new(out, group, targets);
    }
    return 0;
}

/*
 * LiteLLM writes fallbacks as a list of one-key maps,
 * [{"gpt-4o": ["claude"]}]; a plain map is accepted too.  Both become
 * {"gpt-4o": ["claude"]}.
 */
static json_t *
fallbacks(cfg_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    char               sub[CFG_PATH_MAX];
    json_t            *out = json_object();
    size_t             index = 0;
    yaml_node_t       *entry;
    yaml_node_item_t  *item;

    if (node->type == YAML_MAPPING_NODE) {
        if (merge_fallback_map(ctx, node, path, out) != 0) {
            json_decref(out);
            return NULL;
        }
        return out;
    }

    if (node->type != YAML_SEQUENCE_NODE) {
        cfg_error(ctx, node, path, "expected a list like [{\"model\": "
                  "[\"fallback\"]}], got %s", cfg_kind(node));
        json_decref(out);
        return NULL;
    }

    cfg_for_each_item(node, item) {
        cfg_path_index(sub, path, index++);
        entry = cfg_node(ctx, *item);
        if (entry->type != YAML_MAPPING_NODE) {
            cfg_error(ctx, entry, sub, "expected a mapping like {\"model\": "
                      "[\"fallback\"]}, got %s", cfg_kind(entry));
            json_decref(out);
            return NULL;
        }
        if (merge_fallback_map(ctx, entry, sub, out) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *
retry_policy(cfg_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    char               sub[CFG_PATH_MAX];
    const char        *name;
    long long          n;
    size_t             i;
    json_t            *out;
    yaml_node_pair_t  *pair;

    if (cfg_expect_mapping(ctx, node, path) < 0) {
        return NULL;
    }
    out = json_object();
    if (node->type != YAML_MAPPING_NODE) {
        return out;
    }

    cfg_for_each_pair(node, pair) {
        name = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (name == NULL) {
            json_decref(out);
            return NULL;
        }
        for (i = 0; i < sizeof(retry_policy_names) / sizeof(char *); i++) {
            if (strcmp(name, retry_policy_names[i]) == 0) {
                break;
            }
        }
        if (i == sizeof(retry_policy_names) / sizeof(char *)) {
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key), path);
            continue;
        }
        cfg_path(sub, path, name);
        switch (cfg_get_uint(ctx, cfg_node(ctx, pair->value), sub, &n)) {
        case -1:
            json_decref(out);
            return NULL;
        case 1:
            json_object_set_new(out, name, json_integer(n));
            break;
        }
    }
    return out;
}

static int
routing_strategy(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    json_t *settings)
{
    char    *name = NULL;
    size_t   i;
    int      rc;

    rc = cfg_get_string(ctx, node, path, &name);
    if (rc <= 0) {
        return rc;
    }
    for (i = 0; i < sizeof(routing_strategies) / sizeof(char *); i++) {
        if (strcmp(name, routing_strategies[i]) == 0) {
            json_object_set_new(settings, "routing_strategy",
                                json_string(name));
            free(name);
            return 1;
        }
    }
    cfg_error(ctx, node, path, "unknown routing strategy \"%.40s\" (one of: "
              "simple-shuffle, least-busy, usage-based-routing, "
              "usage-based-routing-v2, latency-based-routing, "
              "cost-based-routing)", name);
    free(name);
    return -1;
}

/* Sets settings[json_name] from one YAML value; 0 or -1. */
static int
setting_uint(cfg_ctx_t *ctx, yaml_node_t *v, const char *path,
    json_t *settings, const char *json_name)
{
    long long  n;
    int        rc = cfg_get_uint(ctx, v, path, &n);

    if (rc > 0) {
        json_object_set_new(settings, json_name, json_integer(n));
    }
    return rc < 0 ? -1 : 0;
}

static int
setting_duration(cfg_ctx_t *ctx, yaml_node_t *v, const char *path,
    json_t *settings, const char *json_name)
{
    long long  ms;
    int        rc = cfg_get_duration_ms(ctx, v, path, &ms);

    if (rc > 0) {
        json_object_set_new(settings, json_name, json_integer(ms));
    }
    return rc < 0 ? -1 : 0;
}

static int
setting_bool(cfg_ctx_t *ctx, yaml_node_t *v, const char *path,
    json_t *settings, const char *json_name)
{
    int  b, rc = cfg_get_bool(ctx, v, path, &b);

    if (rc > 0) {
        json_object_set_new(settings, json_name, json_boolean(b));
    }
    return rc < 0 ? -1 : 0;
}

static int
setting_string(cfg_ctx_t *ctx, yaml_node_t *v, const char *path,
    json_t *settings, const char *json_name)
{
    char  *s = NULL;
    int    rc = cfg_get_string(ctx, v, path, &s);

    if (rc > 0) {
        json_object_set_new(settings, json_name, json_string(s));
    }
    free(s);
    return rc < 0 ? -1 : 0;
}

static int
setting_json(json_t *value, json_t *settings, const char *json_name)
{
    if (value == NULL) {
        return -1;
    }
    json_object_set_new(settings, json_name, value);
    return 0;
}

static int redis_setting(cfg_ctx_t *ctx, const char *key, yaml_node_t *v,
    const char *path, json_t *settings);
static int redis_port(cfg_ctx_t *ctx, yaml_node_t *v, const char *path,
    json_t *settings);

/* One key of router_settings/litellm_settings; 1 = unknown key. */
static int
compile_setting(cfg_ctx_t *ctx, const char *key, yaml_node_t *v,
    const char *path, json_t *settings)
{
    int  rc;

    if (strcmp(key, "routing_strategy") == 0) {
        return routing_strategy(ctx, v, path, settings) < 0 ? -1 : 0;
    }
    if (strcmp(key, "num_retries") == 0 || strcmp(key, "allowed_fails") == 0
        || strcmp(key, "max_fallbacks") == 0 || strcmp(key, "redis_db") == 0)
    {
        return setting_uint(ctx, v, path, settings, key);
    }
    if (strcmp(key, "timeout") == 0) {
        /* An explicit timeout beats litellm_settings.request_timeout. */
        json_object_set_new(settings, "\001timeout_explicit", json_true());
        return setting_duration(ctx, v, path, settings, "timeout_ms");
    }
    if (strcmp(key, "request_timeout") == 0) {
        if (json_object_get(settings, "\001timeout_explicit") != NULL) {
            long long  ignored;
            return cfg_get_duration_ms(ctx, v, path, &ignored) < 0 ? -1 : 0;
        }
        return setting_duration(ctx, v, path, settings, "timeout_ms");
    }
    if (strcmp(key, "stream_timeout") == 0) {
        return setting_duration(ctx, v, path, settings, "stream_timeout_ms");
    }
    if (strcmp(key, "cooldown_time") == 0) {
        return setting_duration(ctx, v, path, settings, "cooldown_time_ms");
    }
    if (strcmp(key, "retry_after") == 0) {
        /* the floor of every backoff before a retry */
        return setting_duration(ctx, v, path, settings, "retry_after_ms");
    }
    if (strcmp(key, "drop_params") == 0
        || strcmp(key, "enable_pre_call_checks") == 0
        || strcmp(key, "disable_cooldowns") == 0)
    {
        return setting_bool(ctx, v, path, settings, key);
    }
    if (strcmp(key, "fallbacks") == 0
        || strcmp(key, "context_window_fallbacks") == 0
        || strcmp(key, "content_policy_fallbacks") == 0)
    {
        if (cfg_is_null(v)) {
            return 0;
        }
        return setting_json(fallbacks(ctx, v, path), settings, key);
    }
    if (strcmp(key, "default_fallbacks") == 0) {
        if (cfg_is_null(v)) {
            return 0;
        }
        return setting_json(group_list(ctx, v, path), settings, key);
    }
    if (strcmp(key, "retry_policy") == 0) {
        return setting_json(retry_policy(ctx, v, path), settings, key);
    }
    if (strcmp(key, "routing_strategy_args") == 0) {
        rc = cfg_expect_mapping(ctx, v, path);
        if (rc <= 0) {
            return rc;
        }
        return setting_json(cfg_to_json(ctx, v, path), settings, key);
    }
    if (strcmp(key, "model_group_alias") == 0) {
        return cfg_compile_aliases(ctx, v, path, settings);
    }
    if (strncmp(key, "redis_", 6) == 0) {
        return redis_setting(ctx, key, v, path, settings);
    }
    return 1;
}

/*
 * redis_host, redis_password, redis_port.  One that names a variable that
 * is not set is a warning, and Redis is not used (state stays in the local
 * file): LiteLLM's own example config names REDIS_HOST and must start.
 */
static int
redis_setting(cfg_ctx_t *ctx, const char *key, yaml_node_t *v,
    const char *path, json_t *settings)
{
    int  rc;

    ctx->defer_env = 1;
    ctx->missing_env = NULL;

    if (strcmp(key, "redis_host") == 0 || strcmp(key, "redis_password") == 0) {
        rc = setting_string(ctx, v, path, settings, key);
    } else if (strcmp(key, "redis_port") == 0) {
        rc = redis_port(ctx, v, path, settings);
    } else {
        rc = 1;
    }

    ctx->defer_env = 0;
    if (ctx->missing_env != NULL) {
        cfg_soft_error(ctx, v, path, "environment variable %.128s is not set "
                       "(os.environ/%.128s): Redis is not used, state stays "
                       "in the local state file", ctx->missing_env,
                       ctx->missing_env);
    }
    return rc;
}

static int
redis_port(cfg_ctx_t *ctx, yaml_node_t *v, const char *path,
    json_t *settings)
{
    long long  port;
    int        rc;

    rc = cfg_get_uint(ctx, v, path, &port);
    if (rc > 0 && (port < 1 || port > 65535)) {
        cfg_error(ctx, v, path, "expected a port number (1-65535), got %lld",
                  port);
        return -1;
    }
    if (rc > 0) {
        json_object_set_new(settings, "redis_port", json_integer(port));
    }
    return rc < 0 ? -1 : 0;
}

int
cfg_compile_settings(cfg_ctx_t *ctx, yaml_node_t *node, const char *section,
    json_t *settings)
{
    char               path[CFG_PATH_MAX];
    const char        *key;
    int                ok = 0, rc;
    yaml_node_pair_t  *pair;

    rc = cfg_expect_mapping(ctx, node, section);
    if (rc <= 0) {
        return rc;
    }

    cfg_for_each_pair(node, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), section);
        if (key == NULL) {
            ok = -1;
            continue;
        }
        cfg_path(path, section, key);
        rc = compile_setting(ctx, key, cfg_node(ctx, pair->value), path,
                             settings);
        if (rc == 1
            && !cfg_ignored_setting(ctx, cfg_node(ctx, pair->key), key,
                                    section))
        {
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key), section);
        } else if (rc < 0) {
            ok = -1;
        }
    }
    return ok;
}

/*
 * general_settings.metrics_listen (an address nginx listens on for
 * /metrics without auth) and metrics_names (native, litellm or both): not
 * for the module, for the nginx.conf llmctl writes ("metrics" in doc).
 */
static int
compile_metrics(cfg_ctx_t *ctx, const char *key, yaml_node_t *value,
    json_t *doc)
{
    char    *s = NULL, path[256];
    json_t  *m;
    int      rc;

    cfg_path(path, "general_settings", key);
    rc = cfg_get_string(ctx, value, path, &s);
    if (rc <= 0) {
        return rc;
    }
    if (strcmp(key, "metrics_names") == 0 && strcmp(s, "native") != 0
        && strcmp(s, "litellm") != 0 && strcmp(s, "both") != 0)
    {
        cfg_error(ctx, value, path, "must be native, litellm or both");
        free(s);
        return -1;
    }
    if (strcmp(key, "metrics_listen") == 0
        && (s[0] == '\0' || strpbrk(s, " \t\n;{}") != NULL))
    {
        cfg_error(ctx, value, path, "must be an address nginx listens on, "
                  "e.g. 127.0.0.1:9464");
        free(s);
        return -1;
    }
    m = json_object_get(doc, "metrics");
    if (m == NULL) {
        m = json_object();
        json_object_set_new(doc, "metrics", m);
    }
    json_object_set_new(m, strcmp(key, "metrics_names") == 0
                           ? "names" : "listen", json_string(s));
    free(s);
    return 0;
}

/*
 * The request log's general_settings, into doc "request_log":
 *   request_log_max_size, request_log_max_files: when `llmctl run` rotates
 *     logs/requests.log and access.log (max_bytes, max_files; read by the
 *     supervisor);
 *   log_payloads (bool), log_payloads_max_size: whether the module writes
 *     the request and the answer into each line, and how many bytes of
 *     each (payload_bytes, 0 = none; see request_log_payloads()).
 */
#define LOG_PAYLOADS_DEFAULT  4096
#define LOG_PAYLOADS_MAX      (64 * 1024)

static int
compile_request_log(cfg_ctx_t *ctx, const char *key, yaml_node_t *value,
    json_t *doc)
{
    char         path[256];
    long long    n;
    int          b, rc;
    json_t      *r;
    const char  *field;

    cfg_path(path, "general_settings", key);
    if (strcmp(key, "log_payloads") == 0) {
        rc = cfg_get_bool(ctx, value, path, &b);
        n = b;
        field = "payloads";
    } else if (strcmp(key, "request_log_max_files") == 0) {
        rc = cfg_get_uint(ctx, value, path, &n);
        field = "max_files";
    } else {
        rc = cfg_get_size_bytes(ctx, value, path, &n);
        field = strcmp(key, "log_payloads_max_size") == 0
                ? "payload_max" : "max_bytes";
    }
    if (rc <= 0) {
        return rc;
    }
    if (strcmp(field, "max_files") == 0 && (n < 1 || n > 1000)) {
        cfg_error(ctx, value, path, "must be from 1 to 1000 (files kept "
                  "besides the current one)");
        return -1;
    }
    if (strcmp(field, "max_bytes") == 0 && n != 0 && n < 4096) {
        cfg_error(ctx, value, path, "must be 0 (no rotation) or at least "
                  "4KB");
        return -1;
    }
    if (strcmp(field, "payload_max") == 0
        && (n < 256 || n > LOG_PAYLOADS_MAX))
    {
        cfg_error(ctx, value, path, "must be from 256 bytes to 64KB (of "
                  "the request and of the answer, per line)");
        return -1;
    }
    r = json_object_get(doc, "request_log");
    if (r == NULL) {
        r = json_object();
        json_object_set_new(doc, "request_log", r);
    }
    json_object_set_new(r, field, json_integer(n));
    return 0;
}

/*
 * Stored responses of the Responses API, into doc "responses" (the module
 * keeps them in its shared zone, per nginx):
 *   responses_ttl             how long one is kept (ttl_ms; default 1h);
 *   responses_max_size        all of them together (max_bytes; 8MB);
 *   responses_max_entry_size  one of them (max_entry_bytes; 1MB).
 */
static int
compile_responses(cfg_ctx_t *ctx, const char *key, yaml_node_t *value,
    json_t *doc)
{
    char         path[256];
    long long    n;
    int          rc;
    json_t      *r;
    const char  *field;

    cfg_path(path, "general_settings", key);
    if (strcmp(key, "responses_ttl") == 0) {
        rc = cfg_get_duration_ms(ctx, value, path, &n);
        field = "ttl_ms";
        if (rc > 0 && n < 1000) {
            cfg_error(ctx, value, path, "must be at least 1 second");
            return -1;
        }
    } else {
        rc = cfg_get_size_bytes(ctx, value, path, &n);
        field = strcmp(key, "responses_max_size") == 0
                ? "max_bytes" : "max_entry_bytes";
        if (rc > 0 && (n < 1024 || n > 1024LL * 1024 * 1024)) {
            cfg_error(ctx, value, path, "must be from 1KB to 1GB");
            return -1;
        }
    }
    if (rc <= 0) {
        return rc;
    }
    r = json_object_get(doc, "responses");
    if (r == NULL) {
        r = json_object();
        json_object_set_new(doc, "responses", r);
    }
    json_object_set_new(r, field, json_integer(n));
    return 0;
}

/* payloads + payload_max -> payload_bytes, the one value the module reads */
static void
request_log_payloads(json_t *doc)
{
    json_t     *r = json_object_get(doc, "request_log");
    json_t     *max = json_object_get(r, "payload_max");
    long long   n = 0;

    if (r == NULL) {
        return;
    }
    if (json_integer_value(json_object_get(r, "payloads"))) {
        n = max != NULL ? json_integer_value(max) : LOG_PAYLOADS_DEFAULT;
    }
    json_object_del(r, "payloads");
    json_object_del(r, "payload_max");
    json_object_set_new(r, "payload_bytes", json_integer(n));
}

/*
 * general_settings that make no sense in this gateway, with why: each is a
 * warning (the user should know it is not in effect), never an error.
 */
static const struct {
    const char  *name;
    const char  *why;
} ignored_general[] = {
    { "store_model_in_db", "models come from config.yaml only (there is "
                           "no database); `llmctl reload` applies edits" },
    { "database_url", "there is no database: keys and spend live in Redis "
                      "or the state file" },
    { "database_connection_pool_limit", "there is no database: keys and "
                                        "spend live in Redis or the state "
                                        "file" },
    { "database_connection_timeout", "there is no database" },
    { "proxy_batch_write_at", "spend is drained from nginx by controld on "
                              "its own interval" },
    { "proxy_budget_rescheduler_min_time", "controld resets budgets when "
                                           "their period ends" },
    { "proxy_budget_rescheduler_max_time", "controld resets budgets when "
                                           "their period ends" },
    { "alerting", "alerts are not sent; /metrics and the access log carry "
                  "what to alert on" },
    { "alerting_threshold", "alerts are not sent" },
    { "disable_spend_logs", "per-request logs are nginx's access_log, "
                            "configured there" },
    { "background_health_checks", "health is passive here: failures cool "
                                  "deployments down" },
    { "health_check_interval", "health is passive here: failures cool "
                               "deployments down" },
    { "callbacks", "callbacks are Python hooks; log with nginx's access_log "
                   "and the $llm_* variables" },
    { "success_callback", "callbacks are Python hooks; log with nginx's "
                          "access_log and the $llm_* variables" },
    { "failure_callback", "callbacks are Python hooks; log with nginx's "
                          "access_log and the $llm_* variables" },
    { "telemetry", "nothing is ever sent anywhere" },
    { "set_verbose", "nginx's error_log level says how much is logged" },
    { "json_logs", "controld's log is one line per event already" },
};

int
cfg_ignored_setting(cfg_ctx_t *ctx, yaml_node_t *key_node, const char *key,
    const char *section)
{
    char    path[CFG_PATH_MAX];
    size_t  i;

    for (i = 0; i < sizeof(ignored_general) / sizeof(ignored_general[0]);
         i++)
    {
        if (strcmp(key, ignored_general[i].name) == 0) {
            cfg_path(path, section, key);
            cfg_warning(ctx, key_node, path, "ignored: %s",
                        ignored_general[i].why);
            return 1;
        }
    }
    return 0;
}

int
cfg_compile_general(cfg_ctx_t *ctx, yaml_node_t *node, char **master_key,
    yaml_node_t **master_key_node, json_t *doc)
{
    const char        *key;
    int                ok = 0, rc, strict;
    yaml_node_pair_t  *pair;
    yaml_node_t       *value, *pass_through = NULL;

    rc = cfg_expect_mapping(ctx, node, "general_settings");
    if (rc <= 0) {
        return rc;
    }

    /* strict_config first: it decides what the other keys' problems are;
     * the Vault settings too, as any value below may be vault:... */
    cfg_for_each_pair(node, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), "general_settings");
        if (key != NULL && cfg_compile_vault_setting(ctx, key,
                                                     cfg_node(ctx,
                                                              pair->value))
                           < 0)
        {
            ok = -1;
        }
        if (key != NULL && strcmp(key, "strict_config") == 0) {
            rc = cfg_get_bool(ctx, cfg_node(ctx, pair->value),
                              "general_settings.strict_config", &strict);
            if (rc < 0) {
                ok = -1;
            } else if (rc > 0 && strict) {
                ctx->strict = 1;
            }
        }
    }

    cfg_for_each_pair(node, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), "general_settings");
        value = cfg_node(ctx, pair->value);
        if (key == NULL) {
            ok = -1;
        } else if (strcmp(key, "master_key") == 0) {
            *master_key_node = value;
            if (cfg_get_string(ctx, *master_key_node,
                               "general_settings.master_key", master_key) < 0)
            {
                ok = -1;
            }
        } else if (strcmp(key, "keys") == 0 || strcmp(key, "teams") == 0
                   || strcmp(key, "strict_config") == 0
                   || strcmp(key, "key_management_system") == 0
                   || strcmp(key, "vault_path_prefix") == 0
                   || strcmp(key, "vault_refresh_interval") == 0)
        {
            /* keys, teams: read by controld's key store (keys_config.c) */
        } else if (strcmp(key, "pass_through_endpoints") == 0) {
            pass_through = value;
        } else if (strcmp(key, "metrics_listen") == 0
                   || strcmp(key, "metrics_names") == 0)
        {
            if (compile_metrics(ctx, key, value, doc) < 0) {
                ok = -1;
            }
        } else if (strcmp(key, "request_log_max_size") == 0
                   || strcmp(key, "request_log_max_files") == 0
                   || strcmp(key, "log_payloads") == 0
                   || strcmp(key, "log_payloads_max_size") == 0)
        {
            if (compile_request_log(ctx, key, value, doc) < 0) {
                ok = -1;
            }
        } else if (strcmp(key, "responses_ttl") == 0
                   || strcmp(key, "responses_max_size") == 0
                   || strcmp(key, "responses_max_entry_size") == 0)
        {
            if (compile_responses(ctx, key, value, doc) < 0) {
                ok = -1;
            }
        } else if (!cfg_ignored_setting(ctx, cfg_node(ctx, pair->key), key,
                                        "general_settings"))
        {
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key),
                                 "general_settings");
        }
    }

    request_log_payloads(doc);

    if (pass_through != NULL
        && cfg_compile_pass_through(ctx, pass_through, doc) < 0)
    {
        ok = -1;
    }
    return ok;
}
