/*
 * The Redis store's connection: hiredis' blocking API with short
 * timeouts.  While Redis is unreachable every command fails fast and the
 * next connection is tried after a growing back-off.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "ctl_log.h"
#include "store_redis_int.h"

static double
now_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void
redis_args_add_len(redis_args_t *a, const char *s, size_t len)
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

void
redis_args_add(redis_args_t *a, const char *s)
{
    redis_args_add_len(a, s, strlen(s));
}

void
redis_args_addf(redis_args_t *a, const char *fmt, ...)
{
    char     buf[512];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    redis_args_add(a, buf);
}

void
redis_args_free(redis_args_t *a)
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

int
redis_connect(store_redis_t *r)
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
redisReply *
redis_run(store_redis_t *r, const redis_args_t *a)
{
    redisReply  *rep;

    if (redis_connect(r) != 0) {
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
int
redis_pipeline(store_redis_t *r, redis_args_t *cmds, size_t n,
    redisReply **replies)
{
    size_t  i;
    void   *rep;

    if (redis_connect(r) != 0) {
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

long long
redis_reply_int(const redisReply *rep)
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
