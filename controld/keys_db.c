/* In-memory key table (see keys_db.h). */

#include <stdlib.h>
#include <string.h>

#include "keys_db.h"

void
keys_db_init(keys_db_t *db)
{
    db->keys = json_object();
    db->teams = json_object();
    db->spend = json_object();
    db->days = json_object();
    db->marks = json_object();
}

void
keys_db_free(keys_db_t *db)
{
    json_decref(db->keys);
    json_decref(db->teams);
    json_decref(db->spend);
    json_decref(db->days);
    json_decref(db->marks);
    memset(db, 0, sizeof(*db));
}

void
keys_db_copy(keys_db_t *dst, const keys_db_t *src)
{
    keys_db_free(dst);
    dst->keys = json_deep_copy(src->keys);
    dst->teams = json_deep_copy(src->teams);
    dst->spend = json_deep_copy(src->spend);
    dst->days = json_deep_copy(src->days);
    dst->marks = json_deep_copy(src->marks);
}

int64_t
keys_rec_int(const json_t *rec, const char *name, int64_t dflt)
{
    json_t  *v = json_object_get(rec, name);

    if (json_is_integer(v)) {
        return json_integer_value(v);
    }
    if (json_is_real(v)) {
        return (int64_t) json_real_value(v);
    }
    return dflt;
}

void
keys_db_lifetime(const keys_db_t *db, const char *kind, const char *id,
    usage_counts_t *out)
{
    usage_counts_from_json(json_object_get(json_object_get(db->spend, kind),
                                           id), out);
}

/* obj[name], created as an empty object when missing. */
json_t *
keys_db_child(json_t *obj, const char *name)
{
    json_t  *v = json_object_get(obj, name);

    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, name, v);
    }
    return v;
}

void
keys_db_set_lifetime(keys_db_t *db, const char *kind, const char *id,
    const usage_counts_t *c)
{
    json_object_set_new(keys_db_child(db->spend, kind), id, usage_counts_json(c));
}

int64_t
keys_db_period_spend(const keys_db_t *db, const char *kind, const char *id,
    const json_t *rec)
{
    usage_counts_t  c;
    int64_t         s;

    keys_db_lifetime(db, kind, id, &c);
    s = c.spend - keys_rec_int(rec, "spend_base_micros", 0);
    return s > 0 ? s : 0;
}

/* counts[kind][id] += d */
static void
add_counts(json_t *counts, const char *kind, const char *id,
    const usage_counts_t *d)
{
    json_t          *map = keys_db_child(counts, kind);
    usage_counts_t   c;

    usage_counts_from_json(json_object_get(map, id), &c);
    c.spend += d->spend;
    c.prompt += d->prompt;
    c.completion += d->completion;
    c.requests += d->requests;
    json_object_set_new(map, id, usage_counts_json(&c));
}

void
keys_db_apply_batch(keys_db_t *db, const char *epoch, const char *day,
    const usage_batch_t *b)
{
    json_t             *marks, *today, *kind_marks;
    const char         *name;
    void               *tmp;
    json_t             *v;
    size_t              i;
    const usage_entry_t *e;

    /* Only the current epoch's marks can ever be used again. */
    json_object_foreach_safe(db->marks, tmp, name, v) {
        if (strcmp(name, epoch) != 0) {
            json_object_del(db->marks, name);
        }
    }
    marks = keys_db_child(db->marks, epoch);
    today = keys_db_child(db->days, day);

    for (i = 0; i < b->count; i++) {
        e = &b->items[i];
        add_counts(db->spend, e->kind, e->id, &e->delta);
        add_counts(today, e->kind, e->id, &e->delta);
        if (e->group != NULL) {
            add_counts(db->spend, "model", e->group, &e->delta);
            add_counts(today, "model", e->group, &e->delta);
        }
        kind_marks = keys_db_child(marks, e->kind);
        json_object_set_new(kind_marks, e->id, usage_counts_json(&e->new_mark));
    }
}

/* A limit for the module: a positive integer, or 0 for "none". */
static json_t *
limit(const json_t *rec, const char *name)
{
    int64_t  v = keys_rec_int(rec, name, 0);

    return json_integer(v > 0 ? v : 0);
}

static json_t *
budget(const json_t *rec)
{
    json_t  *v = json_object_get(rec, "max_budget_micros");

    return json_is_integer(v) ? json_integer(json_integer_value(v))
                              : json_null();
}

