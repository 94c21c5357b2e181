/*
 * Routes a config adds besides model_list: model group aliases
 * (router_settings.model_group_alias) and pass-through endpoints
 * (general_settings.pass_through_endpoints).
 */

#include <stdlib.h>
#include <string.h>

#include "cfg_compile_int.h"
#include "cfg_url.h"
#include "llm_routes.h"

/* {"alias": "group"} or {"alias": {"model": "group", "hidden": true}} */
int
cfg_compile_aliases(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    json_t *settings)
{
    char               sub[CFG_PATH_MAX], inner[CFG_PATH_MAX];
    char              *group;
    const char        *alias, *key;
    int                ok = 0, rc, hidden;
    json_t            *out;
    yaml_node_t       *value;
    yaml_node_pair_t  *pair, *field;

    rc = cfg_expect_mapping(ctx, node, path);
    if (rc <= 0) {
        return rc;
    }

    out = json_object_get(settings, "model_group_alias");
    if (out == NULL) {
        out = json_object();
        json_object_set_new(settings, "model_group_alias", out);
    }

    cfg_for_each_pair(node, pair) {
        alias = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (alias == NULL) {
            ok = -1;
            continue;
        }
        cfg_path(sub, path, alias);
        value = cfg_node(ctx, pair->value);
        group = NULL;
        hidden = 0;

        if (value->type == YAML_MAPPING_NODE) {
            cfg_for_each_pair(value, field) {
                key = cfg_key(ctx, cfg_node(ctx, field->key), sub);
                if (key == NULL) {
                    ok = -1;
                    continue;
                }
                cfg_path(inner, sub, key);
                if (strcmp(key, "model") == 0) {
                    rc = cfg_get_string(ctx, cfg_node(ctx, field->value),
                                        inner, &group);
                } else if (strcmp(key, "hidden") == 0) {
                    rc = cfg_get_bool(ctx, cfg_node(ctx, field->value),
                                      inner, &hidden);
                } else {
                    cfg_warn_unknown_key(ctx, cfg_node(ctx, field->key), sub);
                    rc = 0;
                }
                if (rc < 0) {
                    ok = -1;
                }
            }
        } else if (cfg_get_string(ctx, value, sub, &group) < 0) {
            ok = -1;
        }

        if (group == NULL || group[0] == '\0') {
            if (ok == 0) {
                cfg_error(ctx, value, sub, "expected the name of a model "
                          "group");
            }
            free(group);
            ok = -1;
            continue;
        }

        json_object_set_new(out, alias, json_pack("{s:s, s:b}", "model",
                                                  group, "hidden", hidden));
        free(group);
    }
    return ok;
}

/*
 * A header value with `os.environ/NAME` anywhere in it ("Bearer
 * os.environ/COHERE_API_KEY", as LiteLLM allows) expanded.  NULL after an
 * error.
 */
static char *
expand_header(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *value)
{
    char         name[128], *out;
    const char  *at, *v, *end;
    size_t       n;

    at = strstr(value, "os.environ/");
    if (at == NULL || at == value) {
        /* the whole value (or none of it) is os.environ/: as any string */
        out = NULL;
        return cfg_get_string(ctx, node, path, &out) < 0 ? NULL
               : out ? out : strdup("");
    }

    at += sizeof("os.environ/") - 1;
    for (end = at; *end && *end != ' '; end++) { /* void */ }
    n = (size_t) (end - at);
    if (n == 0 || n >= sizeof(name)) {
        cfg_error(ctx, node, path, "os.environ/ needs a variable name");
        return NULL;
    }
    memcpy(name, at, n);
    name[n] = '\0';

    v = cfg_env_lookup(ctx->env, name);
    if (v == NULL) {
        cfg_error(ctx, node, path, "environment variable %.128s is not set "
                  "(os.environ/%.128s)", name, name);
        return NULL;
    }

    out = malloc(strlen(value) + strlen(v) + 1);
    if (out == NULL) {
        abort();
    }
    n = (size_t) (at - (sizeof("os.environ/") - 1) - value);
    memcpy(out, value, n);
    strcpy(out + n, v);
    strcat(out, end);
    return out;
}

static int
pass_through_headers(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    json_t *out)
{
    char               sub[CFG_PATH_MAX];
    char              *value;
    const char        *name;
    int                ok = 0;
    yaml_node_pair_t  *pair;
    yaml_node_t       *v;

    if (cfg_expect_mapping(ctx, node, path) <= 0) {
        return cfg_is_null(node) ? 0 : -1;
    }

    cfg_for_each_pair(node, pair) {
        name = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (name == NULL) {
            ok = -1;
            continue;
        }
        cfg_path(sub, path, name);
        v = cfg_node(ctx, pair->value);
        if (v->type != YAML_SCALAR_NODE) {
            cfg_error(ctx, v, sub, "expected a header value, got %s",
                      cfg_kind(v));
            ok = -1;
            continue;
        }
        value = expand_header(ctx, v, sub,
                              (const char *) v->data.scalar.value);
        if (value == NULL) {
            ok = -1;
            continue;
        }
        if (cfg_has_control_char(name) || cfg_has_control_char(value)
            || strpbrk(name, " :") != NULL)
        {
            cfg_error(ctx, v, sub, "a header name and value are one line "
                      "(no control characters, no ':' in the name)");
            ok = -1;
        } else {
            json_object_set_new(out, name, json_string(value));
        }
        memset(value, 0, strlen(value));
        free(value);
    }
    return ok;
}


