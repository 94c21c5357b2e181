/* POST /_llm/rates documents: the other nodes' minute windows. */

#include <stdlib.h>

#include "unit.h"
#include "llm_rates.h"


#define TOKEN  "aa00000000000000000000000000000000000000000000000000000000000001"
#define MODEL  "0F00000000000000000000000000000000000000000000000000000000000002"


UNIT_TEST(test_parse_rates)
{
    char                err[256];
    size_t              i;
    llm_rates_t        *r;
    llm_rates_entry_t  *key = NULL, *team = NULL, *model = NULL;

    static const char  *doc =
        "{\"minute\":29530000,"
        " \"keys\":{\"" TOKEN "\":[3,120]},"
        " \"teams\":{\"research:eu\":[5,0]},"
        " \"models\":{\"" MODEL "\":[1,9]}}";

    r = llm_rates_parse(doc, strlen(doc), err, sizeof(err));
    CHECK(r != NULL);
    if (r == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }

    CHECK(r->minute == 29530000 && r->nentries == 3);

    for (i = 0; i < r->nentries; i++) {
        switch (r->entries[i].kind) {
        case LLM_RATES_KEY:   key = &r->entries[i]; break;
        case LLM_RATES_TEAM:  team = &r->entries[i]; break;
        case LLM_RATES_MODEL: model = &r->entries[i]; break;
        }
    }

    CHECK(key != NULL && key->requests == 3 && key->tokens == 120);
    CHECK(key != NULL && key->digest[0] == 0xaa && key->digest[31] == 0x01);
    CHECK(team != NULL && strcmp(team->team, "research:eu") == 0);
    CHECK(team != NULL && team->requests == 5 && team->tokens == 0);
    /* upper-case hex is the same digest */
    CHECK(model != NULL && model->digest[0] == 0x0f
          && model->digest[31] == 0x02 && model->tokens == 9);

    llm_rates_free(r);

    /* sections are optional */
    r = llm_rates_parse("{\"minute\":1}", 12, err, sizeof(err));
    CHECK(r != NULL && r->nentries == 0 && r->minute == 1);
    llm_rates_free(r);
}


UNIT_TEST(test_reject_malformed)
{
    char          err[256];
    size_t        i;

    static const char  *bad[] = {
        "",
        "[]",
        "{}",                                           /* no minute */
        "{\"minute\":-1}",
        "{\"minute\":\"1\"}",
        "{\"minute\":1,\"keys\":[]}",
        "{\"minute\":1,\"keys\":{\"abc\":[1,2]}}",      /* not a digest */
        "{\"minute\":1,\"keys\":{\"" TOKEN "\":[1]}}",
        "{\"minute\":1,\"keys\":{\"" TOKEN "\":[1,-2]}}",
        "{\"minute\":1,\"teams\":{\"t\":{\"requests\":1}}}",
        "{\"minute\":1,\"models\":{\"" TOKEN "x\":[1,2]}}",
        "{\"minute\":1,\"models\":{\"zz" TOKEN "\":[1,2]}}",
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK(llm_rates_parse(bad[i], strlen(bad[i]), err, sizeof(err))
              == NULL);
        CHECK(err[0] != '\0');
    }
}


UNIT_MAIN(test_parse_rates, test_reject_malformed)
