/*
 * Aggregates over the request log (ctl_reqlog.h) for a time window:
 * requests, errors, success rate, latency and TTFT percentiles (exact:
 * from every matching line, not from histogram buckets), tokens, cost and
 * top errors, in total, by a dimension, and per time bucket.  Used by
 * `llmctl stats` and the console's Overview charts.
 */

#ifndef CTL_REQSTATS_H
#define CTL_REQSTATS_H

#include <jansson.h>

#include "ctl_reqlog.h"

/*
 * f->since must be set (the window's start).  by: NULL, "model",
 * "provider", "deployment", "key" or "team".  bucket: seconds per point of
 * "series" (0: no series; at most 1440 points).  Returns
 *   {"since", "until", "scanned", "truncated", "log_found",
 *    "total": {...}, "groups": [{"name", ...}], "series": [{"t", ...}],
 *    "top_errors": [{"error": "429 rate_limit", "count"}]}
 * where {...} is {"requests", "errors", "server_errors", "success_rate",
 * "latency_ms": {"p50", "p95", "p99"}, "ttft_ms": {...}, "tokens_in",
 * "tokens_out", "cost"}; NULL when out of memory.
 */
json_t *reqstats_compute(const char *base, const reqlog_filter_t *f,
    const char *by, long bucket, size_t max_scan);

/* 1 when by is NULL or one of the dimensions above. */
int reqstats_by_valid(const char *by);

#endif
