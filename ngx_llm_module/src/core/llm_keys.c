/*
 * The published key table and admission.  Keys are kept sorted by token so
 * a lookup is a binary search over fixed 32-byte digests.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_keys.h"
#include "llm_config.h"


static int
llm_keys_hex(const char *hex, unsigned char *out)
{
    size_t    i;
    unsigned  hi, lo;

    if (hex == NULL || strlen(hex) != 64) {
        return -1;
    }

    for (i = 0; i < 32; i++) {
        if (sscanf(hex + 2 * i, "%1x%1x", &hi, &lo) != 2) {
            return -1;
        }
        out[i] = (unsigned char) (hi << 4 | lo);
    }

    return 0;
}


static uint64_t
llm_keys_u64(json_t *o, const char *name, uint64_t dflt)
{
    json_t  *v;

    v = json_object_get(o, name);

    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        return (uint64_t) json_integer_value(v);
    }

    if (json_is_real(v) && json_real_value(v) >= 0) {
        return (uint64_t) json_real_value(v);
    }

    return dflt;
}


static int
llm_keys_models(json_t *o, const char ***out, size_t *n)
{
    size_t   i;
    json_t  *arr;

    arr = json_object_get(o, "models");
    *out = NULL;
    *n = 0;

    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        return 0;
    }

    *out = calloc(json_array_size(arr), sizeof(char *));
    if (*out == NULL) {
        return -1;
    }

    for (i = 0; i < json_array_size(arr); i++) {
        if (json_is_string(json_array_get(arr, i))) {
            (*out)[(*n)++] = json_string_value(json_array_get(arr, i));
        }
    }

    return 0;
}


static void
llm_keys_base(json_t *o, uint64_t *base, int *has)
{
    *has = json_is_integer(json_object_get(o, "local_base_micros"));
    *base = llm_keys_u64(o, "local_base_micros", 0);
}


static void
llm_keys_limits(json_t *o, uint64_t *budget, uint64_t *spend,
    int64_t *reset_at, uint64_t *tpm, uint64_t *rpm, uint64_t *parallel,
    int *blocked)
{
    *budget = llm_keys_u64(o, "max_budget_micros", LLM_UNLIMITED);
    *spend = llm_keys_u64(o, "spend_micros", 0);
    *reset_at = (int64_t) llm_keys_u64(o, "budget_reset_at", 0);
    *tpm = llm_keys_u64(o, "tpm_limit", 0);
    *rpm = llm_keys_u64(o, "rpm_limit", 0);
    *parallel = llm_keys_u64(o, "max_parallel_requests", 0);
    *blocked = json_is_true(json_object_get(o, "blocked"));
}


static int
llm_keys_model_limits(llm_key_t *k, json_t *o)
{
    size_t       n;
    json_t      *rpm, *tpm, *v;
    const char  *name;

    rpm = json_object_get(o, "model_rpm_limit");
    tpm = json_object_get(o, "model_tpm_limit");

    n = (json_is_object(rpm) ? json_object_size(rpm) : 0)
        + (json_is_object(tpm) ? json_object_size(tpm) : 0);

    if (n == 0) {
        return 0;
    }

    k->model_limits = calloc(n, sizeof(llm_model_limit_t));
    if (k->model_limits == NULL) {
        return -1;
    }

    if (json_is_object(rpm)) {
        json_object_foreach(rpm, name, v) {
            k->model_limits[k->nmodel_limits].model = name;
            k->model_limits[k->nmodel_limits++].rpm =
                json_is_integer(v) ? (uint64_t) json_integer_value(v) : 0;
        }
    }

    if (json_is_object(tpm)) {
        json_object_foreach(tpm, name, v) {
            k->model_limits[k->nmodel_limits].model = name;
            k->model_limits[k->nmodel_limits++].tpm =
                json_is_integer(v) ? (uint64_t) json_integer_value(v) : 0;
        }
    }

    return 0;
}


static int
llm_keys_cmp(const void *a, const void *b)
{
    return memcmp(((const llm_key_t *) a)->token,
                  ((const llm_key_t *) b)->token, 32);
}


llm_keys_t *
llm_keys_parse(const char *json, size_t len, char *err, size_t errlen)
{
    size_t         i, j;
    json_t        *keys, *teams, *o;
    const char    *team_id;
    llm_key_t     *k;
    llm_team_t    *t;
    llm_keys_t    *ks;
    json_error_t   jerr;

    ks = calloc(1, sizeof(llm_keys_t));
    if (ks == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    ks->root = json_loadb(json, len, 0, &jerr);

    if (ks->root == NULL || !json_is_object(ks->root)) {
        snprintf(err, errlen, "keys: invalid JSON: %s",
                 ks->root ? "not an object" : jerr.text);
        goto failed;
    }

    ks->epoch = json_string_value(json_object_get(ks->root, "epoch"));
    teams = json_object_get(ks->root, "teams");
    keys = json_object_get(ks->root, "keys");

    if ((teams && !json_is_array(teams)) || !json_is_array(keys)) {
        snprintf(err, errlen, "keys: \"keys\" (and \"teams\") must be "
                 "arrays");
        goto failed;
    }

    ks->nteams = teams ? json_array_size(teams) : 0;
    ks->teams = calloc(ks->nteams + 1, sizeof(llm_team_t));
    ks->keys = calloc(json_array_size(keys) + 1, sizeof(llm_key_t));

    if (ks->teams == NULL || ks->keys == NULL) {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    for (i = 0; i < ks->nteams; i++) {
        o = json_array_get(teams, i);
        t = &ks->teams[i];
        t->id = json_string_value(json_object_get(o, "team_id"));

        if (t->id == NULL) {
            snprintf(err, errlen, "teams[%zu]: team_id is required", i);
            goto failed;
        }

        llm_keys_limits(o, &t->max_budget_micros, &t->spend_micros,
                        &t->budget_reset_at, &t->tpm_limit, &t->rpm_limit,
                        &t->max_parallel, &t->blocked);
        llm_keys_base(o, &t->local_base_micros, &t->has_base);

        if (llm_keys_models(o, &t->models, &t->nmodels) != 0) {
            snprintf(err, errlen, "out of memory");
            goto failed;
        }
    }

    for (i = 0; i < json_array_size(keys); i++) {
        o = json_array_get(keys, i);
        k = &ks->keys[ks->nkeys];

        k->token_hex = json_string_value(json_object_get(o, "token"));

        if (llm_keys_hex(k->token_hex, k->token) != 0) {
            snprintf(err, errlen, "keys[%zu].token: expected 64 hex digits",
                     i);
            goto failed;
        }

        ks->nkeys++;

        k->alias = json_string_value(json_object_get(o, "alias"));
        k->expires = (int64_t) llm_keys_u64(o, "expires", 0);

        llm_keys_limits(o, &k->max_budget_micros, &k->spend_micros,
                        &k->budget_reset_at, &k->tpm_limit, &k->rpm_limit,
                        &k->max_parallel, &k->blocked);
        llm_keys_base(o, &k->local_base_micros, &k->has_base);

        if (llm_keys_models(o, &k->models, &k->nmodels) != 0
            || llm_keys_model_limits(k, o) != 0)
        {
            snprintf(err, errlen, "out of memory");
            goto failed;
        }

        team_id = json_string_value(json_object_get(o, "team_id"));

        for (j = 0; team_id && j < ks->nteams; j++) {
            if (strcmp(ks->teams[j].id, team_id) == 0) {
                k->team = &ks->teams[j];
                break;
            }
        }
    }

    qsort(ks->keys, ks->nkeys, sizeof(llm_key_t), llm_keys_cmp);

    return ks;

failed:

    llm_keys_free(ks);

    return NULL;
}


void
llm_keys_free(llm_keys_t *ks)
{
    size_t  i;

    if (ks == NULL) {
        return;
    }

    for (i = 0; ks->keys && i < ks->nkeys; i++) {
        free(ks->keys[i].models);
        free(ks->keys[i].model_limits);
    }

    for (i = 0; ks->teams && i < ks->nteams; i++) {
        free(ks->teams[i].models);
    }

    free(ks->keys);
    free(ks->teams);
    json_decref(ks->root);
    free(ks);
}


llm_key_t *
llm_keys_find(const llm_keys_t *ks, const unsigned char *token)
{
    llm_key_t  probe;

    if (ks == NULL || ks->nkeys == 0) {
        return NULL;
    }

    memcpy(probe.token, token, 32);

    return bsearch(&probe, ks->keys, ks->nkeys, sizeof(llm_key_t),
                   llm_keys_cmp);
}


uint64_t
llm_cost_micros(uint64_t prompt_tokens, uint64_t completion_tokens,
    uint64_t input_price, uint64_t output_price)
{
    /* prices are micro-dollars per million tokens; round up */
    return (prompt_tokens * input_price + completion_tokens * output_price
            + 999999) / 1000000;
}


