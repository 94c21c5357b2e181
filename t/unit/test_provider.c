/*
 * The provider table (llm_provider.c, llm_provider_table.c): look-ups,
 * names, and rows defined at run time from JSON.
 */

#include <jansson.h>

#include "llm_config.h"
#include "llm_keys.h"
#include "llm_provider.h"
#include "llm_router.h"
#include "unit.h"


/* the canonical config doc, parsed; NULL (and a failed check) if not */
static llm_config_t *
parse(const char *doc, size_t len)
{
    char           err[256];
    llm_config_t  *cf;

    cf = llm_config_parse(doc, len, err, sizeof(err));
    CHECK(cf != NULL);
    if (cf == NULL) {
        fprintf(stderr, "%s\n", err);
    }
    return cf;
}


UNIT_TEST(builtin_rows)
{
    size_t                     i, j;
    const llm_provider_row_t  *row, *other;

    CHECK(llm_provider_builtin_count() >= 40);

    for (i = 0; (row = llm_provider_builtin_at(i)) != NULL; i++) {
        /* names are unique prefixes without '/' */
        CHECK(strchr(row->name, '/') == NULL);
        for (j = i + 1; (other = llm_provider_builtin_at(j)) != NULL; j++) {
            CHECK(strcmp(row->name, other->name) != 0);
        }
        /*
         * a row authenticates by a key variable or by a signing scheme
         * whose credentials come from elsewhere (SigV4: the AWS_* set;
         * OAuth2: a service account controld trades for tokens); a row
         * with neither could never send a credential
         */
        CHECK(row->key_env != NULL || row->auth == LLM_AUTH_SIGV4
              || row->auth == LLM_AUTH_OAUTH2);
        CHECK(row->auth != LLM_AUTH_SIGV4 || row->key_env == NULL);
        CHECK(row->auth != LLM_AUTH_HEADER || row->auth_header != NULL);
        CHECK(row->endpoints != 0);
        CHECK(llm_wire_name(row->wire) != NULL);
    }

    row = llm_provider_builtin("groq", 4);
    CHECK(row != NULL && strcmp(row->api_base,
                                "https://api.groq.com/openai/v1") == 0);
    CHECK(row != NULL && llm_list_has(row->rejects, "logit_bias", 10));
    CHECK(row != NULL && !llm_list_has(row->rejects, "logit", 5));
    CHECK(llm_provider_builtin("gro", 3) == NULL);
    CHECK(llm_provider_builtin("groqx", 5) == NULL);
    CHECK(llm_provider_builtin("groq/x", 4) == row);
}

UNIT_TEST(names)
{
    llm_wire_t  w;
    llm_auth_t  a;
    unsigned    ep;

    CHECK(llm_wire_parse("bedrock_converse", &w) == 0
          && w == LLM_WIRE_BEDROCK_CONVERSE);
    CHECK(llm_wire_parse("soap", &w) == -1);
    CHECK(llm_auth_parse("sigv4", &a) == 0 && a == LLM_AUTH_SIGV4);
    CHECK(llm_auth_parse("basic", &a) == -1);
    CHECK(llm_endpoint_parse("embeddings", &ep) == 0
          && ep == LLM_EP_EMBEDDINGS);
    CHECK_STR(llm_endpoint_name(LLM_EP_MODELS), "models");
    CHECK(llm_list_has(" a, b ,c", "b", 1));
    CHECK(llm_list_has("a,b,c", "c", 1));
    CHECK(!llm_list_has("a,b,c", "d", 1));
    CHECK(!llm_list_has(NULL, "a", 1));
}

UNIT_TEST(azure_responses_route)
{
    CHECK(llm_azure_responses_dated("2025-03-01-preview") == 1);
    CHECK(llm_azure_responses_dated("2025-04-01-preview") == 1);
    CHECK(llm_azure_responses_dated("2026-01-01") == 1);
    CHECK(llm_azure_responses_dated("2024-10-21") == 0);
    CHECK(llm_azure_responses_dated("2025-02-28-preview") == 0);
    CHECK(llm_azure_responses_dated("preview") == 0);
    CHECK(llm_azure_responses_dated("latest") == 0);
    CHECK(llm_azure_responses_dated("2025-3-01-preview") == 0);
    CHECK(llm_azure_responses_dated(NULL) == 0);
    CHECK(llm_provider_builtin("openai", 6)->endpoints & LLM_EP_RESPONSES);
    CHECK(llm_provider_builtin("azure", 5)->endpoints & LLM_EP_RESPONSES);
    CHECK(!(llm_provider_builtin("groq", 4)->endpoints & LLM_EP_RESPONSES));
}

