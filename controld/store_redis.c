/*
 * The Redis store (router_settings.redis_host/port/password, or the
 * REDIS_* environment variables): shared by every gateway node.  hiredis'
 * blocking API with short timeouts (store_redis_conn.c); commands that
 * must be atomic are Lua scripts (store_redis_lua.h).  While Redis is
 * unreachable every call fails fast and poll() retries the connection with
 * a growing back-off; the service keeps serving from memory and the drain
 * marks stay where they were, so the module's monotonic counters still
 * hold every undrained delta when Redis returns.  Spend reports are
 * store_redis_report.c, the shared rate windows store_redis_rates.c.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "ctl_log.h"
#include "keys_util.h"
#include "store_api.h"
#include "store_redis_lua.h"
#include "keys_db.h"
#include "store_resp.h"
#include "store_redis_int.h"


/* Record fields are stored as the JSON text of each value. */
static void
args_add_record(redis_args_t *a, const json_t *rec)
{
    const char  *name;
    json_t      *v;
    char        *text;

    json_object_foreach((json_t *) rec, name, v) {
        text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        redis_args_add(a, name);
        redis_args_add(a, text);
        free(text);
    }
}

static json_t *
record_from_hash(const redisReply *rep)
{
    json_t  *rec = json_object(), *v;
    size_t   i;

    for (i = 0; i + 1 < rep->elements; i += 2) {
        v = json_loads(rep->element[i + 1]->str, JSON_DECODE_ANY, NULL);
        if (v != NULL) {
            json_object_set_new(rec, rep->element[i]->str, v);
        }
    }
    return rec;
}

static int
eval(store_redis_t *r, const char *script, redis_args_t *argv_tail,
    redisReply **out)
{
    redis_args_t       a;
    redisReply  *rep;
    size_t       i;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "EVAL");
    redis_args_add(&a, script);
    redis_args_add(&a, "0");
    for (i = 0; i < argv_tail->n; i++) {
        redis_args_add_len(&a, argv_tail->v[i], argv_tail->len[i]);
    }
    rep = redis_run(r, &a);
    redis_args_free(&a);
    if (rep == NULL) {
        return -1;
    }
    if (out != NULL) {
        *out = rep;
    } else {
        freeReplyObject(rep);
    }
    return 0;
}

/* A record's Lua script on prefix + id and its set; rec NULL: deletion. */
static int
record_op(store_redis_t *r, const char *script, const char *prefix,
    const char *set, const char *id, const json_t *rec)
{
    redis_args_t  a;
    int     rc;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, prefix);
    redis_args_add(&a, set);
    redis_args_add(&a, id);
    if (rec != NULL) {
        args_add_record(&a, rec);
    }
    rc = eval(r, script, &a, NULL);
    redis_args_free(&a);
    return rc;
}

static int
put_record(store_redis_t *r, const char *prefix, const char *set,
    const char *id, const json_t *rec)
{
    return record_op(r, STORE_LUA_PUT, prefix, set, id, rec);
}

static int
redis_put_key(store_t *s, keys_state_t *st, const char *token)
{
    return put_record((store_redis_t *) s, "llm:key:", "llm:keys", token,
                      json_object_get(st->db.keys, token));
}

static int
redis_put_team(store_t *s, keys_state_t *st, const char *id)
{
    return put_record((store_redis_t *) s, "llm:team:", "llm:teams", id,
                      json_object_get(st->db.teams, id));
}

static int
del_record(store_redis_t *r, const char *prefix, const char *set,
    const char *id)
{
    return record_op(r, STORE_LUA_DEL, prefix, set, id, NULL);
}

static int
redis_del_key(store_t *s, keys_state_t *st, const char *token)
{
    return del_record((store_redis_t *) s, "llm:key:", "llm:keys", token);
}

static int
redis_del_team(store_t *s, keys_state_t *st, const char *id)
{
    return del_record((store_redis_t *) s, "llm:team:", "llm:teams", id);
}

