/* The published key table and admission: budgets with reservations,
   rate limits, parallel requests, models, expiry, teams. */

#include <stdlib.h>

#include "unit.h"
#include "llm_keys.h"
#include "llm_config.h"
#include "llm_prices.h"
#include "llm_provider.h"


#define TOKEN_A  "aa00000000000000000000000000000000000000000000000000000000000001"
#define TOKEN_B  "bb00000000000000000000000000000000000000000000000000000000000002"

static const char  *table =
    "{\"version\":1,"
    " \"keys\":["
    "  {\"token\":\"" TOKEN_B "\",\"alias\":\"bob\",\"team_id\":\"t1\","
    "   \"models\":[\"gpt-*\"],\"rpm_limit\":2,\"tpm_limit\":100,"
    "   \"max_parallel_requests\":1,"
    "   \"model_rpm_limit\":{\"gpt-4o\":1}},"
    "  {\"token\":\"" TOKEN_A "\",\"alias\":\"alice\",\"max_budget_micros\":1000,"
    "   \"spend_micros\":400,\"expires\":2000000000}],"
    " \"teams\":[{\"team_id\":\"t1\",\"max_budget_micros\":50,"
    "   \"spend_micros\":10}]}";


static void
token(const char *hex, unsigned char *out)
{
    size_t    i;
    unsigned  b;

    for (i = 0; i < 32; i++) {
        sscanf(hex + 2 * i, "%2x", &b);
        out[i] = (unsigned char) b;
    }
}


UNIT_TEST(test_parse_and_find)
{
    char            err[128];
    unsigned char   t[32];
    llm_keys_t     *ks;
    llm_key_t      *k;

    ks = llm_keys_parse(table, strlen(table), err, sizeof(err));
    CHECK(ks != NULL);
    if (ks == NULL) {
        return;
    }

    CHECK(ks->nkeys == 2 && ks->nteams == 1);

    token(TOKEN_A, t);
    k = llm_keys_find(ks, t);
    CHECK(k != NULL && strcmp(k->alias, "alice") == 0);
    CHECK(k->max_budget_micros == 1000 && k->team == NULL);

    token(TOKEN_B, t);
    k = llm_keys_find(ks, t);
    CHECK(k != NULL && k->team != NULL && strcmp(k->team->id, "t1") == 0);
    CHECK(k->max_budget_micros == LLM_UNLIMITED);

    t[31] ^= 1;
    CHECK(llm_keys_find(ks, t) == NULL);

    llm_keys_free(ks);

    CHECK(llm_keys_parse("{\"keys\":[{\"token\":\"xyz\"}]}", 27, err,
                         sizeof(err)) == NULL);
    CHECK(llm_keys_parse("[]", 2, err, sizeof(err)) == NULL);
}


UNIT_TEST(test_budget_with_reservations)
{
    char               err[128];
    unsigned char      t[32];
    llm_keys_t        *ks;
    llm_key_t         *k;
    llm_admit_t        res;
    llm_usage_state_t  st;

    ks = llm_keys_parse(table, strlen(table), err, sizeof(err));
    token(TOKEN_A, t);
    k = llm_keys_find(ks, t);

    memset(&st, 0, sizeof(st));

    /* durable 400 + reserve 600 = 1000: exactly the budget */
    llm_keys_admit(k, &st, NULL, NULL, "m", 1, 1000, 600, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK);

    llm_keys_admit(k, &st, NULL, NULL, "m", 1, 1000, 601, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_BUDGET);
    CHECK(res.spend_micros == 400 && res.budget_micros == 1000);

    /* reservations in flight count */
    st.reserved_micros = 300;
    llm_keys_admit(k, &st, NULL, NULL, "m", 1, 1000, 301, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_BUDGET);

    /* local spend since the durable total was published counts once */
    st.reserved_micros = 0;
    st.spend_micros = 700;
    st.base_micros = 500;
    llm_keys_admit(k, &st, NULL, NULL, "m", 1, 1000, 400, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK);
    llm_keys_admit(k, &st, NULL, NULL, "m", 1, 1000, 401, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_BUDGET);

    /* expiry */
    llm_keys_admit(k, &st, NULL, NULL, "m", 1, 2000000000, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_EXPIRED);

    llm_keys_free(ks);
}


