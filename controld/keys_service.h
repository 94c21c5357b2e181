/*
 * controld's keys service: owns the key table, its store, the drain of the
 * module's usage counters, budget resets and publishing the table to the
 * module (POST /_llm/keys).  Everything runs from controld's loop through
 * keys_service_tick(); the management API (mgmt_*.c) changes the table
 * through the functions below, which make each change durable first.
 */

#ifndef KEYS_SERVICE_H
#define KEYS_SERVICE_H

#include <jansson.h>

#include "keys_fields.h"
#include "store_api.h"
#include "store_resp.h"
#include "usage_rates.h"

#define KEYS_DRAIN_INTERVAL_S    0.5
#define KEYS_POLL_INTERVAL_S     1.0
#define KEYS_PUBLISH_RETRY_S     1.0

typedef struct {
    const char  *admin_socket;          /* the module's admin API */
    const char  *state_path;            /* state file / Redis cache */
    const char  *keys_snapshot;         /* what nginx loads on a cold start */
} keys_service_options_t;

typedef struct {
    keys_state_t   st;
    usage_rates_t  rates;               /* shared rate windows (Redis) */
    store_t       *store;
    resp_sync_t   *responses;           /* stored responses (Responses
                                           API) in the same store */
    char          *admin_socket;
    char          *state_path;
    char          *keys_snapshot;
    char          *redis_desc;          /* "host:port" for messages */
    int            loaded;              /* the table is known */
    int            from_cache;          /* ...from the local cache only */
    char           master_hash[65];     /* "" = no master key */
    json_t        *groups;              /* deployment id -> model group */
    json_t        *config_keys;         /* declared in config.yaml */
    json_t        *config_teams;
    json_t        *config_view;         /* compiled config, secrets masked
                                           (the console's Config page) */
    int            reload_requested;    /* the console asked for a reload */
    char          *switch_to;           /* the console's "apply": a named
                                           config's path, "" for --config */
    const char    *content_dir;         /* named configs; NULL: none */
    json_t        *config_source;       /* {file, base, named, version} */
    /* compiles a config's text without running it: 0 if it would run;
     * its messages appended to `messages`, *view (when not NULL) the
     * result with secrets masked */
    int          (*check_config)(void *arg, const char *name,
                                 const char *text, size_t len,
                                 json_t *messages, json_t **view);
    void          *check_arg;
    const char    *request_log;         /* NULL: none (ctl_reqlog.h) */
    int            config_pending;      /* not yet applied to the store */
    int            dirty;               /* table changed since publish */
    char          *published;           /* last text nginx accepted */
    int            publish_warned;
    int            usage_warned;
    int            rates_warned;
    double         next_drain;
    double         next_poll;
    double         next_publish;
    double         next_cache;
} keys_service_t;

/*
 * Create with the store the compiled config asks for: Redis when
 * settings.redis_host (or $REDIS_HOST) is set, else the state file.
 * `env_lookup` resolves REDIS_* (process env, then .env); may be NULL.
 */
keys_service_t *keys_service_create(const keys_service_options_t *o,
    const json_t *compiled, const char *(*env_lookup)(const char *name,
    void *arg), void *env_arg);

/*
 * At start and after every reload: the master key digest, the deployment
 * -> model group map, and the keys/teams declared in config.yaml (lists of
 * records from keys_config_load; NULL = none).
 */
void keys_service_configure(keys_service_t *svc, const json_t *compiled,
    json_t *config_keys, json_t *config_teams);

/* Run whatever is due; returns seconds until something is due again. */
double keys_service_tick(keys_service_t *svc);

void keys_service_free(keys_service_t *svc);

/* Management helpers: each returns 0, or -1 with err set (503 when the
 * store cannot take writes now).  `before` is the record before the change
 * (a copy; NULL for a new one), restored if the store fails. */
int keys_service_writable(keys_service_t *svc, keys_error_t *err);
int keys_service_save(keys_service_t *svc, keys_kind_t kind, const char *id,
    json_t *before, keys_error_t *err);
int keys_service_delete(keys_service_t *svc, keys_kind_t kind,
    const char *id, keys_error_t *err);
int keys_service_rename_key(keys_service_t *svc, const char *old_token,
    const char *new_token, keys_error_t *err);

/* The table was changed as a whole (keys_restore.c): publish it, cache
 * it. */
void keys_service_changed(keys_service_t *svc);

/* Publish a changed table now (the management API calls it before it
 * answers, so a new key works as soon as its creator hears of it). */
void keys_service_publish_now(keys_service_t *svc);

/* Spend report (see store_api.h report()); falls back to memory. */
json_t *keys_service_report(keys_service_t *svc, int days);

/* Re-base a record so its period spend becomes `micros`. */
void keys_service_set_spend(keys_service_t *svc, keys_kind_t kind,
    const char *id, json_t *rec, int64_t micros);

#endif
