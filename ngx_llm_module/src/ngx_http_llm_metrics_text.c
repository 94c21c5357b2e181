
/*
 * /metrics: Prometheus text format 0.0.4 from the metrics zone
 * (docs/operations.md lists the families).  A scrape reads the zone
 * without locks and writes into one growing buffer, the response.
 *
 *   location = /metrics { llm_management; llm_metrics; }   # master key
 *   location = /metrics { llm_metrics litellm; }           # + LiteLLM's
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_metrics.h"


/* llm_metrics' argument: which names a scrape carries */
#define NGX_HTTP_LLM_METRICS_NATIVE   1
#define NGX_HTTP_LLM_METRICS_LITELLM  2


/* a deployment's row with what its labels say */
typedef struct {
    ngx_http_llm_dep_metrics_t   *m;
    const char                   *group;
    const char                   *id;
    const char                   *provider;
    ngx_http_llm_slot_t          *slot;
} ngx_http_llm_metrics_row_t;


static ngx_int_t ngx_http_llm_metrics_native_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_metrics_litellm_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_llm_metrics_both_handler(ngx_http_request_t *r);
static void ngx_http_llm_metrics_free(void *data);
static int ngx_http_llm_metrics_pass_requests(llm_buf_t *b);
static int ngx_http_llm_metrics_pass_durations(llm_buf_t *b,
    const char *name);


static void
ngx_http_llm_metrics_dep_labels(llm_metrics_labels_t *l,
    ngx_http_llm_metrics_row_t *row, ngx_uint_t litellm)
{
    l->n = 0;

    if (litellm) {
        llm_metrics_label(l, "litellm_model_name", row->group);
        llm_metrics_label(l, "model_id", row->id);
        llm_metrics_label(l, "api_provider", row->provider);
        llm_metrics_label(l, "requested_model", row->group);
        return;
    }

    llm_metrics_label(l, "model_group", row->group);
    llm_metrics_label(l, "deployment", row->id);
    llm_metrics_label(l, "provider", row->provider);
}


/* one family over all rows, from a counter at offset off of each row */

