/*
 * The Redis store (router_settings.redis_host/port/password, or the
 * REDIS_* environment variables): shared by every gateway node.  hiredis'
 * blocking API with short timeouts; commands that must be atomic are Lua
 * scripts (store_redis_lua.h).  While Redis is unreachable every call fails
 * fast and poll() retries the connection with a growing back-off; the
 * service keeps serving from memory and the drain marks stay where they
 * were, so the module's monotonic counters still hold every undrained
 * delta when Redis returns.
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

#define CONNECT_TIMEOUT_MS  1000
#define COMMAND_TIMEOUT_MS  2000
#define BACKOFF_MIN         0.5
#define BACKOFF_MAX         8.0

typedef struct {
    store_t                base;
    store_redis_config_t   cfg;
    redisContext          *c;
    double                 next_attempt;
    double                 backoff;
    int                    down;            /* an outage was logged */
    int                    reconnected;     /* to tell the next poll() */
    long long              keys_version;
    long long              spend_version;
    int                    versions_known;
    char                   store_id[40];    /* "" until known */
} store_redis_t;

/* argv for redisCommandArgv, growing. */
typedef struct {
    char    **v;
    size_t   *len;
    size_t    n, cap;
} args_t;

static double
now_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
args_add_len(args_t *a, const char *s, size_t len)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = realloc(a->v, a->cap * sizeof(char *));
        a->len = realloc(a->len, a->cap * sizeof(size_t));
        if (a->v == NULL || a->len == NULL) {
            abort();
        }
    }
    a->v[a->n] = malloc(len + 1);
    if (a->v[a->n] == NULL) {
        abort();
    }
    memcpy(a->v[a->n], s, len);
    a->v[a->n][len] = '\0';
    a->len[a->n++] = len;
}

static void
args_add(args_t *a, const char *s)
{
    args_add_len(a, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
args_addf(args_t *a, const char *fmt, ...)
{
    char     buf[512];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    args_add(a, buf);
}

static void
args_free(args_t *a)
{
    size_t  i;

    for (i = 0; i < a->n; i++) {
        free(a->v[i]);
    }
    free(a->v);
    free(a->len);
    memset(a, 0, sizeof(*a));
}

static void
disconnect(store_redis_t *r, const char *why)
{
    if (r->c != NULL) {
        redisFree(r->c);
        r->c = NULL;
    }
    if (!r->down) {
        ctl_log("redis %s:%d unreachable (%s); serving from memory, "
                "retrying", r->cfg.host, r->cfg.port, why);
        r->down = 1;
    }
    r->next_attempt = now_s() + r->backoff;
    r->backoff = r->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : r->backoff * 2;
}

static int
connect_now(store_redis_t *r)
{
    struct timeval   tv = { 0, CONNECT_TIMEOUT_MS * 1000 };
    redisReply      *rep;
    char             why[160];

    if (r->c != NULL) {
        return 0;
    }
    if (now_s() < r->next_attempt) {
        return -1;
    }
    r->c = redisConnectWithTimeout(r->cfg.host, r->cfg.port, tv);
    if (r->c == NULL || r->c->err) {
        snprintf(why, sizeof(why), "%s", r->c ? r->c->errstr : "no memory");
        disconnect(r, why);
        return -1;
    }
    tv.tv_sec = COMMAND_TIMEOUT_MS / 1000;
    tv.tv_usec = (COMMAND_TIMEOUT_MS % 1000) * 1000;
    redisSetTimeout(r->c, tv);

    if (r->cfg.password != NULL && r->cfg.password[0] != '\0') {
        rep = redisCommand(r->c, "AUTH %s", r->cfg.password);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            /* The reply names no secret; the password is never logged. */
            snprintf(why, sizeof(why), "AUTH failed: %.100s",
                     rep ? rep->str : r->c->errstr);
            freeReplyObject(rep);
            disconnect(r, why);
            return -1;
        }
        freeReplyObject(rep);
    }
    if (r->cfg.db > 0) {
        rep = redisCommand(r->c, "SELECT %d", r->cfg.db);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            snprintf(why, sizeof(why), "SELECT %d failed", r->cfg.db);
            freeReplyObject(rep);
            disconnect(r, why);
            return -1;
        }
        freeReplyObject(rep);
    }

    if (r->down) {
        ctl_log("redis %s:%d is back", r->cfg.host, r->cfg.port);
        r->reconnected = 1;
    }
    r->down = 0;
    r->backoff = BACKOFF_MIN;
    return 0;
}

