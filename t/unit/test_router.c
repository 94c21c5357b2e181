/*
 * The router's decisions (llm_router*.c): every strategy, the filters in
 * front of them, error classes, retry and backoff rules, cooldowns, state
 * updates, the per-config tables and fallback lookup.
 */

#include <stdlib.h>

#include "unit.h"
#include "llm_config.h"
#include "llm_router.h"


#define NDEPS    6
#define MINUTE   28333333ULL                       /* a unix minute */
#define NOW      (MINUTE * 60000 + 30000)          /* 30 s into it */

static llm_deployment_t   D[NDEPS];
static llm_deployment_t  *P[NDEPS];
static llm_dep_state_t    S[NDEPS];
static const char        *addr[] = { "127.0.0.1:9" };


/* n plain OpenAI deployments with an address, fresh state */
static void
setup(size_t n)
{
    size_t  i;

    memset(D, 0, sizeof(D));
    memset(S, 0, sizeof(S));

    for (i = 0; i < n; i++) {
        D[i].index = i;
        D[i].provider = LLM_PROVIDER_OPENAI;
        D[i].addrs = addr;
        D[i].naddrs = 1;
        P[i] = &D[i];
        S[i].minute = MINUTE;
    }
}


static llm_router_req_t
req(llm_router_strategy_t strategy)
{
    llm_router_req_t  r;

    memset(&r, 0, sizeof(r));
    r.strategy = strategy;
    r.now_ms = NOW;

    return r;
}


static long
pick(llm_router_req_t *r, size_t n, const unsigned char *tried)
{
    llm_router_result_t  res;

    llm_router_pick(r, P, S, n, tried, &res);

    return res.outcome == LLM_ROUTER_PICKED ? res.index : -1;
}


/* picks for every random value 0..rounds-1, counted per deployment */
static void
count_picks(llm_router_req_t *r, size_t n, unsigned long rounds, int *counts)
{
    unsigned long  v;
    long           i;

    memset(counts, 0, sizeof(int) * NDEPS);

    for (v = 0; v < rounds; v++) {
        r->random = v;
        i = pick(r, n, NULL);
        if (i >= 0 && i < NDEPS) {
            counts[i]++;
        }
    }
}


UNIT_TEST(test_strategy_names)
{
    CHECK(llm_router_strategy(NULL) == LLM_ROUTER_SIMPLE_SHUFFLE);
    CHECK(llm_router_strategy("simple-shuffle") == LLM_ROUTER_SIMPLE_SHUFFLE);
    CHECK(llm_router_strategy("least-busy") == LLM_ROUTER_LEAST_BUSY);
    CHECK(llm_router_strategy("latency-based-routing") == LLM_ROUTER_LATENCY);
    CHECK(llm_router_strategy("usage-based-routing") == LLM_ROUTER_USAGE);
    CHECK(llm_router_strategy("usage-based-routing-v2") == LLM_ROUTER_USAGE);
    CHECK(llm_router_strategy("cost-based-routing") == LLM_ROUTER_COST);
    CHECK(llm_router_strategy("round-robin") == LLM_ROUTER_STRATEGY_UNKNOWN);
    CHECK(llm_router_strategy("") == LLM_ROUTER_STRATEGY_UNKNOWN);
}


UNIT_TEST(test_shuffle_weighted)
{
    llm_router_req_t  r = req(LLM_ROUTER_SIMPLE_SHUFFLE);
    int               c[NDEPS];
    unsigned char     tried[NDEPS] = { 0 };

    /* weight 3:1, exact over every residue class of the random number */
    setup(2);
    D[0].weight = 3;
    D[1].weight = 1;
    count_picks(&r, 2, 4000, c);
    CHECK(c[0] == 3000 && c[1] == 1000);

    /* no weight: rpm decides; 100:300 */
    setup(2);
    D[0].rpm = 100;
    D[1].rpm = 300;
    count_picks(&r, 2, 4000, c);
    CHECK(c[0] == 1000 && c[1] == 3000);

    /* neither weight nor rpm: tpm */
    setup(3);
    D[0].tpm = 1000;
    D[1].tpm = 1000;
    D[2].tpm = 2000;
    count_picks(&r, 3, 4000, c);
    CHECK(c[0] == 1000 && c[1] == 1000 && c[2] == 2000);

    /* nothing set: uniform */
    setup(4);
    count_picks(&r, 4, 4000, c);
    CHECK(c[0] == 1000 && c[1] == 1000 && c[2] == 1000 && c[3] == 1000);

    /*
     * The field comes from the first candidate: weight is set there, so a
     * deployment with only rpm gets no share ...
     */
    setup(2);
    D[0].weight = 2;
    D[1].rpm = 50;
    count_picks(&r, 2, 1000, c);
    CHECK(c[0] == 1000 && c[1] == 0);

    /* ... until the first one is out and rpm becomes the field */
    tried[0] = 1;
    r.random = 17;
    CHECK(pick(&r, 2, tried) == 1);
    tried[1] = 1;
    CHECK(pick(&r, 2, tried) == -1);
}


