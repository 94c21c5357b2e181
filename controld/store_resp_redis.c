/*
 * Stored responses in Redis, shared by every gateway node (through the
 * key store's connection and its timeouts):
 *
 *   llm:resp:<owner>:<id>   the entry, with PX = the remaining TTL
 *   llm:resp:order          zset member <owner>:<id>, score = expiry (ms)
 *   llm:resp:sizes          hash member -> bytes;  llm:resp:bytes the sum
 *   llm:resp:tomb           zset member -> when it was deleted (ms): each
 *                           node's controld tells its module to forget
 *                           ids deleted elsewhere; kept one hour
 *
 * A put drops the expired and then, while over responses_max_size, the
 * ones that expire first (one Lua script: atomic for every node).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "store_resp.h"

#define TOMB_KEEP_MS  (3600 * 1000)

#define RESP_LUA_DROP                                                         \
    "local total = tonumber(redis.call('GET', 'llm:resp:bytes') or '0') "     \
    "local function drop(m) "                                                 \
    "  local s = redis.call('HGET', 'llm:resp:sizes', m) "                    \
    "  if s then total = redis.call('DECRBY', 'llm:resp:bytes', s) end "      \
    "  redis.call('HDEL', 'llm:resp:sizes', m) "                              \
    "  redis.call('ZREM', 'llm:resp:order', m) "                              \
    "  return redis.call('DEL', 'llm:resp:' .. m) "                           \
    "end "

/* ARGV: member, entry, ttl_ms, now_ms, size, max_bytes */
#define RESP_LUA_PUT                                                          \
    RESP_LUA_DROP                                                             \
    "drop(ARGV[1]) "                                                          \
    "redis.call('SET', 'llm:resp:' .. ARGV[1], ARGV[2], 'PX', ARGV[3]) "      \
    "redis.call('HSET', 'llm:resp:sizes', ARGV[1], ARGV[5]) "                 \
    "redis.call('ZADD', 'llm:resp:order', "                                   \
    "           tonumber(ARGV[4]) + tonumber(ARGV[3]), ARGV[1]) "             \
    "total = redis.call('INCRBY', 'llm:resp:bytes', ARGV[5]) "                \
    "for _, m in ipairs(redis.call('ZRANGEBYSCORE', 'llm:resp:order', "       \
    "                              '-inf', ARGV[4])) do drop(m) end "         \
    "while total > tonumber(ARGV[6]) do "                                     \
    "  local m = redis.call('ZRANGE', 'llm:resp:order', 0, 0)[1] "            \
    "  if not m or m == ARGV[1] then break end "                              \
    "  drop(m) "                                                              \
    "end "                                                                    \
    "return total"

/* ARGV: member, now_ms, keep_ms; 1 if it was there */
#define RESP_LUA_DEL                                                          \
    RESP_LUA_DROP                                                             \
    "local was = drop(ARGV[1]) "                                              \
    "redis.call('ZADD', 'llm:resp:tomb', ARGV[2], ARGV[1]) "                  \
    "redis.call('ZREMRANGEBYSCORE', 'llm:resp:tomb', '-inf', "                \
    "           tonumber(ARGV[2]) - tonumber(ARGV[3])) "                      \
    "return was"

typedef struct {
    resp_store_t   base;
    store_t       *redis;
} resp_redis_t;

static redisReply *
command(resp_redis_t *r, int argc, const char **argv, const size_t *lens)
{
    return store_redis_command(r->redis, argc, argv, lens);
}

/* EVAL script 0 args...: the scripts name their keys themselves */
static redisReply *
eval(resp_redis_t *r, const char *script, int n, const char **args,
    const size_t *lens)
{
    const char  *argv[10];
    size_t       alen[10];
    int          i;

    argv[0] = "EVAL";
    argv[1] = script;
    argv[2] = "0";
    for (i = 0; i < 3; i++) {
        alen[i] = strlen(argv[i]);
    }
    for (i = 0; i < n && i < 7; i++) {
        argv[3 + i] = args[i];
        alen[3 + i] = lens != NULL && lens[i] != 0 ? lens[i]
                                                   : strlen(args[i]);
    }
    return command(r, 3 + i, argv, alen);
}

static void
member(const char *owner, const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%s", owner, id);
}

