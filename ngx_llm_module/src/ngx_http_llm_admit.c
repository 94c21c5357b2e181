
/*
 * Admission and settling of a request against its virtual key, team and
 * per-model limits: the budget with a reservation of the worst-case cost,
 * requests/tokens per minute and parallel requests on admission; the real
 * cost, from the usage the answer carried, on settling.  The slots are
 * ngx_http_llm_keys.c's.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_ctx.h"


/* The group's highest prices: the reservation must cover any deployment. */

static void
ngx_http_llm_group_prices(ngx_http_llm_ctx_t *ctx, uint64_t *in,
    uint64_t *out)
{
    size_t               i;
    llm_router_conf_t   *rc;
    llm_router_price_t  *p;

    rc = ctx->tables->router;
    *in = 0;
    *out = 0;

    for (i = 0; i < ctx->group->ndeployments; i++) {
        if (ctx->group->deployments[i]->index >= rc->nprices) {
            continue;
        }

        p = &rc->prices[ctx->group->deployments[i]->index];
        *in = ngx_max(*in, p->input);
        *out = ngx_max(*out, p->output);
    }
}


/* An admitted request in one scope's counters; the slot is locked. */

static void
ngx_http_llm_admit_slot(ngx_http_llm_key_slot_t *slot, uint64_t reserved)
{
    slot->st.reserved_micros += reserved;
    slot->st.in_flight++;
    slot->st.minute_requests++;
    slot->st.requests++;
}


/*
 * x-ratelimit-{limit,remaining}-{requests,tokens} for a key with rpm/tpm
 * limits, as LiteLLM sends them: the tightest of the key's, its model's
 * and its team's windows, on answers and on the 429 that refuses one.
 */

