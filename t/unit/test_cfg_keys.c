/*
 * Virtual keys in controld: key generation and hashing, durations and
 * budget reset scheduling, money, the API's field validation and views,
 * the table published to the module, and the management API's HTTP
 * parser.
 */

#include <stdlib.h>
#include <string.h>

#include "http_server.h"
#include "keys_db.h"
#include "keys_fields.h"
#include "keys_util.h"
#include "unit.h"

UNIT_TEST(test_generate_format)
{
    char    a[KEYS_KEY_LEN + 1], b[KEYS_KEY_LEN + 1];
    size_t  i;
    int     ok = 1;

    CHECK(keys_generate(a) == 0);
    CHECK(keys_generate(b) == 0);
    CHECK(strncmp(a, "sk-", 3) == 0);
    CHECK(strlen(a) == KEYS_KEY_LEN);
    CHECK(strlen(a) - 3 >= 32);
    for (i = 3; a[i]; i++) {
        if (!((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= 'a' && a[i] <= 'z')
              || (a[i] >= '0' && a[i] <= '9') || a[i] == '-' || a[i] == '_'))
        {
            ok = 0;
        }
    }
    CHECK(ok);                              /* url-safe alphabet only */
    CHECK(strcmp(a, b) != 0);               /* not a constant */
}

UNIT_TEST(test_generate_uses_whole_alphabet)
{
    char    k[KEYS_KEY_LEN + 1];
    int     seen[256] = { 0 }, distinct = 0, i, j;

    /* 200 keys x 43 chars: every one of the 64 symbols shows up. */
    for (i = 0; i < 200; i++) {
        keys_generate(k);
        for (j = 3; k[j]; j++) {
            seen[(unsigned char) k[j]]++;
        }
    }
    for (i = 0; i < 256; i++) {
        distinct += seen[i] > 0;
    }
    CHECK(distinct == 64);
}

UNIT_TEST(test_token_and_name)
{
    char  token[KEYS_TOKEN_LEN + 1], name[32];

    keys_token("sk-1234", token);
    CHECK_STR(token,
        "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b");
    CHECK(keys_is_token(token));
    CHECK(!keys_is_token("sk-1234"));
    CHECK(!keys_is_token("88DC28D0F030C55ED4AB77ED8FAF098196CB1C05DF778539800"
                         "C9F1243FE6B4B"));
    keys_name("sk-abcdefgh1234WXYZ", name, sizeof(name));
    CHECK_STR(name, "sk-...WXYZ");
}

UNIT_TEST(test_money)
{
    CHECK(keys_usd_to_micros(1.5) == 1500000);
    CHECK(keys_usd_to_micros(0.000001) == 1);
    CHECK(keys_usd_to_micros(0.0000004) == 0);
    CHECK(keys_usd_to_micros(0.1 + 0.2) == 300000);   /* no float drift */
    CHECK(keys_micros_to_usd(2500000) == 2.5);
}

UNIT_TEST(test_duration_parse)
{
    keys_duration_t  d;

    CHECK(keys_duration_parse("30s", &d) == 0 && d.count == 30 && !d.months);
    CHECK(keys_duration_parse("30m", &d) == 0 && d.count == 1800);
    CHECK(keys_duration_parse("1h", &d) == 0 && d.count == 3600);
    CHECK(keys_duration_parse("30d", &d) == 0 && d.count == 2592000);
    CHECK(keys_duration_parse("2w", &d) == 0 && d.count == 1209600);
    CHECK(keys_duration_parse("1mo", &d) == 0 && d.count == 1 && d.months);
    CHECK(keys_duration_parse("3 months", &d) == 0 && d.count == 3
          && d.months);
    CHECK(keys_duration_parse("45", &d) == 0 && d.count == 45);
    CHECK(keys_duration_parse("", &d) == -1);
    CHECK(keys_duration_parse("0s", &d) == -1);
    CHECK(keys_duration_parse("-5m", &d) == -1);
    CHECK(keys_duration_parse("5x", &d) == -1);
    CHECK(keys_duration_parse("d", &d) == -1);
    CHECK(keys_duration_parse(NULL, &d) == -1);
}