static int
redis_put(resp_store_t *s, const char *owner, const char *id,
    const char *entry, size_t len, int64_t ttl_ms, int64_t max_bytes)
{
    char         m[256], ttl[24], now[24], size[24], max[24];
    const char  *args[6];
    size_t       lens[6] = { 0, len, 0, 0, 0, 0 };
    redisReply  *rep;

    if (ttl_ms <= 0) {
        return 0;                       /* expired on the way */
    }
    member(owner, id, m, sizeof(m));
    snprintf(ttl, sizeof(ttl), "%lld", (long long) ttl_ms);
    snprintf(now, sizeof(now), "%lld", (long long) resp_store_now_ms());
    snprintf(size, sizeof(size), "%zu", len + strlen(id));
    snprintf(max, sizeof(max), "%lld", (long long) max_bytes);
    args[0] = m;
    args[1] = entry;
    args[2] = ttl;
    args[3] = now;
    args[4] = size;
    args[5] = max;
    rep = eval((resp_redis_t *) s, RESP_LUA_PUT, 6, args, lens);
    if (rep == NULL) {
        return -1;
    }
    freeReplyObject(rep);
    return 0;
}

static int
redis_get(resp_store_t *s, const char *owner, const char *id, char **entry,
    size_t *len)
{
    char         key[256];
    const char  *argv[2];
    size_t       lens[2];
    redisReply  *rep;
    int          rc = 0;

    snprintf(key, sizeof(key), "llm:resp:%s:%s", owner, id);
    argv[0] = "GET";
    argv[1] = key;
    lens[0] = 3;
    lens[1] = strlen(key);
    rep = command((resp_redis_t *) s, 2, argv, lens);
    if (rep == NULL) {
        return -1;
    }
    if (rep->type == REDIS_REPLY_STRING) {
        *entry = malloc(rep->len + 1);
        if (*entry == NULL) {
            rc = -1;
        } else {
            memcpy(*entry, rep->str, rep->len);
            (*entry)[rep->len] = '\0';
            *len = rep->len;
            rc = 1;
        }
    }
    freeReplyObject(rep);
    return rc;
}

static int
redis_del(resp_store_t *s, const char *owner, const char *id)
{
    char         m[256], now[24], keep[24];
    const char  *args[3];
    redisReply  *rep;
    int          rc;

    member(owner, id, m, sizeof(m));
    snprintf(now, sizeof(now), "%lld", (long long) resp_store_now_ms());
    snprintf(keep, sizeof(keep), "%d", TOMB_KEEP_MS);
    args[0] = m;
    args[1] = now;
    args[2] = keep;
    rep = eval((resp_redis_t *) s, RESP_LUA_DEL, 3, args, NULL);
    if (rep == NULL) {
        return -1;
    }
    rc = rep->type == REDIS_REPLY_INTEGER && rep->integer > 0;
    freeReplyObject(rep);
    return rc;
}

static int
redis_commit(resp_store_t *s)
{
    return 0;                           /* each command was durable */
}

static json_t *
redis_deleted_since(resp_store_t *s, double *cursor)
{
    char         from[32];
    const char  *argv[5], *colon;
    size_t       lens[5], i;
    redisReply  *rep, *m;
    json_t      *out;
    double       score;
    int          k;

    snprintf(from, sizeof(from), "%.0f", *cursor);
    argv[0] = "ZRANGEBYSCORE";
    argv[1] = "llm:resp:tomb";
    argv[2] = from;
    argv[3] = "+inf";
    argv[4] = "WITHSCORES";
    for (k = 0; k < 5; k++) {
        lens[k] = strlen(argv[k]);
    }
    rep = command((resp_redis_t *) s, 5, argv, lens);
    if (rep == NULL) {
        return NULL;
    }
    out = json_array();
    for (i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements;
         i += 2)
    {
        m = rep->element[i];
        colon = m->type == REDIS_REPLY_STRING ? strchr(m->str, ':') : NULL;
        if (colon == NULL) {
            continue;
        }
        json_array_append_new(out, json_pack("[s%,s]", m->str,
                                             (size_t) (colon - m->str),
                                             colon + 1));
        score = strtod(rep->element[i + 1]->str, NULL);
        if (score > *cursor) {
            *cursor = score;
        }
    }
    freeReplyObject(rep);
    return out;
}

static void
redis_destroy(resp_store_t *s)
{
    free(s);
}

resp_store_t *
resp_store_redis_create(store_t *redis)
{
    resp_redis_t  *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        abort();
    }
    r->redis = redis;
    r->base.name = "redis";
    r->base.put = redis_put;
    r->base.get = redis_get;
    r->base.del = redis_del;
    r->base.commit = redis_commit;
    r->base.deleted_since = redis_deleted_since;
    r->base.destroy = redis_destroy;
    return &r->base;
}
