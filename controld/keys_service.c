/* The keys service (see keys_service.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_http.h"
#include "ctl_log.h"
#include "cfg_compile.h"
#include "keys_service.h"
#include "cfg_file.h"
#include "keys_util.h"

#define KEYS_URL    "http://localhost/_llm/keys"
#define USAGE_URL   "http://localhost/_llm/usage"
#define RATES_URL   "http://localhost/_llm/rates"
#define CACHE_INTERVAL_S  30.0

static double
mono(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static const char *
kind_name(keys_kind_t kind)
{
    return kind == KEYS_KIND_KEY ? "key" : "team";
}

static json_t *
table(keys_service_t *svc, keys_kind_t kind)
{
    return kind == KEYS_KIND_KEY ? svc->st.db.keys : svc->st.db.teams;
}

static const char *
setting_or_env(const json_t *settings, const char *name, const char *env,
    const char *(*lookup)(const char *, void *), void *arg, char *buf,
    size_t size)
{
    json_t      *v = json_object_get(settings, name);
    const char  *e;

    if (json_is_string(v) && json_string_length(v) > 0) {
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long) json_integer_value(v));
        return buf;
    }
    e = lookup ? lookup(env, arg) : getenv(env);
    return e != NULL && e[0] != '\0' ? e : NULL;
}

/* stored responses without Redis: responses.json beside the state file */
static const char *
responses_path(const char *state_path, char *buf, size_t size)
{
    const char  *slash = strrchr(state_path, '/');

    if (slash == NULL) {
        snprintf(buf, size, "responses.json");
    } else {
        snprintf(buf, size, "%.*s/responses.json",
                 (int) (slash - state_path), state_path);
    }
    return buf;
}

keys_service_t *
keys_service_create(const keys_service_options_t *o, const json_t *compiled,
    const char *(*env_lookup)(const char *, void *), void *env_arg)
{
    keys_service_t        *svc = calloc(1, sizeof(*svc));
    const json_t          *settings = json_object_get(compiled, "settings");
    store_redis_config_t   rc;
    const char            *host, *port, *password, *db;
    char                   pbuf[32], dbuf[32], err[256];
    char                   pbuf_path[4096];

    if (svc == NULL) {
        abort();
    }
    keys_db_init(&svc->st.db);
    usage_state_init(&svc->st.usage);
    usage_rates_init(&svc->rates);
    svc->admin_socket = strdup(o->admin_socket);
    svc->state_path = strdup(o->state_path);
    svc->keys_snapshot = o->keys_snapshot ? strdup(o->keys_snapshot) : NULL;
    svc->groups = json_object();

    host = setting_or_env(settings, "redis_host", "REDIS_HOST", env_lookup,
                          env_arg, NULL, 0);
    if (host != NULL) {
        port = setting_or_env(settings, "redis_port", "REDIS_PORT",
                              env_lookup, env_arg, pbuf, sizeof(pbuf));
        password = setting_or_env(settings, "redis_password",
                                  "REDIS_PASSWORD", env_lookup, env_arg,
                                  NULL, 0);
        db = setting_or_env(settings, "redis_db", "REDIS_DB", env_lookup,
                            env_arg, dbuf, sizeof(dbuf));
        memset(&rc, 0, sizeof(rc));
        rc.host = (char *) host;
        rc.port = port ? atoi(port) : 6379;
        rc.password = (char *) password;
        rc.db = db ? atoi(db) : 0;
        rc.cache_path = svc->state_path;
        svc->store = store_redis_create(&rc);
        svc->redis_desc = malloc(strlen(host) + 16);
        sprintf(svc->redis_desc, "%s:%d", host, rc.port);
        ctl_log("keys: redis store %s (local cache %s)", svc->redis_desc,
                svc->state_path);
    } else {
        svc->store = store_file_create(svc->state_path);
        ctl_log("keys: state file %s", svc->state_path);
    }

    svc->responses = resp_sync_create(svc->redis_desc != NULL
                                      ? resp_store_redis_create(svc->store)
                                      : resp_store_file_create(
                                            responses_path(svc->state_path,
                                                           pbuf_path,
                                                           sizeof(pbuf_path))),
                                      svc->admin_socket);

    if (svc->store->load(svc->store, &svc->st, err, sizeof(err)) == 0) {
        svc->loaded = 1;
        ctl_log("keys: loaded %zu keys, %zu teams",
                json_object_size(svc->st.db.keys),
                json_object_size(svc->st.db.teams));
    } else {
        ctl_log("keys: %s", err);
        if (svc->redis_desc != NULL
            && store_file_read(svc->state_path, &svc->st.db, err,
                               sizeof(err)) == 0
            && access(svc->state_path, F_OK) == 0)
        {
            /* nginx keeps working with the last known keys; writes wait
             * for Redis. */
            svc->loaded = 1;
            svc->from_cache = 1;
            ctl_log("keys: serving %zu keys from the local cache until "
                    "redis answers", json_object_size(svc->st.db.keys));
        }
    }
    svc->dirty = svc->loaded;
    return svc;
}

