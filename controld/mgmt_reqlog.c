/*
 * The console's request-log calls (behind its session, mgmt_console.c):
 *
 *   GET /ui/api/request/log?page,size,order,model,status,key,since,until
 *       one page of the log, newest first
 *   GET /ui/api/request/stats?window=1h|24h|...,bucket=SECONDS,by=DIM,
 *       model,status,key
 *       totals, per-bucket series (the Overview's charts) and groups
 *
 * from the files nginx writes (controld --request-log; rotations .1 ...),
 * read backwards with a bound on the lines one call reads.  An admin
 * session sees every line; any other key's session only its own key's
 * (key_hash = its token's first 8 hex digits), whatever it asks for.
 * The lines carry no key (docs/operations.md), so neither does this.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_reqlog.h"
#include "ctl_reqstats.h"
#include "mgmt_int.h"

#define REQSTATS_MAX_WINDOW  (31 * 86400)

static int
bad(keys_error_t *err, const char *param, const char *why)
{
    return keys_fail(err, 400, param, "%s: %s", param, why);
}

/* A query parameter as a whole number in [min, max]; dflt when absent. */
static int
int_param(mgmt_call_t *c, const char *name, long min, long max, long dflt,
    long *out, keys_error_t *err)
{
    char  *v = http_query_param(c->req, name), *end;
    long   n;

    if (v == NULL || v[0] == '\0') {
        free(v);
        *out = dflt;
        return 0;
    }
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < min || n > max) {
        free(v);
        return bad(err, name, "out of range or not a number");
    }
    free(v);
    *out = n;
    return 0;
}

typedef struct {
    reqlog_filter_t   f;
    char             *model, *status, *key;
    char              own[9];
} filter_args_t;

static void
filter_free(filter_args_t *a)
{
    free(a->model);
    free(a->status);
    free(a->key);
}

static char *
nonempty(char *v)
{
    if (v != NULL && v[0] == '\0') {
        free(v);
        return NULL;
    }
    return v;
}

static int
filter_parse(mgmt_call_t *c, const char *own_token, filter_args_t *a,
    keys_error_t *err)
{
    long  since, until;

    memset(a, 0, sizeof(*a));
    a->model = nonempty(http_query_param(c->req, "model"));
    a->status = nonempty(http_query_param(c->req, "status"));
    a->key = nonempty(http_query_param(c->req, "key"));
    if (a->status != NULL && !reqlog_status_valid(a->status)) {
        return bad(err, "status", "a code (200, 429, ...) or a class (4xx)");
    }
    if (int_param(c, "since", 0, 1L << 40, 0, &since, err) != 0
        || int_param(c, "until", 0, 1L << 40, 0, &until, err) != 0)
    {
        return -1;
    }
    a->f.model = a->model;
    a->f.status = a->status;
    a->f.key = a->key;
    a->f.since = (time_t) since;
    a->f.until = (time_t) until;
    if (own_token != NULL) {
        memcpy(a->own, own_token, 8);
        a->own[8] = '\0';
        a->f.own_hash = a->own;
    }
    return 0;
}

static int
no_log(keys_error_t *err)
{
    return keys_fail(err, 404, NULL, "this gateway has no request log "
                     "(controld --request-log)");
}

static int
request_log(mgmt_call_t *c, const char *own_token, keys_error_t *err)
{
    filter_args_t   a;
    long            page, size;
    char           *order;
    json_t         *doc;

    memset(&a, 0, sizeof(a));
    if (c->svc->request_log == NULL) {
        return no_log(err);
    }
    order = http_query_param(c->req, "order");
    if (order != NULL && order[0] && strcmp(order, "desc") != 0) {
        free(order);
        return bad(err, "order", "the log is served newest first (desc)");
    }
    free(order);
    if (int_param(c, "page", 1, 1000000, 1, &page, err) != 0
        || int_param(c, "size", 1, REQLOG_MAX_PAGE, 50, &size, err) != 0
        || filter_parse(c, own_token, &a, err) != 0)
    {
        filter_free(&a);
        return -1;
    }
    doc = reqlog_query(c->svc->request_log, &a.f, page, size,
                       REQLOG_MAX_SCAN);
    filter_free(&a);
    if (doc == NULL) {
        return keys_fail(err, 500, NULL, "out of memory");
    }
    return mgmt_reply(c, 200, doc);
}

static int
request_stats(mgmt_call_t *c, const char *own_token, keys_error_t *err)
{
    filter_args_t   a;
    char           *window, *by;
    long            seconds, bucket;
    json_t         *doc;

    if (c->svc->request_log == NULL) {
        return no_log(err);
    }
    window = http_query_param(c->req, "window");
    seconds = window ? reqlog_parse_window(window) : 3600;
    free(window);
    if (seconds <= 0 || seconds > REQSTATS_MAX_WINDOW) {
        return bad(err, "window", "15m, 1h, 24h, 7d (at most 31d)");
    }
    by = nonempty(http_query_param(c->req, "by"));
    if (!reqstats_by_valid(by)) {
        free(by);
        return bad(err, "by", "model, provider, deployment, key or team");
    }
    memset(&a, 0, sizeof(a));
    if (int_param(c, "bucket", 0, REQSTATS_MAX_WINDOW, 0, &bucket, err) != 0
        || filter_parse(c, own_token, &a, err) != 0)
    {
        free(by);
        filter_free(&a);
        return -1;
    }
    /* [now + 1 - window, now + 1): whole buckets, this second included */
    a.f.until = time(NULL) + 1;
    a.f.since = a.f.until - seconds;
    doc = reqstats_compute(c->svc->request_log, &a.f, by, bucket,
                           REQLOG_MAX_SCAN * 5);
    free(by);
    filter_free(&a);
    if (doc == NULL) {
        return keys_fail(err, 500, NULL, "out of memory");
    }
    return mgmt_reply(c, 200, doc);
}

int
mgmt_request_log(mgmt_call_t *c, const char *sub, const char *own_token,
    keys_error_t *err)
{
    if (strcmp(c->req->method, "GET") != 0) {
        return keys_fail(err, 405, NULL, "%s takes GET", sub);
    }
    if (strcmp(sub, "/request/log") == 0) {
        return request_log(c, own_token, err);
    }
    if (strcmp(sub, "/request/stats") == 0) {
        return request_stats(c, own_token, err);
    }
    return keys_fail(err, 404, NULL, "no console route %.100s", sub);
}
