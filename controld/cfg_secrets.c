/*
 * The config side of Vault: its general_settings, `vault:MOUNT/PATH#FIELD`
 * values, the vault_path_prefix layout for provider keys and the "secrets"
 * status in the compiled document (see cfg_vault.h for the client).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile_int.h"
#include "cfg_vault.h"

#define VAULT_REFRESH_DEFAULT  300

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
        if (rc > 0 && strchr(ctx->vault_prefix, '/') == NULL) {
            cfg_error(ctx, value, "general_settings.vault_path_prefix",
                      "expected MOUNT/PATH (e.g. secret/vrooli)");
            return -1;
        }
        return rc;
    }
    if (strcmp(key, "vault_refresh_interval") == 0) {
        rc = cfg_get_uint(ctx, value,
                          "general_settings.vault_refresh_interval",
                          &ctx->vault_refresh);
        if (rc > 0 && ctx->vault_refresh < 1) {
            cfg_error(ctx, value, "general_settings.vault_refresh_interval",
                      "expected at least 1 (seconds)");
            return -1;
        }
        return rc;
    }
    return 0;
}

int
cfg_vault_value(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *ref, const char **text)
{
    char  err[512];
    int   rc;

    if (!ctx->use_vault) {
        cfg_error(ctx, node, path, "vault:%.200s needs general_settings."
                  "key_management_system: hashicorp_vault", ref);
        return -1;
    }
    rc = cfg_vault_get(ctx->vault, ref, text, err, sizeof(err));
    if (rc == 0) {
        cfg_error(ctx, node, path, "Vault has no secret vault:%.200s", ref);
        return -1;
    }
    if (rc < 0) {
        cfg_error(ctx, node, path, "vault:%.200s: %s", ref, err);
        return -1;
    }
    return 1;
}

const char *
cfg_vault_default_key(cfg_ctx_t *ctx, const char *provider, char *why,
    size_t whylen)
{
    char         ref[1024];
    const char  *value;

    why[0] = '\0';
    if (!ctx->use_vault || ctx->vault_prefix == NULL) {
        return NULL;
    }
    snprintf(ref, sizeof(ref), "%s/%s#api_key", ctx->vault_prefix, provider);
    if (cfg_vault_get(ctx->vault, ref, &value, why, whylen) <= 0) {
        return NULL;
    }
    return value;
}

void
cfg_secrets_status(cfg_ctx_t *ctx, json_t *doc)
{
    json_t  *vault;

    if (!ctx->use_vault) {
        return;
    }
    vault = cfg_vault_status(ctx->vault);
    json_object_set_new(vault, "path_prefix",
                        ctx->vault_prefix ? json_string(ctx->vault_prefix)
                                          : json_null());
    json_object_set_new(vault, "refresh_interval",
                        json_integer(ctx->vault_refresh
                                     ? ctx->vault_refresh
                                     : VAULT_REFRESH_DEFAULT));
    json_object_set_new(doc, "secrets",
                        json_pack("{s:s, s:o}", "source", "hashicorp_vault",
                                  "vault", vault));
}
