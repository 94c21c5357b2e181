/*
 * The config side of Vault (cfg_secrets.c) without a Vault: its settings,
 * vault: references that cannot be read, and where each provider key came
 * from.  Reads from a Vault are in t/integration/vault.test.mjs.
 */

#include <stdlib.h>
#include <string.h>

#include "cfg_compile.h"
#include "unit.h"

static int
compile(const char *yaml, cfg_result_t *res)
{
    return cfg_compile_text(yaml, strlen(yaml), "config.yaml", NULL, res);
}

static void
expect_message(const char *yaml, int rc, const char *message)
{
    cfg_result_t  res;

    CHECK(compile(yaml, &res) == rc);
    if (cfg_diag_find(&res.diag, message) == NULL) {
        fprintf(stderr, "wanted: %s\n", message);
        cfg_diag_print(&res.diag, stderr);
    }
    CHECK(cfg_diag_find(&res.diag, message) != NULL);
    cfg_result_free(&res);
}

static const char *
reason(const cfg_result_t *res, size_t i)
{
    return json_string_value(json_object_get(json_array_get(
               json_object_get(res->doc, "disabled"), i), "reason"));
}

#define VAULT_ON "general_settings:\n" \
                 "  key_management_system: hashicorp_vault\n"

static void
test_settings(void)
{
    cfg_result_t  res;

    expect_message("model_list:\n  - model_name: m\n    litellm_params:\n"
                   "      model: openai/x\n"
                   "      api_key: vault:secret/a#b\n", -1,
                   "config.yaml:5:16: error: model_list[0].litellm_params."
                   "api_key: vault:secret/a#b needs general_settings."
                   "key_management_system: hashicorp_vault");
    expect_message(VAULT_ON "  vault_path_prefix: vrooli\n", -1,
                   "config.yaml:3:22: error: general_settings."
                   "vault_path_prefix: expected MOUNT/PATH (e.g. "
                   "secret/vrooli)");
    expect_message(VAULT_ON "  vault_refresh_interval: 0\n", -1,
                   "config.yaml:3:27: error: general_settings."
                   "vault_refresh_interval: expected at least 1 second");
    expect_message("general_settings:\n"
                   "  key_management_system: aws_kms\n", 0,
                   "config.yaml:2:26: warning: general_settings."
                   "key_management_system: 'aws_kms' is not supported "
                   "(only hashicorp_vault); keys come from the config and "
                   "the environment");

    /* refresh: 300 s by default, 0 without Vault */
    unsetenv("VAULT_ADDR");
    CHECK(compile(VAULT_ON, &res) == 0);
    CHECK(res.vault_refresh == 300);
    CHECK(json_is_object(json_object_get(res.secrets, "vault")));
    cfg_result_free(&res);
    CHECK(compile(VAULT_ON "  vault_refresh_interval: 2.5\n", &res) == 0);
    CHECK(res.vault_refresh == 2);
    cfg_result_free(&res);
    CHECK(compile("model_list: []\n", &res) == 0);
    CHECK(res.vault_refresh == 0);
    CHECK(json_object_get(res.secrets, "vault") == NULL);
    cfg_result_free(&res);
}

/* A secret Vault cannot give disables that deployment, saying why. */
static void
test_unreadable(void)
{
    cfg_result_t  res;

    unsetenv("VAULT_ADDR");
    unsetenv("HCP_VAULT_ADDR");
    CHECK(compile(VAULT_ON
                  "model_list:\n"
                  "  - model_name: a\n    litellm_params:\n"
                  "      model: openai/x\n"
                  "      api_key: vault:secret/vrooli/openai#api_key\n"
                  "  - model_name: b\n    litellm_params:\n"
                  "      model: openai/x\n"
                  "      api_key: vault:secret-no-field\n", &res) == 0);
    CHECK_STR(reason(&res, 0), "vault:secret/vrooli/openai#api_key: "
              "VAULT_ADDR (or HCP_VAULT_ADDR) is not set");
    CHECK_STR(reason(&res, 1), "vault:secret-no-field: expected "
              "vault:MOUNT/PATH#FIELD");
    cfg_result_free(&res);

    /* Vault refusing connections: the reason names the path */
    setenv("VAULT_ADDR", "http://127.0.0.1:1", 1);
    setenv("VAULT_TOKEN", "hvs.unit-token-never-shown", 1);
    CHECK(compile(VAULT_ON "  vault_path_prefix: secret/vrooli/\n"
                  "model_list:\n"
                  "  - model_name: a\n    litellm_params:\n"
                  "      model: anthropic/claude\n", &res) == 0);
    CHECK(strncmp(reason(&res, 0), "no credentials for provider "
                  "'anthropic': cannot read secret/vrooli/anthropic from "
                  "Vault: http://127.0.0.1:1: ", 85) == 0);
    CHECK(strstr(reason(&res, 0), "hvs.unit") == NULL);
    CHECK(json_is_false(json_object_get(json_object_get(res.secrets,
                                                        "vault"),
                                        "reachable")));
    cfg_result_free(&res);
    unsetenv("VAULT_ADDR");
    unsetenv("VAULT_TOKEN");
}

/* secrets.keys: the source of each key and its last 4 characters only. */
static void
test_key_sources(void)
{
    cfg_result_t  res;
    json_t       *keys;
    char         *text;

    setenv("UNIT_VAULT_OTHER_KEY", "sk-unit-from-environment-9876", 1);
    unsetenv("ANTHROPIC_API_KEY");
    CHECK(compile("model_list:\n"
                  "  - model_name: lit\n    litellm_params:\n"
                  "      model: openai/x\n"
                  "      api_key: sk-unit-literal-key-1234\n"
                  "  - model_name: env\n    litellm_params:\n"
                  "      model: openai/x\n"
                  "      api_key: os.environ/UNIT_VAULT_OTHER_KEY\n",
                  &res) == 0);
    keys = json_object_get(res.secrets, "keys");
    CHECK(json_array_size(keys) == 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(keys, 0),
                                                "source")), "config");
    CHECK_STR(json_string_value(json_object_get(json_array_get(keys, 0),
                                                "key")), "...1234");
    CHECK_STR(json_string_value(json_object_get(json_array_get(keys, 1),
                                                "source")),
              "environment UNIT_VAULT_OTHER_KEY");
    CHECK_STR(json_string_value(json_object_get(json_array_get(keys, 1),
                                                "key")), "...9876");
    text = json_dumps(res.secrets, 0);
    CHECK(strstr(text, "sk-unit") == NULL);
    free(text);
    cfg_result_free(&res);
    unsetenv("UNIT_VAULT_OTHER_KEY");
}

UNIT_MAIN(test_settings, test_unreadable, test_key_sources)
