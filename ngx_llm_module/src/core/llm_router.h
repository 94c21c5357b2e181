/*
 * The router's decisions, as LiteLLM's Router makes them: which deployment
 * of a model group serves a request, how an upstream error is classified,
 * whether to retry, how long to back off, when a deployment cools down and
 * which groups to fall back to.  docs/routing.md describes the rules.
 *
 * Everything here is plain C over plain data, so it is unit-tested without
 * nginx.  The per-request functions never allocate; only
 * llm_router_conf_build() (once per published config) does.  Shared state is
 * integers only: microseconds, milliseconds, counts, micro-dollars.
 */

#ifndef LLM_ROUTER_H
#define LLM_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "llm_config.h"


/* ---- per-deployment state ------------------------------------------------ */

/*
 * One deployment's counters.  The module keeps them in the shared zone as
 * 64-bit atomics (all workers) and hands the router a plain copy.  "minute"
 * is a unix minute (unix ms / 60000); window counters whose minute is older
 * than the current one count as 0.
 */
typedef struct {
    uint64_t  in_flight;          /* requests being served now, all workers */
    uint64_t  minute;             /* unix minute the window counters belong to */
    uint64_t  minute_requests;    /* requests started in that minute */
    uint64_t  minute_tokens;      /* tokens (prompt+completion) in that minute */
    uint64_t  latency_us;         /* moving average of full-response latency */
    uint64_t  ttft_us;            /* moving average of time to first token
                                     (streams); 0 = no stream sample yet */
    uint64_t  samples;            /* how many latency samples (0 = unknown) */
    uint64_t  fail_minute;        /* unix minute of fail_count */
    uint64_t  fail_count;         /* failures in fail_minute */
    uint64_t  cooldown_until_ms;  /* skip until then (unix ms); 0 = none */
    uint64_t  cooldown_class;     /* the llm_err_class_t that cooled it */
} llm_dep_state_t;


/* ---- strategies and per-config tables ------------------------------------ */

typedef enum {
    LLM_ROUTER_STRATEGY_UNKNOWN = -1,
    LLM_ROUTER_SIMPLE_SHUFFLE = 0,
    LLM_ROUTER_LEAST_BUSY,
    LLM_ROUTER_LATENCY,             /* latency-based-routing */
    LLM_ROUTER_USAGE,               /* usage-based-routing and -v2 */
    LLM_ROUTER_COST                 /* cost-based-routing */
} llm_router_strategy_t;


/* How an upstream failure is treated (llm_router_classify). */
typedef enum {
    LLM_ERR_NONE = 0,               /* not an error (1xx-3xx) */
    LLM_ERR_TIMEOUT,                /* 408, 504 */
    LLM_ERR_RATE_LIMIT,             /* 429 */
    LLM_ERR_SERVER,                 /* other 5xx, 502 with a body */
    LLM_ERR_CONNECT,                /* 502 without a body, status <= 0 */
    LLM_ERR_AUTH,                   /* 401, 403, Gemini's invalid-key 400 */
    LLM_ERR_NOT_FOUND,              /* 404 */
    LLM_ERR_CONTEXT_WINDOW,         /* 400/413 about the context length */
    LLM_ERR_CONTENT_POLICY,         /* 400 about content policy / safety */
    LLM_ERR_BAD_REQUEST,            /* any other 4xx */
    LLM_ERR_NCLASSES
} llm_err_class_t;


/*
 * Prices for cost-based-routing, micro-dollars per million tokens (= USD
 * per token x 10^12), from the deployment's input_cost_per_token /
 * output_cost_per_token (or the same keys in its model_info).
 */
typedef struct {
    uint64_t  input;
    uint64_t  output;
    uint64_t  cache_read;           /* cache_read_input_token_cost, else
                                       the input price */
    uint64_t  cache_write;          /* cache_creation_input_token_cost,
                                       else the input price */
    uint64_t  input_per_second;     /* input/output_cost_per_second, in */
    uint64_t  output_per_second;    /* the same unit: the cost of a request
                                       is their sum times its duration */
    int       known;                /* at least one price was configured
                                       (the other counts as 0) */
} llm_router_price_t;