static int
redis_rename_key(store_t *s, keys_state_t *st, const char *old_token,
    const char *new_token)
{
    redis_args_t  a;
    int     rc;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, old_token);
    redis_args_add(&a, new_token);
    args_add_record(&a, json_object_get(st->db.keys, new_token));
    rc = eval((store_redis_t *) s, STORE_LUA_RENAME, &a, NULL);
    redis_args_free(&a);
    return rc;
}

/* SMEMBERS set -> pipelined HGETALL prefix<id> -> into (id -> record). */
static int
load_records(store_redis_t *r, const char *set, const char *prefix,
    json_t *into)
{
    redis_args_t        a, *cmds;
    redisReply   *members, **replies;
    size_t        i, n;
    int           rc = 0;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "SMEMBERS");
    redis_args_add(&a, set);
    members = redis_run(r, &a);
    redis_args_free(&a);
    if (members == NULL || members->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(members);
        return -1;
    }

    n = members->elements;
    cmds = calloc(n + 1, sizeof(redis_args_t));
    replies = calloc(n + 1, sizeof(redisReply *));
    if (cmds == NULL || replies == NULL) {
        abort();
    }
    for (i = 0; i < n; i++) {
        redis_args_add(&cmds[i], "HGETALL");
        redis_args_addf(&cmds[i], "%s%s", prefix, members->element[i]->str);
    }
    if (n > 0 && redis_pipeline(r, cmds, n, replies) != 0) {
        rc = -1;
    }
    for (i = 0; i < n; i++) {
        if (rc == 0 && replies[i] != NULL
            && replies[i]->type == REDIS_REPLY_ARRAY
            && replies[i]->elements > 0)
        {
            json_object_set_new(into, members->element[i]->str,
                                record_from_hash(replies[i]));
        }
        freeReplyObject(replies[i]);
        redis_args_free(&cmds[i]);
    }
    free(cmds);
    free(replies);
    freeReplyObject(members);
    return rc;
}

static void
counts_from_reply(const redisReply *rep, size_t first, usage_counts_t *c)
{
    long long  v[4] = { 0, 0, 0, 0 };
    size_t     i;

    for (i = 0; i < 4 && rep != NULL && first + i < rep->elements; i++) {
        v[i] = redis_reply_int(rep->element[first + i]);
    }
    c->spend = v[0];
    c->prompt = v[1];
    c->completion = v[2];
    c->requests = v[3];
}

static void
args_hmget_counts(redis_args_t *a, const char *hash)
{
    redis_args_add(a, "HMGET");
    redis_args_add(a, hash);
    redis_args_add(a, "spend_micros");
    redis_args_add(a, "prompt_tokens");
    redis_args_add(a, "completion_tokens");
    redis_args_add(a, "requests");
}

/* kind -> id -> [4] for the ids of `ids` from hashes "<prefix><id>". */
int
redis_load_counts(store_redis_t *r, const char *prefix, json_t *ids,
    json_t *into)
{
    redis_args_t           *cmds;
    redisReply      **replies;
    const char       *id;
    json_t           *v;
    size_t            i = 0, n = json_object_size(ids);
    usage_counts_t    c;
    char              hash[256];
    int               rc = 0;

    if (n == 0) {
        return 0;
    }
    cmds = calloc(n, sizeof(redis_args_t));
    replies = calloc(n, sizeof(redisReply *));
    if (cmds == NULL || replies == NULL) {
        abort();
    }
    json_object_foreach(ids, id, v) {
        snprintf(hash, sizeof(hash), "%s%s", prefix, id);
        args_hmget_counts(&cmds[i++], hash);
    }
    rc = redis_pipeline(r, cmds, n, replies);
    i = 0;
    json_object_foreach(ids, id, v) {
        if (rc == 0) {
            counts_from_reply(replies[i], 0, &c);
            json_object_set_new(into, id, usage_counts_json(&c));
        }
        freeReplyObject(replies[i]);
        redis_args_free(&cmds[i]);
        i++;
    }
    free(cmds);
    free(replies);
    return rc;
}

