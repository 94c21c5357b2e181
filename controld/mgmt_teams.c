/* /team/... routes of the management API. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "keys_util.h"
#include "mgmt_int.h"

static int
apply(mgmt_call_t *c, json_t *rec, const char *id, keys_error_t *err)
{
    double  spend = 0;
    int     spend_given = 0;

    if (keys_fields_apply(rec, c->body, KEYS_KIND_TEAM, (int64_t) time(NULL),
                          &spend, &spend_given, err) != 0)
    {
        return -1;
    }
    if (spend_given) {
        keys_service_set_spend(c->svc, KEYS_KIND_TEAM, id, rec,
                               keys_usd_to_micros(spend));
    }
    return 0;
}

/* A random (version 4) UUID, as LiteLLM gives teams without an id. */
static int
uuid4(char out[37])
{
    unsigned char  b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return -1;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
             b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

int
mgmt_team_new(mgmt_call_t *c, keys_error_t *err)
{
    json_t      *given = json_object_get(c->body, "team_id"), *rec;
    char         id[128];
    int64_t      now = (int64_t) time(NULL);

    if (keys_service_writable(c->svc, err) != 0) {
        return -1;
    }
    if (given != NULL && !json_is_null(given)) {
        if (!json_is_string(given) || json_string_length(given) == 0
            || json_string_length(given) >= sizeof(id))
        {
            return keys_fail(err, 400, "team_id", "team_id must be a "
                             "non-empty string (at most %zu characters)",
                             sizeof(id) - 1);
        }
        snprintf(id, sizeof(id), "%s", json_string_value(given));
    } else if (uuid4(id) != 0) {
        return keys_fail(err, 500, NULL, "the random generator failed");
    }
    if (json_object_get(c->svc->st.db.teams, id) != NULL) {
        return keys_fail(err, 400, "team_id", "team_id \"%.64s\" already "
                         "exists", id);
    }

    rec = json_pack("{s:s, s:n, s:[], s:n, s:n, s:i, s:i, s:n, s:n, s:n,"
                    " s:b, s:{}, s:I, s:I, s:s}",
                    "team_id", id, "team_alias", "models",
                    "max_budget_micros", "budget_duration",
                    "budget_reset_at", 0, "spend_base_micros", 0,
                    "tpm_limit", "rpm_limit", "max_parallel_requests",
                    "blocked", 0, "metadata",
                    "created_at", (json_int_t) now,
                    "updated_at", (json_int_t) now, "source", "api");
    if (apply(c, rec, id, err) != 0) {
        json_decref(rec);
        return -1;
    }
    json_object_set_new(c->svc->st.db.teams, id, rec);
    if (keys_service_save(c->svc, KEYS_KIND_TEAM, id, NULL, err) != 0) {
        return -1;
    }
    return mgmt_reply(c, 200, keys_fields_team_view(&c->svc->st.db, id, rec));
}

static json_t *
find_team(mgmt_call_t *c, char **id, keys_error_t *err)
{
    json_t  *rec;

    *id = mgmt_arg(c, "team_id");
    if (*id == NULL || (*id)[0] == '\0') {
        keys_fail(err, 400, "team_id", "team_id is required");
        return NULL;
    }
    rec = json_object_get(c->svc->st.db.teams, *id);
    if (rec == NULL) {
        keys_fail(err, 404, "team_id", "team not found: %.64s", *id);
    }
    return rec;
}

int
mgmt_team_update(mgmt_call_t *c, keys_error_t *err)
{
    char    *id;
    json_t  *rec, *before;
    int      rc = -1;

    rec = find_team(c, &id, err);
    if (rec == NULL || keys_service_writable(c->svc, err) != 0) {
        free(id);
        return -1;
    }
    before = json_deep_copy(rec);
    if (apply(c, rec, id, err) != 0) {
        json_object_update(rec, before);
    } else {
        json_object_set_new(rec, "updated_at", json_integer(time(NULL)));
        if (keys_service_save(c->svc, KEYS_KIND_TEAM, id, before, err) == 0) {
            rc = mgmt_reply(c, 200,
                            keys_fields_team_view(&c->svc->st.db, id, rec));
        }
    }
    json_decref(before);
    free(id);
    return rc;
}

/* Keys of a team, as views. */
static json_t *
team_keys(mgmt_call_t *c, const char *team_id, int views)
{
    json_t      *out = json_array(), *rec;
    const char  *token, *t;

    json_object_foreach(c->svc->st.db.keys, token, rec) {
        t = json_string_value(json_object_get(rec, "team_id"));
        if (t != NULL && strcmp(t, team_id) == 0) {
            json_array_append_new(out, views
                ? keys_fields_key_view(&c->svc->st.db, token, rec)
                : json_string(token));
        }
    }
    return out;
}

/* Deleting a team deletes its keys, as LiteLLM does. */
int
mgmt_team_delete(mgmt_call_t *c, keys_error_t *err)
{
    json_t      *ids = json_object_get(c->body, "team_ids"), *v, *keys;
    json_t      *deleted = json_array();
    const char  *id;
    size_t       i, j, nkeys = 0;

    if (!json_is_array(ids) || json_array_size(ids) == 0) {
        json_decref(deleted);
        return keys_fail(err, 400, "team_ids", "give \"team_ids\": [...]");
    }
    json_array_foreach(ids, i, v) {
        id = json_string_value(v);
        if (id == NULL || json_object_get(c->svc->st.db.teams, id) == NULL) {
            json_decref(deleted);
            return keys_fail(err, 404, "team_ids", "team not found: %.64s",
                             id ? id : "(not a string)");
        }
    }
    if (keys_service_writable(c->svc, err) != 0) {
        json_decref(deleted);
        return -1;
    }
    json_array_foreach(ids, i, v) {
        id = json_string_value(v);
        keys = team_keys(c, id, 0);
        for (j = 0; j < json_array_size(keys); j++) {
            if (keys_service_delete(c->svc, KEYS_KIND_KEY,
                    json_string_value(json_array_get(keys, j)), err) != 0)
            {
                json_decref(keys);
                json_decref(deleted);
                return -1;
            }
            nkeys++;
        }
        json_decref(keys);
        if (keys_service_delete(c->svc, KEYS_KIND_TEAM, id, err) != 0) {
            json_decref(deleted);
            return -1;
        }
        json_array_append_new(deleted, json_string(id));
    }
    return mgmt_reply(c, 200, json_pack("{s:o, s:I}", "deleted_teams",
                                        deleted, "deleted_keys",
                                        (json_int_t) nkeys));
}

int
mgmt_team_info(mgmt_call_t *c, keys_error_t *err)
{
    char    *id;
    json_t  *rec = find_team(c, &id, err);

    if (rec == NULL) {
        free(id);
        return -1;
    }
    mgmt_reply(c, 200, json_pack("{s:s, s:o, s:o}", "team_id", id,
                                 "team_info",
                                 keys_fields_team_view(&c->svc->st.db, id,
                                                       rec),
                                 "keys", team_keys(c, id, 1)));
    free(id);
    return 0;
}

int
mgmt_team_list(mgmt_call_t *c, keys_error_t *err)
{
    json_t      *out = json_array(), *rec, *view;
    const char  *id;

    json_object_foreach(c->svc->st.db.teams, id, rec) {
        view = keys_fields_team_view(&c->svc->st.db, id, rec);
        json_object_set_new(view, "keys", team_keys(c, id, 0));
        json_array_append_new(out, view);
    }
    return mgmt_reply(c, 200, out);
}
