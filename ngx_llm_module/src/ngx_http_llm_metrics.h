
/*
 * The gateway's Prometheus metrics: counters and histograms in a shared
 * zone of their own ("<llm_zone name>_metrics"), one row per deployment
 * slot plus one for requests no deployment served.  Every worker adds with
 * atomics in the log phase; `llm_metrics` renders a scrape from them.
 */


#ifndef _NGX_HTTP_LLM_METRICS_H_INCLUDED_
#define _NGX_HTTP_LLM_METRICS_H_INCLUDED_


#include "ngx_http_llm_ctx.h"
#include "llm_metrics.h"


typedef struct {
    ngx_atomic_t    requests[LLM_API_CLIENT_COUNT][LLM_METRICS_NCLASSES];
    ngx_atomic_t    duration[LLM_METRICS_NBUCKETS + 1];
    ngx_atomic_t    duration_us;
    ngx_atomic_t    ttft[LLM_METRICS_NBUCKETS + 1];
    ngx_atomic_t    ttft_us;
    ngx_atomic_t    input_tokens;
    ngx_atomic_t    output_tokens;
    ngx_atomic_t    spend_micros;
    ngx_atomic_t    retries;
    ngx_atomic_t    fallbacks;
    ngx_atomic_t    failures[LLM_ERR_NCLASSES];     /* failed attempts */
    ngx_atomic_t    cooldowns[LLM_ERR_NCLASSES];    /* ... that cooled it */
} ngx_http_llm_dep_metrics_t;


/*
 * One pass-through route, found by its configured path (the route label:
 * bounded by the config, never the request's own path or query); a path
 * longer than the row holds is cut.
 */
#define NGX_HTTP_LLM_PASS_ROWS      64
#define NGX_HTTP_LLM_PASS_PATH_MAX  128

typedef struct {
    ngx_atomic_t    state;                         /* 0 free, 1 being
                                                      claimed, 2 in use */
    u_char          path[NGX_HTTP_LLM_PASS_PATH_MAX];
    ngx_atomic_t    requests[LLM_METRICS_NCLASSES];
    ngx_atomic_t    duration[LLM_METRICS_NBUCKETS + 1];
    ngx_atomic_t    duration_us;
} ngx_http_llm_pass_metrics_t;


#define NGX_HTTP_LLM_METRICS_LAYOUT                                           \
    (0x6c6c6d6d00000000ULL                    /* "llmm" */                   \
     | (uint64_t) (sizeof(ngx_http_llm_dep_metrics_t) & 0xfff) << 12         \
     | (uint64_t) (sizeof(ngx_http_llm_pass_metrics_t) & 0xfff))


typedef struct {
    uint64_t                      layout;
    ngx_atomic_t                  controld_seen;   /* unix s of its last
                                                      usage drain */
    ngx_http_llm_dep_metrics_t    unrouted;
    ngx_http_llm_dep_metrics_t    deps[NGX_HTTP_LLM_SLOTS];
    ngx_http_llm_pass_metrics_t   pass[NGX_HTTP_LLM_PASS_ROWS];
    ngx_atomic_t                  pass_dropped;    /* routes past the rows */
} ngx_http_llm_metrics_sh_t;


/* the zone of the configuration being read; workers inherit it */
typedef struct {
    ngx_http_llm_metrics_sh_t    *sh;
    ngx_shm_zone_t               *llm_zone;
    ngx_flag_t                    collect;     /* llm_metrics_collect */
} ngx_http_llm_metrics_ctx_t;

extern ngx_http_llm_metrics_ctx_t  *ngx_http_llm_metrics_ctx;


/* ngx_http_llm_metrics.c: the zone and the counting */
char *ngx_http_llm_metrics_zone_add(ngx_conf_t *cf, ngx_str_t *name,
    ngx_shm_zone_t *llm_zone);
void ngx_http_llm_metrics_collect(ngx_flag_t on);
ngx_http_llm_dep_metrics_t *ngx_http_llm_metrics_row(
    ngx_http_llm_slot_t *slot);
void ngx_http_llm_metrics_request(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
void ngx_http_llm_metrics_failure(ngx_http_llm_slot_t *slot,
    llm_err_class_t cls, ngx_uint_t cooled);
void ngx_http_llm_metrics_controld_seen(void);

/* ngx_http_llm_metrics_text.c: a scrape, the llm_metrics directive */
char *ngx_http_llm_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* variables.c: the request id (32 hex digits) written at buf */
u_char *ngx_http_llm_request_id(ngx_http_request_t *r, u_char *buf);


#endif /* _NGX_HTTP_LLM_METRICS_H_INCLUDED_ */
