/*
 * What the Redis store's files share: store_redis.c (keys, teams, usage,
 * budgets), store_redis_conn.c (the connection and its commands),
 * store_redis_report.c (spend reports) and store_redis_rates.c (the shared
 * rate windows).
 */

#ifndef STORE_REDIS_INT_H
#define STORE_REDIS_INT_H

#include <stddef.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "store_api.h"

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
} redis_args_t;

/* the connection (store_redis_conn.c) */
int redis_connect(store_redis_t *r);
void redis_args_add_len(redis_args_t *a, const char *s, size_t len);
void redis_args_add(redis_args_t *a, const char *s);
void redis_args_addf(redis_args_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void redis_args_free(redis_args_t *a);
redisReply *redis_run(store_redis_t *r, const redis_args_t *a);
int redis_pipeline(store_redis_t *r, redis_args_t *cmds, size_t n,
    redisReply **replies);
long long redis_reply_int(const redisReply *rep);

/* store_redis.c */
int redis_load_counts(store_redis_t *r, const char *prefix, json_t *ids,
    json_t *into);

/* store_redis_report.c */
json_t *redis_report(store_t *s, keys_state_t *st, int days);

/* store_redis_rates.c */
json_t *redis_rates(store_t *s, int64_t minute, const rates_list_t *incs);

#endif /* STORE_REDIS_INT_H */
