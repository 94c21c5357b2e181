
/*
 * Stored responses of the Responses API, in the shared zone: a tree by the
 * response id's hash and a queue, oldest first, under the zone mutex.  An
 * entry (llm_rstore.c writes it) belongs to the key that made it: a read
 * by another key finds nothing.  It lives responses_ttl; when
 * responses_max_size is reached, or the zone has no room, the oldest go
 * first.  The zone is this node's cache: controld makes each entry durable
 * (ngx_http_llm_rstore_admin.c), and an id it does not hold is asked of
 * controld (ngx_http_llm_rstore_fetch.c); the read routes'
 * answers are ngx_http_llm_rstore_reply.c.
 *
 *   the request: store, previous_response_id (prepended), the id;
 *   the answer: kept when it completed (JSON or stream);
 *   GET /v1/responses/{id}, DELETE, GET /v1/responses/{id}/input_items.
 *
 * A response passed through to its provider (rpass.c) is kept there; its
 * entry here only says which deployment has it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_llm_rstore.h"
#include "llm_rstore.h"


static ngx_int_t ngx_http_llm_rstore_prepend(ngx_http_request_t *r,
    ngx_http_llm_ctx_t *ctx, ngx_str_t *entry);


uint64_t
ngx_http_llm_rstore_now(void)
{
    ngx_time_t  *tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


ngx_http_llm_zone_t *
ngx_http_llm_rstore_zone(void)
{
    ngx_http_llm_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_llm_module);

    return (lmcf && lmcf->shm_zone) ? lmcf->shm_zone->data : NULL;
}


void
ngx_http_llm_rstore_init(ngx_http_llm_rstore_sh_t *st)
{
    ngx_rbtree_init(&st->rbtree, &st->sentinel, ngx_rbtree_insert_value);
    ngx_queue_init(&st->queue);
    ngx_queue_init(&st->pending);
    st->seq = 0;
    st->bytes = 0;
    st->count = 0;
}


void
ngx_http_llm_rstore_remove(ngx_http_llm_zone_t *zone,
    ngx_http_llm_rstore_node_t *n)
{
    ngx_http_llm_rstore_sh_t  *st = &zone->sh->rstore;

    ngx_rbtree_delete(&st->rbtree, &n->node);
    ngx_queue_remove(&n->queue);

    if (!n->durable) {
        ngx_queue_remove(&n->pending);
    }

    st->bytes -= n->len + n->id_len;
    st->count--;
    ngx_slab_free_locked(zone->shpool, n);
}


void
ngx_http_llm_rstore_set_durable(ngx_http_llm_zone_t *zone,
    ngx_http_llm_rstore_node_t *n)
{
    if (!n->durable) {
        ngx_queue_remove(&n->pending);
        n->durable = 1;
    }
}


/* a node and its links, as put() and the tombstone make them */

static void
ngx_http_llm_rstore_link(ngx_http_llm_zone_t *zone,
    ngx_http_llm_rstore_node_t *n)
{
    ngx_http_llm_rstore_sh_t  *st = &zone->sh->rstore;

    n->node.key = ngx_crc32_short(n->data, n->id_len);
    n->seq = ++st->seq;
    n->durable = 0;

    ngx_rbtree_insert(&st->rbtree, &n->node);
    ngx_queue_insert_tail(&st->queue, &n->queue);
    ngx_queue_insert_tail(&st->pending, &n->pending);
    st->bytes += n->len + n->id_len;
    st->count++;
}


void
ngx_http_llm_rstore_expire(ngx_http_llm_zone_t *zone, uint64_t now)
{
    ngx_queue_t                 *q;
    ngx_http_llm_rstore_node_t  *n;

    while (!ngx_queue_empty(&zone->sh->rstore.queue)) {
        q = ngx_queue_head(&zone->sh->rstore.queue);
        n = ngx_queue_data(q, ngx_http_llm_rstore_node_t, queue);

        if (n->expires > now) {
            return;
        }

        ngx_http_llm_rstore_remove(zone, n);
    }
}


/* the node of id under node, whatever side an equal hash went to */

static ngx_http_llm_rstore_node_t *
ngx_http_llm_rstore_lookup(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel, uint32_t hash, ngx_str_t *id)
{
    ngx_http_llm_rstore_node_t  *n;

    while (node != sentinel) {
        if (hash != node->key) {
            node = hash < node->key ? node->left : node->right;
            continue;
        }

        n = (ngx_http_llm_rstore_node_t *) node;

        if (n->id_len == id->len
            && ngx_memcmp(n->data, id->data, id->len) == 0)
        {
            return n;
        }

        /* a hash collision: rotations may have put the other either side */
        n = ngx_http_llm_rstore_lookup(node->left, sentinel, hash, id);

        if (n != NULL) {
            return n;
        }

        node = node->right;
    }

    return NULL;
}