uint64_t
llm_cost_usage(const llm_usage_t *u, const llm_router_price_t *p)
{
    uint64_t  prompt, cached, created;

    prompt = u->prompt_tokens > 0 ? (uint64_t) u->prompt_tokens : 0;
    cached = u->cache_read_tokens > 0 ? (uint64_t) u->cache_read_tokens : 0;
    created = u->cache_creation_tokens > 0
              ? (uint64_t) u->cache_creation_tokens : 0;

    if (cached + created > prompt) {
        cached = 0;
        created = 0;
    }

    return ((prompt - cached - created) * p->input + cached * p->cache_read
            + created * p->cache_write
            + (u->completion_tokens > 0 ? (uint64_t) u->completion_tokens : 0)
              * p->output
            + 999999) / 1000000;
}


uint64_t
llm_cost_duration(const llm_router_price_t *p, uint64_t ms)
{
    /* USD per second x 10^12 times seconds x 10^3 = micro-dollars x 10^9 */
    return ((p->input_per_second + p->output_per_second) * ms + 999999999)
           / 1000000000;
}


void
llm_usage_roll(llm_usage_state_t *st, uint64_t minute)
{
    if (st->minute != minute) {
        st->minute = minute;
        st->minute_requests = 0;
        st->minute_tokens = 0;
    }
}


