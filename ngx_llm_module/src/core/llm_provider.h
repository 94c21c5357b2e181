/*
 * The provider table: everything the gateway knows about a provider prefix
 * ("groq/llama-3.1-8b" -> the row "groq") as data.  controld reads a row to
 * compile a deployment (default api_base, key variable, what is required);
 * the module reads the fields controld copied into each deployment (wire
 * format, auth scheme, endpoints, rejected fields), so a row defined at run
 * time (llm_provider_set_load) needs no new code in either.
 *
 * Adding an OpenAI-compatible provider is one row here and one line in
 * t/integration/providers_table.test.mjs.  docs/providers.md lists them.
 */

#ifndef LLM_PROVIDER_H
#define LLM_PROVIDER_H

#include <stddef.h>
#include <jansson.h>


/* The request/response shape a provider speaks (one adapter per value). */
typedef enum {
    LLM_WIRE_OPENAI = 0,        /* chat/completions, completions, embeddings */
    LLM_WIRE_ANTHROPIC,         /* /v1/messages */
    LLM_WIRE_GEMINI,            /* models/M:generateContent */
    LLM_WIRE_OPENAI_COMPLETIONS, /* legacy /v1/completions only: chat
                                    requests are translated to a prompt */
    LLM_WIRE_BEDROCK_CONVERSE,
    LLM_WIRE_COHERE_V2,
    LLM_WIRE_VERTEX,            /* Gemini's, under a Vertex AI project */
    LLM_WIRE_VERTEX_ANTHROPIC,  /* Anthropic's Messages, under a Vertex AI
                                   project (rawPredict) */
    LLM_WIRE_COUNT
} llm_wire_t;


/* How the provider's credential travels. */
typedef enum {
    LLM_AUTH_BEARER = 0,        /* Authorization: Bearer KEY */
    LLM_AUTH_HEADER,            /* <auth_header>: KEY */
    LLM_AUTH_NONE,              /* nothing, even when a key is configured */
    LLM_AUTH_SIGV4,             /* AWS Signature Version 4 of the body */
    LLM_AUTH_OAUTH2,            /* a token controld fetches, sent as Bearer */
    LLM_AUTH_COUNT
} llm_auth_t;


/* Endpoints the gateway serves for a provider (bit set). */
#define LLM_EP_CHAT          0x01   /* chat/completions (and messages,
                                       generateContent by translation) */
