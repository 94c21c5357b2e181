/*
 * Request-log aggregates (ctl_reqstats.h).  Every accumulator keeps the
 * latencies it saw so that p50/p95/p99 are the real order statistics
 * (nearest rank); max_scan bounds the memory (4 bytes a line each for the
 * total, its group and its bucket).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_reqstats.h"

#define REQSTATS_MAX_POINTS  1440
#define REQSTATS_TOP_ERRORS  5

typedef struct {
    int     *v;
    size_t   n, cap;
} ints_t;

typedef struct {
    long     requests, errors, server_errors;
    long     tokens_in, tokens_out;
    double   cost;
    ints_t   latency, ttft;
} acc_t;

static void
ints_add(ints_t *a, int v)
{
    int  *nv;

    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        nv = realloc(a->v, a->cap * sizeof(int));
        if (nv == NULL) {
            abort();
        }
        a->v = nv;
    }
    a->v[a->n++] = v;
}

static int
cmp_int(const void *a, const void *b)
{
    int  x = *(const int *) a, y = *(const int *) b;

    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least q of them at or below. */
static json_t *
percentiles(ints_t *a)
{
    static const double   q[] = { 0.50, 0.95, 0.99 };
    static const char    *name[] = { "p50", "p95", "p99" };
    json_t               *doc = json_object();
    size_t                i, rank;

    if (a->n > 1) {
        qsort(a->v, a->n, sizeof(int), cmp_int);
    }
    for (i = 0; i < 3; i++) {
        if (a->n == 0) {
            json_object_set_new(doc, name[i], json_null());
            continue;
        }
        rank = (size_t) (q[i] * (double) a->n + 0.999999);
        rank = rank < 1 ? 1 : rank > a->n ? a->n : rank;
        json_object_set_new(doc, name[i], json_integer(a->v[rank - 1]));
    }
    return doc;
}

static void
acc_add(acc_t *a, json_t *line)
{
    long     status = (long) json_integer_value(json_object_get(line,
                                                                "status"));
    json_t  *ttft = json_object_get(line, "ttft_ms");

    a->requests++;
    a->errors += status >= 400;
    a->server_errors += status >= 500;
    a->tokens_in += (long) json_integer_value(json_object_get(line,
                                                              "tokens_in"));
    a->tokens_out += (long) json_integer_value(json_object_get(line,
                                                               "tokens_out"));
    a->cost += json_number_value(json_object_get(line, "cost"));
    ints_add(&a->latency, (int) json_integer_value(json_object_get(line,
                                                             "latency_ms")));
    if (json_is_integer(ttft)) {
        ints_add(&a->ttft, (int) json_integer_value(ttft));
    }
}

/* The accumulator as JSON; frees its arrays. */
static json_t *
acc_doc(acc_t *a)
{
    json_t  *doc = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:f}",
        "requests", (json_int_t) a->requests,
        "errors", (json_int_t) a->errors,
        "server_errors", (json_int_t) a->server_errors,
        "success_rate", a->requests
                        ? json_real((double) (a->requests - a->errors)
                                    / (double) a->requests)
                        : json_null(),
        "latency_ms", percentiles(&a->latency),
        "ttft_ms", percentiles(&a->ttft),
        "tokens_in", (json_int_t) a->tokens_in,
        "tokens_out", (json_int_t) a->tokens_out,
        "cost", a->cost);

    free(a->latency.v);
    free(a->ttft.v);
    memset(a, 0, sizeof(*a));
    return doc;
}

