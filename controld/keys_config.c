/* Keys and teams declared in config.yaml (see keys_config.h). */

#include <stdlib.h>
#include <string.h>

#include "cfg_ctx.h"
#include "cfg_file.h"
#include "keys_config.h"
#include "keys_util.h"

static yaml_node_t *
mapping_get(cfg_ctx_t *ctx, yaml_node_t *map, const char *name)
{
    yaml_node_pair_t  *pair;
    yaml_node_t       *k;

    if (map == NULL || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    cfg_for_each_pair(map, pair) {
        k = cfg_node(ctx, pair->key);
        if (k->type == YAML_SCALAR_NODE
            && strcmp((const char *) k->data.scalar.value, name) == 0)
        {
            return cfg_node(ctx, pair->value);
        }
    }
    return NULL;
}

/* One list entry as JSON fields, without `skip` (the key itself). */
static json_t *
entry_fields(cfg_ctx_t *ctx, yaml_node_t *item, const char *path,
    const char *skip)
{
    json_t  *fields = cfg_to_json(ctx, item, path);

    if (fields != NULL && skip != NULL) {
        json_object_del(fields, skip);
    }
    return fields;
}

static int
load_keys(cfg_ctx_t *ctx, yaml_node_t *list, json_t *out)
{
    char               path[CFG_PATH_MAX], sub[CFG_PATH_MAX], name[64];
    char               token[KEYS_TOKEN_LEN + 1];
    char              *key = NULL;
    size_t             index = 0;
    yaml_node_item_t  *it;
    yaml_node_t       *item, *key_node;
    json_t            *fields;
    int                ok = 0;

    if (cfg_expect_list(ctx, list, "general_settings.keys") <= 0) {
        return cfg_is_null(list) ? 0 : -1;
    }
    cfg_for_each_item(list, it) {
        cfg_path_index(path, "general_settings.keys", index++);
        item = cfg_node(ctx, *it);
        if (cfg_expect_mapping(ctx, item, path) <= 0) {
            ok = -1;
            continue;
        }
        cfg_path(sub, path, "key");
        key_node = mapping_get(ctx, item, "key");
        if (key_node == NULL) {
            cfg_error(ctx, item, path, "every declared key needs `key: "
                      "sk-...` (or os.environ/NAME)");
            ok = -1;
            continue;
        }
        if (cfg_get_string(ctx, key_node, sub, &key) <= 0) {
            ok = -1;
            continue;
        }
        if (strncmp(key, "sk-", 3) != 0 || strlen(key) < 8) {
            cfg_error(ctx, key_node, sub, "must start with \"sk-\" and be at "
                      "least 8 characters");
            ok = -1;
        } else if ((fields = entry_fields(ctx, item, path, "key")) == NULL) {
            ok = -1;
        } else {
            keys_token(key, token);
            keys_name(key, name, sizeof(name));
            json_object_set_new(fields, "key_name", json_string(name));
            json_object_set_new(out, token, fields);
        }
        memset(key, 0, strlen(key));
        free(key);
        key = NULL;
    }
    return ok;
}

static int
load_teams(cfg_ctx_t *ctx, yaml_node_t *list, json_t *out)
{
    char               path[CFG_PATH_MAX], sub[CFG_PATH_MAX];
    char              *id = NULL;
    size_t             index = 0;
    yaml_node_item_t  *it;
    yaml_node_t       *item, *id_node;
    json_t            *fields;
    int                ok = 0;

    if (cfg_expect_list(ctx, list, "general_settings.teams") <= 0) {
        return cfg_is_null(list) ? 0 : -1;
    }
    cfg_for_each_item(list, it) {
        cfg_path_index(path, "general_settings.teams", index++);
        item = cfg_node(ctx, *it);
        if (cfg_expect_mapping(ctx, item, path) <= 0) {
            ok = -1;
            continue;
        }
        cfg_path(sub, path, "team_id");
        id_node = mapping_get(ctx, item, "team_id");
        if (id_node == NULL || cfg_get_string(ctx, id_node, sub, &id) <= 0) {
            if (id_node == NULL) {
                cfg_error(ctx, item, path, "every declared team needs a "
                          "team_id");
            }
            ok = -1;
            continue;
        }
        fields = entry_fields(ctx, item, path, "team_id");
        if (fields == NULL) {
            ok = -1;
        } else {
            json_object_set_new(out, id, fields);
        }
        free(id);
        id = NULL;
    }
    return ok;
}

int
keys_config_load(const char *config_path, const char *env_path,
    json_t **keys, json_t **teams, cfg_diag_t *diag)
{
    cfg_ctx_t       ctx;
    cfg_env_t       env;
    yaml_parser_t   parser;
    yaml_node_t    *root, *general;
    char           *text, *default_env = NULL;
    size_t          len;
    int             err, ok = 0, loaded;

    *keys = json_object();
    *teams = json_object();

    text = cfg_read_file(config_path, &len, &err);
    if (text == NULL) {
        cfg_diag_add(diag, CFG_ERROR, config_path, 0, 0, "cannot read "
                     "config: %s", strerror(err));
        goto failed;
    }

    cfg_env_init(&env);
    if (env_path == NULL) {
        default_env = cfg_env_default_path(config_path);
    }
    cfg_env_load(&env, env_path ? env_path : default_env, 0, diag);
    free(default_env);

    memset(&ctx, 0, sizeof(ctx));
    ctx.file = config_path;
    ctx.diag = diag;
    ctx.env = &env;

    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    loaded = yaml_parser_load(&parser, &ctx.doc);
    yaml_parser_delete(&parser);
    free(text);
    if (!loaded) {
        cfg_env_free(&env);
        goto failed;                    /* the compiler reports syntax */
    }

    root = yaml_document_get_root_node(&ctx.doc);
    general = root ? mapping_get(&ctx, root, "general_settings") : NULL;
    if (general != NULL && general->type == YAML_MAPPING_NODE) {
        if (mapping_get(&ctx, general, "keys") != NULL
            && load_keys(&ctx, mapping_get(&ctx, general, "keys"), *keys)
               != 0)
        {
            ok = -1;
        }
        if (mapping_get(&ctx, general, "teams") != NULL
            && load_teams(&ctx, mapping_get(&ctx, general, "teams"), *teams)
               != 0)
        {
            ok = -1;
        }
    }
    yaml_document_delete(&ctx.doc);
    cfg_env_free(&env);
    if (ok == 0) {
        return 0;
    }

failed:
    json_decref(*keys);
    json_decref(*teams);
    *keys = NULL;
    *teams = NULL;
    return -1;
}
