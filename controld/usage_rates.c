/* Shared rate windows: watermarks, increments, other nodes' share
 * (see usage_rates.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_hash.h"
#include "usage_rates.h"
#include "keys_db.h"

const char *const  rates_kinds[RATES_KINDS] = { "key", "team", "model" };

/* The module's usage sections for each kind. */
static const char *const  answer_sections[RATES_KINDS] = {
    "keys", "teams", "models"
};

/* The document's sections for each kind (POST /_llm/rates). */
static const char *const  doc_sections[RATES_KINDS] = {
    "keys", "teams", "models"
};

void
usage_rates_init(usage_rates_t *r)
{
    memset(r, 0, sizeof(*r));
    r->last = json_object();
    r->added = json_object();
}

void
usage_rates_free(usage_rates_t *r)
{
    free(r->epoch);
    free(r->posted);
    json_decref(r->last);
    json_decref(r->added);
    memset(r, 0, sizeof(*r));
}

void
rates_list_free(rates_list_t *l)
{
    size_t  i;

    for (i = 0; i < l->count; i++) {
        free(l->items[i].id);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int64_t
number(const json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        return json_integer_value(v);
    }
    if (json_is_real(v) && json_real_value(v) > 0) {
        return (int64_t) json_real_value(v);
    }
    return 0;
}

static int
positive(const json_t *rec, const char *name)
{
    return number(json_object_get(rec, name)) > 0;
}

void
usage_rates_model_id(const char *token, const char *model, char out[65])
{
    size_t  len = strlen(token) + strlen(model) + 8;
    char   *text = malloc(len);

    if (text == NULL) {
        abort();
    }
    /* the module's digest input: ngx_http_llm_model_digest() */
    snprintf(text, len, "model:%s:%s", token, model);
    cfg_sha256_hex(text, strlen(text), out);
    free(text);
}

static void
limited_models(const char *token, const json_t *limits, json_t *into)
{
    const char  *model;
    json_t      *v;
    char         id[65];

    json_object_foreach((json_t *) limits, model, v) {
        if (number(v) > 0) {
            usage_rates_model_id(token, model, id);
            json_object_set_new(into, id, json_true());
        }
    }
}

json_t *
usage_rates_limited(const keys_db_t *db)
{
    json_t      *out = json_object(), *keys, *teams, *models, *rec;
    const char  *id;

    keys = keys_db_child(out, "key");
    teams = keys_db_child(out, "team");
    models = keys_db_child(out, "model");

    json_object_foreach(db->keys, id, rec) {
        if (positive(rec, "rpm_limit") || positive(rec, "tpm_limit")) {
            json_object_set_new(keys, id, json_true());
        }
        limited_models(id, json_object_get(rec, "model_rpm_limit"), models);
        limited_models(id, json_object_get(rec, "model_tpm_limit"), models);
    }
    json_object_foreach(db->teams, id, rec) {
        if (positive(rec, "rpm_limit") || positive(rec, "tpm_limit")) {
            json_object_set_new(teams, id, json_true());
        }
    }
    return out;
}

static json_t *
pair(int64_t requests, int64_t tokens)
{
    return json_pack("[II]", (json_int_t) requests, (json_int_t) tokens);
}

static void
pair_read(const json_t *v, int64_t *requests, int64_t *tokens)
{
    *requests = number(json_array_get(v, 0));
    *tokens = number(json_array_get(v, 1));
}

static void
list_add(rates_list_t *l, const char *kind, const char *id, int64_t requests,
    int64_t tokens)
{
    rates_entry_t  *e;

    /* one more each time: a drain has a handful of active ids */
    l->items = realloc(l->items, (l->count + 1) * sizeof(*e));
    if (l->items == NULL) {
        abort();
    }
    e = &l->items[l->count++];
    e->kind = kind;
    e->id = strdup(id);
    e->requests = requests;
    e->tokens = tokens;
    if (e->id == NULL) {
        abort();
    }
}

int
usage_rates_observe(usage_rates_t *r, const json_t *answer,
    const json_t *limited, rates_list_t *incs)
{
    const char  *epoch, *id;
    json_t      *section, *entry, *last, *prev;
    int64_t      req, tok, preq, ptok;
    size_t       k;
    int          fresh;

    memset(incs, 0, sizeof(*incs));
    epoch = json_string_value(json_object_get(answer, "epoch"));
    if (!json_is_object(answer) || epoch == NULL || epoch[0] == '\0') {
        return -1;
    }

    /* controld's first look, or a new zone: the counters' jump is not
     * traffic of this minute */
    fresh = r->epoch == NULL || strcmp(r->epoch, epoch) != 0;
    if (fresh) {
        free(r->epoch);
        r->epoch = strdup(epoch);
        json_object_clear(r->last);
        /* a new zone has none of the windows posted to the old one */
        free(r->posted);
        r->posted = NULL;
    }

    for (k = 0; k < RATES_KINDS; k++) {
        section = json_object_get(answer, answer_sections[k]);
        last = keys_db_child(r->last, rates_kinds[k]);
        json_object_foreach(section, id, entry) {
            req = number(json_object_get(entry, "requests"));
            tok = number(json_object_get(entry, "prompt_tokens"))
                  + number(json_object_get(entry, "completion_tokens"));
            prev = json_object_get(last, id);
            pair_read(prev, &preq, &ptok);
            json_object_set_new(last, id, pair(req, tok));

            if (fresh || req < preq || tok < ptok
                || (req == preq && tok == ptok)
                || json_object_get(json_object_get(limited, rates_kinds[k]),
                                   id) == NULL)
            {
                continue;
            }
            list_add(incs, rates_kinds[k], id, req - preq, tok - ptok);
        }
    }
    return 0;
}

void
usage_rates_commit(usage_rates_t *r, int64_t minute, const rates_list_t *incs)
{
    json_t   *mine;
    int64_t   req, tok;
    size_t    i;

    if (minute != r->minute) {
        json_object_clear(r->added);
        r->minute = minute;
    }
    for (i = 0; i < incs->count; i++) {
        mine = keys_db_child(r->added, incs->items[i].kind);
        pair_read(json_object_get(mine, incs->items[i].id), &req, &tok);
        json_object_set_new(mine, incs->items[i].id,
                            pair(req + incs->items[i].requests,
                                 tok + incs->items[i].tokens));
    }
}

json_t *
usage_rates_others(const usage_rates_t *r, int64_t minute,
    const json_t *totals, const json_t *limited)
{
    json_t      *doc, *section, *ids, *v;
    const char  *id;
    int64_t      req, tok, mreq = 0, mtok = 0;
    size_t       k;

    doc = json_pack("{s:I}", "minute", (json_int_t) minute);
    for (k = 0; k < RATES_KINDS; k++) {
        section = keys_db_child(doc, doc_sections[k]);
        ids = json_object_get(totals, rates_kinds[k]);
        json_object_foreach(ids, id, v) {
            if (json_object_get(json_object_get(limited, rates_kinds[k]), id)
                == NULL)
            {
                continue;
            }
            pair_read(v, &req, &tok);
            mreq = mtok = 0;
            if (r->minute == minute) {
                pair_read(json_object_get(json_object_get(r->added,
                                                          rates_kinds[k]),
                                          id), &mreq, &mtok);
            }
            req = req > mreq ? req - mreq : 0;
            tok = tok > mtok ? tok - mtok : 0;
            if (req > 0 || tok > 0) {
                json_object_set_new(section, id, pair(req, tok));
            }
        }
    }
    return doc;
}
