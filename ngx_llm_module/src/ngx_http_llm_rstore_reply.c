/*
 * The answers to the stored-response routes (GET /v1/responses/{id},
 * DELETE, /input_items, /cancel) and their errors in OpenAI's format,
 * for the entry ngx_http_llm_rstore.c found in the zone or controld
 * answered (ngx_http_llm_rstore_fetch.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_rstore.h"
#include "llm_rstore.h"


static ngx_int_t ngx_http_llm_rstore_answer(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_str_t *entry);


static ngx_int_t
ngx_http_llm_rstore_send(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_uint_t status, llm_buf_t *out)
{
    u_char  *p;

    ctx->self_response = 1;

    if (out->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, out->len);
    if (p == NULL) {
        llm_buf_free(out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, out->data, out->len);

    ctx->answer_rc = ngx_http_llm_send_body(r, status, "application/json", p,
                                            out->len);
    llm_buf_free(out);

    return NGX_HTTP_LLM_ANSWERED;
}


/* 404 for a route's id; 400 for previous_response_id, as OpenAI */

ngx_int_t
ngx_http_llm_rstore_not_found(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *id, ngx_uint_t previous)
{
    u_char     sid[LLM_RSTORE_ID_MAX + 1];
    llm_buf_t  out = LLM_BUF_INIT;

    ngx_cpystrn(sid, id->data, ngx_min(id->len + 1, sizeof(sid)));
    llm_rstore_not_found((char *) sid, (int) previous, &out);

    return ngx_http_llm_rstore_send(r, ctx, previous ? NGX_HTTP_BAD_REQUEST
                                                     : NGX_HTTP_NOT_FOUND,
                                    &out);
}


/*
 * controld did not answer, or its store (Redis) did not: the id may well
 * exist, so this is not a 404 but a 503 the client may retry
 */

ngx_int_t
ngx_http_llm_rstore_unavailable(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "llm: stored response lookup failed (controld answered "
                  "%ui); answering 503", ctx->rstore_status);

    return ngx_http_llm_send_error(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "server_error", "stored responses are "
                                   "unavailable: this gateway node does not "
                                   "hold the response and its store "
                                   "(controld) did not answer; try again");
}


/* {"id":..,"object":"response","deleted":true} for the route's id */

static ngx_int_t
ngx_http_llm_rstore_deleted(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    char       id[LLM_RSTORE_ID_MAX];
    llm_buf_t  out = LLM_BUF_INIT;

    ngx_cpystrn((u_char *) id, ctx->resp_ref.data,
                ngx_min(ctx->resp_ref.len + 1, sizeof(id)));
    llm_rstore_deleted(id, &out);

    return ngx_http_llm_rstore_send(r, ctx, NGX_HTTP_OK, &out);
}


/*
 * The answer to a read route for the entry found (in the zone or by
 * controld).  NGX_DECLINED: the provider keeps the response, and proxy_pass
 * sends the route to it (a DELETE keeps the gateway's pointer, and the
 * provider answers 404 for what it deleted).
 */

ngx_int_t
ngx_http_llm_rstore_reply(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *entry)
{
    ngx_int_t  rc;
    ngx_str_t  gone;

    rc = ngx_http_llm_rpass_keeper(ctx, entry);

    if (rc == NGX_OK) {
        return ngx_http_llm_rpass_proxy(r, ctx);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_llm_rstore_not_found(r, ctx, &ctx->resp_ref, 0);
    }

    if (ctx->resp_cancel) {
        /* what the gateway answered was never a background response */
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "Only responses created with "
                                       "background=true can be cancelled.");
    }

    if (ngx_http_llm_rpass_streamed(r, ctx)) {
        /* nor streamed again: OpenAI streams only background ones */
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "Only responses created with "
                                       "background=true can be streamed.");
    }

    if (r->method == NGX_HTTP_DELETE) {
        /* out of the zone, a tombstone for controld; an entry controld
           answered is deleted there already */
        (void) ngx_http_llm_rstore_get(r, ctx, &ctx->resp_ref, &gone, 1);
        return ngx_http_llm_rstore_deleted(r, ctx);
    }

    return ngx_http_llm_rstore_answer(r, ctx, entry);
}


/* the response object, or the list of its input items */

static ngx_int_t
ngx_http_llm_rstore_answer(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *entry)
{
    char        err[160], order[8], after[LLM_RSTORE_ID_MAX];
    long        limit;
    ngx_str_t   arg;
    llm_buf_t   out = LLM_BUF_INIT;

    if (!ctx->input_items) {
        if (llm_rstore_response((char *) entry->data, entry->len, &out) != 0) {
            llm_buf_free(&out);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_llm_rstore_send(r, ctx, NGX_HTTP_OK, &out);
    }

    limit = 20;
    order[0] = '\0';
    after[0] = '\0';

    if (ngx_http_arg(r, (u_char *) "limit", 5, &arg) == NGX_OK) {
        limit = ngx_atoi(arg.data, arg.len);   /* -1 when not a number */
    }

    if (ngx_http_arg(r, (u_char *) "order", 5, &arg) == NGX_OK) {
        ngx_cpystrn((u_char *) order, arg.data,
                    ngx_min(arg.len + 1, sizeof(order)));
        if (arg.len >= sizeof(order)) {
            order[0] = '?';
        }
    }

    if (ngx_http_arg(r, (u_char *) "after", 5, &arg) == NGX_OK) {
        ngx_cpystrn((u_char *) after, arg.data,
                    ngx_min(arg.len + 1, sizeof(after)));
    }

    if (llm_rstore_input_items((char *) entry->data, entry->len,
                               order[0] ? order : NULL, limit, after, &out,
                               err, sizeof(err))
        != 0)
    {
        llm_buf_free(&out);
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error", err);
    }

    return ngx_http_llm_rstore_send(r, ctx, NGX_HTTP_OK, &out);
}
