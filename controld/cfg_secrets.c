/*
 * The config side of secrets: the Vault settings of general_settings,
 * `vault:MOUNT/PATH#FIELD` values, the vault_path_prefix layout for
 * provider keys, and the "secrets" report (where each deployment's key
 * came from, last 4 characters only, and Vault's health).  The client is
 * cfg_vault.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile.h"
#include "cfg_compile_int.h"
#include "cfg_vault.h"

#define VAULT_REFRESH_DEFAULT  300

/*
 * The secret's name under vault_path_prefix when it is not the provider's
 * own: the seed layout keeps Gemini's key at PREFIX/google.
 */
static const struct {
    const char  *provider;
    const char  *name;
} vault_names[] = {
    { "gemini", "google" },
    { "vertex_ai", "google" },
};

int
cfg_compile_vault_setting(cfg_ctx_t *ctx, const char *key,
    yaml_node_t *value)
{
    char  *s = NULL;
    int    rc;

    if (strcmp(key, "key_management_system") == 0) {
        rc = cfg_get_string(ctx, value, "general_settings."
                            "key_management_system", &s);
        if (rc <= 0) {
            return rc;
        }
        if (strcmp(s, "hashicorp_vault") == 0) {
            ctx->use_vault = 1;
        } else {
            cfg_soft_error(ctx, value,
                           "general_settings.key_management_system",
                           "'%.64s' is not supported (only "
                           "hashicorp_vault); keys come from the config "
                           "and the environment", s);
        }
        free(s);
        return 1;
    }
    if (strcmp(key, "vault_path_prefix") == 0) {
        rc = cfg_get_string(ctx, value, "general_settings.vault_path_prefix",
                            &ctx->vault_prefix);
        if (rc > 0) {
            while (strlen(ctx->vault_prefix) > 0
                   && ctx->vault_prefix[strlen(ctx->vault_prefix) - 1] == '/')
            {
                ctx->vault_prefix[strlen(ctx->vault_prefix) - 1] = '\0';
            }
        }
        if (rc > 0 && strchr(ctx->vault_prefix, '/') == NULL) {
            cfg_error(ctx, value, "general_settings.vault_path_prefix",
                      "expected MOUNT/PATH (e.g. secret/vrooli)");
            return -1;
        }
        return rc;
    }
    if (strcmp(key, "vault_refresh_interval") == 0) {
        rc = cfg_get_duration_ms(ctx, value,
                                 "general_settings.vault_refresh_interval",
                                 &ctx->vault_refresh);
        if (rc > 0 && ctx->vault_refresh < 1000) {
            cfg_error(ctx, value, "general_settings.vault_refresh_interval",
                      "expected at least 1 second");
            return -1;
        }
        ctx->vault_refresh /= 1000;
        return rc;
    }
    return 0;
}

/*
 * Inside litellm_params (ctx->defer_env) a secret Vault cannot give
 * disables that deployment only: the rest of the gateway keeps serving.
 */
static int
vault_failed(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *why)
{
    if (ctx->defer_env) {
        if (ctx->missing_why[0] == '\0') {
            snprintf(ctx->missing_why, sizeof(ctx->missing_why), "%s", why);
            ctx->missing_env_node = node;
        }
        return 0;
    }
    cfg_error(ctx, node, path, "%s", why);
    return -1;
}

int
cfg_vault_value(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *ref, const char **text)
{
    char  err[320], why[400];
    int   rc;

    if (!ctx->use_vault) {
        cfg_error(ctx, node, path, "vault:%.200s needs general_settings."
                  "key_management_system: hashicorp_vault", ref);
        return -1;
    }
    rc = cfg_vault_get(ctx->vault, ref, text, err, sizeof(err));
    if (rc == 0) {
        snprintf(why, sizeof(why), "Vault has no secret vault:%.200s", ref);
        return vault_failed(ctx, node, path, why);
    }
    if (rc < 0) {
        snprintf(why, sizeof(why), "vault:%.100s: %.280s", ref, err);
        return vault_failed(ctx, node, path, why);
    }
    snprintf(ctx->origin, sizeof(ctx->origin), "vault %.300s", ref);
    return 1;
}

const char *
cfg_vault_default_key(cfg_ctx_t *ctx, const char *provider, char *why,
    size_t whylen)
{
    char         ref[1024];
    const char  *value, *name = provider;
    size_t       i;

    why[0] = '\0';
    if (!ctx->use_vault || ctx->vault_prefix == NULL) {
        return NULL;
    }
    for (i = 0; i < sizeof(vault_names) / sizeof(vault_names[0]); i++) {
        if (strcmp(provider, vault_names[i].provider) == 0) {
            name = vault_names[i].name;
        }
    }
    snprintf(ref, sizeof(ref), "%s/%s#api_key", ctx->vault_prefix, name);
    if (cfg_vault_get(ctx->vault, ref, &value, why, whylen) <= 0) {
        return NULL;
    }
    snprintf(ctx->origin, sizeof(ctx->origin), "vault %.300s", ref);
    return value;
}

void
cfg_key_source(cfg_ctx_t *ctx, const char *model_name, const char *provider,
    const char *origin, const char *key)
{
    char  hint[16];

    if (ctx->key_sources == NULL) {
        ctx->key_sources = json_array();
    }
    cfg_secret_hint(key, hint, sizeof(hint));
    json_array_append_new(ctx->key_sources, json_pack(
        "{s:s, s:s, s:s, s:s}",
        "model_name", model_name,
        "provider", provider,
        "source", origin[0] != '\0' ? origin : "config",
        "key", hint));
}

json_t *
cfg_secrets_report(cfg_ctx_t *ctx)
{
    json_t  *report, *vault;

    report = json_object();
    json_object_set_new(report, "keys", ctx->key_sources ? ctx->key_sources
                                                         : json_array());
    ctx->key_sources = NULL;

    if (ctx->use_vault) {
        vault = cfg_vault_status(ctx->vault);
        json_object_set_new(vault, "path_prefix",
                            ctx->vault_prefix
                            ? json_string(ctx->vault_prefix) : json_null());
        json_object_set_new(vault, "refresh_interval",
                            json_integer(cfg_vault_refresh(ctx)));
        json_object_set_new(report, "vault", vault);
    }
    return report;
}

long long
cfg_vault_refresh(const cfg_ctx_t *ctx)
{
    if (!ctx->use_vault) {
        return 0;
    }
    return ctx->vault_refresh ? ctx->vault_refresh : VAULT_REFRESH_DEFAULT;
}
