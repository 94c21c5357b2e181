
/*
 * The routes the gateway answers itself (llm_routes.h).
 */

#include <string.h>

#include "llm_routes.h"


#define LLM_S(s)          s, sizeof(s) - 1
#define LLM_GET_HEAD      (LLM_METHOD_GET|LLM_METHOD_HEAD)


const llm_route_t  llm_routes[] = {
    { LLM_S("/v1/chat/completions"), LLM_METHOD_POST, LLM_ROUTE_CHAT,
      LLM_API_OPENAI },
    { LLM_S("/chat/completions"), LLM_METHOD_POST, LLM_ROUTE_CHAT,
      LLM_API_OPENAI },
    { LLM_S("/v1/completions"), LLM_METHOD_POST, LLM_ROUTE_COMPLETIONS,
      LLM_API_OPENAI },
    { LLM_S("/completions"), LLM_METHOD_POST, LLM_ROUTE_COMPLETIONS,
      LLM_API_OPENAI },
    { LLM_S("/v1/embeddings"), LLM_METHOD_POST, LLM_ROUTE_EMBEDDINGS,
      LLM_API_OPENAI },
    { LLM_S("/embeddings"), LLM_METHOD_POST, LLM_ROUTE_EMBEDDINGS,
      LLM_API_OPENAI },
    { LLM_S("/v1/messages"), LLM_METHOD_POST, LLM_ROUTE_MESSAGES,
      LLM_API_ANTHROPIC },
    { LLM_S("/messages"), LLM_METHOD_POST, LLM_ROUTE_MESSAGES,
      LLM_API_ANTHROPIC },
    { LLM_S("/v1/messages/count_tokens"), LLM_METHOD_POST,
      LLM_ROUTE_COUNT_TOKENS, LLM_API_ANTHROPIC },
    { LLM_S("/messages/count_tokens"), LLM_METHOD_POST, LLM_ROUTE_COUNT_TOKENS,
      LLM_API_ANTHROPIC },
    { LLM_S("/v1/responses"), LLM_METHOD_POST, LLM_ROUTE_RESPONSES,
      LLM_API_RESPONSES },
    { LLM_S("/v1/responses/input_tokens"), LLM_METHOD_POST,
      LLM_ROUTE_COUNT_TOKENS, LLM_API_RESPONSES },
    { LLM_S("/responses/input_tokens"), LLM_METHOD_POST, LLM_ROUTE_COUNT_TOKENS,
      LLM_API_RESPONSES },
    { LLM_S("/responses"), LLM_METHOD_POST, LLM_ROUTE_RESPONSES,
      LLM_API_RESPONSES },
    { LLM_S("/v1/models"), LLM_GET_HEAD, LLM_ROUTE_MODELS, LLM_API_OPENAI },
    { LLM_S("/models"), LLM_GET_HEAD, LLM_ROUTE_MODELS, LLM_API_OPENAI },
    { LLM_S("/health/liveliness"), LLM_GET_HEAD, LLM_ROUTE_LIVELINESS,
      LLM_API_OPENAI },
    { LLM_S("/health/liveness"), LLM_GET_HEAD, LLM_ROUTE_LIVELINESS,
      LLM_API_OPENAI },
    { LLM_S("/health/readiness"), LLM_GET_HEAD, LLM_ROUTE_READINESS,
      LLM_API_OPENAI },
    { LLM_S("/health"), LLM_GET_HEAD, LLM_ROUTE_HEALTH, LLM_API_OPENAI },
    { NULL, 0, 0, LLM_ROUTE_NONE, LLM_API_OPENAI }
};


/* the order matters: LLM_ROUTE_GEMINI_V1 is the index of "/v1/" */
const llm_route_prefix_t  llm_route_gemini_versions[] = {
    { LLM_S("/v1beta/") },
    { LLM_S("/v1/") },
    { LLM_S("/v1alpha/") },
    { NULL, 0 }
};

/* what a shadowed pass-through route is told, by version */
static const char  *llm_route_gemini_models[] = {
    "/v1beta/models/", "/v1/models/", "/v1alpha/models/"
};


const llm_route_prefix_t  llm_route_stored_prefixes[] = {
    { LLM_S("/v1/responses/") },
    { LLM_S("/responses/") },
    { NULL, 0 }
};


const char *
llm_route_shadowing(const char *path)
{
    size_t                     len;
    const llm_route_t         *rt;
    const llm_route_prefix_t  *p;

    len = strlen(path);

    for (rt = llm_routes; rt->path; rt++) {
        if (len == rt->len && memcmp(path, rt->path, len) == 0) {
            return rt->path;
        }
    }

    /* {version}models and everything under {version}models/ */
    for (p = llm_route_gemini_versions; p->path; p++) {
        if (len >= p->len + sizeof("models") - 1
            && memcmp(path, p->path, p->len) == 0
            && memcmp(path + p->len, "models", sizeof("models") - 1) == 0
            && (len == p->len + sizeof("models") - 1
                || path[p->len + sizeof("models") - 1] == '/'))
        {
            return llm_route_gemini_models[p - llm_route_gemini_versions];
        }
    }

    for (p = llm_route_stored_prefixes; p->path; p++) {
        if (len > p->len && memcmp(path, p->path, p->len) == 0) {
            return p->path;
        }
    }

    return NULL;
}
