
/*
 * A provider's answer that came gzip- or deflate-encoded although the
 * gateway asked for no encoding (proxy_set_header Accept-Encoding ""):
 * decoded in the body filter before anything reads it (see filter.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_ctx.h"


/*
 * A body the module reads (to translate it, or for its usage) that came
 * gzip- or deflate-encoded although we asked for none: some providers and
 * proxies do.  It is decoded as it arrives and goes on without
 * Content-Encoding (a translated or collected body gets its length at the
 * end, a stream is chunked).  At most LLM_GUNZIP_MAX of an error body is
 * decoded, and of a whole answer what the module would collect of a plain
 * one; a bomb is cut there.
 */

ngx_int_t
ngx_http_llm_decode_init(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    size_t  max;

    if (r->headers_out.content_encoding == NULL || r->upstream == NULL
        || !(ctx->translate || ctx->resp_status == NGX_HTTP_OK)
        || !ngx_http_llm_upstream_gzip(r->upstream))
    {
        return NGX_OK;
    }

    if (ctx->resp_status != NGX_HTTP_OK) {
        max = LLM_GUNZIP_MAX;

    } else if (ctx->stream) {
        max = (size_t) -1;

    } else {
        max = NGX_HTTP_LLM_MAX_WHOLE;
    }

    ctx->inflate = llm_inflate_new(max);
    if (ctx->inflate == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.content_encoding->hash = 0;
    r->headers_out.content_encoding = NULL;

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_etag(r);

    return NGX_OK;
}


/*
 * The decoded bytes of this call's encoded ones, as the chain the rest of
 * the body filter sees, with its last_buf and flush.  A body that ends
 * before its gzip data does, or that does not decode, is a broken one
 * (see ngx_http_llm_body_filter()); an error body is taken as it came.
 */

ngx_int_t
ngx_http_llm_decode(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_chain_t **in)
{
    size_t             len;
    ngx_buf_t         *b;
    ngx_uint_t         last, flush;
    ngx_chain_t       *cl;
    llm_inflate_rc_t   rc;

    last = 0;
    flush = 0;
    rc = LLM_INFLATE_MORE;

    llm_buf_reset(&ctx->plain);

    for (cl = *in; cl; cl = cl->next) {
        last |= cl->buf->last_buf;
        flush |= cl->buf->flush;
        len = ngx_buf_size(cl->buf);

        if (len && ngx_buf_in_memory(cl->buf)) {
            rc = llm_inflate_feed(ctx->inflate, cl->buf->pos, len,
                                  &ctx->plain);
            cl->buf->pos = cl->buf->last;
        }
    }

    if (rc == LLM_INFLATE_NOMEM) {
        return NGX_ERROR;
    }

    if (rc == LLM_INFLATE_END) {
        ctx->inflate_end = 1;
    }

    if (ctx->plain.len == 0 && !last && !flush) {
        *in = NULL;
        return NGX_OK;
    }

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (ctx->plain.len) {
        if (ctx->xlate || ctx->buffer_whole) {
            /* copied where it goes before this call returns */
            b->pos = (u_char *) ctx->plain.data;

        } else {
            /* forwarded: may wait for the client after this call */
            b->pos = ngx_pnalloc(r->pool, ctx->plain.len);
            if (b->pos == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(b->pos, ctx->plain.data, ctx->plain.len);
        }

        b->start = b->pos;
        b->last = b->pos + ctx->plain.len;
        b->end = b->last;
        b->memory = 1;
    }

    b->last_buf = last;
    b->flush = flush;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;
    *in = cl;

    return NGX_OK;
}