#define LLM_EP_COMPLETIONS   0x02   /* /v1/completions */
#define LLM_EP_EMBEDDINGS    0x04   /* /v1/embeddings */
#define LLM_EP_MODELS        0x08   /* the provider lists its models */
#define LLM_EP_ALL           0x0f
#define LLM_EP_COUNT_TOKENS  0x10   /* it counts a request's tokens in its
                                       own API (Anthropic's count_tokens,
                                       Gemini's countTokens); else the
                                       gateway estimates */
#define LLM_EP_RESPONSES     0x20   /* it has OpenAI's Responses API
                                       ({base}/responses): a Responses
                                       request is passed through, not
                                       translated (docs/responses.md) */


/* Quirks: what differs from the plain OpenAI shape (bit set). */
#define LLM_PQ_APPEND_V1     0x01   /* "/v1" added to an api_base without it */
#define LLM_PQ_KEY_OPTIONAL  0x02   /* local servers: no key is fine */
#define LLM_PQ_AZURE_PATH    0x04   /* {base}/openai/deployments/{model}/...
                                       ?api-version=V */
#define LLM_PQ_NO_STREAM_OPTIONS  0x08  /* refuses stream_options */


typedef struct {
    const char  *name;          /* prefix in litellm_params.model */
    llm_wire_t   wire;
    llm_auth_t   auth;
    const char  *auth_header;   /* LLM_AUTH_HEADER: the header's name */

    /*
     * The default api_base; NULL: the config must give one.  "{NAME}" in it
     * is replaced by the environment variable NAME ("{region}" by the
     * deployment's region_name, else region_env).
     */
    const char  *api_base;
    const char  *key_env;       /* LiteLLM's variable names, comma-separated:
                                   the first one set is the key */
    const char  *base_env;      /* variables that override api_base */
    const char  *region_env;    /* variables giving "{region}" */
    unsigned     endpoints;     /* LLM_EP_* */
    unsigned     quirks;        /* LLM_PQ_* */
    const char  *rejects;       /* top-level request fields it refuses with
                                   a 400, comma-separated (drop_params) */
} llm_provider_row_t;


/*
 * A model family of a provider: what its models' names start with changes
 * the wire format, the endpoints and the path segment naming its publisher
 * (Vertex AI serves Gemini under publishers/google, Claude under
 * publishers/anthropic).  Rows are in llm_provider_family.c.
 */
typedef struct {
    const char  *provider;      /* the row's name */
    const char  *prefix;        /* of the model name; "" any model */
    const char  *publisher;     /* the path's publisher */
    llm_wire_t   wire;
    unsigned     endpoints;     /* LLM_EP_* */
} llm_provider_family_t;

/* The family of model (the first matching row), or NULL: a provider
   without families. */
const llm_provider_family_t *llm_provider_family(const char *provider,
    const char *model);

/* Family row i in table order, or NULL past the last (controld lists a
   wildcard deployment's families with it). */
const llm_provider_family_t *llm_provider_family_at(size_t i);


/*
 * Where a wire format that borrows a translator family sends one of its
 * endpoints when that differs from the family's own path, and what its
 * body then carries: after the deployment's base, "{model}" replaced by
 * the model.  Rows are in llm_provider_family.c.
 */
typedef struct {
    llm_wire_t   wire;
    unsigned     endpoint;          /* one LLM_EP_* bit */
    int          stream;            /* 1 streamed, 0 not, -1 either */
    const char  *path;
    const char  *anthropic_version; /* the body's "anthropic_version" */
    int          body_model;        /* 0: the body names no model (the
                                       path does) */
} llm_wire_route_t;

/* The route of wire for endpoint, or NULL: the family's own path. */
const llm_wire_route_t *llm_wire_route(llm_wire_t wire, unsigned endpoint,
    int stream);


/* Rows defined at run time (JSON), searched before the built-in ones. */
typedef struct {
    llm_provider_row_t  *rows;
    size_t               nrows;
    json_t              *defs;      /* owns the strings the rows point to */
} llm_provider_set_t;


/* The built-in row named name[0..len), or NULL. */
const llm_provider_row_t *llm_provider_builtin(const char *name, size_t len);

/* Built-in rows in table order (i < llm_provider_builtin_count()). */
size_t llm_provider_builtin_count(void);
const llm_provider_row_t *llm_provider_builtin_at(size_t i);

/* A run-time row first, then a built-in one; set may be NULL. */
const llm_provider_row_t *llm_provider_find(const llm_provider_set_t *set,
    const char *name, size_t len);

/*
 * One row from a JSON definition:
 *   {"name": "acme", "wire": "openai", "auth": "bearer",
 *    "api_base": "https://api.acme.ai/v1", "key_env": ["ACME_API_KEY"],
 *    "endpoints": ["chat", "embeddings"], "rejects": ["logit_bias"],
 *    "quirks": ["append_v1"]}
 * Lists may also be comma-separated strings.  Strings stay owned by def.
 * Returns 0, or -1 with a message in err.
 */
int llm_provider_from_json(const json_t *def, llm_provider_row_t *row,
    char *err, size_t errlen);

/*
 * Azure's Responses route for a deployment's api_version: a dated version
 * from 2025-03-01 on has /openai/responses?api-version=V (returns 1);
 * any other (older, "preview", "latest", none) the v1 API's
 * /openai/v1/responses, which takes no api-version (returns 0).
 */
int llm_azure_responses_dated(const char *api_version);

/* A row as JSON, in the shape llm_provider_from_json reads. */
json_t *llm_provider_to_json(const llm_provider_row_t *row);

/*
 * Loads a JSON array of definitions into set (which takes a reference on
 * defs).  Returns 0, or -1 with a message naming the bad entry.
 */
int llm_provider_set_load(llm_provider_set_t *set, json_t *defs, char *err,
    size_t errlen);
void llm_provider_set_free(llm_provider_set_t *set);

/* Names for the canonical config and definitions; NULL/-1 when unknown. */
const char *llm_wire_name(llm_wire_t wire);
int llm_wire_parse(const char *name, llm_wire_t *out);
const char *llm_auth_name(llm_auth_t auth);
int llm_auth_parse(const char *name, llm_auth_t *out);
const char *llm_endpoint_name(unsigned ep);     /* one LLM_EP_* bit */
int llm_endpoint_parse(const char *name, unsigned *out);

/*
 * Calls fn for each item of a comma-separated list (spaces around items are
 * skipped); stops and returns fn's value when it is not 0.
 */
int llm_list_each(const char *list, int (*fn)(const char *item, size_t len,
    void *arg), void *arg);

/* 1 when name[0..len) is an item of the comma-separated list. */
int llm_list_has(const char *list, const char *name, size_t len);

#endif /* LLM_PROVIDER_H */