UNIT_TEST(test_limits_models_team)
{
    char               err[128];
    unsigned char      t[32];
    llm_keys_t        *ks;
    llm_key_t         *k;
    llm_admit_t        res;
    llm_usage_state_t  st, team;

    ks = llm_keys_parse(table, strlen(table), err, sizeof(err));
    token(TOKEN_B, t);
    k = llm_keys_find(ks, t);

    memset(&st, 0, sizeof(st));
    memset(&team, 0, sizeof(team));

    llm_keys_admit(k, &st, &team, NULL, "claude-3", 8, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_MODEL);

    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK);
    CHECK(res.remaining_requests == 1 && res.remaining_tokens == 90);
    CHECK(res.limit_requests == 2 && res.limit_tokens == 100);

    /* rpm in the current minute (600 s = minute 10) */
    st.minute = 10;
    st.minute_requests = 2;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.limit == 2);
    CHECK(res.limit_requests == 2 && res.remaining_requests == 0);
    CHECK(res.retry_after_s == 60);

    /* an older minute does not count */
    st.minute = 9;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 659, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK);
    CHECK(res.retry_after_s == 1);

    /* per-model rpm is tighter */
    st.minute = 10;
    st.minute_requests = 1;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o", 6, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.limit == 1);

    /* tpm */
    st.minute_requests = 0;
    st.minute_tokens = 95;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_TPM);

    /* parallel */
    st.minute_tokens = 0;
    st.in_flight = 1;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_PARALLEL);

    /* the team's budget applies to its keys */
    st.in_flight = 0;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 41, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_BUDGET && res.team == 1);

    llm_keys_free(ks);
}


/*
 * model_rpm_limit counts the key's traffic to that model only; the key's
 * own rpm/tpm count all of it; the other nodes' window (others_*) counts
 * on top of this node's when it is of the current minute.
 */
UNIT_TEST(test_model_windows_and_other_nodes)
{
    char               err[128];
    unsigned char      t[32];
    llm_keys_t        *ks;
    llm_key_t         *k;
    llm_admit_t        res;
    llm_usage_state_t  st, team, model;
    uint64_t           rpm, tpm, req, tok;

    ks = llm_keys_parse(table, strlen(table), err, sizeof(err));
    token(TOKEN_B, t);
    k = llm_keys_find(ks, t);

    CHECK(llm_keys_model_limit(k, "gpt-4o", 6, &rpm, &tpm) == 1);
    CHECK(rpm == 1 && tpm == 0);
    CHECK(llm_keys_model_limit(k, "gpt-4o-mini", 11, &rpm, &tpm) == 0);

    memset(&st, 0, sizeof(st));
    memset(&team, 0, sizeof(team));
    memset(&model, 0, sizeof(model));
    st.minute = model.minute = 10;

    /* gpt-4o used once this minute: gpt-4o refused, another model not */
    model.minute_requests = 1;
    st.minute_requests = 1;
    llm_keys_admit(k, &st, &team, &model, "gpt-4o", 6, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.limit == 1 && res.model == 1);
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK && res.model == 0);
    CHECK(res.remaining_requests == 0);

    /* traffic to other models does not use up gpt-4o's window */
    model.minute_requests = 0;
    st.minute_requests = 0;
    llm_keys_admit(k, &st, &team, &model, "gpt-4o", 6, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK);
    /* the headers show the tightest scope: the model's, 1 - 0 - 1 */
    CHECK(res.remaining_requests == 0 && res.remaining_tokens == 90);

    /* ... but the key's own rpm counts everything */
    st.minute_requests = 2;
    llm_keys_admit(k, &st, &team, &model, "gpt-4o", 6, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.limit == 2 && res.model == 0);

    /* the other nodes' requests this minute count too */
    st.minute_requests = 1;
    st.others_minute = 10;
    st.others_requests = 1;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.limit == 2);

    /* ... only in the minute they are of */
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 660, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK);
    st.others_minute = 9;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK && res.remaining_requests == 0);

    /* their tokens, against tpm 100 */
    st.others_minute = 10;
    st.others_requests = 0;
    st.minute_tokens = 50;
    st.others_tokens = 41;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_TPM && res.limit == 100);
    st.others_tokens = 40;
    llm_keys_admit(k, &st, &team, NULL, "gpt-4o-mini", 11, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_OK && res.remaining_tokens == 0);

    /* other nodes' traffic to gpt-4o */
    st.others_tokens = 0;
    model.others_minute = 10;
    model.others_requests = 1;
    llm_keys_admit(k, &st, &team, &model, "gpt-4o", 6, 600, 0, 10, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.model == 1);

    /* the window itself: local + others of the same minute */
    llm_usage_window(&st, 10, &req, &tok);
    CHECK(req == 1 && tok == 50);
    st.others_requests = 3;
    st.others_tokens = 7;
    llm_usage_window(&st, 10, &req, &tok);
    CHECK(req == 4 && tok == 57);
    llm_usage_window(&st, 11, &req, &tok);
    CHECK(req == 0 && tok == 0);

    llm_keys_free(ks);
}


