/*
 * The state-file store (no Redis configured): PREFIX/state/keys.json holds
 * keys, teams, lifetime and per-day spend and the drain marks; every change
 * rewrites it atomically (temporary file, fsync, rename, fsync of the
 * directory) with mode 0600.  Spend and marks are in the same file, so a
 * drained batch is durable exactly when its marks are.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg_file.h"
#include "ctl_log.h"
#include "keys_util.h"
#include "store_api.h"

#define DAYS_KEPT  400

typedef struct {
    store_t   base;
    char     *path;
} store_file_t;

int
store_file_read(const char *path, keys_db_t *db, char *err, size_t size)
{
    json_error_t   jerr;
    json_t        *doc, *v;
    char          *text;
    int            e;

    text = cfg_read_file(path, NULL, &e);
    if (text == NULL) {
        if (e == ENOENT) {
            return 0;                   /* a fresh store */
        }
        snprintf(err, size, "cannot read %s: %s", path, strerror(e));
        return -1;
    }
    doc = json_loads(text, 0, &jerr);
    free(text);
    if (!json_is_object(doc)) {
        snprintf(err, size, "%s: line %d: %s", path, jerr.line, jerr.text);
        json_decref(doc);
        return -1;
    }

#define TAKE(field)                                                           \
    v = json_object_get(doc, #field);                                         \
    if (json_is_object(v)) {                                                  \
        json_decref(db->field);                                               \
        db->field = json_incref(v);                                           \
    }
    TAKE(keys)
    TAKE(teams)
    TAKE(spend)
    TAKE(days)
    TAKE(marks)
#undef TAKE

    json_decref(doc);
    return 0;
}

/* Days older than DAYS_KEPT are dropped on write. */
static void
prune_days(json_t *days)
{
    char         oldest[11];
    const char  *day;
    json_t      *v;
    void        *tmp;

    keys_day((int64_t) time(NULL) - (int64_t) DAYS_KEPT * 86400, oldest);
    json_object_foreach_safe(days, tmp, day, v) {
        if (strcmp(day, oldest) < 0) {
            json_object_del(days, day);
        }
    }
}

int
store_file_write(const char *path, const keys_db_t *db)
{
    json_t  *doc;
    char    *text;
    int      rc;

    prune_days(db->days);
    doc = json_pack("{s:i, s:O, s:O, s:O, s:O, s:O}", "version", 1,
                    "keys", db->keys, "teams", db->teams, "spend", db->spend,
                    "days", db->days, "marks", db->marks);
    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    rc = cfg_write_file_atomic(path, text, strlen(text), 0600);
    free(text);
    return rc;
}

static int
save(store_t *s, keys_state_t *st)
{
    store_file_t  *f = (store_file_t *) s;

    if (store_file_write(f->path, &st->db) != 0) {
        ctl_log("cannot write %s: %s", f->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int
file_load(store_t *s, keys_state_t *st, char *err, size_t size)
{
    return store_file_read(((store_file_t *) s)->path, &st->db, err, size);
}

static int
file_put(store_t *s, keys_state_t *st, const char *id)
{
    return save(s, st);
}

/* The service has moved record and spend to the new token already. */
static int
file_rename(store_t *s, keys_state_t *st, const char *old_token,
    const char *new_token)
{
    return save(s, st);
}

static json_t *
file_load_marks(store_t *s, keys_state_t *st, const char *epoch)
{
    json_t  *m = json_object_get(st->db.marks, epoch);

    return m != NULL ? json_deep_copy(m) : json_object();
}

static int
file_flush(store_t *s, keys_state_t *st, const usage_batch_t *b,
    const char *day)
{
    keys_db_t  before;

    memset(&before, 0, sizeof(before));
    keys_db_copy(&before, &st->db);

    keys_db_apply_batch(&st->db, st->usage.epoch, day, b);
    if (save(s, st) != 0) {
        keys_db_free(&st->db);
        st->db = before;
        return -1;
    }
    keys_db_free(&before);
    usage_commit(&st->usage, b);
    return 0;
}

static int
file_reset_budget(store_t *s, keys_state_t *st, const char *kind,
    const char *id, int64_t expected, int64_t next)
{
    json_t          *rec, *old;
    usage_counts_t   life;

    rec = json_object_get(strcmp(kind, "key") == 0 ? st->db.keys
                                                   : st->db.teams, id);
    if (rec == NULL || keys_rec_int(rec, "budget_reset_at", 0) != expected) {
        return 0;
    }
    old = json_deep_copy(rec);
    keys_db_lifetime(&st->db, kind, id, &life);
    json_object_set_new(rec, "spend_base_micros", json_integer(life.spend));
    json_object_set_new(rec, "budget_reset_at", json_integer(next));
    if (save(s, st) != 0) {
        json_object_update(rec, old);
        json_decref(old);
        return -1;
    }
    json_decref(old);
    return 1;
}

static int
file_poll(store_t *s, keys_state_t *st)
{
    return 0;                           /* nobody else writes the file */
}

static int
file_refresh_spend(store_t *s, keys_state_t *st)
{
    return 0;
}

static json_t *
file_report(store_t *s, keys_state_t *st, int days)
{
    json_t      *recent = json_object(), *v;
    const char  *day;
    char         oldest[11];

    keys_day((int64_t) time(NULL) - (int64_t) (days - 1) * 86400, oldest);
    json_object_foreach(st->db.days, day, v) {
        if (strcmp(day, oldest) >= 0) {
            json_object_set(recent, day, v);
        }
    }
    return json_pack("{s:O, s:o}", "lifetime", st->db.spend, "days", recent);
}

/* One node only: there are no other nodes' windows to share. */
static json_t *
file_rates(store_t *s, int64_t minute, const rates_list_t *incs)
{
    return NULL;
}

static int
file_replace(store_t *s, keys_state_t *st)
{
    return save(s, st);
}

static int
file_available(store_t *s)
{
    return 1;
}

static void
file_destroy(store_t *s)
{
    store_file_t  *f = (store_file_t *) s;

    free(f->path);
    free(f);
}

store_t *
store_file_create(const char *path)
{
    store_file_t  *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        abort();
    }
    f->path = strdup(path);
    f->base.name = "file";
    f->base.load = file_load;
    f->base.put_key = file_put;
    f->base.del_key = file_put;
    f->base.rename_key = file_rename;
    f->base.put_team = file_put;
    f->base.del_team = file_put;
    f->base.load_marks = file_load_marks;
    f->base.flush = file_flush;
    f->base.reset_budget = file_reset_budget;
    f->base.poll = file_poll;
    f->base.refresh_spend = file_refresh_spend;
    f->base.report = file_report;
    f->base.rates = file_rates;
    f->base.replace = file_replace;
    f->base.available = file_available;
    f->base.destroy = file_destroy;
    return &f->base;
}
