/*
 * controld's config compiler: config.yaml + .env -> canonical JSON.
 * Runs from t/unit (fixtures in cfg/).
 */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "cfg_file.h"
#include "cfg_hash.h"
#include "llm_provider.h"
#include "llm_routes.h"
#include "cfg_resolve.h"
#include "cfg_url.h"
#include "unit.h"

static int
compile(const char *yaml, cfg_result_t *res)
{
    /* openai deployments need a key (else they are disabled) */
    setenv("OPENAI_API_KEY", "sk-unit-openai-key", 0);
    return cfg_compile_text(yaml, strlen(yaml), "config.yaml", NULL, res);
}

static int
compile_strict(const char *yaml, cfg_result_t *res)
{
    cfg_options_t  opts = { 1, NULL };

    setenv("OPENAI_API_KEY", "sk-unit-openai-key", 0);
    return cfg_compile_text_opts(yaml, strlen(yaml), "config.yaml", NULL,
                                 &opts, res);
}

static json_t *
deployment(const cfg_result_t *res, size_t i)
{
    return json_array_get(json_object_get(res->doc, "deployments"), i);
}

static const char *
str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static long long
num(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* The compile must fail with exactly this message among its errors. */
static void
expect_error(const char *yaml, const char *message)
{
    cfg_result_t  res;
    int           rc = compile(yaml, &res);

    CHECK(rc == -1);
    CHECK(res.doc == NULL);
    CHECK(res.diag.errors >= 1);
    if (cfg_diag_find(&res.diag, message) == NULL) {
        fprintf(stderr, "wanted: %s\n", message);
        cfg_diag_print(&res.diag, stderr);
    }
    CHECK(cfg_diag_find(&res.diag, message) != NULL);
    cfg_result_free(&res);
}

/*
 * The compile succeeds with the one deployment disabled: `warning` among
 * the messages and `reason` in "disabled"; under --strict the same message
 * is an error and the compile fails.
 */
static void
expect_disabled(const char *yaml, const char *warning, const char *reason)
{
    char           error[512];
    const char    *at;
    json_t        *dis;
    cfg_result_t   res;

    CHECK(compile(yaml, &res) == 0);
    CHECK(res.diag.errors == 0);
    if (cfg_diag_find(&res.diag, warning) == NULL) {
        fprintf(stderr, "wanted: %s\n", warning);
        cfg_diag_print(&res.diag, stderr);
    }
    CHECK(cfg_diag_find(&res.diag, warning) != NULL);
    dis = json_array_get(json_object_get(res.doc, "disabled"), 0);
    CHECK(dis != NULL);
    CHECK_STR(str(dis, "reason"), reason);
    CHECK(str(dis, "where") != NULL
          && strncmp(str(dis, "where"), "config.yaml:", 12) == 0);
    CHECK(json_array_size(json_object_get(res.doc, "deployments")) == 0);
    cfg_result_free(&res);

    /* --strict: "file:l:c: error: ..." instead */
    at = strstr(warning, "warning: ");
    CHECK(at != NULL);
    snprintf(error, sizeof(error), "%.*serror: %s", (int) (at - warning),
             warning, at + strlen("warning: "));
    CHECK(compile_strict(yaml, &res) == -1);
    CHECK(res.doc == NULL);
    CHECK(cfg_diag_find(&res.diag, error) != NULL);
    cfg_result_free(&res);
}

UNIT_TEST(full_config)
{
    cfg_result_t  res;
    json_t       *d, *s, *info;
    char          hex[65];

    setenv("TEST_CFG_OPENAI_KEY", "sk-openai-from-process-env", 1);
    CHECK(cfg_compile_file("cfg/full.yaml", "cfg/full.env", &res) == 0);
    if (res.doc == NULL) {
        cfg_diag_print(&res.diag, stderr);
        cfg_result_free(&res);
        return;
    }
    CHECK(res.diag.errors == 0);
    CHECK(num(res.doc, "version") == 1);

    /* master key: only the digest, computed independently of the text. */
    cfg_sha256_hex("sk-test-master-key-0001", 23, hex);
    CHECK_STR(str(res.doc, "master_key_sha256"), hex);
    CHECK_STR(res.master_key, "sk-test-master-key-0001");

    d = deployment(&res, 0);
    CHECK_STR(str(d, "id"), "openai-gpt4o");
    CHECK_STR(str(d, "model_name"), "gpt-4o");
    CHECK_STR(str(d, "provider"), "openai");
    CHECK_STR(str(d, "api"), "openai");
    CHECK_STR(str(d, "model"), "gpt-4o");
    CHECK_STR(str(d, "scheme"), "https");
    CHECK_STR(str(d, "host"), "api.openai.com");
    CHECK(num(d, "port") == 443);
    CHECK_STR(str(d, "base_path"), "/v1");
    CHECK(json_is_array(json_object_get(d, "addrs")));
    /* process environment beats .env */
    CHECK_STR(str(d, "api_key"), "sk-openai-from-process-env");
    CHECK(json_object_get(d, "api_version") == NULL);
    CHECK(num(d, "rpm") == 500);
    CHECK(num(d, "tpm") == 150000);
    CHECK(num(d, "timeout_ms") == 1500);
    CHECK(num(d, "stream_timeout_ms") == 30000);
    CHECK(num(d, "weight") == 3);
    CHECK(num(d, "order") == 1);
    /* litellm_params.max_tokens wins over model_info.max_output_tokens */
    CHECK(num(d, "max_tokens") == 1024);
    CHECK(json_real_value(json_object_get(d, "input_cost_per_token"))
          == 0.0000025);
    CHECK(json_real_value(json_object_get(d, "output_cost_per_token"))
          == 0.00001);
    info = json_object_get(d, "model_info");
    CHECK_STR(str(info, "mode"), "chat");
    CHECK_STR(str(info, "base_model"), "gpt-4o-2024-08-06");
    CHECK(json_is_true(json_object_get(info, "supports_vision")));
    CHECK(json_object_get(info, "id") == NULL);
    CHECK(json_object_get(info, "max_output_tokens") == NULL);
    CHECK(json_object_get(d, "mock_response") == NULL);

    d = deployment(&res, 1);
    CHECK_STR(str(d, "provider"), "azure");
    CHECK_STR(str(d, "api"), "openai");
    CHECK_STR(str(d, "model"), "gpt4o-eu");
    CHECK_STR(str(d, "host"), "eu.openai.azure.com");
    CHECK_STR(str(d, "base_path"), "");
    CHECK_STR(str(d, "api_key"), "azure-secret-key-9876");
    CHECK_STR(str(d, "api_version"), "2024-06-01");
    CHECK(num(d, "max_tokens") == 2048);
    CHECK(num(d, "rpm") == 0);
    CHECK(json_object_get(d, "input_cost_per_token") == NULL);
    CHECK(json_object_get(d, "model_info") == NULL);
    CHECK(strlen(str(d, "id")) == 16);

    d = deployment(&res, 2);
    CHECK_STR(str(d, "provider"), "mock");
    CHECK_STR(str(d, "api"), "openai");
    CHECK_STR(str(d, "model"), "demo-model");
    CHECK_STR(str(d, "mock_response"), "Hi there");
    CHECK(json_object_get(d, "host") == NULL);
    CHECK(json_object_get(d, "scheme") == NULL);
    CHECK(json_object_get(d, "addrs") == NULL);
    CHECK(json_array_size(json_object_get(res.doc, "deployments")) == 3);

    s = json_object_get(res.doc, "settings");
    CHECK_STR(str(s, "routing_strategy"), "latency-based-routing");
    CHECK(num(json_object_get(s, "routing_strategy_args"), "ttl") == 3600);
    CHECK(json_real_value(json_object_get(json_object_get(s,
          "routing_strategy_args"), "lowest_latency_buffer")) == 0.5);
    CHECK(num(s, "num_retries") == 4);
    /* router_settings.timeout beats litellm_settings.request_timeout */
    CHECK(num(s, "timeout_ms") == 120000);
    CHECK(num(s, "stream_timeout_ms") == 15500);
    CHECK(num(s, "allowed_fails") == 2);
    CHECK(num(s, "cooldown_time_ms") == 30000);
    CHECK(num(s, "max_fallbacks") == 3);
    CHECK(json_is_true(json_object_get(s, "drop_params")));
    CHECK(json_is_true(json_object_get(s, "enable_pre_call_checks")));
    CHECK(num(json_object_get(s, "retry_policy"), "RateLimitErrorRetries")
          == 3);
    CHECK(num(json_object_get(s, "retry_policy"),
              "AuthenticationErrorRetries") == 0);
    CHECK_STR(str(s, "redis_host"), "127.0.0.1");
    CHECK(num(s, "redis_port") == 6379);
    CHECK_STR(str(s, "redis_password"), "redis pass\"word");
    CHECK_STR(json_string_value(json_array_get(json_object_get(
              json_object_get(s, "fallbacks"), "gpt-4o"), 0)), "demo");
    CHECK_STR(json_string_value(json_array_get(json_object_get(
              json_object_get(s, "fallbacks"), "demo"), 0)), "gpt-4o");
    CHECK(json_object_size(json_object_get(s, "fallbacks")) == 2);
    CHECK(json_array_size(json_object_get(json_object_get(s,
          "context_window_fallbacks"), "gpt-4o")) == 1);
    CHECK_STR(json_string_value(json_array_get(json_object_get(
              json_object_get(s, "content_policy_fallbacks"), "demo"), 0)),
              "gpt-4o");
    CHECK_STR(json_string_value(json_array_get(json_object_get(s,
              "default_fallbacks"), 0)), "demo");

    cfg_result_free(&res);
    unsetenv("TEST_CFG_OPENAI_KEY");
}

UNIT_TEST(master_key_never_in_output)
{
    cfg_result_t  res;
    char         *text;
    json_t       *redacted;

    setenv("TEST_CFG_OPENAI_KEY", "sk-openai-from-process-env", 1);
    CHECK(cfg_compile_file("cfg/full.yaml", "cfg/full.env", &res) == 0);
    text = cfg_dump(res.doc, 0);
    CHECK(text != NULL && strstr(text, "sk-test-master-key-0001") == NULL);
    /* provider keys are in the published doc (the module needs them) */
    CHECK(text != NULL && strstr(text, "azure-secret-key-9876") != NULL);
    free(text);

    /* but not in --print output */
    redacted = cfg_redact(res.doc);
    text = cfg_dump(redacted, 1);
    CHECK(strstr(text, "azure-secret-key-9876") == NULL);
    CHECK(strstr(text, "sk-openai-from-process-env") == NULL);
    CHECK(strstr(text, "redis pass") == NULL);
    CHECK(strstr(text, "\"...9876\"") != NULL);
    CHECK(strstr(text, "\"...word\"") != NULL);    /* last 4 only */
    free(text);
    json_decref(redacted);
    cfg_result_free(&res);
    unsetenv("TEST_CFG_OPENAI_KEY");

    {
        char  hint[16];

        cfg_secret_hint("short-key", hint, sizeof(hint));
        CHECK_STR(hint, "...");
        cfg_secret_hint("sk-abcdefgh1234", hint, sizeof(hint));
        CHECK_STR(hint, "...1234");
    }
}

UNIT_TEST(master_key_sources)
{
    cfg_result_t  res;
    char          hex[65];
    static const char  models[] =
        "model_list:\n"
        "  - model_name: m\n"
        "    litellm_params: {model: openai/m}\n";

    /* LITELLM_MASTER_KEY when the yaml has none */
    setenv("LITELLM_MASTER_KEY", "sk-from-env", 1);
    CHECK(compile(models, &res) == 0);
    cfg_sha256_hex("sk-from-env", 11, hex);
    CHECK_STR(str(res.doc, "master_key_sha256"), hex);
    cfg_result_free(&res);

    /* the yaml value overrides the variable */
    CHECK(compile("general_settings: {master_key: sk-yaml}\n", &res) == 0);
    cfg_sha256_hex("sk-yaml", 7, hex);
    CHECK_STR(str(res.doc, "master_key_sha256"), hex);
    cfg_result_free(&res);
    unsetenv("LITELLM_MASTER_KEY");

    /* none: null, with a warning */
    CHECK(compile(models, &res) == 0);
    CHECK(json_is_null(json_object_get(res.doc, "master_key_sha256")));
    CHECK(cfg_diag_find(&res.diag, "warning: no master key") != NULL);
    cfg_result_free(&res);

    expect_error("general_settings:\n  master_key: hunter2\n",
                 "config.yaml:2:15: error: general_settings.master_key: "
                 "must start with \"sk-\"");
}

/* 1 when deployment i of res keeps the "responses" endpoint */
static int
has_responses(cfg_result_t *res, size_t i)
{
    size_t   k;
    json_t  *eps = json_object_get(deployment(res, i), "endpoints");

    for (k = 0; k < json_array_size(eps); k++) {
        if (strcmp(json_string_value(json_array_get(eps, k)), "responses")
            == 0)
        {
            return 1;
        }
    }
    return 0;
}

/* Responses pass through by the row, unless the api_base is not the
   provider's own or use_chat_completions_api says otherwise */
UNIT_TEST(responses_endpoint_rule)
{
    cfg_result_t  res;

    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_BASE");
    CHECK(compile("model_list:\n"
                  "  - model_name: a\n    litellm_params: "
                  "{model: openai/gpt-4o, api_key: k}\n"
                  "  - model_name: b\n    litellm_params: "
                  "{model: gpt-4o, api_key: k, "
                  "api_base: 'https://api.openai.com/v1/'}\n"
                  "  - model_name: c\n    litellm_params: "
                  "{model: openai/m, api_key: k, "
                  "api_base: 'http://127.0.0.1:8000/v1'}\n"
                  "  - model_name: d\n    litellm_params: "
                  "{model: openai/m, api_key: k, "
                  "api_base: 'http://127.0.0.1:8000/v1', "
                  "use_chat_completions_api: false}\n"
                  "  - model_name: e\n    litellm_params: "
                  "{model: openai/gpt-4o, api_key: k, "
                  "use_chat_completions_api: true}\n"
                  "  - model_name: f\n    litellm_params: "
                  "{model: azure/dep, api_key: k, "
                  "api_base: 'https://x.openai.azure.com'}\n"
                  "  - model_name: g\n    litellm_params: "
                  "{model: azure/dep, api_key: k, "
                  "api_base: 'https://x.openai.azure.com', "
                  "use_chat_completions_api: true}\n"
                  "  - model_name: h\n    litellm_params: "
                  "{model: groq/x, api_key: k}\n", &res) == 0);
    CHECK(has_responses(&res, 0));
    CHECK(has_responses(&res, 1));
    CHECK(!has_responses(&res, 2));
    CHECK(has_responses(&res, 3));
    CHECK(!has_responses(&res, 4));
    CHECK(has_responses(&res, 5));
    CHECK(!has_responses(&res, 6));
    CHECK(!has_responses(&res, 7));
    cfg_result_free(&res);
}

/* What the module needs from the provider's row travels per deployment. */
UNIT_TEST(provider_fields_and_env)
{
    cfg_result_t  res;
    json_t       *d;

    setenv("GROQ_API_KEY", "gsk-from-env-1234567890", 1);
    setenv("MISTRAL_API_BASE", "http://127.0.0.1:7/v1", 1);
    setenv("MISTRAL_API_KEY", "m-key", 1);
    CHECK(compile("model_list:\n"
                  "  - model_name: g\n    litellm_params: {model: groq/x}\n"
                  "  - model_name: m\n    litellm_params: "
                  "{model: mistral/mistral-embed, drop_params: false, "
                  "region_name: eu}\n"
                  "  - model_name: a\n    litellm_params: "
                  "{model: anthropic/c, api_key: k}\n", &res) == 0);

    d = deployment(&res, 0);
    CHECK_STR(str(d, "api_key"), "gsk-from-env-1234567890");
    CHECK_STR(str(d, "auth"), "bearer");
    CHECK(json_array_size(json_object_get(d, "rejects")) == 3);
    CHECK_STR(json_string_value(json_array_get(json_object_get(d, "endpoints"),
                                               0)), "chat");

    d = deployment(&res, 1);
    CHECK_STR(str(d, "host"), "127.0.0.1");
    CHECK(num(d, "port") == 7);
    CHECK(json_is_false(json_object_get(d, "drop_params")));
    CHECK_STR(str(d, "region_name"), "eu");

    d = deployment(&res, 2);
    CHECK_STR(str(d, "auth"), "header");
    CHECK_STR(str(d, "auth_header"), "x-api-key");
    cfg_result_free(&res);

    unsetenv("GROQ_API_KEY");
    unsetenv("MISTRAL_API_BASE");
    unsetenv("MISTRAL_API_KEY");

    /* the account id of cloudflare's URL comes from the environment */
    unsetenv("CLOUDFLARE_ACCOUNT_ID");
    expect_disabled("model_list:\n  - model_name: a\n    litellm_params:\n"
                    "      model: cloudflare/m\n      api_key: k\n",
                    "config.yaml:4:14: warning: model_list[0]: deployment "
                    "'a' disabled: CLOUDFLARE_ACCOUNT_ID is not set",
                    "CLOUDFLARE_ACCOUNT_ID is not set (the api_base of "
                    "provider 'cloudflare' needs it)");

    /* model_group_alias, pass_through_endpoints, strict_config */
    setenv("TEST_CFG_COHERE", "co-secret-key-123456", 1);
    CHECK(compile("model_list:\n"
                  "  - model_name: g\n    litellm_params: {model: openai/x}\n"
                  "router_settings:\n"
                  "  model_group_alias: {short: g, quiet: {model: g, "
                  "hidden: true}, nowhere: nope}\n"
                  "general_settings:\n"
                  "  store_model_in_db: true\n"
                  "  pass_through_endpoints:\n"
                  "    - path: /v1/rerank\n"
                  "      target: https://api.cohere.com/v1/rerank\n"
                  "      headers: {Authorization: \"bearer "
                  "os.environ/TEST_CFG_COHERE\"}\n"
                  "      forward_headers: true\n", &res) == 0);
    d = json_object_get(json_object_get(res.doc, "settings"),
                        "model_group_alias");
    CHECK_STR(str(json_object_get(d, "short"), "model"), "g");
    CHECK(json_is_true(json_object_get(json_object_get(d, "quiet"),
                                       "hidden")));
    CHECK(cfg_diag_find(&res.diag, "alias 'nowhere' names model group "
                        "'nope', which no model_list entry has") != NULL);
    CHECK(cfg_diag_find(&res.diag, "store_model_in_db: ignored: models come "
                        "from config.yaml only") != NULL);
    d = json_array_get(json_object_get(res.doc, "pass_through"), 0);
    CHECK_STR(str(d, "path"), "/v1/rerank");
    CHECK_STR(str(d, "host"), "api.cohere.com");
    CHECK_STR(str(d, "base_path"), "/v1/rerank");
    CHECK(json_is_true(json_object_get(d, "forward_headers")));
    CHECK_STR(str(json_object_get(d, "headers"), "Authorization"),
              "bearer co-secret-key-123456");
    {
        json_t  *red = cfg_redact(res.doc);
        char    *text = cfg_dump(red, 0);

        CHECK(strstr(text, "co-secret-key-123456") == NULL);
        free(text);
        json_decref(red);
    }
    cfg_result_free(&res);
    unsetenv("TEST_CFG_COHERE");

    /* every built-in path, and what is under each built-in prefix,
     * shadows a pass-through; a path beside them does not */
    {
        static const char  *beside[] = {
            "/v1/modelsx", "/v1beta/modelsx", "/v1/responsesx",
            "/v2/chat/completions", "/health/x", "/models/x"
        };
        static const char  *under[] = {
            "/v1beta/models", "/v1beta/models/g:generateContent",
            "/v1/models/x", "/v1alpha/models/m", "/v1/responses/resp_1",
            "/responses/resp_1/input_items"
        };
        const llm_route_t  *rt;
        char                yaml[1024];
        size_t              i;
        int                 seen = 0;

        for (rt = llm_routes; rt->path; rt++) {
            CHECK(llm_route_shadowing(rt->path) == rt->path);
            snprintf(yaml, sizeof(yaml),
                     "model_list:\n"
                     "  - model_name: g\n"
                     "    litellm_params: {model: openai/x}\n"
                     "general_settings:\n"
                     "  pass_through_endpoints:\n"
                     "    - {path: \"%s\", target: https://example.com/x}\n",
                     rt->path);
            CHECK(compile(yaml, &res) == 0);
            CHECK(json_array_size(json_object_get(res.doc, "pass_through"))
                  == 0);
            cfg_result_free(&res);
            seen++;
        }
        CHECK(seen >= 20);
        for (i = 0; i < sizeof(under) / sizeof(under[0]); i++) {
            CHECK(llm_route_shadowing(under[i]) != NULL);
        }
        for (i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
            CHECK(llm_route_shadowing(beside[i]) == NULL);
        }
    }

    /* a route the gateway answers itself is shadowed: warned and left out */
    {
        static const char  *yaml =
            "model_list:\n"
            "  - model_name: g\n    litellm_params: {model: openai/x}\n"
            "general_settings:\n"
            "  pass_through_endpoints:\n"
            "    - path: /v1/chat/completions\n"
            "      target: https://example.com/v1/chat/completions\n"
            "    - path: /v1beta/models/x\n"
            "      target: https://example.com/g\n"
            "    - path: /v1/rerank\n"
            "      target: https://example.com/rerank\n";

        CHECK(compile(yaml, &res) == 0);
        CHECK(cfg_diag_find(&res.diag, "config.yaml:6:7: warning: "
                            "general_settings.pass_through_endpoints[0]: "
                            "route '/v1/chat/completions' ignored: the "
                            "gateway's own /v1/chat/completions route "
                            "answers that path") != NULL);
        CHECK(cfg_diag_find(&res.diag, "route '/v1beta/models/x' ignored: "
                            "the gateway's own /v1beta/models/ route")
              != NULL);
        d = json_object_get(res.doc, "pass_through");
        CHECK(json_array_size(d) == 1);
        CHECK_STR(str(json_array_get(d, 0), "path"), "/v1/rerank");
        cfg_result_free(&res);

        CHECK(compile_strict(yaml, &res) == -1);
        CHECK(cfg_diag_find(&res.diag, "error: general_settings."
                            "pass_through_endpoints[0]: route "
                            "'/v1/chat/completions' ignored") != NULL);
        cfg_result_free(&res);
    }

    CHECK(compile("general_settings:\n  strict_config: true\n"
                  "model_list:\n  - model_name: a\n    litellm_params:\n"
                  "      model: sagemaker/x\n", &res) == -1);
    CHECK(cfg_diag_find(&res.diag, "error: model_list[0]: deployment 'a' "
                        "disabled: provider 'sagemaker'") != NULL);
    cfg_result_free(&res);
}

UNIT_TEST(providers)
{
    static const struct {
        const char *model, *api_base, *provider, *api, *scheme, *host;
        int port;
        const char *base_path, *model_out;
    } cases[] = {
        { "openai/gpt-4o", NULL, "openai", "openai", "https",
          "api.openai.com", 443, "/v1", "gpt-4o" },
        { "gpt-4o-mini", NULL, "openai", "openai", "https",
          "api.openai.com", 443, "/v1", "gpt-4o-mini" },
        { "openai/*", "http://127.0.0.1:8080/v1/", "openai", "openai",
          "http", "127.0.0.1", 8080, "/v1", "*" },
        { "openrouter/anthropic/claude-3.5", NULL, "openrouter", "openai",
          "https", "openrouter.ai", 443, "/api/v1", "anthropic/claude-3.5" },
        { "ollama/llama3", NULL, "ollama", "openai", "http", "localhost",
          11434, "/v1", "llama3" },
        { "ollama_chat/llama3", "http://gpu:11434/v1", "ollama_chat",
          "openai", "http", "gpu", 11434, "/v1", "llama3" },
        { "hosted_vllm/Qwen/Qwen2.5", "http://10.0.0.5:8000", "hosted_vllm",
          "openai", "http", "10.0.0.5", 8000, "/v1", "Qwen/Qwen2.5" },
        { "azure/dep1", "https://r.openai.azure.com", "azure", "openai",
          "https", "r.openai.azure.com", 443, "", "dep1" },
        { "anthropic/claude-sonnet-4-5", NULL, "anthropic", "anthropic",
          "https", "api.anthropic.com", 443, "/v1", "claude-sonnet-4-5" },
        { "anthropic/claude", "https://gw.example.com/anthropic",
          "anthropic", "anthropic", "https", "gw.example.com", 443,
          "/anthropic/v1", "claude" },
        { "gemini/gemini-2.0-flash", NULL, "gemini", "gemini", "https",
          "generativelanguage.googleapis.com", 443, "/v1beta",
          "gemini-2.0-flash" },
        { "openai/x", "http://[::1]:9000", "openai", "openai", "http",
          "[::1]", 9000, "", "x" },
        { "groq/llama-3.1-8b-instant", NULL, "groq", "openai", "https",
          "api.groq.com", 443, "/openai/v1", "llama-3.1-8b-instant" },
        { "huggingface/meta-llama/Llama-3.3-70B-Instruct", NULL,
          "huggingface", "openai", "https", "router.huggingface.co", 443,
          "/v1", "meta-llama/Llama-3.3-70B-Instruct" },
        { "cloudflare/@cf/meta/llama-3-8b", NULL, "cloudflare", "openai",
          "https", "api.cloudflare.com", 443,
          "/client/v4/accounts/acc123/ai/v1", "@cf/meta/llama-3-8b" },
        { "text-completion-openai/gpt-3.5-turbo-instruct", NULL,
          "text-completion-openai", "openai_completions", "https",
          "api.openai.com", 443, "/v1", "gpt-3.5-turbo-instruct" },
        { "lm_studio/qwen", "http://127.0.0.1:1234", "lm_studio", "openai",
          "http", "127.0.0.1", 1234, "/v1", "qwen" },
    };
    char          yaml[512];
    size_t        i;
    cfg_result_t  res;
    json_t       *d;

    setenv("CLOUDFLARE_ACCOUNT_ID", "acc123", 1);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(yaml, sizeof(yaml),
                 "model_list:\n  - model_name: m\n    litellm_params:\n"
                 "      model: %s\n      api_key: k\n%s%s%s",
                 cases[i].model, cases[i].api_base ? "      api_base: " : "",
                 cases[i].api_base ? cases[i].api_base : "",
                 cases[i].api_base ? "\n" : "");
        CHECK(compile(yaml, &res) == 0);
        d = deployment(&res, 0);
        CHECK(d != NULL);
        if (d == NULL) {
            cfg_diag_print(&res.diag, stderr);
            cfg_result_free(&res);
            continue;
        }
        CHECK_STR(str(d, "provider"), cases[i].provider);
        CHECK_STR(str(d, "api"), cases[i].api);
        CHECK_STR(str(d, "scheme"), cases[i].scheme);
        CHECK_STR(str(d, "host"), cases[i].host);
        CHECK(num(d, "port") == cases[i].port);
        CHECK_STR(str(d, "base_path"), cases[i].base_path);
        CHECK_STR(str(d, "model"), cases[i].model_out);
        CHECK((json_object_get(d, "api_version") != NULL)
              == (strcmp(cases[i].provider, "azure") == 0));
        cfg_result_free(&res);
    }

    /* azure without api_version gets the documented default */
    CHECK(compile("model_list:\n  - model_name: m\n    litellm_params:\n"
                  "      model: azure/d\n      api_base: https://a.b\n"
                  "      api_key: k\n", &res) == 0);
    CHECK_STR(str(deployment(&res, 0), "api_version"),
              "2024-10-21");
    cfg_result_free(&res);
}