/* A team's rpm counts every node's requests of its keys. */
UNIT_TEST(test_team_rpm_other_nodes)
{
    char               err[128];
    unsigned char      t[32];
    llm_keys_t        *ks;
    llm_key_t         *k;
    llm_admit_t        res;
    llm_usage_state_t  st, team;

    static const char  *doc =
        "{\"keys\":[{\"token\":\"" TOKEN_A "\",\"team_id\":\"t\"}],"
        " \"teams\":[{\"team_id\":\"t\",\"rpm_limit\":3}]}";

    ks = llm_keys_parse(doc, strlen(doc), err, sizeof(err));
    CHECK(ks != NULL);
    if (ks == NULL) {
        return;
    }
    token(TOKEN_A, t);
    k = llm_keys_find(ks, t);

    memset(&st, 0, sizeof(st));
    memset(&team, 0, sizeof(team));
    team.minute = 10;
    team.minute_requests = 1;
    team.others_minute = 10;
    team.others_requests = 1;
    llm_keys_admit(k, &st, &team, NULL, "m", 1, 600, 0, 1, &res);
    CHECK(res.verdict == LLM_ADMIT_OK && res.remaining_requests == 0);

    team.others_requests = 2;
    llm_keys_admit(k, &st, &team, NULL, "m", 1, 600, 0, 1, &res);
    CHECK(res.verdict == LLM_ADMIT_RPM && res.team == 1 && res.limit == 3);

    llm_keys_free(ks);
}


UNIT_TEST(test_cost)
{
    /* $10 / $30 per million tokens, in micro-dollars per million */
    CHECK(llm_cost_micros(1000000, 0, 10000000, 30000000) == 10000000);
    CHECK(llm_cost_micros(9, 1, 10000000, 30000000) == 120);
    /* rounds up: a request is never free by rounding */
    CHECK(llm_cost_micros(1, 0, 1, 0) == 1);
    CHECK(llm_cost_micros(0, 0, 5, 5) == 0);
}


UNIT_TEST(test_cost_with_cache)
{
    llm_usage_t         u;
    llm_router_price_t  p;

    memset(&u, 0, sizeof(u));
    memset(&p, 0, sizeof(p));

    /* $3 in, $15 out, cache read $0.30, cache write $3.75 per million */
    p.input = 3000000;
    p.output = 15000000;
    p.cache_read = 300000;
    p.cache_write = 3750000;

    u.prompt_tokens = 1000000;          /* includes the cached ones */
    u.cache_read_tokens = 600000;
    u.cache_creation_tokens = 100000;
    u.completion_tokens = 1000;

    /* 300k*3 + 600k*0.3 + 100k*3.75 + 1k*15 = 0.9+0.18+0.375+0.015 */
    CHECK(llm_cost_usage(&u, &p) == 1470000);

    /* inconsistent cache counts are priced as plain input */
    u.cache_read_tokens = 2000000;
    CHECK(llm_cost_usage(&u, &p) == 3000000 + 15000);
}


UNIT_TEST(test_price_table)
{
    json_t              *table;
    const json_t        *e;
    const char          *cfg;
    char                 err[256];
    llm_config_t        *cf;
    llm_router_conf_t   *rc;

    table = json_load_file("../../conf/llm_prices.json", 0, NULL);
    CHECK(table != NULL);
    if (table == NULL) {
        return;
    }

    e = llm_price_entry(table, "gpt-4o");
    CHECK(e != NULL && json_real_value(json_object_get(e,
                           "input_cost_per_token")) == 2.5e-06);
    /* dated versions and vendor prefixes find their base entry */
    CHECK(llm_price_entry(table, "gpt-4o-2024-08-06") == e);
    CHECK(llm_price_entry(table, "gpt-4o-mini-2024-07-18")
          == llm_price_entry(table, "gpt-4o-mini"));
    CHECK(llm_price_entry(table, "anthropic/claude-sonnet-4-5-20250929")
          == llm_price_entry(table, "claude-sonnet-4-5"));
    CHECK(llm_price_entry(table, "gpt-4") == NULL);
    CHECK(llm_price_entry(table, "unknown-model") == NULL);
    CHECK(llm_price_entry(NULL, "gpt-4o") == NULL);

    /* a deployment without prices gets the table's; its own win */
    cfg = "{\"version\":1,\"deployments\":["
          "{\"id\":\"a\",\"model_name\":\"m\",\"provider\":\"openai\","
          "\"model\":\"gpt-4o\",\"scheme\":\"http\",\"host\":\"h\"},"
          "{\"id\":\"b\",\"model_name\":\"m\",\"provider\":\"openai\","
          "\"model\":\"gpt-4o\",\"scheme\":\"http\",\"host\":\"h\","
          "\"input_cost_per_token\":1e-06,\"output_cost_per_token\":2e-06}]}";

    cf = llm_config_parse(cfg, strlen(cfg), err, sizeof(err));
    CHECK(cf != NULL);
    if (cf != NULL) {
        cf->price_table = table;
        rc = llm_router_conf_build(cf, err, sizeof(err));
        CHECK(rc != NULL && rc->nprices == 2);
        if (rc != NULL) {
            CHECK(rc->prices[0].input == 2500000 && rc->prices[0].output
                  == 10000000 && rc->prices[0].cache_read == 1250000);
            CHECK(rc->prices[1].input == 1000000
                  && rc->prices[1].output == 2000000);
            llm_router_conf_free(rc);
        }
        llm_config_free(cf);
    }

    json_decref(table);
}


