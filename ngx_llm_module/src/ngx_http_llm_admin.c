
/*
 * llm_admin: the control plane's door into the zone, meant for a unix
 * socket that only controld can open.
 *
 *   POST /_llm/config   publish a canonical config (validated first)
 *   POST /_llm/keys     publish the key table
 *   POST /_llm/rates    the other gateway nodes' rate windows (controld,
 *                       from Redis); changes counters only
 *   GET  /_llm/status   generation, model names, each deployment's
 *                       state (healthy or cooling until when, and why);
 *                       never a secret
 *   GET  /_llm/usage    monotonic usage counters
 *   GET  /_llm/responses   stored responses not yet durable, and
 *   POST /_llm/responses   controld's acknowledgements of them
 *                          (ngx_http_llm_rstore_admin.c)
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_module.h"
#include "ngx_http_llm_metrics.h"


static ngx_int_t ngx_http_llm_admin_handler(ngx_http_request_t *r);
static void ngx_http_llm_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_admin_status(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_admin_usage(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_admin_responses(ngx_http_request_t *r);
static size_t ngx_http_llm_admin_states_len(llm_config_t *cf);
static u_char *ngx_http_llm_admin_states(u_char *p,
    ngx_http_llm_tables_t *t);
static ngx_int_t ngx_http_llm_admin_send(ngx_http_request_t *r,
    ngx_uint_t status, u_char *data, size_t len);


char *
ngx_http_llm_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_llm_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_llm_module);

    if (lmcf->shm_zone == NULL) {
        return "requires \"llm_zone\" at the http level before it";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_llm_admin_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_llm_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->uri.len == sizeof("/_llm/status") - 1
        && ngx_strncmp(r->uri.data, "/_llm/status", r->uri.len) == 0)
    {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_llm_admin_status(r);
    }

    if (r->uri.len == sizeof("/_llm/usage") - 1
        && ngx_strncmp(r->uri.data, "/_llm/usage", r->uri.len) == 0)
    {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_llm_admin_usage(r);
    }

    if (r->uri.len == sizeof("/_llm/responses") - 1
        && ngx_strncmp(r->uri.data, "/_llm/responses", r->uri.len) == 0
        && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_llm_admin_responses(r);
    }

    if ((r->uri.len == sizeof("/_llm/config") - 1
         && ngx_strncmp(r->uri.data, "/_llm/config", r->uri.len) == 0)
        || (r->uri.len == sizeof("/_llm/keys") - 1
            && ngx_strncmp(r->uri.data, "/_llm/keys", r->uri.len) == 0)
        || (r->uri.len == sizeof("/_llm/rates") - 1
            && ngx_strncmp(r->uri.data, "/_llm/rates", r->uri.len) == 0)
        || (r->uri.len == sizeof("/_llm/responses") - 1
            && ngx_strncmp(r->uri.data, "/_llm/responses", r->uri.len)
               == 0))
    {
        if (r->method != NGX_HTTP_POST) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        rc = ngx_http_read_client_request_body(r, ngx_http_llm_admin_body);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    return NGX_HTTP_NOT_FOUND;
}


static void
ngx_http_llm_admin_body(ngx_http_request_t *r)
{
    u_char                    *json, *p;
    size_t                     len;
    ngx_int_t                  rc;
    ngx_uint_t                 applied;
    const char                *what;
    ngx_chain_t               *cl;
    ngx_http_llm_zone_t       *zone;
    ngx_http_llm_main_conf_t  *lmcf;
    u_char                     err[512], out[600];

    if (r->request_body == NULL || r->request_body->bufs == NULL
        || r->request_body->temp_file)
    {
        p = ngx_sprintf(out, "{\"error\":\"empty body, or larger than "
                        "client_body_buffer_size\"}");
        ngx_http_finalize_request(r,
                                  ngx_http_llm_admin_send(r,
                                                NGX_HTTP_BAD_REQUEST, out,
                                                p - out));
        return;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    json = ngx_pnalloc(r->pool, len + 1);
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = json;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);
    zone = lmcf->shm_zone->data;

    applied = 0;

    /* /_llm/config, /_llm/keys, /_llm/rates or /_llm/responses */
    switch (r->uri.data[sizeof("/_llm/") - 1]) {
    case 'k':
        what = "key table";
        rc = ngx_http_llm_publish_keys(zone, json, len, r->connection->log,
                                       err, sizeof(err));
        break;

    case 'r':
        if (r->uri.data[sizeof("/_llm/r") - 1] == 'e') {
            what = "responses sync";
            rc = ngx_http_llm_rstore_sync(zone, json, len, err, sizeof(err),
                                          &applied);
            break;
        }

        what = "rates";
        rc = ngx_http_llm_publish_rates(zone, json, len, r->connection->log,
                                        err, sizeof(err), &applied);
        break;

    default:
        what = "config";
        rc = ngx_http_llm_publish(zone, json, len, r->connection->log, err,
                                  sizeof(err));
        break;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llm: %s rejected: %s", what, err);

        p = ngx_cpymem(out, "{\"error\":", 9);
        p += llm_json_quote((char *) err, ngx_strlen(err), (char *) p);
        *p++ = '}';

        ngx_http_finalize_request(r,
                                  ngx_http_llm_admin_send(r,
                                                NGX_HTTP_BAD_REQUEST, out,
                                                p - out));
        return;
    }

    if (r->uri.data[sizeof("/_llm/") - 1] == 'r') {
        p = ngx_sprintf(out, "{\"applied\":%ui}", applied);

    } else {
        p = ngx_sprintf(out, "{\"generation\":%uA,"
                        "\"keys_generation\":%uA}",
                        zone->sh->config.generation,
                        zone->sh->keys.generation);
    }

    ngx_http_finalize_request(r, ngx_http_llm_admin_send(r, NGX_HTTP_OK, out,
                                                         p - out));
}


