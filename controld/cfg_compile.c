/* Top level of the config compiler (see cfg_compile.h). */

#include <stdlib.h>
#include <string.h>

#include "cfg_compile.h"
#include "cfg_compile_int.h"
#include "cfg_file.h"
#include "cfg_hash.h"
#include "cfg_vault.h"

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
names_group(const json_t *list, const char *name)
{
    size_t   i;
    json_t  *d;

    json_array_foreach(list, i, d) {
        if (strcmp(json_string_value(json_object_get(d, "model_name")), name)
            == 0)
        {
            return 1;
        }
    }
    return 0;
}

/* An alias of a group that does not exist serves nothing: say so. */
static void
check_aliases(cfg_ctx_t *ctx, yaml_node_t *router, json_t *settings,
    const json_t *deployments, const json_t *disabled)
{
    const char  *alias, *group;
    json_t      *aliases, *a;

    aliases = json_object_get(settings, "model_group_alias");

    json_object_foreach(aliases, alias, a) {
        group = json_string_value(json_object_get(a, "model"));
        if (!names_group(deployments, group)
            && !names_group(disabled, group))
        {
            cfg_soft_error(ctx, router, "router_settings.model_group_alias",
                           "alias '%.128s' names model group '%.128s', "
                           "which no model_list entry has", alias, group);
        }
        if (names_group(deployments, alias)) {
            cfg_warning(ctx, router, "router_settings.model_group_alias",
                        "alias '%.128s' is also a model_name: requests for "
                        "it go to '%.128s'", alias, group);
        }
    }
}

static int
compile_root(cfg_ctx_t *ctx, yaml_node_t *root, cfg_result_t *res)
{
    const char        *key;
    json_t            *doc, *settings, *deployments, *disabled;
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
    disabled = json_array();

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
               || cfg_compile_models(ctx, models, deployments,
                                     disabled) < 0)
    {
        ok = -1;
    }
    check_aliases(ctx, router, settings, deployments, disabled);

    json_object_set_new(doc, "settings", settings);
    json_object_set_new(doc, "deployments", deployments);
    json_object_set_new(doc, "disabled", disabled);

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
    const cfg_env_t *env, const cfg_options_t *opts, cfg_result_t *res)
{
    cfg_ctx_t     ctx;
    cfg_vault_t  *own_vault = NULL;
    int           rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.file = file;
    ctx.diag = &res->diag;
    ctx.env = env;
    if (opts != NULL) {
        ctx.strict = opts->strict;
        ctx.providers = opts->providers;
        ctx.vault = opts->vault;
    }
    if (ctx.vault == NULL) {
        ctx.vault = own_vault = cfg_vault_create();
    }
    cfg_vault_begin(ctx.vault, env);

    if (load_yaml(&ctx, yaml, len) != 0) {
        cfg_vault_free(own_vault);
        return -1;
    }
    rc = compile_root(&ctx, yaml_document_get_root_node(&ctx.doc), res);
    yaml_document_delete(&ctx.doc);

    if (rc == 0) {
        res->secrets = cfg_secrets_report(&ctx);
        res->vault_refresh = cfg_vault_refresh(&ctx);
    }
    json_decref(ctx.key_sources);
    free(ctx.vault_prefix);
    cfg_vault_free(own_vault);

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
    return cfg_compile_text_opts(yaml, len, file, env, NULL, res);
}

int
cfg_compile_text_opts(const char *yaml, size_t len, const char *file,
    const cfg_env_t *env, const cfg_options_t *opts, cfg_result_t *res)
{
    memset(res, 0, sizeof(*res));
    cfg_diag_init(&res->diag);
    return compile_into(yaml, len, file, env, opts, res);
}

int
cfg_compile_file(const char *config_path, const char *env_path,
    cfg_result_t *res)
{
    return cfg_compile_file_opts(config_path, env_path, NULL, res);
}

int
cfg_compile_file_opts(const char *config_path, const char *env_path,
    const cfg_options_t *opts, cfg_result_t *res)
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
        rc = compile_into(text, len, config_path, &env, opts, res);
    }
    free(text);
    cfg_env_free(&env);
    return rc;
}

void
cfg_result_free(cfg_result_t *res)
{
    json_decref(res->doc);
    json_decref(res->secrets);
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

    const char  *name;
    json_t      *value;

    redact_field(json_object_get(copy, "settings"), "redis_password");
    json_array_foreach(json_object_get(copy, "deployments"), i, dep) {
        redact_field(dep, "api_key");
        redact_field(dep, "aws_access_key_id");
        redact_field(dep, "aws_secret_access_key");
        redact_field(dep, "aws_session_token");
        redact_field(json_object_get(dep, "oauth2"), "private_key");
    }
    /* pass-through headers often carry the target's key */
    json_array_foreach(json_object_get(copy, "pass_through"), i, dep) {
        json_object_foreach(json_object_get(dep, "headers"), name, value) {
            redact_field(json_object_get(dep, "headers"), name);
        }
    }
    return copy;
}
