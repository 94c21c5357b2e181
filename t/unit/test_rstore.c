/* llm_rstore: stored responses' entries, prepend, input_items */

#include <jansson.h>

#include "llm_rstore.h"
#include "unit.h"

static const char  *resp_obj =
    "{\"id\":\"resp_abc\",\"object\":\"response\",\"status\":\"completed\","
    "\"output\":[{\"type\":\"message\",\"id\":\"msg_out\",\"role\":"
    "\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":"
    "\"Paris\",\"annotations\":[]}]}]}";

static json_t *
load(const llm_buf_t *b)
{
    return json_loadb(b->data, b->len, 0, NULL);
}

UNIT_TEST(test_read_request)
{
    char              err[128];
    const char       *s;
    llm_rstore_req_t  q;

    CHECK(llm_rstore_read_request("{\"input\":\"x\"}", 13, &q, err,
                                  sizeof(err)) == 0);
    CHECK(q.store == 1 && q.previous[0] == '\0');

    s = "{\"store\":false,\"previous_response_id\":\"resp_1\"}";
    CHECK(llm_rstore_read_request(s, strlen(s), &q, err, sizeof(err)) == 0);
    CHECK(q.store == 0);
    CHECK_STR(q.previous, "resp_1");

    CHECK(llm_rstore_read_request("{\"previous_response_id\":5}", 26, &q,
                                  err, sizeof(err)) == -1);
    CHECK(strstr(err, "previous_response_id") != NULL);
    CHECK(llm_rstore_read_request("[1]", 3, &q, err, sizeof(err)) == -1);
}

UNIT_TEST(test_read_request_scan)
{
    char              err[128];
    const char       *s;
    llm_rstore_req_t  q;

    /* escaped names are the same members; nested ones are not */
    s = "{\"input\":{\"store\":false},\"\\u0073tore\" : false,"
        "\"previous_response_id\" :\t\"resp_\\u0041\"}";
    CHECK(llm_rstore_read_request(s, strlen(s), &q, err, sizeof(err)) == 0);
    CHECK(q.store == 0);
    CHECK_STR(q.previous, "resp_A");

    s = "{\"input\":{\"store\":false,\"previous_response_id\":\"x\"}}";
    CHECK(llm_rstore_read_request(s, strlen(s), &q, err, sizeof(err)) == 0);
    CHECK(q.store == 1 && q.previous[0] == '\0');

    s = "{\"previous_response_id\":null,\"store\":true}";
    CHECK(llm_rstore_read_request(s, strlen(s), &q, err, sizeof(err)) == 0);
    CHECK(q.store == 1 && q.previous[0] == '\0');

    s = "{\"previous_response_id\":\"\"}";
    CHECK(llm_rstore_read_request(s, strlen(s), &q, err, sizeof(err)) == -1);
}

UNIT_TEST(test_upstream_entries)
{
    char        dep[64], id[LLM_RSTORE_ID_MAX];
    const char *s;
    llm_buf_t   e = LLM_BUF_INIT;

    CHECK(llm_rstore_upstream_entry("dep-1", &e) == 0);
    CHECK(e.len == strlen("{\"upstream\":{\"deployment\":\"dep-1\"}}"));
    CHECK(llm_rstore_kind(e.data, e.len, dep, sizeof(dep))
          == LLM_RSTORE_UPSTREAM);
    CHECK_STR(dep, "dep-1");
    CHECK(llm_rstore_kind("{\"input\":[],\"response\":{}}", 26, dep,
                          sizeof(dep)) == LLM_RSTORE_STORED);
    llm_buf_free(&e);

    /* a response object, and a stream's final event */
    CHECK(llm_rstore_answer_id(resp_obj, strlen(resp_obj), id, sizeof(id))
          == 0);
    CHECK_STR(id, "resp_abc");
    s = "{\"type\":\"response.completed\",\"sequence_number\":9,"
        "\"response\":{\"object\":\"response\",\"id\":\"resp_9f\","
        "\"output\":[{\"id\":\"msg_1\"}]}}";
    CHECK(llm_rstore_answer_id(s, strlen(s), id, sizeof(id)) == 0);
    CHECK_STR(id, "resp_9f");

    /* nothing that cannot go in a URL path */
    s = "{\"id\":\"resp_a/../b\"}";
    CHECK(llm_rstore_answer_id(s, strlen(s), id, sizeof(id)) == -1);
    s = "{\"id\":\"resp\\r\\nX: y\"}";
    CHECK(llm_rstore_answer_id(s, strlen(s), id, sizeof(id)) == -1);
    s = "{\"id\":5,\"response\":7}";
    CHECK(llm_rstore_answer_id(s, strlen(s), id, sizeof(id)) == -1);
    CHECK(llm_rstore_answer_id("[]", 2, id, sizeof(id)) == -1);
}

