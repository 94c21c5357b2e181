/* /key/... routes of the management API. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys_util.h"
#include "mgmt_int.h"

/* team_id, when set, must name a team. */
static int
check_team(mgmt_call_t *c, const json_t *rec, keys_error_t *err)
{
    const char  *team = json_string_value(json_object_get(rec, "team_id"));

    if (team != NULL
        && json_object_get(c->svc->st.db.teams, team) == NULL)
    {
        return keys_fail(err, 400, "team_id", "team_id: no team \"%.64s\"",
                         team);
    }
    return 0;
}

/* Apply body fields to rec; spend (if given) re-bases the period. */
static int
apply(mgmt_call_t *c, json_t *rec, const char *token, keys_error_t *err)
{
    double  spend = 0;
    int     spend_given = 0;

    if (keys_fields_apply(rec, c->body, KEYS_KIND_KEY, (int64_t) time(NULL),
                          &spend, &spend_given, err) != 0
        || check_team(c, rec, err) != 0)
    {
        return -1;
    }
    if (spend_given) {
        keys_service_set_spend(c->svc, KEYS_KIND_KEY, token, rec,
                               keys_usd_to_micros(spend));
    }
    return 0;
}

/* The generate/regenerate answer: the key in clear, once, plus its info. */
static int
reply_with_key(mgmt_call_t *c, const char *key, const char *token)
{
    json_t  *view = keys_fields_key_view(&c->svc->st.db, token,
                                         json_object_get(c->svc->st.db.keys,
                                                         token));

    json_object_set_new(view, "key", json_string(key));
    json_object_set_new(view, "token_id", json_string(token));
    return mgmt_reply(c, 200, view);
}

/* A custom key from the body, or a fresh one. */
static int
new_key(mgmt_call_t *c, const char *field, char *key, size_t size,
    keys_error_t *err)
{
    const char  *given = json_string_value(json_object_get(c->body, field));

    if (json_object_get(c->body, field) != NULL
        && !json_is_null(json_object_get(c->body, field)))
    {
        if (given == NULL || strncmp(given, "sk-", 3) != 0
            || strlen(given) < 8 || strlen(given) >= size)
        {
            return keys_fail(err, 400, field, "%s must be a string starting "
                             "with \"sk-\" (8 to %zu characters)", field,
                             size - 1);
        }
        snprintf(key, size, "%s", given);
        return 0;
    }
    if (keys_generate(key) != 0) {
        return keys_fail(err, 500, NULL, "the random generator failed");
    }
    return 0;
}

int
mgmt_key_generate(mgmt_call_t *c, keys_error_t *err)
{
    char     key[256], token[65], name[64];
    json_t  *rec;
    int64_t  now = (int64_t) time(NULL);

    if (keys_service_writable(c->svc, err) != 0
        || new_key(c, "key", key, sizeof(key), err) != 0)
    {
        return -1;
    }
    keys_token(key, token);
    if (json_object_get(c->svc->st.db.keys, token) != NULL) {
        return keys_fail(err, 400, "key", "this key already exists");
    }

    keys_name(key, name, sizeof(name));
    rec = json_pack("{s:s, s:s, s:n, s:[], s:n, s:n, s:i, s:i, s:n, s:n,"
                    " s:n, s:{}, s:{}, s:i, s:{}, s:n, s:n, s:b, s:I, s:I,"
                    " s:s}",
                    "token", token, "key_name", name, "key_alias", "models",
                    "max_budget_micros", "budget_duration",
                    "budget_reset_at", 0, "spend_base_micros", 0,
                    "tpm_limit", "rpm_limit", "max_parallel_requests",
                    "model_rpm_limit", "model_tpm_limit", "expires", 0,
                    "metadata", "team_id", "user_id", "blocked", 0,
                    "created_at", (json_int_t) now,
                    "updated_at", (json_int_t) now, "source", "api");
    if (apply(c, rec, token, err) != 0) {
        json_decref(rec);
        return -1;
    }
    json_object_set_new(c->svc->st.db.keys, token, rec);
    if (keys_service_save(c->svc, KEYS_KIND_KEY, token, NULL, err) != 0) {
        return -1;
    }
    reply_with_key(c, key, token);
    memset(key, 0, sizeof(key));
    return 0;
}

