/* Canonical config parsing and model-group lookup. */

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "llm_config.h"


static const char  *config =
    "{\"version\":1,"
    " \"master_key_sha256\":"
    "  \"03ac674216f3e15c761ee1a5e255f067953623c8b388b4459e13f978d7c846f4\","
    " \"settings\":{\"num_retries\":3,\"timeout_ms\":1500},"
    " \"deployments\":["
    "  {\"id\":\"a\",\"model_name\":\"gpt-4o\",\"provider\":\"openai\","
    "   \"model\":\"gpt-4o\",\"scheme\":\"https\",\"host\":\"api.openai.com\","
    "   \"port\":443,\"addrs\":[\"127.0.0.1:443\"],\"weight\":3},"
    "  {\"id\":\"b\",\"model_name\":\"gpt-4o\",\"provider\":\"azure\","
    "   \"model\":\"dep\",\"scheme\":\"https\",\"host\":\"x.azure.com\","
    "   \"addrs\":[\"127.0.0.2:443\"],\"weight\":1},"
    "  {\"id\":\"c\",\"model_name\":\"claude-*\",\"provider\":\"anthropic\","
    "   \"model\":\"*\",\"scheme\":\"https\",\"host\":\"api.anthropic.com\","
    "   \"addrs\":[\"127.0.0.3:443\"]},"
    "  {\"id\":\"d\",\"model_name\":\"*\",\"provider\":\"openrouter\","
    "   \"model\":\"*\",\"scheme\":\"https\",\"host\":\"openrouter.ai\","
    "   \"addrs\":[]},"
    "  {\"id\":\"e\",\"model_name\":\"demo\",\"provider\":\"mock\","
    "   \"model\":\"demo\",\"mock_response\":\"hi\"}"
    " ]}";


static llm_config_t *
load(const char *s)
{
    char  err[256];

    return llm_config_parse(s, strlen(s), err, sizeof(err));
}


UNIT_TEST(test_parse)
{
    llm_config_t  *cf = load(config);

    CHECK(cf != NULL);
    if (cf == NULL) {
        return;
    }

    CHECK(cf->has_master_key);
    CHECK(cf->master_key_sha256[0] == 0x03 && cf->master_key_sha256[31] == 0xf4);
    CHECK(cf->settings.num_retries == 3);
    CHECK(cf->settings.timeout_ms == 1500);
    CHECK_STR(cf->settings.routing_strategy, "simple-shuffle");
    CHECK(cf->ndeployments == 5);
    CHECK(cf->deployments[0].port == 443);
    CHECK(cf->deployments[1].provider == LLM_PROVIDER_AZURE);
    CHECK(cf->deployments[1].api == LLM_API_OPENAI);
    CHECK(cf->deployments[2].api == LLM_API_ANTHROPIC);
    CHECK(cf->deployments[2].model_passthrough);
    CHECK(cf->deployments[4].provider == LLM_PROVIDER_MOCK);
    CHECK(cf->ngroups == 4);
    CHECK(cf->nexact == 2);
    /* stored responses: the defaults without a "responses" object */
    CHECK(cf->settings.responses_ttl_ms == 3600 * 1000);
    CHECK(cf->settings.responses_max_bytes == 8 * 1024 * 1024);
    CHECK(cf->settings.responses_max_entry_bytes == 1024 * 1024);
    llm_config_free(cf);

    cf = load("{\"version\":1,\"responses\":{\"ttl_ms\":2000,"
              "\"max_bytes\":4096,\"max_entry_bytes\":2048}}");
    CHECK(cf != NULL);
    if (cf != NULL) {
        CHECK(cf->settings.responses_ttl_ms == 2000);
        CHECK(cf->settings.responses_max_bytes == 4096);
        CHECK(cf->settings.responses_max_entry_bytes == 2048);
        llm_config_free(cf);
    }
    CHECK(load("{\"version\":1,\"responses\":{\"ttl_ms\":\"x\"}}")
          == NULL);
}


UNIT_TEST(test_rejects)
{
    static const char  *bad[] = {
        "[]",
        "{\"version\":2}",
        "{\"version\":1,\"master_key_sha256\":\"zz\"}",
        "{\"version\":1,\"deployments\":[{\"id\":\"a\"}]}",
        "{\"version\":1,\"deployments\":[{\"id\":\"a\",\"model_name\":\"m\","
        "\"provider\":\"nope\",\"model\":\"m\"}]}",
        "{\"version\":1,\"deployments\":[{\"id\":\"a\",\"model_name\":\"m\","
        "\"provider\":\"openai\",\"model\":\"m\",\"scheme\":\"ftp\","
        "\"host\":\"h\"}]}",
        "{\"version\":1,\"deployments\":[{\"id\":\"a\",\"model_name\":\"m\","
        "\"provider\":\"openai\",\"model\":\"m\",\"scheme\":\"http\","
        "\"host\":\"h\",\"rpm\":-1}]}",
    };
    size_t  i;
    char    err[256];

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK(llm_config_parse(bad[i], strlen(bad[i]), err, sizeof(err))
              == NULL);
        CHECK(err[0] != '\0');
    }
}


UNIT_TEST(test_find_group)
{
    llm_config_t  *cf = load(config);
    llm_group_t   *g;

    g = llm_config_find_group(cf, "gpt-4o", 6);
    CHECK(g != NULL && g->ndeployments == 2);
    g = llm_config_find_group(cf, "claude-opus-4-8", 15);
    CHECK(g != NULL && strcmp(g->name, "claude-*") == 0);
    g = llm_config_find_group(cf, "mistral-large", 13);
    CHECK(g != NULL && strcmp(g->name, "*") == 0);
    g = llm_config_find_group(cf, "demo", 4);
    CHECK(g != NULL && g->deployments[0]->provider == LLM_PROVIDER_MOCK);
    /* the length is honoured, not a NUL */
    g = llm_config_find_group(cf, "gpt-4o-mini", 6);
    CHECK(g != NULL && strcmp(g->name, "gpt-4o") == 0);
    llm_config_free(cf);
}


