/*
 * The whole key table in and out, for `llmctl backup`, `restore` and
 * `reset --purge-data` (through the management socket only; nginx does
 * not proxy /_ops/).  controld is single-threaded, so a dump is the table
 * as of one instant: no drain or API change runs in the middle of it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_log.h"
#include "keys_restore.h"

json_t *
keys_service_dump(keys_service_t *svc)
{
    return json_pack("{s:i, s:s, s:O, s:O, s:O, s:O}", "version",
                     KEYS_DUMP_VERSION, "store", svc->store->name,
                     "keys", svc->st.db.keys, "teams", svc->st.db.teams,
                     "spend", svc->st.db.spend, "days", svc->st.db.days);
}

static json_t *
member_object(const json_t *state, const char *name, keys_error_t *err)
{
    json_t  *v = json_object_get(state, name);

    if (v == NULL) {
        return json_object();
    }
    if (!json_is_object(v)) {
        keys_fail(err, 400, name, "'%s' must be an object", name);
        return NULL;
    }
    return json_deep_copy(v);
}

/* Records must be objects keyed by their id: a broken file is refused
 * before anything changes. */
static int
check_records(const json_t *table, const char *what, keys_error_t *err)
{
    const char  *id;
    json_t      *rec;

    json_object_foreach((json_t *) table, id, rec) {
        if (!json_is_object(rec) || id[0] == '\0') {
            return keys_fail(err, 400, what, "%s: entry '%.40s' is not a "
                             "record", what, id);
        }
    }
    return 0;
}

int
keys_service_replace(keys_service_t *svc, const json_t *state,
    keys_error_t *err)
{
    json_t      *t[4];
    keys_db_t    before;
    static const char *const  names[] = { "keys", "teams", "spend", "days" };
    size_t       i, j;
    json_int_t   version;

    version = json_integer_value(json_object_get(state, "version"));
    if (!json_is_object(state) || version != KEYS_DUMP_VERSION) {
        return keys_fail(err, 400, "version", "not a key-table dump "
                         "(version %d expected)", KEYS_DUMP_VERSION);
    }
    if (keys_service_writable(svc, err) != 0) {
        return -1;
    }
    for (i = 0; i < 4; i++) {
        t[i] = member_object(state, names[i], err);
        if (t[i] == NULL || (i < 2 && check_records(t[i], names[i], err))) {
            for (j = 0; j <= i; j++) {
                json_decref(t[j]);
            }
            return -1;
        }
    }

    keys_db_init(&before);
    keys_db_copy(&before, &svc->st.db);
    json_decref(svc->st.db.keys);
    json_decref(svc->st.db.teams);
    json_decref(svc->st.db.spend);
    json_decref(svc->st.db.days);
    svc->st.db.keys = t[0];
    svc->st.db.teams = t[1];
    svc->st.db.spend = t[2];
    svc->st.db.days = t[3];

    if (svc->store->replace(svc->store, &svc->st) != 0) {
        keys_db_copy(&svc->st.db, &before);
        keys_db_free(&before);
        /* Put back what was there; a store that failed once may fail
         * again, which the log says. */
        if (svc->store->replace(svc->store, &svc->st) != 0) {
            ctl_log("keys: restore failed and the previous table could not "
                    "be written back to the %s store either",
                    svc->store->name);
        }
        return keys_fail(err, 503, NULL, "the %s store did not take the "
                         "new table; nothing changed", svc->store->name);
    }
    keys_db_free(&before);
    ctl_log("keys: table replaced (%zu keys, %zu teams)",
            json_object_size(svc->st.db.keys),
            json_object_size(svc->st.db.teams));
    keys_service_changed(svc);
    return 0;
}
