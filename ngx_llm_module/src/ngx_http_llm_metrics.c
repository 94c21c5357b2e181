
/*
 * The metrics zone and the counting: the log phase adds to the zone with
 * atomics only (ngx_http_llm_metrics_request, _failure).  A scrape renders
 * it: ngx_http_llm_metrics_text.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_metrics.h"


static ngx_int_t ngx_http_llm_metrics_zone_init(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_llm_metrics_pass(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);


/* the configuration being read sets it; workers inherit it */
ngx_http_llm_metrics_ctx_t  *ngx_http_llm_metrics_ctx;

char *
ngx_http_llm_metrics_zone_add(ngx_conf_t *cf, ngx_str_t *name,
    ngx_shm_zone_t *llm_zone)
{
    size_t                       size;
    ngx_str_t                    mname;
    ngx_shm_zone_t              *shm_zone;
    ngx_http_llm_metrics_ctx_t  *ctx;

    mname.len = name->len + sizeof("_metrics") - 1;
    mname.data = ngx_pnalloc(cf->pool, mname.len);
    if (mname.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(ngx_cpymem(mname.data, name->data, name->len), "_metrics",
               sizeof("_metrics") - 1);

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_llm_metrics_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    /* the structure, plus the slab pool's own pages and header */
    size = ngx_align(sizeof(ngx_http_llm_metrics_sh_t), ngx_pagesize)
           + 16 * ngx_pagesize;

    shm_zone = ngx_shared_memory_add(cf, &mname, size, &ngx_http_llm_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->llm_zone = llm_zone;
    shm_zone->init = ngx_http_llm_metrics_zone_init;
    shm_zone->data = ctx;

    ngx_http_llm_metrics_ctx = ctx;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_llm_metrics_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_llm_metrics_ctx_t  *octx = data;

    ngx_slab_pool_t             *shpool;
    ngx_http_llm_metrics_ctx_t  *ctx;

    ctx = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx != NULL || shm_zone->shm.exists) {
        /* a reload keeps the counters (a new layout starts them anew) */
        ctx->sh = shpool->data;

        if (ctx->sh->layout != NGX_HTTP_LLM_METRICS_LAYOUT) {
            ngx_memzero(ctx->sh, sizeof(ngx_http_llm_metrics_sh_t));
            ctx->sh->layout = NGX_HTTP_LLM_METRICS_LAYOUT;
        }

        return NGX_OK;
    }

    ctx->sh = ngx_slab_calloc(shpool, sizeof(ngx_http_llm_metrics_sh_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->sh->layout = NGX_HTTP_LLM_METRICS_LAYOUT;
    shpool->data = ctx->sh;

    return NGX_OK;
}


/*
 * llm_metrics_collect off: requests are not counted (every counter stays
 * at zero; state gauges still show).  What counting costs a request is
 * measured with it (make bench, target e).
 */

void
ngx_http_llm_metrics_collect(ngx_flag_t on)
{
    if (ngx_http_llm_metrics_ctx != NULL) {
        ngx_http_llm_metrics_ctx->collect = on;
    }
}


/* the row of a deployment slot of the llm zone (NULL: none) */

ngx_http_llm_dep_metrics_t *
ngx_http_llm_metrics_row(ngx_http_llm_slot_t *slot)
{
    ngx_uint_t            i;
    ngx_http_llm_zone_t  *zone;

    if (ngx_http_llm_metrics_ctx == NULL
        || ngx_http_llm_metrics_ctx->sh == NULL)
    {
        return NULL;
    }

    if (slot == NULL) {
        return &ngx_http_llm_metrics_ctx->sh->unrouted;
    }

    zone = ngx_http_llm_metrics_ctx->llm_zone->data;
    i = slot - zone->sh->slots;

    return i < NGX_HTTP_LLM_SLOTS ? &ngx_http_llm_metrics_ctx->sh->deps[i]
                                  : NULL;
}


/*
 * Log phase, once per gateway request: a few atomic additions on the
 * row of the deployment that answered last (or the unrouted row).
 */

void
ngx_http_llm_metrics_request(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_msec_t                   ms;
    ngx_uint_t                   retries;
    ngx_http_llm_dep_metrics_t  *m;

    if (ctx->endpoint == LLM_ROUTE_NONE) {
        return;                          /* the management API */
    }

    if (ngx_http_llm_metrics_ctx == NULL
        || !ngx_http_llm_metrics_ctx->collect)
    {
        return;
    }

    if (ctx->endpoint == LLM_ROUTE_PASS) {
        ngx_http_llm_metrics_pass(r, ctx);
        return;
    }

    m = ngx_http_llm_metrics_row(ctx->dep ? ctx->dep->slot : NULL);
    if (m == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&m->requests[ctx->api % LLM_API_CLIENT_COUNT]
                       [llm_metrics_status_class(r->headers_out.status)], 1);

    ms = ngx_current_msec - ctx->start;
    (void) ngx_atomic_fetch_add(&m->duration[llm_metrics_bucket(ms)], 1);
    (void) ngx_atomic_fetch_add(&m->duration_us, (ngx_atomic_int_t) ms * 1000);

    if (ctx->stream && ctx->first_byte) {
        ms = ctx->first_byte - ctx->start;
        (void) ngx_atomic_fetch_add(&m->ttft[llm_metrics_bucket(ms)], 1);
        (void) ngx_atomic_fetch_add(&m->ttft_us, (ngx_atomic_int_t) ms * 1000);
    }

    if (ctx->dep == NULL) {
        return;
    }

    ngx_http_llm_usage_final(ctx);

    if (ctx->usage.prompt_tokens > 0) {
        (void) ngx_atomic_fetch_add(&m->input_tokens,
                                    ctx->usage.prompt_tokens);
    }

    if (ctx->usage.completion_tokens > 0) {
        (void) ngx_atomic_fetch_add(&m->output_tokens,
                                    ctx->usage.completion_tokens);
    }

    if (ctx->cost) {
        (void) ngx_atomic_fetch_add(&m->spend_micros, ctx->cost);
    }

    /* attempts after the first, less those that went to a fallback group */
    retries = ctx->attempts > 1 + ctx->fallbacks_used
              ? ctx->attempts - 1 - ctx->fallbacks_used : 0;

    if (retries) {
        (void) ngx_atomic_fetch_add(&m->retries, retries);
    }

    if (ctx->fallbacks_used) {
        (void) ngx_atomic_fetch_add(&m->fallbacks, ctx->fallbacks_used);
    }
}


/*
 * A pass-through request, on the row of its route's configured path (the
 * pass target's id): found among the rows in use, else a free one is
 * claimed; with every row taken it counts in pass_dropped only.
 */

static void
ngx_http_llm_metrics_pass(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    size_t                        len;
    ngx_msec_t                    ms;
    ngx_uint_t                    i;
    const char                   *path;
    ngx_http_llm_metrics_sh_t    *sh;
    ngx_http_llm_pass_metrics_t  *m;

    if (ngx_http_llm_metrics_ctx == NULL
        || ngx_http_llm_metrics_ctx->sh == NULL || ctx->dep == NULL)
    {
        return;
    }

    sh = ngx_http_llm_metrics_ctx->sh;
    path = ctx->dep->dep->id;
    len = ngx_min(ngx_strlen(path), NGX_HTTP_LLM_PASS_PATH_MAX - 1);
    m = NULL;

    for (i = 0; i < NGX_HTTP_LLM_PASS_ROWS; /* void */) {

        while (sh->pass[i].state == 1) {
            ngx_cpu_pause();            /* another worker writes its path */
        }

        if (sh->pass[i].state == 2) {
            if (ngx_strncmp(sh->pass[i].path, path, len) == 0
                && sh->pass[i].path[len] == '\0')
            {
                m = &sh->pass[i];
                break;
            }

            i++;
            continue;
        }

        if (ngx_atomic_cmp_set(&sh->pass[i].state, 0, 1)) {
            /* first seen: rows fill in order, so no later row has it */
            ngx_memcpy(sh->pass[i].path, path, len);
            sh->pass[i].path[len] = '\0';
            ngx_memory_barrier();
            sh->pass[i].state = 2;
            m = &sh->pass[i];
            break;
        }

        /* claimed by another worker meanwhile: look at this row again */
    }

    if (m == NULL) {
        (void) ngx_atomic_fetch_add(&sh->pass_dropped, 1);
        return;
    }

    (void) ngx_atomic_fetch_add(&m->requests
                       [llm_metrics_status_class(r->headers_out.status)], 1);

    ms = ngx_current_msec - ctx->start;
    (void) ngx_atomic_fetch_add(&m->duration[llm_metrics_bucket(ms)], 1);
    (void) ngx_atomic_fetch_add(&m->duration_us, (ngx_atomic_int_t) ms * 1000);
}


/* A failed attempt on a deployment, and whether it cooled it down. */

void
ngx_http_llm_metrics_failure(ngx_http_llm_slot_t *slot, llm_err_class_t cls,
    ngx_uint_t cooled)
{
    ngx_http_llm_dep_metrics_t  *m;

    if (slot == NULL || (ngx_uint_t) cls >= LLM_ERR_NCLASSES
        || ngx_http_llm_metrics_ctx == NULL
        || !ngx_http_llm_metrics_ctx->collect)
    {
        return;
    }

    m = ngx_http_llm_metrics_row(slot);
    if (m == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&m->failures[cls], 1);

    if (cooled) {
        (void) ngx_atomic_fetch_add(&m->cooldowns[cls], 1);
    }
}


void
ngx_http_llm_metrics_controld_seen(void)
{
    if (ngx_http_llm_metrics_ctx && ngx_http_llm_metrics_ctx->sh) {
        ngx_http_llm_metrics_ctx->sh->controld_seen = ngx_time();
    }
}
