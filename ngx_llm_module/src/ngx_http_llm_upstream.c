
/*
 * Reading a proxied attempt's upstream response before the filters see
 * it: a provider's error body is held until whole (its class and message
 * depend on it), decoded when gzipped, and a broken chunked body ends as
 * a broken upstream.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"
#include "llm_gzip.h"


/* of a provider's error: the whole of it decides its class and message */
#define NGX_HTTP_LLM_ERROR_BODY_MAX  (64 * 1024)


static ngx_int_t ngx_http_llm_process_header(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_read_error_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_input_filter_init(void *data);
static ngx_int_t ngx_http_llm_input_filter(void *data, ssize_t bytes);
static ngx_uint_t ngx_http_llm_chunks(u_char *p, u_char *last, u_char *out,
    size_t *len);


/*
 * A provider's error is classified by its body (a context window, a
 * content policy, its own message for the caller), but proxy intercepts
 * the response as soon as its header is in, with whatever part of the
 * body came in the same reads.  So proxy's header parser is wrapped: for
 * an error status the upstream goes on reading into u->buffer until the
 * body is whole (by Content-Length or the last chunk), at most
 * NGX_HTTP_LLM_ERROR_BODY_MAX of it.  A success body is never held.
 */

void
ngx_http_llm_hold_error_body(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_http_upstream_t  *u;

    u = r->upstream;

    if (!u->conf->intercept_errors) {
        return;
    }

    ctx->process_header = u->process_header;
    u->process_header = ngx_http_llm_process_header;

    ctx->input_filter_init = u->input_filter_init;
    u->input_filter_init = ngx_http_llm_input_filter_init;
}


/*
 * A chunked body proxy finds invalid: its filter returns NGX_ERROR, and
 * nginx then ends the request with no word to the client.  Wrapped, what
 * came before the bad chunk goes out and the upstream ends as a broken
 * one (u->error: nginx's 502, then a bare flush), so the body filter ends
 * the answer with an error in the client's format.
 */

static ngx_int_t
ngx_http_llm_input_filter_init(void *data)
{
    ngx_int_t             rc;
    ngx_http_request_t   *r = data;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_llm_get_ctx(r);
    u = r->upstream;

    rc = ctx->input_filter_init(data);

    if (u->headers_in.chunked && u->input_filter != ngx_http_llm_input_filter)
    {
        ctx->input_filter = u->input_filter;
        u->input_filter = ngx_http_llm_input_filter;
    }

    return rc;
}


static ngx_int_t
ngx_http_llm_input_filter(void *data, ssize_t bytes)
{
    ngx_http_request_t   *r = data;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_llm_get_ctx(r);
    u = r->upstream;

    if (ctx->upstream_invalid) {
        return NGX_OK;                     /* past a bad chunk: dropped */
    }

    if (ctx->input_filter(data, bytes) != NGX_ERROR) {
        return NGX_OK;
    }

    ctx->upstream_invalid = 1;
    u->error = 1;
    u->keepalive = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_process_header(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_llm_get_ctx(r);
    u = r->upstream;

    rc = ctx->process_header(r);

    if (u->process_header != ngx_http_llm_process_header) {
        /* proxy went on from its status line to its header lines */
        ctx->process_header = u->process_header;
        u->process_header = ngx_http_llm_process_header;
    }

    if (rc != NGX_OK || u->headers_in.status_n < NGX_HTTP_BAD_REQUEST) {
        return rc;
    }

    if (u->headers_in.status_n == NGX_HTTP_REQUEST_TIME_OUT) {
        /*
         * nginx closes the client's connection when a request is
         * finalized with 408 (the client's own timeout), so a provider's
         * 408 goes to error_page as the 504 of the same class, timeout;
         * ctx->last_error keeps the provider's status for the message.
         */
        u->headers_in.status_n = NGX_HTTP_GATEWAY_TIME_OUT;
        ctx->provider_408 = 1;
    }

    u->process_header = ngx_http_llm_read_error_body;

    return ngx_http_llm_read_error_body(r);
}


/* NGX_AGAIN until the error body is whole, or as whole as it may get */

static ngx_int_t
ngx_http_llm_read_error_body(ngx_http_request_t *r)
{
    size_t                size, head, body;
    u_char               *p;
    ngx_http_llm_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    u = r->upstream;

    body = u->buffer.last - u->buffer.pos;

    if (body >= NGX_HTTP_LLM_ERROR_BODY_MAX) {
        return NGX_OK;
    }

    if (u->headers_in.chunked) {
        if (ngx_http_llm_chunks(u->buffer.pos, u->buffer.last, NULL, &size))
        {
            return NGX_OK;
        }

    } else if (u->headers_in.content_length_n < 0) {
        if (u->headers_in.status_n != NGX_HTTP_BAD_REQUEST
            && u->headers_in.status_n != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
        {
            return NGX_OK;              /* the status alone is the class */
        }

        /*
         * Delimited by the close: nginx ends the read with its 502 when
         * it comes, and ngx_http_llm_retry() takes the body as whole.
         */
        ctx = ngx_http_llm_get_ctx(r);
        ctx->error_to_close = 1;

    } else if (body >= (size_t) u->headers_in.content_length_n) {
        return NGX_OK;
    }

    if (u->buffer.last < u->buffer.end) {
        return NGX_AGAIN;
    }

    /*
     * proxy_buffer_size is full: a bigger buffer for this error only.  The
     * old one stays in the pool, where the parsed headers point.
     */

    head = u->buffer.pos - u->buffer.start;
    size = ngx_min(2 * (size_t) (u->buffer.end - u->buffer.start),
                   head + NGX_HTTP_LLM_ERROR_BODY_MAX);

    p = ngx_palloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, u->buffer.start, head + body);

    u->buffer.start = p;
    u->buffer.pos = p + head;
    u->buffer.last = p + head + body;
    u->buffer.end = p + size;

    return NGX_AGAIN;
}


/*
 * Walks "size CRLF data CRLF ... 0 CRLF CRLF" from p to last, copying the
 * data to out unless it is NULL; *len is the data's length.  Returns 1
 * when the last chunk was seen.
 */

static ngx_uint_t
ngx_http_llm_chunks(u_char *p, u_char *last, u_char *out, size_t *len)
{
    size_t  size, n;

    *len = 0;

    for ( ;; ) {
        size = 0;

        while (p < last && ngx_hextoi(p, 1) != NGX_ERROR) {
            size = size * 16 + ngx_hextoi(p, 1);
            p++;
        }

        while (p < last && *p != '\n') {
            p++;                               /* chunk extensions, CR */
        }

        if (p++ >= last) {
            return 0;
        }

        if (size == 0) {
            return 1;
        }

        n = ngx_min(size, (size_t) (last - p));

        if (out) {
            out = ngx_cpymem(out, p, n);
        }

        *len += n;

        if (n < size) {
            return 0;
        }

        p += size;

        while (p < last && (*p == '\r' || *p == '\n')) {
            p++;
        }
    }
}


/*
 * The body of the error an intercepted upstream response started with
 * (see ngx_http_llm_hold_error_body()).  Returns 1 when that is all of it.
 */

ngx_uint_t
ngx_http_llm_upstream_body(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    size_t                len;
    u_char               *p, *last, *out;
    ngx_uint_t            complete;
    ngx_http_upstream_t  *u;

    ngx_str_null(body);

    u = r->upstream;

    if (u == NULL || u->headers_in.status_n != status
        || u->buffer.start == NULL)
    {
        return 0;
    }

    p = u->buffer.pos;
    last = u->buffer.last;

    if (!u->headers_in.chunked) {
        body->data = p;
        body->len = last - p;

        complete = u->headers_in.content_length_n >= 0
                   && body->len == (size_t) u->headers_in.content_length_n;

    } else {
        body->data = ngx_pnalloc(r->pool, last - p);
        if (body->data == NULL) {
            return 0;
        }

        complete = ngx_http_llm_chunks(p, last, body->data, &body->len);
    }

    if (body->len == 0 || !ngx_http_llm_upstream_gzip(u)) {
        return complete;
    }

    /*
     * Some providers and proxies gzip an error body we never asked to be
     * encoded: it is classified and translated decoded, at most
     * LLM_GUNZIP_MAX of it; what does not decode is no body at all.
     */

    out = ngx_pnalloc(r->pool, LLM_GUNZIP_MAX);
    if (out == NULL) {
        ngx_str_null(body);
        return 0;
    }

    switch (llm_gunzip(body->data, body->len, out, LLM_GUNZIP_MAX, &len)) {

    case LLM_GUNZIP_OK:
        break;

    case LLM_GUNZIP_CUT:
        complete = 0;
        break;

    default:
        ngx_str_null(body);
        return 0;
    }

    body->data = out;
    body->len = len;

    return complete;
}


/* the upstream's Content-Encoding is gzip (or deflate) */

ngx_uint_t
ngx_http_llm_upstream_gzip(ngx_http_upstream_t *u)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &u->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != sizeof("Content-Encoding") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "Content-Encoding",
                               h[i].key.len) != 0)
        {
            continue;
        }

        return ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "gzip", 4 - 1) != NULL
               || ngx_strlcasestrn(h[i].value.data,
                                   h[i].value.data + h[i].value.len,
                                   (u_char *) "deflate", 7 - 1) != NULL;
    }
}
