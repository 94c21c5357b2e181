/*
 * The price table shipped as data (conf/llm_prices.json): per-token USD
 * prices of common models, used for deployments whose config names none.
 * The entries use LiteLLM's field names (input_cost_per_token, ...).
 */

#ifndef LLM_PRICES_H
#define LLM_PRICES_H

#include <jansson.h>


/*
 * The entry for a provider-side model name: the exact name, else the name
 * after its last '/' (openrouter/anthropic/x -> x), else the longest entry
 * that is a prefix followed by '-' (dated versions: gpt-4o-2024-08-06).
 * NULL when the table has none.
 */
const json_t *llm_price_entry(const json_t *table, const char *model);

#endif /* LLM_PRICES_H */