/* Find the record named by body.key (or the path), for changes. */
static json_t *
target(mgmt_call_t *c, char token[65], keys_error_t *err)
{
    char    *given = c->tail ? strdup(c->tail) : mgmt_arg(c, "key");
    int      rc;

    rc = mgmt_find_key(c, given, "key", token, err);
    if (given != NULL) {
        memset(given, 0, strlen(given));
    }
    free(given);
    return rc == 0 ? json_object_get(c->svc->st.db.keys, token) : NULL;
}

static int
change(mgmt_call_t *c, keys_error_t *err, int block)
{
    char     token[65];
    json_t  *rec, *before;

    if ((rec = target(c, token, err)) == NULL
        || keys_service_writable(c->svc, err) != 0)
    {
        return -1;
    }
    before = json_deep_copy(rec);
    if (block >= 0) {
        json_object_set_new(rec, "blocked", json_boolean(block));
    } else if (apply(c, rec, token, err) != 0) {
        json_object_update(rec, before);
        json_decref(before);
        return -1;
    }
    json_object_set_new(rec, "updated_at", json_integer(time(NULL)));
    if (keys_service_save(c->svc, KEYS_KIND_KEY, token, before, err) != 0) {
        json_decref(before);
        return -1;
    }
    json_decref(before);
    return mgmt_reply(c, 200, keys_fields_key_view(&c->svc->st.db, token,
                                                   rec));
}

int
mgmt_key_update(mgmt_call_t *c, keys_error_t *err)
{
    return change(c, err, -1);
}

int
mgmt_key_block(mgmt_call_t *c, keys_error_t *err)
{
    return change(c, err, 1);
}

int
mgmt_key_unblock(mgmt_call_t *c, keys_error_t *err)
{
    return change(c, err, 0);
}

int
mgmt_key_delete(mgmt_call_t *c, keys_error_t *err)
{
    json_t      *keys = json_object_get(c->body, "keys");
    json_t      *aliases = json_object_get(c->body, "key_aliases");
    json_t      *tokens = json_object(), *deleted = json_array(), *v, *rec;
    const char  *id, *alias;
    char         token[65];
    size_t       i;
    int          found;

    if (!json_is_array(keys) && !json_is_array(aliases)) {
        json_decref(tokens);
        json_decref(deleted);
        return keys_fail(err, 400, "keys", "give \"keys\": [...] or "
                         "\"key_aliases\": [...]");
    }
    /* Resolve every name first: all or nothing. */
    json_array_foreach(keys, i, v) {
        if (mgmt_find_key(c, json_string_value(v), "keys", token, err) != 0) {
            goto failed;
        }
        json_object_set_new(tokens, token, json_string(json_string_value(v)));
    }
    json_array_foreach(aliases, i, v) {
        alias = json_string_value(v);
        found = 0;
        json_object_foreach(c->svc->st.db.keys, id, rec) {
            if (alias != NULL && json_is_string(json_object_get(rec,
                                                                "key_alias"))
                && strcmp(json_string_value(json_object_get(rec,
                                                            "key_alias")),
                          alias) == 0)
            {
                json_object_set_new(tokens, id, json_string(alias));
                found = 1;
            }
        }
        if (!found) {
            keys_fail(err, 404, "key_aliases", "no key with alias \"%.64s\"",
                      alias ? alias : "");
            goto failed;
        }
    }
    if (keys_service_writable(c->svc, err) != 0) {
        goto failed;
    }
    json_object_foreach(tokens, id, v) {
        if (keys_service_delete(c->svc, KEYS_KIND_KEY, id, err) != 0) {
            goto failed;
        }
        /* LiteLLM echoes what was asked for; a key is echoed as its
         * token, never in clear. */
        json_array_append_new(deleted,
            json_string(strncmp(json_string_value(v), "sk-", 3) == 0
                        ? id : json_string_value(v)));
    }
    json_decref(tokens);
    return mgmt_reply(c, 200, json_pack("{s:o}", "deleted_keys", deleted));

failed:
    json_decref(tokens);
    json_decref(deleted);
    return -1;
}

