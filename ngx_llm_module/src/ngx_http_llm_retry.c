
/*
 * When an attempt fails before the client saw a byte: classify the
 * provider's error, then retry another deployment, fall back to another
 * group, back off, or answer the client with the error.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"


static llm_group_t *ngx_http_llm_next_fallback(ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_backoff(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, uint64_t ms);
static void ngx_http_llm_backoff_done(ngx_http_request_t *r);


/*
 * A provider's 4xx for the caller: its body when it arrived whole (in the
 * caller's format), else a message of ours with the same status.
 */

static ngx_int_t
ngx_http_llm_provider_error(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t status, ngx_str_t *body)
{
    u_char     *p;
    ngx_int_t   rc;
    llm_buf_t   out = LLM_BUF_INIT;

    if (body == NULL || body->len == 0) {
        return ngx_http_llm_send_error(r, ctx, status,
                                       "invalid_request_error",
                                       "the provider refused the request");
    }

    ctx->self_response = 1;

    if (ctx->api == ctx->dep->dep->api || ctx->resp_pass) {
        ctx->answer_rc = ngx_http_llm_send_body(r, status, "application/json",
                                                body->data, body->len);
        return NGX_HTTP_LLM_ANSWERED;
    }

    llm_xlate_error(ctx->dep->dep->api, ctx->api, (int) status,
                    (char *) body->data, body->len, &out);

    p = out.len ? ngx_pnalloc(r->pool, out.len) : NULL;

    if (p == NULL) {
        llm_buf_free(&out);
        return ngx_http_llm_send_error(r, ctx, status, NULL,
                                       "the provider refused the request");
    }

    ngx_memcpy(p, out.data, out.len);
    rc = ngx_http_llm_send_body(r, status, "application/json", p, out.len);
    llm_buf_free(&out);

    ctx->answer_rc = rc;

    return NGX_HTTP_LLM_ANSWERED;
}


/* The provider's Retry-After in seconds, or -1. */

static long
ngx_http_llm_retry_after(ngx_http_request_t *r)
{
    ngx_int_t         n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (r->upstream == NULL) {
        return -1;
    }

    part = &r->upstream->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return -1;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Retry-After") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                               h[i].key.len) == 0)
        {
            n = ngx_atoi(h[i].value.data, h[i].value.len);
            return n == NGX_ERROR ? -1 : (long) n;
        }
    }
}


/* The fallback groups for the first failure's class, once per request. */

static void
ngx_http_llm_find_fallbacks(ngx_http_llm_ctx_t *ctx, llm_err_class_t cls)
{
    if (ctx->fallbacks_known) {
        return;
    }

    ctx->nfallbacks = llm_router_fallbacks(ctx->tables->router,
                                           (char *) ctx->model.data,
                                           ctx->model.len, ctx->group->name,
                                           cls, ctx->fallbacks, 8);
    ctx->fallbacks_known = 1;
}


/*
 * Moves to the next fallback group that can serve: NGX_DONE when none is
 * left, else as ngx_http_llm_next_attempt().
 */

ngx_int_t
ngx_http_llm_try_fallbacks(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    llm_err_class_t cls)
{
    ngx_int_t     rc;
    llm_group_t  *g;

    ngx_http_llm_find_fallbacks(ctx, cls);

    rc = NGX_DONE;

    while (rc == NGX_DONE && (g = ngx_http_llm_next_fallback(ctx))) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "llm: falling back from \"%s\" to \"%s\"",
                      ctx->group->name, g->name);

        ctx->group = g;
        ctx->attempts_in_group = 0;
        ctx->fallbacks_used++;
        ngx_memzero(ctx->tried, ctx->tables->cf->ndeployments + 1);

        rc = ngx_http_llm_next_attempt(r, ctx, 0);
    }

    return rc;
}


/* The next fallback group that exists, or NULL. */