UNIT_TEST(env_resolution)
{
    cfg_result_t  res;
    cfg_env_t     env;
    cfg_diag_t    diag;
    static const char  yaml[] =
        "model_list:\n"
        "  - model_name: m\n"
        "    litellm_params:\n"
        "      model: openai/m\n"
        "      api_key: os.environ/TEST_CFG_KEY\n"
        "      rpm: os.environ/TEST_CFG_RPM\n";

    cfg_env_init(&env);
    cfg_diag_init(&diag);
    cfg_env_parse(&env, "TEST_CFG_KEY=from-file\nTEST_CFG_RPM=\"77\"\n",
                  ".env", &diag);
    CHECK(diag.count == 0);

    CHECK(cfg_compile_text(yaml, strlen(yaml), "config.yaml", &env, &res)
          == 0);
    CHECK_STR(str(deployment(&res, 0), "api_key"), "from-file");
    CHECK(num(deployment(&res, 0), "rpm") == 77);
    cfg_result_free(&res);

    setenv("TEST_CFG_KEY", "from-process", 1);
    CHECK(cfg_compile_text(yaml, strlen(yaml), "config.yaml", &env, &res)
          == 0);
    CHECK_STR(str(deployment(&res, 0), "api_key"), "from-process");
    cfg_result_free(&res);
    unsetenv("TEST_CFG_KEY");

    /* a number from the environment is still validated */
    setenv("TEST_CFG_RPM", "lots", 1);
    CHECK(cfg_compile_text(yaml, strlen(yaml), "config.yaml", &env, &res)
          == -1);
    CHECK(cfg_diag_find(&res.diag, "config.yaml:6:12: error: model_list[0]."
                        "litellm_params.rpm: expected a non-negative integer,"
                        " got \"lots\" (from os.environ/TEST_CFG_RPM)")
          != NULL);
    cfg_result_free(&res);
    unsetenv("TEST_CFG_RPM");

    cfg_env_free(&env);
    cfg_diag_free(&diag);

    expect_disabled(yaml, "config.yaml:5:16: warning: model_list[0]: "
                    "deployment 'm' disabled: environment variable "
                    "TEST_CFG_KEY is not set (os.environ/TEST_CFG_KEY)",
                    "environment variable TEST_CFG_KEY is not set "
                    "(os.environ/TEST_CFG_KEY)");
}