UNIT_TEST(test_order_and_addresses)
{
    llm_router_req_t     r = req(LLM_ROUTER_SIMPLE_SHUFFLE);
    llm_router_result_t  res;
    unsigned char        tried[NDEPS] = { 0 };
    unsigned long        v;
    int                  ok;

    setup(3);
    D[0].order = 2;
    D[1].order = 1;
    D[2].order = 1;
    D[2].naddrs = 0;                     /* no address: never picked */

    ok = 1;
    for (v = 0; v < 50; v++) {
        r.random = v;
        ok &= (pick(&r, 3, NULL) == 1);
    }
    CHECK(ok);

    /* the lowest order is out: the next order serves */
    tried[1] = 1;
    CHECK(pick(&r, 3, tried) == 0);
    tried[1] = 0;
    S[1].cooldown_until_ms = NOW + 1000;
    CHECK(pick(&r, 3, tried) == 0);

    /* a mock needs no address */
    setup(1);
    D[0].provider = LLM_PROVIDER_MOCK;
    D[0].naddrs = 0;
    CHECK(pick(&r, 1, NULL) == 0);

    /* nothing with an address: no deployment */
    setup(2);
    D[0].naddrs = 0;
    D[1].naddrs = 0;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_NO_DEPLOYMENT);
    CHECK(res.index == -1);
    CHECK(llm_router_pick(&r, P, S, 0, NULL, &res) == LLM_ROUTER_NO_DEPLOYMENT);

    /* every usable one tried */
    setup(2);
    tried[0] = tried[1] = 1;
    CHECK(llm_router_pick(&r, P, S, 2, tried, &res) == LLM_ROUTER_ALL_TRIED);
    CHECK(res.index == -1 && res.retry_after_s == 0);
}


UNIT_TEST(test_least_busy)
{
    llm_router_req_t  r = req(LLM_ROUTER_LEAST_BUSY);
    int               c[NDEPS];

    setup(3);
    S[0].in_flight = 5;
    S[1].in_flight = 2;
    S[2].in_flight = 9;
    count_picks(&r, 3, 30, c);
    CHECK(c[1] == 30);

    /* ties are broken uniformly at random */
    S[2].in_flight = 2;
    count_picks(&r, 3, 3000, c);
    CHECK(c[0] == 0 && c[1] == 1500 && c[2] == 1500);

    /* the least busy one is cooling: the next least busy */
    S[1].cooldown_until_ms = NOW + 1;
    count_picks(&r, 3, 30, c);
    CHECK(c[2] == 30);
}


UNIT_TEST(test_latency)
{
    llm_router_req_t  r = req(LLM_ROUTER_LATENCY);
    int               c[NDEPS];

    setup(3);
    S[0].latency_us = 200000; S[0].samples = 5;
    S[1].latency_us = 100000; S[1].samples = 5;
    S[2].latency_us = 140000; S[2].samples = 5;

    /* no buffer: the fastest only */
    count_picks(&r, 3, 300, c);
    CHECK(c[1] == 300);

    /* buffer 0.5: anything within 150 ms, uniformly */
    r.latency_buffer_permille = 500;
    count_picks(&r, 3, 3000, c);
    CHECK(c[0] == 0 && c[1] == 1500 && c[2] == 1500);

    /* buffer 1.0 takes all three */
    r.latency_buffer_permille = 1000;
    count_picks(&r, 3, 3000, c);
    CHECK(c[0] == 1000 && c[1] == 1000 && c[2] == 1000);

    /* a deployment without samples counts as fastest: it gets tried */
    r.latency_buffer_permille = 500;
    S[0].samples = 0;
    count_picks(&r, 3, 300, c);
    CHECK(c[0] == 300);

    /* streams compare time to first token, not full latency */
    setup(2);
    r = req(LLM_ROUTER_LATENCY);
    r.stream = 1;
    S[0].latency_us = 900000; S[0].ttft_us = 50000; S[0].samples = 3;
    S[1].latency_us = 300000; S[1].ttft_us = 80000; S[1].samples = 3;
    count_picks(&r, 2, 100, c);
    CHECK(c[0] == 100);
    r.stream = 0;
    count_picks(&r, 2, 100, c);
    CHECK(c[1] == 100);

    /* no stream sample yet (ttft 0): unknown, so tried first for streams */
    r.stream = 1;
    S[1].ttft_us = 0;
    count_picks(&r, 2, 100, c);
    CHECK(c[1] == 100);
}


UNIT_TEST(test_usage_and_saturation)
{
    llm_router_req_t     r = req(LLM_ROUTER_USAGE);
    llm_router_result_t  res;
    int                  c[NDEPS];

    setup(3);
    S[0].minute_tokens = 5000;
    S[1].minute_tokens = 1000;
    S[2].minute_tokens = 3000;
    count_picks(&r, 3, 300, c);
    CHECK(c[1] == 300);

    /* tpm: 1000 used + 600 estimated > 1500 -> saturated, skipped */
    D[1].tpm = 1500;
    r.input_tokens = 600;
    count_picks(&r, 3, 300, c);
    CHECK(c[2] == 300);
    /* exactly at the limit is still allowed */
    r.input_tokens = 500;
    count_picks(&r, 3, 300, c);
    CHECK(c[1] == 300);

    /* rpm: 9 started, limit 10 -> one more fits; 10 started -> full */
    r.input_tokens = 0;
    D[1].rpm = 10;
    S[1].minute_requests = 9;
    count_picks(&r, 3, 30, c);
    CHECK(c[1] == 30);
    S[1].minute_requests = 10;
    count_picks(&r, 3, 30, c);
    CHECK(c[1] == 0 && c[2] == 30);

    /* counters of an older minute count as 0, for saturation and usage */
    S[1].minute = MINUTE - 1;
    S[1].minute_tokens = 999999;
    count_picks(&r, 3, 30, c);
    CHECK(c[1] == 30);
    S[1].minute = MINUTE;

    /* ties on tokens are broken at random */
    setup(2);
    S[0].minute_tokens = S[1].minute_tokens = 700;
    count_picks(&r, 2, 1000, c);
    CHECK(c[0] == 500 && c[1] == 500);

    /* all saturated: retry after the minute rolls over (30 s from NOW) */
    D[0].rpm = 1;
    D[1].tpm = 100;
    S[0].minute_requests = 1;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_ALL_SATURATED);
    CHECK(res.index == -1 && res.retry_after_s == 30);

    /* 59.5 s into the minute: 0.5 s left rounds up to 1 */
    r.now_ms = MINUTE * 60000 + 59500;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_ALL_SATURATED);
    CHECK(res.retry_after_s == 1);

    /* the next minute: the old counters no longer count */
    r.now_ms = (MINUTE + 1) * 60000;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_PICKED);

    /* saturation applies to every strategy */
    r = req(LLM_ROUTER_SIMPLE_SHUFFLE);
    r.random = 0;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_ALL_SATURATED);
}