static ngx_int_t
ngx_http_llm_admin_status(ngx_http_request_t *r)
{
    u_char                    *p, *start;
    size_t                     i, len;
    ngx_uint_t                 pages, free_pages;
    llm_config_t              *cf;
    llm_disabled_t            *dis;
    ngx_http_llm_zone_t       *zone;
    ngx_http_llm_tables_t     *t;
    ngx_http_llm_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);
    zone = lmcf->shm_zone->data;

    t = ngx_http_llm_tables_acquire(r);
    cf = t ? t->cf : NULL;

    /* the zone's pages in use: leak checks compare it with a baseline */
    ngx_shmtx_lock(&zone->shpool->mutex);
    pages = (zone->shpool->end - zone->shpool->start) / ngx_pagesize;
    free_pages = zone->shpool->pfree;
    ngx_shmtx_unlock(&zone->shpool->mutex);

    len = sizeof("{\"generation\":,\"deployments\":,\"loaded_at\":,"
                 "\"keys\":{\"generation\":},\"zone\":{\"pages\":,"
                 "\"free_pages\":},\"models\":[],\"disabled\":[]}")
          + 6 * NGX_INT64_LEN + ngx_http_llm_admin_states_len(cf);

    for (i = 0; cf && i < cf->ngroups; i++) {
        len += LLM_JSON_QUOTED_MAX(ngx_strlen(cf->groups[i].name)) + 1;
    }

    for (i = 0; cf && i < cf->ndisabled; i++) {
        dis = &cf->disabled[i];
        len += sizeof("{\"model_name\":,\"model\":,\"reason\":},")
               + LLM_JSON_QUOTED_MAX(ngx_strlen(dis->model_name))
               + LLM_JSON_QUOTED_MAX(ngx_strlen(dis->model))
               + LLM_JSON_QUOTED_MAX(ngx_strlen(dis->reason));
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(start, "{\"generation\":%uA,\"deployments\":%uz,"
                    "\"loaded_at\":%T,\"keys\":{\"generation\":%uA},"
                    "\"zone\":{\"pages\":%ui,\"free_pages\":%ui},"
                    "\"models\":[",
                    t ? t->generation : 0,
                    cf ? cf->ndeployments : 0, zone->sh->config.loaded_at,
                    zone->sh->keys.generation, pages, free_pages);

    for (i = 0; cf && i < cf->ngroups; i++) {
        if (i) {
            *p++ = ',';
        }

        p += llm_json_quote(cf->groups[i].name, ngx_strlen(cf->groups[i].name),
                            (char *) p);
    }

    /* what controld could not serve, and why (no secrets in either) */
    p = ngx_cpymem(p, "],\"disabled\":[", sizeof("],\"disabled\":[") - 1);

    for (i = 0; cf && i < cf->ndisabled; i++) {
        dis = &cf->disabled[i];

        p = ngx_cpymem(p, i ? ",{\"model_name\":" : "{\"model_name\":",
                       i ? 15 : 14);
        p += llm_json_quote(dis->model_name, ngx_strlen(dis->model_name),
                            (char *) p);
        p = ngx_cpymem(p, ",\"model\":", 9);
        p += llm_json_quote(dis->model, ngx_strlen(dis->model), (char *) p);
        p = ngx_cpymem(p, ",\"reason\":", 10);
        p += llm_json_quote(dis->reason, ngx_strlen(dis->reason), (char *) p);
        *p++ = '}';
    }

    *p++ = ']';

    if (t != NULL) {
        p = ngx_http_llm_admin_states(p, t);
    }

    *p++ = '}';

    return ngx_http_llm_admin_send(r, NGX_HTTP_OK, start, p - start);
}


