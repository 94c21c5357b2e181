/*
 * Lookups in the routing tables llm_config.c built: a model name to its
 * group (exact, then wildcard patterns), an alias, a disabled model's
 * reason, and what a deployment refuses or drops.
 */

#include <stdlib.h>
#include <string.h>

#include "llm_config.h"


int
llm_pattern_match(const char *pattern, const char *s, size_t len)
{
    size_t       i, star_i;
    const char  *star;

    i = 0;
    star = NULL;
    star_i = 0;

    while (i < len) {
        if (*pattern == '*') {
            star = pattern++;
            star_i = i;

        } else if (*pattern != '\0' && *pattern == s[i]) {
            pattern++;
            i++;

        } else if (star != NULL) {
            pattern = star + 1;
            i = ++star_i;

        } else {
            return 0;
        }
    }

    while (*pattern == '*') {
        pattern++;
    }

    return *pattern == '\0';
}


const char *
llm_config_alias(const llm_config_t *cf, const char *model, size_t len)
{
    size_t  i;

    for (i = 0; i < cf->naliases; i++) {
        if (strlen(cf->aliases[i].alias) == len
            && memcmp(cf->aliases[i].alias, model, len) == 0)
        {
            return cf->aliases[i].group;
        }
    }

    return NULL;
}


const llm_disabled_t *
llm_config_find_disabled(const llm_config_t *cf, const char *model,
    size_t len)
{
    size_t       i;
    const char  *group;

    group = llm_config_alias(cf, model, len);

    if (group != NULL) {
        model = group;
        len = strlen(group);
    }

    for (i = 0; i < cf->ndisabled; i++) {
        if (llm_pattern_match(cf->disabled[i].model_name, model, len)) {
            return &cf->disabled[i];
        }
    }

    return NULL;
}


int
llm_deployment_drop_params(const llm_config_t *cf, const llm_deployment_t *d)
{
    int  v = d->drop_params != -1 ? d->drop_params : cf->settings.drop_params;

    return v == -1 ? LLM_DROP_HINTS : v ? LLM_DROP_ALL : LLM_DROP_NONE;
}


static int
llm_str_same(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}


int
llm_deployment_same_account(const llm_deployment_t *a,
    const llm_deployment_t *b)
{
    return a->port == b->port
           && llm_str_same(a->provider_name, b->provider_name)
           && llm_str_same(a->scheme, b->scheme)
           && llm_str_same(a->host, b->host)
           && llm_str_same(a->base_path, b->base_path)
           && llm_str_same(a->api_key, b->api_key);
}


llm_deployment_t *
llm_config_find_deployment(const llm_config_t *cf, const char *id)
{
    size_t  i;

    for (i = 0; i < cf->ndeployments; i++) {
        if (strcmp(cf->deployments[i].id, id) == 0) {
            return &cf->deployments[i];
        }
    }

    return NULL;
}


int
llm_deployment_rejects(const llm_deployment_t *d, const char *name,
    size_t len)
{
    size_t  i;

    for (i = 0; i < d->nrejects; i++) {
        if (strlen(d->rejects[i]) == len
            && memcmp(d->rejects[i], name, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


llm_group_t *
llm_config_find_group(const llm_config_t *cf, const char *model, size_t len)
{
    size_t       i;
    const char  *group;

    /* an alias names its group (LiteLLM's model_group_alias) */
    if (cf->naliases) {
        group = llm_config_alias(cf, model, len);

        if (group != NULL) {
            model = group;
            len = strlen(group);
        }
    }

    for (i = 0; i < cf->nexact; i++) {
        if (strlen(cf->groups[i].name) == len
            && memcmp(cf->groups[i].name, model, len) == 0)
        {
            return &cf->groups[i];
        }
    }

    for (i = cf->nexact; i < cf->ngroups; i++) {
        if (llm_pattern_match(cf->groups[i].name, model, len)) {
            return &cf->groups[i];
        }
    }

    return NULL;
}
