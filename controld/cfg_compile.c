/* Top level of the config compiler (see cfg_compile.h). */

#include <stdlib.h>
#include <string.h>

#include "cfg_compile.h"
#include "cfg_compile_int.h"
#include "cfg_file.h"
#include "cfg_hash.h"

/* Internal marker cfg_settings.c leaves in "settings"; never published. */
#define TIMEOUT_MARKER  "\001timeout_explicit"

static int
load_yaml(cfg_ctx_t *ctx, const char *yaml, size_t len)
{
    yaml_parser_t  parser;
    int            ok;

    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *) yaml, len);

    ok = yaml_parser_load(&parser, &ctx->doc);
    if (!ok) {
        cfg_diag_add(ctx->diag, CFG_ERROR, ctx->file,
                     parser.problem_mark.line + 1,
                     parser.problem_mark.column + 1,
                     "YAML syntax: %s%s%s",
                     parser.problem ? parser.problem : "invalid document",
                     parser.context ? " " : "",
                     parser.context ? parser.context : "");
    }
    yaml_parser_delete(&parser);
    return ok ? 0 : -1;
}

/* general_settings.master_key, else LITELLM_MASTER_KEY; only its hash goes
 * into the document. */
static int
master_key(cfg_ctx_t *ctx, char **key, yaml_node_t *node, json_t *doc)
{
    char         hex[CFG_SHA256_HEX_LEN + 1];
    const char  *from_env;

    if (*key == NULL) {
        from_env = cfg_env_lookup(ctx->env, "LITELLM_MASTER_KEY");
        if (from_env != NULL && from_env[0] != '\0') {
            *key = strdup(from_env);
            node = NULL;
        }
    }

    if (*key == NULL || (*key)[0] == '\0') {
        free(*key);
        *key = NULL;
        cfg_diag_add(ctx->diag, CFG_WARNING, ctx->file, 0, 0,
                     "no master key (general_settings.master_key or "
                     "LITELLM_MASTER_KEY): requests are not authenticated");
        json_object_set_new(doc, "master_key_sha256", json_null());
        return 0;
    }

    /* LiteLLM refuses other keys; so do we, to stay interchangeable. */
    if (strncmp(*key, "sk-", 3) != 0) {
        if (node != NULL) {
            cfg_error(ctx, node, "general_settings.master_key",
                      "must start with \"sk-\"");
        } else {
            cfg_diag_add(ctx->diag, CFG_ERROR, ctx->file, 0, 0,
                         "LITELLM_MASTER_KEY must start with \"sk-\"");
        }
        return -1;
    }

    cfg_sha256_hex(*key, strlen(*key), hex);
    json_object_set_new(doc, "master_key_sha256", json_string(hex));
    return 0;
}

static int
compile_root(cfg_ctx_t *ctx, yaml_node_t *root, cfg_result_t *res)
{
    const char        *key;
    json_t            *doc, *settings, *deployments;
    yaml_node_t       *models = NULL, *router = NULL, *litellm = NULL;
    yaml_node_t       *general = NULL, *key_node = NULL;
    yaml_node_pair_t  *pair;
    int                ok = 0;

    if (root == NULL || cfg_is_null(root)) {
        cfg_diag_add(ctx->diag, CFG_ERROR, ctx->file, 0, 0,
                     "the config is empty");
        return -1;
    }
    if (root->type != YAML_MAPPING_NODE) {
        cfg_error(ctx, root, "", "expected a mapping at the top level, got %s",
                  cfg_kind(root));
        return -1;
    }

    cfg_for_each_pair(root, pair) {
        key = cfg_key(ctx, cfg_node(ctx, pair->key), "");
        if (key == NULL) {
            ok = -1;
        } else if (strcmp(key, "model_list") == 0) {
            models = cfg_node(ctx, pair->value);
        } else if (strcmp(key, "router_settings") == 0) {
            router = cfg_node(ctx, pair->value);
        } else if (strcmp(key, "litellm_settings") == 0) {
            litellm = cfg_node(ctx, pair->value);
        } else if (strcmp(key, "general_settings") == 0) {
            general = cfg_node(ctx, pair->value);
        } else {
            cfg_warn_unknown_key(ctx, cfg_node(ctx, pair->key), "");
        }
    }

    doc = json_object();
    settings = cfg_default_settings();
    deployments = json_array();

    json_object_set_new(doc, "version", json_integer(1));

    if (general != NULL
        && cfg_compile_general(ctx, general, &res->master_key, &key_node,
                               doc) < 0)
    {
        ok = -1;
    }
    if (master_key(ctx, &res->master_key, key_node, doc) < 0) {
        ok = -1;
    }

    if (litellm != NULL
        && cfg_compile_settings(ctx, litellm, "litellm_settings", settings) < 0)
    {
        ok = -1;
    }
    if (router != NULL
        && cfg_compile_settings(ctx, router, "router_settings", settings) < 0)
    {
        ok = -1;
    }
    json_object_del(settings, TIMEOUT_MARKER);

    if (models == NULL || cfg_is_null(models)) {
        cfg_diag_add(ctx->diag, CFG_WARNING, ctx->file, 0, 0,
                     "no model_list: every request will get 'model not "
                     "found'");
    } else if (cfg_expect_list(ctx, models, "model_list") < 0
               || cfg_compile_models(ctx, models, deployments) < 0)
    {
        ok = -1;
    }

    json_object_set_new(doc, "settings", settings);
    json_object_set_new(doc, "deployments", deployments);

    if (ok < 0 || ctx->diag->errors > 0) {
        json_decref(doc);
        return -1;
    }
    res->doc = doc;
    return 0;
}

