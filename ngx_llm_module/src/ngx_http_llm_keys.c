
/*
 * Virtual keys in the data plane: the table controld publishes, the usage
 * slots of keys, teams and per-model limits in the shared zone, and the
 * monotonic usage counters controld drains through GET /_llm/usage to make
 * them durable.  Admission and settling are ngx_http_llm_admit.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>

#include "ngx_http_llm_ctx.h"


static ngx_http_llm_keyset_t  *ngx_http_llm_keys_current;


static void ngx_http_llm_keyset_release(void *data);


/*
 * The usage slot of a digest (a key's token, a team's or a key-and-model's
 * digest), created when `create` and the digest has none yet.  Slots are
 * never freed, so a lookup ends at the first unused slot of the probe.
 */

static ngx_http_llm_key_slot_t *
ngx_http_llm_key_slot_get(ngx_http_llm_zone_t *zone, const u_char *token,
    ngx_uint_t kind, const char *team, ngx_uint_t create)
{
    uint32_t                  hash;
    ngx_uint_t                i;
    ngx_http_llm_key_slot_t  *slot, *found;

    ngx_memcpy(&hash, token, sizeof(hash));
    found = NULL;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_LLM_KEY_SLOTS; i++) {
        slot = &zone->sh->key_slots[(hash + i) % NGX_HTTP_LLM_KEY_SLOTS];

        if (!slot->used) {
            if (!create) {
                break;
            }

            slot->used = 1;
            slot->kind = kind;
            ngx_memcpy(slot->token, token, 32);

            if (team != NULL) {
                slot->team_len = ngx_min(ngx_strlen(team), sizeof(slot->team));
                ngx_memcpy(slot->team, team, slot->team_len);
            }

            found = slot;
            break;
        }

        if (ngx_memcmp(slot->token, token, 32) == 0) {
            found = slot;
            break;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return found;
}


static ngx_http_llm_key_slot_t *
ngx_http_llm_key_slot(ngx_http_llm_zone_t *zone, const u_char *token,
    const char *team)
{
    return ngx_http_llm_key_slot_get(zone, token,
                                     team ? NGX_HTTP_LLM_SLOT_TEAM
                                          : NGX_HTTP_LLM_SLOT_KEY,
                                     team, 1);
}


static void
ngx_http_llm_team_digest(const char *id, u_char *digest)
{
    SHA256_CTX  c;

    SHA256_Init(&c);
    SHA256_Update(&c, "team:", 5);
    SHA256_Update(&c, id, ngx_strlen(id));
    SHA256_Final(digest, &c);
}


/*
 * One key's traffic to one model (for model_rpm_limit / model_tpm_limit):
 * SHA-256 of "model:<token hex>:<model>", as controld computes it to name
 * the shared window (llm_rates.h).
 */

static void
ngx_http_llm_model_digest(const char *token_hex, const char *model,
    size_t model_len, u_char *digest)
{
    SHA256_CTX  c;

    SHA256_Init(&c);
    SHA256_Update(&c, "model:", 6);
    SHA256_Update(&c, token_hex, ngx_strlen(token_hex));
    SHA256_Update(&c, ":", 1);
    SHA256_Update(&c, model, model_len);
    SHA256_Final(digest, &c);
}


ngx_http_llm_key_slot_t *
ngx_http_llm_model_slot(ngx_http_llm_zone_t *zone, const llm_key_t *k,
    const char *model, size_t model_len)
{
    u_char  digest[32];

    ngx_http_llm_model_digest(k->token_hex, model, model_len, digest);

    return ngx_http_llm_key_slot_get(zone, digest, NGX_HTTP_LLM_SLOT_MODEL,
                                     NULL, 1);
}


/*
 * Publishing: the durable totals contain this node's spend up to the base
 * controld states for this zone's epoch; without one (another epoch, or a
 * controld that does not say), up to the spend counted now.
 */

static void
ngx_http_llm_rebase(ngx_http_llm_key_slot_t *slot, ngx_uint_t exact,
    uint64_t base)
{
    if (slot == NULL) {
        return;
    }

    ngx_spinlock(&slot->lock, ngx_pid, 1024);
    slot->st.base_micros = (exact && base <= slot->st.spend_micros)
                           ? base : slot->st.spend_micros;
    ngx_unlock(&slot->lock);
}


ngx_int_t
ngx_http_llm_publish_keys(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, ngx_log_t *log, u_char *err, size_t errlen)
{
    size_t       i, j;
    char         msg[256];
    u_char       digest[32], epoch[NGX_INT64_LEN + 1];
    ngx_uint_t   same;
    const char  *model;
    llm_keys_t  *ks;

    ks = llm_keys_parse((char *) json, len, msg, sizeof(msg));

    if (ks == NULL) {
        ngx_snprintf(err, errlen, "%s%Z", msg);
        return NGX_DECLINED;
    }

    if (ngx_http_llm_store(zone, &zone->sh->keys, json, len) != NGX_OK) {
        llm_keys_free(ks);
        ngx_snprintf(err, errlen, "llm_zone is too small for the keys%Z");
        return NGX_DECLINED;
    }

    ngx_sprintf(epoch, "%uL%Z", zone->sh->epoch);
    same = (ks->epoch != NULL && ngx_strcmp(ks->epoch, epoch) == 0);

    for (i = 0; i < ks->nkeys; i++) {
        ngx_http_llm_rebase(ngx_http_llm_key_slot(zone, ks->keys[i].token,
                                                  NULL),
                            same && ks->keys[i].has_base,
                            ks->keys[i].local_base_micros);

        /*
         * Per-model windows exist from the start, so the other nodes'
         * counts (POST /_llm/rates) have a slot to land in before this
         * node serves the model.
         */
        for (j = 0; j < ks->keys[i].nmodel_limits; j++) {
            model = ks->keys[i].model_limits[j].model;
            (void) ngx_http_llm_model_slot(zone, &ks->keys[i], model,
                                           ngx_strlen(model));
        }
    }

    for (i = 0; i < ks->nteams; i++) {
        ngx_http_llm_team_digest(ks->teams[i].id, digest);
        ngx_http_llm_rebase(ngx_http_llm_key_slot(zone, digest,
                                                  ks->teams[i].id),
                            same && ks->teams[i].has_base,
                            ks->teams[i].local_base_micros);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "llm: published %uz keys, %uz teams", ks->nkeys,
                   ks->nteams);

    llm_keys_free(ks);

    return NGX_OK;
}


/*
 * POST /_llm/rates: the other nodes' minute windows.  Only the counters of
 * existing slots change (under each slot's lock); the key table is not
 * parsed again.  A digest with no slot here is not in this node's table:
 * nothing to limit, so it is skipped.
 */

ngx_int_t
ngx_http_llm_publish_rates(ngx_http_llm_zone_t *zone, u_char *json,
    size_t len, ngx_log_t *log, u_char *err, size_t errlen,
    ngx_uint_t *applied)
{
    size_t                    i;
    char                      msg[256];
    u_char                    digest[32];
    ngx_uint_t                kind;
    llm_rates_t              *rates;
    llm_rates_entry_t        *e;
    ngx_http_llm_key_slot_t  *slot;

    rates = llm_rates_parse((char *) json, len, msg, sizeof(msg));

    if (rates == NULL) {
        ngx_snprintf(err, errlen, "%s%Z", msg);
        return NGX_DECLINED;
    }

    *applied = 0;

    for (i = 0; i < rates->nentries; i++) {
        e = &rates->entries[i];

        switch (e->kind) {
        case LLM_RATES_TEAM:
            ngx_http_llm_team_digest(e->team, digest);
            kind = NGX_HTTP_LLM_SLOT_TEAM;
            break;
        case LLM_RATES_MODEL:
            ngx_memcpy(digest, e->digest, 32);
            kind = NGX_HTTP_LLM_SLOT_MODEL;
            break;
        default:
            ngx_memcpy(digest, e->digest, 32);
            kind = NGX_HTTP_LLM_SLOT_KEY;
            break;
        }

        slot = ngx_http_llm_key_slot_get(zone, digest, kind, NULL, 0);

        if (slot == NULL || slot->kind != kind) {
            continue;
        }

        ngx_spinlock(&slot->lock, ngx_pid, 1024);
        slot->st.others_minute = rates->minute;
        slot->st.others_requests = e->requests;
        slot->st.others_tokens = e->tokens;
        ngx_unlock(&slot->lock);

        (*applied)++;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "llm: rates of minute %uL: %ui of %uz applied",
                   rates->minute, *applied, rates->nentries);

    llm_rates_free(rates);

    return NGX_OK;
}


static ngx_http_llm_keyset_t *
ngx_http_llm_keyset_acquire(ngx_http_request_t *r, ngx_http_llm_zone_t *zone)
{
    char                    err[256];
    u_char                 *copy;
    size_t                  len;
    ngx_atomic_uint_t       gen;
    llm_keys_t             *ks;
    ngx_pool_cleanup_t     *cln;
    ngx_http_llm_keyset_t  *set;

    gen = zone->sh->keys.generation;

    if (ngx_http_llm_keys_current == NULL
        || ngx_http_llm_keys_current->generation != gen)
    {
        copy = ngx_http_llm_blob_copy(zone, &zone->sh->keys, &gen, &len,
                                      r->connection->log);

        if (copy == NULL) {
            return NULL;
        }

        ks = llm_keys_parse((char *) copy, len, err, sizeof(err));
        ngx_free(copy);

        if (ks == NULL) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "llm: published keys unusable: %s", err);
            return NULL;
        }

        set = ngx_alloc(sizeof(ngx_http_llm_keyset_t), r->connection->log);
        if (set == NULL) {
            llm_keys_free(ks);
            return NULL;
        }

        set->generation = gen;
        set->refs = 1;
        set->keys = ks;

        if (ngx_http_llm_keys_current) {
            ngx_http_llm_keyset_release(ngx_http_llm_keys_current);
        }

        ngx_http_llm_keys_current = set;
    }

    set = ngx_http_llm_keys_current;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    set->refs++;
    cln->handler = ngx_http_llm_keyset_release;
    cln->data = set;

    return set;
}