UNIT_TEST(env_file_rules)
{
    cfg_env_t   env;
    cfg_diag_t  diag;

    cfg_env_init(&env);
    cfg_diag_init(&diag);
    cfg_env_parse(&env,
                  "# comment\n"
                  "\n"
                  "A=plain value  # trailing comment\n"
                  "export B = 'single # not a comment'\n"
                  "C=\"tab\\there\\nnewline\"\n"
                  "D=\n"
                  "not a line\n"
                  "E=\"unterminated\n"
                  "A=second wins\r\n"
                  "F=x#y\n",
                  "t.env", &diag);

    CHECK_STR(cfg_env_lookup(&env, "A"), "second wins");
    CHECK_STR(cfg_env_lookup(&env, "B"), "single # not a comment");
    CHECK_STR(cfg_env_lookup(&env, "C"), "tab\there\nnewline");
    CHECK_STR(cfg_env_lookup(&env, "D"), "");
    CHECK_STR(cfg_env_lookup(&env, "F"), "x#y");
    CHECK(cfg_env_lookup(&env, "E") == NULL);
    CHECK(cfg_env_lookup(&env, "TEST_CFG_NOT_ANYWHERE") == NULL);
    CHECK(diag.warnings == 2 && diag.errors == 0);
    CHECK(cfg_diag_find(&diag, "t.env:7:1: warning: expected NAME=VALUE")
          != NULL);
    CHECK(cfg_diag_find(&diag, "t.env:8:") != NULL);
    cfg_env_free(&env);
    cfg_diag_free(&diag);

    /* default .env: next to the config; missing is fine, explicit is not */
    {
        char          *p = cfg_env_default_path("/etc/llm/config.yaml");
        cfg_result_t   res;

        CHECK_STR(p, "/etc/llm/.env");
        free(p);
        p = cfg_env_default_path("config.yaml");
        CHECK_STR(p, ".env");
        free(p);

        CHECK(cfg_compile_file("cfg/full.yaml", "cfg/no-such.env", &res)
              == -1);
        CHECK(cfg_diag_find(&res.diag, "cfg/no-such.env: error: cannot read "
                            "env file") != NULL);
        cfg_result_free(&res);
    }
}