UNIT_TEST(same_account)
{
    char           doc[1024];
    llm_config_t  *cf;

    /* three deployments of one URL: a model and a key each */
#define DEP(id, model, key, extra)                                            \
    "{\"id\":\"" id "\",\"model_name\":\"g\",\"provider\":\"openai\","       \
    "\"model\":\"" model "\",\"scheme\":\"https\",\"host\":\"h\","           \
    "\"port\":443,\"base_path\":\"/v1\",\"api_key\":\"" key "\"" extra "}"

    snprintf(doc, sizeof(doc), "{\"version\":1,\"deployments\":[%s,%s,%s]}",
             DEP("a", "m1", "k1", ",\"endpoints\":[\"chat\",\"responses\"]"),
             DEP("b", "m2", "k1", ""), DEP("c", "m1", "k2", ""));
#undef DEP

    cf = parse(doc, strlen(doc));
    if (cf == NULL) {
        return;
    }

    CHECK(cf->deployments[0].endpoints & LLM_EP_RESPONSES);
    CHECK(llm_config_find_deployment(cf, "b") == &cf->deployments[1]);
    CHECK(llm_config_find_deployment(cf, "z") == NULL);
    /* another model on the same key: the same account */
    CHECK(llm_deployment_same_account(&cf->deployments[0],
                                      &cf->deployments[1]));
    CHECK(!llm_deployment_same_account(&cf->deployments[0],
                                       &cf->deployments[2]));
    llm_config_free(cf);
}


UNIT_TEST(rows_from_json)
{
    char                       err[256];
    json_t                    *defs, *back;
    llm_provider_set_t         set;
    const llm_provider_row_t  *row;

    defs = json_loads("[{\"name\": \"acme\", \"api_base\": "
                      "\"https://api.acme.ai/v1\", \"key_env\": "
                      "[\"ACME_API_KEY\", \"ACME_TOKEN\"], \"auth\": "
                      "\"header\", \"auth_header\": \"x-acme-key\", "
                      "\"endpoints\": \"chat,embeddings\", \"rejects\": "
                      "[\"logit_bias\", \"n\"], \"quirks\": [\"append_v1\"]},"
                      " {\"name\": \"groq\", \"api_base\": "
                      "\"http://127.0.0.1:9/openai/v1\"}]", 0, NULL);
    CHECK(llm_provider_set_load(&set, defs, err, sizeof(err)) == 0);
    json_decref(defs);

    row = llm_provider_find(&set, "acme", 4);
    CHECK(row != NULL);
    CHECK_STR(row->key_env, "ACME_API_KEY,ACME_TOKEN");
    CHECK(row->auth == LLM_AUTH_HEADER);
    CHECK_STR(row->auth_header, "x-acme-key");
    CHECK(row->endpoints == (LLM_EP_CHAT | LLM_EP_EMBEDDINGS));
    CHECK(row->quirks == LLM_PQ_APPEND_V1);
    CHECK(llm_list_has(row->rejects, "n", 1));
    CHECK(row->wire == LLM_WIRE_OPENAI);

    /* a run-time row of a built-in name comes first */
    row = llm_provider_find(&set, "groq", 4);
    CHECK_STR(row->api_base, "http://127.0.0.1:9/openai/v1");
    CHECK(row->endpoints == LLM_EP_ALL);
    CHECK(llm_provider_find(&set, "mistral", 7)
          == llm_provider_builtin("mistral", 7));

    /* to_json reads back as the same row */
    back = json_array();
    json_array_append_new(back,
                          llm_provider_to_json(llm_provider_find(&set, "acme",
                                                                 4)));
    llm_provider_set_free(&set);
    CHECK(llm_provider_set_load(&set, back, err, sizeof(err)) == 0);
    json_decref(back);
    row = llm_provider_find(&set, "acme", 4);
    CHECK(row != NULL && row->endpoints == (LLM_EP_CHAT | LLM_EP_EMBEDDINGS));
    CHECK(row != NULL && llm_list_has(row->rejects, "logit_bias", 10));
    llm_provider_set_free(&set);

    /* bad definitions name themselves */
    defs = json_loads("[{\"name\": \"ok\"}, {\"name\": \"bad\", \"wire\": "
                      "\"soap\"}]", 0, NULL);
    CHECK(llm_provider_set_load(&set, defs, err, sizeof(err)) == -1);
    CHECK_STR(err, "provider definition 1 (bad): 'wire': unknown wire "
              "format \"soap\"");
    json_decref(defs);

    defs = json_loads("[{\"name\": \"h\", \"auth\": \"header\"}]", 0, NULL);
    CHECK(llm_provider_set_load(&set, defs, err, sizeof(err)) == -1);
    json_decref(defs);

    defs = json_loads("[{\"name\": \"a/b\"}]", 0, NULL);
    CHECK(llm_provider_set_load(&set, defs, err, sizeof(err)) == -1);
    json_decref(defs);

    defs = json_loads("[{\"name\": \"q\", \"quirks\": [\"fast\"]}]", 0, NULL);
    CHECK(llm_provider_set_load(&set, defs, err, sizeof(err)) == -1);
    CHECK_STR(err, "provider definition 0 (q): 'quirks': unknown value "
              "\"fast\"");
    json_decref(defs);
}