UNIT_TEST(test_cost)
{
    llm_router_req_t    r = req(LLM_ROUTER_COST);
    llm_router_price_t  prices[NDEPS];
    int                 c[NDEPS];

    memset(prices, 0, sizeof(prices));
    setup(3);
    r.prices = prices;

    /* gpt-4o 2.50/10.00, gpt-4o-mini 0.15/0.60, unknown */
    prices[0] = (llm_router_price_t) { .input = 2500000, .output = 10000000,
                                       .known = 1 };
    prices[1] = (llm_router_price_t) { .input = 150000, .output = 600000,
                                       .known = 1 };
    count_picks(&r, 3, 100, c);
    CHECK(c[1] == 100);

    /* the cheapest is out: the next cheapest, unknown prices last */
    S[1].cooldown_until_ms = NOW + 5000;
    count_picks(&r, 3, 100, c);
    CHECK(c[0] == 100);
    S[0].cooldown_until_ms = NOW + 5000;
    count_picks(&r, 3, 100, c);
    CHECK(c[2] == 100);

    /* ties: the first one, always */
    setup(3);
    prices[2] = prices[1];
    count_picks(&r, 3, 100, c);
    CHECK(c[1] == 100);

    /* no price table: every price unknown, the first wins */
    r.prices = NULL;
    count_picks(&r, 3, 100, c);
    CHECK(c[0] == 100);
}


UNIT_TEST(test_cooldown_in_pick)
{
    llm_router_req_t     r = req(LLM_ROUTER_SIMPLE_SHUFFLE);
    llm_router_result_t  res;
    int                  c[NDEPS];

    setup(2);
    S[0].cooldown_until_ms = NOW + 2500;
    count_picks(&r, 2, 100, c);
    CHECK(c[1] == 100);

    /* the cooldown ends exactly at until: usable again */
    r.now_ms = NOW + 2500;
    count_picks(&r, 2, 1000, c);
    CHECK(c[0] == 500 && c[1] == 500);

    /* all cooling: the earliest end, rounded up to whole seconds */
    r.now_ms = NOW;
    S[1].cooldown_until_ms = NOW + 7000;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_ALL_COOLING);
    CHECK(res.retry_after_s == 3);

    /* one cooling 40 s, one saturated until the minute ends (30 s) */
    S[0].cooldown_until_ms = NOW + 40000;
    S[1].cooldown_until_ms = 0;
    D[1].rpm = 5;
    S[1].minute_requests = 5;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_ALL_SATURATED);
    CHECK(res.retry_after_s == 30);

    /* cooling and saturated at once: free when both are over */
    S[1].cooldown_until_ms = NOW + 45000;
    CHECK(llm_router_pick(&r, P, S, 2, NULL, &res) == LLM_ROUTER_ALL_COOLING);
    CHECK(res.retry_after_s == 40);

    /* tried ones do not count as blocked */
    {
        unsigned char  tried[NDEPS] = { 1, 0 };

        CHECK(llm_router_pick(&r, P, S, 2, tried, &res)
              == LLM_ROUTER_ALL_COOLING);
        CHECK(res.retry_after_s == 45);
    }
}


UNIT_TEST(test_healthy)
{
    llm_router_req_t  r = req(LLM_ROUTER_SIMPLE_SHUFFLE);

    setup(4);
    CHECK(llm_router_healthy(&r, P, S, 4) == 4);
    S[0].cooldown_until_ms = NOW + 1;
    D[1].naddrs = 0;
    D[2].rpm = 1;
    S[2].minute_requests = 1;
    CHECK(llm_router_healthy(&r, P, S, 4) == 1);
    S[0].cooldown_until_ms = NOW;             /* over */
    CHECK(llm_router_healthy(&r, P, S, 4) == 2);
}


#define CLASSIFY(status, body)  llm_router_classify(status, body, strlen(body))

