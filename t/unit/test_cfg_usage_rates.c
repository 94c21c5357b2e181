/*
 * Shared rate windows (controld/usage_rates.c): which ids are shared, this
 * node's increments between /_llm/usage answers (epochs, first looks, ids
 * that gain a limit later), and the other nodes' share of a minute's
 * cluster totals.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_hash.h"
#include "usage_rates.h"
#include "unit.h"

#define TOK_A  "aaaa000000000000000000000000000000000000000000000000000000000001"
#define TOK_B  "bbbb000000000000000000000000000000000000000000000000000000000002"

/* One /_llm/usage answer: key A and team t with the given counters. */
static json_t *
answer(const char *epoch, long long a_req, long long a_tok, long long t_req,
    long long t_tok)
{
    return json_pack("{s:s, s:{s:{s:I, s:I, s:I, s:I}},"
                     " s:{s:{s:I, s:I, s:I, s:I}}, s:{}, s:{}}",
                     "epoch", epoch,
                     "keys", TOK_A, "spend_micros", (json_int_t) 7,
                     "prompt_tokens", (json_int_t) a_tok,
                     "completion_tokens", (json_int_t) 0,
                     "requests", (json_int_t) a_req,
                     "teams", "t", "spend_micros", (json_int_t) 7,
                     "prompt_tokens", (json_int_t) (t_tok / 2),
                     "completion_tokens", (json_int_t) (t_tok - t_tok / 2),
                     "requests", (json_int_t) t_req,
                     "models", "deployments");
}

static keys_db_t
db_with_limits(void)
{
    keys_db_t  db;

    keys_db_init(&db);
    json_object_set_new(db.keys, TOK_A,
                        json_pack("{s:i, s:n}", "rpm_limit", 5, "tpm_limit"));
    json_object_set_new(db.keys, TOK_B,
                        json_pack("{s:i, s:{s:i}, s:{s:i, s:i}}",
                                  "rpm_limit", 0,
                                  "model_rpm_limit", "gpt-4o", 2,
                                  "model_tpm_limit", "gpt-4o", 100,
                                  "claude", 0));
    json_object_set_new(db.teams, "t", json_pack("{s:i}", "tpm_limit", 1000));
    json_object_set_new(db.teams, "free", json_pack("{s:n}", "rpm_limit"));
    return db;
}

static const rates_entry_t *
find(const rates_list_t *l, const char *kind, const char *id)
{
    size_t  i;

    for (i = 0; i < l->count; i++) {
        if (strcmp(l->items[i].kind, kind) == 0
            && strcmp(l->items[i].id, id) == 0)
        {
            return &l->items[i];
        }
    }
    return NULL;
}

UNIT_TEST(test_limited_ids)
{
    keys_db_t   db = db_with_limits();
    json_t     *lim = usage_rates_limited(&db);
    char        model_id[65], expect[65];
    const char *text = "model:" TOK_B ":gpt-4o";

    CHECK(json_object_get(json_object_get(lim, "key"), TOK_A) != NULL);
    /* model limits only: the key's own window is not shared */
    CHECK(json_object_get(json_object_get(lim, "key"), TOK_B) == NULL);
    CHECK(json_object_get(json_object_get(lim, "team"), "t") != NULL);
    CHECK(json_object_get(json_object_get(lim, "team"), "free") == NULL);

    /* the module's slot digest: SHA-256 of "model:<token>:<model>" */
    usage_rates_model_id(TOK_B, "gpt-4o", model_id);
    cfg_sha256_hex(text, strlen(text), expect);
    CHECK_STR(model_id, expect);
    CHECK(json_object_get(json_object_get(lim, "model"), model_id) != NULL);
    /* a limit of 0 is none */
    usage_rates_model_id(TOK_B, "claude", model_id);
    CHECK(json_object_get(json_object_get(lim, "model"), model_id) == NULL);
    CHECK(json_object_size(json_object_get(lim, "model")) == 1);

    json_decref(lim);
    keys_db_free(&db);
}

UNIT_TEST(test_increments)
{
    keys_db_t           db = db_with_limits();
    json_t             *lim = usage_rates_limited(&db), *a;
    usage_rates_t       r;
    rates_list_t        incs;
    const rates_entry_t *e;

    usage_rates_init(&r);

    /* controld's first look: counters since nginx started are history */
    a = answer("e1", 10, 400, 10, 400);
    CHECK(usage_rates_observe(&r, a, lim, &incs) == 0);
    CHECK(incs.count == 0);
    rates_list_free(&incs);
    json_decref(a);

    /* then what happened since */
    a = answer("e1", 12, 460, 13, 500);
    CHECK(usage_rates_observe(&r, a, lim, &incs) == 0);
    e = find(&incs, "key", TOK_A);
    CHECK(e != NULL && e->requests == 2 && e->tokens == 60);
    e = find(&incs, "team", "t");
    CHECK(e != NULL && e->requests == 3 && e->tokens == 100);
    CHECK(incs.count == 2);
    rates_list_free(&incs);
    json_decref(a);

    /* tokens settle after the request was counted: tokens only */
    a = answer("e1", 12, 470, 13, 500);
    CHECK(usage_rates_observe(&r, a, lim, &incs) == 0);
    CHECK(incs.count == 1);
    e = find(&incs, "key", TOK_A);
    CHECK(e != NULL && e->requests == 0 && e->tokens == 10);
    rates_list_free(&incs);
    json_decref(a);

    /* nginx restarted (new epoch): the jump to the new values is no
     * traffic; counting restarts from them, and the new zone needs the
     * other nodes' windows posted again */
    r.posted = strdup("{\"minute\":1}");
    a = answer("e2", 1, 30, 1, 30);
    CHECK(usage_rates_observe(&r, a, lim, &incs) == 0);
    CHECK(incs.count == 0);
    CHECK(r.posted == NULL);
    rates_list_free(&incs);
    json_decref(a);
    a = answer("e2", 2, 35, 1, 30);
    CHECK(usage_rates_observe(&r, a, lim, &incs) == 0);
    e = find(&incs, "key", TOK_A);
    CHECK(incs.count == 1 && e != NULL && e->requests == 1 && e->tokens == 5);
    rates_list_free(&incs);
    json_decref(a);

    /* unusable answers change nothing */
    a = json_pack("{s:{}}", "keys");
    CHECK(usage_rates_observe(&r, a, lim, &incs) == -1 && incs.count == 0);
    json_decref(a);

    usage_rates_free(&r);
    json_decref(lim);
    keys_db_free(&db);
}

