/*
 * Draining the module's usage counters.  GET /_llm/usage answers monotonic
 * counters per key, team and deployment since the zone was created (its
 * "epoch").  controld keeps two watermarks per counter for the current
 * epoch: `seen` (the last answer) and `marks` (what the store has made
 * durable).  The pending deltas are seen - marks; the store applies a
 * batch together with the new marks, atomically, so a crash of controld
 * at any point neither loses nor double-counts usage: after a restart the
 * marks come back from the store and the module's counters are re-read.
 */

#ifndef USAGE_DRAIN_H
#define USAGE_DRAIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct {
    int64_t  spend;                     /* micro-dollars */
    int64_t  prompt;
    int64_t  completion;
    int64_t  requests;
} usage_counts_t;

/* "key" (by token), "team" (by id), "deployment" (by id). */
#define USAGE_KINDS  3
extern const char *const  usage_kinds[USAGE_KINDS];

typedef struct {
    char     *epoch;                    /* NULL until the first answer */
    json_t   *seen;                     /* kind -> id -> [s,p,c,r] */
    json_t   *marks;                    /* kind -> id -> [s,p,c,r] */
    int       marks_loaded;             /* marks for `epoch` came back */
} usage_state_t;

typedef struct {
    const char      *kind;
    char            *id;
    char            *group;             /* deployments: their model group */
    usage_counts_t   old_mark;
    usage_counts_t   new_mark;
    int              had_mark;          /* old_mark existed in the store */
    usage_counts_t   delta;
} usage_entry_t;

typedef struct {
    usage_entry_t   *items;
    size_t           count;
} usage_batch_t;

void usage_state_init(usage_state_t *st);
void usage_state_free(usage_state_t *st);

/*
 * Take one /_llm/usage answer.  Returns 1 when its epoch differs from the
 * current one (seen and marks were cleared: load the marks of the new
 * epoch, then usage_set_marks), 0 otherwise, -1 if the answer is unusable.
 */
int usage_observe(usage_state_t *st, const json_t *answer);

/* The durable marks of the current epoch (kind -> id -> [4]); NULL = none.
 * Takes a reference. */
void usage_set_marks(usage_state_t *st, json_t *marks);

/*
 * Pending deltas (seen != marks).  `groups` maps deployment id -> model
 * group name (NULL or missing: "unknown").  A counter lower than its mark
 * (which a monotonic counter never is) counts from 0.
 */
void usage_pending(const usage_state_t *st, const json_t *groups,
    usage_batch_t *out);

/* The store made these entries durable: marks = new marks. */
void usage_commit(usage_state_t *st, const usage_batch_t *b);

/* One entry's mark as the store keeps it: "s:p:c:r" ("" = none). */
void usage_mark_text(const usage_counts_t *c, int present, char *out,
    size_t size);
int usage_mark_parse(const char *text, usage_counts_t *c);

void usage_batch_free(usage_batch_t *b);

json_t *usage_counts_json(const usage_counts_t *c);
int usage_counts_from_json(const json_t *v, usage_counts_t *c);

#endif