UNIT_TEST(test_classify)
{
    static const char  openai_ctx[] =
        "{\"error\":{\"message\":\"This model's maximum context length is "
        "128000 tokens. However, your messages resulted in 130512 tokens. "
        "Please reduce the length of the messages.\",\"type\":"
        "\"invalid_request_error\",\"param\":\"messages\",\"code\":"
        "\"context_length_exceeded\"}}";
    static const char  anthropic_ctx[] =
        "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
        "\"message\":\"prompt is too long: 215360 tokens > 200000 maximum\"}}";
    static const char  gemini_ctx[] =
        "{\"error\":{\"code\":400,\"message\":\"The input token count "
        "(1226000) exceeds the maximum number of tokens allowed (1048576).\","
        "\"status\":\"INVALID_ARGUMENT\"}}";
    static const char  vllm_ctx[] =
        "{\"object\":\"error\",\"message\":\"This model's Maximum Context "
        "Length is 8192 tokens. However, you requested 9000 tokens\","
        "\"type\":\"BadRequestError\",\"code\":400}";
    static const char  azure_filter[] =
        "{\"error\":{\"message\":\"The response was filtered due to the "
        "prompt triggering Azure OpenAI's content management policy.\","
        "\"type\":null,\"param\":\"prompt\",\"code\":\"content_filter\","
        "\"status\":400,\"innererror\":{\"code\":"
        "\"ResponsibleAIPolicyViolation\"}}}";
    static const char  openai_policy[] =
        "{\"error\":{\"code\":\"content_policy_violation\",\"message\":"
        "\"Your request was rejected as a result of our safety system.\","
        "\"param\":null,\"type\":\"invalid_request_error\"}}";
    static const char  gemini_key[] =
        "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please "
        "pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\",\"details\":"
        "[{\"reason\":\"API_KEY_INVALID\"}]}}";
    static const char  openai_param[] =
        "{\"error\":{\"message\":\"Invalid type for 'safety_identifier': "
        "expected a string.\",\"type\":\"invalid_request_error\",\"param\":"
        "\"safety_identifier\",\"code\":\"invalid_type\"}}";
    static const char  openai_key[] =
        "{\"error\":{\"message\":\"Incorrect API key provided: sk-...abcd.\","
        "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}";
    static const char  openai_quota[] =
        "{\"error\":{\"message\":\"You exceeded your current quota\","
        "\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}";
    static const char  anthropic_overloaded[] =
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
        "\"message\":\"Overloaded\"}}";
    static const char  not_found[] =
        "{\"error\":{\"message\":\"The model `gpt-5x` does not exist\","
        "\"code\":\"model_not_found\"}}";

    CHECK(CLASSIFY(400, openai_ctx) == LLM_ERR_CONTEXT_WINDOW);
    CHECK(CLASSIFY(400, anthropic_ctx) == LLM_ERR_CONTEXT_WINDOW);
    CHECK(CLASSIFY(400, gemini_ctx) == LLM_ERR_CONTEXT_WINDOW);
    CHECK(CLASSIFY(400, vllm_ctx) == LLM_ERR_CONTEXT_WINDOW);
    CHECK(CLASSIFY(413, anthropic_ctx) == LLM_ERR_CONTEXT_WINDOW);
    CHECK(CLASSIFY(413, "{\"error\":{\"type\":\"request_too_large\"}}")
          == LLM_ERR_BAD_REQUEST);
    CHECK(CLASSIFY(400, azure_filter) == LLM_ERR_CONTENT_POLICY);
    CHECK(CLASSIFY(400, openai_policy) == LLM_ERR_CONTENT_POLICY);
    CHECK(CLASSIFY(400, gemini_key) == LLM_ERR_AUTH);
    CHECK(CLASSIFY(400, openai_param) == LLM_ERR_BAD_REQUEST);
    CHECK(CLASSIFY(422, "{\"detail\":\"unprocessable\"}") == LLM_ERR_BAD_REQUEST);
    CHECK(CLASSIFY(409, "{}") == LLM_ERR_BAD_REQUEST);
    /* the phrase only counts for 400/413 */
    CHECK(CLASSIFY(500, openai_ctx) == LLM_ERR_SERVER);

    CHECK(CLASSIFY(401, openai_key) == LLM_ERR_AUTH);
    CHECK(CLASSIFY(403, "{\"error\":{\"type\":\"permission_error\"}}")
          == LLM_ERR_AUTH);
    CHECK(CLASSIFY(404, not_found) == LLM_ERR_NOT_FOUND);
    CHECK(CLASSIFY(429, openai_quota) == LLM_ERR_RATE_LIMIT);
    CHECK(CLASSIFY(500, "{\"error\":{\"message\":\"oops\"}}") == LLM_ERR_SERVER);
    CHECK(CLASSIFY(503, "") == LLM_ERR_SERVER);
    CHECK(CLASSIFY(529, anthropic_overloaded) == LLM_ERR_SERVER);
    CHECK(CLASSIFY(502, "<html>Bad Gateway</html>") == LLM_ERR_SERVER);
    CHECK(llm_router_classify(502, NULL, 0) == LLM_ERR_CONNECT);
    CHECK(llm_router_classify(502, "x", 0) == LLM_ERR_CONNECT);
    CHECK(llm_router_classify(0, NULL, 0) == LLM_ERR_CONNECT);
    CHECK(llm_router_classify(504, NULL, 0) == LLM_ERR_TIMEOUT);
    CHECK(llm_router_classify(408, NULL, 0) == LLM_ERR_TIMEOUT);
    CHECK(llm_router_classify(200, NULL, 0) == LLM_ERR_NONE);
    CHECK(llm_router_classify(400, NULL, 5) == LLM_ERR_BAD_REQUEST);

    /* the length bounds the search: a phrase cut off does not match */
    CHECK(llm_router_classify(400, "prompt is too long", 17)
          == LLM_ERR_BAD_REQUEST);
    CHECK(llm_router_classify(400, "PROMPT IS TOO LONG", 18)
          == LLM_ERR_CONTEXT_WINDOW);

    CHECK_STR(llm_err_class_name(LLM_ERR_CONTEXT_WINDOW), "context_window");
    CHECK_STR(llm_err_class_name(LLM_ERR_NCLASSES), "unknown");
}


