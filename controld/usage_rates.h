/*
 * Rate limits shared by the gateway nodes of one Redis.  The module counts
 * a key's / team's requests and tokens of the current minute in its own
 * zone only; with several nodes each would admit rpm_limit per minute.  So
 * after every drain controld adds this node's increments (from the
 * module's monotonic `requests` and `prompt_tokens + completion_tokens`
 * counters in GET /_llm/usage) to cluster counters of the current minute
 * in Redis, reads the minute's cluster totals back, subtracts what this
 * node itself added, and posts the rest, "what the other nodes did this
 * minute", to the module (POST /_llm/rates), which counts it on top of
 * its own window.  Pure bookkeeping here; the Redis I/O is the store's
 * rates() operation, the HTTP is keys_service.c's.
 *
 * Shared are the windows of ids with a limit: keys and teams with an
 * rpm_limit or tpm_limit, and keys' per-model windows ("model" kind, by
 * the digest of the module's slot: SHA-256 hex of "model:<token>:<model>")
 * for every model in model_rpm_limit / model_tpm_limit.
 */

#ifndef USAGE_RATES_H
#define USAGE_RATES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keys_db.h"

/* "key" (token), "team" (id), "model" (slot digest). */
#define RATES_KINDS  3
extern const char *const  rates_kinds[RATES_KINDS];

/* Redis keeps a minute's counters this long (s): the minute plus slack. */
#define RATES_TTL_S  120

typedef struct {
    const char  *kind;                  /* one of rates_kinds */
    char        *id;
    int64_t      requests;
    int64_t      tokens;
} rates_entry_t;

typedef struct {
    rates_entry_t  *items;
    size_t          count;
} rates_list_t;

typedef struct {
    char     *epoch;                    /* the module epoch `last` is of */
    json_t   *last;                     /* kind -> id -> [requests, tokens]
                                           module counters last seen */
    int64_t   minute;                   /* the minute `added` is of */
    json_t   *added;                    /* kind -> id -> [requests, tokens]
                                           this node added in `minute` */
    char     *posted;                   /* last document nginx accepted */
} usage_rates_t;

void usage_rates_init(usage_rates_t *r);
void usage_rates_free(usage_rates_t *r);

/* The ids whose windows are shared: kind -> id -> true.  New reference. */
json_t *usage_rates_limited(const keys_db_t *db);

/* The module's slot digest of one key's traffic to one model. */
void usage_rates_model_id(const char *token, const char *model,
    char out[65]);

/*
 * Take one GET /_llm/usage answer: the increments since the previous one
 * of every id in `limited`.  The first answer, and the first of a new
 * epoch (nginx restarted), only set the watermarks: a jump in the
 * counters is not this minute's traffic.  An id first seen within an
 * epoch counts from 0 (its slot began at 0).  Every id's watermark moves,
 * limited or not, so a limit set later does not count its past.  -1 if
 * the answer is unusable (nothing changes).
 */
int usage_rates_observe(usage_rates_t *r, const json_t *answer,
    const json_t *limited, rates_list_t *incs);

/* The store added `incs` to the cluster counters of `minute`. */
void usage_rates_commit(usage_rates_t *r, int64_t minute,
    const rates_list_t *incs);

/*
 * The POST /_llm/rates document: for every limited id in `totals` (the
 * cluster counters of `minute`, kind -> id -> [requests, tokens]) what
 * the other nodes did, the totals minus this node's share.  New reference.
 */
json_t *usage_rates_others(const usage_rates_t *r, int64_t minute,
    const json_t *totals, const json_t *limited);

void rates_list_free(rates_list_t *l);

#endif
