/* Internal interfaces between the parts of the config compiler. */

#ifndef CFG_COMPILE_INT_H
#define CFG_COMPILE_INT_H

#include "cfg_ctx.h"
#include "llm_provider.h"

/*
 * model_list (a YAML sequence) -> deployments (a JSON array); entries the
 * gateway cannot serve go to disabled ({model_name, model, provider,
 * reason, where}) with a warning each (errors under ctx->strict).
 */
int cfg_compile_models(cfg_ctx_t *ctx, yaml_node_t *list, json_t *deployments,
    json_t *disabled);

/* A JSON object holding every setting at its default value. */
json_t *cfg_default_settings(void);

/* router_settings / litellm_settings (same vocabulary) into settings. */
int cfg_compile_settings(cfg_ctx_t *ctx, yaml_node_t *node,
    const char *section, json_t *settings);

/*
 * general_settings: master_key (*master_key gets its value), strict_config
 * (sets ctx->strict), pass_through_endpoints (doc "pass_through"); settings
 * that make no sense here are warnings saying why.
 */
int cfg_compile_general(cfg_ctx_t *ctx, yaml_node_t *node, char **master_key,
    yaml_node_t **master_key_node, json_t *doc);

/*
 * Secrets from Vault (cfg_secrets.c).  key_management_system,
 * vault_path_prefix, vault_refresh_interval: read before every other
 * general setting (0 when key is none of them, -1 after an error).
 */
int cfg_compile_vault_setting(cfg_ctx_t *ctx, const char *key,
    yaml_node_t *value);

/*
 * The value of "vault:MOUNT/PATH#FIELD" (ref without "vault:"): 1 with
 * *text set; when Vault cannot give it, -1 after an error, or 0 inside
 * litellm_params (ctx->defer_env: ctx->missing_why says why).
 */
int cfg_vault_value(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    const char *ref, const char **text);

/* PREFIX/<provider>#api_key when vault_path_prefix is set: the key, or
 * NULL (*why set when Vault could not say). */
const char *cfg_vault_default_key(cfg_ctx_t *ctx, const char *provider,
    char *why, size_t whylen);

/* Records where a deployment's key came from (origin as ctx->origin). */
void cfg_key_source(cfg_ctx_t *ctx, const char *model_name,
    const char *provider, const char *origin, const char *key);

/* {"keys":[...], "vault":{...}}: no secret in it (cfg_result_t.secrets). */
json_t *cfg_secrets_report(cfg_ctx_t *ctx);

/* Seconds between Vault re-reads; 0 when Vault is not used. */
long long cfg_vault_refresh(const cfg_ctx_t *ctx);

/* 1 (after a warning saying why) when key is a setting ignored here. */
int cfg_ignored_setting(cfg_ctx_t *ctx, yaml_node_t *key_node,
    const char *key, const char *section);

/* general_settings.pass_through_endpoints -> doc "pass_through". */
int cfg_compile_pass_through(cfg_ctx_t *ctx, yaml_node_t *node, json_t *doc);

/*
 * router_settings.model_group_alias -> settings "model_group_alias":
 * {"alias": {"model": "group", "hidden": false}}.
 */
int cfg_compile_aliases(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    json_t *settings);

/*
 * A SigV4 deployment's AWS credentials (given, else AWS_* from the
 * environment) into out.  0; 1 when there are none (why says so); -1 when
 * one is unusable (why says why, naming no value).
 */
int cfg_aws_credentials(cfg_ctx_t *ctx, const char *key_id,
    const char *secret, const char *token, json_t *out, char *why,
    size_t whylen);

/*
 * A Vertex AI deployment: project, location and service account (given,
 * else from the environment).  *root: the project's location URL,
 * ".../v1/projects/P/locations/L" (malloc'd); "oauth2" (the account, for
 * controld's token fetcher) and "region_name" into out.  0, or 1 when it
 * cannot be served (why says why).
 */
int cfg_vertex_setup(cfg_ctx_t *ctx, const char *project,
    const char *location, const char *credentials, const char *api_base,
    char **root, json_t *out, char *why, size_t whylen);

/* root + "/publishers/" + publisher, malloc'd */
char *cfg_vertex_base(const char *root, const char *publisher);

/* A wildcard deployment's "families" into out: each family of provider
   with its prefix, api, endpoints and base_path under root. */
void cfg_vertex_families(const char *root, const char *provider,
    json_t *out);

/* A family's endpoints as the JSON list of their names. */
json_t *cfg_family_endpoints(const llm_provider_family_t *family);

#endif
