
/*
 * The shared zone: the published config blob and its generation, plus the
 * worker-local routing tables built from it.
 *
 * Publishing replaces the blob whole under the zone mutex.  A worker notices
 * a new generation with one atomic read, copies the blob under the mutex and
 * parses it outside, so the lock is held only for a memcpy.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_module.h"


#define NGX_HTTP_LLM_MAX_SNAPSHOT  (32 * 1024 * 1024)


static void ngx_http_llm_load_snapshot(ngx_http_llm_zone_t *zone,
    ngx_str_t *file, ngx_http_llm_blob_t *blob, ngx_uint_t keys,
    ngx_log_t *log);
static ngx_http_llm_tables_t *ngx_http_llm_tables_build(
    ngx_http_llm_zone_t *zone, u_char *json, size_t len,
    ngx_atomic_uint_t generation, ngx_log_t *log);
static void ngx_http_llm_tables_release(void *data);


static ngx_http_llm_tables_t  *ngx_http_llm_current;


ngx_int_t
ngx_http_llm_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_llm_zone_t  *ozone = data;

    size_t                len;
    ngx_http_llm_zone_t  *zone;

    zone = shm_zone->data;
    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (ozone || shm_zone->shm.exists) {
        /*
         * nginx -s reload: keep the published config and counters, if
         * this build lays them out as the one that created the zone (the
         * slab pool's own header is nginx's and does not change)
         */
        zone->sh = zone->shpool->data;

        if (zone->sh->layout != NGX_HTTP_LLM_LAYOUT) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "llm_zone \"%V\" was created by another build of "
                          "ngx_llm_module: stop and start nginx to load "
                          "this one (a reload keeps the zone)",
                          &shm_zone->shm.name);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    zone->sh = ngx_slab_calloc(zone->shpool, sizeof(ngx_http_llm_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;
    zone->sh->layout = NGX_HTTP_LLM_LAYOUT;
    ngx_http_llm_rstore_init(&zone->sh->rstore);
    zone->sh->epoch = (uint64_t) ngx_time() * 1000000 + ngx_pid % 1000000;

    len = sizeof(" in llm zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in llm zone \"%V\"%Z",
                &shm_zone->shm.name);

    zone->shpool->log_nomem = 0;

    /* a cold start: serve the last config controld wrote until it runs */
    if (zone->snapshot.len) {
        ngx_http_llm_load_snapshot(zone, &zone->snapshot, &zone->sh->config,
                                   0, shm_zone->shm.log);
    }

    /* ... and its virtual keys, so they work before controld is back */
    if (zone->keys_snapshot.len) {
        ngx_http_llm_load_snapshot(zone, &zone->keys_snapshot,
                                   &zone->sh->keys, 1, shm_zone->shm.log);
    }

    return NGX_OK;
}


static void
ngx_http_llm_load_snapshot(ngx_http_llm_zone_t *zone, ngx_str_t *file,
    ngx_http_llm_blob_t *blob, ngx_uint_t keys, ngx_log_t *log)
{
    u_char           *buf;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;
    llm_keys_t       *ks;
    llm_config_t     *cf;
    u_char           *path;
    char              err[256];

    path = ngx_alloc(file->len + 1, log);
    if (path == NULL) {
        return;
    }

    ngx_cpystrn(path, file->data, file->len + 1);

    buf = NULL;

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_NOTICE, log, ngx_errno,
                      "llm: no snapshot \"%s\" yet, waiting for controld",
                      path);
        goto done;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_LLM_MAX_SNAPSHOT)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "llm: snapshot \"%s\" unreadable or too large", path);
        goto done;
    }

    size = (size_t) ngx_file_size(&fi);

    buf = ngx_alloc(size + 1, log);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, buf, size);

    if (n != (ssize_t) size) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "llm: short read of snapshot \"%s\"", path);
        goto done;
    }

    if (keys) {
        ks = llm_keys_parse((char *) buf, size, err, sizeof(err));
        cf = NULL;

    } else {
        cf = llm_config_parse((char *) buf, size, err, sizeof(err));
        ks = NULL;
    }

    if (cf == NULL && ks == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "llm: snapshot \"%s\" rejected: %s", path, err);
        goto done;
    }

    llm_config_free(cf);
    llm_keys_free(ks);

    if (ngx_http_llm_store(zone, blob, buf, size) == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "llm: loaded snapshot \"%s\"", path);
    }

done:

    if (fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
    }

    ngx_free(buf);
    ngx_free(path);
}


