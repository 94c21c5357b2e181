
/*
 * Stored responses in the shared zone, between the files that handle
 * them: ngx_http_llm_rstore.c (the request path, the zone's tree and
 * queues), ngx_http_llm_rstore_reply.c (the answers to the read routes),
 * ngx_http_llm_rstore_admin.c (controld drains new entries and
 * deletions and acknowledges them: GET/POST /_llm/responses) and
 * ngx_http_llm_rstore_fetch.c (a miss asks controld, through a subrequest
 * to the location with llm_responses_store).
 *
 * An entry is durable once controld has written it where it keeps state
 * (Redis or its state file) and acknowledged it; until then it is in the
 * pending queue too.  A DELETE leaves a tombstone (deleted, no entry) that
 * is drained the same way, and then answers 404 here until it expires.
 */


#ifndef _NGX_HTTP_LLM_RSTORE_H_INCLUDED_
#define _NGX_HTTP_LLM_RSTORE_H_INCLUDED_


#include "ngx_http_llm_request.h"


typedef struct {
    ngx_rbtree_node_t             node;            /* key: crc32 of id */
    ngx_queue_t                   queue;           /* all, oldest first */
    ngx_queue_t                   pending;         /* not yet durable */
    uint64_t                      seq;             /* acknowledged by */
    u_char                        owner[32];       /* the key's digest */
    uint64_t                      expires;         /* ms */
    size_t                        id_len;
    size_t                        len;             /* of the entry */
    unsigned                      deleted:1;       /* a tombstone */
    unsigned                      durable:1;
    u_char                        data[1];         /* id, then entry */
} ngx_http_llm_rstore_node_t;


ngx_http_llm_zone_t *ngx_http_llm_rstore_zone(void);
uint64_t ngx_http_llm_rstore_now(void);

/* under the zone mutex */
void ngx_http_llm_rstore_expire(ngx_http_llm_zone_t *zone, uint64_t now);
void ngx_http_llm_rstore_remove(ngx_http_llm_zone_t *zone,
    ngx_http_llm_rstore_node_t *n);
ngx_http_llm_rstore_node_t *ngx_http_llm_rstore_by_id(
    ngx_http_llm_zone_t *zone, u_char *id, size_t len);
void ngx_http_llm_rstore_set_durable(ngx_http_llm_zone_t *zone,
    ngx_http_llm_rstore_node_t *n);

/* a copy of the key's entry in the pool; NGX_DECLINED: not here (ask
   controld), NGX_ABORT: deleted here (a tombstone) */
ngx_int_t ngx_http_llm_rstore_get(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_str_t *id, ngx_str_t *entry,
    ngx_uint_t delete);

/* reply.c: the answer to a read route for the entry found; 404 for a
   route's id (400 for previous_response_id); 503 when controld did not
   answer */
ngx_int_t ngx_http_llm_rstore_reply(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_str_t *entry);
ngx_int_t ngx_http_llm_rstore_not_found(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_str_t *id, ngx_uint_t previous);
ngx_int_t ngx_http_llm_rstore_unavailable(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx);

/* fetch.c: ask controld for an id this zone does not hold; NGX_AGAIN
   when the subrequest went out, NGX_DECLINED when there is no store to
   ask (no llm_responses_store location) or the id cannot be one */
ngx_int_t ngx_http_llm_rstore_fetch(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_str_t *id, ngx_uint_t delete);

#endif /* _NGX_HTTP_LLM_RSTORE_H_INCLUDED_ */
