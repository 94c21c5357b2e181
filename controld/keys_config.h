/*
 * Keys and teams declared in config.yaml, for setups managed as code:
 *
 *   general_settings:
 *     teams:
 *       - team_id: research          # required
 *         team_alias: Research
 *         max_budget: 100            # USD
 *         budget_duration: 30d
 *         models: [gpt-4o]
 *         tpm_limit: 100000
 *     keys:
 *       - key: os.environ/CI_KEY     # required; "sk-..." (or from the env)
 *         key_alias: ci
 *         team_id: research
 *         max_budget: 5
 *         rpm_limit: 60
 *
 * Field names are the management API's (LiteLLM's).  Only the SHA-256 of
 * each key is kept.
 */

#ifndef KEYS_CONFIG_H
#define KEYS_CONFIG_H

#include <jansson.h>

#include "cfg_diag.h"

/*
 * Read the declarations.  *keys = {token: fields (with key_name)}, *teams =
 * {team_id: fields}; both empty objects when nothing is declared.
 * Problems are added to diag ("file:line:col: error: ..."); returns -1 if
 * there were errors (then *keys and *teams are NULL).
 */
int keys_config_load(const char *config_path, const char *env_path,
    json_t **keys, json_t **teams, cfg_diag_t *diag);

#endif
