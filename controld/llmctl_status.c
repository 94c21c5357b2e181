/*
 * status --detailed, test and restart: what an operator asks of a running
 * instance.  Secrets never leave here in clear: provider keys are shown by
 * their last 4 characters, and only the source of a key is named.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "cfg_compile.h"
#include "cfg_env.h"
#include "cfg_file.h"
#include "ctl_http.h"
#include "llmctl.h"
#include "llmctl_out.h"

/* ---- where each deployment's key comes from ----------------------------- */

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *name)
{
    yaml_node_pair_t  *pair;
    yaml_node_t       *k;

    if (map == NULL || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++)
    {
        k = yaml_document_get_node(doc, pair->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE
            && strcmp((const char *) k->data.scalar.value, name) == 0)
        {
            return yaml_document_get_node(doc, pair->value);
        }
    }
    return NULL;
}

json_t *
llmctl_yaml_model_keys(const char *config)
{
    yaml_parser_t     parser;
    yaml_document_t   doc;
    yaml_node_t      *list, *item, *key;
    yaml_node_item_t *it;
    json_t           *out;
    char             *text;
    size_t            len;
    int               err;

    text = cfg_read_file(config, &len, &err);
    if (text == NULL || !yaml_parser_initialize(&parser)) {
        free(text);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_parser_delete(&parser);
        free(text);
        return NULL;
    }
    out = json_array();
    list = map_get(&doc, yaml_document_get_root_node(&doc), "model_list");
    if (list != NULL && list->type == YAML_SEQUENCE_NODE) {
        for (it = list->data.sequence.items.start;
             it < list->data.sequence.items.top; it++)
        {
            item = yaml_document_get_node(&doc, *it);
            key = map_get(&doc, map_get(&doc, item, "litellm_params"),
                          "api_key");
            json_array_append_new(out, key && key->type == YAML_SCALAR_NODE
                ? json_string((const char *) key->data.scalar.value)
                : json_null());
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(text);
    return out;
}

/* "env", ".env", "vault", "config" or "none", from the raw YAML text of
 * model_list[i].litellm_params.api_key (compiled keys lose their source). */
static json_t *
key_sources(const llmctl_options_t *o)
{
    cfg_env_t   env;
    cfg_diag_t  diag;
    json_t     *out = json_array(), *doc;
    char       *path = NULL;

    doc = llmctl_yaml_model_keys(o->config);
    if (doc == NULL) {
        return out;
    }
    cfg_env_init(&env);
    cfg_diag_init(&diag);
    if (o->env == NULL) {
        path = cfg_env_default_path(o->config);
    }
    cfg_env_load(&env, o->env ? o->env : path, 0, &diag);
    free(path);

    {
        size_t       i;
        json_t      *v;
        const char  *text, *name;

        json_array_foreach(doc, i, v) {
            text = json_string_value(v);
            if (text == NULL || text[0] == '\0') {
                json_array_append_new(out, json_string("none"));
            } else if (strncmp(text, "os.environ/", 11) == 0) {
                name = text + 11;
                json_array_append_new(out, json_sprintf("%s %s",
                                      getenv(name) ? "env" : ".env", name));
            } else if (strncmp(text, "vault:", 6) == 0) {
                json_array_append_new(out, json_sprintf("vault %s",
                                                        text + 6));
            } else {
                json_array_append_new(out, json_string("config"));
            }
        }
    }
    json_decref(doc);
    cfg_env_free(&env);
    cfg_diag_free(&diag);
    return out;
}

static void
last4(const char *key, char *out, size_t size)
{
    size_t  len = key ? strlen(key) : 0;

    if (len == 0) {
        snprintf(out, size, "-");
    } else if (len <= 8) {
        snprintf(out, size, "...");
    } else {
        snprintf(out, size, "...%s", key + len - 4);
    }
}

/* The last reload's result, from controld's log. */
static json_t *
last_reload(const llmctl_options_t *o)
{
    char        *path = llmctl_prefix_path(o, "logs/controld.log");
    char        *text, *line, *p, *found = NULL;
    const char  *result = "none yet";
    int          err;
    json_t      *out;

    text = cfg_read_file(path, NULL, &err);
    free(path);
    if (text == NULL) {
        return json_pack("{s:s}", "result", "unknown (no controld.log)");
    }
    for (line = text; line && *line; line = p ? p + 1 : NULL) {
        p = strchr(line, '\n');
        if (p != NULL) {
            *p = '\0';
        }
        if (strstr(line, "reload failed") != NULL) {
            result = "failed; the previous config stays in place";
            found = line;
        } else if (strstr(line, "SIGHUP: reloading") != NULL) {
            result = "ok";
            found = line;
        }
    }
    out = json_pack("{s:s}", "result", result);
    if (found != NULL) {
        json_object_set_new(out, "line", json_string(found));
    }
    free(text);
    return out;
}

/* Where the key store lives, from /_ops/health: Redis's address, else the
 * state file ("redis" is JSON null for the file store). */
static const char *
store_where(const json_t *health)
{
    const char  *where;

    where = json_string_value(json_object_get(health, "redis"));
    if (where == NULL) {
        where = json_string_value(json_object_get(health, "state_file"));
    }
    return where ? where : "?";
}

static json_t *
gather(llmctl_options_t *o, int *healthy)
{
    cfg_result_t   res;
    json_t        *st, *admin, *health, *deps, *dep, *sources, *row;
    char           error[256], k4[16], *url;
    long           status = 0;
    size_t         i;
    pid_t          sup, ngx, ctl;

    *healthy = 1;
    sup = llmctl_live_pid(o, "run/llmctl.pid");
    ngx = llmctl_live_pid(o, "run/nginx.pid");
    ctl = llmctl_live_pid(o, "run/controld.pid");
    llmctl_args_load(o);

    st = json_pack("{s:s, s:b, s:{s:I, s:I, s:I}}", "prefix", o->prefix,
                   "running", sup != 0, "pids", "llmctl", (json_int_t) sup,
                   "nginx", (json_int_t) ngx, "controld", (json_int_t) ctl);
    if (sup == 0) {
        *healthy = 0;
        return st;
    }
    if (o->listen != NULL) {
        url = llmctl_listen_url(o->listen);
        json_object_set_new(st, "listen", json_pack("[s]", url));
        free(url);
    }

    admin = llmctl_admin_status(o, error, sizeof(error));
    json_object_set_new(st, "config", json_pack("{s:s?, s:o, s:o}",
        "file", o->config,
        "generation", admin ? json_incref(json_object_get(admin,
                                                          "generation"))
                            : json_null(),
        "last_reload", last_reload(o)));
    if (admin == NULL) {
        json_object_set_new(st, "nginx_admin", json_string(error));
        *healthy = 0;
    }
    json_decref(admin);

    health = ctl ? llmctl_mgmt_quiet(o, "GET", "/_ops/health", NULL,
                                     &status) : NULL;
    json_object_set_new(st, "controld", json_pack("{s:s}", "state",
                        ctl == 0 ? "down" : health ? "up"
                                 : "up, management API not answering"));
    if (health != NULL) {
        json_object_set_new(st, "store", health);
        if (!json_is_true(json_object_get(health, "available"))) {
            *healthy = 0;
        }
        json_object_set_new(st, "vault",
                            json_incref(json_object_get(health, "vault")
                                        ? json_object_get(health, "vault")
                                        : json_null()));
    } else {
        *healthy = 0;
    }

    deps = json_array();
    if (o->config != NULL && llmctl_compile(o, &res) == 0) {
        sources = key_sources(o);
        json_array_foreach(json_object_get(res.doc, "deployments"), i, dep) {
            last4(json_string_value(json_object_get(dep, "api_key")), k4,
                  sizeof(k4));
            row = json_pack("{s:O, s:O, s:O, s:s, s:O, s:s}",
                "id", json_object_get(dep, "id"),
                "model_name", json_object_get(dep, "model_name"),
                "provider", json_object_get(dep, "provider"),
                "key", k4,
                "key_source", json_array_get(sources, i)
                              ? json_array_get(sources, i) : json_null(),
                "state", "serving");
            json_array_append_new(deps, row);
        }
        json_decref(sources);
        cfg_result_free(&res);
    } else if (o->config != NULL) {
        cfg_result_free(&res);
        json_object_set_new(st, "config_error",
                            json_string("the config file does not compile "
                                        "now (llmctl reload shows why)"));
        *healthy = 0;
    }
    json_object_set_new(st, "deployments", deps);
    return st;
}

int
llmctl_cmd_status_detailed(llmctl_options_t *o)
{
    json_t       *st, *dep, *store;
    int           healthy;
    size_t        i;
    llmctl_table_t  t;
    const char   *vault;

    st = gather(o, &healthy);
    if (o->json) {
        json_object_set_new(st, "healthy", json_boolean(healthy));
        llmctl_print_json(st);
        i = json_is_true(json_object_get(st, "running"));
        json_decref(st);
        return !i ? LLMCTL_STOPPED : healthy ? LLMCTL_OK : LLMCTL_FAILED;
    }
    if (!json_is_true(json_object_get(st, "running"))) {
        printf("not running (prefix %s)\n", o->prefix);
        json_decref(st);
        return LLMCTL_STOPPED;
    }

    printf("%s (prefix %s)\n", healthy ? llmctl_green("running")
                                       : llmctl_red("running, degraded"),
           o->prefix);
    printf("  %-12s llmctl %lld, nginx %lld, controld %lld\n", "pids",
           json_integer_value(json_object_get(json_object_get(st, "pids"),
                                              "llmctl")),
           json_integer_value(json_object_get(json_object_get(st, "pids"),
                                              "nginx")),
           json_integer_value(json_object_get(json_object_get(st, "pids"),
                                              "controld")));
    printf("  %-12s %s\n", "listen",
           json_string_value(json_array_get(json_object_get(st, "listen"),
                                            0)));
    dep = json_object_get(st, "config");
    printf("  %-12s %s\n", "config",
           json_string_value(json_object_get(dep, "file")));
    printf("  %-12s %lld\n", "generation",
           json_integer_value(json_object_get(dep, "generation")));
    printf("  %-12s %s\n", "last reload",
           json_string_value(json_object_get(json_object_get(dep,
                                             "last_reload"), "result")));
    printf("  %-12s %s\n", "controld",
           json_string_value(json_object_get(json_object_get(st, "controld"),
                                             "state")));
    store = json_object_get(st, "store");
    if (store != NULL) {
        printf("  %-12s %s %s, %s (%lld keys, %lld teams)\n", "store",
               json_string_value(json_object_get(store, "store")),
               store_where(store),
               json_is_true(json_object_get(store, "available"))
                   ? llmctl_green("ok") : llmctl_red("unreachable"),
               json_integer_value(json_object_get(store, "keys")),
               json_integer_value(json_object_get(store, "teams")));
    }
    vault = json_string_value(json_object_get(json_object_get(st, "vault"),
                                              "state"));
    printf("  %-12s %s\n", "vault", vault ? vault : "not configured");

    printf("\n");
    llmctl_table_init(&t, 5, "DEPLOYMENT", "MODEL GROUP", "PROVIDER", "KEY",
                      "KEY SOURCE");
    json_array_foreach(json_object_get(st, "deployments"), i, dep) {
        llmctl_table_row(&t,
            json_string_value(json_object_get(dep, "id")),
            json_string_value(json_object_get(dep, "model_name")),
            json_string_value(json_object_get(dep, "provider")),
            json_string_value(json_object_get(dep, "key")),
            json_string_value(json_object_get(dep, "key_source")));
    }
    llmctl_table_print(&t, stdout);
    llmctl_table_free(&t);

    json_decref(st);
    return healthy ? LLMCTL_OK : LLMCTL_FAILED;
}

/* ---- test ---------------------------------------------------------------- */

typedef struct {
    llmctl_options_t  *o;
    json_t            *results;
    int                failed;
} checks_t;

static void
check_line(checks_t *c, const char *name, int ok, const char *detail,
    double ms)
{
    json_array_append_new(c->results, json_pack("{s:s, s:b, s:s, s:f}",
                          "check", name, "ok", ok, "detail", detail,
                          "ms", ms));
    if (!ok) {
        c->failed++;
    }
    if (!c->o->json) {
        printf("%s  %-34s %6.0f ms  %s\n",
               ok ? llmctl_green("ok  ") : llmctl_red("FAIL"), name, ms,
               detail);
        fflush(stdout);
    }
}

/* GET base/models the way the provider wants its key. */
static void
check_provider(checks_t *c, const json_t *dep, long timeout_ms)
{
    ctl_http_call_t      call;
    ctl_http_response_t  resp;
    const char          *api = json_string_value(json_object_get(dep, "api"));
    const char          *key = json_string_value(json_object_get(dep,
                                                             "api_key"));
    const char          *headers[3] = { NULL, NULL, NULL };
    char                 url[1200], auth[1200], name[200], detail[1400];
    char                 error[256];
    double               t0 = llmctl_now_ms();
    int                  port;

    port = (int) json_integer_value(json_object_get(dep, "port"));
    snprintf(url, sizeof(url), "%s://%s:%d%s/models",
             json_string_value(json_object_get(dep, "scheme")),
             json_string_value(json_object_get(dep, "host")), port,
             json_string_value(json_object_get(dep, "base_path"))
                 ? json_string_value(json_object_get(dep, "base_path")) : "");
    if (strcmp(api, "anthropic") == 0) {
        snprintf(url, sizeof(url), "%s://%s:%d%s/v1/models",
                 json_string_value(json_object_get(dep, "scheme")),
                 json_string_value(json_object_get(dep, "host")), port,
                 json_string_value(json_object_get(dep, "base_path")) &&
                 strcmp(json_string_value(json_object_get(dep, "base_path")),
                        "/v1") != 0
                     ? json_string_value(json_object_get(dep, "base_path"))
                     : "");
        snprintf(auth, sizeof(auth), "x-api-key: %s", key ? key : "");
        headers[1] = "anthropic-version: 2023-06-01";
    } else if (strcmp(api, "gemini") == 0) {
        snprintf(auth, sizeof(auth), "x-goog-api-key: %s", key ? key : "");
    } else {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                 key ? key : "");
    }
    headers[0] = auth;

    memset(&call, 0, sizeof(call));
    call.method = "GET";
    call.url = url;
    call.headers = headers;
    call.ca_file = c->o->ca_file;
    call.timeout_ms = timeout_ms;

    snprintf(name, sizeof(name), "provider %s (%s)",
             json_string_value(json_object_get(dep, "provider")),
             json_string_value(json_object_get(dep, "host")));
    if (ctl_http_call(&call, &resp, error, sizeof(error)) != 0) {
        snprintf(detail, sizeof(detail), "%s", error);
        check_line(c, name, 0, detail, llmctl_now_ms() - t0);
    } else {
        snprintf(detail, sizeof(detail), "GET %s: HTTP %ld%s",
                 c->o->verbose ? url : "models", resp.status,
                 resp.status == 401 || resp.status == 403
                 ? " (the key was refused)" : "");
        check_line(c, name, resp.status == 200, detail,
                   llmctl_now_ms() - t0);
        ctl_http_response_free(&resp);
    }
    memset(auth, 0, sizeof(auth));
}

int
llmctl_cmd_test(llmctl_options_t *o)
{
    checks_t             c;
    ctl_http_response_t  resp;
    cfg_result_t         res;
    json_t              *health, *dep, *seen;
    char                 url[600], detail[1400], error[256], id[700];
    char                *base;
    long                 timeout_ms = (o->timeout ? o->timeout : 10) * 1000L;
    long                 status = 0;
    double               t0;
    size_t               i;

    memset(&c, 0, sizeof(c));
    c.o = o;
    c.results = json_array();

    if (llmctl_live_pid(o, "run/llmctl.pid") == 0
        || llmctl_args_load(o) != 0 || o->listen == NULL)
    {
        check_line(&c, "gateway running", 0, "not running in this prefix",
                   0);
        goto done;
    }

    base = llmctl_listen_url(o->listen);
    snprintf(url, sizeof(url), "%s/health/readiness", base);
    free(base);
    t0 = llmctl_now_ms();
    if (ctl_http_request(NULL, "GET", url, NULL, NULL, timeout_ms, &resp,
                         error, sizeof(error)) != 0)
    {
        check_line(&c, "gateway readiness", 0, error, llmctl_now_ms() - t0);
    } else {
        snprintf(detail, sizeof(detail), "GET %s: HTTP %ld", url,
                 resp.status);
        check_line(&c, "gateway readiness", resp.status == 200, detail,
                   llmctl_now_ms() - t0);
        ctl_http_response_free(&resp);
    }

    t0 = llmctl_now_ms();
    health = llmctl_mgmt_quiet(o, "GET", "/_ops/health", NULL, &status);
    check_line(&c, "controld", health != NULL,
               health ? "management API answers" : "no answer on "
               "run/controld.sock", llmctl_now_ms() - t0);
    if (health != NULL) {
        snprintf(detail, sizeof(detail), "%s %s",
                 json_string_value(json_object_get(health, "store")),
                 store_where(health));
        check_line(&c, "key store", json_is_true(json_object_get(health,
                   "available")), detail, 0);
        json_decref(health);
    }

    /* Each distinct provider endpoint and key once. */
    if (llmctl_compile(o, &res) == 0) {
        seen = json_object();
        json_array_foreach(json_object_get(res.doc, "deployments"), i, dep) {
            if (json_object_get(dep, "host") == NULL) {
                continue;                   /* mock: nothing to reach */
            }
            snprintf(id, sizeof(id), "%s|%s|%lld|%s",
                     json_string_value(json_object_get(dep, "api")),
                     json_string_value(json_object_get(dep, "host")),
                     json_integer_value(json_object_get(dep, "port")),
                     json_string_value(json_object_get(dep, "api_key"))
                     ? json_string_value(json_object_get(dep, "api_key"))
                     : "");
            if (json_object_get(seen, id) != NULL) {
                continue;
            }
            json_object_set_new(seen, id, json_true());
            check_provider(&c, dep, timeout_ms);
        }
        json_decref(seen);
    } else {
        check_line(&c, "config", 0, "does not compile (llmctl reload shows "
                   "why)", 0);
    }
    cfg_result_free(&res);

done:
    if (o->json) {
        health = json_pack("{s:b, s:o}", "ok", c.failed == 0, "checks",
                           c.results);
        llmctl_print_json(health);
        json_decref(health);
    } else {
        json_decref(c.results);
        printf("%s\n", c.failed ? llmctl_red("some checks failed")
                                : llmctl_green("all checks passed"));
    }
    return c.failed ? LLMCTL_FAILED : LLMCTL_OK;
}

/* ---- restart ------------------------------------------------------------- */

int
llmctl_cmd_restart(llmctl_options_t *o)
{
    int  rc;

    if (llmctl_args_load(o) != 0 || o->config == NULL || o->listen == NULL) {
        fprintf(stderr, "llmctl: no instance to restart in %s (no "
                "run/llmctl.args; use start)\n", o->prefix);
        return LLMCTL_FAILED;
    }
    rc = llmctl_cmd_stop(o);
    if (rc != 0) {
        return rc;
    }
    return llmctl_cmd_start(o);
}
