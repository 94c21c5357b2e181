
/*
 * Pass-through routes (general_settings.pass_through_endpoints): a path
 * that is no API of the gateway's goes, bytes as they are, to its target
 * through `location @llm_pass` (conf/llm_site.conf), nginx's proxy
 * streaming the request and the answer.  No body is read here and no JSON
 * is parsed; the target's status, errors included, reaches the client.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_request.h"


static ngx_int_t ngx_http_llm_pass_uri(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, const llm_pass_route_t *pr);
static ngx_int_t ngx_http_llm_pass_client_headers(ngx_http_request_t *r,
    const llm_pass_route_t *pr);


ngx_int_t
ngx_http_llm_pass(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_int_t                rc;
    const llm_pass_route_t  *pr;

    static ngx_str_t  location = ngx_string("@llm_pass");

    ctx->tables = ngx_http_llm_tables_acquire(r);

    pr = ctx->tables ? llm_pass_match(ctx->tables->cf,
                                      (const char *) r->uri.data, r->uri.len)
                     : NULL;

    if (pr == NULL) {
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_NOT_FOUND,
                                       "not_found",
                                       "no such route on this gateway");
    }

    /* metrics and the request log know it by the route's configured path */
    ctx->endpoint = LLM_ROUTE_PASS;
    ctx->dep = &ctx->tables->pass[pr - ctx->tables->cf->pass];

    if (pr->auth) {
        rc = ngx_http_llm_authenticate(r, ctx, 0);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ngx_http_llm_pass_uri(r, ctx, pr) != NGX_OK
        || ngx_http_llm_pass_client_headers(r, pr) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* proxy sends upstream_uri; the balancer gives the client's back */
    ngx_http_llm_lend_uri(r, ctx);

    (void) ngx_http_named_location(r, &location);

    return NGX_DONE;
}


/* The target's path, the part below the route's path, the query. */

static ngx_int_t
ngx_http_llm_pass_uri(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    const llm_pass_route_t *pr)
{
    u_char      *p, *sub;
    size_t       len, sublen, base;
    ngx_str_t   *args;
    uintptr_t    escape;

    base = ngx_strlen(pr->target.base_path);
    sub = r->uri.data + pr->path_len;
    sublen = r->uri.len - pr->path_len;

    /* r->uri is decoded: the subpath is escaped again for the wire */
    escape = sublen ? 2 * ngx_escape_uri(NULL, sub, sublen, NGX_ESCAPE_URI)
                    : 0;

    /* a route without auth forwards a ?key= as sent: it is the target's */
    args = (!pr->auth && ctx->query_args.len) ? &ctx->query_args : &r->args;

    len = base + sublen + escape + 1 + (args->len ? 1 + args->len : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->upstream_uri.data = p;

    p = ngx_cpymem(p, pr->target.base_path, base);

    if (sublen) {
        if (base && p[-1] == '/' && sub[0] == '/') {
            p--;
        }

        p = escape ? (u_char *) ngx_escape_uri(p, sub, sublen,
                                               NGX_ESCAPE_URI)
                   : ngx_cpymem(p, sub, sublen);
    }

    if (p == ctx->upstream_uri.data) {
        *p++ = '/';
    }

    if (args->len) {
        *p++ = '?';
        p = ngx_cpymem(p, args->data, args->len);
    }

    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    return NGX_OK;
}


/*
 * The client's headers proxy forwards (`proxy_pass_request_headers on` in
 * @llm_pass): with forward_headers all but those the route lists (the
 * balancer adds those) and, on a route that checked the gateway's key,
 * the headers that carried it; without, only what describes the body.
 * Host, Connection and the body's framing are proxy's own.
 */

static ngx_int_t
ngx_http_llm_pass_client_headers(ngx_http_request_t *r,
    const llm_pass_route_t *pr)
{
    size_t            k;
    ngx_uint_t        i, keep;
    ngx_list_t        out;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *copy;

    static ngx_str_t  body[] = { ngx_string("content-type"),
                                 ngx_string("content-encoding") };
    static ngx_str_t  keys[] = { ngx_string("authorization"),
                                 ngx_string("x-api-key"),
                                 ngx_string("api-key"),
                                 ngx_string("x-goog-api-key") };

    if (ngx_list_init(&out, r->pool, 16, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        keep = pr->forward_headers;

        for (k = 0; !keep && k < sizeof(body) / sizeof(body[0]); k++) {
            keep = (h[i].key.len == body[k].len
                    && ngx_strncasecmp(h[i].key.data, body[k].data,
                                       body[k].len) == 0);
        }

        for (k = 0; keep && pr->auth && k < sizeof(keys) / sizeof(keys[0]);
             k++)
        {
            keep = !(h[i].key.len == keys[k].len
                     && ngx_strncasecmp(h[i].key.data, keys[k].data,
                                        keys[k].len) == 0);
        }

        for (k = 0; keep && k < pr->nheaders; k++) {
            keep = !(h[i].key.len == ngx_strlen(pr->header_names[k])
                     && ngx_strncasecmp(h[i].key.data,
                                        (u_char *) pr->header_names[k],
                                        h[i].key.len) == 0);
        }

        if (!keep) {
            continue;
        }

        copy = ngx_list_push(&out);
        if (copy == NULL) {
            return NGX_ERROR;
        }

        *copy = h[i];
    }

    r->headers_in.headers = out;

    return NGX_OK;
}