static int
redis_refresh_spend(store_t *s, keys_state_t *st)
{
    store_redis_t  *r = (store_redis_t *) s;
    json_t         *keys = json_object(), *teams = json_object();
    int             rc;

    rc = redis_load_counts(r, "llm:spend:key:", st->db.keys, keys);
    if (rc == 0) {
        rc = redis_load_counts(r, "llm:spend:team:", st->db.teams, teams);
    }
    if (rc == 0) {
        json_object_update(keys_db_child(st->db.spend, "key"), keys);
        json_object_update(keys_db_child(st->db.spend, "team"), teams);
    }
    json_decref(keys);
    json_decref(teams);
    return rc;
}

static json_t *
get_versions(store_redis_t *r, long long *kv, long long *sv, char *id,
    size_t idsize)
{
    redis_args_t       a;
    redisReply  *rep;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "MGET");
    redis_args_add(&a, "llm:keys:version");
    redis_args_add(&a, "llm:spend:version");
    redis_args_add(&a, "llm:store:id");
    rep = redis_run(r, &a);
    redis_args_free(&a);
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3) {
        freeReplyObject(rep);
        return NULL;
    }
    *kv = redis_reply_int(rep->element[0]);
    *sv = redis_reply_int(rep->element[1]);
    snprintf(id, idsize, "%s",
             rep->element[2]->type == REDIS_REPLY_STRING
             ? rep->element[2]->str : "");
    freeReplyObject(rep);
    return json_true();
}

/* SET llm:store:id NX: the id that tells a wiped Redis from ours. */
static int
claim_store_id(store_redis_t *r)
{
    unsigned char  raw[12];
    char           id[40];
    redis_args_t         a;
    redisReply    *rep;
    size_t         i;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return -1;
    }
    for (i = 0; i < sizeof(raw); i++) {
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    }
    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "SET");
    redis_args_add(&a, "llm:store:id");
    redis_args_add(&a, id);
    redis_args_add(&a, "NX");
    rep = redis_run(r, &a);
    redis_args_free(&a);
    freeReplyObject(rep);

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "GET");
    redis_args_add(&a, "llm:store:id");
    rep = redis_run(r, &a);
    redis_args_free(&a);
    if (rep == NULL || rep->type != REDIS_REPLY_STRING) {
        freeReplyObject(rep);
        return -1;
    }
    snprintf(r->store_id, sizeof(r->store_id), "%s", rep->str);
    freeReplyObject(rep);
    return 0;
}

static int
redis_load(store_t *s, keys_state_t *st, char *err, size_t size)
{
    store_redis_t  *r = (store_redis_t *) s;
    json_t         *keys = json_object(), *teams = json_object();
    long long       kv = 0, sv = 0;
    char            id[40];

    /* Read the versions first: a change racing with the load is then
     * seen again by the next poll. */
    if (get_versions(r, &kv, &sv, id, sizeof(id)) == NULL
        || (id[0] == '\0' && claim_store_id(r) != 0)
        || load_records(r, "llm:keys", "llm:key:", keys) != 0
        || load_records(r, "llm:teams", "llm:team:", teams) != 0)
    {
        snprintf(err, size, "redis %s:%d: %s", r->cfg.host, r->cfg.port,
                 r->c == NULL ? "unreachable" : "load failed");
        json_decref(keys);
        json_decref(teams);
        return -1;
    }
    if (id[0] != '\0') {
        snprintf(r->store_id, sizeof(r->store_id), "%s", id);
    }
    json_decref(st->db.keys);
    json_decref(st->db.teams);
    st->db.keys = keys;
    st->db.teams = teams;
    r->keys_version = kv;
    r->spend_version = sv;
    r->versions_known = 1;
    r->reconnected = 0;
    if (redis_refresh_spend(s, st) != 0) {
        snprintf(err, size, "redis: loading spend failed");
        return -1;
    }
    return 0;
}