/* A key that gains a limit does not push its past as this minute's. */
UNIT_TEST(test_limit_added_later)
{
    keys_db_t            db;
    json_t              *lim, *a;
    usage_rates_t        r;
    rates_list_t         incs;
    const rates_entry_t *e;

    keys_db_init(&db);
    json_object_set_new(db.keys, TOK_A, json_object());
    usage_rates_init(&r);

    lim = usage_rates_limited(&db);
    a = answer("e1", 0, 0, 0, 0);
    usage_rates_observe(&r, a, lim, &incs);
    rates_list_free(&incs);
    json_decref(a);
    a = answer("e1", 50, 5000, 0, 0);
    usage_rates_observe(&r, a, lim, &incs);
    CHECK(incs.count == 0);            /* no limit: not shared */
    rates_list_free(&incs);
    json_decref(a);
    json_decref(lim);

    json_object_set_new(json_object_get(db.keys, TOK_A), "rpm_limit",
                        json_integer(10));
    lim = usage_rates_limited(&db);
    a = answer("e1", 51, 5100, 0, 0);
    usage_rates_observe(&r, a, lim, &incs);
    e = find(&incs, "key", TOK_A);
    CHECK(incs.count == 1 && e != NULL && e->requests == 1
          && e->tokens == 100);
    rates_list_free(&incs);
    json_decref(a);

    json_decref(lim);
    usage_rates_free(&r);
    keys_db_free(&db);
}

UNIT_TEST(test_other_nodes_share)
{
    keys_db_t       db = db_with_limits();
    json_t         *lim = usage_rates_limited(&db), *totals, *doc, *v;
    usage_rates_t   r;
    rates_list_t    incs;
    char            model_id[65];

    usage_rates_init(&r);
    usage_rates_model_id(TOK_B, "gpt-4o", model_id);

    /* this node added 2 requests / 60 tokens for key A in minute 100 */
    memset(&incs, 0, sizeof(incs));
    incs.items = calloc(1, sizeof(rates_entry_t));
    incs.items[0].kind = "key";
    incs.items[0].id = strdup(TOK_A);
    incs.items[0].requests = 2;
    incs.items[0].tokens = 60;
    incs.count = 1;
    usage_rates_commit(&r, 100, &incs);
    usage_rates_commit(&r, 100, &incs);        /* and again: 4 / 120 */

    totals = json_pack("{s:{s:[i,i], s:[i,i]}, s:{s:[i,i], s:[i,i]},"
                       " s:{s:[i,i]}}",
                       "key", TOK_A, 7, 300, TOK_B, 9, 9,
                       "team", "t", 3, 200, "free", 1, 1,
                       "model", model_id, 2, 50);
    doc = usage_rates_others(&r, 100, totals, lim);

    CHECK(json_integer_value(json_object_get(doc, "minute")) == 100);
    v = json_object_get(json_object_get(doc, "keys"), TOK_A);
    CHECK(json_integer_value(json_array_get(v, 0)) == 3);
    CHECK(json_integer_value(json_array_get(v, 1)) == 180);
    /* ids without a limit are not sent */
    CHECK(json_object_get(json_object_get(doc, "keys"), TOK_B) == NULL);
    CHECK(json_object_get(json_object_get(doc, "teams"), "free") == NULL);
    v = json_object_get(json_object_get(doc, "teams"), "t");
    CHECK(json_integer_value(json_array_get(v, 0)) == 3);
    v = json_object_get(json_object_get(doc, "models"), model_id);
    CHECK(json_integer_value(json_array_get(v, 1)) == 50);
    json_decref(doc);

    /* another minute: what this node added in minute 100 is not subtracted */
    doc = usage_rates_others(&r, 101, totals, lim);
    v = json_object_get(json_object_get(doc, "keys"), TOK_A);
    CHECK(json_integer_value(json_array_get(v, 0)) == 7);
    json_decref(doc);

    /* a new minute forgets the old one's additions */
    usage_rates_commit(&r, 101, &incs);
    doc = usage_rates_others(&r, 101, totals, lim);
    v = json_object_get(json_object_get(doc, "keys"), TOK_A);
    CHECK(json_integer_value(json_array_get(v, 0)) == 5);
    json_decref(doc);

    /* only this node's traffic: nothing from others */
    json_decref(totals);
    totals = json_pack("{s:{s:[i,i]}}", "key", TOK_A, 2, 60);
    doc = usage_rates_others(&r, 101, totals, lim);
    CHECK(json_object_size(json_object_get(doc, "keys")) == 0);
    json_decref(doc);

    json_decref(totals);
    rates_list_free(&incs);
    usage_rates_free(&r);
    json_decref(lim);
    keys_db_free(&db);
}

UNIT_MAIN(test_limited_ids, test_increments, test_limit_added_later,
          test_other_nodes_share)
