/*
 * Model families and wire routes (see llm_provider.h): the data that makes
 * one provider row serve models of several publishers.
 *
 * Vertex AI (docs/providers.md#vertex-ai-vertex_ai): Google's models speak
 * Gemini's generateContent under publishers/google; Anthropic's speak the
 * Messages API under publishers/anthropic through rawPredict and
 * streamRawPredict, with the model in the path only and
 * "anthropic_version": "vertex-2023-10-16" in the body; Google's embedding
 * models answer :predict.  controld picks the family when it compiles a
 * deployment (the wire, the endpoints and the publisher of its base path);
 * for a wildcard deployment (vertex_ai/ "*") it lists every family of the
 * provider, and the module takes the one of the model the client asked
 * for.  The module reads the routes for the request's path and body.
 */

#include <string.h>

#include "llm_provider.h"


#define LLM_VERTEX_ANTHROPIC_VERSION  "vertex-2023-10-16"

#define VERTEX_EMBED  "google", LLM_WIRE_VERTEX, LLM_EP_EMBEDDINGS


static const llm_provider_family_t  llm_provider_families[] = {

    /* provider, model prefix, publisher, wire, endpoints */

    { "vertex_ai", "claude-", "anthropic", LLM_WIRE_VERTEX_ANTHROPIC,
      LLM_EP_CHAT | LLM_EP_COUNT_TOKENS },

    { "vertex_ai", "text-embedding-", VERTEX_EMBED },
    { "vertex_ai", "text-multilingual-embedding-", VERTEX_EMBED },
    { "vertex_ai", "textembedding-gecko", VERTEX_EMBED },
    { "vertex_ai", "gemini-embedding-", VERTEX_EMBED },

    /* Gemini, and any other model of Google's */
    { "vertex_ai", "", "google", LLM_WIRE_VERTEX,
      LLM_EP_CHAT | LLM_EP_EMBEDDINGS | LLM_EP_COUNT_TOKENS },
};


static const llm_wire_route_t  llm_wire_routes[] = {

    /* wire, endpoint, stream, path, anthropic_version, body_model */

    { LLM_WIRE_VERTEX_ANTHROPIC, LLM_EP_CHAT, 0,
      "/models/{model}:rawPredict", LLM_VERTEX_ANTHROPIC_VERSION, 0 },

    { LLM_WIRE_VERTEX_ANTHROPIC, LLM_EP_CHAT, 1,
      "/models/{model}:streamRawPredict", LLM_VERTEX_ANTHROPIC_VERSION, 0 },

    /* one counting model for all: the body names the model */
    { LLM_WIRE_VERTEX_ANTHROPIC, LLM_EP_COUNT_TOKENS, -1,
      "/models/count-tokens:rawPredict", LLM_VERTEX_ANTHROPIC_VERSION, 1 },

    { LLM_WIRE_VERTEX, LLM_EP_EMBEDDINGS, -1,
      "/models/{model}:predict", NULL, 0 },
};


#define llm_nelts(a)  (sizeof(a) / sizeof((a)[0]))


const llm_provider_family_t *
llm_provider_family(const char *provider, const char *model)
{
    size_t                        i;
    const llm_provider_family_t  *f;

    for (i = 0; i < llm_nelts(llm_provider_families); i++) {
        f = &llm_provider_families[i];

        if (strcmp(f->provider, provider) == 0
            && strncmp(model, f->prefix, strlen(f->prefix)) == 0)
        {
            return f;
        }
    }

    return NULL;
}


const llm_provider_family_t *
llm_provider_family_at(size_t i)
{
    return i < llm_nelts(llm_provider_families) ? &llm_provider_families[i]
                                                 : NULL;
}


const llm_wire_route_t *
llm_wire_route(llm_wire_t wire, unsigned endpoint, int stream)
{
    size_t                   i;
    const llm_wire_route_t  *r;

    for (i = 0; i < llm_nelts(llm_wire_routes); i++) {
        r = &llm_wire_routes[i];

        if (r->wire == wire && r->endpoint == endpoint
            && (r->stream == -1 || r->stream == !!stream))
        {
            return r;
        }
    }

    return NULL;
}