ngx_int_t
ngx_http_llm_rate_headers(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char       *p;
    ngx_str_t     v;
    ngx_uint_t    i;
    llm_admit_t  *a;

    static const char  *names[] = {
        "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
        "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens"
    };

    uint64_t  values[4];

    if (ctx->key == NULL) {
        return NGX_OK;
    }

    a = &ctx->admit;

    values[0] = a->limit_requests;
    values[1] = a->remaining_requests;
    values[2] = a->limit_tokens;
    values[3] = a->remaining_tokens;

    p = ngx_pnalloc(r->pool, 4 * NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < 4; i += 2) {
        if (values[i] == 0) {
            continue;                       /* no such limit */
        }

        p += 2 * NGX_INT64_LEN;

        v.data = ngx_http_llm_digits(p - NGX_INT64_LEN, values[i]);
        v.len = p - NGX_INT64_LEN - v.data;

        if (ngx_http_llm_push(&r->headers_out.headers, names[i], &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        v.data = ngx_http_llm_digits(p, values[i + 1]);
        v.len = p - v.data;

        if (ngx_http_llm_push(&r->headers_out.headers, names[i + 1], &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Admission for a virtual key, atomic per key: check and reserve under the
 * key's (then the team's) slot lock, so parallel requests cannot all pass
 * on the same remaining budget.  NGX_OK, or an HTTP status with ctx->admit
 * saying why.
 */

ngx_int_t
ngx_http_llm_admit(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    uint64_t                   in, out, max_out, tokens, minute, mrpm, mtpm;
    int64_t                    now;
    llm_usage_state_t          team, model;
    ngx_http_llm_zone_t       *zone;
    ngx_http_llm_key_slot_t   *ks, *ts, *ms;
    ngx_http_llm_main_conf_t  *lmcf;

    if (ctx->key == NULL) {
        return NGX_OK;
    }

    /* a model with a limit of its own is counted in its own window */
    if (ctx->model_slot == NULL
        && llm_keys_model_limit(ctx->key, (char *) ctx->model.data,
                                ctx->model.len, &mrpm, &mtpm))
    {
        lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);
        zone = lmcf->shm_zone->data;
        ctx->model_slot = ngx_http_llm_model_slot(zone, ctx->key,
                                                  (char *) ctx->model.data,
                                                  ctx->model.len);
    }

    ks = ctx->key_slot;
    ts = ctx->team_slot;
    ms = ctx->model_slot;

    tokens = ctx->body.len / 4;
    max_out = ctx->max_tokens ? ctx->max_tokens : 4096;

    ngx_http_llm_group_prices(ctx, &in, &out);

    ctx->reserved = llm_cost_micros(tokens, max_out, in, out);

    now = (int64_t) ngx_time();
    minute = (uint64_t) now / 60;

    if (ks == NULL) {
        /* the zone's key table is full: refuse rather than not count */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llm: no zone slot for key %*s...",
                      (size_t) 8, ctx->key->token_hex);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* always in this order: key, team, model */
    ngx_spinlock(&ks->lock, ngx_pid, 1024);

    if (ts) {
        ngx_spinlock(&ts->lock, ngx_pid, 1024);
    }

    if (ms) {
        ngx_spinlock(&ms->lock, ngx_pid, 1024);
    }

    llm_usage_roll(&ks->st, minute);

    if (ts) {
        llm_usage_roll(&ts->st, minute);
        team = ts->st;
    }

    if (ms) {
        llm_usage_roll(&ms->st, minute);
        model = ms->st;
    }

    llm_keys_admit(ctx->key, &ks->st, ts ? &team : NULL, ms ? &model : NULL,
                   (char *) ctx->model.data, ctx->model.len, now,
                   ctx->reserved, tokens, &ctx->admit);

    if (ctx->admit.verdict == LLM_ADMIT_OK) {
        ngx_http_llm_admit_slot(ks, ctx->reserved);

        if (ts) {
            ngx_http_llm_admit_slot(ts, ctx->reserved);
        }

        if (ms) {
            ngx_http_llm_admit_slot(ms, ctx->reserved);
        }

        ctx->admitted = 1;
    }

    if (ms) {
        ngx_unlock(&ms->lock);
    }

    if (ts) {
        ngx_unlock(&ts->lock);
    }

    ngx_unlock(&ks->lock);

    switch (ctx->admit.verdict) {
    case LLM_ADMIT_OK:
        return NGX_OK;
    case LLM_ADMIT_BUDGET:
        return NGX_HTTP_BAD_REQUEST;
    case LLM_ADMIT_RPM:
    case LLM_ADMIT_TPM:
    case LLM_ADMIT_PARALLEL:
        return NGX_HTTP_TOO_MANY_REQUESTS;
    case LLM_ADMIT_MODEL:
    default:
        return NGX_HTTP_UNAUTHORIZED;
    }
}


static void
ngx_http_llm_settle_slot(ngx_http_llm_key_slot_t *slot, uint64_t reserved,
    uint64_t cost, llm_usage_t *u)
{
    uint64_t  tokens;

    tokens = (uint64_t) (u->prompt_tokens + u->completion_tokens);

    ngx_spinlock(&slot->lock, ngx_pid, 1024);

    llm_usage_roll(&slot->st, (uint64_t) ngx_time() / 60);

    slot->st.reserved_micros -= ngx_min(reserved, slot->st.reserved_micros);
    slot->st.in_flight -= (slot->st.in_flight > 0);
    slot->st.spend_micros += cost;
    slot->st.minute_tokens += tokens;
    slot->st.prompt_tokens += (uint64_t) u->prompt_tokens;
    slot->st.completion_tokens += (uint64_t) u->completion_tokens;

    ngx_unlock(&slot->lock);
}


/*
 * The usage to account: what the provider reported, else an estimate
 * (prompt and answer bytes / 4), marked as such.  Idempotent, so the
 * headers, the variables and the log phase agree whichever asks first.
 */

void
ngx_http_llm_usage_final(ngx_http_llm_ctx_t *ctx)
{
    if (ctx->usage.present || ctx->usage_estimated
        || ctx->resp_status != NGX_HTTP_OK)
    {
        return;
    }

    ctx->usage.prompt_tokens = (long long) ctx->body.len / 4;
    ctx->usage.completion_tokens = (long long) ctx->resp_bytes / 4;
    ctx->usage.total_tokens = ctx->usage.prompt_tokens
                              + ctx->usage.completion_tokens;
    ctx->usage_estimated = 1;
}


/* The cost of the final usage on the serving deployment, micro-dollars. */

uint64_t
ngx_http_llm_cost(ngx_http_llm_ctx_t *ctx)
{
    uint64_t             cost;
    llm_router_conf_t   *rc;
    llm_router_price_t  *p;

    if (ctx->endpoint == LLM_ROUTE_PASS
        || ctx->endpoint == LLM_ROUTE_RESPONSE_ID)
    {
        /* a pass-through route, a stored response read back: not priced */
        return 0;
    }

    ngx_http_llm_usage_final(ctx);

    rc = ctx->tables ? ctx->tables->router : NULL;

    if (ctx->dep == NULL || rc == NULL || ctx->dep->dep->index >= rc->nprices)
    {
        return 0;
    }

    p = &rc->prices[ctx->dep->dep->index];

    cost = llm_cost_usage(&ctx->usage, p);

    if (p->input_per_second || p->output_per_second) {
        /* the serving attempt's duration, as LiteLLM's response time */
        cost += llm_cost_duration(p, ngx_current_msec - ctx->attempt_start);
    }

    return cost;
}


/*
 * Log phase: the real cost from the deployment that served and the usage
 * it reported replaces the reservation; deployments count spend too.
 */

void
ngx_http_llm_settle(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_http_llm_slot_t  *ds;

    if (ctx->dep == NULL && !ctx->admitted) {
        return;
    }

    ctx->cost = ngx_http_llm_cost(ctx);

    if (ctx->admitted) {
        ngx_http_llm_settle_slot(ctx->key_slot, ctx->reserved, ctx->cost,
                                 &ctx->usage);

        if (ctx->team_slot) {
            ngx_http_llm_settle_slot(ctx->team_slot, ctx->reserved,
                                     ctx->cost, &ctx->usage);
        }

        if (ctx->model_slot) {
            ngx_http_llm_settle_slot(ctx->model_slot, ctx->reserved,
                                     ctx->cost, &ctx->usage);
        }

        ctx->admitted = 0;
    }

    ds = ctx->dep ? ctx->dep->slot : NULL;

    if (ds != NULL) {
        ngx_spinlock(&ds->lock, ngx_pid, 1024);
        ds->usage.requests++;
        ds->usage.spend_micros += ctx->cost;
        ds->usage.prompt_tokens += (uint64_t) ctx->usage.prompt_tokens;
        ds->usage.completion_tokens += (uint64_t) ctx->usage.completion_tokens;
        ngx_unlock(&ds->lock);
    }
}