static llm_group_t *
ngx_http_llm_next_fallback(ngx_http_llm_ctx_t *ctx)
{
    llm_group_t  *g;
    const char   *name;

    while (ctx->next_fallback < ctx->nfallbacks) {
        name = ctx->fallbacks[ctx->next_fallback++];
        g = llm_config_find_group(ctx->tables->cf, name, ngx_strlen(name));

        if (g != NULL && g != ctx->group) {
            return g;
        }
    }

    return NULL;
}


/*
 * An attempt failed before the client saw a byte: error_page sent us to
 * @llm_retry with r->err_status set to the failure.  The router decides:
 * another deployment of the group (after a backoff when it is the same
 * one), a fallback group, or the error for the client.
 */

ngx_int_t
ngx_http_llm_retry(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    long                 retry_after;
    size_t               i, n, healthy;
    uint64_t             backoff;
    ngx_int_t            rc;
    ngx_str_t            body;
    ngx_uint_t           status, complete, closed;
    const char          *type, *msg;
    llm_group_t         *g;
    llm_err_class_t      cls;
    llm_dep_state_t     *st;
    llm_router_req_t     req;
    llm_retry_action_t   action;
    llm_router_conf_t   *router;
    u_char               text[256];

    status = r->err_status;
    r->err_status = 0;
    closed = 0;

    if (status == NGX_HTTP_BAD_GATEWAY && ctx->error_to_close) {
        /* a close-delimited error body, ended by the close */
        status = r->upstream->headers_in.status_n;
        closed = 1;
    }

    ctx->last_error = status;

    if (status == NGX_HTTP_GATEWAY_TIME_OUT && ctx->provider_408) {
        ctx->last_error = NGX_HTTP_REQUEST_TIME_OUT;
    }

    ctx->proxied = 0;
    router = ctx->tables->router;
    g = ctx->group;

    if (g == NULL) {
        /* a provider-kept response's route: one deployment, no retries */
        complete = ngx_http_llm_upstream_body(r, status, &body) || closed;

        if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR
            && (!complete || body.len == 0))
        {
            return ngx_http_llm_finish(r, ctx,
                       ngx_http_llm_send_error(r, ctx, status, "api_error",
                                               "could not get a response "
                                               "from the provider"));
        }

        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_provider_error(r, ctx, status,
                                               complete ? &body : NULL));
    }

    /*
     * The provider's error body, as far as it arrived with the header (an
     * error is small); nginx's own 502 and 504 have none.
     */
    complete = ngx_http_llm_upstream_body(r, status, &body) || closed;
    cls = llm_router_classify((int) status, (char *) body.data, body.len);
    retry_after = ngx_http_llm_retry_after(r);

    ngx_http_llm_state_fail(ctx->in_flight, cls, g->ndeployments, router,
                            ctx->dep->dep);
    ctx->in_flight = NULL;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llm: deployment \"%s\" of \"%s\" failed: %ui (%s)",
                  ctx->dep->dep->id, g->name, status,
                  llm_err_class_name(cls));

    ngx_http_llm_find_fallbacks(ctx, cls);

    if ((status == NGX_HTTP_BAD_REQUEST
         || status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
        && !((cls == LLM_ERR_CONTEXT_WINDOW || cls == LLM_ERR_CONTENT_POLICY)
             && ctx->next_fallback < ctx->nfallbacks))
    {
        /* the caller's own error: it comes back as the provider said it */
        return ngx_http_llm_finish(r, ctx,
                   ngx_http_llm_provider_error(r, ctx, status,
                                               complete ? &body : NULL));
    }

    n = g->ndeployments;

    st = ngx_palloc(r->pool, n * sizeof(llm_dep_state_t));
    if (st == NULL) {
        return ngx_http_llm_finish(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    for (i = 0; i < n; i++) {
        ngx_http_llm_state_read(ctx->tables->deps[g->deployments[i]->index]
                                .slot, &st[i]);
    }

    ngx_memzero(&req, sizeof(req));
    req.strategy = router->strategy;
    req.now_ms = ngx_http_llm_now_ms();
    req.input_tokens = ctx->body.len / 4;

    healthy = llm_router_healthy(&req, g->deployments, st, n);

    /* each attempt costs an internal redirect; nginx allows ten */
    action = r->uri_changes > 2
             ? llm_router_should_retry(&router->retry, cls,
                                       ctx->attempts_in_group, n, healthy,
                                       ctx->next_fallback < ctx->nfallbacks)
             : LLM_RETRY_GIVE_UP;

    rc = NGX_DONE;

    if (action == LLM_RETRY_SAME_GROUP) {
        backoff = llm_router_backoff_ms(ctx->attempts_in_group - 1,
                                        retry_after, healthy,
                                        (unsigned long) ngx_random(),
                                        router->retry_after_ms);

        rc = ngx_http_llm_next_attempt(r, ctx, 0);

        if (rc == NGX_DONE && ctx->pick.outcome == LLM_ROUTER_ALL_TRIED) {
            /* a small group: the same deployment again, after a backoff */
            rc = ngx_http_llm_next_attempt(r, ctx, 1);

        } else {
            backoff = 0;
        }

        if (rc == NGX_DECLINED && backoff) {
            return ngx_http_llm_backoff(r, ctx, backoff);
        }

        if (rc == NGX_DONE && ctx->next_fallback < ctx->nfallbacks) {
            action = LLM_RETRY_FALLBACK;
        }
    }

    if (action == LLM_RETRY_FALLBACK && rc == NGX_DONE) {
        rc = ngx_http_llm_try_fallbacks(r, ctx, cls);
    }

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    if (rc != NGX_DONE) {
        return ngx_http_llm_finish(r, ctx, rc);
    }

    if (ctx->endpoint == LLM_ROUTE_COUNT_TOKENS
        && ctx->api == LLM_API_RESPONSES)
    {
        /* input_tokens: the provider failed, the estimate answers (and
           x-llm-token-count says so) */
        ctx->count_failed = 1;
        ctx->self_response = 1;
        ctx->answer_rc = ngx_http_llm_send_mock(r, ctx);

        return ngx_http_llm_finish(r, ctx, NGX_HTTP_LLM_ANSWERED);
    }

    switch (status) {

    case NGX_HTTP_TOO_MANY_REQUESTS:
        type = "rate_limit_error";
        msg = "the provider is rate limiting requests";
        break;

    case NGX_HTTP_GATEWAY_TIME_OUT:
    case NGX_HTTP_REQUEST_TIME_OUT:
        status = NGX_HTTP_GATEWAY_TIME_OUT;
        type = "timeout";
        msg = "the provider did not answer in time";
        break;

    case NGX_HTTP_BAD_GATEWAY:
        type = "api_connection_error";
        msg = "could not get a response from the provider";
        break;

    default:
        type = "api_error";
        msg = "the provider failed";
        break;
    }

    ngx_snprintf(text, sizeof(text), "%s (model group \"%s\", %ui "
                 "attempt%s, last HTTP %ui)%Z", msg, ctx->group->name,
                 ctx->attempts, ctx->attempts == 1 ? "" : "s",
                 ctx->last_error);

    return ngx_http_llm_finish(r, ctx,
                               ngx_http_llm_send_error(r, ctx, status, type,
                                                       (char *) text));
}


/*
 * Waits before resending to a deployment that just failed, on a timer of
 * the client connection, as limit_req delays; the phases resume when it
 * fires, and proxy_pass sends the prepared attempt.
 */

static ngx_int_t
ngx_http_llm_backoff(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    uint64_t ms)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "llm: backoff %uLms", ms);

    /* the client's URI while it waits: it may be logged before proxy runs */
    ngx_http_llm_return_uri(r, ctx);

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_llm_backoff_done;
    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, (ngx_msec_t) ms);

    return NGX_AGAIN;
}


static void
ngx_http_llm_backoff_done(ngx_http_request_t *r)
{
    ngx_event_t         *wev;
    ngx_http_llm_ctx_t  *ctx;

    wev = r->connection->write;

    if (wev->delayed) {
        /* woken by something else: keep waiting for the timer */
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ctx = ngx_http_llm_get_ctx(r);

    if (ctx != NULL) {
        ngx_http_llm_lend_uri(r, ctx);
    }

    ngx_http_core_run_phases(r);
}
