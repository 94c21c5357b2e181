
/*
 * Router state in the shared zone: one slot per deployment id, updated by
 * every worker, read by the router on each pick.  Updates run the core's
 * pure functions (llm_router_state.c) on the slot under its spinlock.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_ctx.h"
#include "ngx_http_llm_metrics.h"


uint64_t
ngx_http_llm_now_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/*
 * Finds or claims the slot of a deployment id (open addressing).  Called
 * when a worker builds its tables, not per request.
 */

ngx_http_llm_slot_t *
ngx_http_llm_slot(ngx_http_llm_zone_t *zone, const char *id)
{
    size_t                i, len;
    uint32_t              hash;
    ngx_http_llm_slot_t  *slot, *found;

    len = ngx_min(ngx_strlen(id), sizeof(slot->id));
    hash = ngx_crc32_short((u_char *) id, len);
    found = NULL;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_LLM_SLOTS; i++) {
        slot = &zone->sh->slots[(hash + i) % NGX_HTTP_LLM_SLOTS];

        if (!slot->used) {
            slot->used = 1;
            slot->hash = hash;
            slot->id_len = len;
            ngx_memcpy(slot->id, id, len);
            found = slot;
            break;
        }

        if (slot->hash == hash && slot->id_len == len
            && ngx_memcmp(slot->id, id, len) == 0)
        {
            found = slot;
            break;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return found;
}


void
ngx_http_llm_state_read(ngx_http_llm_slot_t *slot, llm_dep_state_t *st)
{
    if (slot == NULL) {
        ngx_memzero(st, sizeof(llm_dep_state_t));
        return;
    }

    ngx_spinlock(&slot->lock, ngx_pid, 1024);
    *st = slot->st;
    ngx_unlock(&slot->lock);
}


void
ngx_http_llm_state_start(ngx_http_llm_slot_t *slot)
{
    uint64_t  now;

    if (slot == NULL) {
        return;
    }

    now = ngx_http_llm_now_ms();

    ngx_spinlock(&slot->lock, ngx_pid, 1024);
    llm_router_on_start(&slot->st, now);
    ngx_unlock(&slot->lock);
}


/* A failed attempt: it ends, and may cool the deployment down. */

void
ngx_http_llm_state_fail(ngx_http_llm_slot_t *slot, llm_err_class_t cls,
    size_t group_size, llm_router_conf_t *rc, llm_deployment_t *d)
{
    uint64_t  now, cooldown, before;

    if (slot == NULL) {
        return;
    }

    now = ngx_http_llm_now_ms();

    /* a deployment's own cooldown_time overrides the router's */
    cooldown = (d != NULL && d->cooldown_time_ms >= 0)
               ? (uint64_t) d->cooldown_time_ms : rc->cooldown_ms;

    ngx_spinlock(&slot->lock, ngx_pid, 1024);
    before = slot->st.cooldown_until_ms;
    llm_router_on_failure(cls, group_size, rc->allowed_fails, cooldown,
                          now, &slot->st);
    llm_router_on_end(&slot->st);
    cooldown = slot->st.cooldown_until_ms;
    ngx_unlock(&slot->lock);

    /* a cooldown begins when its end moves past a time already over */
    ngx_http_llm_metrics_failure(slot, cls, cooldown > now && before <= now);
}


void
ngx_http_llm_state_succeed(ngx_http_llm_slot_t *slot, uint64_t latency_us,
    uint64_t ttft_us, uint64_t tokens)
{
    uint64_t  now;

    if (slot == NULL) {
        return;
    }

    now = ngx_http_llm_now_ms();

    ngx_spinlock(&slot->lock, ngx_pid, 1024);
    llm_router_on_success(&slot->st, now, latency_us, ttft_us, tokens);
    llm_router_on_end(&slot->st);
    ngx_unlock(&slot->lock);
}


/*
 * Log phase: the last attempt's outcome feeds the router (latency, tokens,
 * failures the client saw), and the request leaves the in-flight count.
 */

ngx_int_t
ngx_http_llm_log_handler(ngx_http_request_t *r)
{
    uint64_t             latency, ttft;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_llm_get_ctx(r);

    if (ctx == NULL) {
        return NGX_OK;
    }

    if (ctx->tables) {
        ngx_http_llm_settle(r, ctx);
    }

    ngx_http_llm_metrics_request(r, ctx);

    if (ctx->in_flight == NULL) {
        return NGX_OK;
    }

    if (ctx->resp_status == NGX_HTTP_OK && !ctx->failed_mid_stream) {
        latency = (uint64_t) (ngx_current_msec - ctx->attempt_start) * 1000;
        ttft = (ctx->stream && ctx->first_byte)
               ? (uint64_t) (ctx->first_byte - ctx->attempt_start) * 1000 + 1
               : 0;

        ngx_http_llm_state_succeed(ctx->in_flight, latency, ttft,
                                   (uint64_t) (ctx->usage.prompt_tokens
                                               + ctx->usage.completion_tokens));

    } else if (ctx->resp_status == 0 && !ctx->failed_mid_stream) {
        /* the client left first (e.g. during a backoff): no verdict */
        ngx_spinlock(&ctx->in_flight->lock, ngx_pid, 1024);
        llm_router_on_end(&ctx->in_flight->st);
        ngx_unlock(&ctx->in_flight->lock);

    } else {
        ngx_http_llm_state_refused(ctx);
    }

    ctx->in_flight = NULL;

    return NGX_OK;
}


/*
 * The attempt in flight failed: mid-stream, or with the status the client
 * is sent.  The header filter calls it for an error proxy passes on (401,
 * 403, 404: no error_page), before the client can see it and ask again,
 * perhaps of another worker, of a deployment not yet cooled.
 */

void
ngx_http_llm_state_refused(ngx_http_llm_ctx_t *ctx)
{
    llm_err_class_t  cls;

    if (ctx->in_flight == NULL) {
        return;
    }

    cls = ctx->failed_mid_stream
          ? LLM_ERR_SERVER
          : llm_router_classify((int) (ctx->resp_status
                                       ? ctx->resp_status
                                       : NGX_HTTP_BAD_GATEWAY),
                                NULL, 0);

    ngx_http_llm_state_fail(ctx->in_flight, cls,
                            ctx->group ? ctx->group->ndeployments : 1,
                            ctx->tables->router,
                            ctx->dep ? ctx->dep->dep : NULL);

    ctx->in_flight = NULL;
}