int
reqstats_by_valid(const char *by)
{
    static const char  *dims[] = { "model", "provider", "deployment", "key",
                                   "team" };
    size_t              i;

    if (by == NULL) {
        return 1;
    }
    for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        if (strcmp(by, dims[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *
str_or(json_t *line, const char *field, const char *dflt)
{
    const char  *s = json_string_value(json_object_get(line, field));

    return s != NULL && s[0] != '\0' ? s : dflt;
}

/* The line's value of dimension `by` (never a key: an alias or hash). */
static const char *
dimension(json_t *line, const char *by)
{
    if (strcmp(by, "model") == 0) {
        return str_or(line, "model_group", str_or(line, "model", "-"));
    }
    if (strcmp(by, "key") == 0) {
        return str_or(line, "key_alias", str_or(line, "key_hash",
                                                "(master key)"));
    }
    return str_or(line, by, "-");
}

typedef struct {
    acc_t    *v;
    size_t    n, cap;
    json_t   *index;                    /* name -> position */
} groups_t;

static acc_t *
group_of(groups_t *g, const char *name)
{
    json_t  *at = json_object_get(g->index, name);
    acc_t   *nv;

    if (at != NULL) {
        return &g->v[json_integer_value(at)];
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        nv = realloc(g->v, g->cap * sizeof(acc_t));
        if (nv == NULL) {
            abort();
        }
        g->v = nv;
    }
    memset(&g->v[g->n], 0, sizeof(acc_t));
    json_object_set_new(g->index, name, json_integer((json_int_t) g->n));
    return &g->v[g->n++];
}

/* Groups by requests, most first. */
static json_t *
groups_doc(groups_t *g)
{
    json_t       *out = json_array(), *doc;
    const char   *name;
    json_t       *at;
    size_t        i, j;

    json_object_foreach(g->index, name, at) {
        doc = acc_doc(&g->v[json_integer_value(at)]);
        json_object_set_new(doc, "name", json_string(name));
        for (j = 0; j < json_array_size(out); j++) {
            if (json_integer_value(json_object_get(json_array_get(out, j),
                                                   "requests"))
                < json_integer_value(json_object_get(doc, "requests")))
            {
                break;
            }
        }
        json_array_insert_new(out, j, doc);
    }
    for (i = 0; i < g->n; i++) {
        free(g->v[i].latency.v);
        free(g->v[i].ttft.v);
    }
    free(g->v);
    json_decref(g->index);
    return out;
}

static json_t *
top_errors(json_t *counts)
{
    json_t      *out = json_array(), *v, *e;
    const char  *name;
    size_t       j;

    json_object_foreach(counts, name, v) {
        e = json_pack("{s:s, s:I}", "error", name,
                      "count", json_integer_value(v));
        for (j = 0; j < json_array_size(out); j++) {
            if (json_integer_value(json_object_get(json_array_get(out, j),
                                                   "count"))
                < json_integer_value(v))
            {
                break;
            }
        }
        json_array_insert_new(out, j, e);
    }
    while (json_array_size(out) > REQSTATS_TOP_ERRORS) {
        json_array_remove(out, REQSTATS_TOP_ERRORS);
    }
    return out;
}

json_t *
reqstats_compute(const char *base, const reqlog_filter_t *f, const char *by,
    long bucket, size_t max_scan)
{
    reqlog_reader_t  *r;
    acc_t             total, *points = NULL;
    groups_t          groups;
    json_t           *line, *errors, *series, *doc;
    const char       *err;
    char              what[96];
    time_t            ts, until = f->until ? f->until : time(NULL) + 1;
    size_t            npoints = 0, i;
    int               truncated = 0;

    r = reqlog_open(base);
    if (r == NULL) {
        return NULL;
    }
    memset(&total, 0, sizeof(total));
    memset(&groups, 0, sizeof(groups));
    groups.index = json_object();
    errors = json_object();
    if (bucket > 0) {
        npoints = (size_t) ((until - f->since + bucket - 1) / bucket);
        if (npoints > REQSTATS_MAX_POINTS) {
            npoints = REQSTATS_MAX_POINTS;
            bucket = (long) ((until - f->since + npoints - 1) / npoints);
        }
        points = calloc(npoints ? npoints : 1, sizeof(acc_t));
    }

    while ((line = reqlog_next(r, &ts)) != NULL) {
        if (ts < f->since - 5) {
            json_decref(line);
            break;                      /* older from here (ctl_reqlog.c) */
        }
        if (ts < until && reqlog_matches(f, line, ts)) {
            acc_add(&total, line);
            if (by != NULL) {
                acc_add(group_of(&groups, dimension(line, by)), line);
            }
            if (points != NULL
                && (size_t) ((ts - f->since) / bucket) < npoints)
            {
                acc_add(&points[(ts - f->since) / bucket], line);
            }
            err = json_string_value(json_object_get(line, "error"));
            if (err != NULL) {
                snprintf(what, sizeof(what), "%lld %s",
                         (long long) json_integer_value(
                             json_object_get(line, "status")), err);
                json_object_set_new(errors, what, json_integer(
                    json_integer_value(json_object_get(errors, what)) + 1));
            }
        }
        json_decref(line);
        if (reqlog_lines_read(r) >= max_scan) {
            truncated = 1;
            break;
        }
    }

    series = json_array();
    for (i = 0; i < npoints; i++) {
        doc = acc_doc(&points[i]);
        json_object_set_new(doc, "t",
            json_integer((json_int_t) (f->since + (time_t) i * bucket)));
        json_array_append_new(series, doc);
    }
    free(points);

    doc = json_pack("{s:I, s:I, s:I, s:b, s:b, s:i, s:o, s:o, s:o, s:o}",
                    "since", (json_int_t) f->since,
                    "until", (json_int_t) until,
                    "scanned", (json_int_t) reqlog_lines_read(r),
                    "truncated", truncated, "log_found", reqlog_found(r),
                    "bucket", (int) bucket,
                    "total", acc_doc(&total),
                    "groups", groups_doc(&groups),
                    "series", series,
                    "top_errors", top_errors(errors));
    json_decref(errors);
    reqlog_close(r);
    return doc;
}
