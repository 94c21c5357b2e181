
/*
 * llm_balancer: the peer of `upstream llm_upstream` is whichever deployment
 * the request handler chose.  nginx's keepalive module wraps this balancer,
 * so connections to providers are reused.  Addresses come resolved from
 * controld: nothing here touches DNS.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_ctx.h"


static ngx_int_t ngx_http_llm_init_upstream(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_llm_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_llm_add_headers(ngx_http_request_t *r,
    ngx_http_upstream_t *u, ngx_http_llm_ctx_t *ctx);
static ngx_int_t ngx_http_llm_get_peer(ngx_peer_connection_t *pc,
    void *data);
static void ngx_http_llm_free_peer(ngx_peer_connection_t *pc, void *data,
    ngx_uint_t state);
#if (NGX_HTTP_SSL)
static ngx_int_t ngx_http_llm_set_session(ngx_peer_connection_t *pc,
    void *data);
static void ngx_http_llm_save_session(ngx_peer_connection_t *pc, void *data);
#endif


char *
ngx_http_llm_balancer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_upstream_server_t    *us;
    ngx_http_upstream_srv_conf_t  *uscf;

    uscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_upstream_module);

    /*
     * The servers are the deployments, published at run time.  An empty
     * placeholder satisfies the upstream block's "no servers" check; this
     * balancer never reads it.
     */

    if (uscf->servers->nelts == 0) {
        us = ngx_array_push(uscf->servers);
        if (us == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(us, sizeof(ngx_http_upstream_server_t));
    }

    if (uscf->peer.init_upstream) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "load balancing method redefined");
    }

    uscf->peer.init_upstream = ngx_http_llm_init_upstream;

    uscf->flags = NGX_HTTP_UPSTREAM_CREATE;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_llm_init_upstream(ngx_conf_t *cf, ngx_http_upstream_srv_conf_t *us)
{
    us->peer.init = ngx_http_llm_init_peer;

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us)
{
    ngx_msec_t                 timeout;
    ngx_http_upstream_t       *u;
    ngx_http_llm_ctx_t        *ctx;
    ngx_http_upstream_conf_t  *conf;

    ctx = ngx_http_llm_get_ctx(r);

    if (ctx == NULL || ctx->dep == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llm: upstream llm_upstream used outside llm_gateway");
        return NGX_ERROR;
    }

    u = r->upstream;

    /* proxy has built the request: the client's URI back (see handler) */
    ngx_http_llm_return_uri(r, ctx);

    if (ngx_http_llm_add_headers(r, u, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_llm_hold_error_body(r, ctx);

#if (NGX_HTTP_SSL)

    /* `proxy_pass https://llm_upstream`: plain HTTP for http deployments */

    if (!ctx->dep->ssl) {
        u->ssl = 0;
        ngx_str_set(&u->schema, "http://");
    }

#endif

    u->peer.get = ngx_http_llm_get_peer;
    u->peer.free = ngx_http_llm_free_peer;
    u->peer.data = ctx;
    u->peer.tries = 1;        /* retries go through @llm_retry instead */

#if (NGX_HTTP_SSL)
    /* proxy_ssl_session_reuse calls these unconditionally */
    u->peer.set_session = ngx_http_llm_set_session;
    u->peer.save_session = ngx_http_llm_save_session;
#endif

    /*
     * A deployment's timeout replaces proxy_read_timeout for this request;
     * the location's conf is shared, so the request gets its own copy.
     */

    timeout = (ngx_msec_t) (ctx->stream && ctx->dep->dep->stream_timeout_ms
                            ? ctx->dep->dep->stream_timeout_ms
                            : ctx->dep->dep->timeout_ms);

    if (timeout == 0) {
        timeout = (ngx_msec_t) ctx->tables->cf->settings.timeout_ms;
    }

    if (timeout && timeout != u->conf->read_timeout) {
        conf = ngx_palloc(r->pool, sizeof(ngx_http_upstream_conf_t));
        if (conf == NULL) {
            return NGX_ERROR;
        }

        *conf = *u->conf;
        conf->read_timeout = timeout;
        u->conf = conf;
    }

    return NGX_OK;
}


/*
 * The deployment's key and API headers go into the request proxy has just
 * built (create_request runs before peer.init), spliced in before the
 * empty line that ends its header block.  As proxy_set_header variables,
 * proxy's scripts would evaluate six of them three times per request,
 * mostly to find them empty: that cost more than the splice's one copy.
 */

static ngx_int_t
ngx_http_llm_add_headers(ngx_http_request_t *r, ngx_http_upstream_t *u,
    ngx_http_llm_ctx_t *ctx)
{
    u_char     *p, *start, *split, *end;
    size_t      len;
    ngx_str_t  *hs, beta;
    ngx_buf_t  *b;

    static const u_char  beta_name[] = "Anthropic-Beta: ";

    hs = &ctx->dep->headers;

    if (ctx->dep->dep->api == LLM_API_ANTHROPIC) {
        beta = ctx->anthropic_beta;

    } else {
        ngx_str_null(&beta);
    }

    if (hs->len == 0 && beta.len == 0 && ctx->sign_headers.len == 0) {
        return NGX_OK;
    }

    b = u->request_bufs ? u->request_bufs->buf : NULL;

    if (b == NULL || !ngx_buf_in_memory(b)) {
        goto broken;
    }

    start = b->pos;
    end = b->last;

    /* with proxy_set_body the body follows the empty line in this buffer */

    if (end - start >= 4 && ngx_memcmp(end - 4, CRLF CRLF, 4) == 0) {
        split = end - 2;

    } else {
        for (split = start; end - split >= 4; split++) {
            if (ngx_memcmp(split, CRLF CRLF, 4) == 0) {
                break;
            }
        }

        if (end - split < 4) {
            goto broken;
        }

        split += 2;
    }

    len = (end - start) + hs->len + ctx->sign_headers.len;

    if (beta.len) {
        len += sizeof(beta_name) - 1 + beta.len + sizeof(CRLF) - 1;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b->start = p;
    b->pos = p;

    p = ngx_cpymem(p, start, split - start);
    p = ngx_cpymem(p, hs->data, hs->len);
    p = ngx_cpymem(p, ctx->sign_headers.data, ctx->sign_headers.len);

    if (beta.len) {
        p = ngx_cpymem(p, beta_name, sizeof(beta_name) - 1);
        p = ngx_cpymem(p, beta.data, beta.len);
        *p++ = CR; *p++ = LF;
    }

    p = ngx_cpymem(p, split, end - split);

    b->last = p;
    b->end = p;

    return NGX_OK;

broken:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "llm: no request header block to add the provider's "
                  "headers to: is upstream llm_upstream used by proxy_pass?");

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_llm_get_peer(ngx_peer_connection_t *pc, void *data)
{
    ngx_http_llm_ctx_t  *ctx = data;

    ngx_addr_t          *addr;
    ngx_http_llm_dep_t  *nd;

    nd = ctx->dep;

    if (nd->naddrs == 0) {
        ngx_log_error(NGX_LOG_ERR, pc->log, 0,
                      "llm: deployment \"%s\" has no resolved address",
                      nd->dep->id);
        return NGX_BUSY;
    }

    /* spread over the provider's addresses */
    addr = &nd->addrs[nd->next_addr++ % nd->naddrs];

    pc->sockaddr = addr->sockaddr;
    pc->socklen = addr->socklen;
    pc->name = &addr->name;

    return NGX_OK;
}


static void
ngx_http_llm_free_peer(ngx_peer_connection_t *pc, void *data,
    ngx_uint_t state)
{
    pc->tries = 0;
}


#if (NGX_HTTP_SSL)

/*
 * No TLS session cache: keep-alive connections already spare most
 * handshakes, and a session must never be offered to another provider.
 */

static ngx_int_t
ngx_http_llm_set_session(ngx_peer_connection_t *pc, void *data)
{
    return NGX_OK;
}


static void
ngx_http_llm_save_session(ngx_peer_connection_t *pc, void *data)
{
}

#endif
