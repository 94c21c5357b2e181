/*
 * Looking a model up in the shipped price table.  Done once per published
 * config, never per request.
 */

#include <string.h>

#include "llm_prices.h"


static const json_t *
llm_price_lookup(const json_t *models, const char *name)
{
    size_t        len, best_len;
    const char   *key;
    json_t       *v;
    const json_t *best;

    v = json_object_get(models, name);
    if (json_is_object(v)) {
        return v;
    }

    best = NULL;
    best_len = 0;

    json_object_foreach((json_t *) models, key, v) {
        len = strlen(key);

        if (len > best_len && json_is_object(v)
            && strncmp(name, key, len) == 0 && name[len] == '-')
        {
            best = v;
            best_len = len;
        }
    }

    return best;
}


const json_t *
llm_price_entry(const json_t *table, const char *model)
{
    const json_t  *models, *e;
    const char    *slash;

    if (table == NULL || model == NULL) {
        return NULL;
    }

    models = json_object_get(table, "models");
    if (!json_is_object(models)) {
        return NULL;
    }

    e = llm_price_lookup(models, model);
    if (e != NULL) {
        return e;
    }

    slash = strrchr(model, '/');

    return slash ? llm_price_lookup(models, slash + 1) : NULL;
}