void
keys_service_free(keys_service_t *svc)
{
    if (svc == NULL) {
        return;
    }
    resp_sync_free(svc->responses);
    svc->store->destroy(svc->store);
    keys_db_free(&svc->st.db);
    usage_state_free(&svc->st.usage);
    usage_rates_free(&svc->rates);
    free(svc->admin_socket);
    free(svc->keys_snapshot);
    free(svc->state_path);
    free(svc->redis_desc);
    free(svc->published);
    json_decref(svc->groups);
    json_decref(svc->config_view);
    json_decref(svc->config_source);
    free(svc->switch_to);
    json_decref(svc->config_keys);
    json_decref(svc->config_teams);
    free(svc);
}

/* A local copy of the Redis table, for a cold start while Redis is down. */
static void
write_cache(keys_service_t *svc)
{
    if (svc->redis_desc == NULL || !svc->loaded || svc->from_cache) {
        return;
    }
    if (store_file_write(svc->state_path, &svc->st.db) != 0) {
        ctl_log("keys: cannot write cache %s: %s", svc->state_path,
                strerror(errno));
    }
    svc->next_cache = mono() + CACHE_INTERVAL_S;
}

int
keys_service_writable(keys_service_t *svc, keys_error_t *err)
{
    if (!svc->loaded || svc->from_cache
        || !svc->store->available(svc->store))
    {
        return keys_fail(err, 503, NULL, "the key store (%s) is unreachable;"
                         " try again", svc->redis_desc ? svc->redis_desc
                                                       : svc->state_path);
    }
    return 0;
}

static void
undo(keys_service_t *svc, keys_kind_t kind, const char *id, json_t *before)
{
    if (before != NULL) {
        json_object_set(table(svc, kind), id, before);
    } else {
        json_object_del(table(svc, kind), id);
    }
}

int
keys_service_save(keys_service_t *svc, keys_kind_t kind, const char *id,
    json_t *before, keys_error_t *err)
{
    int  rc;

    rc = kind == KEYS_KIND_KEY
         ? svc->store->put_key(svc->store, &svc->st, id)
         : svc->store->put_team(svc->store, &svc->st, id);
    if (rc != 0) {
        undo(svc, kind, id, before);
        return keys_fail(err, 503, NULL, "could not store the %s; nothing "
                         "changed", kind_name(kind));
    }
    svc->dirty = 1;
    write_cache(svc);
    return 0;
}

int
keys_service_delete(keys_service_t *svc, keys_kind_t kind, const char *id,
    keys_error_t *err)
{
    json_t  *before = json_incref(json_object_get(table(svc, kind), id));
    int      rc;

    json_object_del(table(svc, kind), id);
    rc = kind == KEYS_KIND_KEY
         ? svc->store->del_key(svc->store, &svc->st, id)
         : svc->store->del_team(svc->store, &svc->st, id);
    if (rc != 0) {
        undo(svc, kind, id, before);
        json_decref(before);
        return keys_fail(err, 503, NULL, "could not delete the %s; nothing "
                         "changed", kind_name(kind));
    }
    json_decref(before);
    svc->dirty = 1;
    write_cache(svc);
    return 0;
}