static json_t *
redis_load_marks(store_t *s, keys_state_t *st, const char *epoch)
{
    store_redis_t    *r = (store_redis_t *) s;
    redis_args_t            a;
    redisReply       *rep;
    json_t           *marks;
    usage_counts_t    c;
    size_t            i;
    char              kind[16], *colon;
    const char       *field;

    memset(&a, 0, sizeof(a));
    redis_args_add(&a, "HGETALL");
    redis_args_addf(&a, "llm:drain:%s", epoch);
    rep = redis_run(r, &a);
    redis_args_free(&a);
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return NULL;
    }
    marks = json_object();
    for (i = 0; i + 1 < rep->elements; i += 2) {
        field = rep->element[i]->str;
        colon = strchr(field, ':');
        if (colon == NULL || (size_t) (colon - field) >= sizeof(kind)
            || usage_mark_parse(rep->element[i + 1]->str, &c) != 0)
        {
            continue;
        }
        memcpy(kind, field, (size_t) (colon - field));
        kind[colon - field] = '\0';
        json_object_set_new(keys_db_child(marks, kind), colon + 1,
                            usage_counts_json(&c));
    }
    freeReplyObject(rep);
    return marks;
}

static int
redis_flush(store_t *s, keys_state_t *st, const usage_batch_t *b,
    const char *day)
{
    store_redis_t        *r = (store_redis_t *) s;
    const usage_entry_t  *e;
    redis_args_t                a;
    redisReply           *rep = NULL, *item;
    usage_counts_t        mark, life;
    json_t               *kind_marks;
    char                  text[128];
    size_t                i;

    if (b->count == 0) {
        return 0;
    }
    memset(&a, 0, sizeof(a));
    redis_args_add(&a, st->usage.epoch);
    redis_args_add(&a, day);
    for (i = 0; i < b->count; i++) {
        e = &b->items[i];
        redis_args_add(&a, e->kind);
        redis_args_add(&a, e->id);
        redis_args_add(&a, e->group ? e->group : "");
        usage_mark_text(&e->old_mark, e->had_mark, text, sizeof(text));
        redis_args_add(&a, text);
        usage_mark_text(&e->new_mark, 1, text, sizeof(text));
        redis_args_add(&a, text);
        redis_args_addf(&a, "%lld", (long long) e->delta.spend);
        redis_args_addf(&a, "%lld", (long long) e->delta.prompt);
        redis_args_addf(&a, "%lld", (long long) e->delta.completion);
        redis_args_addf(&a, "%lld", (long long) e->delta.requests);
    }
    if (eval(r, STORE_LUA_FLUSH, &a, &rep) != 0) {
        redis_args_free(&a);
        return -1;
    }
    redis_args_free(&a);

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != b->count) {
        freeReplyObject(rep);
        return -1;
    }
    for (i = 0; i < b->count; i++) {
        e = &b->items[i];
        item = rep->element[i];
        if (item->type != REDIS_REPLY_ARRAY || item->elements != 5) {
            continue;
        }
        kind_marks = keys_db_child(st->usage.marks, e->kind);
        /* The mark as stored now: ours, or (after a lost answer or a
         * wiped Redis) whatever is there, which the next drain builds on. */
        if (usage_mark_parse(item->element[0]->str, &mark) == 0) {
            json_object_set_new(kind_marks, e->id, usage_counts_json(&mark));
        } else {
            json_object_del(kind_marks, e->id);
        }
        counts_from_reply(item, 1, &life);
        keys_db_set_lifetime(&st->db, e->kind, e->id, &life);
    }
    freeReplyObject(rep);
    return 0;
}