ngx_http_llm_rstore_node_t *
ngx_http_llm_rstore_by_id(ngx_http_llm_zone_t *zone, u_char *id, size_t len)
{
    ngx_str_t  key;

    key.data = id;
    key.len = len;

    return ngx_http_llm_rstore_lookup(zone->sh->rstore.rbtree.root,
                                      zone->sh->rstore.rbtree.sentinel,
                                      ngx_crc32_short(id, len), &key);
}


/*
 * under the mutex; NULL when not stored, expired or another key's (a
 * tombstone is found: the id is known to be deleted)
 */

static ngx_http_llm_rstore_node_t *
ngx_http_llm_rstore_find(ngx_http_llm_zone_t *zone, ngx_str_t *id,
    u_char *owner)
{
    ngx_http_llm_rstore_node_t  *n;

    n = ngx_http_llm_rstore_by_id(zone, id->data, id->len);

    if (n == NULL || n->expires <= ngx_http_llm_rstore_now()
        || (owner && ngx_memcmp(n->owner, owner, 32) != 0))
    {
        return NULL;
    }

    return n;
}


static void
ngx_http_llm_rstore_put(ngx_http_llm_ctx_t *ctx, u_char *id, size_t id_len,
    u_char *entry, size_t len)
{
    size_t                       size;
    uint64_t                     now;
    ngx_str_t                    key;
    ngx_queue_t                 *q;
    llm_settings_t              *set;
    ngx_http_llm_zone_t         *zone;
    ngx_http_llm_rstore_node_t  *n;

    zone = ngx_http_llm_rstore_zone();
    set = &ctx->tables->cf->settings;

    if (zone == NULL) {
        return;
    }

    if ((long long) (len + id_len) > set->responses_max_entry_bytes
        || (long long) (len + id_len) > set->responses_max_bytes)
    {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "llm: response %*s not stored: %uz bytes, over "
                      "responses_max_entry_size", id_len, id, len);
        return;
    }

    size = offsetof(ngx_http_llm_rstore_node_t, data) + id_len + len;
    key.data = id;
    key.len = id_len;
    now = ngx_http_llm_rstore_now();

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_llm_rstore_expire(zone, now);

    n = ngx_http_llm_rstore_lookup(zone->sh->rstore.rbtree.root,
                                   zone->sh->rstore.rbtree.sentinel,
                                   ngx_crc32_short(id, id_len), &key);
    if (n != NULL) {
        ngx_http_llm_rstore_remove(zone, n);
    }

    for ( ;; ) {
        q = ngx_queue_empty(&zone->sh->rstore.queue)
            ? NULL : ngx_queue_head(&zone->sh->rstore.queue);

        if (q == NULL
            || (long long) (zone->sh->rstore.bytes + len + id_len)
               <= set->responses_max_bytes)
        {
            n = ngx_slab_alloc_locked(zone->shpool, size);

            if (n != NULL || q == NULL) {
                break;
            }
        }

        /* over the size, or the zone is full: the oldest goes */
        ngx_http_llm_rstore_remove(zone,
                   ngx_queue_data(q, ngx_http_llm_rstore_node_t, queue));
    }

    if (n == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "llm: response %*s not stored: no room in the zone",
                      id_len, id);
        return;
    }

    ngx_memcpy(n->owner, ctx->digest, 32);
    n->expires = now + (uint64_t) set->responses_ttl_ms;
    n->id_len = id_len;
    n->len = len;
    n->deleted = 0;
    ngx_memcpy(ngx_cpymem(n->data, id, id_len), entry, len);

    ngx_http_llm_rstore_link(zone, n);

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * A copy of the key's entry in the pool; NGX_DECLINED: not here (ask
 * controld), NGX_ABORT: deleted here (a tombstone).  A delete leaves a
 * tombstone for controld to drain.
 */

