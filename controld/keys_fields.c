/* Management API fields (see keys_fields.h). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keys_fields.h"
#include "keys_util.h"

int
keys_fail(keys_error_t *err, int status, const char *param,
    const char *fmt, ...)
{
    va_list  ap;

    err->status = status;
    snprintf(err->type, sizeof(err->type), "%s",
             status == 404 ? "not_found_error"
             : status == 401 ? "auth_error"
             : status >= 500 ? "internal_server_error"
             : "invalid_request_error");
    snprintf(err->param, sizeof(err->param), "%s", param ? param : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* A string or null: sets/removes rec[name]. */
static int
field_string(json_t *rec, const char *name, json_t *v, keys_error_t *err)
{
    if (json_is_null(v)) {
        json_object_set_new(rec, name, json_null());
        return 0;
    }
    if (!json_is_string(v)) {
        return keys_fail(err, 400, name, "%s must be a string or null", name);
    }
    if (json_string_length(v) > 256) {
        return keys_fail(err, 400, name, "%s is longer than 256 characters",
                         name);
    }
    json_object_set_new(rec, name, json_string(json_string_value(v)));
    return 0;
}

/* A non-negative integer (limits) or null (= no limit). */
static int
field_limit(json_t *rec, const char *name, json_t *v, keys_error_t *err)
{
    double  d;

    if (json_is_null(v)) {
        json_object_set_new(rec, name, json_null());
        return 0;
    }
    if (json_is_real(v)) {
        d = json_real_value(v);
        if (d < 0 || d != (double) (int64_t) d || d > 9e15) {
            return keys_fail(err, 400, name, "%s must be a non-negative "
                             "integer or null", name);
        }
        json_object_set_new(rec, name, json_integer((json_int_t) d));
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return keys_fail(err, 400, name, "%s must be a non-negative integer "
                         "or null", name);
    }
    json_object_set_new(rec, name, json_integer(json_integer_value(v)));
    return 0;
}

static int
field_usd(json_t *v, const char *name, double *out, keys_error_t *err)
{
    if (!json_is_number(v) || json_number_value(v) < 0
        || json_number_value(v) > 1e12)
    {
        return keys_fail(err, 400, name, "%s must be a non-negative number "
                         "of USD%s", name,
                         strcmp(name, "spend") == 0 ? "" : " or null");
    }
    *out = json_number_value(v);
    return 0;
}

static int
field_models(json_t *rec, json_t *v, keys_error_t *err)
{
    json_t  *m;
    size_t   i;

    if (json_is_null(v)) {
        json_object_set_new(rec, "models", json_array());
        return 0;
    }
    if (!json_is_array(v)) {
        return keys_fail(err, 400, "models", "models must be a list of model "
                         "names ([] = all models)");
    }
    json_array_foreach(v, i, m) {
        if (!json_is_string(m) || json_string_length(m) == 0) {
            return keys_fail(err, 400, "models", "models[%zu] must be a "
                             "non-empty string", i);
        }
    }
    json_object_set_new(rec, "models", json_deep_copy(v));
    return 0;
}

/* {"model": n, ...} */
static int
field_model_limits(json_t *rec, const char *name, json_t *v,
    keys_error_t *err)
{
    const char  *model;
    json_t      *n;

    if (json_is_null(v)) {
        json_object_set_new(rec, name, json_object());
        return 0;
    }
    if (!json_is_object(v)) {
        return keys_fail(err, 400, name, "%s must be an object like "
                         "{\"gpt-4o\": 100}", name);
    }
    json_object_foreach(v, model, n) {
        if (!json_is_integer(n) || json_integer_value(n) < 0) {
            return keys_fail(err, 400, name, "%s.%.64s must be a "
                             "non-negative integer", name, model);
        }
    }
    json_object_set_new(rec, name, json_deep_copy(v));
    return 0;
}

static int
field_budget_duration(json_t *rec, json_t *v, int64_t now, keys_error_t *err)
{
    keys_duration_t  d;

    if (json_is_null(v)) {
        json_object_set_new(rec, "budget_duration", json_null());
        json_object_set_new(rec, "budget_reset_at", json_integer(0));
        return 0;
    }
    if (!json_is_string(v) || keys_duration_parse(json_string_value(v), &d))
    {
        return keys_fail(err, 400, "budget_duration", "budget_duration must "
                         "be a duration like \"30s\", \"30m\", \"1h\", "
                         "\"30d\" or \"1mo\"");
    }
    json_object_set_new(rec, "budget_duration",
                        json_string(json_string_value(v)));
    /* A new period starts now. */
    json_object_set_new(rec, "budget_reset_at",
                        json_integer(keys_next_reset(0, now, &d)));
    return 0;
}