int
keys_service_rename_key(keys_service_t *svc, const char *old_token,
    const char *new_token, keys_error_t *err)
{
    json_t  *keys = svc->st.db.keys;
    json_t  *spend = json_object_get(svc->st.db.spend, "key");
    json_t  *rec = json_incref(json_object_get(keys, old_token));
    json_t  *life = json_incref(json_object_get(spend, old_token));

    json_object_set(keys, new_token, rec);
    json_object_del(keys, old_token);
    if (life != NULL) {
        json_object_set(spend, new_token, life);
        json_object_del(spend, old_token);
    }
    if (svc->store->rename_key(svc->store, &svc->st, old_token, new_token)
        != 0)
    {
        json_object_del(keys, new_token);
        json_object_set(keys, old_token, rec);
        if (life != NULL) {
            json_object_del(spend, new_token);
            json_object_set(spend, old_token, life);
        }
        json_decref(rec);
        json_decref(life);
        return keys_fail(err, 503, NULL, "could not store the new key; the "
                         "old one stays valid");
    }
    json_decref(rec);
    json_decref(life);
    svc->dirty = 1;
    write_cache(svc);
    return 0;
}

void
keys_service_set_spend(keys_service_t *svc, keys_kind_t kind, const char *id,
    json_t *rec, int64_t micros)
{
    usage_counts_t  life;

    keys_db_lifetime(&svc->st.db, kind_name(kind), id, &life);
    json_object_set_new(rec, "spend_base_micros",
                        json_integer(life.spend - micros));
}

json_t *
keys_service_report(keys_service_t *svc, int days)
{
    json_t  *r = NULL;

    if (svc->store->available(svc->store)) {
        r = svc->store->report(svc->store, &svc->st, days);
    }
    if (r == NULL) {
        r = json_pack("{s:O, s:{}}", "lifetime", svc->st.db.spend, "days");
    }
    return r;
}

/* ---- config-declared keys and teams ------------------------------------ */

/* Upsert one declared record; 1 if it changed, -1 on a store error. */
static int
upsert_declared(keys_service_t *svc, keys_kind_t kind, const char *id,
    const json_t *fields)
{
    json_t        *rec = json_object_get(table(svc, kind), id);
    json_t        *before = rec ? json_deep_copy(rec) : NULL;
    json_t        *fresh = rec ? json_deep_copy(rec) : json_object();
    keys_error_t   err;
    double         spend = 0;
    int            spend_given = 0;
    int64_t        now = (int64_t) time(NULL);

    if (keys_fields_apply(fresh, fields, kind, now, &spend, &spend_given,
                          &err) != 0)
    {
        ctl_log("config: %s %.64s: %s", kind_name(kind),
                kind == KEYS_KIND_KEY ? "(declared)" : id, err.message);
        json_decref(fresh);
        json_decref(before);
        return 0;
    }
    /* Re-applying the same config must not restart its budget period. */
    if (before != NULL) {
        if (json_equal(json_object_get(before, "budget_duration"),
                       json_object_get(fresh, "budget_duration")))
        {
            json_object_set(fresh, "budget_reset_at",
                            json_object_get(before, "budget_reset_at"));
        }
        if (json_object_get(fields, "duration") != NULL) {
            json_object_set(fresh, "expires",
                            json_object_get(before, "expires"));
        }
    }
    json_object_set_new(fresh, "source", json_string("config"));
    if (kind == KEYS_KIND_KEY) {
        json_object_set(fresh, "key_name", json_object_get(fields,
                                                           "key_name"));
    }
    if (before == NULL) {
        json_object_set_new(fresh, "created_at", json_integer(now));
        if (kind == KEYS_KIND_KEY) {
            json_object_set_new(fresh, "token", json_string(id));
        } else {
            json_object_set_new(fresh, "team_id", json_string(id));
        }
    }
    if (before != NULL) {
        json_object_set(fresh, "updated_at",
                        json_object_get(before, "updated_at"));
        if (json_equal(before, fresh)) {
            json_decref(fresh);
            json_decref(before);
            return 0;
        }
    }
    json_object_set_new(fresh, "updated_at", json_integer(now));
    json_object_set_new(table(svc, kind), id, fresh);
    if (keys_service_save(svc, kind, id, before, &err) != 0) {
        json_decref(before);
        return -1;
    }
    json_decref(before);
    return 1;
}