/*
 * The shipped table prices the common models of the OpenAI-compatible
 * providers under "provider/model" (one open model costs differently at
 * each host), and every such key names a provider of the table.
 */
UNIT_TEST(test_price_table_providers)
{
    char                 err[256], cfg[4096], *p;
    size_t               i, n;
    json_t              *table;
    const char          *key, *slash;
    const json_t        *value;
    llm_config_t        *cf;
    llm_router_conf_t   *rc;

    static const struct {
        const char  *provider;
        const char  *model;
        uint64_t     input;            /* micro-dollars per million */
        uint64_t     output;
    } rows[] = {
        { "groq", "llama-3.1-8b-instant", 50000, 80000 },
        { "groq", "openai/gpt-oss-120b", 150000, 600000 },
        { "mistral", "mistral-large-latest", 2000000, 6000000 },
        { "deepseek", "deepseek-chat", 270000, 1100000 },
        { "xai", "grok-3-mini", 300000, 500000 },
        { "perplexity", "sonar", 1000000, 1000000 },
        { "together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
          880000, 880000 },
        { "fireworks_ai", "accounts/fireworks/models/llama-v3p1-8b-instruct",
          100000, 100000 },
        { "cerebras", "llama-3.3-70b", 850000, 1200000 },
        { "sambanova", "Meta-Llama-3.3-70B-Instruct", 600000, 1200000 },
        { "deepinfra", "meta-llama/Meta-Llama-3.1-8B-Instruct",
          30000, 50000 },
        { "nebius", "meta-llama/Meta-Llama-3.1-8B-Instruct", 20000, 60000 },
        { "dashscope", "qwen-plus", 400000, 1200000 },
        { "moonshot", "moonshot-v1-8k", 200000, 2000000 },
        { "databricks", "databricks-meta-llama-3-3-70b-instruct",
          1000000, 3000000 },
        { "text-completion-openai", "gpt-3.5-turbo-instruct",
          1500000, 2000000 },
    };

    table = json_load_file("../../conf/llm_prices.json", 0, NULL);
    CHECK(table != NULL);
    if (table == NULL) {
        return;
    }

    CHECK(json_is_string(json_object_get(table, "source")));

    json_object_foreach(json_object_get(table, "models"), key, value) {
        slash = strchr(key, '/');
        if (slash != NULL) {
            CHECK(llm_provider_builtin(key, (size_t) (slash - key)) != NULL);
        }
        CHECK(json_is_number(json_object_get(value, "input_cost_per_token")));
    }

    n = sizeof(rows) / sizeof(rows[0]);
    p = cfg;
    p += sprintf(p, "{\"version\":1,\"deployments\":[");
    for (i = 0; i < n; i++) {
        p += sprintf(p, "%s{\"id\":\"%zu\",\"model_name\":\"m%zu\","
                     "\"provider\":\"%s\",\"model\":\"%s\",\"scheme\":"
                     "\"http\",\"host\":\"h\"}", i ? "," : "", i, i,
                     rows[i].provider, rows[i].model);
    }
    p += sprintf(p, "]}");

    cf = llm_config_parse(cfg, (size_t) (p - cfg), err, sizeof(err));
    CHECK(cf != NULL);
    if (cf != NULL) {
        cf->price_table = table;
        rc = llm_router_conf_build(cf, err, sizeof(err));
        CHECK(rc != NULL && rc->nprices == n);
        for (i = 0; rc != NULL && i < n; i++) {
            CHECK(rc->prices[i].known);
            CHECK(rc->prices[i].input == rows[i].input);
            CHECK(rc->prices[i].output == rows[i].output);
        }
        if (rc != NULL) {
            llm_router_conf_free(rc);
        }
        llm_config_free(cf);
    }

    json_decref(table);
}


UNIT_MAIN(test_parse_and_find, test_price_table_providers, test_budget_with_reservations,
          test_limits_models_team,
          test_model_windows_and_other_nodes, test_team_rpm_other_nodes,
          test_cost, test_cost_with_cache,
          test_price_table)
