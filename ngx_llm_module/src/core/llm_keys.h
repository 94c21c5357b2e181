/*
 * Virtual keys and teams as the data plane sees them: the table controld
 * publishes (POST /_llm/keys), looked up by the SHA-256 of the presented
 * key, and the admission decision for one request.  Money is integer
 * micro-dollars throughout.
 */

#ifndef LLM_KEYS_H
#define LLM_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "llm_xlate.h"
#include "llm_router.h"


#define LLM_UNLIMITED  UINT64_MAX


typedef struct {
    const char   *model;
    uint64_t      rpm;
    uint64_t      tpm;
} llm_model_limit_t;


typedef struct {
    const char         *id;
    const char        **models;          /* empty: all */
    size_t              nmodels;
    uint64_t            max_budget_micros;   /* LLM_UNLIMITED: none */
    uint64_t            spend_micros;        /* durable, cluster-wide */
    uint64_t            local_base_micros;   /* this node's spend in it */
    int                 has_base;
    int64_t             budget_reset_at;
    uint64_t            tpm_limit;           /* 0: none */
    uint64_t            rpm_limit;
    uint64_t            max_parallel;
    int                 blocked;
} llm_team_t;


typedef struct {
    unsigned char       token[32];       /* SHA-256 of the key */
    const char         *token_hex;
    const char         *alias;
    const char        **models;
    size_t              nmodels;
    llm_team_t         *team;            /* NULL: no team */
    uint64_t            max_budget_micros;
    uint64_t            spend_micros;
    uint64_t            local_base_micros;
    int                 has_base;
    int64_t             budget_reset_at;
    uint64_t            tpm_limit;
    uint64_t            rpm_limit;
    uint64_t            max_parallel;
    llm_model_limit_t  *model_limits;
    size_t              nmodel_limits;
    int64_t             expires;         /* unix s; 0: never */
    int                 blocked;
} llm_key_t;


typedef struct {
    json_t       *root;
    const char   *epoch;                 /* the zone epoch the bases are for */
    llm_key_t    *keys;                  /* sorted by token */
    size_t        nkeys;
    llm_team_t   *teams;
    size_t        nteams;
} llm_keys_t;


/*
 * What the zone counts for a key, a team or one key's traffic to one model
 * (all workers).  Monotonic except in_flight, reserved and the minute
 * windows; controld drains the deltas.  The others_* window is what the
 * other gateway nodes did in others_minute, as controld last heard from
 * Redis (POST /_llm/rates); limits count it on top of this node's window.
 */
typedef struct {
    uint64_t      spend_micros;          /* settled, since the zone began */
    uint64_t      base_micros;           /* spend_micros when the durable
                                            total was published */
    uint64_t      reserved_micros;       /* admitted, not yet settled */
    uint64_t      in_flight;
    uint64_t      minute;
    uint64_t      minute_requests;
    uint64_t      minute_tokens;
    uint64_t      requests;
    uint64_t      prompt_tokens;
    uint64_t      completion_tokens;
    uint64_t      others_minute;
    uint64_t      others_requests;
    uint64_t      others_tokens;
} llm_usage_state_t;


typedef enum {
    LLM_ADMIT_OK = 0,
    LLM_ADMIT_EXPIRED,
    LLM_ADMIT_BLOCKED,
    LLM_ADMIT_MODEL,                     /* model not allowed */
    LLM_ADMIT_BUDGET,
    LLM_ADMIT_RPM,
    LLM_ADMIT_TPM,
    LLM_ADMIT_PARALLEL
} llm_admit_e;


typedef struct {
    llm_admit_e   verdict;
    int           team;                  /* the team's limit refused it */
    int           model;                 /* a per-model limit refused it */
    uint64_t      retry_after_s;
    uint64_t      spend_micros;          /* for the budget message */
    uint64_t      budget_micros;
    uint64_t      limit;                 /* the limit that refused it */
    uint64_t      remaining_requests;    /* for response headers: the */
    uint64_t      remaining_tokens;      /* tightest scope's, and its */
    uint64_t      limit_requests;        /* limit (0: no such limit) */
    uint64_t      limit_tokens;
} llm_admit_t;


llm_keys_t *llm_keys_parse(const char *json, size_t len, char *err,
    size_t errlen);
void llm_keys_free(llm_keys_t *ks);

llm_key_t *llm_keys_find(const llm_keys_t *ks, const unsigned char *token);

/*
 * The key's model_rpm_limit / model_tpm_limit for the requested model name
 * (0: none); 1 if the model has either.
 */
int llm_keys_model_limit(const llm_key_t *k, const char *model,
    size_t model_len, uint64_t *rpm, uint64_t *tpm);

/*
 * Admission: key, team and per-model state as counted in the zone now;
 * `model` is the requested name (matched against the allowed models,
 * patterns allowed); mst counts the key's traffic to this model only (NULL:
 * the model has no limit of its own, or no slot: then the key's totals
 * stand in); reserve is the request's worst-case cost; tokens its input
 * estimate.  Budgets compare durable spend + local spend not yet in it +
 * reservations in flight + this reservation against the budget.  Rate
 * limits compare this node's minute window plus the other nodes' (the
 * others_* window, when it is of the current minute).
 */
void llm_keys_admit(const llm_key_t *k, const llm_usage_state_t *kst,
    const llm_usage_state_t *tst, const llm_usage_state_t *mst,
    const char *model, size_t model_len, int64_t now,
    uint64_t reserve_micros, uint64_t tokens, llm_admit_t *res);

/* Worst-case or actual cost: prices are micro-dollars per million tokens. */
uint64_t llm_cost_micros(uint64_t prompt_tokens, uint64_t completion_tokens,
    uint64_t input_price, uint64_t output_price);

/*
 * The cost of reported usage: cached prompt tokens at their own prices
 * (prompt_tokens includes them), the rest at the input price.
 */
uint64_t llm_cost_usage(const llm_usage_t *u, const llm_router_price_t *p);

/* The cost of a request's duration for deployments priced per second. */
uint64_t llm_cost_duration(const llm_router_price_t *p, uint64_t ms);

/* The minute window seen at `now`: counters of an older minute are 0. */
void llm_usage_roll(llm_usage_state_t *st, uint64_t minute);

/* Requests and tokens of `minute`: this node's plus the other nodes'. */
void llm_usage_window(const llm_usage_state_t *st, uint64_t minute,
    uint64_t *requests, uint64_t *tokens);

#endif /* LLM_KEYS_H */
