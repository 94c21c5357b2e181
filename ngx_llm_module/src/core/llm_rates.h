/*
 * The other gateway nodes' rate windows, as controld publishes them
 * (POST /_llm/rates): for the minute `minute`, how many requests and tokens
 * every other node that shares the Redis store counted per key, team and
 * key-and-model.  The module adds them to its own minute window when it
 * checks rpm/tpm limits, so a limit holds for the cluster, not per node.
 *
 *   {"minute": 29530000,
 *    "keys":   {"<token hex>": [requests, tokens]},
 *    "teams":  {"<team id>": [requests, tokens]},
 *    "models": {"<model slot digest hex>": [requests, tokens]}}
 *
 * A model slot digest is SHA-256 of "model:<token hex>:<model name>" (the
 * module's slot for one key's traffic to one model with a limit; controld
 * computes the same digest).
 */

#ifndef LLM_RATES_H
#define LLM_RATES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


typedef enum {
    LLM_RATES_KEY = 0,
    LLM_RATES_TEAM,
    LLM_RATES_MODEL
} llm_rates_kind_e;


typedef struct {
    llm_rates_kind_e   kind;
    unsigned char      digest[32];       /* keys and models */
    const char        *team;             /* teams: the id */
    uint64_t           requests;
    uint64_t           tokens;
} llm_rates_entry_t;


typedef struct {
    json_t             *root;            /* owns the team ids */
    uint64_t            minute;          /* unix time / 60 */
    llm_rates_entry_t  *entries;
    size_t              nentries;
} llm_rates_t;


/* NULL with err set when the document does not have the shape above. */
llm_rates_t *llm_rates_parse(const char *json, size_t len, char *err,
    size_t errlen);
void llm_rates_free(llm_rates_t *rates);

#endif /* LLM_RATES_H */