/* Retry counts: num_retries, overridden per class by retry_policy. */
typedef struct {
    long long  num_retries;
    long long  per_class[LLM_ERR_NCLASSES];   /* -1 = not set */
} llm_router_retry_policy_t;


/* One "group": ["fallback", ...] entry.  Strings point into cf->root. */
typedef struct {
    const char   *group;
    const char  **targets;
    size_t        ntargets;
} llm_router_fallback_t;


typedef struct {
    llm_router_fallback_t  *entries;
    size_t                  nentries;
} llm_router_fallback_map_t;


/*
 * Everything the router reads from settings and deployments, in the form
 * the per-request code wants.  Built once per published config; it borrows
 * strings from cf->root, so it must be freed before (or with) the config.
 */
typedef struct {
    llm_router_strategy_t       strategy;
    uint32_t                    latency_buffer_permille;  /* 0.5 -> 500 */
    uint64_t                    retry_after_ms;   /* floor for backoffs */
    uint64_t                    allowed_fails;
    uint64_t                    cooldown_ms;      /* 0: cooldowns disabled */
    llm_router_retry_policy_t   retry;
    llm_router_fallback_map_t   fallbacks;
    llm_router_fallback_map_t   context_window_fallbacks;
    llm_router_fallback_map_t   content_policy_fallbacks;
    const char                **default_fallbacks;
    size_t                      ndefault_fallbacks;
    size_t                      max_fallbacks;
    llm_router_price_t         *prices;           /* by deployment index */
    size_t                      nprices;
} llm_router_conf_t;


/* "simple-shuffle" ... -> enum; NULL means the default, simple-shuffle. */
llm_router_strategy_t llm_router_strategy(const char *name);

/*
 * Reads cf->settings and cf->root ("settings": routing_strategy_args,
 * retry_policy, retry_after_ms, disable_cooldowns, the fallback maps;
 * "deployments": prices).  Malformed optional entries are skipped (controld
 * validated the document); NULL with a message in err only when out of
 * memory.
 */
llm_router_conf_t *llm_router_conf_build(const llm_config_t *cf, char *err,
    size_t errlen);

void llm_router_conf_free(llm_router_conf_t *rc);


/* ---- choosing a deployment ----------------------------------------------- */

typedef struct {
    llm_router_strategy_t      strategy;
    uint64_t                   now_ms;          /* unix ms */
    uint64_t                   input_tokens;    /* estimated, for tpm */
    int                        stream;          /* latency: compare ttft */
    uint32_t                   latency_buffer_permille;
    unsigned long              random;          /* any uniform value */
    const llm_router_price_t  *prices;          /* by deployment index;
                                                   NULL: all unknown */
} llm_router_req_t;


typedef enum {
    LLM_ROUTER_PICKED = 0,
    LLM_ROUTER_NO_DEPLOYMENT,       /* empty group, or none has an address */
    LLM_ROUTER_ALL_TRIED,           /* every usable one was tried already */
    LLM_ROUTER_ALL_COOLING,         /* the soonest to free up is cooling down */
    LLM_ROUTER_ALL_SATURATED        /* ... is over its rpm/tpm this minute */
} llm_router_outcome_t;


typedef struct {
    llm_router_outcome_t  outcome;
    long                  index;           /* into deps; -1 unless PICKED */
    uint64_t              retry_after_s;   /* COOLING/SATURATED: >= 1 */
} llm_router_result_t;


/*
 * Picks a deployment of one group.  st[i] is the state of deps[i]; tried
 * is indexed by llm_deployment_t.index (may be NULL).  Skips tried ones,
 * ones without an address (unless provider mock), cooling ones and ones
 * over rpm/tpm this minute; keeps the lowest `order` left; then applies
 * the strategy.  Returns res->outcome.
 */
llm_router_outcome_t llm_router_pick(const llm_router_req_t *req,
    llm_deployment_t **deps, const llm_dep_state_t *st, size_t n,
    const unsigned char *tried, llm_router_result_t *res);

