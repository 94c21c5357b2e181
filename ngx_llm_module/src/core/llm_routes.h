/*
 * The routes the gateway answers itself, as data: the module's access
 * handler matches a request's URI against them, and controld refuses a
 * pass_through_endpoints route they would shadow.  One table, so the two
 * cannot drift apart.
 */

#ifndef LLM_ROUTES_H
#define LLM_ROUTES_H

#include <stddef.h>

#include "llm_xlate.h"


/* what the client asked for, by URI */
typedef enum {
    LLM_ROUTE_NONE = 0,
    LLM_ROUTE_CHAT,
    LLM_ROUTE_COMPLETIONS,
    LLM_ROUTE_EMBEDDINGS,
    LLM_ROUTE_MESSAGES,
    LLM_ROUTE_COUNT_TOKENS,
    LLM_ROUTE_GENERATE,
    LLM_ROUTE_RESPONSES,
    LLM_ROUTE_RESPONSE_ID,         /* GET/DELETE /v1/responses/{id}[/
                                   input_items]: stored ones */
    LLM_ROUTE_MODELS,
    LLM_ROUTE_MODEL,               /* one model: /v1/models/{m}, Gemini's
                                   /v1beta/models/{m} */
    LLM_ROUTE_LIVELINESS,
    LLM_ROUTE_READINESS,
    LLM_ROUTE_HEALTH,              /* /health: deployments, disabled ones with
                                   their reasons */
    LLM_ROUTE_PASS                 /* a pass_through_endpoints route: counted
                                   and logged by its path, no JSON, usage
                                   or cost */
} llm_route_kind_e;


/* the methods a route takes */
#define LLM_METHOD_GET     0x01
#define LLM_METHOD_HEAD    0x02
#define LLM_METHOD_POST    0x04
#define LLM_METHOD_DELETE  0x08


typedef struct {
    const char      *path;
    size_t           len;
    unsigned         methods;
    llm_route_kind_e   endpoint;
    llm_api_t        api;
} llm_route_t;


typedef struct {
    const char      *path;
    size_t           len;
} llm_route_prefix_t;


/* exact paths; the last entry's path is NULL */
extern const llm_route_t         llm_routes[];

/*
 * Gemini's API versions: {version}models, {version}models/{m} and
 * {version}models/{m}:method.  The second one, "/v1/", is also OpenAI's
 * (/v1/models/{m}, asked without Gemini's key).  The last entry's path is
 * NULL.
 */
#define LLM_ROUTE_GEMINI_V1  1
extern const llm_route_prefix_t  llm_route_gemini_versions[];

/* the stored responses: {prefix}{id} and {prefix}{id}/input_items */
extern const llm_route_prefix_t  llm_route_stored_prefixes[];


/*
 * The built-in path or prefix that answers `path` (so that a pass-through
 * route there would never be reached), or NULL.
 */
const char *llm_route_shadowing(const char *path);


#endif /* LLM_ROUTES_H */