static llm_router_retry_policy_t
policy(long long num_retries)
{
    llm_router_retry_policy_t  p;
    size_t                     i;

    p.num_retries = num_retries;
    for (i = 0; i < LLM_ERR_NCLASSES; i++) {
        p.per_class[i] = -1;
    }

    return p;
}


UNIT_TEST(test_should_retry)
{
    llm_router_retry_policy_t  p = policy(2);

    /* num_retries 2: attempts 1 and 2 retry, the third failure moves on */
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 1, 3, 2, 1)
          == LLM_RETRY_SAME_GROUP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 2, 3, 2, 1)
          == LLM_RETRY_SAME_GROUP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 3, 3, 2, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 3, 3, 2, 0)
          == LLM_RETRY_GIVE_UP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_TIMEOUT, 1, 1, 1, 0)
          == LLM_RETRY_SAME_GROUP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_CONNECT, 2, 2, 1, 0)
          == LLM_RETRY_SAME_GROUP);

    /* not found: never retried, straight to fallbacks */
    CHECK(llm_router_should_retry(&p, LLM_ERR_NOT_FOUND, 1, 3, 2, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_NOT_FOUND, 1, 3, 2, 0)
          == LLM_RETRY_GIVE_UP);

    /* context window / content policy: their fallbacks when there are any */
    CHECK(llm_router_should_retry(&p, LLM_ERR_CONTEXT_WINDOW, 1, 3, 3, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_CONTENT_POLICY, 1, 3, 3, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_CONTEXT_WINDOW, 1, 3, 3, 0)
          == LLM_RETRY_GIVE_UP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_CONTENT_POLICY, 1, 3, 3, 0)
          == LLM_RETRY_GIVE_UP);

    /* rate limit, nothing healthy left: fallbacks right away */
    CHECK(llm_router_should_retry(&p, LLM_ERR_RATE_LIMIT, 1, 2, 0, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_RATE_LIMIT, 1, 2, 1, 1)
          == LLM_RETRY_SAME_GROUP);

    /* auth: only worth retrying on another deployment */
    CHECK(llm_router_should_retry(&p, LLM_ERR_AUTH, 1, 1, 1, 0)
          == LLM_RETRY_GIVE_UP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_AUTH, 1, 1, 1, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_AUTH, 1, 2, 1, 0)
          == LLM_RETRY_SAME_GROUP);

    /* no healthy deployment: no retry for any error */
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 1, 2, 0, 0)
          == LLM_RETRY_GIVE_UP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_TIMEOUT, 1, 2, 0, 1)
          == LLM_RETRY_FALLBACK);

    /* bad request: never retried, never falls back */
    CHECK(llm_router_should_retry(&p, LLM_ERR_BAD_REQUEST, 1, 3, 3, 1)
          == LLM_RETRY_GIVE_UP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_NONE, 1, 3, 3, 1)
          == LLM_RETRY_GIVE_UP);

    /* retry_policy overrides num_retries per class */
    p.per_class[LLM_ERR_RATE_LIMIT] = 4;
    p.per_class[LLM_ERR_SERVER] = 0;
    CHECK(llm_router_should_retry(&p, LLM_ERR_RATE_LIMIT, 4, 2, 2, 0)
          == LLM_RETRY_SAME_GROUP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_RATE_LIMIT, 5, 2, 2, 0)
          == LLM_RETRY_GIVE_UP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 1, 2, 2, 1)
          == LLM_RETRY_FALLBACK);
    CHECK(llm_router_should_retry(&p, LLM_ERR_TIMEOUT, 2, 2, 2, 0)
          == LLM_RETRY_SAME_GROUP);
    /* an explicit BadRequestErrorRetries is honoured, still no fallback */
    p.per_class[LLM_ERR_BAD_REQUEST] = 1;
    CHECK(llm_router_should_retry(&p, LLM_ERR_BAD_REQUEST, 1, 2, 2, 1)
          == LLM_RETRY_SAME_GROUP);
    CHECK(llm_router_should_retry(&p, LLM_ERR_BAD_REQUEST, 2, 2, 2, 1)
          == LLM_RETRY_GIVE_UP);

    /* num_retries 0: straight on */
    p = policy(0);
    CHECK(llm_router_should_retry(&p, LLM_ERR_SERVER, 1, 3, 2, 1)
          == LLM_RETRY_FALLBACK);
}