static int
ngx_http_llm_metrics_counter(llm_buf_t *b, const char *name,
    const char *help, ngx_http_llm_metrics_row_t *rows, ngx_uint_t n,
    size_t off, ngx_uint_t micros, ngx_uint_t litellm)
{
    ngx_uint_t             i;
    uint64_t               v;
    llm_metrics_labels_t   l;

    if (llm_metrics_family(b, name, "counter", help) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = *(ngx_atomic_t *) ((u_char *) rows[i].m + off);
        ngx_http_llm_metrics_dep_labels(&l, &rows[i], litellm);

        if ((micros ? llm_metrics_sample_micros(b, name, &l, v)
                    : llm_metrics_sample(b, name, &l, v)) != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
ngx_http_llm_metrics_histograms(llm_buf_t *b, const char *name,
    const char *help, ngx_http_llm_metrics_row_t *rows, ngx_uint_t n,
    ngx_uint_t ttft, ngx_uint_t litellm)
{
    ngx_uint_t             i, k;
    uint64_t               counts[LLM_METRICS_NBUCKETS + 1];
    llm_metrics_labels_t   l;

    if (llm_metrics_family(b, name, "histogram", help) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        for (k = 0; k <= LLM_METRICS_NBUCKETS; k++) {
            counts[k] = ttft ? rows[i].m->ttft[k] : rows[i].m->duration[k];
        }

        ngx_http_llm_metrics_dep_labels(&l, &rows[i], litellm);

        if (llm_metrics_histogram(b, name, &l, counts,
                                  ttft ? rows[i].m->ttft_us
                                       : rows[i].m->duration_us) != 0)
        {
            return -1;
        }
    }

    return (ttft || litellm) ? 0
                             : ngx_http_llm_metrics_pass_durations(b, name);
}


/* requests by ingress and status class, nonzero series only */

static int
ngx_http_llm_metrics_requests(llm_buf_t *b, ngx_http_llm_metrics_row_t *rows,
    ngx_uint_t n)
{
    ngx_uint_t             i, a, c;
    uint64_t               v;
    llm_metrics_labels_t   l;

    static const char  name[] = "llm_requests_total";

    if (llm_metrics_family(b, name, "counter",
                           "Requests by model group, deployment (empty: none "
                           "served it), provider, ingress API and status "
                           "class; pass-through routes by "
                           "endpoint=\"pass_through\", route (the "
                           "configured path) and status class.") != 0)
    {
        return -1;
    }

    for (i = 0; i < n; i++) {
        for (a = 0; a < LLM_API_CLIENT_COUNT; a++) {
            for (c = 0; c < LLM_METRICS_NCLASSES; c++) {
                v = rows[i].m->requests[a][c];

                if (v == 0) {
                    continue;
                }

                ngx_http_llm_metrics_dep_labels(&l, &rows[i], 0);
                llm_metrics_label(&l, "ingress", llm_api_name(a));
                llm_metrics_label(&l, "status_class",
                                  llm_metrics_class_names[c]);

                if (llm_metrics_sample(b, name, &l, v) != 0) {
                    return -1;
                }
            }
        }
    }

    return ngx_http_llm_metrics_pass_requests(b);
}


/* pass-through routes' requests, in llm_requests_total */

static int
ngx_http_llm_metrics_pass_requests(llm_buf_t *b)
{
    ngx_uint_t                    i, c;
    uint64_t                      v;
    llm_metrics_labels_t          l;
    ngx_http_llm_pass_metrics_t  *m;

    for (i = 0; i < NGX_HTTP_LLM_PASS_ROWS; i++) {
        m = &ngx_http_llm_metrics_ctx->sh->pass[i];

        if (m->state != 2) {
            continue;
        }

        for (c = 0; c < LLM_METRICS_NCLASSES; c++) {
            v = m->requests[c];

            if (v == 0) {
                continue;
            }

            l.n = 0;
            llm_metrics_label(&l, "endpoint", "pass_through");
            llm_metrics_label(&l, "route", (const char *) m->path);
            llm_metrics_label(&l, "status_class",
                              llm_metrics_class_names[c]);

            if (llm_metrics_sample(b, "llm_requests_total", &l, v) != 0) {
                return -1;
            }
        }
    }

    return 0;
}


/* ... and their durations, in llm_request_duration_seconds */

static int
ngx_http_llm_metrics_pass_durations(llm_buf_t *b, const char *name)
{
    ngx_uint_t                    i, k;
    uint64_t                      counts[LLM_METRICS_NBUCKETS + 1];
    llm_metrics_labels_t          l;
    ngx_http_llm_pass_metrics_t  *m;

    for (i = 0; i < NGX_HTTP_LLM_PASS_ROWS; i++) {
        m = &ngx_http_llm_metrics_ctx->sh->pass[i];

        if (m->state != 2) {
            continue;
        }

        for (k = 0; k <= LLM_METRICS_NBUCKETS; k++) {
            counts[k] = m->duration[k];
        }

        l.n = 0;
        llm_metrics_label(&l, "endpoint", "pass_through");
        llm_metrics_label(&l, "route", (const char *) m->path);

        if (llm_metrics_histogram(b, name, &l, counts, m->duration_us) != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* failures or cooldowns by reason, nonzero series only */

static int
ngx_http_llm_metrics_reasons(llm_buf_t *b, const char *name,
    const char *help, ngx_http_llm_metrics_row_t *rows, ngx_uint_t n,
    ngx_uint_t cooldowns, ngx_uint_t litellm)
{
    ngx_uint_t             i, c;
    uint64_t               v;
    llm_metrics_labels_t   l;

    if (llm_metrics_family(b, name, "counter", help) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (rows[i].slot == NULL) {
            continue;
        }

        for (c = 1; c < LLM_ERR_NCLASSES; c++) {
            v = cooldowns ? rows[i].m->cooldowns[c] : rows[i].m->failures[c];

            if (v == 0) {
                continue;
            }

            ngx_http_llm_metrics_dep_labels(&l, &rows[i], litellm);
            llm_metrics_label(&l, litellm ? "exception_status" : "reason",
                              llm_err_class_name((llm_err_class_t) c));

            if (llm_metrics_sample(b, name, &l, v) != 0) {
                return -1;
            }
        }
    }

    return 0;
}


/* in flight and cooling down, from the router's state in the llm zone */

static int
ngx_http_llm_metrics_state(llm_buf_t *b, ngx_http_llm_metrics_row_t *rows,
    ngx_uint_t n, ngx_uint_t litellm)
{
    uint64_t               now;
    ngx_uint_t             i, pass;
    llm_dep_state_t        st;
    llm_metrics_labels_t   l;

    static const char  *names[] = {
        "llm_deployment_in_flight", "llm_deployment_cooling_down",
        "litellm_deployment_state"
    };
    static const char  *helps[] = {
        "Requests a deployment serves now, all workers.",
        "1 while a deployment is cooled down (skipped by the router).",
        "LiteLLM's deployment state: 0 healthy, 2 cooled down."
    };

    now = ngx_http_llm_now_ms();

    for (pass = litellm ? 2 : 0; pass < (litellm ? 3u : 2u); pass++) {
        if (llm_metrics_family(b, names[pass], "gauge", helps[pass]) != 0) {
            return -1;
        }

        for (i = 0; i < n; i++) {
            if (rows[i].slot == NULL) {
                continue;
            }

            ngx_http_llm_state_read(rows[i].slot, &st);
            ngx_http_llm_metrics_dep_labels(&l, &rows[i], litellm);

            if (llm_metrics_sample(b, names[pass], &l,
                                   pass == 0 ? st.in_flight
                                   : (st.cooldown_until_ms > now)
                                     ? (pass == 1 ? 1 : 2) : 0) != 0)
            {
                return -1;
            }
        }
    }

    return 0;
}


static int
ngx_http_llm_metrics_native(llm_buf_t *b, ngx_http_llm_metrics_row_t *rows,
    ngx_uint_t n)
{
    if (ngx_http_llm_metrics_requests(b, rows, n) != 0
        || ngx_http_llm_metrics_histograms(b, "llm_request_duration_seconds",
               "Time from the request's arrival to its end.", rows, n, 0, 0)
           != 0
        || ngx_http_llm_metrics_histograms(b,
               "llm_time_to_first_token_seconds",
               "Streams: time from the request's arrival to the first "
               "byte of the answer.", rows, n, 1, 0) != 0
        || ngx_http_llm_metrics_counter(b, "llm_input_tokens_total",
               "Prompt tokens the providers reported (or estimated).",
               rows, n, offsetof(ngx_http_llm_dep_metrics_t, input_tokens),
               0, 0) != 0
        || ngx_http_llm_metrics_counter(b, "llm_output_tokens_total",
               "Completion tokens.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, output_tokens), 0, 0)
           != 0
        || ngx_http_llm_metrics_counter(b, "llm_spend_usd_total",
               "Cost of the answers, USD.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, spend_micros), 1, 0) != 0
        || ngx_http_llm_metrics_counter(b, "llm_retries_total",
               "Attempts after the first within a model group, by the "
               "deployment that answered last.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, retries), 0, 0) != 0
        || ngx_http_llm_metrics_counter(b, "llm_fallbacks_total",
               "Fallback groups used, by the deployment that answered "
               "last.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, fallbacks), 0, 0) != 0
        || ngx_http_llm_metrics_reasons(b, "llm_deployment_failures_total",
               "Failed attempts by deployment and reason.", rows, n, 0, 0)
           != 0
        || ngx_http_llm_metrics_reasons(b, "llm_deployment_cooldowns_total",
               "Cooldowns a deployment entered, by the reason of the "
               "failure that caused it.", rows, n, 1, 0) != 0
        || ngx_http_llm_metrics_state(b, rows, n, 0) != 0)
    {
        return -1;
    }

    return 0;
}


/* LiteLLM's names and labels (prometheus_client adds _total to counters) */

static int
ngx_http_llm_metrics_litellm(llm_buf_t *b, ngx_http_llm_metrics_row_t *rows,
    ngx_uint_t n)
{
    ngx_uint_t             i, a, c;
    uint64_t               ok, failed;
    llm_metrics_labels_t   l;

    if (llm_metrics_family(b, "litellm_proxy_total_requests_metric_total",
                           "counter", "Requests by model and status class.")
        != 0)
    {
        return -1;
    }

    for (i = 0; i < n; i++) {
        for (c = 0; c < LLM_METRICS_NCLASSES; c++) {
            ok = 0;

            for (a = 0; a < LLM_API_CLIENT_COUNT; a++) {
                ok += rows[i].m->requests[a][c];
            }

            if (ok == 0) {
                continue;
            }

            l.n = 0;
            llm_metrics_label(&l, "requested_model", rows[i].group);
            llm_metrics_label(&l, "model_id", rows[i].id);
            llm_metrics_label(&l, "status_code", llm_metrics_class_names[c]);

            if (llm_metrics_sample(b,
                                   "litellm_proxy_total_requests_metric_total",
                                   &l, ok) != 0)
            {
                return -1;
            }
        }
    }

    for (c = 0; c < 2; c++) {
        if (llm_metrics_family(b, c ? "litellm_proxy_failed_requests_metric"
                                      "_total"
                                    : "litellm_deployment_success_responses"
                                      "_total",
                               "counter", c ? "Requests that failed (4xx, "
                                              "5xx)."
                                            : "Requests answered 2xx.") != 0)
        {
            return -1;
        }

        for (i = 0; i < n; i++) {
            ok = 0;
            failed = 0;

            for (a = 0; a < LLM_API_CLIENT_COUNT; a++) {
                ok += rows[i].m->requests[a][0];
                failed += rows[i].m->requests[a][2] + rows[i].m->requests[a][3];
            }

            ngx_http_llm_metrics_dep_labels(&l, &rows[i], 1);

            if (llm_metrics_sample(b, c ? "litellm_proxy_failed_requests_"
                                          "metric_total"
                                        : "litellm_deployment_success_"
                                          "responses_total",
                                   &l, c ? failed : ok) != 0)
            {
                return -1;
            }
        }
    }

    if (ngx_http_llm_metrics_histograms(b, "litellm_request_total_latency_"
                                        "metric", "Request latency, seconds.",
                                        rows, n, 0, 1) != 0
        || ngx_http_llm_metrics_histograms(b, "litellm_llm_api_time_to_first"
                                           "_token_metric",
                                           "Time to first token, seconds.",
                                           rows, n, 1, 1) != 0
        || ngx_http_llm_metrics_counter(b, "litellm_input_tokens_metric_total",
               "Input tokens.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, input_tokens), 0, 1) != 0
        || ngx_http_llm_metrics_counter(b, "litellm_output_tokens_metric_"
               "total", "Output tokens.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, output_tokens), 0, 1)
           != 0
        || ngx_http_llm_metrics_counter(b, "litellm_spend_metric_total",
               "Spend, USD.", rows, n,
               offsetof(ngx_http_llm_dep_metrics_t, spend_micros), 1, 1) != 0
        || ngx_http_llm_metrics_reasons(b, "litellm_deployment_failure_"
               "responses_total", "Failed attempts by deployment.", rows, n,
               0, 1) != 0
        || ngx_http_llm_metrics_reasons(b, "litellm_deployment_cooled_down_"
               "total", "Cooldowns by deployment and reason.", rows, n, 1, 1)
           != 0
        || ngx_http_llm_metrics_state(b, rows, n, 1) != 0)
    {
        return -1;
    }

    return 0;
}


/* generations, controld's last drain */

static int
ngx_http_llm_metrics_health(llm_buf_t *b, ngx_http_llm_tables_t *t)
{
    time_t                now, seen;
    ngx_http_llm_zone_t  *zone;

    zone = ngx_http_llm_metrics_ctx->llm_zone->data;
    now = ngx_time();
    seen = (time_t) ngx_http_llm_metrics_ctx->sh->controld_seen;

    if (llm_metrics_family(b, "llm_config_generation", "gauge",
                           "Generation of the config this worker routes "
                           "with (0: none published).") != 0
        || llm_metrics_sample(b, "llm_config_generation", NULL,
                              t ? t->generation : 0) != 0
        || llm_metrics_family(b, "llm_config_loaded_timestamp_seconds",
                              "gauge", "When controld last published a "
                              "config.") != 0
        || llm_metrics_sample(b, "llm_config_loaded_timestamp_seconds", NULL,
                              (uint64_t) zone->sh->config.loaded_at) != 0
        || llm_metrics_family(b, "llm_keys_generation", "gauge",
                              "Generation of the virtual key table.") != 0
        || llm_metrics_sample(b, "llm_keys_generation", NULL,
                              zone->sh->keys.generation) != 0
        || llm_metrics_family(b, "llm_controld_last_seen_timestamp_seconds",
                              "gauge", "When controld last drained the "
                              "usage counters (0: not since nginx "
                              "started).") != 0
        || llm_metrics_sample(b, "llm_controld_last_seen_timestamp_seconds",
                              NULL, (uint64_t) seen) != 0
        || llm_metrics_family(b, "llm_controld_up", "gauge",
                              "1 if controld drained the counters in the "
                              "last 30 seconds.") != 0
        || llm_metrics_sample(b, "llm_controld_up", NULL,
                              seen && now - seen <= 30) != 0
        || llm_metrics_family(b, "llm_deployments", "gauge",
                              "Deployments in the routed config.") != 0
        || llm_metrics_sample(b, "llm_deployments", NULL,
                              t ? t->cf->ndeployments : 0) != 0)
    {
        return -1;
    }

    return 0;
}


static ngx_int_t
ngx_http_llm_metrics_render(ngx_http_request_t *r, ngx_uint_t names)
{
    int                          rc;
    ngx_uint_t                   i, n;
    llm_buf_t                   *b;
    llm_deployment_t            *d;
    ngx_pool_cleanup_t          *cln;
    ngx_http_llm_tables_t       *t;
    ngx_http_llm_metrics_row_t  *rows;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_llm_metrics_ctx == NULL
        || ngx_http_llm_metrics_ctx->sh == NULL)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    t = ngx_http_llm_tables_acquire(r);
    n = t ? t->cf->ndeployments : 0;

    rows = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_http_llm_metrics_row_t));
    if (rows == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* requests no deployment served come first, with empty labels */
    rows[0].m = &ngx_http_llm_metrics_ctx->sh->unrouted;
    rows[0].group = "";
    rows[0].id = "";
    rows[0].provider = "";
    rows[0].slot = NULL;

    for (i = 0; i < n; i++) {
        d = &t->cf->deployments[i];
        rows[i + 1].m = ngx_http_llm_metrics_row(t->deps[i].slot);
        rows[i + 1].group = d->model_name;
        rows[i + 1].id = d->id;
        rows[i + 1].provider = d->provider_name;
        rows[i + 1].slot = t->deps[i].slot;

        if (rows[i + 1].m == NULL || rows[i + 1].slot == NULL) {
            rows[i + 1].m = &ngx_http_llm_metrics_ctx->sh->unrouted;
        }
    }

    n++;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(llm_buf_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = cln->data;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    cln->handler = ngx_http_llm_metrics_free;

    rc = ngx_http_llm_metrics_health(b, t);

    if (rc == 0 && (names & NGX_HTTP_LLM_METRICS_NATIVE)) {
        rc = ngx_http_llm_metrics_native(b, rows, n);
    }

    if (rc == 0 && (names & NGX_HTTP_LLM_METRICS_LITELLM)) {
        rc = ngx_http_llm_metrics_litellm(b, rows, n);
    }

    if (rc != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_llm_send_body(r, NGX_HTTP_OK,
                                  "text/plain; version=0.0.4; charset=utf-8",
                                  (u_char *) b->data, b->len);
}


static void
ngx_http_llm_metrics_free(void *data)
{
    llm_buf_free(data);
}


/* one content handler per name set: the location needs no conf of its own */

static ngx_int_t
ngx_http_llm_metrics_native_handler(ngx_http_request_t *r)
{
    return ngx_http_llm_metrics_render(r, NGX_HTTP_LLM_METRICS_NATIVE);
}


static ngx_int_t
ngx_http_llm_metrics_litellm_handler(ngx_http_request_t *r)
{
    return ngx_http_llm_metrics_render(r, NGX_HTTP_LLM_METRICS_LITELLM);
}


static ngx_int_t
ngx_http_llm_metrics_both_handler(ngx_http_request_t *r)
{
    return ngx_http_llm_metrics_render(r, NGX_HTTP_LLM_METRICS_NATIVE
                                          | NGX_HTTP_LLM_METRICS_LITELLM);
}


/* llm_metrics [native | litellm | both]; */

char *
ngx_http_llm_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (ngx_http_llm_metrics_ctx == NULL) {
        return "requires \"llm_zone\" at the http level before it";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 1 || ngx_strcmp(value[1].data, "native") == 0) {
        clcf->handler = ngx_http_llm_metrics_native_handler;

    } else if (ngx_strcmp(value[1].data, "litellm") == 0) {
        clcf->handler = ngx_http_llm_metrics_litellm_handler;

    } else if (ngx_strcmp(value[1].data, "both") == 0) {
        clcf->handler = ngx_http_llm_metrics_both_handler;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid llm_metrics names \"%V\": native, "
                           "litellm or both", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