static json_t *
models(const json_t *rec)
{
    json_t  *v = json_object_get(rec, "models");

    return json_is_array(v) ? json_deep_copy(v) : json_array();
}

static json_t *
object_or_empty(const json_t *rec, const char *name)
{
    json_t  *v = json_object_get(rec, name);

    return json_is_object(v) ? json_deep_copy(v) : json_object();
}

/* counts of usage->seen / usage->marks for one entity. */
static void
seen_and_mark(const usage_state_t *usage, const char *kind, const char *id,
    usage_counts_t *seen, usage_counts_t *mark)
{
    memset(seen, 0, sizeof(*seen));
    memset(mark, 0, sizeof(*mark));
    if (usage == NULL) {
        return;
    }
    usage_counts_from_json(json_object_get(json_object_get(usage->seen, kind),
                                           id), seen);
    if (usage->marks_loaded) {
        usage_counts_from_json(json_object_get(json_object_get(usage->marks,
                                                               kind), id),
                               mark);
    } else {
        *mark = *seen;          /* unknown: count nothing twice */
    }
}

/* spend_micros and local_base_micros of one entity. */
static void
spend_fields(const keys_db_t *db, const usage_state_t *usage,
    const char *kind, const char *id, const json_t *rec, json_int_t *spend,
    json_int_t *base)
{
    usage_counts_t  seen, mark;

    seen_and_mark(usage, kind, id, &seen, &mark);
    *spend = keys_db_period_spend(db, kind, id, rec)
             + (seen.spend > mark.spend ? seen.spend - mark.spend : 0);
    *base = seen.spend;
}

json_t *
keys_db_publish_doc(const keys_db_t *db, const usage_state_t *usage)
{
    json_t      *doc, *keys, *teams, *rec, *o;
    const char  *id, *team;
    json_int_t   spend, base;

    keys = json_array();
    teams = json_array();

    json_object_foreach(db->keys, id, rec) {
        team = json_string_value(json_object_get(rec, "team_id"));
        spend_fields(db, usage, "key", id, rec, &spend, &base);
        o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:o,"
                      " s:o, s:o, s:I, s:b, s:o}",
            "token", id,
            "alias", json_is_string(json_object_get(rec, "key_alias"))
                     ? json_deep_copy(json_object_get(rec, "key_alias"))
                     : json_null(),
            "models", models(rec),
            "team_id", team ? json_string(team) : json_null(),
            "max_budget_micros", budget(rec),
            "spend_micros", spend,
            "budget_reset_at",
            (json_int_t) keys_rec_int(rec, "budget_reset_at", 0),
            "tpm_limit", limit(rec, "tpm_limit"),
            "rpm_limit", limit(rec, "rpm_limit"),
            "max_parallel_requests", limit(rec, "max_parallel_requests"),
            "model_rpm_limit", object_or_empty(rec, "model_rpm_limit"),
            "model_tpm_limit", object_or_empty(rec, "model_tpm_limit"),
            "expires", (json_int_t) keys_rec_int(rec, "expires", 0),
            "blocked", json_is_true(json_object_get(rec, "blocked")),
            "local_base_micros", json_integer(base));
        json_array_append_new(keys, o);
    }

    json_object_foreach(db->teams, id, rec) {
        spend_fields(db, usage, "team", id, rec, &spend, &base);
        o = json_pack("{s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:b, s:o}",
            "team_id", id,
            "models", models(rec),
            "max_budget_micros", budget(rec),
            "spend_micros", spend,
            "budget_reset_at",
            (json_int_t) keys_rec_int(rec, "budget_reset_at", 0),
            "tpm_limit", limit(rec, "tpm_limit"),
            "rpm_limit", limit(rec, "rpm_limit"),
            "max_parallel_requests", limit(rec, "max_parallel_requests"),
            "blocked", json_is_true(json_object_get(rec, "blocked")),
            "local_base_micros", json_integer(base));
        json_array_append_new(teams, o);
    }

    doc = json_pack("{s:i, s:o, s:o, s:o}", "version", 1,
                    "epoch", usage && usage->epoch ? json_string(usage->epoch)
                                                   : json_null(),
                    "keys", keys, "teams", teams);
    return doc;
}