/* What controld publishes per deployment reaches the worker's tables. */
UNIT_TEST(deployment_fields)
{
    llm_config_t  *cf;
    static const char  doc[] =
        "{\"version\": 1, \"settings\": {\"model_group_alias\": "
        "{\"short\": {\"model\": \"g\", \"hidden\": true}}},"
        " \"deployments\": ["
        "{\"id\": \"1\", \"model_name\": \"g\", \"provider\": \"acme\","
        " \"api\": \"openai\", \"auth\": \"header\", \"auth_header\": "
        "\"x-acme\", \"endpoints\": [\"chat\"], \"rejects\": "
        "[\"logit_bias\"], \"drop_params\": false, \"model\": \"m\","
        " \"scheme\": \"http\", \"host\": \"h\"},"
        "{\"id\": \"2\", \"model_name\": \"a\", \"provider\": \"anthropic\","
        " \"model\": \"c\", \"scheme\": \"https\", \"host\": \"h\"}],"
        " \"disabled\": [{\"model_name\": \"sm\", \"model\": \"sagemaker/x\","
        " \"reason\": \"provider 'sagemaker' is not supported\"}]}";

    cf = parse(doc, sizeof(doc) - 1);
    if (cf == NULL) {
        return;
    }

    CHECK(cf->deployments[0].provider == LLM_PROVIDER_OTHER);
    CHECK(cf->deployments[0].auth == LLM_AUTH_HEADER);
    CHECK_STR(cf->deployments[0].auth_header, "x-acme");
    CHECK(cf->deployments[0].endpoints == LLM_EP_CHAT);
    CHECK(llm_deployment_rejects(&cf->deployments[0], "logit_bias", 10));
    CHECK(!llm_deployment_rejects(&cf->deployments[0], "n", 1));
    CHECK(cf->deployments[0].drop_params == 0);

    /* an older snapshot without the fields: the built-in row's */
    CHECK(cf->deployments[1].api == LLM_API_ANTHROPIC);
    CHECK(cf->deployments[1].auth == LLM_AUTH_HEADER);
    CHECK_STR(cf->deployments[1].auth_header, "x-api-key");
    CHECK(cf->deployments[1].drop_params == -1);

    CHECK(llm_config_find_group(cf, "short", 5) == llm_config_find_group(cf,
                                                                     "g", 1));
    CHECK(cf->naliases == 1 && cf->aliases[0].hidden);
    CHECK(llm_config_find_disabled(cf, "sm", 2) != NULL);
    CHECK(llm_config_find_disabled(cf, "g", 1) == NULL);

    llm_config_free(cf);
}

/*
 * The shipped price of a deployment: model_info.base_model first, then
 * the provider's name for the model, then the bare name; per-second
 * prices cost by duration.
 */
UNIT_TEST(prices_by_provider_and_duration)
{
    char                err[256];
    json_t             *table;
    llm_config_t       *cf;
    llm_router_conf_t  *rc;
    static const char   doc[] =
        "{\"version\": 1, \"deployments\": ["
        "{\"id\": \"1\", \"model_name\": \"a\", \"provider\": \"groq\","
        " \"model\": \"x\", \"scheme\": \"http\", \"host\": \"h\"},"
        "{\"id\": \"2\", \"model_name\": \"b\", \"provider\": \"azure\","
        " \"model\": \"my-deployment\", \"scheme\": \"http\", \"host\": \"h\","
        " \"model_info\": {\"base_model\": \"text-embedding-ada-002\"}},"
        "{\"id\": \"3\", \"model_name\": \"c\", \"provider\": \"openai\","
        " \"model\": \"x\", \"scheme\": \"http\", \"host\": \"h\","
        " \"input_cost_per_second\": 0.00042}]}";

    table = json_loads("{\"models\": {"
                       "\"x\": {\"input_cost_per_token\": 1e-06},"
                       "\"groq/x\": {\"input_cost_per_token\": 5e-08},"
                       "\"text-embedding-ada-002\": "
                       "{\"input_cost_per_token\": 1e-07}}}", 0, NULL);
    cf = llm_config_parse(doc, sizeof(doc) - 1, err, sizeof(err));
    CHECK(cf != NULL && table != NULL);
    if (cf == NULL || table == NULL) {
        return;
    }
    cf->price_table = table;
    rc = llm_router_conf_build(cf, err, sizeof(err));
    CHECK(rc != NULL);
    if (rc != NULL) {
        CHECK(rc->prices[0].input == 50000);       /* groq/x, not x */
        CHECK(rc->prices[1].input == 100000);      /* its base_model */
        CHECK(rc->prices[2].known);
        CHECK(rc->prices[2].input_per_second == 420000000);
        /* 2.5 s at $0.00042/s = $0.00105 = 1050 micro-dollars */
        CHECK(llm_cost_duration(&rc->prices[2], 2500) == 1050);
        CHECK(llm_cost_duration(&rc->prices[0], 2500) == 0);
        llm_router_conf_free(rc);
    }
    llm_config_free(cf);
    json_decref(table);
}