UNIT_TEST(test_entry_and_prepend)
{
    char        id[LLM_RSTORE_ID_MAX];
    const char *req = "{\"model\":\"m\",\"input\":\"capital of France?\"}";
    llm_buf_t   e = LLM_BUF_INIT, b = LLM_BUF_INIT, r = LLM_BUF_INIT;
    json_t     *j, *in;

    CHECK(llm_rstore_entry(req, strlen(req), resp_obj, strlen(resp_obj), &e,
                           id, sizeof(id)) == 0);
    CHECK_STR(id, "resp_abc");
    j = load(&e);
    in = json_object_get(j, "input");
    CHECK(json_array_size(in) == 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(in, 0),
                                                "id")), "msg_abc_0");
    CHECK_STR(json_string_value(json_object_get(json_array_get(
              json_object_get(json_array_get(in, 0), "content"), 0),
              "text")), "capital of France?");
    json_decref(j);

    /* the follow-up: stored input, stored output, then the new input */
    req = "{\"model\":\"m\",\"previous_response_id\":\"resp_abc\","
          "\"input\":[{\"role\":\"user\",\"content\":\"and Spain?\"}]}";
    CHECK(llm_rstore_prepend(req, strlen(req), e.data, e.len, &b) == 0);
    j = load(&b);
    in = json_object_get(j, "input");
    CHECK(json_array_size(in) == 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(in, 1),
                                                "id")), "msg_out");
    CHECK_STR(json_string_value(json_object_get(json_array_get(in, 2),
                                                "content")), "and Spain?");
    CHECK_STR(json_string_value(json_object_get(j, "model")), "m");
    json_decref(j);

    CHECK(llm_rstore_response(e.data, e.len, &r) == 0);
    j = load(&r);
    CHECK_STR(json_string_value(json_object_get(j, "id")), "resp_abc");
    json_decref(j);

    CHECK(llm_rstore_prepend(req, strlen(req), "[]", 2, &b) == -1);
    llm_buf_free(&e);
    llm_buf_free(&b);
    llm_buf_free(&r);
}

UNIT_TEST(test_entry_refused)
{
    char        id[LLM_RSTORE_ID_MAX];
    const char *req = "{\"input\":\"x\"}";
    const char *failed = "{\"id\":\"resp_f\",\"object\":\"response\","
                         "\"status\":\"failed\",\"output\":[]}";
    llm_buf_t   e = LLM_BUF_INIT;

    CHECK(llm_rstore_entry(req, strlen(req), failed, strlen(failed), &e, id,
                           sizeof(id)) == -1);
    CHECK(llm_rstore_entry(req, strlen(req), "{\"error\":{}}", 12, &e, id,
                           sizeof(id)) == -1);
    CHECK(llm_rstore_entry("{}", 2, resp_obj, strlen(resp_obj), &e, id,
                           sizeof(id)) == -1);
    CHECK(e.len == 0);
    llm_buf_free(&e);
}