UNIT_TEST(test_backoff)
{
    unsigned       n;
    unsigned long  v;
    uint64_t       ms, base;
    int            ok;

    /* other healthy deployments: no wait, whatever else applies */
    CHECK(llm_router_backoff_ms(0, 30, 2, 0, 1000) == 0);

    /* the provider's retry-after, within (0, 60] s */
    CHECK(llm_router_backoff_ms(0, 7, 1, 999, 0) == 7000);
    CHECK(llm_router_backoff_ms(3, 60, 0, 0, 0) == 60000);

    /* exponential with jitter in [0.75, 1] x min(0.5 * 2^n, 8) s */
    ok = 1;
    for (n = 0; n < 12; n++) {
        base = n >= 4 ? 8000 : 500u << n;
        for (v = 0; v < 2000; v += 7) {
            ms = llm_router_backoff_ms(n, n % 2 ? 61 : -1, 1, v, 0);
            ok &= (ms <= base && ms * 4 >= base * 3);
        }
    }
    CHECK(ok);
    CHECK(llm_router_backoff_ms(0, -1, 1, 0, 0) == 500);
    CHECK(llm_router_backoff_ms(1, 0, 1, 0, 0) == 1000);
    CHECK(llm_router_backoff_ms(40, -1, 0, 0, 0) == 8000);
    CHECK(llm_router_backoff_ms(4, -1, 1, 999, 0) == 8000 - 8000 * 999 / 4000);

    /* never below settings.retry_after */
    CHECK(llm_router_backoff_ms(0, -1, 1, 0, 3000) == 3000);
    CHECK(llm_router_backoff_ms(5, -1, 1, 0, 3000) == 8000);
}


UNIT_TEST(test_on_failure)
{
    llm_dep_state_t  st;
    uint64_t         now = NOW;
    int              i, cooled;

    /* allowed_fails 3: the 4th failure in a minute cools down */
    memset(&st, 0, sizeof(st));
    cooled = 0;
    for (i = 0; i < 3; i++) {
        cooled |= llm_router_on_failure(LLM_ERR_SERVER, 2, 3, 5000, now, &st);
    }
    CHECK(!cooled && st.fail_count == 3 && st.cooldown_until_ms == 0);
    CHECK(llm_router_on_failure(LLM_ERR_TIMEOUT, 2, 3, 5000, now, &st) == 1);
    CHECK(st.cooldown_until_ms == now + 5000);
    CHECK(st.cooldown_class == LLM_ERR_TIMEOUT);
    /* back from cooldown with a fresh count */
    CHECK(st.fail_count == 0);

    /* failures of an older minute do not add up */
    memset(&st, 0, sizeof(st));
    for (i = 0; i < 3; i++) {
        llm_router_on_failure(LLM_ERR_CONNECT, 2, 3, 5000, now, &st);
    }
    CHECK(llm_router_on_failure(LLM_ERR_SERVER, 2, 3, 5000, now + 60000, &st)
          == 0);
    CHECK(st.fail_count == 1 && st.fail_minute == MINUTE + 1);

    /* auth and not found: at once, even alone in the group */
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_AUTH, 1, 3, 5000, now, &st) == 1);
    CHECK(st.cooldown_class == LLM_ERR_AUTH);
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_NOT_FOUND, 1, 3, 5000, now, &st) == 1);

    /* 429: at once when others can serve, counted when alone */
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_RATE_LIMIT, 2, 3, 5000, now, &st) == 1);
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_RATE_LIMIT, 1, 3, 5000, now, &st) == 0);
    CHECK(st.fail_count == 1);

    /* allowed_fails 0: the first failure */
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_SERVER, 1, 0, 5000, now, &st) == 1);

    /* cooldown_time 0 disables cooldowns */
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_AUTH, 2, 0, 0, now, &st) == 0);
    CHECK(st.cooldown_until_ms == 0);

    /* errors about the request say nothing about the deployment */
    memset(&st, 0, sizeof(st));
    CHECK(llm_router_on_failure(LLM_ERR_BAD_REQUEST, 2, 0, 5000, now, &st)
          == 0);
    CHECK(llm_router_on_failure(LLM_ERR_CONTEXT_WINDOW, 2, 0, 5000, now, &st)
          == 0);
    CHECK(llm_router_on_failure(LLM_ERR_CONTENT_POLICY, 2, 0, 5000, now, &st)
          == 0);
    CHECK(st.fail_count == 0 && st.cooldown_until_ms == 0);
}


UNIT_TEST(test_cooldown_cycle)
{
    llm_router_req_t  r = req(LLM_ROUTER_SIMPLE_SHUFFLE);
    int               c[NDEPS];

    /* a 429 takes deployment 0 out for cooldown_time, then it is back */
    setup(2);
    CHECK(llm_router_on_failure(LLM_ERR_RATE_LIMIT, 2, 3, 5000, NOW, &S[0]));
    count_picks(&r, 2, 100, c);
    CHECK(c[1] == 100);
    CHECK(llm_router_healthy(&r, P, S, 2) == 1);
    r.now_ms = NOW + 4999;
    count_picks(&r, 2, 100, c);
    CHECK(c[1] == 100);
    r.now_ms = NOW + 5000;
    count_picks(&r, 2, 100, c);
    CHECK(c[0] == 50 && c[1] == 50);
}


