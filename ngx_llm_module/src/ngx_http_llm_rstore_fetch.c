
/*
 * A stored response this zone does not hold (another node made it, or
 * nginx restarted): asked of controld without blocking, through a
 * subrequest to the location that has `llm_responses_store` (it proxies
 * to controld's management socket, conf/llm_rstore.conf):
 *
 *   GET    <location><owner hex>/<id>   200 the entry, 404 not there
 *   DELETE <location><owner hex>/<id>   200 deleted, 404 not there
 *
 * Any other answer (controld down, its Redis down, a timeout of the
 * location's proxy_*_timeout) is "unavailable": a 503, never a 404.
 * The request goes on in the access phase when the subrequest is done
 * (ngx_http_llm_rstore_resume()).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_rstore.h"


static ngx_int_t ngx_http_llm_rstore_fetched(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);


static ngx_str_t  ngx_http_llm_rstore_delete_method = ngx_string("DELETE");


/* ids are ours (resp_ and hex) or a provider's of the same letters */

static ngx_uint_t
ngx_http_llm_rstore_id_ok(ngx_str_t *id)
{
    size_t  i;
    u_char  c;

    if (id->len == 0 || id->len > 128) {
        return 0;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_http_llm_rstore_fetch(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *id, ngx_uint_t delete)
{
    u_char                      *p;
    ngx_str_t                    uri;
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;
    ngx_http_llm_main_conf_t    *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);

    if (lmcf->rstore_uri.len == 0 || !ngx_http_llm_rstore_id_ok(id)) {
        return NGX_DECLINED;
    }

    uri.len = lmcf->rstore_uri.len + 64 + 1 + id->len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(uri.data, lmcf->rstore_uri.data, lmcf->rstore_uri.len);
    p = ngx_hex_dump(p, ctx->digest, 32);
    *p++ = '/';
    ngx_memcpy(p, id->data, id->len);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_llm_rstore_fetched;
    ps->data = ctx;

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (delete) {
        sr->method = NGX_HTTP_DELETE;
        sr->method_name = ngx_http_llm_rstore_delete_method;
    }

    ctx->rstore_wait = 1;
    ctx->rstore_done = 0;
    ctx->rstore_status = 0;

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_llm_rstore_fetched(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_buf_t           *b;
    ngx_http_llm_ctx_t  *ctx = data;

    ctx->rstore_done = 1;
    ctx->rstore_status = 0;

    if (rc == NGX_ERROR || sr->upstream == NULL
        || sr->upstream->state == NULL || sr->upstream->state->status == 0)
    {
        return rc;                   /* no answer from controld */
    }

    ctx->rstore_status = sr->headers_out.status;

    b = sr->out ? sr->out->buf : NULL;

    if (ctx->rstore_status == NGX_HTTP_OK) {
        if (b == NULL || b->last == b->pos) {
            ctx->rstore_status = 0;
            return rc;
        }

        ctx->rstore_answer.len = b->last - b->pos;
        ctx->rstore_answer.data = ngx_pnalloc(sr->pool,
                                              ctx->rstore_answer.len);
        if (ctx->rstore_answer.data == NULL) {
            ctx->rstore_status = 0;
            return rc;
        }

        ngx_memcpy(ctx->rstore_answer.data, b->pos, ctx->rstore_answer.len);
    }

    return rc;
}


/* llm_responses_store (location): the door to controld's response store */

char *
ngx_http_llm_responses_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_llm_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_llm_module);
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/'
        || clcf->exact_match || clcf->named)
    {
        return "must be in a prefix location ending with \"/\"";
    }

    /*
     * the subrequest goes to this URI in the client's own server, so every
     * server that includes the site snippet repeats the same location
     */

    if (lmcf->rstore_uri.len
        && (lmcf->rstore_uri.len != clcf->name.len
            || ngx_strncmp(lmcf->rstore_uri.data, clcf->name.data,
                           clcf->name.len) != 0))
    {
        return "must be in locations of one name in every server";
    }

    lmcf->rstore_uri = clcf->name;

    return NGX_CONF_OK;
}