ngx_int_t
ngx_http_llm_rstore_get(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *id, ngx_str_t *entry, ngx_uint_t delete)
{
    ngx_http_llm_zone_t         *zone;
    ngx_http_llm_rstore_node_t  *n, *t;

    zone = ngx_http_llm_rstore_zone();
    if (zone == NULL) {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    n = ngx_http_llm_rstore_find(zone, id, ctx->digest);

    if (n == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    if (n->deleted) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_ABORT;
    }

    if (delete) {
        t = ngx_slab_alloc_locked(zone->shpool,
                       offsetof(ngx_http_llm_rstore_node_t, data) + n->id_len);

        if (t != NULL) {
            ngx_memcpy(t->owner, n->owner, 32);
            t->expires = n->expires;
            t->id_len = n->id_len;
            t->len = 0;
            t->deleted = 1;
            ngx_memcpy(t->data, n->data, n->id_len);
        }

        ngx_http_llm_rstore_remove(zone, n);

        if (t != NULL) {
            ngx_http_llm_rstore_link(zone, t);
        }

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (t == NULL) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "llm: no room in the zone for the deletion of "
                          "response %V: other nodes and controld's store "
                          "keep it until it expires", id);
        }

        return NGX_OK;
    }

    entry->data = ngx_pnalloc(r->pool, n->len);
    if (entry->data == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memcpy(entry->data, n->data + n->id_len, n->len);
    entry->len = n->len;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


/*
 * A Responses request's body is in: what to store, a previous
 * conversation put in front of the input, the answer's id.  NGX_OK to go
 * on, else an answer was given.
 */

ngx_int_t
ngx_http_llm_rstore_request(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char            *p;
    char               err[160];
    u_char             rnd[16];
    ngx_str_t          prev, entry;
    ngx_int_t          rc;
    llm_rstore_req_t   q;

    err[0] = '\0';

    if (llm_rstore_read_request((char *) ctx->body.data, ctx->body.len, &q,
                                err, sizeof(err))
        != 0)
    {
        if (err[0] == '\0') {
            return NGX_OK;          /* the translation says what is wrong */
        }

        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error", err);
    }

    ctx->rstore = q.store;

    /* the answer's id: ours, so that one is not another's */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("resp_") + 2 * sizeof(rnd));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->resp_id = p;
    p = ngx_cpymem(p, "resp_", sizeof("resp_") - 1);
    p = ngx_hex_dump(p, rnd, sizeof(rnd));
    *p = '\0';

    if (q.previous[0] == '\0') {
        return NGX_OK;
    }

    prev.len = ngx_strlen(q.previous);
    prev.data = ngx_pnalloc(r->pool, prev.len);
    if (prev.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(prev.data, q.previous, prev.len);

    rc = ngx_http_llm_rstore_get(r, ctx, &prev, &entry, 0);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rstore_prev = prev;

    if (rc == NGX_DECLINED) {
        /* made on another node, or before nginx restarted: controld */
        rc = ngx_http_llm_rstore_fetch(r, ctx, &prev, 0);

        if (rc == NGX_AGAIN || rc == NGX_ERROR) {
            return rc == NGX_AGAIN ? NGX_AGAIN
                                   : NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (rc != NGX_OK) {
        return ngx_http_llm_rstore_not_found(r, ctx, &prev, 1);
    }

    return ngx_http_llm_rstore_prepend(r, ctx, &entry);
}


/*
 * The previous response found: one its provider keeps goes on to that
 * provider as it is; one the gateway keeps is put in front of the input,
 * and that is the body to route.
 */

static ngx_int_t
ngx_http_llm_rstore_prepend(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx,
    ngx_str_t *entry)
{
    u_char     *p;
    ngx_int_t   rc;
    llm_buf_t   body = LLM_BUF_INIT;

    rc = ngx_http_llm_rpass_keeper(ctx, entry);

    if (rc == NGX_OK) {
        /* the provider keeps it: the body goes to it as it is */
        return NGX_OK;
    }

    if (rc == NGX_ERROR) {
        /* its deployment is no longer in the config */
        return ngx_http_llm_rstore_not_found(r, ctx, &ctx->rstore_prev, 1);
    }

    ctx->resp_local = 1;

    if (llm_rstore_prepend((char *) ctx->body.data, ctx->body.len,
                           (char *) entry->data, entry->len, &body)
        != 0)
    {
        llm_buf_free(&body);
        return ngx_http_llm_send_error(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       "invalid_request_error",
                                       "input must be a string or a list "
                                       "of items to continue a previous "
                                       "response");
    }

    p = ngx_pnalloc(r->pool, body.len);
    if (p == NULL) {
        llm_buf_free(&body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, body.data, body.len);
    ctx->body.data = p;
    ctx->body.len = body.len;
    llm_buf_free(&body);

    /* the scan's offsets are the new body's */
    if (llm_json_scan((char *) ctx->body.data, ctx->body.len, &ctx->scan)
        != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * controld answered (or did not) what this zone did not hold: go on with
 * the request.  NGX_OK: a follow-up request's body is ready to route;
 * anything else is the answer given.
 */

ngx_int_t
ngx_http_llm_rstore_resume(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_str_t  *id;

    ctx->rstore_wait = 0;
    id = ctx->endpoint == LLM_ROUTE_RESPONSES ? &ctx->rstore_prev
                                              : &ctx->resp_ref;

    if (ctx->rstore_status == NGX_HTTP_NOT_FOUND) {
        return ngx_http_llm_rstore_not_found(r, ctx, id,
                                 ctx->endpoint == LLM_ROUTE_RESPONSES);
    }

    if (ctx->rstore_status != NGX_HTTP_OK) {
        return ngx_http_llm_rstore_unavailable(r, ctx);
    }

    if (ctx->endpoint == LLM_ROUTE_RESPONSES) {
        return ngx_http_llm_rstore_prepend(r, ctx, &ctx->rstore_answer);
    }

    return ngx_http_llm_rstore_reply(r, ctx, &ctx->rstore_answer);
}


/* the answer to a Responses request went out whole: keep it */

void
ngx_http_llm_rstore_save(ngx_http_llm_ctx_t *ctx, const char *resp,
    size_t len)
{
    char       id[LLM_RSTORE_ID_MAX];
    llm_buf_t  entry = LLM_BUF_INIT;

    if (!ctx->rstore || ctx->api != LLM_API_RESPONSES
        || ctx->endpoint != LLM_ROUTE_RESPONSES)
    {
        return;
    }

    if (llm_rstore_entry((char *) ctx->body.data, ctx->body.len, resp, len,
                         &entry, id, sizeof(id))
        == 0)
    {
        ngx_http_llm_rstore_put(ctx, (u_char *) id, ngx_strlen(id),
                                (u_char *) entry.data, entry.len);
    }

    llm_buf_free(&entry);
}


void
ngx_http_llm_rstore_stream(ngx_http_llm_ctx_t *ctx, llm_stream_xlate_t *x)
{
    llm_buf_t  resp = LLM_BUF_INIT;

    if (ctx->rstore && x != NULL
        && llm_stream_xlate_response(x, &resp) == 0)
    {
        ngx_http_llm_rstore_save(ctx, resp.data, resp.len);
    }

    llm_buf_free(&resp);
}


/* a passed-through response completed: its provider keeps it, we keep
   which deployment that is */

void
ngx_http_llm_rstore_passed(ngx_http_llm_ctx_t *ctx, const char *data,
    size_t len)
{
    char       id[LLM_RSTORE_ID_MAX];
    llm_buf_t  entry = LLM_BUF_INIT;

    if (!ctx->rstore || !ctx->resp_pass
        || ctx->endpoint != LLM_ROUTE_RESPONSES
        || llm_rstore_answer_id(data, len, id, sizeof(id)) != 0)
    {
        return;
    }

    if (llm_rstore_upstream_entry(ctx->dep->dep->id, &entry) == 0) {
        ngx_http_llm_rstore_put(ctx, (u_char *) id, ngx_strlen(id),
                                (u_char *) entry.data, entry.len);
    }

    llm_buf_free(&entry);
}


/* GET /v1/responses/{id}, DELETE, GET /v1/responses/{id}/input_items,
   POST /v1/responses/{id}/cancel */

ngx_int_t
ngx_http_llm_rstore_handler(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    ngx_str_t   entry;
    ngx_int_t   rc;

    /* read first: a DELETE of a response its provider keeps is the
       provider's to answer */
    rc = ngx_http_llm_rstore_get(r, ctx, &ctx->resp_ref, &entry, 0);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        /* made on another node, or before nginx restarted: controld */
        rc = ngx_http_llm_rstore_fetch(r, ctx, &ctx->resp_ref,
                                       r->method == NGX_HTTP_DELETE);

        if (rc == NGX_AGAIN || rc == NGX_ERROR) {
            return rc == NGX_AGAIN ? NGX_AGAIN
                                   : NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (rc != NGX_OK) {
        return ngx_http_llm_rstore_not_found(r, ctx, &ctx->resp_ref, 0);
    }

    return ngx_http_llm_rstore_reply(r, ctx, &entry);
}