/* One command; NULL (and the connection dropped if it broke) on failure.
 * An error reply is logged and turned into NULL. */
static redisReply *
run(store_redis_t *r, const args_t *a)
{
    redisReply  *rep;

    if (connect_now(r) != 0) {
        return NULL;
    }
    rep = redisCommandArgv(r->c, (int) a->n, (const char **) a->v, a->len);
    if (rep == NULL) {
        disconnect(r, r->c->errstr[0] ? r->c->errstr : "I/O error");
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        ctl_log("redis %s: %.200s", a->v[0], rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* Pipelined: append every command, then read every reply.  replies[i] are
 * NULL for error replies.  -1 if the connection broke. */
static int
run_pipeline(store_redis_t *r, args_t *cmds, size_t n, redisReply **replies)
{
    size_t  i;
    void   *rep;

    if (connect_now(r) != 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        redisAppendCommandArgv(r->c, (int) cmds[i].n,
                               (const char **) cmds[i].v, cmds[i].len);
    }
    for (i = 0; i < n; i++) {
        replies[i] = NULL;
    }
    for (i = 0; i < n; i++) {
        if (redisGetReply(r->c, &rep) != REDIS_OK) {
            disconnect(r, r->c->errstr[0] ? r->c->errstr : "I/O error");
            for (; i > 0; i--) {
                freeReplyObject(replies[i - 1]);
                replies[i - 1] = NULL;
            }
            return -1;
        }
        replies[i] = rep;
        if (replies[i]->type == REDIS_REPLY_ERROR) {
            ctl_log("redis %s: %.200s", cmds[i].v[0], replies[i]->str);
            freeReplyObject(replies[i]);
            replies[i] = NULL;
        }
    }
    return 0;
}

static long long
reply_int(const redisReply *rep)
{
    if (rep == NULL) {
        return 0;
    }
    if (rep->type == REDIS_REPLY_INTEGER) {
        return rep->integer;
    }
    if (rep->type == REDIS_REPLY_STRING) {
        return strtoll(rep->str, NULL, 10);
    }
    return 0;
}

/* Record fields are stored as the JSON text of each value. */
static void
args_add_record(args_t *a, const json_t *rec)
{
    const char  *name;
    json_t      *v;
    char        *text;

    json_object_foreach((json_t *) rec, name, v) {
        text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        args_add(a, name);
        args_add(a, text);
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
eval(store_redis_t *r, const char *script, args_t *argv_tail,
    redisReply **out)
{
    args_t       a;
    redisReply  *rep;
    size_t       i;

    memset(&a, 0, sizeof(a));
    args_add(&a, "EVAL");
    args_add(&a, script);
    args_add(&a, "0");
    for (i = 0; i < argv_tail->n; i++) {
        args_add_len(&a, argv_tail->v[i], argv_tail->len[i]);
    }
    rep = run(r, &a);
    args_free(&a);
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
    args_t  a;
    int     rc;

    memset(&a, 0, sizeof(a));
    args_add(&a, prefix);
    args_add(&a, set);
    args_add(&a, id);
    if (rec != NULL) {
        args_add_record(&a, rec);
    }
    rc = eval(r, script, &a, NULL);
    args_free(&a);
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
    args_t  a;
    int     rc;

    memset(&a, 0, sizeof(a));
    args_add(&a, old_token);
    args_add(&a, new_token);
    args_add_record(&a, json_object_get(st->db.keys, new_token));
    rc = eval((store_redis_t *) s, STORE_LUA_RENAME, &a, NULL);
    args_free(&a);
    return rc;
}

/* SMEMBERS set -> pipelined HGETALL prefix<id> -> into (id -> record). */
static int
load_records(store_redis_t *r, const char *set, const char *prefix,
    json_t *into)
{
    args_t        a, *cmds;
    redisReply   *members, **replies;
    size_t        i, n;
    int           rc = 0;

    memset(&a, 0, sizeof(a));
    args_add(&a, "SMEMBERS");
    args_add(&a, set);
    members = run(r, &a);
    args_free(&a);
    if (members == NULL || members->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(members);
        return -1;
    }

    n = members->elements;
    cmds = calloc(n + 1, sizeof(args_t));
    replies = calloc(n + 1, sizeof(redisReply *));
    if (cmds == NULL || replies == NULL) {
        abort();
    }
    for (i = 0; i < n; i++) {
        args_add(&cmds[i], "HGETALL");
        args_addf(&cmds[i], "%s%s", prefix, members->element[i]->str);
    }
    if (n > 0 && run_pipeline(r, cmds, n, replies) != 0) {
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
        args_free(&cmds[i]);
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
        v[i] = reply_int(rep->element[first + i]);
    }
    c->spend = v[0];
    c->prompt = v[1];
    c->completion = v[2];
    c->requests = v[3];
}

static void
args_hmget_counts(args_t *a, const char *hash)
{
    args_add(a, "HMGET");
    args_add(a, hash);
    args_add(a, "spend_micros");
    args_add(a, "prompt_tokens");
    args_add(a, "completion_tokens");
    args_add(a, "requests");
}

/* kind -> id -> [4] for the ids of `ids` from hashes "<prefix><id>". */
static int
load_counts(store_redis_t *r, const char *prefix, json_t *ids, json_t *into)
{
    args_t           *cmds;
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
    cmds = calloc(n, sizeof(args_t));
    replies = calloc(n, sizeof(redisReply *));
    if (cmds == NULL || replies == NULL) {
        abort();
    }
    json_object_foreach(ids, id, v) {
        snprintf(hash, sizeof(hash), "%s%s", prefix, id);
        args_hmget_counts(&cmds[i++], hash);
    }
    rc = run_pipeline(r, cmds, n, replies);
    i = 0;
    json_object_foreach(ids, id, v) {
        if (rc == 0) {
            counts_from_reply(replies[i], 0, &c);
            json_object_set_new(into, id, usage_counts_json(&c));
        }
        freeReplyObject(replies[i]);
        args_free(&cmds[i]);
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

    rc = load_counts(r, "llm:spend:key:", st->db.keys, keys);
    if (rc == 0) {
        rc = load_counts(r, "llm:spend:team:", st->db.teams, teams);
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
    args_t       a;
    redisReply  *rep;

    memset(&a, 0, sizeof(a));
    args_add(&a, "MGET");
    args_add(&a, "llm:keys:version");
    args_add(&a, "llm:spend:version");
    args_add(&a, "llm:store:id");
    rep = run(r, &a);
    args_free(&a);
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3) {
        freeReplyObject(rep);
        return NULL;
    }
    *kv = reply_int(rep->element[0]);
    *sv = reply_int(rep->element[1]);
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
    args_t         a;
    redisReply    *rep;
    size_t         i;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return -1;
    }
    for (i = 0; i < sizeof(raw); i++) {
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    }
    memset(&a, 0, sizeof(a));
    args_add(&a, "SET");
    args_add(&a, "llm:store:id");
    args_add(&a, id);
    args_add(&a, "NX");
    rep = run(r, &a);
    args_free(&a);
    freeReplyObject(rep);

    memset(&a, 0, sizeof(a));
    args_add(&a, "GET");
    args_add(&a, "llm:store:id");
    rep = run(r, &a);
    args_free(&a);
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
    args_t            a;
    redisReply       *rep;
    json_t           *marks;
    usage_counts_t    c;
    size_t            i;
    char              kind[16], *colon;
    const char       *field;

    memset(&a, 0, sizeof(a));
    args_add(&a, "HGETALL");
    args_addf(&a, "llm:drain:%s", epoch);
    rep = run(r, &a);
    args_free(&a);
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
    args_t                a;
    redisReply           *rep = NULL, *item;
    usage_counts_t        mark, life;
    json_t               *kind_marks;
    char                  text[128];
    size_t                i;

    if (b->count == 0) {
        return 0;
    }
    memset(&a, 0, sizeof(a));
    args_add(&a, st->usage.epoch);
    args_add(&a, day);
    for (i = 0; i < b->count; i++) {
        e = &b->items[i];
        args_add(&a, e->kind);
        args_add(&a, e->id);
        args_add(&a, e->group ? e->group : "");
        usage_mark_text(&e->old_mark, e->had_mark, text, sizeof(text));
        args_add(&a, text);
        usage_mark_text(&e->new_mark, 1, text, sizeof(text));
        args_add(&a, text);
        args_addf(&a, "%lld", (long long) e->delta.spend);
        args_addf(&a, "%lld", (long long) e->delta.prompt);
        args_addf(&a, "%lld", (long long) e->delta.completion);
        args_addf(&a, "%lld", (long long) e->delta.requests);
    }
    if (eval(r, STORE_LUA_FLUSH, &a, &rep) != 0) {
        args_free(&a);
        return -1;
    }
    args_free(&a);

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
    args_t          a;
    redisReply     *rep = NULL;
    json_t         *rec;
    int             rc;

    memset(&a, 0, sizeof(a));
    args_addf(&a, "llm:%s:%s", kind, id);
    args_addf(&a, "llm:spend:%s:%s", kind, id);
    args_addf(&a, "%lld", (long long) expected);
    args_addf(&a, "%lld", (long long) next);
    rc = eval(r, STORE_LUA_RESET, &a, &rep);
    args_free(&a);
    if (rc != 0) {
        return -1;
    }
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
        rec = json_object_get(strcmp(kind, "key") == 0 ? st->db.keys
                                                       : st->db.teams, id);
        if (rec != NULL) {
            json_object_set_new(rec, "spend_base_micros",
                                json_integer(reply_int(rep->element[1])));
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
    args_t       a;
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
            args_add(&a, "HSET");
            args_addf(&a, "llm:spend:%s:%s", kind, id);
            args_add(&a, "spend_micros");
            args_addf(&a, "%lld", (long long) c.spend);
            args_add(&a, "prompt_tokens");
            args_addf(&a, "%lld", (long long) c.prompt);
            args_add(&a, "completion_tokens");
            args_addf(&a, "%lld", (long long) c.completion);
            args_add(&a, "requests");
            args_addf(&a, "%lld", (long long) c.requests);
            rep = run(r, &a);
            rc |= rep == NULL ? -1 : 0;
            freeReplyObject(rep);
            args_free(&a);

            memset(&a, 0, sizeof(a));
            args_add(&a, "SADD");
            args_addf(&a, "llm:spend:index:%s", kind);
            args_add(&a, id);
            freeReplyObject(run(r, &a));
            args_free(&a);
        }
    }
    if (st->usage.epoch != NULL) {
        json_object_foreach(st->usage.marks, kind, ids) {
            json_object_foreach(ids, id, v) {
                usage_counts_from_json(v, &c);
                usage_mark_text(&c, 1, text, sizeof(text));
                memset(&a, 0, sizeof(a));
                args_add(&a, "HSET");
                args_addf(&a, "llm:drain:%s", st->usage.epoch);
                args_addf(&a, "%s:%s", kind, id);
                args_add(&a, text);
                rep = run(r, &a);
                rc |= rep == NULL ? -1 : 0;
                freeReplyObject(rep);
                args_free(&a);
            }
        }
    }
    if (rc == 0) {
        memset(&a, 0, sizeof(a));
        args_add(&a, "SET");
        args_add(&a, "llm:store:id");
        args_add(&a, r->store_id);
        rep = run(r, &a);
        rc = rep == NULL ? -1 : 0;
        freeReplyObject(rep);
        args_free(&a);
    }
    return rc;
}

/* Wipe, then write st->db back (restore() of a wiped Redis). */
static int
redis_replace(store_t *s, keys_state_t *st)
{
    store_redis_t  *r = (store_redis_t *) s;
    args_t          none;

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

/* kind -> id -> [4] of every id in the set "llm:spend:index:<kind>". */
static int
report_lifetime(store_redis_t *r, json_t *out)
{
    static const char *const  kinds[] = { "key", "team", "model",
                                          "deployment" };
    args_t       a;
    redisReply  *members;
    json_t      *ids;
    char         prefix[64];
    size_t       k, i;
    int          rc = 0;

    for (k = 0; k < 4 && rc == 0; k++) {
        memset(&a, 0, sizeof(a));
        args_add(&a, "SMEMBERS");
        args_addf(&a, "llm:spend:index:%s", kinds[k]);
        members = run(r, &a);
        args_free(&a);
        if (members == NULL || members->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(members);
            return -1;
        }
        ids = json_object();
        for (i = 0; i < members->elements; i++) {
            json_object_set_new(ids, members->element[i]->str, json_true());
        }
        freeReplyObject(members);
        snprintf(prefix, sizeof(prefix), "llm:spend:%s:", kinds[k]);
        rc = load_counts(r, prefix, ids, keys_db_child(out, kinds[k]));
        json_decref(ids);
    }
    return rc;
}

static int
compare_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *) b, *(const char *const *) a);
}

static int
report_days(store_redis_t *r, int ndays, json_t *out)
{
    args_t        a;
    redisReply   *days, *members;
    const char  **names;
    json_t       *ids, *day_out, *kind_ids;
    const char   *f, *colon, *kind;
    char          prefix[96], kbuf[16];
    size_t        i, j, n;
    int           rc = 0;
    json_t       *v;

    memset(&a, 0, sizeof(a));
    args_add(&a, "SMEMBERS");
    args_add(&a, "llm:spend:days");
    days = run(r, &a);
    args_free(&a);
    if (days == NULL || days->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(days);
        return -1;
    }
    n = days->elements;
    names = calloc(n + 1, sizeof(char *));
    for (i = 0; i < n; i++) {
        names[i] = days->element[i]->str;
    }
    qsort(names, n, sizeof(char *), compare_desc);

    for (i = 0; i < n && (int) i < ndays && rc == 0; i++) {
        memset(&a, 0, sizeof(a));
        args_add(&a, "SMEMBERS");
        args_addf(&a, "llm:spend:dayindex:%s", names[i]);
        members = run(r, &a);
        args_free(&a);
        if (members == NULL || members->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(members);
            rc = -1;
            break;
        }
        /* "kind:id" -> per kind id sets */
        ids = json_object();
        for (j = 0; j < members->elements; j++) {
            f = members->element[j]->str;
            colon = strchr(f, ':');
            if (colon == NULL || (size_t) (colon - f) >= sizeof(kbuf)) {
                continue;
            }
            memcpy(kbuf, f, (size_t) (colon - f));
            kbuf[colon - f] = '\0';
            json_object_set_new(keys_db_child(ids, kbuf), colon + 1, json_true());
        }
        freeReplyObject(members);
        day_out = keys_db_child(out, names[i]);
        json_object_foreach(ids, kind, kind_ids) {
            snprintf(prefix, sizeof(prefix), "llm:spend:day:%s:%s:",
                     names[i], kind);
            if (load_counts(r, prefix, kind_ids, keys_db_child(day_out, kind)) != 0) {
                rc = -1;
            }
        }
        json_decref(ids);
    }
    (void) v;
    free(names);
    freeReplyObject(days);
    return rc;
}

static json_t *
redis_report(store_t *s, keys_state_t *st, int days)
{
    store_redis_t  *r = (store_redis_t *) s;
    json_t         *lifetime = json_object(), *by_day = json_object();

    if (report_lifetime(r, lifetime) != 0 || report_days(r, days, by_day)
        != 0)
    {
        json_decref(lifetime);
        json_decref(by_day);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "lifetime", lifetime, "days", by_day);
}

/*
 * Shared rate windows: one hash per minute, "llm:rl:<minute>", with the
 * fields "<kind>:<id>:req" and "<kind>:<id>:tok".  One pipeline: HINCRBY
 * this node's increments, EXPIRE, HGETALL the minute's totals.  A single
 * hash keeps the read to one command however many ids are limited, and
 * holds only the ids that had traffic this minute.
 */
static json_t *
redis_rates(store_t *s, int64_t minute, const rates_list_t *incs)
{
    store_redis_t        *r = (store_redis_t *) s;
    const rates_entry_t  *e;
    args_t               *cmds;
    redisReply          **replies, *all;
    json_t               *totals = NULL, *ids, *v;
    const char           *field, *colon, *suffix;
    char                  hash[48], kind[16], *id;
    size_t                i, n = 0, len;

    snprintf(hash, sizeof(hash), "llm:rl:%lld", (long long) minute);
    cmds = calloc(2 * incs->count + 2, sizeof(args_t));
    replies = calloc(2 * incs->count + 2, sizeof(redisReply *));
    if (cmds == NULL || replies == NULL) {
        abort();
    }
    for (i = 0; i < incs->count; i++) {
        e = &incs->items[i];
        if (e->requests > 0) {
            args_add(&cmds[n], "HINCRBY");
            args_add(&cmds[n], hash);
            args_addf(&cmds[n], "%s:%s:req", e->kind, e->id);
            args_addf(&cmds[n++], "%lld", (long long) e->requests);
        }
        if (e->tokens > 0) {
            args_add(&cmds[n], "HINCRBY");
            args_add(&cmds[n], hash);
            args_addf(&cmds[n], "%s:%s:tok", e->kind, e->id);
            args_addf(&cmds[n++], "%lld", (long long) e->tokens);
        }
    }
    if (n > 0) {
        args_add(&cmds[n], "EXPIRE");
        args_add(&cmds[n], hash);
        args_addf(&cmds[n++], "%d", RATES_TTL_S);
    }
    args_add(&cmds[n], "HGETALL");
    args_add(&cmds[n++], hash);

    if (run_pipeline(r, cmds, n, replies) == 0) {
        all = replies[n - 1];
        totals = json_object();
        for (i = 0; all != NULL && all->type == REDIS_REPLY_ARRAY
                    && i + 1 < all->elements; i += 2)
        {
            /* "<kind>:<id>:req": a team id may hold ':' itself */
            field = all->element[i]->str;
            colon = strchr(field, ':');
            len = strlen(field);
            if (colon == NULL || (size_t) (colon - field) >= sizeof(kind)
                || len < 4 || field + len - 4 <= colon)
            {
                continue;
            }
            suffix = field + len - 4;
            if (strcmp(suffix, ":req") != 0 && strcmp(suffix, ":tok") != 0) {
                continue;
            }
            memcpy(kind, field, (size_t) (colon - field));
            kind[colon - field] = '\0';
            id = strndup(colon + 1, (size_t) (suffix - colon - 1));
            if (id == NULL) {
                abort();
            }
            ids = keys_db_child(totals, kind);
            v = json_object_get(ids, id);
            if (v == NULL) {
                v = json_pack("[ii]", 0, 0);
                json_object_set_new(ids, id, v);
            }
            json_array_set_new(v, suffix[1] == 'r' ? 0 : 1,
                               json_integer(reply_int(all->element[i + 1])));
            free(id);
        }
    }
    for (i = 0; i < n; i++) {
        freeReplyObject(replies[i]);
        args_free(&cmds[i]);
    }
    free(cmds);
    free(replies);
    return totals;
}

void *
store_redis_command(store_t *s, int argc, const char **argv,
    const size_t *lens)
{
    args_t       a;
    redisReply  *rep;
    int          i;

    memset(&a, 0, sizeof(a));
    for (i = 0; i < argc; i++) {
        args_add_len(&a, argv[i], lens[i]);
    }
    rep = run((store_redis_t *) s, &a);
    args_free(&a);
    return rep;
}

static int
redis_available(store_t *s)
{
    return connect_now((store_redis_t *) s) == 0;
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