UNIT_TEST(error_messages)
{
    expect_error("model_list:\n"
                 "  - model_name: a\n"
                 "    litellm_params:\n"
                 "      model: openai/a\n"
                 "  - model_name: b\n"
                 "    litellm_params:\n"
                 "      model: openai/b\n"
                 "      rpm: abc\n",
                 "config.yaml:8:12: error: model_list[1].litellm_params.rpm: "
                 "expected a non-negative integer, got \"abc\"");
    expect_error("model_list:\n  - model_name: a\n    litellm_params:\n"
                 "      model: openai/a\n      rpm: -5\n",
                 "config.yaml:5:12: error: model_list[0].litellm_params.rpm: "
                 "expected a non-negative integer, got \"-5\"");
    expect_error("model_list:\n  - litellm_params:\n      model: openai/a\n",
                 "config.yaml:2:5: error: model_list[0]: missing "
                 "'model_name'");
    expect_error("model_list:\n  - model_name: a\n    litellm_params:\n"
                 "      api_key: x\n",
                 "config.yaml:4:7: error: model_list[0].litellm_params: "
                 "missing 'model'");
    expect_error("model_list:\n  - model_name: a\n",
                 "config.yaml:2:5: error: model_list[0]: missing "
                 "'litellm_params'");
    expect_disabled("model_list:\n  - model_name: a\n    litellm_params:\n"
                    "      model: sagemaker/llama\n",
                    "config.yaml:4:14: warning: model_list[0]: deployment "
                    "'a' disabled: provider 'sagemaker' is not supported by "
                    "this gateway",
                    "provider 'sagemaker' is not supported by this gateway "
                    "(docs/providers.md lists those it is)");
    expect_disabled("model_list:\n  - model_name: a\n    litellm_params:\n"
                    "      model: azure/\n      api_base: https://x\n"
                    "      api_key: k\n",
                    "config.yaml:4:14: warning: model_list[0]: deployment "
                    "'a' disabled: incomplete: no deployment name after "
                    "'azure/'",
                    "incomplete: no deployment name after 'azure/'");
    unsetenv("GROQ_API_KEY");
    expect_disabled("model_list:\n  - model_name: a\n    litellm_params:\n"
                    "      model: groq/llama\n",
                    "config.yaml:4:14: warning: model_list[0]: deployment "
                    "'a' disabled: no credentials for provider 'groq': set "
                    "litellm_params.api_key or GROQ_API_KEY",
                    "no credentials for provider 'groq': set "
                    "litellm_params.api_key or GROQ_API_KEY");
    expect_error("model_list:\n  - model_name: a\n    litellm_params:\n"
                 "      model: openai/a\n      api_key: \"sk-1\\r\\nX: y\"\n",
                 "config.yaml:4:7: error: model_list[0].litellm_params."
                 "api_key: contains a control character (a stray line break "
                 "or carriage return in .env?); a key is one line");
    expect_error("model_list:\n  - model_name: a\n    litellm_params:\n"
                 "      model: openai/a\n      api_base: ftp://x\n",
                 "config.yaml:5:17: error: model_list[0].litellm_params."
                 "api_base: expected http(s)://host[:port][/path], got "
                 "\"ftp://x\" (must start with http:// or https://)");
    expect_error("model_list:\n  - model_name: a\n    litellm_params:\n"
                 "      model: openai/a\n      api_base: http://h:99999\n",
                 "config.yaml:5:17: error: model_list[0].litellm_params."
                 "api_base: expected http(s)://host[:port][/path], got "
                 "\"http://h:99999\" (has an invalid port)");
    unsetenv("AZURE_API_BASE");
    expect_disabled("model_list:\n  - model_name: a\n    litellm_params:\n"
                    "      model: azure/d\n",
                    "config.yaml:4:7: warning: model_list[0]: deployment 'a' "
                    "disabled: 'api_base' is required for provider 'azure' "
                    "(litellm_params.api_base or AZURE_API_BASE)",
                    "'api_base' is required for provider 'azure' "
                    "(litellm_params.api_base or AZURE_API_BASE)");
    unsetenv("HOSTED_VLLM_API_BASE");
    expect_disabled("model_list:\n  - model_name: a\n    litellm_params:\n"
                    "      model: hosted_vllm/q\n",
                    "config.yaml:4:7: warning: model_list[0]: deployment 'a' "
                    "disabled: 'api_base' is required for provider "
                    "'hosted_vllm'",
                    "'api_base' is required for provider 'hosted_vllm' "
                    "(litellm_params.api_base or HOSTED_VLLM_API_BASE)");
    expect_error("model_list:\n  - model_name: a\n    litellm_params:\n"
                 "      model: openai/a\n      timeout: soon\n",
                 "config.yaml:5:16: error: model_list[0].litellm_params."
                 "timeout: expected a duration in seconds (a non-negative "
                 "number), got \"soon\"");
    expect_error("litellm_settings:\n  drop_params: maybe\n",
                 "config.yaml:2:16: error: litellm_settings.drop_params: "
                 "expected true or false, got \"maybe\"");
    expect_error("router_settings:\n  routing_strategy: fastest\n",
                 "config.yaml:2:21: error: router_settings.routing_strategy: "
                 "unknown routing strategy \"fastest\"");
    expect_error("router_settings:\n  fallbacks: gpt-4o\n",
                 "config.yaml:2:14: error: router_settings.fallbacks: "
                 "expected a list like");
    expect_error("model_list: {a: 1}\n",
                 "config.yaml:1:13: error: model_list: expected a list, got "
                 "a mapping");
    expect_error("model_list:\n  - model_name: [a]\n",
                 "config.yaml:2:17: error: model_list[0].model_name: expected "
                 "a string, got a list");
    expect_error("- a\n- b\n", "config.yaml:1:1: error: expected a mapping at "
                 "the top level, got a list");
    expect_error("", "config.yaml: error: the config is empty");
    expect_error("model_list:\n"
                 "  - model_name: a\n    litellm_params: {model: openai/a}\n"
                 "    model_info: {id: same}\n"
                 "  - model_name: b\n    litellm_params: {model: openai/b}\n"
                 "    model_info: {id: same}\n",
                 "config.yaml:5:5: error: model_list[1]: duplicate deployment"
                 " id 'same' (first used by model_list[0])");
}

