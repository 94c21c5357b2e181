/*
 * Internal interfaces between the parts of the model_list compiler:
 * cfg_model_read.c reads an entry (model_name, litellm_params, model_info)
 * into a deployment_t; cfg_model_provider.c works out what its provider
 * needs (endpoint, key, AWS and Vertex AI credentials); cfg_model.c builds
 * the deployment's JSON and compiles the list.
 */

#ifndef CFG_MODEL_INT_H
#define CFG_MODEL_INT_H

#include "cfg_compile_int.h"
#include "llm_provider.h"

#define UNSET  (-1LL)

typedef struct {
    char         *model_name;
    char         *model;
    char         *api_base;
    char         *api_key;
    char         *api_version;
    char         *mock_response;
    char         *region_name;
    char         *aws_access_key_id;
    char         *aws_secret_access_key;
    char         *aws_session_token;
    char         *aws_region_name;
    char         *aws_bedrock_runtime_endpoint;
    char         *vertex_project;
    char         *vertex_location;
    char         *vertex_credentials;
    int           drop_params;          /* -1: the router's */
    int           use_chat_completions_api;     /* -1: by api_base */
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
    double        input_cost_per_second;
    double        output_cost_per_second;

    char         *info_id;
    long long     info_max_output_tokens;
    long long     info_max_tokens;
    json_t       *info_extra;

    yaml_node_t  *item_node;
    yaml_node_t  *params_node;
    yaml_node_t  *model_node;
    yaml_node_t  *api_base_node;

    /* an os.environ/ variable it names that is not set (first one) */
    const char         *missing_env;
    const yaml_node_t  *missing_env_node;
    /* a vault: value Vault could not give, and why */
    char                missing_why[400];

    /* where api_key came from (ctx->origin when it was read) */
    char                key_origin[320];

    /* why the gateway cannot serve it (empty: it can) */
    char          disabled[512];
    const yaml_node_t  *disabled_node;
} deployment_t;

/* cfg_model_read.c */
void cfg_deployment_init(deployment_t *d);
void cfg_deployment_free(deployment_t *d);
int cfg_deployment_read(cfg_ctx_t *ctx, yaml_node_t *item, const char *path,
    deployment_t *d);
/* Marks d as one the gateway cannot serve; the first reason stays. */
void cfg_disable(deployment_t *d, const yaml_node_t *node,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* cfg_model_provider.c */
/* The first of a comma-separated list of variables that is set, or NULL. */
const char *cfg_env_first(cfg_ctx_t *ctx, const char *names,
    const char **which);
/* The row's data the module needs for each request, into the deployment. */
void cfg_deployment_set_provider(json_t *out, const llm_provider_row_t *row,
    const char *model);
/*
 * scheme/host/port/base_path from api_base, the provider's base variable
 * or its default.  Returns 0, 1 when d got disabled, -1 after an error.
 */
int cfg_deployment_set_endpoint(cfg_ctx_t *ctx, const char *path,
    deployment_t *d, const llm_provider_row_t *provider, json_t *out);
/* Drops the "responses" endpoint of one that has chat completions only. */
void cfg_deployment_set_responses(cfg_ctx_t *ctx, const deployment_t *d,
    const llm_provider_row_t *row, json_t *out);
/* api_key, Vault's PREFIX/<provider> or the provider's variables. */
int cfg_deployment_set_api_key(cfg_ctx_t *ctx, const char *path,
    deployment_t *d, const llm_provider_row_t *row, json_t *out);
/* SigV4: the credentials and the region. */
int cfg_deployment_set_aws(cfg_ctx_t *ctx, const char *path, deployment_t *d,
    const llm_provider_row_t *row, json_t *out);
/* OAuth2 (Vertex AI): the project's base path and the service account. */
int cfg_deployment_set_vertex(cfg_ctx_t *ctx, deployment_t *d,
    const llm_provider_row_t *row, const char *model, json_t *out);

#endif /* CFG_MODEL_INT_H */
