
/*
 * The headers the module adds to a proxied answer: the request's id, which
 * deployment answered and how many retries and fallbacks it took, and the
 * cost (a header of a collected answer, a trailer of a stream).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_ctx.h"
#include "ngx_http_llm_metrics.h"


/* A header (or trailer) the module adds to a response. */

ngx_int_t
ngx_http_llm_push(ngx_list_t *list, const char *name, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(list);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    return NGX_OK;
}


ngx_int_t
ngx_http_llm_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    return ngx_http_llm_push(&r->headers_out.headers, name, value);
}


/*
 * x-litellm-response-cost (and x-llm-usage-estimated) into a header list:
 * the headers of a collected answer, the trailers of a stream.
 */

ngx_int_t
ngx_http_llm_push_cost(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_list_t *list)
{
    u_char     *p;
    uint64_t    cost;
    ngx_str_t   v;

    cost = ngx_http_llm_cost(ctx);

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p += NGX_INT64_LEN + 8;
    v.data = ngx_http_llm_dollars(p, cost);
    v.len = p - v.data;

    if (ngx_http_llm_push(list, "x-litellm-response-cost", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!ctx->usage_estimated) {
        return NGX_OK;
    }

    ngx_str_set(&v, "true");

    return ngx_http_llm_push(list, "x-llm-usage-estimated", &v);
}


/* x-request-id and LiteLLM's x-litellm-call-id: the request log's id */

ngx_int_t
ngx_http_llm_id_headers(ngx_http_request_t *r)
{
    ngx_str_t  v;

    v.data = ngx_pnalloc(r->pool, 32);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_http_llm_request_id(r, v.data) - v.data;

    if (ngx_http_llm_add_header(r, "x-request-id", &v) != NGX_OK
        || ngx_http_llm_add_header(r, "x-litellm-call-id", &v) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_llm_info_headers(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char     *p;
    ngx_str_t   v;

    if (ctx->dropped.len
        && ngx_http_llm_add_header(r, "x-llm-dropped-params", &ctx->dropped)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    v.data = (u_char *) ctx->dep->dep->id;
    v.len = ngx_strlen(ctx->dep->dep->id);

    if (ngx_http_llm_add_header(r, "x-litellm-model-id", &v) != NGX_OK
        || ngx_http_llm_add_header(r, "x-litellm-model-api-base",
                                   &ctx->dep->api_base) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p += NGX_INT_T_LEN;
    /* retries within the group that answered, as LiteLLM counts them */
    v.data = ngx_http_llm_digits(p, ctx->attempts_in_group - 1);
    v.len = p - v.data;

    if (ngx_http_llm_add_header(r, "x-litellm-attempted-retries", &v)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p += NGX_INT_T_LEN;
    v.data = ngx_http_llm_digits(p, ctx->fallbacks_used);
    v.len = p - v.data;

    return ngx_http_llm_add_header(r, "x-litellm-attempted-fallbacks", &v);
}