ngx_int_t
ngx_http_llm_store(ngx_http_llm_zone_t *zone, ngx_http_llm_blob_t *blob,
    u_char *json, size_t len)
{
    u_char  *data, *old;

    ngx_shmtx_lock(&zone->shpool->mutex);

    data = ngx_slab_alloc_locked(zone->shpool, len);

    if (data == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_memcpy(data, json, len);

    old = blob->data;

    blob->data = data;
    blob->len = len;
    blob->loaded_at = ngx_time();

    /* readers copy under the same mutex, so freeing the old one is safe */
    if (old) {
        ngx_slab_free_locked(zone->shpool, old);
    }

    ngx_atomic_fetch_add(&blob->generation, 1);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/* A private copy of a published document (malloc'ed), or NULL. */

u_char *
ngx_http_llm_blob_copy(ngx_http_llm_zone_t *zone, ngx_http_llm_blob_t *blob,
    ngx_atomic_uint_t *generation, size_t *len, ngx_log_t *log)
{
    u_char  *copy;

    ngx_shmtx_lock(&zone->shpool->mutex);

    *generation = blob->generation;
    *len = blob->len;
    copy = blob->len ? ngx_alloc(blob->len, log) : NULL;

    if (copy) {
        ngx_memcpy(copy, blob->data, blob->len);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return copy;
}


ngx_int_t
ngx_http_llm_publish(ngx_http_llm_zone_t *zone, u_char *json, size_t len,
    ngx_log_t *log, u_char *err, size_t errlen)
{
    char           msg[256];
    llm_config_t  *cf;

    cf = llm_config_parse((char *) json, len, msg, sizeof(msg));

    if (cf == NULL) {
        ngx_snprintf(err, errlen, "%s%Z", msg);
        return NGX_DECLINED;
    }

    llm_config_free(cf);

    if (ngx_http_llm_store(zone, &zone->sh->config, json, len) != NGX_OK) {
        ngx_snprintf(err, errlen, "llm_zone is too small for the config%Z");
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "llm: published config generation %uA",
                  zone->sh->config.generation);

    return NGX_OK;
}


/*
 * The tables for this request, rebuilt first if controld published since.
 * The request holds a reference until its pool goes away, so in-flight
 * requests finish on the tables they started with.
 */

ngx_http_llm_tables_t *
ngx_http_llm_tables_acquire(ngx_http_request_t *r)
{
    u_char                    *copy;
    size_t                     len;
    ngx_atomic_uint_t          gen;
    ngx_pool_cleanup_t        *cln;
    ngx_http_llm_zone_t       *zone;
    ngx_http_llm_tables_t     *t;
    ngx_http_llm_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);
    zone = lmcf->shm_zone->data;

    gen = zone->sh->config.generation;

    if (ngx_http_llm_current == NULL
        || ngx_http_llm_current->generation != gen)
    {
        copy = ngx_http_llm_blob_copy(zone, &zone->sh->config, &gen, &len,
                                      r->connection->log);

        if (copy) {
            t = ngx_http_llm_tables_build(zone, copy, len, gen,
                                          r->connection->log);
            ngx_free(copy);

            if (t != NULL) {
                if (ngx_http_llm_current) {
                    ngx_http_llm_tables_release(ngx_http_llm_current);
                }

                ngx_http_llm_current = t;
            }
        }
    }

    t = ngx_http_llm_current;

    if (t == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    t->refs++;
    cln->handler = ngx_http_llm_tables_release;
    cln->data = t;

    return t;
}


/*
 * nginx's keepalive cache matches a cached connection by the peer's
 * sockaddr alone, so two providers that share an address (one CDN edge,
 * or one server under two names) would share connections, one of them
 * riding a TLS session opened with the other's server name.  The
 * provider's scheme and host go into bytes of its sockaddr that connect()
 * ignores, which the cache does compare: sin_zero for IPv4, sin6_flowinfo
 * for IPv6 (sent only with IPV6_FLOWINFO_SEND, which nginx never sets).
 */

static void
ngx_http_llm_tag_sockaddr(struct sockaddr *sa, llm_deployment_t *d)
{
    uint32_t              tag[2];
    uint32_t              crc;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, (u_char *) d->scheme, ngx_strlen(d->scheme));
    ngx_crc32_update(&crc, (u_char *) "://", 3);
    ngx_crc32_update(&crc, (u_char *) d->host, ngx_strlen(d->host));
    ngx_crc32_final(crc);

    tag[0] = crc;
    tag[1] = ngx_murmur_hash2((u_char *) d->host, ngx_strlen(d->host));

    switch (sa->sa_family) {

    case AF_INET:
        ngx_memcpy(((struct sockaddr_in *) sa)->sin_zero, tag,
                   sizeof(((struct sockaddr_in *) sa)->sin_zero));
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        sin6->sin6_flowinfo = tag[0];
        break;
#endif
    }
}


/*
 * The provider's credential and API headers, as the header lines the
 * balancer splices into each request proxy builds for this deployment.
 * Keys are one line: controld refuses control characters in them, and a
 * snapshot edited by hand gets no header line out of one either.
 */

static ngx_int_t
ngx_http_llm_dep_headers(ngx_pool_t *pool, ngx_http_llm_dep_t *nd,
    llm_deployment_t *d, ngx_log_t *log)
{
    u_char      *p;
    size_t       len;
    const char  *name, *prefix, *key, *version, *c;

    key = (d->api_key && d->api_key[0]) ? d->api_key : NULL;

    for (c = key; c && *c; c++) {
        if ((u_char) *c < 0x20 || *c == 0x7f) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "llm: deployment \"%s\": api_key has a control "
                          "character, not sent", d->id);
            key = NULL;
            break;
        }
    }

    prefix = "";
    version = "";

    /* the wire format's own headers (Vertex AI's Claude has its version
       in the body) */
    if (d->api == LLM_API_ANTHROPIC && d->wire != LLM_WIRE_VERTEX_ANTHROPIC) {
        version = "Anthropic-Version: " NGX_HTTP_LLM_ANTHROPIC_VERSION CRLF;
    }

    /* the credential, as the provider's row says */
    switch (d->auth) {

    case LLM_AUTH_HEADER:
        name = d->auth_header;
        break;

    case LLM_AUTH_BEARER:
    case LLM_AUTH_OAUTH2:
        name = "Authorization";
        prefix = "Bearer ";
        break;

    default:
        /* none; SigV4 signs each request instead */
        name = NULL;
        key = NULL;
    }

    len = ngx_strlen(version);

    if (key) {
        len += ngx_strlen(name) + sizeof(": ") - 1 + ngx_strlen(prefix)
               + ngx_strlen(key) + sizeof(CRLF) - 1;
    }

    if (len == 0) {
        return NGX_OK;
    }

    nd->headers.data = ngx_pnalloc(pool, len);
    if (nd->headers.data == NULL) {
        return NGX_ERROR;
    }

    p = nd->headers.data;

    if (key) {
        p = ngx_sprintf(p, "%s: %s%s" CRLF, name, prefix, key);
    }

    p = ngx_cpymem(p, version, ngx_strlen(version));

    nd->headers.len = p - nd->headers.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_llm_dep_init(ngx_pool_t *pool, ngx_http_llm_dep_t *nd,
    llm_deployment_t *d, ngx_log_t *log)
{
    size_t       i, len;
    ngx_int_t    rc;
    ngx_addr_t   addr;
    const char  *a;

    nd->dep = d;

    if (d->provider == LLM_PROVIDER_MOCK) {
        return NGX_OK;
    }

    nd->addrs = ngx_pcalloc(pool, sizeof(ngx_addr_t) * (d->naddrs + 1));
    if (nd->addrs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < d->naddrs; i++) {
        a = d->addrs[i];
        len = ngx_strlen(a);

        rc = ngx_parse_addr_port(pool, &addr, (u_char *) a, len);

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "llm: deployment \"%s\": bad address \"%s\"",
                          d->id, a);
            continue;
        }

        addr.name.len = len;
        addr.name.data = (u_char *) a;
        ngx_http_llm_tag_sockaddr(addr.sockaddr, d);
        nd->addrs[nd->naddrs++] = addr;
    }

    nd->ssl = (ngx_strcmp(d->scheme, "https") == 0);

    /* Host carries the port only when it is not the scheme's default */
    if ((d->port == 443 && ngx_strcmp(d->scheme, "https") == 0)
        || (d->port == 80 && ngx_strcmp(d->scheme, "http") == 0))
    {
        nd->host.data = (u_char *) d->host;
        nd->host.len = ngx_strlen(d->host);

    } else {
        nd->host.data = ngx_pnalloc(pool, ngx_strlen(d->host) + 8);
        if (nd->host.data == NULL) {
            return NGX_ERROR;
        }

        nd->host.len = ngx_sprintf(nd->host.data, "%s:%d", d->host, d->port)
                       - nd->host.data;
    }

    nd->api_base.data = ngx_pnalloc(pool, ngx_strlen(d->scheme) + 3
                                          + nd->host.len
                                          + ngx_strlen(d->base_path));
    if (nd->api_base.data == NULL) {
        return NGX_ERROR;
    }

    nd->api_base.len = ngx_sprintf(nd->api_base.data, "%s://%V%s", d->scheme,
                                   &nd->host, d->base_path)
                       - nd->api_base.data;

    return ngx_http_llm_dep_headers(pool, nd, d, log);
}


