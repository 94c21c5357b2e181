/*
 * AWS credentials of a SigV4 deployment (Bedrock), named as LiteLLM names
 * them: litellm_params aws_access_key_id, aws_secret_access_key,
 * aws_session_token, else the AWS_* variables the AWS SDKs read.  They go
 * into the deployment's JSON for the module to sign with; cfg_redact()
 * hides them wherever the document is shown.
 */

#include <stdio.h>
#include <string.h>

#include "cfg_compile_int.h"
#include "cfg_env.h"


static const char *
cfg_aws_value(cfg_ctx_t *ctx, const char *given, const char *env)
{
    const char  *v;

    if (given != NULL && given[0] != '\0') {
        return given;
    }
    v = cfg_env_lookup(ctx->env, env);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}


int
cfg_aws_credentials(cfg_ctx_t *ctx, const char *key_id, const char *secret,
    const char *token, json_t *out, char *why, size_t whylen)
{
    key_id = cfg_aws_value(ctx, key_id, "AWS_ACCESS_KEY_ID");
    secret = cfg_aws_value(ctx, secret, "AWS_SECRET_ACCESS_KEY");
    token = cfg_aws_value(ctx, token, "AWS_SESSION_TOKEN");

    if (key_id == NULL || secret == NULL) {
        snprintf(why, whylen, "no AWS credentials: set litellm_params."
                 "aws_access_key_id and aws_secret_access_key, or "
                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        return 1;
    }

    if (cfg_has_control_char(key_id) || cfg_has_control_char(secret)
        || (token != NULL && cfg_has_control_char(token)))
    {
        /* they travel in request headers, and each is one line */
        snprintf(why, whylen, "an AWS credential contains a control "
                 "character (a stray line break in .env?)");
        return -1;
    }

    json_object_set_new(out, "aws_access_key_id", json_string(key_id));
    json_object_set_new(out, "aws_secret_access_key", json_string(secret));
    if (token != NULL) {
        json_object_set_new(out, "aws_session_token", json_string(token));
    }
    return 0;
}
