
/*
 * ngx_llm: an LLM gateway inside nginx.  Types shared by the module's files;
 * the nginx-independent logic lives in core/.
 */


#ifndef _NGX_HTTP_LLM_MODULE_H_INCLUDED_
#define _NGX_HTTP_LLM_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "llm_buf.h"
#include "llm_sse.h"
#include "llm_config.h"
#include "llm_json_scan.h"
#include "llm_xlate.h"
#include "llm_router.h"
#include "llm_keys.h"
#include "llm_rates.h"


/* deployments, and keys plus teams, whose state the zone can hold */
#define NGX_HTTP_LLM_SLOTS      1024
#define NGX_HTTP_LLM_KEY_SLOTS  8192

/* the Messages API version sent to Anthropic deployments */
#define NGX_HTTP_LLM_ANTHROPIC_VERSION  "2023-06-01"


typedef struct {
    ngx_shm_zone_t               *shm_zone;
    ngx_str_t                     snapshot;
    ngx_str_t                     keys_snapshot;
    json_t                       *prices;          /* llm_prices table */
    ngx_flag_t                    metrics_collect; /* llm_metrics_collect */
    ngx_str_t                     rstore_uri;      /* llm_responses_store's
                                                      location; "": none */
} ngx_http_llm_main_conf_t;


typedef struct {
    ngx_flag_t                    gateway;
    ngx_flag_t                    management;
    size_t                        max_body_size;
} ngx_http_llm_loc_conf_t;


/*
 * One deployment's router state in the zone, found by the deployment id, so
 * counters and cooldowns outlive reloads and config generations.  The
 * spinlock guards a few arithmetic instructions only.
 */
typedef struct {
    ngx_atomic_t                  lock;
    ngx_uint_t                    used;
    uint32_t                      hash;
    u_char                        id[64];
    size_t                        id_len;
    llm_dep_state_t               st;
    llm_usage_state_t             usage;           /* spend and tokens */
} ngx_http_llm_slot_t;


/* a document controld published, replaced whole */
typedef struct {
    ngx_atomic_t                  generation;
    u_char                       *data;
    size_t                        len;
    time_t                        loaded_at;
} ngx_http_llm_blob_t;


/* what a key slot counts */
#define NGX_HTTP_LLM_SLOT_KEY    0
#define NGX_HTTP_LLM_SLOT_TEAM   1
#define NGX_HTTP_LLM_SLOT_MODEL  2                 /* a key's traffic to one
                                                      model with a limit */

/*
 * usage of a virtual key, a team or a key-and-model, found by a 32-byte
 * digest: the key's token, SHA-256("team:" id), SHA-256("model:" token hex
 * ":" model)
 */
typedef struct {
    ngx_atomic_t                  lock;
    ngx_uint_t                    used;
    ngx_uint_t                    kind;            /* NGX_HTTP_LLM_SLOT_* */
    u_char                        token[32];
    u_char                        team[64];        /* a team's id */
    size_t                        team_len;
    llm_usage_state_t             st;
} ngx_http_llm_key_slot_t;


/*
 * What a zone's layout is: a zone kept across `nginx -s reload` must have
 * been created by a build with the same structures.  Bump the version
 * when the shared structures change.
 */
#define NGX_HTTP_LLM_LAYOUT_VERSION  4
#define NGX_HTTP_LLM_LAYOUT                                                   \
    (0x6c6c6d7a00000000ULL                    /* "llmz" */                   \
     | (uint64_t) NGX_HTTP_LLM_LAYOUT_VERSION << 24                          \
     | (uint64_t) (sizeof(ngx_http_llm_shctx_t) & 0xffffff))


/* stored responses (ngx_http_llm_rstore.c), oldest first in the queue */
typedef struct {
    ngx_rbtree_t                  rbtree;
    ngx_rbtree_node_t             sentinel;
    ngx_queue_t                   queue;
    ngx_queue_t                   pending;         /* not yet durable */
    uint64_t                      seq;             /* the last given */
    size_t                        bytes;
    ngx_uint_t                    count;
} ngx_http_llm_rstore_sh_t;


/* lives in the shared zone */
typedef struct {
    uint64_t                      layout;          /* first, always */
    ngx_http_llm_blob_t           config;
    ngx_http_llm_blob_t           keys;
    uint64_t                      epoch;           /* when the zone began */
    ngx_http_llm_slot_t           slots[NGX_HTTP_LLM_SLOTS];
    ngx_http_llm_key_slot_t       key_slots[NGX_HTTP_LLM_KEY_SLOTS];
    ngx_http_llm_rstore_sh_t      rstore;
} ngx_http_llm_shctx_t;


typedef struct {
    ngx_http_llm_shctx_t         *sh;
    ngx_slab_pool_t              *shpool;
    ngx_str_t                     snapshot;
    ngx_str_t                     keys_snapshot;
} ngx_http_llm_zone_t;


/* the nginx side of one deployment, built with the worker tables */
typedef struct {
    llm_deployment_t             *dep;
    ngx_http_llm_slot_t          *slot;            /* NULL: zone is full */
    ngx_addr_t                   *addrs;
    ngx_uint_t                    naddrs;
    ngx_uint_t                    next_addr;
    ngx_str_t                     host;            /* Host header */
    ngx_flag_t                    ssl;             /* https */
    ngx_str_t                     headers;         /* key and API header
                                                      lines, see balancer */
    ngx_str_t                     api_base;        /* for response headers */
} ngx_http_llm_dep_t;