/*
 * One pass_through_endpoints entry; NULL after an error, or when a built-in
 * route shadows it (*shadowed set: a warning, an error under --strict).
 */
static json_t *
pass_through_entry(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    int *shadowed)
{
    char               sub[CFG_PATH_MAX];
    char              *route = NULL, *target = NULL;
    const char        *key, *why;
    int                ok = 0, b;
    json_t            *out, *headers;
    cfg_url_t          url;
    yaml_node_pair_t  *pair;
    yaml_node_t       *v;

    if (cfg_expect_mapping(ctx, node, path) <= 0) {
        return NULL;
    }

    out = json_pack("{s:b, s:b, s:b}", "forward_headers", 0, "auth", 1,
                    "include_subpath", 0);
    headers = json_object();

    cfg_for_each_pair(node, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), path);
        if (key == NULL) {
            ok = -1;
            continue;
        }
        cfg_path(sub, path, key);
        v = cfg_node(ctx, pair->value);

        if (strcmp(key, "path") == 0) {
            ok |= cfg_get_string(ctx, v, sub, &route) < 0 ? -1 : 0;
        } else if (strcmp(key, "target") == 0) {
            ok |= cfg_get_string(ctx, v, sub, &target) < 0 ? -1 : 0;
        } else if (strcmp(key, "headers") == 0) {
            ok |= pass_through_headers(ctx, v, sub, headers);
        } else if (strcmp(key, "forward_headers") == 0
                   || strcmp(key, "auth") == 0
                   || strcmp(key, "include_subpath") == 0)
        {
            switch (cfg_get_bool(ctx, v, sub, &b)) {
            case -1: ok = -1; break;
            case 1:  json_object_set_new(out, key, json_boolean(b)); break;
            }
        } else {
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key), path);
        }
    }

    if (ok == 0 && (route == NULL || route[0] != '/')) {
        cfg_error(ctx, node, path, "'path' must be given and start with "
                  "'/'");
        ok = -1;
    }
    if (ok == 0 && (route[strcspn(route, "?# \t")] != '\0'
                    || strncmp(route, "/_llm", 5) == 0))
    {
        cfg_error(ctx, node, path, "'path' must be a plain path outside "
                  "/_llm (got \"%.80s\")", route);
        ok = -1;
    }
    if (ok == 0 && (why = llm_route_shadowing(route)) != NULL) {
        cfg_soft_error(ctx, node, path, "route '%.80s' ignored: the "
                       "gateway's own %s route answers that path", route,
                       why);
        *shadowed = 1;
        json_decref(out);
        json_decref(headers);
        free(route);
        free(target);
        return NULL;
    }
    if (ok == 0 && target == NULL) {
        cfg_error(ctx, node, path, "'target' (the URL to forward to) is "
                  "required");
        ok = -1;
    }
    if (ok == 0 && cfg_url_parse(target, &url, &why) != 0) {
        cfg_path(sub, path, "target");
        cfg_error(ctx, node, sub, "expected http(s)://host[:port][/path], "
                  "got \"%.80s\" (%s)", target, why);
        ok = -1;
    }

    if (ok != 0) {
        json_decref(out);
        json_decref(headers);
        free(route);
        free(target);
        return NULL;
    }

    json_object_set_new(out, "path", json_string(route));
    json_object_set_new(out, "scheme", json_string(url.scheme));
    json_object_set_new(out, "host", json_string(url.host));
    json_object_set_new(out, "port", json_integer(url.port));
    json_object_set_new(out, "addrs", json_array());
    json_object_set_new(out, "base_path", json_string(url.path));
    json_object_set_new(out, "headers", headers);
    free(route);
    free(target);
    return out;
}

int
cfg_compile_pass_through(cfg_ctx_t *ctx, yaml_node_t *node, json_t *doc)
{
    char               path[CFG_PATH_MAX];
    size_t             index = 0;
    int                ok = 0, rc, shadowed;
    json_t            *list, *entry;
    yaml_node_item_t  *item;

    rc = cfg_expect_list(ctx, node, "general_settings.pass_through_endpoints");
    if (rc <= 0) {
        return rc;
    }

    list = json_array();
    cfg_for_each_item(node, item) {
        cfg_path_index(path, "general_settings.pass_through_endpoints",
                       index++);
        shadowed = 0;
        entry = pass_through_entry(ctx, cfg_node(ctx, *item), path,
                                   &shadowed);
        if (entry == NULL) {
            if (!shadowed || ctx->strict) {
                ok = -1;
            }
        } else {
            json_array_append_new(list, entry);
        }
    }

    json_object_set_new(doc, "pass_through", list);
    return ok;
}
