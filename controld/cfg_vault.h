/*
 * HashiCorp Vault as a secret source (general_settings.key_management_system:
 * hashicorp_vault): KV v2 reads over Vault's HTTP API with libcurl, token or
 * AppRole auth, TLS with a CA file.  Used by the config compiler only (on
 * start, reload and the refresh interval), never on the request path; the
 * refresh reads on a thread of its own (cfg_vault_prefetch_start).
 *
 * The client outlives one compile: what a path read last time is kept, so
 * when Vault cannot be reached the last good secrets stay in force and the
 * status says so.  Secret values are never put in an error or the status.
 */

#ifndef CFG_VAULT_H
#define CFG_VAULT_H

#include <jansson.h>

#include "cfg_env.h"

typedef struct cfg_vault_s cfg_vault_t;

cfg_vault_t *cfg_vault_create(void);
void cfg_vault_free(cfg_vault_t *v);

/*
 * A new round (one compile): connection settings are read again from the
 * environment (VAULT_ADDR or HCP_VAULT_ADDR, VAULT_TOKEN or HCP_VAULT_TOKEN,
 * VAULT_NAMESPACE, VAULT_CACERT, VAULT_ROLE_ID/VAULT_SECRET_ID for AppRole)
 * and each path is read from Vault at most once in it.
 */
void cfg_vault_begin(cfg_vault_t *v, const cfg_env_t *env);

/*
 * The secret "MOUNT/PATH#FIELD" (KV v2: GET /v1/MOUNT/data/PATH).  Returns
 * 1 with *value set (valid until the next round), 0 when Vault says there
 * is no such secret or field, -1 with err set when it could not be read and
 * no earlier value is known.
 */
int cfg_vault_get(cfg_vault_t *v, const char *ref, const char **value,
    char *err, size_t errlen);

/* {"addr","auth","reachable","error","stale_paths"}: no secret in it. */
json_t *cfg_vault_status(const cfg_vault_t *v);

/* 1 when anything was asked of Vault in the round (so it is in use). */
int cfg_vault_used(const cfg_vault_t *v);

/*
 * The periodic refresh without waiting for Vault: start reads the paths of
 * the last round again on a thread and returns a descriptor that becomes
 * readable when it is done (-1: nothing to read, or a read in flight).
 * finish takes the results over; it returns 1 when the next round (the
 * refresh's compile) is to use them without asking Vault, 0 when a newer
 * round has begun meanwhile and they were dropped.
 */
int cfg_vault_prefetch_start(cfg_vault_t *v);
int cfg_vault_prefetch_fd(const cfg_vault_t *v);
int cfg_vault_prefetch_finish(cfg_vault_t *v);

#endif