/*
 * How many deployments of the group could serve now (address, not cooling,
 * not saturated), tried or not: the "healthy deployments" of the retry and
 * backoff rules.
 */
size_t llm_router_healthy(const llm_router_req_t *req, llm_deployment_t **deps,
    const llm_dep_state_t *st, size_t n);


/* ---- errors, retries, backoff -------------------------------------------- */

/*
 * Classifies an upstream answer.  body is the provider's error body (not
 * NUL-terminated, may be NULL); pass status 502 with no body when nginx
 * could not connect, status <= 0 for a failure with no response at all.
 */
llm_err_class_t llm_router_classify(int status, const char *body, size_t len);

const char *llm_err_class_name(llm_err_class_t cls);


typedef enum {
    LLM_RETRY_GIVE_UP = 0,          /* answer the error to the client */
    LLM_RETRY_SAME_GROUP,           /* pick again in this group */
    LLM_RETRY_FALLBACK              /* move to the next fallback group */
} llm_retry_action_t;


/*
 * What to do after a failed attempt.  attempts_in_group counts the attempts
 * made in the current group, the failed one included; group_size is the
 * number of deployments in the group; healthy_left is llm_router_healthy()
 * after the failure was recorded; has_fallbacks says whether a fallback
 * group is left to try for this class (llm_router_fallbacks()).
 */
llm_retry_action_t llm_router_should_retry(const llm_router_retry_policy_t *p,
    llm_err_class_t cls, unsigned attempts_in_group, size_t group_size,
    size_t healthy_left, int has_fallbacks);

/*
 * Milliseconds to wait before retry number retries_done+1 in the group:
 * 0 when more than one deployment is healthy; else the provider's
 * retry-after when 0 < retry_after_s <= 60; else min(0.5 s * 2^retries_done,
 * 8 s) * (1 - 0.25 * u) with u from random; never below min_ms
 * (settings.retry_after).  retry_after_s < 0: the provider sent none.
 */
uint64_t llm_router_backoff_ms(unsigned retries_done, long retry_after_s,
    size_t healthy_left, unsigned long random, uint64_t min_ms);


/* ---- state updates ------------------------------------------------------- */

/* A request was sent to the deployment: in flight, counted in its minute. */
void llm_router_on_start(llm_dep_state_t *st, uint64_t now_ms);

/* The request ended (success or failure): no longer in flight. */
void llm_router_on_end(llm_dep_state_t *st);

/*
 * Records a failed attempt and decides on a cooldown: immediately for auth
 * and not_found, for rate_limit when the group has other deployments, and
 * when this minute's failures exceed allowed_fails.  Only failures that say
 * something about the deployment count (timeout, rate_limit, server,
 * connect, auth, not_found).  cooldown_ms 0 disables cooldowns.  Returns 1
 * when it set cooldown_until_ms.
 */
int llm_router_on_failure(llm_err_class_t cls, size_t group_size,
    uint64_t allowed_fails, uint64_t cooldown_ms, uint64_t now_ms,
    llm_dep_state_t *st);

/*
 * Records a success: moving averages of latency (and of ttft when
 * ttft_us > 0, i.e. a stream), and the tokens in the current minute.
 */
void llm_router_on_success(llm_dep_state_t *st, uint64_t now_ms,
    uint64_t latency_us, uint64_t ttft_us, uint64_t tokens);


/* ---- fallbacks ----------------------------------------------------------- */

/*
 * The groups to try, in order, once the requested group is exhausted.
 * Looked up by the requested model name, then by the group's own name
 * (a pattern such as "claude-*"; may be NULL): context_window_fallbacks
 * for context_window errors and content_policy_fallbacks for
 * content_policy errors when they have an entry (exact or "*"), else
 * fallbacks (exact, "*", then default_fallbacks).  bad_request errors
 * never fall back.  The requested group itself and duplicates are left
 * out; at most min(max, max_fallbacks) names are written to out.
 */
size_t llm_router_fallbacks(const llm_router_conf_t *rc, const char *model,
    size_t model_len, const char *group_name, llm_err_class_t cls,
    const char **out, size_t max);

#endif /* LLM_ROUTER_H */
