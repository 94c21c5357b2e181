/*
 * Prometheus text format (0.0.4) for the gateway's /metrics: the latency
 * buckets, label escaping and the writers for one family, one sample and
 * one histogram.  The module keeps the numbers in the shared zone and calls
 * these to render a scrape; nothing here knows nginx.
 */

#ifndef LLM_METRICS_H
#define LLM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "llm_buf.h"


/*
 * Upper bounds of the duration and time-to-first-token buckets, in
 * milliseconds (50 ms to 120 s: LLM answers take seconds, first tokens
 * hundreds of milliseconds).  A histogram keeps LLM_METRICS_NBUCKETS + 1
 * counts: the last one is +Inf.
 */
#define LLM_METRICS_NBUCKETS  13

extern const uint64_t  llm_metrics_bounds_ms[LLM_METRICS_NBUCKETS];


/* The bucket a duration falls in: 0 .. LLM_METRICS_NBUCKETS (+Inf). */
size_t llm_metrics_bucket(uint64_t ms);


/* HTTP status -> "2xx" ... "5xx"; anything else "other". */
#define LLM_METRICS_NCLASSES  5

size_t llm_metrics_status_class(unsigned status);
extern const char  *llm_metrics_class_names[LLM_METRICS_NCLASSES];


/* A label set: names[i]="values[i]" for i < n. */
typedef struct {
    const char   *names[8];
    const char   *values[8];
    size_t        n;
} llm_metrics_labels_t;


/* Appends a label; the strings must outlive the writes that use it. */
void llm_metrics_label(llm_metrics_labels_t *l, const char *name,
    const char *value);

/* "# HELP name help\n# TYPE name type\n" */
int llm_metrics_family(llm_buf_t *b, const char *name, const char *type,
    const char *help);

/* name{labels} value, value an unsigned integer */
int llm_metrics_sample(llm_buf_t *b, const char *name,
    const llm_metrics_labels_t *l, uint64_t value);

/* name{labels} value, value = micros / 10^6 (dollars, seconds) */
int llm_metrics_sample_micros(llm_buf_t *b, const char *name,
    const llm_metrics_labels_t *l, uint64_t micros);

/*
 * name_bucket{labels,le=...} (cumulative), name_sum (seconds from
 * sum_us) and name_count, from the per-bucket counts in counts[0 ..
 * LLM_METRICS_NBUCKETS].
 */
int llm_metrics_histogram(llm_buf_t *b, const char *name,
    const llm_metrics_labels_t *l, const uint64_t *counts, uint64_t sum_us);

#endif /* LLM_METRICS_H */
