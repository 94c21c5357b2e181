/*
 * llmctl stats [--since 15m|1h|24h|7d] [--by model|provider|deployment|key|
 *              team] [--model M] [--status 4xx|CODE] [--key ALIAS] [--json]
 *
 * Requests, success rate, p50/p95/p99 latency, TTFT, tokens, cost and the
 * top errors over a window, in total and by one dimension, from the
 * request log (ctl_reqstats.c, the same numbers as the console's
 * Overview).  Exit 0, 1 when the log cannot be read, 2 on a usage error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_reqstats.h"
#include "llmctl.h"
#include "llmctl_out.h"

#define STATS_MAX_SCAN  5000000         /* lines; a CLI may read more */

static int
usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "llmctl stats: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
    return LLMCTL_USAGE;
}

static const char *
ms_text(json_t *pct, const char *q, char *buf, size_t size)
{
    json_t  *v = json_object_get(pct, q);

    if (!json_is_integer(v)) {
        return "-";
    }
    snprintf(buf, size, "%lldms", (long long) json_integer_value(v));
    return buf;
}

static void
row(llmctl_table_t *t, const char *name, json_t *g)
{
    char     req[32], ok[32], p50[32], p95[32], p99[32], tok[48], cost[32];
    json_t  *lat = json_object_get(g, "latency_ms");
    json_t  *rate = json_object_get(g, "success_rate");

    snprintf(req, sizeof(req), "%lld",
             (long long) json_integer_value(json_object_get(g, "requests")));
    if (json_is_number(rate)) {
        snprintf(ok, sizeof(ok), "%.1f%%", 100 * json_number_value(rate));
    } else {
        snprintf(ok, sizeof(ok), "-");
    }
    snprintf(tok, sizeof(tok), "%lld/%lld",
             (long long) json_integer_value(json_object_get(g, "tokens_in")),
             (long long) json_integer_value(json_object_get(g,
                                                            "tokens_out")));
    snprintf(cost, sizeof(cost), "$%.6f",
             json_number_value(json_object_get(g, "cost")));
    llmctl_table_row(t, name, req, ok, ms_text(lat, "p50", p50, sizeof(p50)),
                     ms_text(lat, "p95", p95, sizeof(p95)),
                     ms_text(lat, "p99", p99, sizeof(p99)), tok, cost);
}

static void
print_table(json_t *doc, const char *by, const char *since)
{
    llmctl_table_t   t;
    json_t          *g, *ttft = json_object_get(json_object_get(doc, "total"),
                                                "ttft_ms");
    size_t           i;
    char             b1[32], b2[32];

    printf("last %s (%lld lines read%s)\n\n", since,
           (long long) json_integer_value(json_object_get(doc, "scanned")),
           json_is_true(json_object_get(doc, "truncated"))
           ? ", stopped at the limit: the oldest are not counted" : "");
    llmctl_table_init(&t, 8, by ? by : "", "REQUESTS", "SUCCESS", "P50",
                      "P95", "P99", "TOKENS IN/OUT", "COST");
    json_array_foreach(json_object_get(doc, "groups"), i, g) {
        row(&t, json_string_value(json_object_get(g, "name")), g);
    }
    row(&t, "TOTAL", json_object_get(doc, "total"));
    llmctl_table_print(&t, stdout);
    llmctl_table_free(&t);
    printf("\nTTFT (streams) p50 %s, p99 %s\n",
           ms_text(ttft, "p50", b1, sizeof(b1)),
           ms_text(ttft, "p99", b2, sizeof(b2)));
    g = json_object_get(doc, "top_errors");
    if (json_array_size(g) > 0) {
        printf("top errors:");
        for (i = 0; i < json_array_size(g); i++) {
            printf("%s %s x%lld", i ? "," : "",
                   json_string_value(json_object_get(json_array_get(g, i),
                                                     "error")),
                   (long long) json_integer_value(json_object_get(
                       json_array_get(g, i), "count")));
        }
        printf("\n");
    }
}

int
llmctl_cmd_stats(llmctl_options_t *o)
{
    reqlog_filter_t   f;
    const char       *since = "1h", *by = NULL, **slot;
    char             *path;
    long              seconds;
    json_t           *doc;
    int               i, json = 0;

    memset(&f, 0, sizeof(f));
    for (i = 0; i < o->nargs; i++) {
        const char  *a = o->args[i];

        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        slot = strcmp(a, "--since") == 0 ? &since
               : strcmp(a, "--by") == 0 ? &by
               : strcmp(a, "--model") == 0 ? &f.model
               : strcmp(a, "--status") == 0 ? &f.status
               : strcmp(a, "--key") == 0 ? &f.key : NULL;
        if (slot == NULL) {
            return usage_error("unknown argument", a);
        }
        if (i + 1 >= o->nargs) {
            return usage_error("a value is needed after", a);
        }
        *slot = o->args[++i];
    }
    seconds = reqlog_parse_window(since);
    if (seconds <= 0) {
        return usage_error("--since takes 15m, 1h, 24h, 7d or seconds, not",
                           since);
    }
    if (!reqstats_by_valid(by)) {
        return usage_error("--by takes model, provider, deployment, key or "
                           "team, not", by);
    }
    if (f.status != NULL && !reqlog_status_valid(f.status)) {
        return usage_error("--status takes 4xx, 5xx or a code, not",
                           f.status);
    }
    f.until = time(NULL) + 1;
    f.since = f.until - seconds;

    path = llmctl_prefix_path(o, "logs/requests.log");
    llmctl_progress("reading %s", path);
    doc = reqstats_compute(path, &f, by, 0, STATS_MAX_SCAN);
    llmctl_progress_done();
    if (doc == NULL || !json_is_true(json_object_get(doc, "log_found"))) {
        fprintf(stderr, "llmctl stats: cannot read %s\n", path);
        json_decref(doc);
        free(path);
        return LLMCTL_FAILED;
    }
    free(path);
    json_object_del(doc, "series");
    json_object_del(doc, "bucket");
    if (json) {
        json_object_set_new(doc, "by", by ? json_string(by) : json_null());
        llmctl_print_json(doc);
    } else {
        print_table(doc, by, since);
    }
    json_decref(doc);
    return LLMCTL_OK;
}