UNIT_TEST(yaml_syntax_error)
{
    cfg_result_t  res;

    CHECK(cfg_compile_file("cfg/syntax.yaml", "cfg/full.env", &res) == -1);
    CHECK(res.doc == NULL);
    CHECK(res.diag.errors == 1);
    /* libyaml reports the bad indentation on line 5 */
    CHECK(cfg_diag_find(&res.diag, "cfg/syntax.yaml:5:") != NULL);
    CHECK(cfg_diag_find(&res.diag, "error: YAML syntax:") != NULL);
    cfg_result_free(&res);

    expect_error("model_list:\n  - model_name: \"unterminated\n",
                 "error: YAML syntax:");
}

UNIT_TEST(unknown_keys_warn)
{
    cfg_result_t  res;

    CHECK(compile("model_list:\n"
                  "  - model_name: a\n"
                  "    litellm_params:\n"
                  "      model: openai/a\n"
                  "      max_retries: 3\n"
                  "    extra: 1\n"
                  "router_settings:\n"
                  "  retry_policy: {Bogus: 1}\n"
                  "general_settings:\n"
                  "  database_url: postgres://x\n"
                  "callbacks: x\n", &res) == 0);
    CHECK(res.doc != NULL);
    CHECK_STR(cfg_diag_find(&res.diag, "max_retries"),
              "config.yaml:5:7: warning: unknown key 'max_retries' in "
              "model_list[0].litellm_params (ignored)");
    CHECK_STR(cfg_diag_find(&res.diag, "'extra'"),
              "config.yaml:6:5: warning: unknown key 'extra' in model_list[0]"
              " (ignored)");
    CHECK_STR(cfg_diag_find(&res.diag, "Bogus"),
              "config.yaml:8:18: warning: unknown key 'Bogus' in "
              "router_settings.retry_policy (ignored)");
    CHECK_STR(cfg_diag_find(&res.diag, "database_url"),
              "config.yaml:10:3: warning: general_settings.database_url: "
              "ignored: there is no database: keys and spend live in Redis "
              "or the state file");
    CHECK_STR(cfg_diag_find(&res.diag, "callbacks"),
              "config.yaml:11:1: warning: unknown key 'callbacks' in the top "
              "level (ignored)");
    CHECK(res.diag.errors == 0);
    cfg_result_free(&res);
}