UNIT_TEST(test_next_reset)
{
    keys_duration_t  d;

    /* not scheduled yet: one period from now */
    keys_duration_parse("1h", &d);
    CHECK(keys_next_reset(0, 1000, &d) == 4600);
    /* still in the future: unchanged */
    CHECK(keys_next_reset(5000, 1000, &d) == 5000);
    /* passed: the next boundary on the same grid, never drifting */
    CHECK(keys_next_reset(4600, 4600, &d) == 8200);
    CHECK(keys_next_reset(4600, 4601, &d) == 8200);
    /* a long outage skips whole periods in one step */
    CHECK(keys_next_reset(4600, 4600 + 3600 * 1000 + 5, &d)
          == 4600 + 3600 * 1001);

    /* months are calendar months, clamped to the month's length */
    keys_duration_parse("1mo", &d);
    CHECK(keys_duration_add(1706702400, &d) == 1709208000); /* 31 Jan 2024
                                                        -> 29 Feb 2024 */
    CHECK(keys_duration_add(1675166400, &d) == 1677585600); /* 31 Jan 2023
                                                        -> 28 Feb 2023 */
    CHECK(keys_next_reset(1706702400, 1706702400, &d) == 1709208000);
}

UNIT_TEST(test_times)
{
    char  buf[40], day[11];

    keys_iso_time(1735689600, buf, sizeof(buf));
    CHECK_STR(buf, "2025-01-01T00:00:00+00:00");
    CHECK(keys_parse_time(buf) == 1735689600);
    CHECK(keys_parse_time("2025-01-01T00:00:00Z") == 1735689600);
    CHECK(keys_parse_time("2025-01-01T02:00:00.123+02:00") == 1735689600);
    CHECK(keys_parse_time("2025-01-01") == 1735689600);
    CHECK(keys_parse_time("1735689600") == 1735689600);
    CHECK(keys_parse_time("2025-13-01") == -1);
    CHECK(keys_parse_time("yesterday") == -1);
    keys_day(1735689600 + 86399, day);
    CHECK_STR(day, "2025-01-01");
}

UNIT_TEST(test_fields_apply)
{
    json_t        *rec = json_object();
    json_t        *body;
    keys_error_t   err;
    double         spend = 0;
    int            given = 0;

    body = json_pack("{s:s, s:[s], s:f, s:s, s:i, s:n, s:{s:i}, s:s, s:b,"
                     " s:f, s:s}",
                     "key_alias", "ci", "models", "gpt-4o", "max_budget",
                     1.25, "budget_duration", "30d", "rpm_limit", 60,
                     "tpm_limit", "model_rpm_limit", "gpt-4o", 5,
                     "duration", "1h", "blocked", 1, "spend", 0.5,
                     "unknown_field", "ignored");
    CHECK(keys_fields_apply(rec, body, KEYS_KIND_KEY, 1000, &spend, &given,
                            &err) == 0);
    CHECK_STR(json_string_value(json_object_get(rec, "key_alias")), "ci");
    CHECK(json_integer_value(json_object_get(rec, "max_budget_micros"))
          == 1250000);
    CHECK(json_integer_value(json_object_get(rec, "budget_reset_at"))
          == 1000 + 2592000);
    CHECK(json_integer_value(json_object_get(rec, "rpm_limit")) == 60);
    CHECK(json_is_null(json_object_get(rec, "tpm_limit")));
    CHECK(json_integer_value(json_object_get(rec, "expires")) == 4600);
    CHECK(json_is_true(json_object_get(rec, "blocked")));
    CHECK(given && spend == 0.5);
    CHECK(json_object_get(rec, "unknown_field") == NULL);
    json_decref(body);

    /* errors name the field */
    body = json_pack("{s:i}", "max_budget", -1);
    CHECK(keys_fields_apply(rec, body, KEYS_KIND_KEY, 0, &spend, &given,
                            &err) == -1);
    CHECK(err.status == 400);
    CHECK_STR(err.param, "max_budget");
    json_decref(body);

    body = json_pack("{s:s}", "budget_duration", "soon");
    CHECK(keys_fields_apply(rec, body, KEYS_KIND_KEY, 0, &spend, &given,
                            &err) == -1);
    CHECK_STR(err.param, "budget_duration");
    CHECK_STR(err.type, "invalid_request_error");
    json_decref(body);

    body = json_pack("{s:[i]}", "models", 3);
    CHECK(keys_fields_apply(rec, body, KEYS_KIND_KEY, 0, &spend, &given,
                            &err) == -1);
    CHECK_STR(err.param, "models");
    json_decref(body);

    body = json_pack("{s:f}", "rpm_limit", 1.5);
    CHECK(keys_fields_apply(rec, body, KEYS_KIND_KEY, 0, &spend, &given,
                            &err) == -1);
    CHECK_STR(err.param, "rpm_limit");
    json_decref(body);

    /* key-only fields are not team fields */
    body = json_pack("{s:s, s:s}", "team_alias", "R", "duration", "nonsense");
    CHECK(keys_fields_apply(rec, body, KEYS_KIND_TEAM, 0, &spend, &given,
                            &err) == 0);
    CHECK_STR(json_string_value(json_object_get(rec, "team_alias")), "R");
    json_decref(body);
    json_decref(rec);
}