/* worker-local routing tables, rebuilt when the zone's generation moves */
typedef struct {
    ngx_atomic_uint_t             generation;
    ngx_uint_t                    refs;
    llm_config_t                 *cf;
    llm_router_conf_t            *router;
    ngx_http_llm_dep_t           *deps;
    ngx_http_llm_dep_t           *pass;            /* by cf->pass index */
    ngx_pool_t                   *pool;
} ngx_http_llm_tables_t;


/* the worker's copy of the published key table */
typedef struct {
    ngx_atomic_uint_t             generation;
    ngx_uint_t                    refs;
    llm_keys_t                   *keys;
} ngx_http_llm_keyset_t;


/*
 * A request's state (ngx_http_llm_ctx.h): only the request-path files
 * and the few that account for it look inside.
 */
typedef struct ngx_http_llm_ctx_s  ngx_http_llm_ctx_t;


extern ngx_module_t  ngx_http_llm_module;


/* zone.c */
ngx_int_t ngx_http_llm_zone_init(ngx_shm_zone_t *shm_zone, void *data);
void ngx_http_llm_rstore_init(ngx_http_llm_rstore_sh_t *st);

/* rstore_admin.c: controld drains and acknowledges stored responses */
u_char *ngx_http_llm_rstore_drain(ngx_http_request_t *r, size_t *lenp);
ngx_int_t ngx_http_llm_rstore_sync(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, u_char *err, size_t errlen, ngx_uint_t *applied);

/* rstore_fetch.c: llm_responses_store */
char *ngx_http_llm_responses_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_llm_publish(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, ngx_log_t *log, u_char *err, size_t errlen);
ngx_int_t ngx_http_llm_store(ngx_http_llm_zone_t *zone,
    ngx_http_llm_blob_t *blob, u_char *json, size_t len);
u_char *ngx_http_llm_blob_copy(ngx_http_llm_zone_t *zone,
    ngx_http_llm_blob_t *blob, ngx_atomic_uint_t *generation, size_t *len,
    ngx_log_t *log);
ngx_http_llm_tables_t *ngx_http_llm_tables_acquire(ngx_http_request_t *r);

/* keys.c */
ngx_int_t ngx_http_llm_publish_keys(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, ngx_log_t *log, u_char *err, size_t errlen);
ngx_int_t ngx_http_llm_key_lookup(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_http_llm_key_slot_t *ngx_http_llm_model_slot(ngx_http_llm_zone_t *zone,
    const llm_key_t *k, const char *model, size_t model_len);
u_char *ngx_http_llm_usage_json(ngx_http_request_t *r, size_t *len);
ngx_int_t ngx_http_llm_publish_rates(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, ngx_log_t *log, u_char *err, size_t errlen,
    ngx_uint_t *applied);
/* admit.c */
ngx_int_t ngx_http_llm_admit(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx);
void ngx_http_llm_settle(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx);
uint64_t ngx_http_llm_cost(ngx_http_llm_ctx_t *ctx);
u_char *ngx_http_llm_digits(u_char *last, uint64_t n);
ngx_int_t ngx_http_llm_push(ngx_list_t *list, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_llm_rate_headers(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
u_char *ngx_http_llm_dollars(u_char *last, uint64_t micros);
void ngx_http_llm_usage_final(ngx_http_llm_ctx_t *ctx);
/* ngx_http_llm_variables.c: general_settings.log_payloads */
ngx_int_t ngx_http_llm_payload_capture(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_chain_t *in);

/* state.c */
ngx_http_llm_slot_t *ngx_http_llm_slot(ngx_http_llm_zone_t *zone,
    const char *id);
void ngx_http_llm_state_read(ngx_http_llm_slot_t *slot,
    llm_dep_state_t *st);
void ngx_http_llm_state_start(ngx_http_llm_slot_t *slot);
void ngx_http_llm_state_fail(ngx_http_llm_slot_t *slot, llm_err_class_t cls,
    size_t group_size, llm_router_conf_t *rc, llm_deployment_t *d);
void ngx_http_llm_state_succeed(ngx_http_llm_slot_t *slot,
    uint64_t latency_us, uint64_t ttft_us, uint64_t tokens);
uint64_t ngx_http_llm_now_ms(void);
ngx_int_t ngx_http_llm_log_handler(ngx_http_request_t *r);

/*
 * handler.c, local.c, attempt.c, upstream.c: called from outside the
 * request path
 */
ngx_int_t ngx_http_llm_access_handler(ngx_http_request_t *r);
ngx_http_llm_ctx_t *ngx_http_llm_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_llm_send_body(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, u_char *data, size_t len);
void ngx_http_llm_lend_uri(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx);
void ngx_http_llm_return_uri(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx);
void ngx_http_llm_hold_error_body(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_uint_t ngx_http_llm_upstream_gzip(ngx_http_upstream_t *u);

/* balancer.c */
char *ngx_http_llm_balancer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* filter.c, stream.c, headers.c, decode.c: the response side */

/* the most of a whole answer collected (and decoded) */
#define NGX_HTTP_LLM_MAX_WHOLE   (16 * 1024 * 1024)

ngx_int_t ngx_http_llm_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_llm_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_llm_push_cost(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_list_t *list);
ngx_int_t ngx_http_llm_id_headers(ngx_http_request_t *r);
ngx_int_t ngx_http_llm_info_headers(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_decode_init(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);
ngx_int_t ngx_http_llm_decode(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_chain_t **in);

/* variables.c */
ngx_int_t ngx_http_llm_add_variables(ngx_conf_t *cf);

/* admin.c */
char *ngx_http_llm_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_LLM_MODULE_H_INCLUDED_ */
