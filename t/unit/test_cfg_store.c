/*
 * The state-file store and the usage drain: file round trip (atomic, 0600),
 * delta math across answers and epochs, durability of drained usage with
 * its marks (a restarted controld neither loses nor double-counts), budget
 * resets, and keys/teams declared in config.yaml.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg_file.h"
#include "keys_config.h"
#include "keys_util.h"
#include "store_api.h"
#include "unit.h"

static char  dir[] = "/tmp/test_cfg_store.XXXXXX";

static void
path_in_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static json_t *
answer(const char *epoch, long long key_spend, long long key_requests,
    long long dep_spend)
{
    return json_pack("{s:s, s:{s:{s:I, s:i, s:i, s:I}}, s:{}, "
                     "s:{s:{s:I, s:i, s:i, s:I}}}",
                     "epoch", epoch,
                     "keys", "tok", "spend_micros", (json_int_t) key_spend,
                     "prompt_tokens", 10, "completion_tokens", 5,
                     "requests", (json_int_t) key_requests,
                     "teams",
                     "deployments", "dep1", "spend_micros",
                     (json_int_t) dep_spend, "prompt_tokens", 10,
                     "completion_tokens", 5,
                     "requests", (json_int_t) key_requests);
}

UNIT_TEST(test_usage_deltas_and_epochs)
{
    usage_state_t   st;
    usage_batch_t   b;
    json_t         *a, *groups = json_pack("{s:s}", "dep1", "gpt-4o");

    usage_state_init(&st);

    /* marks unknown: nothing is pending (it could be counted twice) */
    a = answer("e1", 100, 1, 100);
    CHECK(usage_observe(&st, a) == 1);
    json_decref(a);
    usage_pending(&st, groups, &b);
    CHECK(b.count == 0);
    usage_batch_free(&b);

    usage_set_marks(&st, NULL);
    usage_pending(&st, groups, &b);
    CHECK(b.count == 2);
    CHECK_STR(b.items[0].kind, "key");
    CHECK(b.items[0].delta.spend == 100 && b.items[0].delta.requests == 1);
    CHECK(!b.items[0].had_mark);
    CHECK_STR(b.items[1].kind, "deployment");
    CHECK_STR(b.items[1].group, "gpt-4o");
    usage_commit(&st, &b);
    usage_batch_free(&b);

    /* unchanged counters: nothing pending */
    a = answer("e1", 100, 1, 100);
    CHECK(usage_observe(&st, a) == 0);
    json_decref(a);
    usage_pending(&st, groups, &b);
    CHECK(b.count == 0);
    usage_batch_free(&b);

    /* growth: only the difference */
    a = answer("e1", 250, 3, 250);
    usage_observe(&st, a);
    json_decref(a);
    usage_pending(&st, groups, &b);
    CHECK(b.count == 2 && b.items[0].delta.spend == 150
          && b.items[0].delta.requests == 2 && b.items[0].had_mark
          && b.items[0].old_mark.spend == 100
          && b.items[0].new_mark.spend == 250);
    usage_batch_free(&b);   /* not committed: stays pending */

    a = answer("e1", 300, 4, 300);
    usage_observe(&st, a);
    json_decref(a);
    usage_pending(&st, groups, &b);
    CHECK(b.count == 2 && b.items[0].delta.spend == 200);
    usage_commit(&st, &b);
    usage_batch_free(&b);

    /* a new epoch (nginx restarted): counters start again from 0 */
    a = answer("e2", 40, 1, 40);
    CHECK(usage_observe(&st, a) == 1);
    json_decref(a);
    CHECK(!st.marks_loaded);
    usage_set_marks(&st, NULL);
    usage_pending(&st, groups, &b);
    CHECK(b.count == 2 && b.items[0].delta.spend == 40);
    usage_batch_free(&b);

    /* garbage answers are refused */
    a = json_pack("{s:i}", "keys", 1);
    CHECK(usage_observe(&st, a) == -1);
    json_decref(a);
    CHECK(usage_observe(&st, NULL) == -1);

    json_decref(groups);
    usage_state_free(&st);
}

UNIT_TEST(test_mark_text)
{
    usage_counts_t  c = { 1, 2, 3, 4 }, back;
    char            text[64];

    usage_mark_text(&c, 1, text, sizeof(text));
    CHECK_STR(text, "1:2:3:4");
    CHECK(usage_mark_parse(text, &back) == 0 && back.requests == 4);
    usage_mark_text(&c, 0, text, sizeof(text));
    CHECK_STR(text, "");
    CHECK(usage_mark_parse("", &back) == -1);
}