UNIT_TEST(test_drop_refused)
{
    static const char  *rejects[] = { "logit_bias", "user" };
    static const struct {
        const char  *in, *out;
    } cases[] = {
        /* none refused: out untouched */
        { "{\"model\":\"m\",\"n\":1}", NULL },
        { "{}", NULL },
        { "{\"model\":\"m\",\"logit_bias\":{\"1\":[1,\"}\"]},\"n\":1}",
          "{\"model\":\"m\",\"n\":1}" },
        { " { \"user\" : \"a,b\" , \"model\" : \"m\" } ",
          "{\"model\" : \"m\"}" },
        { "{\"model\":\"m\",\"user\":\"u\"}", "{\"model\":\"m\"}" },
        { "{\"user\":1,\"logit_bias\":null}", "{}" },
        /* an escaped name is the same name */
        { "{\"us\\u0065r\":\"u\",\"a\":true}", "{\"a\":true}" },
        /* a name inside a value is no member */
        { "{\"x\":{\"user\":1}}", NULL },
    };
    size_t             i, dropped;
    llm_buf_t          out = LLM_BUF_INIT;
    llm_deployment_t   d;

    memset(&d, 0, sizeof(d));
    d.rejects = (const char **) rejects;
    d.nrejects = 2;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        llm_buf_reset(&out);
        unit_current = cases[i].in;

        if (cases[i].out == NULL) {
            CHECK(llm_deployment_drop_refused(&d, cases[i].in,
                                              strlen(cases[i].in), &out,
                                              &dropped) == 0);
            CHECK(out.len == 0 && dropped == 0);
            continue;
        }

        CHECK(llm_deployment_drop_refused(&d, cases[i].in,
                                          strlen(cases[i].in), &out,
                                          &dropped) == 1);
        CHECK(dropped >= 1);
        CHECK(out.len == strlen(cases[i].out)
              && memcmp(out.data, cases[i].out, out.len) == 0);
    }

    CHECK(llm_deployment_drop_refused(&d, "[1]", 3, &out, &dropped) == -1);

    d.nrejects = 0;
    CHECK(llm_deployment_drop_refused(&d, "{\"user\":1}", 10, &out,
                                      &dropped) == 0);
    llm_buf_free(&out);
}


UNIT_TEST(test_pattern_match)
{
    CHECK(llm_pattern_match("*", "", 0));
    CHECK(llm_pattern_match("claude-*", "claude-x", 8));
    CHECK(!llm_pattern_match("claude-*", "claud", 5));
    CHECK(llm_pattern_match("*-mini", "gpt-4o-mini", 11));
    CHECK(llm_pattern_match("a*b*c", "axxbyyc", 7));
    CHECK(!llm_pattern_match("a*b*c", "axxbyy", 6));
    CHECK(llm_pattern_match("openai/*", "openai/gpt", 10));
}



/* pass_through routes: exact paths, subpaths at a '/' boundary only */
UNIT_TEST(test_pass_routes)
{
    char                     err[256];
    llm_config_t            *cf;
    const llm_pass_route_t  *pr;
    static const char        doc[] =
        "{\"version\":1,\"deployments\":[],\"pass_through\":["
        "{\"path\":\"/v1/rerank\",\"scheme\":\"https\",\"host\":\"api.x\","
        " \"port\":443,\"base_path\":\"/v2/rerank\",\"addrs\":[\"1.2.3.4:443\"],"
        " \"headers\":{\"Authorization\":\"bearer k\"},\"forward_headers\":true,"
        " \"auth\":false},"
        "{\"path\":\"/up\",\"scheme\":\"http\",\"host\":\"h\",\"port\":80,"
        " \"include_subpath\":true}]}";

    cf = llm_config_parse(doc, sizeof(doc) - 1, err, sizeof(err));
    CHECK(cf != NULL && cf->npass == 2);
    if (cf == NULL) {
        return;
    }

    pr = llm_pass_match(cf, "/v1/rerank", 10);
    CHECK(pr == &cf->pass[0]);
    CHECK(pr->forward_headers && !pr->auth && pr->nheaders == 1);
    CHECK(strcmp(pr->header_names[0], "Authorization") == 0);
    CHECK(pr->target.naddrs == 1 && pr->target.port == 443);
    CHECK(strcmp(pr->target.base_path, "/v2/rerank") == 0);
    CHECK(llm_pass_match(cf, "/v1/rerank/x", 12) == NULL);
    CHECK(llm_pass_match(cf, "/v1/rerankx", 11) == NULL);
    CHECK(llm_pass_match(cf, "/v1/rer", 7) == NULL);
    CHECK(llm_pass_match(cf, "/up/a/b", 7) == &cf->pass[1]);
    CHECK(cf->pass[1].auth && !cf->pass[1].forward_headers);
    CHECK(llm_pass_match(cf, "/upx", 4) == NULL);
    llm_config_free(cf);

    /* a route without its target is refused whole */
    cf = llm_config_parse("{\"version\":1,\"pass_through\":[{\"path\":\"/a\"}]}",
                          44, err, sizeof(err));
    CHECK(cf == NULL && strstr(err, "pass_through[0]") != NULL);
}

UNIT_MAIN(test_pass_routes, test_parse, test_rejects, test_find_group, test_drop_refused,
          test_pattern_match)