static void
ngx_http_llm_keyset_release(void *data)
{
    ngx_http_llm_keyset_t  *set = data;

    if (--set->refs) {
        return;
    }

    llm_keys_free(set->keys);
    ngx_free(set);
}


/*
 * A key that is not the master key: NGX_OK with ctx->key set, or
 * NGX_DECLINED when no published key has this digest.
 */

ngx_int_t
ngx_http_llm_key_lookup(ngx_http_request_t *r, ngx_http_llm_ctx_t *ctx)
{
    u_char                     digest[32];
    ngx_http_llm_zone_t       *zone;
    ngx_http_llm_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);
    zone = lmcf->shm_zone->data;

    ctx->keyset = ngx_http_llm_keyset_acquire(r, zone);

    if (ctx->keyset == NULL) {
        return NGX_DECLINED;
    }

    ctx->key = llm_keys_find(ctx->keyset->keys, ctx->digest);

    if (ctx->key == NULL) {
        return NGX_DECLINED;
    }

    ctx->key_slot = ngx_http_llm_key_slot(zone, ctx->key->token, NULL);

    if (ctx->key->team) {
        ngx_http_llm_team_digest(ctx->key->team->id, digest);
        ctx->team_slot = ngx_http_llm_key_slot(zone, digest,
                                               ctx->key->team->id);
    }

    return NGX_OK;
}


