
/*
 * Response side of a proxied attempt.  The header filter decides how the
 * body is handled; the body filter then either
 *   - passes it through, watching SSE events or the JSON tail for usage,
 *   - translates a stream event by event into the client's format, or
 *   - collects a whole non-streamed body and translates it at the end.
 * A stream the provider breaks off ends with the client's error event.
 * The streams' own work (usage in events, held partial events, the error
 * event, our output buffers) is in stream.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_filter.h"


#define NGX_HTTP_LLM_MAX_EVENT   (4 * 1024 * 1024)


static ngx_int_t ngx_http_llm_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_llm_release_header(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, size_t len);


/* a collected answer the provider did not finish */
#define NGX_HTTP_LLM_BROKE_OFF                                               \
    "the provider's answer broke off before it completed"


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
ngx_http_output_body_filter_pt           ngx_http_llm_next_body_filter;



ngx_int_t
ngx_http_llm_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_llm_header_filter;

    ngx_http_llm_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_llm_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_header_filter(ngx_http_request_t *r)
{
    ngx_str_t            v;
    llm_xlate_opts_t     o;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_llm_module);

    /* a pass-through answer's headers are the target's, as its body */
    if (ctx != NULL && r == r->main && ctx->endpoint != LLM_ROUTE_NONE
        && ctx->endpoint != LLM_ROUTE_PASS
        && ngx_http_llm_id_headers(r) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx != NULL && r == r->main
        && ctx->endpoint == LLM_ROUTE_COUNT_TOKENS
        && r->headers_out.status == NGX_HTTP_OK)
    {
        /* who counted: the provider, or the gateway's estimate */
        if (ctx->count_failed) {
            ngx_str_set(&v, "estimate; the provider failed");

        } else if (ctx->self_response) {
            ngx_str_set(&v, "estimate");

        } else {
            ngx_str_set(&v, "provider");
        }

        if (ngx_http_llm_add_header(r, "x-llm-token-count", &v) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ctx == NULL || !ctx->proxied || ctx->self_response || r != r->main
        || ctx->endpoint == LLM_ROUTE_PASS)
    {
        /* the body filter then leaves the body alone: resp_status is 0 */
        return ngx_http_next_header_filter(r);
    }

    ctx->resp_status = r->headers_out.status;
    ctx->first_byte = ngx_current_msec;

    if (ctx->resp_status >= NGX_HTTP_BAD_REQUEST) {
        /* an error not intercepted: its deployment may cool down first */
        ngx_http_llm_state_refused(ctx);
    }

    if (ngx_http_llm_info_headers(r, ctx) != NGX_OK
        || ngx_http_llm_rate_headers(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * Vertex AI answers its own errors (quota, auth) in Google's JSON,
     * also for Claude: a client of the model's format gets them in its
     * own, as if translated.
     */
    if (ctx->route && ctx->resp_status != NGX_HTTP_OK) {
        ctx->translate = 1;
    }

    if (ctx->translate) {
        ngx_http_clear_content_length(r);
        ngx_http_clear_accept_ranges(r);
        ngx_http_clear_etag(r);

        if (ctx->resp_status == NGX_HTTP_OK && ctx->stream) {
            ngx_memzero(&o, sizeof(o));
            o.model = ctx->dep->dep->model;
            o.client_model = (char *) ctx->model.data;   /* NUL-terminated */
            o.stream = 1;
            o.include_usage = ctx->include_usage;
            o.client_request = (char *) ctx->body.data;
            o.client_request_len = ctx->body.len;
            o.response_id = (char *) ctx->resp_id;

            ctx->xlate = llm_stream_xlate_new(ctx->dep->dep->api, ctx->api,
                                              &o);
            if (ctx->xlate == NULL) {
                return NGX_ERROR;
            }

            ngx_str_set(&r->headers_out.content_type, "text/event-stream");

        } else {
            ctx->buffer_whole = 1;
            ngx_str_set(&r->headers_out.content_type, "application/json");
        }

        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;
        r->headers_out.charset.len = 0;

    } else if (ctx->resp_status == NGX_HTTP_OK && ctx->stream) {
        ctx->sse_passthrough = 1;
        llm_sse_init(&ctx->sse, NGX_HTTP_LLM_MAX_EVENT);

    } else if (ctx->resp_status == NGX_HTTP_OK) {
        ctx->buffer_whole = 1;
    }

    if (ngx_http_llm_decode_init(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->buffer_whole && r->headers_out.content_length_n > 0
        && r->headers_out.content_length_n <= NGX_HTTP_LLM_MAX_WHOLE)
    {
        if (ctx->translate) {
            /* one allocation for the whole answer */
            (void) llm_buf_reserve(&ctx->resp,
                                   (size_t) r->headers_out.content_length_n);

        } else {
            /* forwarded as is: collected into what is then sent */
            ctx->whole = ngx_create_temp_buf(r->pool,
                                  (size_t) r->headers_out.content_length_n);
            if (ctx->whole == NULL) {
                return NGX_ERROR;
            }
        }
    }

    if (ctx->resp_status == NGX_HTTP_OK && ctx->stream
        && r->http_version >= NGX_HTTP_VERSION_11)
    {
        /*
         * A stream's cost is known only at its end: it follows the last
         * chunk as a trailer (chunked HTTP/1.1, or HTTP/2).
         */
        r->expect_trailers = 1;
        ctx->cost_trailer = 1;

        ngx_str_set(&v, "x-litellm-response-cost");

        if (ngx_http_llm_add_header(r, "Trailer", &v) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ctx->resp_status == NGX_HTTP_OK && !ctx->stream) {
        /*
         * A whole answer is collected first: its usage, and so its cost,
         * then go into the headers (x-litellm-response-cost).
         */
        ctx->hold_header = 1;
        return NGX_OK;
    }

    return ngx_http_next_header_filter(r);
}


/* The held header of a collected answer, now with its length and cost. */

static ngx_int_t
ngx_http_llm_release_header(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    size_t len)
{
    r->headers_out.content_length_n = len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    if (ngx_http_llm_push_cost(r, ctx, &r->headers_out.headers) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_llm_translate_whole(ngx_http_llm_ctx_t *ctx, llm_buf_t *out)
{
    llm_xlate_opts_t  o;

    if (!ctx->translate) {
        ngx_http_llm_whole_usage(ctx, ctx->resp.data, ctx->resp.len);

        if (ctx->resp_status == NGX_HTTP_OK) {
            ngx_http_llm_rstore_passed(ctx, ctx->resp.data, ctx->resp.len);
        }

        /* forwarded as it came: hand the collected bytes over */
        llm_buf_free(out);
        *out = ctx->resp;
        ngx_memzero(&ctx->resp, sizeof(llm_buf_t));

        return NGX_OK;
    }

    if (ctx->resp_status != NGX_HTTP_OK) {
        llm_xlate_error(ctx->dep->dep->api, ctx->api, (int) ctx->resp_status,
                        ctx->resp.data, ctx->resp.len, out);
        return NGX_OK;
    }

    ngx_memzero(&o, sizeof(o));
    o.model = ctx->dep->dep->model;
    o.client_model = (char *) ctx->model.data;
    o.client_request = (char *) ctx->body.data;
    o.client_request_len = ctx->body.len;
    o.response_id = (char *) ctx->resp_id;

    if ((ctx->endpoint == LLM_ROUTE_EMBEDDINGS
         && llm_xlate_embed_wire(ctx->dep->dep->wire)
         ? llm_xlate_embed_response_from(ctx->dep->dep->wire, ctx->resp.data,
                                         ctx->resp.len, o.client_request,
                                         o.client_request_len,
                                         o.client_model, out, &ctx->usage)
         : ctx->endpoint == LLM_ROUTE_EMBEDDINGS
         ? llm_xlate_embed_response(ctx->resp.data, ctx->resp.len,
                                    ctx->embed_batch, out, &ctx->usage)
         : llm_xlate_response(ctx->dep->dep->api, ctx->api, ctx->resp.data,
                              ctx->resp.len, &o, out, &ctx->usage))
        != 0)
    {
        llm_buf_reset(out);
        llm_error_body(ctx->api, NGX_HTTP_BAD_GATEWAY, "api_error",
                       "the provider's response could not be translated",
                       NULL, out);

        return NGX_DECLINED;
    }

    if (ctx->rstore) {
        ngx_http_llm_rstore_save(ctx, out->data, out->len);
    }

    return NGX_OK;
}


/*
 * A forwarded answer of known length, collected in one pool buffer and
 * sent from it once complete, after the held header.  Nothing has reached
 * the client yet if the provider breaks off: the client gets a 502 in its
 * format instead of half a document.
 */

static ngx_int_t
ngx_http_llm_collect_whole(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_chain_t *in, ngx_uint_t last, ngx_uint_t broken)
{
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    llm_buf_t     err = LLM_BUF_INIT;
    ngx_chain_t  *cl, out;

    b = ctx->whole;

    for (cl = in; cl; cl = cl->next) {
        len = ngx_buf_size(cl->buf);

        if (len && ngx_buf_in_memory(cl->buf)) {
            if (len > (size_t) (b->end - b->last)) {
                /* more than its Content-Length: not a sane answer */
                broken = 1;
                break;
            }

            b->last = ngx_cpymem(b->last, cl->buf->pos, len);
        }

        cl->buf->pos = cl->buf->last;
    }

    if (!last && !broken) {
        return NGX_OK;
    }

    ctx->hold_header = 0;
    ctx->stream_done = 1;

    if (broken || b->last != b->end) {
        ctx->failed_mid_stream = 1;

        llm_error_body(ctx->api, NGX_HTTP_BAD_GATEWAY, NULL,
                       NGX_HTTP_LLM_BROKE_OFF, NULL, &err);

        r->headers_out.status = NGX_HTTP_BAD_GATEWAY;
        r->headers_out.status_line.len = 0;

        b->pos = b->start;
        b->last = b->start;

        if (err.data && err.len <= (size_t) (b->end - b->start)) {
            b->last = ngx_cpymem(b->start, err.data, err.len);
        }

        llm_buf_free(&err);

    } else {
        ngx_http_llm_whole_usage(ctx, (char *) b->pos, b->last - b->pos);
        ngx_http_llm_rstore_passed(ctx, (char *) b->pos, b->last - b->pos);
    }

    rc = ngx_http_llm_release_header(r, ctx, b->last - b->pos);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = 1;
    b->last_in_chain = 1;
    b->flush = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_llm_next_body_filter(r, &out);
}


static ngx_int_t
ngx_http_llm_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t               len;
    ngx_int_t            rc;
    ngx_uint_t           last, flush, broken;
    llm_buf_t            out = LLM_BUF_INIT;
    ngx_chain_t         *cl;
    ngx_http_llm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_llm_module);

    if (ctx == NULL || !ctx->proxied || ctx->self_response || r != r->main
        || ctx->resp_status == 0)
    {
        return ngx_http_llm_next_body_filter(r, in);
    }

    if (ctx->inflate && ngx_http_llm_decode(r, ctx, &in) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->tables->cf->settings.log_payload_bytes
        && ngx_http_llm_payload_capture(r, ctx, in) != NGX_OK)
    {
        return NGX_ERROR;
    }

    last = 0;
    flush = 0;

    for (cl = in; cl; cl = cl->next) {
        last |= cl->buf->last_buf;
        flush |= cl->buf->flush;
        ctx->resp_bytes += ngx_buf_size(cl->buf);
    }

    /*
     * The upstream module ends a failed non-buffered response with a bare
     * flush after it closed the provider connection; a finished one ends
     * with last_buf.
     */
    broken = (!last && flush && r->upstream != NULL
              && r->upstream->peer.connection == NULL
              && (ctx->xlate || ctx->sse_passthrough || ctx->buffer_whole)
              && !ctx->stream_done && !ctx->failed_mid_stream);

    if (last && ctx->inflate && !ctx->inflate_end
        && ctx->resp_status == NGX_HTTP_OK && !ctx->failed_mid_stream)
    {
        /* the body's framing ended, its gzip data did not */
        broken = 1;
    }

    if (ctx->whole) {
        return ngx_http_llm_collect_whole(r, ctx, in, last, broken);
    }

    if (ctx->xlate || ctx->buffer_whole) {

        for (cl = in; cl; cl = cl->next) {
            len = ngx_buf_size(cl->buf);

            if (len && ngx_buf_in_memory(cl->buf)) {
                if (ctx->xlate) {
                    if (llm_stream_xlate_feed(ctx->xlate,
                                              (char *) cl->buf->pos, len,
                                              &out)
                        != 0)
                    {
                        broken = 1;
                    }

                } else if (ctx->resp.len + len > NGX_HTTP_LLM_MAX_WHOLE
                           || llm_buf_append(&ctx->resp, cl->buf->pos, len)
                              != 0)
                {
                    llm_buf_free(&out);
                    return NGX_ERROR;
                }
            }

            /* consumed: lets the upstream module reuse its buffer */
            cl->buf->pos = cl->buf->last;
        }

        if (broken && ctx->hold_header) {
            /*
             * A collected answer: nothing has reached the client, so it
             * gets a 502 in its format, as in ngx_http_llm_collect_whole(),
             * and not a stream's error event.
             */
            ctx->failed_mid_stream = 1;
            llm_buf_reset(&out);
            llm_error_body(ctx->api, NGX_HTTP_BAD_GATEWAY, "api_error",
                           NGX_HTTP_LLM_BROKE_OFF, NULL, &out);

            r->headers_out.status = NGX_HTTP_BAD_GATEWAY;
            r->headers_out.status_line.len = 0;
            last = 1;

        } else if (broken) {
            ctx->failed_mid_stream = 1;
            ngx_http_llm_stream_error(ctx, &out);

        } else if (last) {
            if (ctx->xlate) {
                (void) llm_stream_xlate_finish(ctx->xlate, &out);
                llm_stream_xlate_usage(ctx->xlate, &ctx->usage);
                ngx_http_llm_rstore_stream(ctx, ctx->xlate);

            } else if (ngx_http_llm_translate_whole(ctx, &out)
                       == NGX_DECLINED
                       && ctx->hold_header)
            {
                /* not an answer of the provider's format: a 502, as its
                   body says, while the status can still change */
                r->headers_out.status = NGX_HTTP_BAD_GATEWAY;
                r->headers_out.status_line.len = 0;
            }

            ctx->stream_done = 1;
        }

        if (ctx->buffer_whole && !last && !broken) {
            llm_buf_free(&out);
            return NGX_OK;
        }

        if (ctx->hold_header) {
            ctx->hold_header = 0;

            rc = ngx_http_llm_release_header(r, ctx, out.len);

            if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
                llm_buf_free(&out);
                return rc;
            }
        }

        if (last && !broken && ctx->cost_trailer
            && ngx_http_llm_push_cost(r, ctx, &r->headers_out.trailers)
               != NGX_OK)
        {
            llm_buf_free(&out);
            return NGX_ERROR;
        }

        rc = ngx_http_llm_send_out(r, ctx, &out, last, flush || broken);

        llm_buf_free(&out);

        return rc;
    }

    /* passthrough: watch, never change */

    for (cl = in; cl; cl = cl->next) {
        len = ngx_buf_size(cl->buf);

        if (len == 0 || !ngx_buf_in_memory(cl->buf)) {
            continue;
        }

        if (ctx->sse_passthrough) {
            (void) llm_sse_feed(&ctx->sse, (char *) cl->buf->pos, len,
                                ngx_http_llm_sse_event, ctx);
        }
    }

    if (ctx->sse_passthrough) {
        return ngx_http_llm_forward_events(r, ctx, in, last, broken);
    }

    if (last && ctx->cost_trailer
        && ngx_http_llm_push_cost(r, ctx, &r->headers_out.trailers)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_llm_next_body_filter(r, in);
}