UNIT_TEST(test_input_items)
{
    char        id[LLM_RSTORE_ID_MAX], err[128];
    const char *req = "{\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
                      "{\"role\":\"user\",\"content\":\"b\"},"
                      "{\"id\":\"mine\",\"role\":\"user\",\"content\":\"c\"}]}";
    llm_buf_t   e = LLM_BUF_INIT, l = LLM_BUF_INIT;
    json_t     *j;

    CHECK(llm_rstore_entry(req, strlen(req), resp_obj, strlen(resp_obj), &e,
                           id, sizeof(id)) == 0);

    /* default: newest first */
    CHECK(llm_rstore_input_items(e.data, e.len, NULL, 2, NULL, &l, err,
                                 sizeof(err)) == 0);
    j = load(&l);
    CHECK_STR(json_string_value(json_object_get(j, "object")), "list");
    CHECK(json_array_size(json_object_get(j, "data")) == 2);
    CHECK_STR(json_string_value(json_object_get(j, "first_id")), "mine");
    CHECK_STR(json_string_value(json_object_get(j, "last_id")), "msg_abc_1");
    CHECK(json_is_true(json_object_get(j, "has_more")));
    json_decref(j);

    llm_buf_reset(&l);
    CHECK(llm_rstore_input_items(e.data, e.len, "desc", 2, "msg_abc_1", &l,
                                 err, sizeof(err)) == 0);
    j = load(&l);
    CHECK(json_array_size(json_object_get(j, "data")) == 1);
    CHECK_STR(json_string_value(json_object_get(j, "first_id")), "msg_abc_0");
    CHECK(json_is_false(json_object_get(j, "has_more")));
    json_decref(j);

    llm_buf_reset(&l);
    CHECK(llm_rstore_input_items(e.data, e.len, "asc", 20, NULL, &l, err,
                                 sizeof(err)) == 0);
    j = load(&l);
    CHECK(json_array_size(json_object_get(j, "data")) == 3);
    CHECK_STR(json_string_value(json_object_get(j, "first_id")), "msg_abc_0");
    CHECK_STR(json_string_value(json_object_get(j, "last_id")), "mine");
    CHECK(json_is_false(json_object_get(j, "has_more")));
    json_decref(j);

    CHECK(llm_rstore_input_items(e.data, e.len, "sideways", 20, NULL, &l,
                                 err, sizeof(err)) == -1);
    CHECK(strstr(err, "order") != NULL);
    CHECK(llm_rstore_input_items(e.data, e.len, "asc", 0, NULL, &l, err,
                                 sizeof(err)) == -1);
    CHECK(strstr(err, "limit") != NULL);
    CHECK(llm_rstore_input_items(e.data, e.len, "asc", 5, "nope", &l, err,
                                 sizeof(err)) == -1);
    llm_buf_free(&e);
    llm_buf_free(&l);
}

UNIT_TEST(test_bodies)
{
    llm_buf_t  b = LLM_BUF_INIT;
    json_t    *j, *er;

    llm_rstore_not_found("resp_x", 0, &b);
    j = load(&b);
    er = json_object_get(j, "error");
    CHECK_STR(json_string_value(json_object_get(er, "message")),
              "Response with id 'resp_x' not found.");
    CHECK(json_is_null(json_object_get(er, "param")));
    CHECK(json_is_null(json_object_get(er, "code")));
    json_decref(j);

    llm_buf_reset(&b);
    llm_rstore_not_found("resp_x", 1, &b);
    j = load(&b);
    er = json_object_get(j, "error");
    CHECK_STR(json_string_value(json_object_get(er, "message")),
              "Previous response with id 'resp_x' not found.");
    CHECK_STR(json_string_value(json_object_get(er, "param")),
              "previous_response_id");
    CHECK_STR(json_string_value(json_object_get(er, "type")),
              "invalid_request_error");
    CHECK_STR(json_string_value(json_object_get(er, "code")),
              "previous_response_not_found");
    json_decref(j);

    llm_buf_reset(&b);
    llm_rstore_deleted("resp_x", &b);
    j = load(&b);
    CHECK(json_is_true(json_object_get(j, "deleted")));
    CHECK_STR(json_string_value(json_object_get(j, "object")), "response");
    json_decref(j);
    llm_buf_free(&b);
}

UNIT_MAIN(test_read_request, test_read_request_scan, test_upstream_entries,
          test_entry_and_prepend, test_entry_refused,
          test_input_items, test_bodies)