/* Declared records win over API changes to them at every start/reload;
 * declared records that left the config are deleted. */
static void
apply_declared(keys_service_t *svc)
{
    keys_error_t   err;
    const char    *id;
    json_t        *fields, *rec;
    void          *tmp;
    int            failed = 0, changed = 0, rc;
    size_t         i;
    json_t        *declared_ids[2];
    keys_kind_t    kinds[2] = { KEYS_KIND_TEAM, KEYS_KIND_KEY };
    json_t        *lists[2];

    if (!svc->config_pending || keys_service_writable(svc, &err) != 0) {
        return;
    }
    lists[0] = svc->config_teams;
    lists[1] = svc->config_keys;

    for (i = 0; i < 2; i++) {
        declared_ids[i] = json_object();
        json_object_foreach(lists[i], id, fields) {
            json_object_set_new(declared_ids[i], id, json_true());
            rc = upsert_declared(svc, kinds[i], id, fields);
            failed |= rc < 0;
            changed += rc > 0;
        }
    }
    for (i = 0; i < 2; i++) {
        json_object_foreach_safe(table(svc, kinds[i]), tmp, id, rec) {
            if (json_is_string(json_object_get(rec, "source"))
                && strcmp(json_string_value(json_object_get(rec, "source")),
                          "config") == 0
                && json_object_get(declared_ids[i], id) == NULL)
            {
                if (keys_service_delete(svc, kinds[i], id, &err) != 0) {
                    failed = 1;
                } else {
                    changed++;
                }
            }
        }
        json_decref(declared_ids[i]);
    }
    if (changed > 0) {
        ctl_log("config: applied %d declared key/team change(s)", changed);
    }
    svc->config_pending = failed;
}

void
keys_service_configure(keys_service_t *svc, const json_t *compiled,
    json_t *config_keys, json_t *config_teams)
{
    const char  *hash = json_string_value(json_object_get(compiled,
                                                          "master_key_sha256"));
    json_t      *dep;
    size_t       i;

    snprintf(svc->master_hash, sizeof(svc->master_hash), "%s",
             hash ? hash : "");

    json_object_clear(svc->groups);
    json_array_foreach(json_object_get(compiled, "deployments"), i, dep) {
        if (json_is_string(json_object_get(dep, "id"))
            && json_is_string(json_object_get(dep, "model_name")))
        {
            json_object_set(svc->groups,
                            json_string_value(json_object_get(dep, "id")),
                            json_object_get(dep, "model_name"));
        }
    }

    json_decref(svc->config_view);
    svc->config_view = cfg_redact(compiled);
    json_object_del(svc->config_view, "master_key_sha256");

    json_decref(svc->config_keys);
    json_decref(svc->config_teams);
    svc->config_keys = config_keys ? json_incref(config_keys) : json_object();
    svc->config_teams = config_teams ? json_incref(config_teams)
                                     : json_object();
    svc->config_pending = 1;
    apply_declared(svc);
}

/* ---- the periodic work -------------------------------------------------- */

static void
poll_store(keys_service_t *svc)
{
    char  err[256];
    int   bits;

    bits = svc->store->poll(svc->store, &svc->st);
    if (bits < 0) {
        return;
    }
    if (!svc->loaded || svc->from_cache || (bits & STORE_RECONNECTED)
        || (bits & STORE_RECORDS_CHANGED))
    {
        if (svc->store->load(svc->store, &svc->st, err, sizeof(err)) != 0) {
            return;
        }
        if (!svc->loaded || svc->from_cache) {
            ctl_log("keys: loaded %zu keys, %zu teams from %s",
                    json_object_size(svc->st.db.keys),
                    json_object_size(svc->st.db.teams), svc->store->name);
        }
        svc->loaded = 1;
        svc->from_cache = 0;
        svc->dirty = 1;
        write_cache(svc);
    } else if (bits & STORE_SPEND_CHANGED) {
        if (svc->store->refresh_spend(svc->store, &svc->st) == 0) {
            svc->dirty = 1;
        }
    }
    apply_declared(svc);
}