/*
 * A pass-through route's listed headers, as header lines for the
 * balancer.  Host, Connection and the body's framing stay proxy's.
 */

static ngx_int_t
ngx_http_llm_pass_headers(ngx_pool_t *pool, ngx_http_llm_dep_t *nd,
    llm_pass_route_t *pr)
{
    u_char      *p;
    size_t       i, len;
    const char  *name;

    static const char  *own[] = { "host", "connection", "content-length",
                                  "transfer-encoding" };

    if (pr->nheaders == 0) {
        return NGX_OK;
    }

    for (len = 0, i = 0; i < pr->nheaders; i++) {
        len += ngx_strlen(pr->header_names[i]) + sizeof(": ") - 1
               + ngx_strlen(pr->header_values[i]) + sizeof(CRLF) - 1;
    }

    p = ngx_pnalloc(pool, len);
    nd->headers.data = p;

    for (i = 0; p && i < pr->nheaders; i++) {
        name = pr->header_names[i];

        if (ngx_strcasecmp((u_char *) name, (u_char *) own[0]) == 0
            || ngx_strcasecmp((u_char *) name, (u_char *) own[1]) == 0
            || ngx_strcasecmp((u_char *) name, (u_char *) own[2]) == 0
            || ngx_strcasecmp((u_char *) name, (u_char *) own[3]) == 0)
        {
            continue;
        }

        p = ngx_sprintf(p, "%s: %s" CRLF, name, pr->header_values[i]);
    }

    if (p == NULL) {
        return NGX_ERROR;
    }

    nd->headers.len = p - nd->headers.data;

    return NGX_OK;
}


