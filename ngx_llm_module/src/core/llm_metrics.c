/*
 * Prometheus text exposition (format 0.0.4): see llm_metrics.h.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "llm_metrics.h"


const uint64_t  llm_metrics_bounds_ms[LLM_METRICS_NBUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000, 30000, 60000,
    90000, 120000
};

/* the same bounds as Prometheus writes le: seconds */
static const char  *llm_metrics_le[LLM_METRICS_NBUCKETS + 1] = {
    "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "20", "30", "60",
    "90", "120", "+Inf"
};

const char  *llm_metrics_class_names[LLM_METRICS_NCLASSES] = {
    "2xx", "3xx", "4xx", "5xx", "other"
};


size_t
llm_metrics_bucket(uint64_t ms)
{
    size_t  i;

    for (i = 0; i < LLM_METRICS_NBUCKETS; i++) {
        if (ms <= llm_metrics_bounds_ms[i]) {
            return i;
        }
    }

    return LLM_METRICS_NBUCKETS;
}


size_t
llm_metrics_status_class(unsigned status)
{
    if (status >= 200 && status < 600) {
        return status / 100 - 2;
    }

    return LLM_METRICS_NCLASSES - 1;
}


void
llm_metrics_label(llm_metrics_labels_t *l, const char *name,
    const char *value)
{
    if (l->n < sizeof(l->names) / sizeof(l->names[0])) {
        l->names[l->n] = name;
        l->values[l->n] = value ? value : "";
        l->n++;
    }
}


int
llm_metrics_family(llm_buf_t *b, const char *name, const char *type,
    const char *help)
{
    return llm_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n",
                           name, help, name, type);
}


/* A label value: backslash, double quote and newline escaped. */

static int
llm_metrics_value(llm_buf_t *b, const char *s)
{
    const char  *p;

    for (p = s; *p; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n') {
            if (llm_buf_append(b, s, p - s) != 0
                || llm_buf_append(b, *p == '\n' ? "\\n"
                                  : *p == '"' ? "\\\"" : "\\\\", 2) != 0)
            {
                return -1;
            }

            s = p + 1;
        }
    }

    return llm_buf_append(b, s, p - s);
}


/* name{a="x",b="y"[,le="..."]} without the value */

static int
llm_metrics_series(llm_buf_t *b, const char *name, const char *suffix,
    const llm_metrics_labels_t *l, const char *le)
{
    size_t  i;

    if (llm_buf_append_str(b, name) != 0
        || llm_buf_append_str(b, suffix) != 0)
    {
        return -1;
    }

    if ((l == NULL || l->n == 0) && le == NULL) {
        return 0;
    }

    if (llm_buf_append(b, "{", 1) != 0) {
        return -1;
    }

    for (i = 0; l != NULL && i < l->n; i++) {
        if ((i && llm_buf_append(b, ",", 1) != 0)
            || llm_buf_append_str(b, l->names[i]) != 0
            || llm_buf_append(b, "=\"", 2) != 0
            || llm_metrics_value(b, l->values[i]) != 0
            || llm_buf_append(b, "\"", 1) != 0)
        {
            return -1;
        }
    }

    if (le != NULL
        && llm_buf_appendf(b, "%sle=\"%s\"", (l && l->n) ? "," : "", le) != 0)
    {
        return -1;
    }

    return llm_buf_append(b, "}", 1);
}


int
llm_metrics_sample(llm_buf_t *b, const char *name,
    const llm_metrics_labels_t *l, uint64_t value)
{
    if (llm_metrics_series(b, name, "", l, NULL) != 0) {
        return -1;
    }

    return llm_buf_appendf(b, " %" PRIu64 "\n", value);
}


static int
llm_metrics_micros(llm_buf_t *b, uint64_t micros)
{
    return llm_buf_appendf(b, " %" PRIu64 ".%06" PRIu64 "\n",
                           micros / 1000000, micros % 1000000);
}


int
llm_metrics_sample_micros(llm_buf_t *b, const char *name,
    const llm_metrics_labels_t *l, uint64_t micros)
{
    if (llm_metrics_series(b, name, "", l, NULL) != 0) {
        return -1;
    }

    return llm_metrics_micros(b, micros);
}


int
llm_metrics_histogram(llm_buf_t *b, const char *name,
    const llm_metrics_labels_t *l, const uint64_t *counts, uint64_t sum_us)
{
    size_t    i;
    uint64_t  total;

    total = 0;

    for (i = 0; i <= LLM_METRICS_NBUCKETS; i++) {
        total += counts[i];

        if (llm_metrics_series(b, name, "_bucket", l, llm_metrics_le[i]) != 0
            || llm_buf_appendf(b, " %" PRIu64 "\n", total) != 0)
        {
            return -1;
        }
    }

    if (llm_metrics_series(b, name, "_sum", l, NULL) != 0
        || llm_metrics_micros(b, sum_us) != 0
        || llm_metrics_series(b, name, "_count", l, NULL) != 0)
    {
        return -1;
    }

    return llm_buf_appendf(b, " %" PRIu64 "\n", total);
}
