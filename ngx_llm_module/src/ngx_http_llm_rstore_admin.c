
/*
 * controld's side of the stored responses (admin API, ngx_http_llm_admin.c
 * routes here):
 *
 *   GET  /_llm/responses   the entries and deletions not yet durable,
 *                          oldest first, up to about 1 MB of entries:
 *     {"max_bytes":N,"more":false,"entries":[{"id":"resp_..","owner":
 *      "<sha256 hex of the key>","seq":N,"ttl_ms":N,"deleted":false,
 *      "entry":"<the entry's JSON text>"}]}
 *   POST /_llm/responses   {"ack":[["resp_..",seq]],"forget":[["<owner>",
 *                          "resp_.."]]}: acknowledged ones are durable
 *                          (if not replaced since: the seq); forgotten
 *                          ones (deleted on another node) leave the zone
 *
 * An entry is copied under the zone mutex and never read across I/O.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_llm_rstore.h"


#define NGX_HTTP_LLM_RSTORE_BATCH  (1024 * 1024)


static size_t
ngx_http_llm_rstore_item_len(ngx_http_llm_rstore_node_t *n)
{
    return sizeof("{\"id\":,\"owner\":\"\",\"seq\":,\"ttl_ms\":,"
                  "\"deleted\":false,\"entry\":},")
           + LLM_JSON_QUOTED_MAX(n->id_len) + 64 + 2 * NGX_INT64_LEN
           + LLM_JSON_QUOTED_MAX(n->len);
}


u_char *
ngx_http_llm_rstore_drain(ngx_http_request_t *r, size_t *lenp)
{
    u_char                      *start, *p;
    size_t                       len, raw;
    uint64_t                     now;
    long long                    max;
    ngx_uint_t                   more, first;
    ngx_queue_t                 *q, *last;
    ngx_http_llm_zone_t         *zone;
    ngx_http_llm_tables_t       *t;
    ngx_http_llm_rstore_node_t  *n;

    zone = ngx_http_llm_rstore_zone();
    t = ngx_http_llm_tables_acquire(r);
    max = t ? t->cf->settings.responses_max_bytes : 8 * 1024 * 1024;
    now = ngx_http_llm_rstore_now();

    ngx_shmtx_lock(&zone->shpool->mutex);

    ngx_http_llm_rstore_expire(zone, now);

    /* what goes out this time: oldest first, about a batch */
    len = sizeof("{\"max_bytes\":,\"more\":false,\"entries\":[]}")
          + NGX_INT64_LEN;
    raw = 0;
    more = 0;
    last = ngx_queue_sentinel(&zone->sh->rstore.pending);

    for (q = ngx_queue_head(&zone->sh->rstore.pending);
         q != ngx_queue_sentinel(&zone->sh->rstore.pending);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, ngx_http_llm_rstore_node_t, pending);

        if (raw && raw + n->len > NGX_HTTP_LLM_RSTORE_BATCH) {
            more = 1;
            last = q;
            break;
        }

        raw += n->len;
        len += ngx_http_llm_rstore_item_len(n);
    }

    start = ngx_pnalloc(r->pool, len);
    if (start == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NULL;
    }

    p = ngx_sprintf(start, "{\"max_bytes\":%L,\"more\":%s,\"entries\":[",
                    max, more ? "true" : "false");
    first = 1;

    for (q = ngx_queue_head(&zone->sh->rstore.pending);
         q != last;
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, ngx_http_llm_rstore_node_t, pending);

        if (!first) {
            *p++ = ',';
        }

        first = 0;

        p = ngx_cpymem(p, "{\"id\":", 6);
        p += llm_json_quote((char *) n->data, n->id_len, (char *) p);
        p = ngx_cpymem(p, ",\"owner\":\"", 10);
        p = ngx_hex_dump(p, n->owner, 32);
        p = ngx_sprintf(p, "\",\"seq\":%uL,\"ttl_ms\":%uL,\"deleted\":%s,"
                        "\"entry\":", n->seq,
                        n->expires > now ? n->expires - now : 0,
                        n->deleted ? "true" : "false");

        if (n->deleted) {
            p = ngx_cpymem(p, "null", 4);

        } else {
            p += llm_json_quote((char *) n->data + n->id_len, n->len,
                                (char *) p);
        }

        *p++ = '}';
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    *p++ = ']';
    *p++ = '}';
    *lenp = p - start;

    return start;
}


/* POST /_llm/responses: acknowledgements and deletions made elsewhere */

ngx_int_t
ngx_http_llm_rstore_sync(ngx_http_llm_zone_t *zone, u_char *json, size_t len,
    u_char *err, size_t errlen, ngx_uint_t *applied)
{
    u_char                       owner[64];
    size_t                       i;
    json_t                      *doc, *ack, *forget, *it;
    const char                  *id, *hex;
    ngx_http_llm_rstore_node_t  *n;

    doc = json_loadb((char *) json, len, 0, NULL);

    if (!json_is_object(doc)) {
        json_decref(doc);
        ngx_cpystrn(err, (u_char *) "not a JSON object", errlen);
        return NGX_ERROR;
    }

    ack = json_object_get(doc, "ack");
    forget = json_object_get(doc, "forget");
    *applied = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    json_array_foreach(ack, i, it) {
        id = json_string_value(json_array_get(it, 0));
        n = id ? ngx_http_llm_rstore_by_id(zone, (u_char *) id,
                                           ngx_strlen(id))
               : NULL;

        if (n != NULL
            && (uint64_t) json_integer_value(json_array_get(it, 1)) == n->seq)
        {
            ngx_http_llm_rstore_set_durable(zone, n);
            (*applied)++;
        }
    }

    json_array_foreach(forget, i, it) {
        hex = json_string_value(json_array_get(it, 0));
        id = json_string_value(json_array_get(it, 1));

        if (hex == NULL || id == NULL || ngx_strlen(hex) != 64) {
            continue;
        }

        n = ngx_http_llm_rstore_by_id(zone, (u_char *) id, ngx_strlen(id));

        if (n != NULL) {
            ngx_hex_dump(owner, n->owner, 32);
        }

        if (n != NULL && ngx_strncmp(owner, hex, 64) == 0) {
            ngx_http_llm_rstore_remove(zone, n);
            (*applied)++;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    json_decref(doc);

    return NGX_OK;
}