static ngx_http_llm_tables_t *
ngx_http_llm_tables_build(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, ngx_atomic_uint_t generation, ngx_log_t *log)
{
    char                       err[256];
    size_t                     i;
    ngx_pool_t                *pool;
    llm_config_t              *cf;
    ngx_http_llm_tables_t     *t;
    ngx_http_llm_main_conf_t  *lmcf;

    cf = llm_config_parse((char *) json, len, err, sizeof(err));

    if (cf == NULL) {
        /* published configs were validated; this is a zone corruption */
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "llm: published config unusable: %s", err);
        return NULL;
    }

    /*
     * The tables outlive the request that builds them: their pool must not
     * log through that request's connection.
     */
    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        llm_config_free(cf);
        return NULL;
    }

    t = ngx_pcalloc(pool, sizeof(ngx_http_llm_tables_t));
    if (t == NULL) {
        goto failed;
    }

    t->pool = pool;
    t->cf = cf;
    t->generation = generation;
    t->refs = 1;                       /* held as the current tables */

    t->deps = ngx_pcalloc(pool, sizeof(ngx_http_llm_dep_t)
                                * (cf->ndeployments + 1));
    if (t->deps == NULL) {
        goto failed;
    }

    for (i = 0; i < cf->ndeployments; i++) {
        if (ngx_http_llm_dep_init(pool, &t->deps[i], &cf->deployments[i], log)
            != NGX_OK)
        {
            goto failed;
        }

        t->deps[i].slot = ngx_http_llm_slot(zone, cf->deployments[i].id);

        if (t->deps[i].slot == NULL) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "llm: no zone slot for deployment \"%s\": its "
                          "router state is not shared", cf->deployments[i].id);
        }
    }

    t->pass = ngx_pcalloc(pool, sizeof(ngx_http_llm_dep_t)
                                * (cf->npass + 1));
    if (t->pass == NULL) {
        goto failed;
    }

    for (i = 0; i < cf->npass; i++) {
        if (ngx_http_llm_dep_init(pool, &t->pass[i], &cf->pass[i].target, log)
            != NGX_OK
            || ngx_http_llm_pass_headers(pool, &t->pass[i], &cf->pass[i])
               != NGX_OK)
        {
            goto failed;
        }
    }

    /* tables are built by workers, when the http block exists */
    lmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_llm_module);

    cf->price_table = lmcf ? lmcf->prices : NULL;

    t->router = llm_router_conf_build(cf, err, sizeof(err));
    if (t->router == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "llm: router: %s", err);
        goto failed;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "llm: tables generation %uA, %uz deployments",
                   generation, cf->ndeployments);

    return t;

failed:

    llm_config_free(cf);
    ngx_destroy_pool(pool);

    return NULL;
}


static void
ngx_http_llm_tables_release(void *data)
{
    ngx_http_llm_tables_t  *t = data;

    if (--t->refs) {
        return;
    }

    llm_router_conf_free(t->router);
    llm_config_free(t->cf);
    ngx_destroy_pool(t->pool);
}
