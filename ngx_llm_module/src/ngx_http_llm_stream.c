
/*
 * A proxied stream's own work for the body filter (filter.c): the usage
 * in its events, a forwarded stream cut at its last whole event, the
 * client's error event when the provider breaks off, and the output
 * buffers of ours that carry what the gateway writes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_filter.h"


static ngx_chain_t *ngx_http_llm_out_buf(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, u_char *data, size_t len);


/*
 * Whether an event carries a usage object: OpenAI streams with
 * include_usage say "usage":null in every chunk but the last, and parsing
 * each of them would cost more than the rest of the stream's handling.
 */

static ngx_uint_t
ngx_http_llm_has_usage(const char *data, size_t len)
{
    u_char  *p, *last;

    static const char  null_tail[] = "\"usage\":null}";

    /*
     * OpenAI's chunks end with their usage member: ending in "usage":null
     * means the top-level usage is null (a JSON object has one of each)
     */
    if (len >= sizeof(null_tail) - 1
        && ngx_memcmp(data + len - (sizeof(null_tail) - 1), null_tail,
                      sizeof(null_tail) - 1) == 0)
    {
        return 0;
    }

    p = (u_char *) data;
    last = p + len;

    while ((p = memmem(p, last - p, "\"usage", 6)) != NULL) {
        p += 6;

        /* "usage" or "usageMetadata", then ':' and an object */
        while (p < last && *p != '"') {
            p++;
        }

        for (p++; p < last && (*p == ' ' || *p == ':'); p++) {
            /* void */
        }

        if (p < last && *p == '{') {
            return 1;
        }
    }

    return 0;
}


/* response.completed, .incomplete, .failed: a Responses stream's end */

static ngx_uint_t
ngx_http_llm_responses_end(const char *name, size_t len)
{
    return (len == 9 && ngx_strncmp(name, "completed", 9) == 0)
           || (len == 10 && ngx_strncmp(name, "incomplete", 10) == 0)
           || (len == 6 && ngx_strncmp(name, "failed", 6) == 0);
}


int
ngx_http_llm_sse_event(void *arg, const char *event, size_t event_len,
    const char *data, size_t data_len)
{
    ngx_http_llm_ctx_t  *ctx = arg;

    if (data_len == 6 && ngx_strncmp(data, "[DONE]", 6) == 0) {
        ctx->stream_done = 1;
        return 0;
    }

    if (event != NULL && event_len == 12
        && ngx_strncmp(event, "message_stop", 12) == 0)
    {
        ctx->stream_done = 1;
    }

    if (ngx_http_llm_has_usage(data, data_len)) {
        ngx_http_llm_whole_usage(ctx, data, data_len);
    }

    if (ctx->resp_pass && event != NULL && event_len > 9
        && ngx_strncmp(event, "response.", 9) == 0
        && ngx_http_llm_responses_end(event + 9, event_len - 9))
    {
        /* the provider keeps the response its stream made */
        ctx->stream_done = 1;
        ngx_http_llm_rstore_passed(ctx, data, data_len);
    }

    return 0;
}


/* The client's error event after a provider broke off a stream. */

void
ngx_http_llm_stream_error(ngx_http_llm_ctx_t *ctx, llm_buf_t *out)
{
    llm_buf_t    body = LLM_BUF_INIT;
    const char  *msg;

    msg = "the provider's stream broke off before it completed";

    if (ctx->xlate) {
        llm_stream_xlate_fail(ctx->xlate, msg, out);
        return;
    }

    llm_error_body(ctx->api, NGX_HTTP_BAD_GATEWAY, "api_error", msg, NULL,
                   &body);

    if (body.data) {
        /* Anthropic's and the Responses API's streams name it "error" */
        (void) llm_sse_write(out, ctx->api == LLM_API_ANTHROPIC
                                  || ctx->api == LLM_API_RESPONSES
                                  ? "error" : NULL,
                             body.data, body.len);
    }

    llm_buf_free(&body);
}


/*
 * A buffer of ours with a copy of data[0..len): one the client has taken
 * already is used again when it is big enough.
 */

static ngx_chain_t *
ngx_http_llm_out_buf(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    u_char *data, size_t len)
{
    u_char       *p;
    size_t        cap;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_chain_get_free_buf(r->pool, &ctx->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;

    p = b->start;
    cap = p ? (size_t) (b->end - b->start) : 0;

    ngx_memzero(b, sizeof(ngx_buf_t));

    if (len) {
        if (cap < len) {
            cap = ngx_max(len, 1024);

            p = ngx_pnalloc(r->pool, cap);
            if (p == NULL) {
                return NULL;
            }
        }

        b->start = p;
        b->pos = p;
        b->last = ngx_cpymem(p, data, len);
        b->end = p + cap;
        b->memory = 1;
    }

    b->tag = (ngx_buf_tag_t) &ngx_http_llm_module;
    b->flush = 1;
    cl->next = NULL;

    return cl;
}


ngx_int_t
ngx_http_llm_send_out(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    llm_buf_t *out, ngx_uint_t last, ngx_uint_t flush)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (out->len == 0 && !last && !flush) {
        return NGX_OK;
    }

    cl = ngx_http_llm_out_buf(r, ctx, (u_char *) out->data, out->len);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b = cl->buf;
    b->flush = flush || !last;
    b->last_buf = last;
    b->last_in_chain = 1;

    if (out->len == 0 && !last) {
        b->sync = 1;
    }

    rc = ngx_http_llm_next_body_filter(r, cl);

    ngx_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &cl,
                            (ngx_buf_tag_t) &ngx_http_llm_module);

    return rc;
}


