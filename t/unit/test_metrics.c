/*
 * Prometheus text rendering (core/llm_metrics.c): buckets, status classes,
 * label escaping, cumulative histograms.  The integration suite checks a
 * whole scrape with promtool.
 */

#include "unit.h"
#include "llm_metrics.h"


UNIT_TEST(test_bucket)
{
    CHECK(llm_metrics_bucket(0) == 0);
    CHECK(llm_metrics_bucket(50) == 0);
    CHECK(llm_metrics_bucket(51) == 1);
    CHECK(llm_metrics_bucket(1000) == 4);
    CHECK(llm_metrics_bucket(120000) == LLM_METRICS_NBUCKETS - 1);
    CHECK(llm_metrics_bucket(120001) == LLM_METRICS_NBUCKETS);
}


UNIT_TEST(test_status_class)
{
    CHECK_STR(llm_metrics_class_names[llm_metrics_status_class(200)], "2xx");
    CHECK_STR(llm_metrics_class_names[llm_metrics_status_class(429)], "4xx");
    CHECK_STR(llm_metrics_class_names[llm_metrics_status_class(599)], "5xx");
    CHECK_STR(llm_metrics_class_names[llm_metrics_status_class(0)], "other");
    CHECK_STR(llm_metrics_class_names[llm_metrics_status_class(600)],
              "other");
}


UNIT_TEST(test_sample_escaping)
{
    llm_buf_t             b = LLM_BUF_INIT;
    llm_metrics_labels_t  l = { {0}, {0}, 0 };

    llm_metrics_label(&l, "model_group", "a\"b\\c\nd");
    llm_metrics_label(&l, "provider", NULL);

    CHECK(llm_metrics_family(&b, "llm_x_total", "counter", "X.") == 0);
    CHECK(llm_metrics_sample(&b, "llm_x_total", &l, 42) == 0);
    CHECK(llm_metrics_sample(&b, "llm_up", NULL, 1) == 0);
    CHECK(llm_metrics_sample_micros(&b, "llm_usd_total", NULL, 1234567) == 0);
    CHECK(llm_metrics_sample_micros(&b, "llm_usd_total", NULL, 5) == 0);

    CHECK_STR(b.data,
              "# HELP llm_x_total X.\n# TYPE llm_x_total counter\n"
              "llm_x_total{model_group=\"a\\\"b\\\\c\\nd\",provider=\"\"} 42\n"
              "llm_up 1\n"
              "llm_usd_total 1.234567\n"
              "llm_usd_total 0.000005\n");

    llm_buf_free(&b);
}


UNIT_TEST(test_histogram)
{
    size_t                i;
    uint64_t              counts[LLM_METRICS_NBUCKETS + 1];
    llm_buf_t             b = LLM_BUF_INIT;
    llm_metrics_labels_t  l = { {0}, {0}, 0 };

    for (i = 0; i <= LLM_METRICS_NBUCKETS; i++) {
        counts[i] = 0;
    }

    counts[0] = 1;
    counts[4] = 2;
    counts[LLM_METRICS_NBUCKETS] = 1;

    llm_metrics_label(&l, "deployment", "d1");

    CHECK(llm_metrics_histogram(&b, "llm_d_seconds", &l, counts, 2500000)
          == 0);
    CHECK(strstr(b.data, "llm_d_seconds_bucket{deployment=\"d1\",le=\"0.05\"}"
                         " 1\n") != NULL);
    CHECK(strstr(b.data, "llm_d_seconds_bucket{deployment=\"d1\",le=\"1\"}"
                         " 3\n") != NULL);
    CHECK(strstr(b.data, "llm_d_seconds_bucket{deployment=\"d1\",le=\"120\"}"
                         " 3\n") != NULL);
    CHECK(strstr(b.data, "llm_d_seconds_bucket{deployment=\"d1\",le=\"+Inf\"}"
                         " 4\n") != NULL);
    CHECK(strstr(b.data, "llm_d_seconds_sum{deployment=\"d1\"} 2.500000\n")
          != NULL);
    CHECK(strstr(b.data, "llm_d_seconds_count{deployment=\"d1\"} 4\n")
          != NULL);

    llm_buf_free(&b);
}


UNIT_MAIN(test_bucket, test_status_class, test_sample_escaping,
          test_histogram)