void
llm_usage_window(const llm_usage_state_t *st, uint64_t minute,
    uint64_t *requests, uint64_t *tokens)
{
    *requests = st->minute == minute ? st->minute_requests : 0;
    *tokens = st->minute == minute ? st->minute_tokens : 0;

    /* the other nodes' counts are only good for the minute they are of */
    if (st->others_minute == minute) {
        *requests += st->others_requests;
        *tokens += st->others_tokens;
    }
}


static int
llm_keys_model_allowed(const char **models, size_t n, const char *model,
    size_t len)
{
    size_t  i;

    if (n == 0) {
        return 1;
    }

    for (i = 0; i < n; i++) {
        if (strcmp(models[i], "all-proxy-models") == 0
            || llm_pattern_match(models[i], model, len))
        {
            return 1;
        }
    }

    return 0;
}


int
llm_keys_model_limit(const llm_key_t *k, const char *model, size_t model_len,
    uint64_t *rpm, uint64_t *tpm)
{
    size_t  i;

    *rpm = 0;
    *tpm = 0;

    /* an rpm and a tpm limit for one model are two entries */
    for (i = 0; i < k->nmodel_limits; i++) {
        if (strlen(k->model_limits[i].model) == model_len
            && memcmp(k->model_limits[i].model, model, model_len) == 0)
        {
            if (k->model_limits[i].rpm) {
                *rpm = k->model_limits[i].rpm;
            }

            if (k->model_limits[i].tpm) {
                *tpm = k->model_limits[i].tpm;
            }
        }
    }

    return *rpm != 0 || *tpm != 0;
}


/*
 * One scope's limits (the key's, its team's, or the key's for one model).
 * Budget: durable spend, plus what this node spent since that total was
 * published, plus what is reserved by requests in flight, plus this
 * request's reservation.  Rates: the minute window of every node.
 */

