/*
 * Which model groups to try after the requested one is exhausted.  Runs on
 * the failure path only, over a few short lists, so linear scans are fine.
 */

#include <string.h>

#include "llm_router.h"


static int
llm_name_eq(const char *s, const char *name, size_t len)
{
    return s != NULL && strlen(s) == len && memcmp(s, name, len) == 0;
}


static const llm_router_fallback_t *
llm_map_find(const llm_router_fallback_map_t *map, const char *name,
    size_t len)
{
    size_t  i;

    for (i = 0; i < map->nentries; i++) {
        if (llm_name_eq(map->entries[i].group, name, len)) {
            return &map->entries[i];
        }
    }

    return NULL;
}


/* The entry for the requested model, else for its group, else "*". */
static const llm_router_fallback_t *
llm_map_lookup(const llm_router_fallback_map_t *map, const char *model,
    size_t model_len, const char *group_name)
{
    const llm_router_fallback_t  *e;

    e = llm_map_find(map, model, model_len);

    if (e == NULL && group_name != NULL) {
        e = llm_map_find(map, group_name, strlen(group_name));
    }

    if (e == NULL) {
        e = llm_map_find(map, "*", 1);
    }

    return e;
}


size_t
llm_router_fallbacks(const llm_router_conf_t *rc, const char *model,
    size_t model_len, const char *group_name, llm_err_class_t cls,
    const char **out, size_t max)
{
    size_t                         i, k, n, ntargets;
    const char                    *t, *const *targets;
    const llm_router_fallback_t   *e;

    if (cls == LLM_ERR_BAD_REQUEST || cls == LLM_ERR_NONE) {
        return 0;
    }

    if (max > rc->max_fallbacks) {
        max = rc->max_fallbacks;
    }

    e = NULL;

    if (cls == LLM_ERR_CONTEXT_WINDOW) {
        e = llm_map_lookup(&rc->context_window_fallbacks, model, model_len,
                           group_name);

    } else if (cls == LLM_ERR_CONTENT_POLICY) {
        e = llm_map_lookup(&rc->content_policy_fallbacks, model, model_len,
                           group_name);
    }

    if (e == NULL) {
        e = llm_map_lookup(&rc->fallbacks, model, model_len, group_name);
    }

    if (e != NULL) {
        targets = e->targets;
        ntargets = e->ntargets;

    } else {
        /* default_fallbacks act as the "*" entry of fallbacks */
        targets = rc->default_fallbacks;
        ntargets = rc->ndefault_fallbacks;
    }

    n = 0;

    for (i = 0; i < ntargets && n < max; i++) {
        t = targets[i];

        /* falling back to the group that just failed would only repeat it */
        if (llm_name_eq(t, model, model_len)
            || (group_name != NULL && strcmp(t, group_name) == 0))
        {
            continue;
        }

        for (k = 0; k < n && strcmp(out[k], t) != 0; k++) {
            /* void */
        }

        if (k == n) {
            out[n++] = t;
        }
    }

    return n;
}