UNIT_TEST(stable_ids)
{
    cfg_result_t  a, b, c;
    static const char  two[] =
        "model_list:\n"
        "  - model_name: m\n    litellm_params: {model: openai/x}\n"
        "  - model_name: m\n    litellm_params: {model: openai/x}\n";
    static const char  moved[] =
        "model_list:\n"
        "  - model_name: m\n    litellm_params: {model: openai/x, "
        "api_base: \"https://other\"}\n";
    char  hex[65];

    CHECK(compile(two, &a) == 0);
    CHECK(compile(two, &b) == 0);
    CHECK(compile(moved, &c) == 0);

    /* same input, same ids; identical entries differ by their index */
    CHECK_STR(str(deployment(&a, 0), "id"), str(deployment(&b, 0), "id"));
    CHECK_STR(str(deployment(&a, 1), "id"), str(deployment(&b, 1), "id"));
    CHECK(strcmp(str(deployment(&a, 0), "id"),
                 str(deployment(&a, 1), "id")) != 0);
    CHECK(strcmp(str(deployment(&a, 0), "id"),
                 str(deployment(&c, 0), "id")) != 0);

    /* the documented recipe: SHA-256("m\nopenai/x\n\n0"), first 16 hex */
    cfg_sha256_hex("m\nopenai/x\n\n0", strlen("m\nopenai/x\n\n0"), hex);
    hex[16] = '\0';
    CHECK_STR(str(deployment(&a, 0), "id"), hex);

    cfg_result_free(&a);
    cfg_result_free(&b);
    cfg_result_free(&c);
}

