/*
 * general_settings.responses_ttl, responses_max_size and
 * responses_max_entry_size compiled into the doc's "responses" (the
 * module's stored responses), and the module reading them back with its
 * defaults.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_compile.h"
#include "unit.h"

static json_t *
responses(const char *settings, size_t *errors)
{
    char           yaml[1024];
    cfg_result_t   res;
    json_t        *r;

    setenv("OPENAI_API_KEY", "sk-unit-openai-key", 0);
    snprintf(yaml, sizeof(yaml),
             "model_list:\n"
             "  - model_name: m\n"
             "    litellm_params: {model: openai/gpt-4o-mini}\n"
             "general_settings:\n%s", settings);
    memset(&res, 0, sizeof(res));
    cfg_compile_text(yaml, strlen(yaml), "config.yaml", NULL, &res);
    *errors = res.diag.errors;
    r = json_incref(json_object_get(res.doc, "responses"));
    cfg_result_free(&res);
    return r;
}

static long long
field(json_t *r, const char *name)
{
    json_t  *v = json_object_get(r, name);

    return json_is_integer(v) ? json_integer_value(v) : -1;
}

UNIT_TEST(responses_settings)
{
    size_t   errors;
    json_t  *r;

    r = responses("  responses_ttl: 90\n"
                  "  responses_max_size: 16MB\n"
                  "  responses_max_entry_size: 64KB\n", &errors);
    CHECK(errors == 0);
    CHECK(field(r, "ttl_ms") == 90000);
    CHECK(field(r, "max_bytes") == 16 * 1024 * 1024);
    CHECK(field(r, "max_entry_bytes") == 64 * 1024);
    json_decref(r);

    r = responses("  log_payloads: true\n", &errors);
    CHECK(errors == 0 && r == NULL);          /* the module's defaults */
    json_decref(r);

    r = responses("  responses_ttl: 0.5\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = responses("  responses_max_size: 100\n", &errors);
    CHECK(errors == 1);
    json_decref(r);

    r = responses("  responses_max_entry_size: lots\n", &errors);
    CHECK(errors == 1);
    json_decref(r);
}

UNIT_MAIN(responses_settings)
