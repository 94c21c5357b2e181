/*
 * Canonical config -> the router's tables (llm_router_conf_t), once per
 * published config, so the per-request code reads plain arrays and never
 * touches JSON.  controld has validated the document; anything optional
 * that is malformed here is skipped rather than failing the publish.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_router.h"
#include "llm_prices.h"


#define LLM_MAX_BUFFER_PERMILLE  1000000      /* a buffer of 1000x */


static const struct {
    const char       *name;
    llm_err_class_t   cls[2];
} llm_retry_policy_keys[] = {
    /* a context-window error is a kind of bad request in LiteLLM */
    { "BadRequestErrorRetries",
      { LLM_ERR_BAD_REQUEST, LLM_ERR_CONTEXT_WINDOW } },
    { "AuthenticationErrorRetries", { LLM_ERR_AUTH, LLM_ERR_NONE } },
    { "TimeoutErrorRetries", { LLM_ERR_TIMEOUT, LLM_ERR_NONE } },
    { "RateLimitErrorRetries", { LLM_ERR_RATE_LIMIT, LLM_ERR_NONE } },
    { "ContentPolicyViolationErrorRetries",
      { LLM_ERR_CONTENT_POLICY, LLM_ERR_NONE } },
    { "InternalServerErrorRetries", { LLM_ERR_SERVER, LLM_ERR_NONE } },
};


static void
llm_parse_retry_policy(llm_router_retry_policy_t *p, json_t *policy)
{
    size_t    i, k;
    json_t   *v;

    for (i = 0; i < LLM_ERR_NCLASSES; i++) {
        p->per_class[i] = -1;
    }

    if (!json_is_object(policy)) {
        return;
    }

    for (i = 0; i < sizeof(llm_retry_policy_keys)
                    / sizeof(llm_retry_policy_keys[0]); i++)
    {
        v = json_object_get(policy, llm_retry_policy_keys[i].name);

        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            continue;
        }

        for (k = 0; k < 2; k++) {
            if (llm_retry_policy_keys[i].cls[k] != LLM_ERR_NONE) {
                p->per_class[llm_retry_policy_keys[i].cls[k]] =
                    json_integer_value(v);
            }
        }
    }
}


/* A JSON array of strings -> a malloc'ed array borrowing the strings. */
static int
llm_string_list(json_t *arr, const char ***out, size_t *n)
{
    size_t   i;
    json_t  *v;

    *out = NULL;
    *n = 0;

    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return 0;
    }

    *out = calloc(json_array_size(arr), sizeof(char *));
    if (*out == NULL) {
        return -1;
    }

    json_array_foreach(arr, i, v) {
        if (json_is_string(v)) {
            (*out)[(*n)++] = json_string_value(v);
        }
    }

    return 0;
}


static int
llm_fallback_map(json_t *obj, llm_router_fallback_map_t *map)
{
    const char             *key;
    json_t                 *v;
    llm_router_fallback_t  *e;

    map->entries = NULL;
    map->nentries = 0;

    if (!json_is_object(obj) || json_object_size(obj) == 0) {
        return 0;
    }

    map->entries = calloc(json_object_size(obj), sizeof(llm_router_fallback_t));
    if (map->entries == NULL) {
        return -1;
    }

    json_object_foreach(obj, key, v) {
        e = &map->entries[map->nentries];

        if (llm_string_list(v, &e->targets, &e->ntargets) != 0) {
            return -1;
        }

        if (e->ntargets > 0) {
            e->group = key;
            map->nentries++;

        } else {
            free(e->targets);
            e->targets = NULL;
        }
    }

    return 0;
}


static void
llm_fallback_map_free(llm_router_fallback_map_t *map)
{
    size_t  i;

    for (i = 0; map->entries != NULL && i < map->nentries; i++) {
        free(map->entries[i].targets);
    }

    free(map->entries);
}


/* USD per token -> micro-dollars per million tokens; -1 when absent. */
static int
llm_price(json_t *dep, const char *key, uint64_t *out)
{
    double   usd;
    json_t  *v;

    v = json_object_get(dep, key);

    if (v == NULL) {
        v = json_object_get(json_object_get(dep, "model_info"), key);
    }

    if (!json_is_number(v)) {
        return -1;
    }

    usd = json_number_value(v);

    if (!(usd >= 0) || usd > 1e6) {
        return -1;
    }

    /* rounded by hand: the unit tests do not link libm */
    *out = (uint64_t) (usd * 1e12 + 0.5);

    return 0;
}


/*
 * The shipped table's entry for a deployment: model_info.base_model when
 * set (a custom deployment priced as the model it runs), else the
 * provider's own name for the model ("groq/llama-3.1-8b-instant", as
 * LiteLLM's price list writes them), else the model name alone.
 */
static const json_t *
llm_shipped_price(const llm_config_t *cf, const llm_deployment_t *dep,
    json_t *d)
{
    char           name[256];
    const char    *base;
    const json_t  *entry;

    base = json_string_value(json_object_get(json_object_get(d, "model_info"),
                                             "base_model"));
    if (base != NULL) {
        entry = llm_price_entry(cf->price_table, base);
        if (entry != NULL) {
            return entry;
        }
    }

    if (dep->provider_name != NULL
        && snprintf(name, sizeof(name), "%s/%s", dep->provider_name,
                    dep->model) < (int) sizeof(name))
    {
        entry = json_object_get(json_object_get(cf->price_table, "models"),
                                name);
        if (entry != NULL) {
            return entry;
        }
    }

    return llm_price_entry(cf->price_table, dep->model);
}