static int
redis_reset_budget(store_t *s, keys_state_t *st, const char *kind,
    const char *id, int64_t expected, int64_t next)
{
    store_redis_t  *r = (store_redis_t *) s;
    redis_args_t          a;
    redisReply     *rep = NULL;
    json_t         *rec;
    int             rc;

    memset(&a, 0, sizeof(a));
    redis_args_addf(&a, "llm:%s:%s", kind, id);
    redis_args_addf(&a, "llm:spend:%s:%s", kind, id);
    redis_args_addf(&a, "%lld", (long long) expected);
    redis_args_addf(&a, "%lld", (long long) next);
    rc = eval(r, STORE_LUA_RESET, &a, &rep);
    redis_args_free(&a);
    if (rc != 0) {
        return -1;
    }
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
        rec = json_object_get(strcmp(kind, "key") == 0 ? st->db.keys
                                                       : st->db.teams, id);
        if (rec != NULL) {
            json_object_set_new(rec, "spend_base_micros",
                                json_integer(redis_reply_int(rep->element[1])));
            json_object_set_new(rec, "budget_reset_at", json_integer(next));
        }
        rc = 1;
    } else {
        rc = 0;
    }
    freeReplyObject(rep);
    return rc;
}

/*
 * Redis answered but without our store id: it was wiped (or replaced).
 * Write back everything this node knows, so no key and no spend is lost.
 */
static int
restore(store_redis_t *r, keys_state_t *st)
{
    const char  *id, *kind;
    json_t      *rec, *ids, *v;
    redis_args_t       a;
    redisReply  *rep;
    usage_counts_t  c;
    char         text[128];
    int          rc = 0;

    ctl_log("redis %s:%d lost its data; restoring %zu keys and %zu teams "
            "from memory", r->cfg.host, r->cfg.port,
            json_object_size(st->db.keys), json_object_size(st->db.teams));

    json_object_foreach(st->db.keys, id, rec) {
        rc |= put_record(r, "llm:key:", "llm:keys", id, rec);
    }
    json_object_foreach(st->db.teams, id, rec) {
        rc |= put_record(r, "llm:team:", "llm:teams", id, rec);
    }
    json_object_foreach(st->db.spend, kind, ids) {
        json_object_foreach(ids, id, v) {
            usage_counts_from_json(v, &c);
            memset(&a, 0, sizeof(a));
            redis_args_add(&a, "HSET");
            redis_args_addf(&a, "llm:spend:%s:%s", kind, id);
            redis_args_add(&a, "spend_micros");
            redis_args_addf(&a, "%lld", (long long) c.spend);
            redis_args_add(&a, "prompt_tokens");
            redis_args_addf(&a, "%lld", (long long) c.prompt);
            redis_args_add(&a, "completion_tokens");
            redis_args_addf(&a, "%lld", (long long) c.completion);
            redis_args_add(&a, "requests");
            redis_args_addf(&a, "%lld", (long long) c.requests);
            rep = redis_run(r, &a);
            rc |= rep == NULL ? -1 : 0;
            freeReplyObject(rep);
            redis_args_free(&a);

            memset(&a, 0, sizeof(a));
            redis_args_add(&a, "SADD");
            redis_args_addf(&a, "llm:spend:index:%s", kind);
            redis_args_add(&a, id);
            freeReplyObject(redis_run(r, &a));
            redis_args_free(&a);
        }
    }
    if (st->usage.epoch != NULL) {
        json_object_foreach(st->usage.marks, kind, ids) {
            json_object_foreach(ids, id, v) {
                usage_counts_from_json(v, &c);
                usage_mark_text(&c, 1, text, sizeof(text));
                memset(&a, 0, sizeof(a));
                redis_args_add(&a, "HSET");
                redis_args_addf(&a, "llm:drain:%s", st->usage.epoch);
                redis_args_addf(&a, "%s:%s", kind, id);
                redis_args_add(&a, text);
                rep = redis_run(r, &a);
                rc |= rep == NULL ? -1 : 0;
                freeReplyObject(rep);
                redis_args_free(&a);
            }
        }
    }
    if (rc == 0) {
        memset(&a, 0, sizeof(a));
        redis_args_add(&a, "SET");
        redis_args_add(&a, "llm:store:id");
        redis_args_add(&a, r->store_id);
        rep = redis_run(r, &a);
        rc = rep == NULL ? -1 : 0;
        freeReplyObject(rep);
        redis_args_free(&a);
    }
    return rc;
}

