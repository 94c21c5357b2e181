/*
 * Choosing a deployment within a model group (LiteLLM's router).  Pure
 * functions over the group and per-request state, so they are unit-tested
 * without nginx.
 */

#ifndef LLM_ROUTE_H
#define LLM_ROUTE_H

#include <stddef.h>

#include "llm_config.h"


/*
 * simple-shuffle among the deployments not tried yet (tried[] is indexed by
 * llm_deployment_t.index), restricted to the lowest `order` present:
 * weighted by `weight` when the group's first deployment sets one, else by
 * `rpm`, else by `tpm`, else uniform.  Deployments that are not mocks and
 * have no address are skipped.  Returns an index into deps, or -1.
 */
long llm_route_pick(llm_deployment_t **deps, size_t n,
    const unsigned char *tried, unsigned long random);

#endif /* LLM_ROUTE_H */