UNIT_TEST(test_file_round_trip)
{
    keys_db_t    db, back;
    char         path[256], err[256];
    struct stat  sb;
    usage_counts_t  c = { 7, 8, 9, 10 };

    path_in_dir(path, sizeof(path), "rt.json");
    keys_db_init(&db);
    json_object_set_new(db.keys, "t1", json_pack("{s:s, s:I}", "key_alias",
                        "x", "max_budget_micros", (json_int_t) 5));
    json_object_set_new(db.teams, "team", json_pack("{s:s}", "team_alias",
                        "T"));
    keys_db_set_lifetime(&db, "key", "t1", &c);
    CHECK(store_file_write(path, &db) == 0);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);

    keys_db_init(&back);
    CHECK(store_file_read(path, &back, err, sizeof(err)) == 0);
    CHECK(json_equal(db.keys, back.keys));
    CHECK(json_equal(db.teams, back.teams));
    CHECK(json_equal(db.spend, back.spend));
    keys_db_free(&back);

    /* a missing file is an empty store; a broken one an error */
    keys_db_init(&back);
    path_in_dir(path, sizeof(path), "missing.json");
    CHECK(store_file_read(path, &back, err, sizeof(err)) == 0);
    CHECK(json_object_size(back.keys) == 0);
    path_in_dir(path, sizeof(path), "broken.json");
    cfg_write_file_atomic(path, "{\"keys\":", 8, 0600);
    CHECK(store_file_read(path, &back, err, sizeof(err)) == -1);
    CHECK(strstr(err, "broken.json") != NULL);
    keys_db_free(&back);
    keys_db_free(&db);
}

/* One drain as controld does it: observe, pending, flush. */
static int
drain(store_t *s, keys_state_t *st, json_t *a, const json_t *groups)
{
    usage_batch_t  b;
    json_t        *marks;
    char           day[11];
    int            rc = 0;

    if (usage_observe(&st->usage, a) < 0) {
        return -1;
    }
    if (!st->usage.marks_loaded) {
        marks = s->load_marks(s, st, st->usage.epoch);
        usage_set_marks(&st->usage, marks);
        json_decref(marks);
    }
    usage_pending(&st->usage, groups, &b);
    if (b.count > 0) {
        keys_day((int64_t) time(NULL), day);
        rc = s->flush(s, st, &b, day);
    }
    usage_batch_free(&b);
    return rc;
}

static void
state_init(keys_state_t *st)
{
    keys_db_init(&st->db);
    usage_state_init(&st->usage);
}

static void
state_free(keys_state_t *st)
{
    keys_db_free(&st->db);
    usage_state_free(&st->usage);
}

UNIT_TEST(test_file_store_drain_survives_restart)
{
    keys_state_t     st;
    store_t         *s;
    char             path[256], err[256];
    json_t          *a, *groups = json_pack("{s:s}", "dep1", "gpt-4o");
    usage_counts_t   c;
    char             today[11];

    keys_day((int64_t) time(NULL), today);
    path_in_dir(path, sizeof(path), "drain.json");
    unlink(path);

    state_init(&st);
    s = store_file_create(path);
    CHECK(s->load(s, &st, err, sizeof(err)) == 0);
    json_object_set_new(st.db.keys, "tok", json_pack("{s:s}", "key_alias",
                        "k"));
    CHECK(s->put_key(s, &st, "tok") == 0);

    a = answer("e1", 1000, 2, 1000);
    CHECK(drain(s, &st, a, groups) == 0);
    json_decref(a);
    a = answer("e1", 1500, 3, 1500);
    CHECK(drain(s, &st, a, groups) == 0);
    json_decref(a);
    keys_db_lifetime(&st.db, "key", "tok", &c);
    CHECK(c.spend == 1500 && c.requests == 3);
    keys_db_lifetime(&st.db, "model", "gpt-4o", &c);
    CHECK(c.spend == 1500);
    CHECK(json_integer_value(json_array_get(json_object_get(json_object_get(
          json_object_get(st.db.days, today), "key"), "tok"), 0))
          == 1500);
    s->destroy(s);
    state_free(&st);

    /* "kill -9" and restart: the module still says 1500 (+200 new) for
     * the same epoch; only the 200 are new. */
    state_init(&st);
    s = store_file_create(path);
    CHECK(s->load(s, &st, err, sizeof(err)) == 0);
    CHECK(json_object_get(st.db.keys, "tok") != NULL);
    a = answer("e1", 1700, 4, 1700);
    CHECK(drain(s, &st, a, groups) == 0);
    json_decref(a);
    keys_db_lifetime(&st.db, "key", "tok", &c);
    CHECK(c.spend == 1700 && c.requests == 4);

    /* nginx restarted (new epoch): its counters add on top */
    a = answer("e2", 300, 1, 300);
    CHECK(drain(s, &st, a, groups) == 0);
    json_decref(a);
    keys_db_lifetime(&st.db, "key", "tok", &c);
    CHECK(c.spend == 2000 && c.requests == 5);
    CHECK(json_object_get(st.db.marks, "e1") == NULL);   /* pruned */

    s->destroy(s);
    state_free(&st);
    json_decref(groups);
}

