/*
 * The routing tables a worker builds from the canonical config JSON that
 * controld publishes (docs/architecture.md).  Strings point into the parsed
 * JSON tree, which lives as long as the tables do.
 */

#ifndef LLM_CONFIG_H
#define LLM_CONFIG_H

#include <stddef.h>
#include <jansson.h>

#include "llm_provider.h"
#include "llm_xlate.h"


typedef enum {
    LLM_PROVIDER_OPENAI = 0,
    LLM_PROVIDER_AZURE,
    LLM_PROVIDER_OPENROUTER,
    LLM_PROVIDER_OLLAMA,
    LLM_PROVIDER_HOSTED_VLLM,
    LLM_PROVIDER_ANTHROPIC,
    LLM_PROVIDER_GEMINI,
    LLM_PROVIDER_MOCK,
    LLM_PROVIDER_OTHER          /* any other row of the provider table:
                                   everything it needs is in the fields */
} llm_provider_t;


/*
 * One model family of a wildcard deployment (vertex_ai/ "*"): the wire,
 * endpoints and base path for the provider-side models whose name starts
 * with prefix ("" any), as controld compiled them from the family table
 * (llm_provider_family.c).
 */
typedef struct {
    const char     *prefix;
    llm_api_t       api;
    llm_wire_t      wire;
    unsigned        endpoints;      /* LLM_EP_* */
    const char     *base_path;
} llm_dep_family_t;


typedef struct {
    size_t          index;
    const char     *id;
    const char     *model_name;     /* group name or pattern */
    const char     *provider_name;
    llm_provider_t  provider;
    llm_api_t       api;            /* the translator family it speaks */
    llm_wire_t      wire;           /* its exact wire format */
    llm_auth_t      auth;
    const char     *auth_header;    /* LLM_AUTH_HEADER: the header name */
    unsigned        endpoints;      /* LLM_EP_* it serves */
    unsigned        quirks;         /* LLM_PQ_* */
    const char    **rejects;        /* request fields it refuses */
    size_t          nrejects;
    int             drop_params;    /* -1: the router's setting */
    const char     *region_name;
    const char     *aws_access_key_id;      /* LLM_AUTH_SIGV4 */
    const char     *aws_secret_access_key;
    const char     *aws_session_token;      /* NULL: none */
    const char     *model;          /* provider-side name */
    int             model_passthrough;   /* model is "*" */
    const char     *scheme;
    const char     *host;
    int             port;
    const char     *base_path;
    const char     *api_key;
    const char     *api_version;
    const char     *mock_response;
    const char    **addrs;
    size_t          naddrs;
    long long       timeout_ms;
    long long       stream_timeout_ms;
    long long       rpm;
    long long       tpm;
    long long       weight;
    long long       order;
    long long       max_tokens;
    long long       cooldown_time_ms;    /* -1: the router's */
    llm_dep_family_t  *families;    /* a wildcard's, first match wins */
    size_t          nfamilies;
} llm_deployment_t;


typedef struct {
    const char         *name;
    int                 pattern;         /* name contains '*' */
    size_t              literal_chars;   /* specificity of a pattern */
    llm_deployment_t  **deployments;
    size_t              ndeployments;
} llm_group_t;


typedef struct {
    const char  *routing_strategy;
    long long    num_retries;
    long long    timeout_ms;
    long long    stream_timeout_ms;
    long long    allowed_fails;
    long long    cooldown_time_ms;
    long long    max_fallbacks;
    int          drop_params;       /* -1: not set */
    long long    log_payload_bytes; /* request log: bytes of the request
                                       and the answer kept; 0: none
                                       (general_settings.log_payloads) */
    long long    responses_ttl_ms;  /* stored responses (responses_ttl) */
    long long    responses_max_bytes;       /* all of them together */
    long long    responses_max_entry_bytes; /* one of them */
} llm_settings_t;


/* A model_group_alias entry: requests for alias go to the group. */
typedef struct {
    const char  *alias;
    const char  *group;
    int          hidden;            /* not listed by /v1/models */
} llm_alias_t;


/* A deployment controld could not serve, and why (no secrets). */
typedef struct {
    const char  *model_name;        /* group name or pattern */
    const char  *model;             /* litellm_params.model */
    const char  *reason;
} llm_disabled_t;


/*
 * A general_settings.pass_through_endpoints route: requests for path (or,
 * with include_subpath, below it) go as they are to target, nginx's proxy
 * streaming both bodies; no JSON is read.
 */
typedef struct {
    const char         *path;
    size_t              path_len;
    int                 include_subpath;
    int                 auth;            /* the gateway's key is required */
    int                 forward_headers; /* the client's headers go too */
    const char        **header_names;    /* the listed headers */
    const char        **header_values;
    size_t              nheaders;
    llm_deployment_t    target;          /* scheme, host, port, base_path,
                                            addrs; id is the path */
} llm_pass_route_t;