UNIT_TEST(durations_and_numbers)
{
    cfg_result_t  res;
    json_t       *d, *s;

    CHECK(compile("model_list:\n"
                  "  - model_name: m\n"
                  "    litellm_params:\n"
                  "      model: openai/m\n"
                  "      timeout: \"60\"\n"
                  "      stream_timeout: 0.0015\n"
                  "      rpm: \" 12 \"\n"
                  "      input_cost_per_token: 1e-6\n"
                  "      mock_response: ~\n"
                  "litellm_settings:\n"
                  "  request_timeout: 600\n"
                  "  cooldown_time: 0.25\n", &res) == 0);
    d = deployment(&res, 0);
    s = json_object_get(res.doc, "settings");
    CHECK(num(d, "timeout_ms") == 60000);
    CHECK(num(d, "stream_timeout_ms") == 2);          /* rounded */
    CHECK(num(d, "rpm") == 12);
    CHECK(json_real_value(json_object_get(d, "input_cost_per_token")) == 1e-6);
    CHECK_STR(str(d, "provider"), "openai");          /* null mock_response */
    CHECK(num(s, "timeout_ms") == 600000);            /* request_timeout */
    CHECK(num(s, "cooldown_time_ms") == 250);
    /* defaults */
    CHECK_STR(str(s, "routing_strategy"), "simple-shuffle");
    CHECK(num(s, "num_retries") == 2);
    CHECK(num(s, "allowed_fails") == 3);
    CHECK(num(s, "max_fallbacks") == 5);
    CHECK(json_object_get(s, "drop_params") == NULL);   /* not set */
    CHECK(json_object_size(json_object_get(s, "fallbacks")) == 0);
    CHECK(json_array_size(json_object_get(s, "default_fallbacks")) == 0);
    cfg_result_free(&res);
}