static int
field_duration(json_t *rec, json_t *v, int64_t now, keys_error_t *err)
{
    keys_duration_t  d;

    if (json_is_null(v)) {
        json_object_set_new(rec, "expires", json_integer(0));
        return 0;
    }
    if (!json_is_string(v) || keys_duration_parse(json_string_value(v), &d))
    {
        return keys_fail(err, 400, "duration", "duration must be a duration "
                         "like \"30s\", \"30m\", \"1h\", \"30d\" or null "
                         "(never expires)");
    }
    json_object_set_new(rec, "expires",
                        json_integer(keys_duration_add(now, &d)));
    return 0;
}

static int
field_expires(json_t *rec, json_t *v, keys_error_t *err)
{
    int64_t  t = -1;

    if (json_is_null(v)) {
        json_object_set_new(rec, "expires", json_integer(0));
        return 0;
    }
    if (json_is_string(v)) {
        t = keys_parse_time(json_string_value(v));
    } else if (json_is_integer(v)) {
        t = json_integer_value(v);
    }
    if (t < 0) {
        return keys_fail(err, 400, "expires", "expires must be an ISO 8601 "
                         "time, unix seconds or null");
    }
    json_object_set_new(rec, "expires", json_integer(t));
    return 0;
}

static int
field_object(json_t *rec, const char *name, json_t *v, keys_error_t *err)
{
    if (json_is_null(v)) {
        json_object_set_new(rec, name, json_object());
        return 0;
    }
    if (!json_is_object(v)) {
        return keys_fail(err, 400, name, "%s must be an object", name);
    }
    json_object_set_new(rec, name, json_deep_copy(v));
    return 0;
}