/* Compiles into res, whose diag may already hold .env messages. */
static int
compile_into(const char *yaml, size_t len, const char *file,
    const cfg_env_t *env, cfg_result_t *res)
{
    cfg_ctx_t  ctx;
    int        rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.file = file;
    ctx.diag = &res->diag;
    ctx.env = env;

    if (load_yaml(&ctx, yaml, len) != 0) {
        return -1;
    }
    rc = compile_root(&ctx, yaml_document_get_root_node(&ctx.doc), res);
    yaml_document_delete(&ctx.doc);

    if (rc != 0) {
        free(res->master_key);
        res->master_key = NULL;
    }
    return rc;
}

int
cfg_compile_text(const char *yaml, size_t len, const char *file,
    const cfg_env_t *env, cfg_result_t *res)
{
    memset(res, 0, sizeof(*res));
    cfg_diag_init(&res->diag);
    return compile_into(yaml, len, file, env, res);
}

int
cfg_compile_file(const char *config_path, const char *env_path,
    cfg_result_t *res)
{
    cfg_env_t   env;
    char       *text, *default_env = NULL;
    size_t      len;
    int         err, rc;

    memset(res, 0, sizeof(*res));
    cfg_diag_init(&res->diag);
    cfg_env_init(&env);

    if (env_path == NULL) {
        default_env = cfg_env_default_path(config_path);
    }
    rc = cfg_env_load(&env, env_path ? env_path : default_env,
                      env_path != NULL, &res->diag);
    free(default_env);

    text = cfg_read_file(config_path, &len, &err);
    if (text == NULL) {
        cfg_diag_add(&res->diag, CFG_ERROR, config_path, 0, 0,
                     "cannot read config: %s", strerror(err));
        rc = -1;
    } else if (rc == 0) {
        rc = compile_into(text, len, config_path, &env, res);
    }
    free(text);
    cfg_env_free(&env);
    return rc;
}

void
cfg_result_free(cfg_result_t *res)
{
    json_decref(res->doc);
    if (res->master_key != NULL) {
        memset(res->master_key, 0, strlen(res->master_key));
        free(res->master_key);
    }
    cfg_diag_free(&res->diag);
    memset(res, 0, sizeof(*res));
}

char *
cfg_dump(const json_t *doc, int pretty)
{
    size_t  flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);

    flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
    return json_dumps(doc, flags);
}

void
cfg_secret_hint(const char *secret, char *out, size_t size)
{
    size_t  len = strlen(secret);

    /* Showing 4 characters of a short secret would show most of it. */
    if (len < 12) {
        snprintf(out, size, "...");
    } else {
        snprintf(out, size, "...%s", secret + len - 4);
    }
}

static void
redact_field(json_t *obj, const char *name)
{
    char         hint[16];
    const char  *secret = json_string_value(json_object_get(obj, name));

    if (secret != NULL) {
        cfg_secret_hint(secret, hint, sizeof(hint));
        json_object_set_new(obj, name, json_string(hint));
    }
}

json_t *
cfg_redact(const json_t *doc)
{
    json_t  *copy = json_deep_copy(doc), *dep;
    size_t   i;

    redact_field(json_object_get(copy, "settings"), "redis_password");
    json_array_foreach(json_object_get(copy, "deployments"), i, dep) {
        redact_field(dep, "api_key");
    }
    return copy;
}