UNIT_TEST(test_on_success_and_window)
{
    llm_dep_state_t  st;

    memset(&st, 0, sizeof(st));

    /* the first sample sets the average, later ones move it 1/8 */
    llm_router_on_success(&st, NOW, 800000, 0, 100);
    CHECK(st.latency_us == 800000 && st.samples == 1 && st.ttft_us == 0);
    llm_router_on_success(&st, NOW, 1600000, 0, 50);
    CHECK(st.latency_us == 900000 && st.samples == 2);
    llm_router_on_success(&st, NOW, 100000, 0, 0);
    CHECK(st.latency_us == 800000);
    CHECK(st.minute == MINUTE && st.minute_tokens == 150);

    /* ttft only from streams */
    llm_router_on_success(&st, NOW, 800000, 40000, 0);
    CHECK(st.ttft_us == 40000);
    llm_router_on_success(&st, NOW, 800000, 120000, 0);
    CHECK(st.ttft_us == 50000);

    /* a new minute starts the token window again */
    llm_router_on_success(&st, NOW + 60000, 800000, 0, 7);
    CHECK(st.minute == MINUTE + 1 && st.minute_tokens == 7);

    /* requests: counted in their minute and in flight until they end */
    memset(&st, 0, sizeof(st));
    llm_router_on_start(&st, NOW);
    llm_router_on_start(&st, NOW);
    CHECK(st.in_flight == 2 && st.minute_requests == 2 && st.minute == MINUTE);
    llm_router_on_end(&st);
    CHECK(st.in_flight == 1);
    llm_router_on_start(&st, NOW + 60000);
    CHECK(st.minute_requests == 1 && st.minute == MINUTE + 1);
    llm_router_on_end(&st);
    llm_router_on_end(&st);
    llm_router_on_end(&st);          /* never below 0 */
    CHECK(st.in_flight == 0);
}


static const char  *router_config =
    "{\"version\":1,"
    " \"settings\":{"
    "  \"routing_strategy\":\"latency-based-routing\","
    "  \"num_retries\":2, \"allowed_fails\":1, \"cooldown_time_ms\":9000,"
    "  \"max_fallbacks\":3,"
    "  \"routing_strategy_args\":{\"lowest_latency_buffer\":0.5,\"ttl\":3600},"
    "  \"retry_policy\":{\"RateLimitErrorRetries\":3,"
    "                    \"AuthenticationErrorRetries\":0,"
    "                    \"BadRequestErrorRetries\":1},"
    "  \"retry_after_ms\":1500,"
    "  \"fallbacks\":{\"gpt-4o\":[\"claude\",\"gpt-4o\",\"gemini\",\"claude\","
    "                           \"mini\",\"llama\"],"
    "               \"claude-*\":[\"gpt-4o\"],"
    "               \"empty\":[]},"
    "  \"context_window_fallbacks\":{\"gpt-4o\":[\"gemini\"]},"
    "  \"content_policy_fallbacks\":{\"*\":[\"llama\"]},"
    "  \"default_fallbacks\":[\"mini\"]"
    " },"
    " \"deployments\":["
    "  {\"id\":\"a\",\"model_name\":\"gpt-4o\",\"provider\":\"openai\","
    "   \"model\":\"gpt-4o\",\"scheme\":\"https\",\"host\":\"h\","
    "   \"addrs\":[\"127.0.0.1:443\"],"
    "   \"input_cost_per_token\":2.5e-6,\"output_cost_per_token\":1e-5},"
    "  {\"id\":\"b\",\"model_name\":\"mini\",\"provider\":\"openai\","
    "   \"model\":\"m\",\"scheme\":\"https\",\"host\":\"h\","
    "   \"model_info\":{\"input_cost_per_token\":1.5e-7}},"
    "  {\"id\":\"c\",\"model_name\":\"demo\",\"provider\":\"mock\","
    "   \"model\":\"demo\"}"
    " ]}";


static llm_config_t *
load(const char *s)
{
    char  err[256];

    return llm_config_parse(s, strlen(s), err, sizeof(err));
}


UNIT_TEST(test_conf_build)
{
    char                err[64];
    llm_config_t       *cf = load(router_config);
    llm_router_conf_t  *rc;

    CHECK(cf != NULL);
    if (cf == NULL) {
        return;
    }

    rc = llm_router_conf_build(cf, err, sizeof(err));
    CHECK(rc != NULL);
    if (rc == NULL) {
        llm_config_free(cf);
        return;
    }

    CHECK(rc->strategy == LLM_ROUTER_LATENCY);
    CHECK(rc->latency_buffer_permille == 500);
    CHECK(rc->retry_after_ms == 1500);
    CHECK(rc->allowed_fails == 1 && rc->cooldown_ms == 9000);
    CHECK(rc->max_fallbacks == 3);
    CHECK(rc->retry.num_retries == 2);
    CHECK(rc->retry.per_class[LLM_ERR_RATE_LIMIT] == 3);
    CHECK(rc->retry.per_class[LLM_ERR_AUTH] == 0);
    CHECK(rc->retry.per_class[LLM_ERR_BAD_REQUEST] == 1);
    CHECK(rc->retry.per_class[LLM_ERR_CONTEXT_WINDOW] == 1);
    CHECK(rc->retry.per_class[LLM_ERR_SERVER] == -1);
    CHECK(rc->retry.per_class[LLM_ERR_TIMEOUT] == -1);

    /* $2.50 / $10 per million tokens, in micro-dollars per million */
    CHECK(rc->nprices == 3);
    CHECK(rc->prices[0].known && rc->prices[0].input == 2500000
          && rc->prices[0].output == 10000000);
    CHECK(rc->prices[1].known && rc->prices[1].input == 150000
          && rc->prices[1].output == 0);
    CHECK(!rc->prices[2].known);

    /* empty lists are dropped */
    CHECK(rc->fallbacks.nentries == 2);
    CHECK(rc->ndefault_fallbacks == 1);

    llm_router_conf_free(rc);
    llm_config_free(cf);

    /* defaults, and disable_cooldowns */
    cf = load("{\"version\":1,\"settings\":{\"disable_cooldowns\":true,"
              "\"routing_strategy\":\"bogus\"}}");
    CHECK(cf != NULL);
    rc = cf ? llm_router_conf_build(cf, err, sizeof(err)) : NULL;
    CHECK(rc != NULL);
    if (rc != NULL) {
        CHECK(rc->strategy == LLM_ROUTER_SIMPLE_SHUFFLE);
        CHECK(rc->cooldown_ms == 0 && rc->allowed_fails == 3);
        CHECK(rc->latency_buffer_permille == 0 && rc->retry_after_ms == 0);
        CHECK(rc->max_fallbacks == 5 && rc->fallbacks.nentries == 0);
        CHECK(rc->nprices == 0);
    }
    llm_router_conf_free(rc);
    llm_config_free(cf);
}