static llm_admit_e
llm_keys_check(uint64_t budget, uint64_t durable, uint64_t rpm,
    uint64_t tpm, uint64_t parallel, const llm_usage_state_t *st,
    uint64_t minute, uint64_t reserve, uint64_t tokens, llm_admit_t *res)
{
    uint64_t  spent, used_req, used_tok;

    spent = durable + (st->spend_micros - st->base_micros)
            + st->reserved_micros;

    if (budget != LLM_UNLIMITED && spent + reserve > budget) {
        res->spend_micros = spent;
        res->budget_micros = budget;
        return LLM_ADMIT_BUDGET;
    }

    llm_usage_window(st, minute, &used_req, &used_tok);

    if (rpm) {
        if (used_req + 1 > rpm) {
            res->limit = rpm;
            res->limit_requests = rpm;
            res->remaining_requests = 0;
            return LLM_ADMIT_RPM;
        }

        /* the headers show the tightest of the scopes */
        if (rpm - used_req - 1 < res->remaining_requests) {
            res->remaining_requests = rpm - used_req - 1;
            res->limit_requests = rpm;
        }
    }

    if (tpm) {
        if (used_tok + tokens > tpm) {
            res->limit = tpm;
            res->limit_tokens = tpm;
            res->remaining_tokens = 0;
            return LLM_ADMIT_TPM;
        }

        if (tpm - used_tok - tokens < res->remaining_tokens) {
            res->remaining_tokens = tpm - used_tok - tokens;
            res->limit_tokens = tpm;
        }
    }

    if (parallel && st->in_flight + 1 > parallel) {
        res->limit = parallel;
        return LLM_ADMIT_PARALLEL;
    }

    return LLM_ADMIT_OK;
}


void
llm_keys_admit(const llm_key_t *k, const llm_usage_state_t *kst,
    const llm_usage_state_t *tst, const llm_usage_state_t *mst,
    const char *model, size_t model_len, int64_t now,
    uint64_t reserve_micros, uint64_t tokens, llm_admit_t *res)
{
    uint64_t     minute, mrpm, mtpm;
    llm_admit_e  v;

    memset(res, 0, sizeof(*res));
    res->remaining_requests = LLM_UNLIMITED;
    res->remaining_tokens = LLM_UNLIMITED;

    minute = (uint64_t) now / 60;
    res->retry_after_s = 60 - (uint64_t) now % 60;

    if (k->blocked || (k->team && k->team->blocked)) {
        res->verdict = LLM_ADMIT_BLOCKED;
        res->team = !k->blocked;
        return;
    }

    if (k->expires && now >= k->expires) {
        res->verdict = LLM_ADMIT_EXPIRED;
        return;
    }

    if (!llm_keys_model_allowed(k->models, k->nmodels, model, model_len)
        || (k->team && !llm_keys_model_allowed(k->team->models,
                                               k->team->nmodels, model,
                                               model_len)))
    {
        res->verdict = LLM_ADMIT_MODEL;
        return;
    }

    /* the key's own limits count all its traffic */
    v = llm_keys_check(k->max_budget_micros, k->spend_micros, k->rpm_limit,
                       k->tpm_limit, k->max_parallel, kst, minute,
                       reserve_micros, tokens, res);

    /* a per-model limit counts the key's traffic to that model only */
    if (v == LLM_ADMIT_OK
        && llm_keys_model_limit(k, model, model_len, &mrpm, &mtpm))
    {
        v = llm_keys_check(LLM_UNLIMITED, 0, mrpm, mtpm, 0,
                           mst ? mst : kst, minute, 0, tokens, res);
        res->model = (v != LLM_ADMIT_OK);
    }

    if (v == LLM_ADMIT_OK && k->team && tst != NULL) {
        v = llm_keys_check(k->team->max_budget_micros, k->team->spend_micros,
                           k->team->rpm_limit, k->team->tpm_limit,
                           k->team->max_parallel, tst, minute,
                           reserve_micros, tokens, res);
        res->team = (v != LLM_ADMIT_OK);
    }

    res->verdict = v;
}