UNIT_TEST(test_views_and_period_spend)
{
    keys_db_t        db;
    usage_counts_t   life = { 3000000, 10, 20, 2 };
    json_t          *rec, *view;

    keys_db_init(&db);
    rec = json_pack("{s:s, s:I, s:I, s:i, s:s}", "key_alias", "a",
                    "max_budget_micros", (json_int_t) 2000000,
                    "spend_base_micros", (json_int_t) 1000000,
                    "rpm_limit", 0, "budget_duration", "1h");
    json_object_set_new(db.keys, "t1", rec);
    keys_db_set_lifetime(&db, "key", "t1", &life);

    CHECK(keys_db_period_spend(&db, "key", "t1", rec) == 2000000);
    view = keys_fields_key_view(&db, "t1", rec);
    CHECK(json_real_value(json_object_get(view, "spend")) == 2.0);
    CHECK(json_real_value(json_object_get(view, "lifetime_spend")) == 3.0);
    CHECK(json_real_value(json_object_get(view, "max_budget")) == 2.0);
    CHECK(json_is_null(json_object_get(view, "rpm_limit")));   /* 0 = none */
    CHECK(json_integer_value(json_object_get(view, "prompt_tokens")) == 10);
    CHECK(json_is_null(json_object_get(view, "expires")));
    json_decref(view);
    keys_db_free(&db);
}

UNIT_TEST(test_publish_doc)
{
    keys_db_t        db;
    usage_state_t    us;
    usage_counts_t   life = { 500, 0, 0, 0 };
    json_t          *doc, *k, *t, *answer;

    keys_db_init(&db);
    usage_state_init(&us);
    json_object_set_new(db.keys, "tok", json_pack(
        "{s:s, s:[s], s:s, s:n, s:i, s:i, s:{s:i}, s:I, s:b}",
        "key_alias", "a", "models", "m1", "team_id", "tm",
        "max_budget_micros", "rpm_limit", 7, "tpm_limit", 0,
        "model_tpm_limit", "m1", 9, "expires", (json_int_t) 99,
        "blocked", 1));
    json_object_set_new(db.teams, "tm", json_pack("{s:I, s:I}",
        "max_budget_micros", (json_int_t) 1000, "spend_base_micros",
        (json_int_t) 100));
    keys_db_set_lifetime(&db, "key", "tok", &life);
    life.spend = 400;
    keys_db_set_lifetime(&db, "team", "tm", &life);

    /* the module has counted 70 more on the key, 20 of it durable */
    answer = json_loads("{\"epoch\":\"e1\",\"keys\":{\"tok\":{\"spend_micros\""
                        ":70}},\"teams\":{}}", 0, NULL);
    usage_observe(&us, answer);
    usage_set_marks(&us, json_loads("{\"key\":{\"tok\":[20,0,0,0]}}", 0,
                                    NULL));
    json_decref(us.marks);          /* usage_set_marks took a reference */

    doc = keys_db_publish_doc(&db, &us);
    CHECK(json_integer_value(json_object_get(doc, "version")) == 1);
    CHECK_STR(json_string_value(json_object_get(doc, "epoch")), "e1");
    k = json_array_get(json_object_get(doc, "keys"), 0);
    CHECK_STR(json_string_value(json_object_get(k, "token")), "tok");
    CHECK_STR(json_string_value(json_object_get(k, "alias")), "a");
    CHECK(json_is_null(json_object_get(k, "max_budget_micros")));
    CHECK(json_integer_value(json_object_get(k, "spend_micros")) == 550);
    CHECK(json_integer_value(json_object_get(k, "local_base_micros")) == 70);
    CHECK(json_integer_value(json_object_get(k, "rpm_limit")) == 7);
    CHECK(json_integer_value(json_object_get(json_object_get(k,
          "model_tpm_limit"), "m1")) == 9);
    CHECK(json_integer_value(json_object_get(k, "expires")) == 99);
    CHECK(json_is_true(json_object_get(k, "blocked")));
    t = json_array_get(json_object_get(doc, "teams"), 0);
    CHECK_STR(json_string_value(json_object_get(t, "team_id")), "tm");
    CHECK(json_integer_value(json_object_get(t, "spend_micros")) == 300);
    CHECK(json_integer_value(json_object_get(t, "max_budget_micros"))
          == 1000);
    json_decref(doc);
    json_decref(answer);
    usage_state_free(&us);
    keys_db_free(&db);
}