#define FB(model, group, cls)                                                 \
    llm_router_fallbacks(rc, model, strlen(model), group, cls, out,          \
                         sizeof(out) / sizeof(out[0]))

UNIT_TEST(test_fallbacks)
{
    char                err[64];
    const char         *out[8];
    size_t              n;
    llm_config_t       *cf = load(router_config);
    llm_router_conf_t  *rc = cf ? llm_router_conf_build(cf, err, sizeof(err))
                                : NULL;

    CHECK(rc != NULL);
    if (rc == NULL) {
        llm_config_free(cf);
        return;
    }

    /* own entry, without itself and duplicates, bounded by max_fallbacks */
    n = FB("gpt-4o", "gpt-4o", LLM_ERR_SERVER);
    CHECK(n == 3);
    CHECK_STR(out[0], "claude");
    CHECK_STR(out[1], "gemini");
    CHECK_STR(out[2], "mini");

    /* the caller's max bounds it too */
    n = llm_router_fallbacks(rc, "gpt-4o", 6, "gpt-4o", LLM_ERR_TIMEOUT, out,
                             1);
    CHECK(n == 1);
    CHECK_STR(out[0], "claude");

    /* the length is honoured, not a NUL */
    n = llm_router_fallbacks(rc, "gpt-4o-mini", 6, NULL, LLM_ERR_SERVER, out,
                             8);
    CHECK(n == 3);

    /* no entry for the model: its pattern group's entry */
    n = FB("claude-opus-4", "claude-*", LLM_ERR_RATE_LIMIT);
    CHECK(n == 1);
    CHECK_STR(out[0], "gpt-4o");

    /* no entry at all: default_fallbacks */
    n = FB("llama", "llama", LLM_ERR_CONNECT);
    CHECK(n == 1);
    CHECK_STR(out[0], "mini");
    /* ... but never the failing group itself */
    n = FB("mini", "mini", LLM_ERR_SERVER);
    CHECK(n == 0);
    /* an empty list counts as no entry */
    n = FB("empty", "empty", LLM_ERR_SERVER);
    CHECK(n == 1);
    CHECK_STR(out[0], "mini");

    /* context window: its own list first */
    n = FB("gpt-4o", "gpt-4o", LLM_ERR_CONTEXT_WINDOW);
    CHECK(n == 1);
    CHECK_STR(out[0], "gemini");
    /* no context-window entry for claude: the general fallbacks */
    n = FB("claude-opus-4", "claude-*", LLM_ERR_CONTEXT_WINDOW);
    CHECK(n == 1);
    CHECK_STR(out[0], "gpt-4o");

    /* content policy: the "*" entry of its list */
    n = FB("gpt-4o", "gpt-4o", LLM_ERR_CONTENT_POLICY);
    CHECK(n == 1);
    CHECK_STR(out[0], "llama");
    n = FB("llama", "llama", LLM_ERR_CONTENT_POLICY);
    CHECK(n == 0);

    /* a rejected request does not fall back */
    CHECK(FB("gpt-4o", "gpt-4o", LLM_ERR_BAD_REQUEST) == 0);

    /* max_fallbacks 0: none */
    rc->max_fallbacks = 0;
    CHECK(FB("gpt-4o", "gpt-4o", LLM_ERR_SERVER) == 0);

    llm_router_conf_free(rc);
    llm_config_free(cf);

    /* a "*" key in fallbacks beats default_fallbacks */
    cf = load("{\"version\":1,\"settings\":{\"fallbacks\":{\"*\":[\"x\"]},"
              "\"default_fallbacks\":[\"y\"]}}");
    rc = cf ? llm_router_conf_build(cf, err, sizeof(err)) : NULL;
    CHECK(rc != NULL);
    if (rc != NULL) {
        n = FB("any", NULL, LLM_ERR_SERVER);
        CHECK(n == 1);
        CHECK_STR(out[0], "x");
    }
    llm_router_conf_free(rc);
    llm_config_free(cf);
}


UNIT_MAIN(test_strategy_names, test_shuffle_weighted, test_order_and_addresses,
          test_least_busy, test_latency, test_usage_and_saturation, test_cost,
          test_cooldown_in_pick, test_healthy, test_classify,
          test_should_retry, test_backoff, test_on_failure,
          test_cooldown_cycle, test_on_success_and_window, test_conf_build,
          test_fallbacks)