static u_char *
ngx_http_llm_usage_entry(u_char *p, const char *name, size_t len,
    llm_usage_state_t *st, ngx_uint_t first)
{
    if (!first) {
        *p++ = ',';
    }

    p += llm_json_quote(name, len, (char *) p);

    return ngx_sprintf(p, ":{\"spend_micros\":%uL,\"prompt_tokens\":%uL,"
                       "\"completion_tokens\":%uL,\"requests\":%uL,"
                       "\"in_flight\":%uL}",
                       st->spend_micros, st->prompt_tokens,
                       st->completion_tokens, st->requests, st->in_flight);
}


/*
 * GET /_llm/usage: every key, team and deployment counter since the zone
 * began (its epoch).  Keys and teams appear by digest only; "models" are
 * the per-model windows of keys with model limits, by their slot digest
 * (what controld shares through Redis; their usage is in the key's too).
 */

u_char *
ngx_http_llm_usage_json(ngx_http_request_t *r, size_t *len)
{
    u_char                    *start, *p;
    char                       hex[65];
    size_t                     size;
    ngx_uint_t                 i, first, kind;
    llm_usage_state_t          st;
    ngx_http_llm_zone_t       *zone;
    ngx_http_llm_slot_t       *ds;
    ngx_http_llm_key_slot_t   *ks;
    ngx_http_llm_main_conf_t  *lmcf;

    static const size_t  entry = 64 + 200 + 5 * NGX_INT64_LEN;
    static const char   *sections[] = { ",\"keys\":{", ",\"teams\":{",
                                         ",\"models\":{" };

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llm_module);
    zone = lmcf->shm_zone->data;

    size = 128 + (NGX_HTTP_LLM_KEY_SLOTS + NGX_HTTP_LLM_SLOTS) * entry;

    start = ngx_pnalloc(r->pool, size);
    if (start == NULL) {
        return NULL;
    }

    p = ngx_sprintf(start, "{\"epoch\":\"%uL\"", zone->sh->epoch);

    /* one section per slot kind: NGX_HTTP_LLM_SLOT_KEY, _TEAM, _MODEL */
    for (kind = 0; kind < 3; kind++) {
        p = ngx_cpymem(p, sections[kind], ngx_strlen(sections[kind]));
        first = 1;

        for (i = 0; i < NGX_HTTP_LLM_KEY_SLOTS; i++) {
            ks = &zone->sh->key_slots[i];

            if (!ks->used || ks->kind != kind) {
                continue;
            }

            ngx_spinlock(&ks->lock, ngx_pid, 1024);
            st = ks->st;
            ngx_unlock(&ks->lock);

            if (kind == NGX_HTTP_LLM_SLOT_TEAM) {
                p = ngx_http_llm_usage_entry(p, (char *) ks->team,
                                             ks->team_len, &st, first);

            } else {
                ngx_hex_dump((u_char *) hex, ks->token, 32);
                p = ngx_http_llm_usage_entry(p, hex, 64, &st, first);
            }

            first = 0;
        }

        *p++ = '}';
    }

    p = ngx_cpymem(p, ",\"deployments\":{", 16);
    first = 1;

    for (i = 0; i < NGX_HTTP_LLM_SLOTS; i++) {
        ds = &zone->sh->slots[i];

        if (!ds->used) {
            continue;
        }

        ngx_spinlock(&ds->lock, ngx_pid, 1024);
        st = ds->usage;
        st.in_flight = ds->st.in_flight;
        ngx_unlock(&ds->lock);

        p = ngx_http_llm_usage_entry(p, (char *) ds->id, ds->id_len, &st,
                                     first);
        first = 0;
    }

    p = ngx_cpymem(p, "}}", 2);

    *len = p - start;

    return start;
}
