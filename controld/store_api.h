/*
 * Where keys, teams and spend live durably: Redis (shared by every gateway
 * node; store_redis.c) or a local state file (store_file.c).  The service
 * (keys_service.c) changes its in-memory copy first and then asks the store
 * to make the change durable; if that fails it undoes the change.
 */

#ifndef STORE_API_H
#define STORE_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keys_db.h"
#include "usage_drain.h"
#include "usage_rates.h"

/* What the store works on: the table and the drain watermarks. */
typedef struct {
    keys_db_t       db;
    usage_state_t   usage;
} keys_state_t;

/* poll() results */
#define STORE_RECORDS_CHANGED  1        /* keys/teams changed elsewhere */
#define STORE_SPEND_CHANGED    2        /* spend changed elsewhere */
#define STORE_RECONNECTED      4        /* back after an outage: reload */

typedef struct store_s  store_t;

struct store_s {
    const char  *name;                  /* "redis" or "file" */

    /* Replace st->db's keys, teams and spend with the stored ones. */
    int     (*load)(store_t *s, keys_state_t *st, char *err, size_t size);

    /* Durably write / remove one record as it is in st->db now. */
    int     (*put_key)(store_t *s, keys_state_t *st, const char *token);
    int     (*del_key)(store_t *s, keys_state_t *st, const char *token);
    int     (*rename_key)(store_t *s, keys_state_t *st, const char *old_token,
                const char *new_token);
    int     (*put_team)(store_t *s, keys_state_t *st, const char *team_id);
    int     (*del_team)(store_t *s, keys_state_t *st, const char *team_id);

    /* The durable marks of `epoch` (kind -> id -> [4]); NULL when the
     * store cannot answer now.  New reference. */
    json_t *(*load_marks)(store_t *s, keys_state_t *st, const char *epoch);

    /*
     * Make a drained batch durable together with its marks; on success
     * update st->db's lifetime spend and st->usage's marks.  `day` is the
     * UTC day the usage is booked on.
     */
    int     (*flush)(store_t *s, keys_state_t *st, const usage_batch_t *b,
                const char *day);

    /*
     * Budget reset of a key or team ("key"/"team"), only if its stored
     * budget_reset_at is still `expected`: spend_base = lifetime spend,
     * budget_reset_at = next.  Updates the record in st->db.  Returns 1
     * when reset, 0 when someone else did it first (reload), -1 on error.
     */
    int     (*reset_budget)(store_t *s, keys_state_t *st, const char *kind,
                const char *id, int64_t expected, int64_t next);

    /* Called every second: reconnects, notices other nodes' changes.
     * Returns STORE_* bits, or -1 while the store is unreachable. */
    int     (*poll)(store_t *s, keys_state_t *st);

    /* Re-read lifetime spend of every key and team. */
    int     (*refresh_spend)(store_t *s, keys_state_t *st);

    /*
     * Spend for reports: {"lifetime": kind -> id -> [4], "days": day ->
     * kind -> id -> [4]} with kinds key, team, model, deployment; at most
     * `days` most recent days.  NULL on error.
     */
    json_t *(*report)(store_t *s, keys_state_t *st, int days);

    /*
     * Shared rate windows (usage_rates.h): add this node's increments to
     * the cluster counters of `minute` (kept RATES_TTL_S) and read back
     * that minute's totals, kind -> id -> [requests, tokens], in one round
     * trip.  NULL when the store is not shared (state file) or is
     * unreachable: then the increments count as not added (they are only
     * good for this minute, so nothing is queued).  New reference.
     */
    json_t *(*rates)(store_t *s, int64_t minute, const rates_list_t *incs);

    /*
     * Make st->db's keys, teams and lifetime spend the whole stored
     * content (restore of a backup, purge): records and spend the store
     * has but st->db lacks are removed.  0 on success.
     */
    int     (*replace)(store_t *s, keys_state_t *st);

    /* 1 if writes can succeed now. */
    int     (*available)(store_t *s);

    void    (*destroy)(store_t *s);
};

/* The state-file store: everything in one JSON file, rewritten atomically
 * (0600, fsync) after every change. */
store_t *store_file_create(const char *path);

/* Read/write the file format (also the Redis store's local cache). */
int store_file_read(const char *path, keys_db_t *db, char *err, size_t size);
int store_file_write(const char *path, const keys_db_t *db);

typedef struct {
    char  *host;
    int    port;
    char  *password;                    /* NULL: no AUTH */
    int    db;
    char  *cache_path;                  /* local copy for a cold start
                                           while Redis is down; may be NULL */
} store_redis_config_t;

store_t *store_redis_create(const store_redis_config_t *cfg);

#endif