/* Budgets whose period ended: reset (once, cluster-wide) and move on. */
static void
reset_budgets(keys_service_t *svc)
{
    static const keys_kind_t  kinds[] = { KEYS_KIND_KEY, KEYS_KIND_TEAM };
    keys_duration_t           d;
    const char               *id;
    json_t                   *rec;
    int64_t                   now = (int64_t) time(NULL), at, next;
    size_t                    k;
    int                       rc;

    if (!svc->loaded || svc->from_cache) {
        return;
    }
    for (k = 0; k < 2; k++) {
        json_object_foreach(table(svc, kinds[k]), id, rec) {
            at = keys_rec_int(rec, "budget_reset_at", 0);
            if (at <= 0 || at > now
                || keys_duration_parse(json_string_value(json_object_get(
                       rec, "budget_duration")), &d) != 0)
            {
                continue;
            }
            next = keys_next_reset(at, now, &d);
            rc = svc->store->reset_budget(svc->store, &svc->st,
                                          kind_name(kinds[k]), id, at, next);
            if (rc == 1) {
                svc->dirty = 1;
            } else if (rc == 0) {
                svc->next_poll = 0;     /* another node did it: reload */
            }
        }
    }
}

/* POST /_llm/rates when the other nodes' windows changed. */
static void
post_rates(keys_service_t *svc, json_t *doc)
{
    ctl_http_response_t   resp;
    char                 *text, error[256];

    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (svc->rates.posted != NULL && strcmp(text, svc->rates.posted) == 0) {
        free(text);
        return;
    }
    if (ctl_http_request(svc->admin_socket, "POST", RATES_URL, text, NULL,
                         2000, &resp, error, sizeof(error)) != 0)
    {
        free(text);
        return;
    }
    if (resp.status == 200) {
        free(svc->rates.posted);
        svc->rates.posted = text;
        svc->rates_warned = 0;
    } else {
        if (!svc->rates_warned) {
            ctl_log("keys: POST /_llm/rates answered HTTP %ld: %.200s; rate "
                    "limits hold per node only (retrying)", resp.status,
                    resp.body);
            svc->rates_warned = 1;
        }
        free(text);
    }
    ctl_http_response_free(&resp);
}

/*
 * Shared rate windows (usage_rates.h), after every drain, Redis only: add
 * this node's increments to the minute's cluster counters, read the
 * totals back, and tell the module what the other nodes did.  Redis down:
 * the increments are dropped (they only matter this minute) and the
 * module limits on its own window.
 */
static void
share_rates(keys_service_t *svc, const json_t *answer)
{
    rates_list_t   incs;
    json_t        *limited, *totals, *doc, *v;
    const char    *kind;
    int64_t        minute = (int64_t) time(NULL) / 60;
    size_t         n = 0;

    if (svc->redis_desc == NULL) {
        return;
    }
    limited = usage_rates_limited(&svc->st.db);
    if (usage_rates_observe(&svc->rates, answer, limited, &incs) != 0) {
        json_decref(limited);
        return;
    }
    json_object_foreach(limited, kind, v) {
        n += json_object_size(v);
    }
    totals = n > 0 ? svc->store->rates(svc->store, minute, &incs) : NULL;
    if (totals != NULL) {
        usage_rates_commit(&svc->rates, minute, &incs);
        doc = usage_rates_others(&svc->rates, minute, totals, limited);
        post_rates(svc, doc);
        json_decref(doc);
        json_decref(totals);
    }
    rates_list_free(&incs);
    json_decref(limited);
}