UNIT_TEST(url_parser)
{
    cfg_url_t    u;
    const char  *why;

    CHECK(cfg_url_parse("https://api.example.com", &u, &why) == 0);
    CHECK(u.port == 443 && strcmp(u.path, "") == 0);
    CHECK(cfg_url_parse("HTTP://h:8080/a/b//", &u, &why) == 0);
    CHECK_STR(u.scheme, "http");
    CHECK(u.port == 8080);
    CHECK_STR(u.path, "/a/b");
    CHECK(cfg_url_parse("https://[2001:db8::1]:8443/v1", &u, &why) == 0);
    CHECK_STR(u.host, "[2001:db8::1]");
    CHECK(u.port == 8443);
    CHECK(cfg_url_parse("https://user:pw@h", &u, &why) == -1);
    CHECK(cfg_url_parse("https://h/v1?x=1", &u, &why) == -1);
    CHECK(cfg_url_parse("https://", &u, &why) == -1);
    CHECK(cfg_url_parse("https://h:0", &u, &why) == -1);
    CHECK(cfg_url_parse("h:80", &u, &why) == -1);
}

static int  dns_messages;

static void
count_dns_message(const char *message)
{
    (void) message;
    dns_messages++;
}

UNIT_TEST(dns)
{
    cfg_dns_t     dns;
    cfg_result_t  res;
    json_t       *addrs;
    const char   *why;

    addrs = cfg_dns_lookup("127.0.0.1", 8080, &why);
    CHECK(json_array_size(addrs) == 1);
    CHECK_STR(json_string_value(json_array_get(addrs, 0)), "127.0.0.1:8080");
    json_decref(addrs);

    addrs = cfg_dns_lookup("[::1]", 443, &why);
    CHECK_STR(json_string_value(json_array_get(addrs, 0)), "[::1]:443");
    json_decref(addrs);

    CHECK(cfg_dns_lookup("no-such-host.invalid", 443, &why) == NULL);

    CHECK(compile("model_list:\n"
                  "  - model_name: a\n    litellm_params: {model: openai/a, "
                  "api_base: \"http://127.0.0.1:9000\"}\n"
                  "  - model_name: b\n    litellm_params: {model: openai/b, "
                  "api_base: \"http://no-such-host.invalid\"}\n"
                  "  - model_name: c\n    litellm_params: {model: openai/c, "
                  "mock_response: hi}\n", &res) == 0);

    cfg_dns_init(&dns);
    dns_messages = 0;
    CHECK(cfg_dns_resolve(&dns, res.doc, count_dns_message) == 1);
    CHECK(dns_messages == 1);
    CHECK_STR(json_string_value(json_array_get(json_object_get(
              deployment(&res, 0), "addrs"), 0)), "127.0.0.1:9000");
    CHECK(json_is_array(json_object_get(deployment(&res, 1), "addrs")));
    CHECK(json_array_size(json_object_get(deployment(&res, 1), "addrs"))
          == 0);
    CHECK(json_object_get(deployment(&res, 2), "addrs") == NULL);

    /* an earlier good answer survives a failed look-up, logged once */
    json_object_set_new(dns.answers, "no-such-host.invalid|80",
                        json_pack("{s:[s], s:b}", "addrs", "192.0.2.7:80",
                                  "failing", 0));
    CHECK(cfg_dns_resolve(&dns, res.doc, count_dns_message) == 1);
    CHECK_STR(json_string_value(json_array_get(json_object_get(
              deployment(&res, 1), "addrs"), 0)), "192.0.2.7:80");
    CHECK(dns_messages == 2);
    CHECK(cfg_dns_resolve(&dns, res.doc, count_dns_message) == 1);
    CHECK(dns_messages == 2);

    cfg_dns_free(&dns);
    cfg_result_free(&res);
}

UNIT_TEST(atomic_snapshot)
{
    char         path[] = "/tmp/test_cfg_snapshot_XXXXXX";
    char        *text;
    int          fd, err;
    struct stat  st;

    fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(cfg_write_file_atomic(path, "{\"a\":1}", 7, 0600) == 0);
    text = cfg_read_file(path, NULL, &err);
    CHECK_STR(text, "{\"a\":1}");
    free(text);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    unlink(path);

    CHECK(cfg_write_file_atomic("/nonexistent-dir/x.json", "x", 1, 0600)
          == -1);
}

UNIT_TEST(shipped_example)
{
    cfg_result_t  res;

    /* conf/config.yaml must compile with no provider keys around */
    CHECK(cfg_compile_file("../../conf/config.yaml", "cfg/no-such.env", &res)
          == -1);                           /* explicit env must exist */
    cfg_result_free(&res);
    CHECK(cfg_compile_file("../../conf/config.yaml", NULL, &res) == 0);
    CHECK(res.diag.errors == 0 && res.diag.warnings == 0);
    CHECK_STR(str(deployment(&res, 0), "provider"), "mock");
    cfg_result_free(&res);
}

UNIT_MAIN(full_config, master_key_never_in_output, master_key_sources,
          providers, responses_endpoint_rule, provider_fields_and_env,
          env_resolution,
          env_file_rules, error_messages,
          yaml_syntax_error, unknown_keys_warn, stable_ids,
          durations_and_numbers, url_parser, dns, atomic_snapshot,
          shipped_example)
