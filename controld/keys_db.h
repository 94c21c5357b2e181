/*
 * The key table as controld holds it in memory: virtual keys by token
 * (SHA-256 hex of the key), teams by id, and spend.  Records are JSON
 * objects with the stored field names (money in integer micro-dollars,
 * times in unix seconds):
 *
 *   key:  token key_name key_alias models max_budget_micros
 *         budget_duration budget_reset_at spend_base_micros tpm_limit
 *         rpm_limit max_parallel_requests model_rpm_limit model_tpm_limit
 *         expires metadata team_id user_id blocked created_at updated_at
 *         source ("api" | "config")
 *   team: team_id team_alias models max_budget_micros budget_duration
 *         budget_reset_at spend_base_micros tpm_limit rpm_limit
 *         max_parallel_requests metadata blocked created_at updated_at source
 *
 * Spend is lifetime and only grows; the spend of the current budget period
 * is lifetime - spend_base_micros (a reset moves the base up).
 */

#ifndef KEYS_DB_H
#define KEYS_DB_H

#include <stdint.h>

#include <jansson.h>

#include "usage_drain.h"

typedef struct {
    json_t  *keys;          /* token -> record */
    json_t  *teams;         /* team_id -> record */
    json_t  *spend;         /* "key"|"team"|"model"|"deployment" -> id ->
                               [spend_micros, prompt, completion, requests] */
    json_t  *days;          /* "YYYY-MM-DD" -> kind -> id -> [4]
                               (state-file store; Redis keeps its own) */
    json_t  *marks;         /* epoch -> kind -> id -> [4] (state file) */
} keys_db_t;

void keys_db_init(keys_db_t *db);
void keys_db_free(keys_db_t *db);
/* Replace *dst's contents by a deep copy of src. */
void keys_db_copy(keys_db_t *dst, const keys_db_t *src);

/* Lifetime counters of one entity (zeros when unknown). */
void keys_db_lifetime(const keys_db_t *db, const char *kind, const char *id,
    usage_counts_t *out);
void keys_db_set_lifetime(keys_db_t *db, const char *kind, const char *id,
    const usage_counts_t *c);

/* Spend in the current budget period of a key or team record. */
int64_t keys_db_period_spend(const keys_db_t *db, const char *kind,
    const char *id, const json_t *rec);

/*
 * Add a drained batch (state-file store): lifetime spend per key, team,
 * deployment and model group, the same per `day`, and the new marks of
 * `epoch` (older epochs' marks are dropped).
 */
void keys_db_apply_batch(keys_db_t *db, const char *epoch, const char *day,
    const usage_batch_t *b);

/*
 * The document for POST /_llm/keys (docs/keys-and-budgets.md): every key
 * and team with its limits and its period spend.  The spend includes this
 * node's drained-but-not-yet-durable usage (seen - marks), so it contains
 * exactly the module's counters as last seen; local_base_micros says how
 * much of the module's own spend counter (of `usage->epoch`) that is.
 * usage may be NULL (no module answer yet).
 */
json_t *keys_db_publish_doc(const keys_db_t *db, const usage_state_t *usage);

/* Integer field of a record; `dflt` when absent or null. */
int64_t keys_rec_int(const json_t *rec, const char *name, int64_t dflt);

/* obj[name], created as an empty object when missing. */
json_t *keys_db_child(json_t *obj, const char *name);

#endif
