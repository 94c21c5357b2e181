/*
 * Parsing the other nodes' rate windows (see llm_rates.h).  Strict: a
 * malformed entry rejects the whole document, so a controld that speaks
 * another shape is noticed at once instead of silently not limiting.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_rates.h"


static int
llm_rates_hex(const char *hex, unsigned char *out)
{
    size_t  i;
    int     hi, lo;

    if (strlen(hex) != 64) {
        return -1;
    }

    for (i = 0; i < 32; i++) {
        hi = hex[2 * i];
        lo = hex[2 * i + 1];
        hi = (hi >= '0' && hi <= '9') ? hi - '0'
             : (hi >= 'a' && hi <= 'f') ? hi - 'a' + 10
             : (hi >= 'A' && hi <= 'F') ? hi - 'A' + 10 : -1;
        lo = (lo >= '0' && lo <= '9') ? lo - '0'
             : (lo >= 'a' && lo <= 'f') ? lo - 'a' + 10
             : (lo >= 'A' && lo <= 'F') ? lo - 'A' + 10 : -1;

        if (hi < 0 || lo < 0) {
            return -1;
        }

        out[i] = (unsigned char) (hi << 4 | lo);
    }

    return 0;
}


static int
llm_rates_count(json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return -1;
    }

    *out = (uint64_t) json_integer_value(v);

    return 0;
}


static int
llm_rates_section(llm_rates_t *rates, const char *name,
    llm_rates_kind_e kind, char *err, size_t errlen)
{
    json_t             *section, *v;
    const char         *id;
    llm_rates_entry_t  *e;

    section = json_object_get(rates->root, name);

    if (section == NULL) {
        return 0;
    }

    if (!json_is_object(section)) {
        snprintf(err, errlen, "rates: \"%s\" must be an object", name);
        return -1;
    }

    json_object_foreach(section, id, v) {
        e = &rates->entries[rates->nentries];
        memset(e, 0, sizeof(*e));
        e->kind = kind;

        if (!json_is_array(v) || json_array_size(v) != 2
            || llm_rates_count(json_array_get(v, 0), &e->requests) != 0
            || llm_rates_count(json_array_get(v, 1), &e->tokens) != 0)
        {
            snprintf(err, errlen, "rates: %s.%.64s: expected [requests, "
                     "tokens]", name, id);
            return -1;
        }

        if (kind == LLM_RATES_TEAM) {
            e->team = id;

        } else if (llm_rates_hex(id, e->digest) != 0) {
            snprintf(err, errlen, "rates: %s: \"%.64s\" is not 64 hex "
                     "digits", name, id);
            return -1;
        }

        rates->nentries++;
    }

    return 0;
}


llm_rates_t *
llm_rates_parse(const char *json, size_t len, char *err, size_t errlen)
{
    size_t         n;
    json_t        *minute;
    llm_rates_t   *rates;
    json_error_t   jerr;

    rates = calloc(1, sizeof(llm_rates_t));
    if (rates == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    rates->root = json_loadb(json, len, 0, &jerr);

    if (rates->root == NULL || !json_is_object(rates->root)) {
        snprintf(err, errlen, "rates: invalid JSON: %s",
                 rates->root ? "not an object" : jerr.text);
        goto failed;
    }

    minute = json_object_get(rates->root, "minute");

    if (llm_rates_count(minute, &rates->minute) != 0) {
        snprintf(err, errlen, "rates: \"minute\" (unix time / 60) is "
                 "required");
        goto failed;
    }

    n = json_object_size(json_object_get(rates->root, "keys"))
        + json_object_size(json_object_get(rates->root, "teams"))
        + json_object_size(json_object_get(rates->root, "models"));

    rates->entries = calloc(n + 1, sizeof(llm_rates_entry_t));
    if (rates->entries == NULL) {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    if (llm_rates_section(rates, "keys", LLM_RATES_KEY, err, errlen) != 0
        || llm_rates_section(rates, "teams", LLM_RATES_TEAM, err, errlen)
           != 0
        || llm_rates_section(rates, "models", LLM_RATES_MODEL, err, errlen)
           != 0)
    {
        goto failed;
    }

    return rates;

failed:

    llm_rates_free(rates);

    return NULL;
}


void
llm_rates_free(llm_rates_t *rates)
{
    if (rates == NULL) {
        return;
    }

    free(rates->entries);
    json_decref(rates->root);
    free(rates);
}
