/*
 * A wildcard deployment of a provider with model families (vertex_ai/ "*",
 * docs/providers.md#vertex-ai-vertex_ai): controld cannot pick the family
 * from the configured model, so it lists them all, each with its wire,
 * endpoints and base path,
 *
 *   "families": [{"prefix": "claude-", "api": "vertex_anthropic",
 *                 "endpoints": ["chat", "count_tokens"],
 *                 "base_path": "/v1/projects/P/locations/L/publishers/
 *                               anthropic"}, ..., {"prefix": "", ..}]
 *
 * and each request takes the first whose prefix starts the provider-side
 * name the client asked for.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_config.h"


static const char *
llm_family_str(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}


int
llm_deployment_families(llm_deployment_t *d, json_t *o, const char *where,
    char *err, size_t errlen)
{
    size_t             i, k, n;
    json_t            *list, *f, *eps;
    unsigned           bit;
    const char        *s;
    llm_dep_family_t  *fam;

    list = json_object_get(o, "families");
    n = json_is_array(list) ? json_array_size(list) : 0;

    if (n == 0) {
        return 0;
    }

    d->families = calloc(n, sizeof(llm_dep_family_t));
    if (d->families == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    for (i = 0; i < n; i++) {
        f = json_array_get(list, i);
        fam = &d->families[i];

        fam->prefix = llm_family_str(f, "prefix");
        fam->base_path = llm_family_str(f, "base_path");
        s = llm_family_str(f, "api");

        if (fam->prefix == NULL || fam->base_path == NULL || s == NULL
            || llm_wire_parse(s, &fam->wire) != 0)
        {
            snprintf(err, errlen, "%s.families[%zu]: prefix, base_path and "
                     "a known api are required", where, i);
            return -1;
        }

        fam->api = llm_wire_api(fam->wire);

        eps = json_object_get(f, "endpoints");
        json_array_foreach(eps, k, f) {
            s = json_string_value(f);
            if (s != NULL && llm_endpoint_parse(s, &bit) == 0) {
                fam->endpoints |= bit;
            }
        }

        d->nfamilies++;
    }

    return 0;
}


/* The length of "vendor/" in a group pattern "vendor/" "*", else 0. */

static size_t
llm_wildcard_prefix(const char *pattern)
{
    size_t  len;

    len = strlen(pattern);

    if (len < 3 || pattern[len - 1] != '*' || pattern[len - 2] != '/'
        || memchr(pattern, '*', len - 1) != NULL)
    {
        return 0;
    }

    return len - 1;
}


const char *
llm_deployment_model_for(const llm_deployment_t *d, const char *requested)
{
    size_t  prefix;

    if (!d->model_passthrough) {
        return d->model;
    }

    prefix = llm_wildcard_prefix(d->model_name);

    if (prefix && strncmp(requested, d->model_name, prefix) == 0
        && requested[prefix] != '\0')
    {
        return requested + prefix;
    }

    return requested;
}


const llm_dep_family_t *
llm_deployment_family(const llm_deployment_t *d, const char *model)
{
    size_t  i;

    for (i = 0; i < d->nfamilies; i++) {
        if (strncmp(model, d->families[i].prefix,
                    strlen(d->families[i].prefix)) == 0)
        {
            return &d->families[i];
        }
    }

    return NULL;
}