static int
llm_prices(const llm_config_t *cf, llm_router_conf_t *rc)
{
    int                  in, out;
    size_t               i;
    json_t              *deps, *d, *src;
    const json_t        *entry;
    llm_router_price_t  *p;

    rc->nprices = cf->ndeployments;
    rc->prices = calloc(cf->ndeployments ? cf->ndeployments : 1,
                        sizeof(llm_router_price_t));
    if (rc->prices == NULL) {
        return -1;
    }

    deps = json_object_get(cf->root, "deployments");

    for (i = 0; i < cf->ndeployments; i++) {
        p = &rc->prices[i];
        d = json_array_get(deps, i);

        /* the deployment's own prices, else the shipped table's */
        src = d;

        if (llm_price(d, "input_cost_per_token", &p->input) != 0
            && llm_price(d, "output_cost_per_token", &p->output) != 0)
        {
            entry = llm_shipped_price(cf, &cf->deployments[i], d);
            if (entry != NULL) {
                src = (json_t *) entry;
            }
        }

        /* priced by duration (LiteLLM's input/output_cost_per_second) */
        if (llm_price(d, "input_cost_per_second", &p->input_per_second) == 0
            || llm_price(d, "output_cost_per_second", &p->output_per_second)
               == 0)
        {
            p->known = 1;
        }

        in = llm_price(src, "input_cost_per_token", &p->input);
        out = llm_price(src, "output_cost_per_token", &p->output);
        p->known = p->known || in == 0 || out == 0;

        if (llm_price(src, "cache_read_input_token_cost", &p->cache_read)
            != 0)
        {
            p->cache_read = p->input;
        }

        if (llm_price(src, "cache_creation_input_token_cost", &p->cache_write)
            != 0)
        {
            p->cache_write = p->input;
        }
    }

    return 0;
}


static uint32_t
llm_latency_buffer(json_t *args)
{
    double   buffer;
    json_t  *v;

    v = json_object_get(args, "lowest_latency_buffer");

    if (!json_is_number(v)) {
        return 0;
    }

    buffer = json_number_value(v) * 1000;

    if (!(buffer > 0)) {
        return 0;
    }

    return buffer >= LLM_MAX_BUFFER_PERMILLE ? LLM_MAX_BUFFER_PERMILLE
                                              : (uint32_t) (buffer + 0.5);
}


llm_router_conf_t *
llm_router_conf_build(const llm_config_t *cf, char *err, size_t errlen)
{
    json_t             *settings, *v;
    llm_router_conf_t  *rc;

    rc = calloc(1, sizeof(llm_router_conf_t));
    if (rc == NULL) {
        goto nomem;
    }

    settings = json_object_get(cf->root, "settings");

    rc->strategy = llm_router_strategy(cf->settings.routing_strategy);
    if (rc->strategy == LLM_ROUTER_STRATEGY_UNKNOWN) {
        rc->strategy = LLM_ROUTER_SIMPLE_SHUFFLE;
    }

    rc->latency_buffer_permille =
        llm_latency_buffer(json_object_get(settings, "routing_strategy_args"));

    v = json_object_get(settings, "retry_after_ms");
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        rc->retry_after_ms = (uint64_t) json_integer_value(v);
    }

    rc->allowed_fails = (uint64_t) cf->settings.allowed_fails;
    rc->cooldown_ms = (uint64_t) cf->settings.cooldown_time_ms;

    if (json_is_true(json_object_get(settings, "disable_cooldowns"))) {
        rc->cooldown_ms = 0;
    }

    rc->retry.num_retries = cf->settings.num_retries;
    llm_parse_retry_policy(&rc->retry,
                           json_object_get(settings, "retry_policy"));

    rc->max_fallbacks = (size_t) cf->settings.max_fallbacks;

    if (llm_fallback_map(json_object_get(settings, "fallbacks"),
                         &rc->fallbacks) != 0
        || llm_fallback_map(json_object_get(settings,
                                            "context_window_fallbacks"),
                            &rc->context_window_fallbacks) != 0
        || llm_fallback_map(json_object_get(settings,
                                            "content_policy_fallbacks"),
                            &rc->content_policy_fallbacks) != 0
        || llm_string_list(json_object_get(settings, "default_fallbacks"),
                           &rc->default_fallbacks,
                           &rc->ndefault_fallbacks) != 0
        || llm_prices(cf, rc) != 0)
    {
        llm_router_conf_free(rc);
        goto nomem;
    }

    return rc;

nomem:

    snprintf(err, errlen, "out of memory");

    return NULL;
}


void
llm_router_conf_free(llm_router_conf_t *rc)
{
    if (rc == NULL) {
        return;
    }

    llm_fallback_map_free(&rc->fallbacks);
    llm_fallback_map_free(&rc->context_window_fallbacks);
    llm_fallback_map_free(&rc->content_policy_fallbacks);
    free(rc->default_fallbacks);
    free(rc->prices);
    free(rc);
}
