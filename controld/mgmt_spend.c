/*
 * Spend routes: /spend/keys (every key with its spend, as LiteLLM),
 * /global/spend ({"spend", "max_budget"}), and per-dimension totals under
 * /global/spend/{keys,teams,models,deployments,days} (llmctl spend).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys_util.h"
#include "mgmt_int.h"

int
mgmt_spend_keys(mgmt_call_t *c, keys_error_t *err)
{
    json_t      *out = json_array(), *rec;
    const char  *token;

    json_object_foreach(c->svc->st.db.keys, token, rec) {
        json_array_append_new(out, keys_fields_key_view(&c->svc->st.db,
                                                        token, rec));
    }
    return mgmt_reply(c, 200, out);
}

static int64_t
sum_spend(const json_t *ids)
{
    const char      *id;
    json_t          *v;
    usage_counts_t   u;
    int64_t          total = 0;

    json_object_foreach((json_t *) ids, id, v) {
        usage_counts_from_json(v, &u);
        total += u.spend;
    }
    return total;
}

/* Every request is booked on a deployment; without any (old data), the
 * keys' spend is the best total there is. */
int
mgmt_global_spend(mgmt_call_t *c, keys_error_t *err)
{
    json_t   *report = keys_service_report(c->svc, 1);
    json_t   *life = json_object_get(report, "lifetime");
    int64_t   total = sum_spend(json_object_get(life, "deployment"));

    if (total == 0) {
        total = sum_spend(json_object_get(life, "key"));
    }
    json_decref(report);
    return mgmt_reply(c, 200, json_pack("{s:f, s:f}", "spend",
                                        keys_micros_to_usd(total),
                                        "max_budget", 0.0));
}

/* One row: {<id_field>: id, spend, prompt_tokens, ...}. */
static json_t *
row(const char *id_field, const char *id, const json_t *counts)
{
    usage_counts_t  u;

    usage_counts_from_json(counts, &u);
    return json_pack("{s:s, s:f, s:I, s:I, s:I, s:I}", id_field, id,
                     "spend", keys_micros_to_usd(u.spend),
                     "spend_micros", (json_int_t) u.spend,
                     "prompt_tokens", (json_int_t) u.prompt,
                     "completion_tokens", (json_int_t) u.completion,
                     "requests", (json_int_t) u.requests);
}

static json_t *
rows(const json_t *ids, const char *id_field, const keys_db_t *db)
{
    json_t      *out = json_array(), *v, *r, *rec;
    const char  *id;

    json_object_foreach((json_t *) ids, id, v) {
        r = row(id_field, id, v);
        if (strcmp(id_field, "api_key") == 0
            && (rec = json_object_get(db->keys, id)) != NULL)
        {
            json_object_set(r, "key_alias", json_object_get(rec,
                                                            "key_alias"));
            json_object_set(r, "key_name", json_object_get(rec, "key_name"));
        }
        if (strcmp(id_field, "team_id") == 0
            && (rec = json_object_get(db->teams, id)) != NULL)
        {
            json_object_set(r, "team_alias", json_object_get(rec,
                                                             "team_alias"));
        }
        json_array_append_new(out, r);
    }
    return out;
}

int
mgmt_global_spend_by(mgmt_call_t *c, keys_error_t *err)
{
    static const struct { const char *path, *kind, *id_field; } dims[] = {
        { "/global/spend/keys", "key", "api_key" },
        { "/global/spend/teams", "team", "team_id" },
        { "/global/spend/models", "model", "model" },
        { "/global/spend/deployments", "deployment", "deployment_id" },
    };
    json_t      *report, *out, *kinds, *ids;
    const char  *day, *kind;
    char        *n = http_query_param(c->req, "days");
    int          days = n ? atoi(n) : 31;
    size_t       i;

    free(n);
    if (days < 1 || days > 400) {
        return keys_fail(err, 400, "days", "days must be 1..400");
    }
    report = keys_service_report(c->svc, days);

    for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
        if (strncmp(c->req->path, dims[i].path, strlen(dims[i].path)) == 0) {
            out = rows(json_object_get(json_object_get(report, "lifetime"),
                                       dims[i].kind), dims[i].id_field,
                       &c->svc->st.db);
            json_decref(report);
            return mgmt_reply(c, 200, out);
        }
    }

    /* /global/spend/days: [{"date", "spend", ..., "models": [...]}] */
    out = json_array();
    json_object_foreach(json_object_get(report, "days"), day, kinds) {
        json_t  *r = row("date", day, NULL);
        int64_t  total = sum_spend(json_object_get(kinds, "deployment"));
        usage_counts_t  sum, u;
        json_t  *v;
        const char  *id;

        memset(&sum, 0, sizeof(sum));
        json_object_foreach(json_object_get(kinds, "deployment"), id, v) {
            usage_counts_from_json(v, &u);
            sum.prompt += u.prompt;
            sum.completion += u.completion;
            sum.requests += u.requests;
        }
        json_object_set_new(r, "spend", json_real(keys_micros_to_usd(total)));
        json_object_set_new(r, "spend_micros", json_integer(total));
        json_object_set_new(r, "prompt_tokens", json_integer(sum.prompt));
        json_object_set_new(r, "completion_tokens",
                            json_integer(sum.completion));
        json_object_set_new(r, "requests", json_integer(sum.requests));
        json_object_foreach(kinds, kind, ids) {
            char  field[32];

            snprintf(field, sizeof(field), "%ss", kind);
            json_object_set_new(r, field, rows(ids,
                strcmp(kind, "key") == 0 ? "api_key"
                : strcmp(kind, "team") == 0 ? "team_id"
                : strcmp(kind, "model") == 0 ? "model" : "deployment_id",
                &c->svc->st.db));
        }
        json_array_append_new(out, r);
    }
    json_decref(report);
    return mgmt_reply(c, 200, out);
}