UNIT_TEST(test_file_store_failed_write_keeps_pending)
{
    keys_state_t     st;
    store_t         *s;
    char             path[256];
    json_t          *a;
    usage_counts_t   c;

    /* a directory that does not exist: every write fails */
    path_in_dir(path, sizeof(path), "nodir/x.json");
    state_init(&st);
    s = store_file_create(path);
    a = answer("e1", 100, 1, 100);
    CHECK(drain(s, &st, a, NULL) == -1);
    json_decref(a);
    keys_db_lifetime(&st.db, "key", "tok", &c);
    CHECK(c.spend == 0);                     /* rolled back */
    {
        usage_batch_t  b;

        usage_pending(&st.usage, NULL, &b);
        CHECK(b.count == 2 && b.items[0].delta.spend == 100);
        usage_batch_free(&b);
    }
    s->destroy(s);
    state_free(&st);
}

UNIT_TEST(test_budget_reset)
{
    keys_state_t     st;
    store_t         *s;
    char             path[256];
    usage_counts_t   life = { 900, 0, 0, 0 };
    json_t          *rec;

    path_in_dir(path, sizeof(path), "reset.json");
    state_init(&st);
    s = store_file_create(path);
    rec = json_pack("{s:s, s:i, s:i}", "budget_duration", "1h",
                    "budget_reset_at", 5000, "spend_base_micros", 100);
    json_object_set_new(st.db.keys, "tok", rec);
    keys_db_set_lifetime(&st.db, "key", "tok", &life);
    CHECK(keys_db_period_spend(&st.db, "key", "tok", rec) == 800);

    /* someone else already moved the schedule: no reset */
    CHECK(s->reset_budget(s, &st, "key", "tok", 4000, 8600) == 0);
    CHECK(s->reset_budget(s, &st, "key", "tok", 5000, 8600) == 1);
    CHECK(keys_db_period_spend(&st.db, "key", "tok", rec) == 0);
    CHECK(keys_rec_int(rec, "budget_reset_at", 0) == 8600);
    life.spend = 950;
    keys_db_set_lifetime(&st.db, "key", "tok", &life);
    CHECK(keys_db_period_spend(&st.db, "key", "tok", rec) == 50);
    s->destroy(s);
    state_free(&st);
}

UNIT_TEST(test_config_declared)
{
    char        path[256], env[256];
    cfg_diag_t  diag;
    json_t     *keys, *teams, *k;
    const char *yaml =
        "model_list: []\n"
        "general_settings:\n"
        "  master_key: sk-master-123456\n"
        "  teams:\n"
        "    - team_id: research\n"
        "      max_budget: 10\n"
        "  keys:\n"
        "    - key: os.environ/CI_KEY\n"
        "      key_alias: ci\n"
        "      rpm_limit: 60\n";

    path_in_dir(path, sizeof(path), "config.yaml");
    path_in_dir(env, sizeof(env), "env");
    cfg_write_file_atomic(path, yaml, strlen(yaml), 0600);
    cfg_write_file_atomic(env, "CI_KEY=sk-from-env-1234\n", 24, 0600);

    cfg_diag_init(&diag);
    CHECK(keys_config_load(path, env, &keys, &teams, &diag) == 0);
    /* sha256("sk-from-env-1234") is the id; the key itself is nowhere */
    CHECK(json_object_size(keys) == 1);
    json_object_foreach(keys, yaml, k) {
        CHECK(strlen(yaml) == 64);
        CHECK_STR(json_string_value(json_object_get(k, "key_alias")), "ci");
        CHECK_STR(json_string_value(json_object_get(k, "key_name")),
                  "sk-...1234");
        CHECK(json_object_get(k, "key") == NULL);
        CHECK(json_integer_value(json_object_get(k, "rpm_limit")) == 60);
    }
    CHECK(json_object_get(teams, "research") != NULL);
    json_decref(keys);
    json_decref(teams);
    cfg_diag_free(&diag);

    /* a key that does not look like one is an error with its position */
    yaml = "general_settings:\n  keys:\n    - key: not-a-key\n";
    cfg_write_file_atomic(path, yaml, strlen(yaml), 0600);
    cfg_diag_init(&diag);
    CHECK(keys_config_load(path, env, &keys, &teams, &diag) == -1);
    CHECK(cfg_diag_find(&diag, "general_settings.keys[0].key") != NULL);
    CHECK(cfg_diag_find(&diag, ":3:") != NULL);
    cfg_diag_free(&diag);
}

static void
setup(void)
{
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
}

static void
teardown(void)
{
    char  cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
}

UNIT_MAIN(setup, test_usage_deltas_and_epochs, test_mark_text,
          test_file_round_trip, test_file_store_drain_survives_restart,
          test_file_store_failed_write_keeps_pending, test_budget_reset,
          test_config_declared, teardown)