int
mgmt_key_info(mgmt_call_t *c, keys_error_t *err)
{
    char     token[65], *given = mgmt_arg(c, "key");
    json_t  *rec;
    int      rc;

    rc = mgmt_find_key(c, given, "key", token, err);
    if (rc != 0) {
        free(given);
        return -1;
    }
    rec = json_object_get(c->svc->st.db.keys, token);
    /* "key" echoes the token: the key itself is not repeated back. */
    mgmt_reply(c, 200, json_pack("{s:s, s:o}", "key", token, "info",
                                 keys_fields_key_view(&c->svc->st.db, token,
                                                      rec)));
    memset(given, 0, strlen(given));
    free(given);
    return 0;
}

static int
string_matches(const json_t *rec, const char *field, const char *want)
{
    const char  *v = json_string_value(json_object_get(rec, field));

    return want == NULL || (v != NULL && strcmp(v, want) == 0);
}

static long
int_param(mgmt_call_t *c, const char *name, long dflt, long lo, long hi)
{
    char  *v = http_query_param(c->req, name), *end;
    long   n;

    if (v == NULL) {
        return dflt;
    }
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi) {
        n = -1;
    }
    free(v);
    return n;
}

int
mgmt_key_list(mgmt_call_t *c, keys_error_t *err)
{
    char        *alias = http_query_param(c->req, "key_alias");
    char        *team = http_query_param(c->req, "team_id");
    char        *user = http_query_param(c->req, "user_id");
    char        *full = http_query_param(c->req, "return_full_object");
    long         page = int_param(c, "page", 1, 1, 1000000);
    long         size = int_param(c, "size", 10, 1, 100);
    json_t      *matches = json_array(), *out = json_array(), *rec;
    const char  *id;
    size_t       i, total;
    int          objects = full != NULL && strcmp(full, "true") == 0;

    if (page < 0 || size < 0) {
        free(alias);
        free(team);
        free(user);
        free(full);
        json_decref(matches);
        json_decref(out);
        return keys_fail(err, 400, page < 0 ? "page" : "size", "%s must be "
                         "a number (page >= 1, 1 <= size <= 100)",
                         page < 0 ? "page" : "size");
    }
    json_object_foreach(c->svc->st.db.keys, id, rec) {
        if (string_matches(rec, "key_alias", alias)
            && string_matches(rec, "team_id", team)
            && string_matches(rec, "user_id", user))
        {
            json_array_append_new(matches, json_string(id));
        }
    }
    total = json_array_size(matches);
    for (i = (size_t) ((page - 1) * size);
         i < total && i < (size_t) (page * size); i++)
    {
        id = json_string_value(json_array_get(matches, i));
        json_array_append_new(out, objects
            ? keys_fields_key_view(&c->svc->st.db, id,
                                   json_object_get(c->svc->st.db.keys, id))
            : json_string(id));
    }
    json_decref(matches);
    free(alias);
    free(team);
    free(user);
    free(full);
    return mgmt_reply(c, 200, json_pack("{s:o, s:I, s:I, s:I}", "keys", out,
                                        "total_count", (json_int_t) total,
                                        "current_page", (json_int_t) page,
                                        "total_pages",
                                        (json_int_t) ((total + size - 1)
                                                      / size)));
}

int
mgmt_key_regenerate(mgmt_call_t *c, keys_error_t *err)
{
    char     old_token[65], token[65], key[256], name[64];
    json_t  *rec, *before;

    if ((rec = target(c, old_token, err)) == NULL
        || keys_service_writable(c->svc, err) != 0
        || new_key(c, "new_key", key, sizeof(key), err) != 0)
    {
        return -1;
    }
    keys_token(key, token);
    if (json_object_get(c->svc->st.db.keys, token) != NULL) {
        return keys_fail(err, 400, "new_key", "this key already exists");
    }
    before = json_deep_copy(rec);
    /* Other fields may change in the same call, as in LiteLLM. */
    json_object_del(c->body, "key");
    if (apply(c, rec, old_token, err) != 0) {
        json_object_update(rec, before);
        json_decref(before);
        return -1;
    }
    keys_name(key, name, sizeof(name));
    json_object_set_new(rec, "token", json_string(token));
    json_object_set_new(rec, "key_name", json_string(name));
    json_object_set_new(rec, "updated_at", json_integer(time(NULL)));
    if (keys_service_rename_key(c->svc, old_token, token, err) != 0) {
        json_object_update(rec, before);
        json_decref(before);
        return -1;
    }
    json_decref(before);
    reply_with_key(c, key, token);
    memset(key, 0, sizeof(key));
    return 0;
}