/* Wipe, then write st->db back (restore() of a wiped Redis). */
static int
redis_replace(store_t *s, keys_state_t *st)
{
    store_redis_t  *r = (store_redis_t *) s;
    redis_args_t          none;

    memset(&none, 0, sizeof(none));
    if (eval(r, STORE_LUA_WIPE, &none, NULL) != 0) {
        return -1;
    }
    return restore(r, st);
}

static int
redis_poll(store_t *s, keys_state_t *st)
{
    store_redis_t  *r = (store_redis_t *) s;
    long long       kv, sv;
    char            id[40];
    int             bits = 0;

    if (get_versions(r, &kv, &sv, id, sizeof(id)) == NULL) {
        return -1;
    }
    if (r->store_id[0] != '\0' && strcmp(id, r->store_id) != 0) {
        if (restore(r, st) != 0) {
            return -1;
        }
        get_versions(r, &kv, &sv, id, sizeof(id));
        bits |= STORE_RECORDS_CHANGED | STORE_SPEND_CHANGED;
    }
    if (r->reconnected) {
        r->reconnected = 0;
        bits |= STORE_RECONNECTED;
    }
    if (!r->versions_known || kv != r->keys_version) {
        bits |= STORE_RECORDS_CHANGED;
    }
    if (!r->versions_known || sv != r->spend_version) {
        bits |= STORE_SPEND_CHANGED;
    }
    r->keys_version = kv;
    r->spend_version = sv;
    r->versions_known = 1;
    return bits;
}

void *
store_redis_command(store_t *s, int argc, const char **argv,
    const size_t *lens)
{
    redis_args_t       a;
    redisReply  *rep;
    int          i;

    memset(&a, 0, sizeof(a));
    for (i = 0; i < argc; i++) {
        redis_args_add_len(&a, argv[i], lens[i]);
    }
    rep = redis_run((store_redis_t *) s, &a);
    redis_args_free(&a);
    return rep;
}

static int
redis_available(store_t *s)
{
    return redis_connect((store_redis_t *) s) == 0;
}

static void
redis_destroy(store_t *s)
{
    store_redis_t  *r = (store_redis_t *) s;

    if (r->c != NULL) {
        redisFree(r->c);
    }
    free(r->cfg.host);
    if (r->cfg.password != NULL) {
        memset(r->cfg.password, 0, strlen(r->cfg.password));
        free(r->cfg.password);
    }
    free(r->cfg.cache_path);
    free(r);
}

store_t *
store_redis_create(const store_redis_config_t *cfg)
{
    store_redis_t  *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        abort();
    }
    r->cfg.host = strdup(cfg->host);
    r->cfg.port = cfg->port;
    r->cfg.password = cfg->password ? strdup(cfg->password) : NULL;
    r->cfg.db = cfg->db;
    r->cfg.cache_path = cfg->cache_path ? strdup(cfg->cache_path) : NULL;
    r->backoff = BACKOFF_MIN;

    r->base.name = "redis";
    r->base.load = redis_load;
    r->base.put_key = redis_put_key;
    r->base.del_key = redis_del_key;
    r->base.rename_key = redis_rename_key;
    r->base.put_team = redis_put_team;
    r->base.del_team = redis_del_team;
    r->base.load_marks = redis_load_marks;
    r->base.flush = redis_flush;
    r->base.reset_budget = redis_reset_budget;
    r->base.poll = redis_poll;
    r->base.refresh_spend = redis_refresh_spend;
    r->base.report = redis_report;
    r->base.rates = redis_rates;
    r->base.replace = redis_replace;
    r->base.available = redis_available;
    r->base.destroy = redis_destroy;
    return &r->base;
}