/* Usage of a forwarded answer or stream event, read from its text. */

void
ngx_http_llm_whole_usage(ngx_http_llm_ctx_t *ctx, const char *data,
    size_t len)
{
    if (ctx->endpoint == LLM_ROUTE_RESPONSE_ID) {
        return;                 /* a stored response read back: no usage */
    }

    (void) llm_usage_from_json(ctx->resp_pass ? LLM_API_RESPONSES
                                              : ctx->dep->dep->api,
                               data, len, &ctx->usage);
}


/*
 * A forwarded stream goes on as it arrives, but only up to its last event
 * boundary (the SSE parser counts the bytes after it): an event the
 * provider has not finished waits in ctx->held for the rest.  So a stream
 * the provider breaks off ends with whole events and then the client's
 * error event, never with half an event that the error event would run
 * into.  Held back is at most one event.
 */

ngx_int_t
ngx_http_llm_forward_events(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_chain_t *in, ngx_uint_t last, ngx_uint_t broken)
{
    size_t        size, total, fwd, n;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    llm_buf_t     err = LLM_BUF_INIT;
    ngx_chain_t  *cl, *ln, *out, *mine, **ll;

    total = ctx->held.len;

    for (cl = in; cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf)) {
            total += ngx_buf_size(cl->buf);
        }
    }

    /* what follows the last boundary, unless the stream is complete */
    n = (ctx->sse.failed || (last && !broken)) ? 0 : ctx->sse.open;
    fwd = total - ngx_min(n, total);

    if (fwd == total && ctx->held.len == 0 && !broken) {
        /* the usual read: whole events only, sent on untouched */

        if (last && ctx->cost_trailer
            && ngx_http_llm_push_cost(r, ctx, &r->headers_out.trailers)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_llm_next_body_filter(r, in);
    }

    out = NULL;
    ll = &out;
    mine = NULL;

    if (fwd && ctx->held.len) {
        /* the held start of an event the boundary now completes */
        mine = ngx_http_llm_out_buf(r, ctx, (u_char *) ctx->held.data,
                                    ctx->held.len);
        if (mine == NULL) {
            return NGX_ERROR;
        }

        fwd -= ctx->held.len;
        llm_buf_reset(&ctx->held);

        *ll = mine;
        ll = &mine->next;
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b) || (size = ngx_buf_size(b)) == 0) {
            continue;      /* a flush or last_buf: ours go out below */
        }

        n = ngx_min(size, fwd);
        fwd -= n;

        /* the stream's end, if it comes, is sent by us after the rest */
        b->last_buf = 0;

        if (n < size) {
            /* past the boundary: held until the event is whole */
            if (llm_buf_append(&ctx->held, b->pos + n, size - n) != 0) {
                return NGX_ERROR;
            }

            b->last = b->pos + n;
        }

        if (n == 0) {
            continue;
        }

        ln = ngx_alloc_chain_link(r->pool);
        if (ln == NULL) {
            return NGX_ERROR;
        }

        ln->buf = b;
        *ll = ln;
        ll = &ln->next;
    }

    *ll = NULL;
    rc = NGX_OK;

    if (out) {
        rc = ngx_http_llm_next_body_filter(r, out);

        /* the links are ours; the provider's buffers go back to it */
        for (cl = out; cl; cl = ln) {
            ln = cl->next;

            if (cl == mine) {
                cl->next = NULL;
                ngx_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &cl,
                                        (ngx_buf_tag_t) &ngx_http_llm_module);
            } else {
                ngx_free_chain(r->pool, cl);
            }
        }

        if (rc == NGX_ERROR) {
            return rc;
        }
    }

    if (broken) {
        /* what the provider left unfinished is dropped */
        llm_buf_reset(&ctx->held);
        ctx->failed_mid_stream = 1;

        ngx_http_llm_stream_error(ctx, &err);
        rc = ngx_http_llm_send_out(r, ctx, &err, last, 1);
        llm_buf_free(&err);

        return rc;
    }

    if (last) {
        if (ctx->cost_trailer
            && ngx_http_llm_push_cost(r, ctx, &r->headers_out.trailers)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_llm_send_out(r, ctx, &err, 1, 0);
    }

    return rc;
}
