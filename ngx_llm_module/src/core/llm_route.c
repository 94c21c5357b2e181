/*
 * Weighted random choice.  The weight field is chosen per group, from the
 * first deployment, as LiteLLM's simple-shuffle does: mixing weights from
 * different fields would compare unlike quantities.
 */

#include "llm_route.h"


static int
llm_route_usable(const llm_deployment_t *d, const unsigned char *tried)
{
    if (tried != NULL && tried[d->index]) {
        return 0;
    }

    return d->provider == LLM_PROVIDER_MOCK || d->naddrs > 0;
}


static long long
llm_route_weight(const llm_deployment_t *d, int field)
{
    long long  w;

    w = field == 1 ? d->weight : field == 2 ? d->rpm
        : field == 3 ? d->tpm : 1;

    /* a deployment without the group's weight field still gets a chance */
    return w > 0 ? w : (field ? 0 : 1);
}


long
llm_route_pick(llm_deployment_t **deps, size_t n, const unsigned char *tried,
    unsigned long random)
{
    int        field, found;
    size_t     i;
    long long  order, total, w, point;

    if (n == 0) {
        return -1;
    }

    found = 0;
    order = 0;

    for (i = 0; i < n; i++) {
        if (llm_route_usable(deps[i], tried)
            && (!found || deps[i]->order < order))
        {
            order = deps[i]->order;
            found = 1;
        }
    }

    if (!found) {
        return -1;
    }

    field = deps[0]->weight > 0 ? 1 : deps[0]->rpm > 0 ? 2
            : deps[0]->tpm > 0 ? 3 : 0;

    for ( ;; ) {
        total = 0;

        for (i = 0; i < n; i++) {
            if (llm_route_usable(deps[i], tried) && deps[i]->order == order) {
                total += llm_route_weight(deps[i], field);
            }
        }

        if (total > 0) {
            break;
        }

        /* every candidate has weight 0: fall back to uniform */
        field = 0;
    }

    point = (long long) (random % (unsigned long long) total);

    for (i = 0; i < n; i++) {
        if (!llm_route_usable(deps[i], tried) || deps[i]->order != order) {
            continue;
        }

        w = llm_route_weight(deps[i], field);

        if (point < w) {
            return (long) i;
        }

        point -= w;
    }

    return -1;
}