/* GET /_llm/usage, then make the deltas durable. */
static void
drain(keys_service_t *svc)
{
    ctl_http_response_t   resp;
    usage_batch_t         batch;
    json_t               *answer, *marks, *before;
    char                  error[256], day[11];
    int                   rc;

    if (ctl_http_request(svc->admin_socket, "GET", USAGE_URL, NULL, NULL,
                         2000, &resp, error, sizeof(error)) != 0)
    {
        return;                         /* nginx not up: config says so */
    }
    if (resp.status != 200) {
        if (!svc->usage_warned) {
            ctl_log("keys: GET /_llm/usage answered HTTP %ld; spend is not "
                    "drained until the module serves it (retrying)",
                    resp.status);
            svc->usage_warned = 1;
        }
        ctl_http_response_free(&resp);
        return;
    }
    svc->usage_warned = 0;
    answer = json_loads(resp.body, 0, NULL);
    ctl_http_response_free(&resp);

    before = json_deep_copy(svc->st.usage.seen);
    rc = usage_observe(&svc->st.usage, answer);
    if (rc >= 0) {
        share_rates(svc, answer);
    }
    json_decref(answer);
    if (rc < 0) {
        json_decref(before);
        return;
    }
    /* New usage changes the published spend even before it is durable. */
    if (!json_equal(before, svc->st.usage.seen)) {
        svc->dirty = 1;
    }
    json_decref(before);
    if (rc == 1) {
        ctl_log("keys: module usage epoch %s", svc->st.usage.epoch);
        svc->dirty = 1;                 /* a new zone needs the table */
    }
    if (!svc->st.usage.marks_loaded) {
        marks = svc->store->load_marks(svc->store, &svc->st,
                                       svc->st.usage.epoch);
        if (marks == NULL) {
            return;
        }
        usage_set_marks(&svc->st.usage, marks);
        json_decref(marks);
    }

    usage_pending(&svc->st.usage, svc->groups, &batch);
    if (batch.count > 0) {
        keys_day((int64_t) time(NULL), day);
        if (svc->store->flush(svc->store, &svc->st, &batch, day) == 0) {
            svc->dirty = 1;
        }
    }
    usage_batch_free(&batch);
}

static void
publish(keys_service_t *svc)
{
    ctl_http_response_t   resp;
    json_t               *doc;
    char                 *text, error[256];

    doc = keys_db_publish_doc(&svc->st.db, &svc->st.usage);
    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    if (svc->published != NULL && strcmp(text, svc->published) == 0) {
        free(text);
        svc->dirty = 0;
        return;
    }
    if (ctl_http_request(svc->admin_socket, "POST", KEYS_URL, text, NULL,
                         5000, &resp, error, sizeof(error)) != 0)
    {
        free(text);
        svc->next_publish = mono() + KEYS_PUBLISH_RETRY_S / 2;
        return;
    }
    if (resp.status == 200) {
        /*
         * The table nginx accepted is also what it loads on a cold start,
         * so virtual keys work before controld is back (0600: limits and
         * hashes only, but still nobody else's business).
         */
        if (svc->keys_snapshot != NULL
            && cfg_write_file_atomic(svc->keys_snapshot, text, strlen(text),
                                     0600) != 0)
        {
            ctl_log("keys: cannot write %s", svc->keys_snapshot);
        }
        free(svc->published);
        svc->published = text;
        svc->dirty = 0;
        svc->publish_warned = 0;
    } else {
        if (!svc->publish_warned) {
            ctl_log("keys: POST /_llm/keys answered HTTP %ld: %.200s "
                    "(retrying)", resp.status, resp.body);
            svc->publish_warned = 1;
        }
        free(text);
        svc->next_publish = mono() + KEYS_PUBLISH_RETRY_S;
    }
    ctl_http_response_free(&resp);
}

void
keys_service_changed(keys_service_t *svc)
{
    svc->dirty = 1;
    write_cache(svc);
}

void
keys_service_publish_now(keys_service_t *svc)
{
    if (svc->dirty && svc->loaded) {
        publish(svc);
    }
}

double
keys_service_tick(keys_service_t *svc)
{
    double  now = mono(), next;

    if (now >= svc->next_poll) {
        poll_store(svc);
        reset_budgets(svc);
        svc->next_poll = now + KEYS_POLL_INTERVAL_S;
    }
    if (now >= svc->next_drain) {
        drain(svc);
        resp_sync_drain(svc->responses);
        svc->next_drain = mono() + KEYS_DRAIN_INTERVAL_S;
    }
    if (svc->dirty && svc->loaded && mono() >= svc->next_publish) {
        publish(svc);
    }
    if (svc->redis_desc != NULL && mono() >= svc->next_cache) {
        write_cache(svc);
    }

    now = mono();
    next = svc->next_poll < svc->next_drain ? svc->next_poll
                                            : svc->next_drain;
    if (svc->dirty && svc->loaded && svc->next_publish < next) {
        next = svc->next_publish;
    }
    return next > now ? next - now : 0;
}