int
keys_fields_apply(json_t *rec, const json_t *body, keys_kind_t kind,
    int64_t now, double *spend_usd, int *spend_given, keys_error_t *err)
{
    const char  *name;
    json_t      *v;
    double       usd;
    int          rc = 0;

    json_object_foreach((json_t *) body, name, v) {
        if (strcmp(name, "models") == 0) {
            rc = field_models(rec, v, err);
        } else if (strcmp(name, "max_budget") == 0) {
            if (json_is_null(v)) {
                json_object_set_new(rec, "max_budget_micros", json_null());
            } else if ((rc = field_usd(v, name, &usd, err)) == 0) {
                json_object_set_new(rec, "max_budget_micros",
                                    json_integer(keys_usd_to_micros(usd)));
            }
        } else if (strcmp(name, "spend") == 0) {
            if ((rc = field_usd(v, name, &usd, err)) == 0) {
                *spend_usd = usd;
                *spend_given = 1;
            }
        } else if (strcmp(name, "budget_duration") == 0) {
            rc = field_budget_duration(rec, v, now, err);
        } else if (strcmp(name, "tpm_limit") == 0
                   || strcmp(name, "rpm_limit") == 0
                   || strcmp(name, "max_parallel_requests") == 0)
        {
            rc = field_limit(rec, name, v, err);
        } else if (strcmp(name, "metadata") == 0) {
            rc = field_object(rec, name, v, err);
        } else if (strcmp(name, "blocked") == 0) {
            if (!json_is_boolean(v) && !json_is_null(v)) {
                rc = keys_fail(err, 400, name, "blocked must be true or "
                               "false");
            } else {
                json_object_set_new(rec, name, json_boolean(json_is_true(v)));
            }
        } else if (kind == KEYS_KIND_KEY) {
            if (strcmp(name, "key_alias") == 0 || strcmp(name, "team_id") == 0
                || strcmp(name, "user_id") == 0)
            {
                rc = field_string(rec, name, v, err);
            } else if (strcmp(name, "model_rpm_limit") == 0
                       || strcmp(name, "model_tpm_limit") == 0)
            {
                rc = field_model_limits(rec, name, v, err);
            } else if (strcmp(name, "duration") == 0) {
                rc = field_duration(rec, v, now, err);
            } else if (strcmp(name, "expires") == 0) {
                rc = field_expires(rec, v, err);
            }
        } else if (strcmp(name, "team_alias") == 0) {
            rc = field_string(rec, name, v, err);
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* ISO time of an integer field, null when 0/absent. */
static json_t *
iso_or_null(const json_t *rec, const char *name)
{
    char     buf[40];
    int64_t  t = keys_rec_int(rec, name, 0);

    if (t <= 0) {
        return json_null();
    }
    keys_iso_time(t, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *
copy_or(const json_t *rec, const char *name, json_t *dflt)
{
    json_t  *v = json_object_get(rec, name);

    if (v == NULL || json_is_null(v)) {
        return dflt;
    }
    json_decref(dflt);
    return json_deep_copy(v);
}

static json_t *
usd_or_null(const json_t *rec, const char *name)
{
    json_t  *v = json_object_get(rec, name);

    return json_is_integer(v)
           ? json_real(keys_micros_to_usd(json_integer_value(v)))
           : json_null();
}

/* Limits read back as LiteLLM shows them: null when unlimited. */
static json_t *
limit_or_null(const json_t *rec, const char *name)
{
    int64_t  v = keys_rec_int(rec, name, 0);

    return v > 0 ? json_integer(v) : json_null();
}

/* Fields keys and teams share. */
static void
common_view(json_t *o, const keys_db_t *db, const char *kind, const char *id,
    const json_t *rec)
{
    usage_counts_t  life;

    keys_db_lifetime(db, kind, id, &life);
    json_object_set_new(o, "models", copy_or(rec, "models", json_array()));
    json_object_set_new(o, "spend", json_real(keys_micros_to_usd(
                            keys_db_period_spend(db, kind, id, rec))));
    json_object_set_new(o, "lifetime_spend",
                        json_real(keys_micros_to_usd(life.spend)));
    json_object_set_new(o, "max_budget", usd_or_null(rec, "max_budget_micros"));
    json_object_set_new(o, "budget_duration",
                        copy_or(rec, "budget_duration", json_null()));
    json_object_set_new(o, "budget_reset_at",
                        iso_or_null(rec, "budget_reset_at"));
    json_object_set_new(o, "tpm_limit", limit_or_null(rec, "tpm_limit"));
    json_object_set_new(o, "rpm_limit", limit_or_null(rec, "rpm_limit"));
    json_object_set_new(o, "max_parallel_requests",
                        limit_or_null(rec, "max_parallel_requests"));
    json_object_set_new(o, "metadata", copy_or(rec, "metadata",
                                                json_object()));
    json_object_set_new(o, "blocked",
                        json_boolean(json_is_true(json_object_get(rec,
                                                                  "blocked"))));
    json_object_set_new(o, "prompt_tokens", json_integer(life.prompt));
    json_object_set_new(o, "completion_tokens", json_integer(life.completion));
    json_object_set_new(o, "requests", json_integer(life.requests));
    json_object_set_new(o, "created_at", iso_or_null(rec, "created_at"));
    json_object_set_new(o, "updated_at", iso_or_null(rec, "updated_at"));
    json_object_set_new(o, "source", copy_or(rec, "source",
                                              json_string("api")));
}

json_t *
keys_fields_key_view(const keys_db_t *db, const char *token,
    const json_t *rec)
{
    json_t  *o = json_object();

    json_object_set_new(o, "token", json_string(token));
    json_object_set_new(o, "key_name", copy_or(rec, "key_name", json_null()));
    json_object_set_new(o, "key_alias", copy_or(rec, "key_alias",
                                                 json_null()));
    common_view(o, db, "key", token, rec);
    json_object_set_new(o, "expires", iso_or_null(rec, "expires"));
    json_object_set_new(o, "model_rpm_limit",
                        copy_or(rec, "model_rpm_limit", json_object()));
    json_object_set_new(o, "model_tpm_limit",
                        copy_or(rec, "model_tpm_limit", json_object()));
    json_object_set_new(o, "team_id", copy_or(rec, "team_id", json_null()));
    json_object_set_new(o, "user_id", copy_or(rec, "user_id", json_null()));
    return o;
}

json_t *
keys_fields_team_view(const keys_db_t *db, const char *team_id,
    const json_t *rec)
{
    json_t  *o = json_object();

    json_object_set_new(o, "team_id", json_string(team_id));
    json_object_set_new(o, "team_alias", copy_or(rec, "team_alias",
                                                  json_null()));
    common_view(o, db, "team", team_id, rec);
    return o;
}