/* Vertex AI's model families and the routes of their wires */
UNIT_TEST(families_and_routes)
{
    const llm_wire_route_t       *r;
    const llm_provider_family_t  *f;
    llm_wire_t                    w;

    f = llm_provider_family("vertex_ai", "claude-sonnet-4@20250514");
    CHECK(f != NULL && f->wire == LLM_WIRE_VERTEX_ANTHROPIC);
    CHECK_STR(f->publisher, "anthropic");
    CHECK(f->endpoints == (LLM_EP_CHAT | LLM_EP_COUNT_TOKENS));

    f = llm_provider_family("vertex_ai", "text-embedding-005");
    CHECK(f != NULL && f->wire == LLM_WIRE_VERTEX);
    CHECK(f->endpoints == LLM_EP_EMBEDDINGS);
    CHECK(llm_provider_family("vertex_ai", "textembedding-gecko@003")
          ->endpoints == LLM_EP_EMBEDDINGS);
    CHECK(llm_provider_family("vertex_ai", "gemini-embedding-001")
          ->endpoints == LLM_EP_EMBEDDINGS);

    f = llm_provider_family("vertex_ai", "gemini-2.5-pro");
    CHECK(f != NULL && f->wire == LLM_WIRE_VERTEX);
    CHECK_STR(f->publisher, "google");
    CHECK(f->endpoints & LLM_EP_CHAT);
    CHECK(llm_provider_family("vertex_ai", "*") == f);

    CHECK(llm_provider_family("anthropic", "claude-x") == NULL);
    CHECK(llm_provider_family("gemini", "gemini-2.5-pro") == NULL);

    r = llm_wire_route(LLM_WIRE_VERTEX_ANTHROPIC, LLM_EP_CHAT, 0);
    CHECK(r != NULL && r->body_model == 0);
    CHECK_STR(r->path, "/models/{model}:rawPredict");
    CHECK_STR(r->anthropic_version, "vertex-2023-10-16");
    r = llm_wire_route(LLM_WIRE_VERTEX_ANTHROPIC, LLM_EP_CHAT, 1);
    CHECK_STR(r->path, "/models/{model}:streamRawPredict");
    r = llm_wire_route(LLM_WIRE_VERTEX_ANTHROPIC, LLM_EP_COUNT_TOKENS, 0);
    CHECK(r != NULL && r->body_model == 1);
    CHECK_STR(r->path, "/models/count-tokens:rawPredict");
    r = llm_wire_route(LLM_WIRE_VERTEX, LLM_EP_EMBEDDINGS, 0);
    CHECK(r != NULL && r->anthropic_version == NULL);
    CHECK_STR(r->path, "/models/{model}:predict");

    /* Gemini's own paths */
    CHECK(llm_wire_route(LLM_WIRE_VERTEX, LLM_EP_CHAT, 1) == NULL);
    CHECK(llm_wire_route(LLM_WIRE_VERTEX, LLM_EP_COUNT_TOKENS, 0) == NULL);
    CHECK(llm_wire_route(LLM_WIRE_ANTHROPIC, LLM_EP_CHAT, 0) == NULL);

    CHECK_STR(llm_wire_name(LLM_WIRE_VERTEX_ANTHROPIC), "vertex_anthropic");
    CHECK(llm_wire_parse("vertex_anthropic", &w) == 0
          && w == LLM_WIRE_VERTEX_ANTHROPIC);
}

UNIT_MAIN(builtin_rows, names, azure_responses_route, same_account,
          rows_from_json, deployment_fields,
          prices_by_provider_and_duration, families_and_routes)