typedef struct {
    json_t             *root;
    const json_t       *price_table;     /* borrowed; may be NULL */
    int                 has_master_key;
    unsigned char       master_key_sha256[32];
    llm_settings_t      settings;
    llm_deployment_t   *deployments;
    size_t              ndeployments;
    llm_group_t        *groups;          /* exact names first, then patterns */
    size_t              ngroups;
    size_t              nexact;
    llm_alias_t        *aliases;
    size_t              naliases;
    llm_disabled_t     *disabled;
    size_t              ndisabled;
    llm_pass_route_t   *pass;
    size_t              npass;
} llm_config_t;


/* Parses the canonical JSON; on error returns NULL with a message in err. */
llm_config_t *llm_config_parse(const char *json, size_t len, char *err,
    size_t errlen);

void llm_config_free(llm_config_t *cf);

/*
 * The group serving a requested model: the exact name if there is one, else
 * the most specific matching pattern ("claude-*" before "*").
 */
llm_group_t *llm_config_find_group(const llm_config_t *cf, const char *model,
    size_t len);

/*
 * The group a model_group_alias names for model, or NULL when model is no
 * alias.  (llm_config_find_group resolves aliases itself.)
 */
const char *llm_config_alias(const llm_config_t *cf, const char *model,
    size_t len);

/*
 * Why a model no group serves cannot be served: the first disabled
 * deployment whose model_name is model (or a pattern matching it), else
 * NULL.
 */
const llm_disabled_t *llm_config_find_disabled(const llm_config_t *cf,
    const char *model, size_t len);

/*
 * The deployment's drop_params as an LLM_DROP_* value: its own
 * litellm_params.drop_params, else the router's setting, else (neither
 * set) LLM_DROP_HINTS.
 */
int llm_deployment_drop_params(const llm_config_t *cf,
    const llm_deployment_t *d);

/* 1 when the deployment refuses the top-level request field name. */
int llm_deployment_rejects(const llm_deployment_t *d, const char *name,
    size_t len);

/*
 * The body in[0..len) without the top-level fields the deployment refuses
 * (drop_params), appended to out: 1 when some were taken out (their number
 * in *dropped), 0 when it has none of them (out untouched), -1 when it is
 * not an object or out cannot grow.
 */
int llm_deployment_drop_refused(const llm_deployment_t *d, const char *in,
    size_t len, llm_buf_t *out, size_t *dropped);

/*
 * 1 when a and b reach the same provider account: the same provider,
 * URL (scheme, host, port, base path) and key.  A response the provider
 * keeps (the Responses API's store) is found by either.
 */
int llm_deployment_same_account(const llm_deployment_t *a,
    const llm_deployment_t *b);

/* The deployment whose id is id, or NULL. */
llm_deployment_t *llm_config_find_deployment(const llm_config_t *cf,
    const char *id);

/* o.addrs -> d->addrs; "where" names o in an error. */
/* The translator family of a wire format (the adapters of llm_xlate). */
llm_api_t llm_wire_api(llm_wire_t wire);

/* "families" of a wildcard deployment (llm_config_family.c); 0 or -1 */
int llm_deployment_families(llm_deployment_t *d, json_t *o,
    const char *where, char *err, size_t errlen);

/*
 * The provider-side name a request for requested (NUL-terminated) sends:
 * the deployment's model, or for a "*" deployment what the client named,
 * less the "vendor/" of a "vendor/" "*" group (as LiteLLM does).  A
 * pointer into d's or requested's string.
 */
const char *llm_deployment_model_for(const llm_deployment_t *d,
    const char *requested);

/* The family of a wildcard deployment for that provider-side model, or
   NULL (the deployment's own fields apply). */
const llm_dep_family_t *llm_deployment_family(const llm_deployment_t *d,
    const char *model);

int llm_deployment_addrs(llm_deployment_t *d, json_t *o, const char *where,
    char *err, size_t errlen);

/* "pass_through" of the document -> cf->pass (llm_pass.c). */
int llm_parse_pass(llm_config_t *cf, char *err, size_t errlen);
void llm_pass_free(llm_config_t *cf);

/*
 * The pass-through route of a request path: the exact path, or with
 * include_subpath a path below it; NULL when none.
 */
const llm_pass_route_t *llm_pass_match(const llm_config_t *cf,
    const char *uri, size_t len);

/* Shell-style match supporting only '*'. */
int llm_pattern_match(const char *pattern, const char *s, size_t len);

#endif /* LLM_CONFIG_H */