static int
parse(const char *text, http_request_t *req)
{
    return http_parse_request(text, strlen(text), req);
}

UNIT_TEST(test_http_parse)
{
    http_request_t  req;
    char           *v;
    char            big[HTTP_MAX_HEADER + 64];

    CHECK(parse("POST /key/generate HTTP/1.1\r\nHost: x\r\nContent-Length: "
                "2\r\nAuthorization: Bearer sk-1\r\n\r\n{}", &req) == 0);
    CHECK_STR(req.method, "POST");
    CHECK_STR(req.path, "/key/generate");
    CHECK_STR(http_header(&req, "authorization"), "Bearer sk-1");
    CHECK(req.body_len == 2 && strcmp(req.body, "{}") == 0);
    http_request_free(&req);

    /* body not all there yet */
    CHECK(parse("POST /k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",
                &req) == 1);
    CHECK(parse("GET /k HTTP/1.1\r\nHost: x\r\n", &req) == 1);

    CHECK(parse("GET /key/info?key=sk-a%2Bb&x=1 HTTP/1.0\r\n\r\n", &req)
          == 0);
    v = http_query_param(&req, "key");
    CHECK_STR(v, "sk-a+b");
    free(v);
    CHECK(http_query_param(&req, "nope") == NULL);
    http_request_free(&req);

    /* strictness */
    CHECK(parse("GET /k HTTP/1.1\r\n\r\n", &req) == 400);      /* no Host */
    CHECK(parse("GET /k HTTP/2.0\r\nHost: x\r\n\r\n", &req) == 400);
    CHECK(parse("GET /k HTTP/1.2\r\nHost: x\r\n\r\n", &req) == 505);
    CHECK(parse("get /k HTTP/1.1\r\nHost: x\r\n\r\n", &req) == 400);
    CHECK(parse("GET k HTTP/1.1\r\nHost: x\r\n\r\n", &req) == 400);
    CHECK(parse("GET /k HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", &req)
          == 400);
    CHECK(parse("POST /k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                "\r\n\r\n", &req) == 501);
    CHECK(parse("POST /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                "Content-Length: 2\r\n\r\nab", &req) == 400);
    CHECK(parse("POST /k HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                &req) == 400);
    CHECK(parse("POST /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577"
                "\r\n\r\n", &req) == 413);
    CHECK(parse("GET /k%00 HTTP/1.1\r\nHost: x\r\n\r\n", &req) == 400);
    CHECK(parse("GET /k HTTP/1.1\r\nBad Header: x\r\n\r\n", &req) == 400);

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "GET /k HTTP/1.1\r\nX: ", 20);
    CHECK(parse(big, &req) == 431);
}

UNIT_MAIN(test_generate_format, test_generate_uses_whole_alphabet,
          test_token_and_name, test_money, test_duration_parse,
          test_next_reset, test_times, test_fields_apply,
          test_views_and_period_spend, test_publish_doc, test_http_parse)