#define NGX_HTTP_LLM_CLASS_NAME_MAX  32

static size_t
ngx_http_llm_admin_states_len(llm_config_t *cf)
{
    size_t             len;
    ngx_uint_t         i;
    llm_deployment_t  *d;

    len = sizeof(",\"deployment_states\":[]");

    for (i = 0; cf && i < cf->ndeployments; i++) {
        d = &cf->deployments[i];
        len += sizeof("{\"id\":,\"model_name\":,\"state\":\"cooling\","
                      "\"until\":,\"reason\":\"\",\"in_flight\":},")
               + LLM_JSON_QUOTED_MAX(ngx_strlen(d->id))
               + LLM_JSON_QUOTED_MAX(ngx_strlen(d->model_name))
               + 2 * NGX_INT64_LEN + NGX_HTTP_LLM_CLASS_NAME_MAX;
    }

    return len;
}


/*
 * The router's view of each deployment, read from the zone: what the
 * console's overview and llmctl show as "cooling down until ... (why)".
 */

static u_char *
ngx_http_llm_admin_states(u_char *p, ngx_http_llm_tables_t *t)
{
    uint64_t           now;
    ngx_uint_t         i;
    const char        *reason;
    llm_dep_state_t    st;
    llm_deployment_t  *d;

    now = ngx_http_llm_now_ms();

    p = ngx_cpymem(p, ",\"deployment_states\":[",
                   sizeof(",\"deployment_states\":[") - 1);

    for (i = 0; i < t->cf->ndeployments; i++) {
        d = &t->cf->deployments[i];

        if (t->deps[i].slot == NULL) {
            ngx_memzero(&st, sizeof(llm_dep_state_t));

        } else {
            ngx_http_llm_state_read(t->deps[i].slot, &st);
        }

        p = ngx_cpymem(p, i ? ",{\"id\":" : "{\"id\":", i ? 7 : 6);
        p += llm_json_quote(d->id, ngx_strlen(d->id), (char *) p);
        p = ngx_cpymem(p, ",\"model_name\":", 14);
        p += llm_json_quote(d->model_name, ngx_strlen(d->model_name),
                            (char *) p);

        if (st.cooldown_until_ms > now) {
            reason = llm_err_class_name((llm_err_class_t) st.cooldown_class);
            p = ngx_sprintf(p, ",\"state\":\"cooling\",\"until\":%uL,"
                            "\"reason\":\"%*s\"",
                            st.cooldown_until_ms / 1000,
                            ngx_min(ngx_strlen(reason),
                                    NGX_HTTP_LLM_CLASS_NAME_MAX),
                            reason);

        } else {
            p = ngx_cpymem(p, ",\"state\":\"healthy\"",
                           sizeof(",\"state\":\"healthy\"") - 1);
        }

        p = ngx_sprintf(p, ",\"in_flight\":%uL}", st.in_flight);
    }

    *p++ = ']';

    return p;
}


static ngx_int_t
ngx_http_llm_admin_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len)
{
    u_char  *p;

    /* callers may pass stack memory: the response must own its bytes */
    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, data, len);

    return ngx_http_llm_send_body(r, status, "application/json", p, len);
}


static ngx_int_t
ngx_http_llm_admin_usage(ngx_http_request_t *r)
{
    u_char  *p;
    size_t   len;

    ngx_http_llm_metrics_controld_seen();

    p = ngx_http_llm_usage_json(r, &len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p, len);
}


static ngx_int_t
ngx_http_llm_admin_responses(ngx_http_request_t *r)
{
    u_char  *p;
    size_t   len;

    p = ngx_http_llm_rstore_drain(r, &len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_llm_send_body(r, NGX_HTTP_OK, "application/json", p, len);
}
