/* mock_response bodies: valid OpenAI JSON and SSE, with usage. */

#include <jansson.h>

#include "unit.h"
#include "llm_mock.h"
#include "llm_sse.h"


typedef struct {
    int     events;
    int     done;
    int     usage;
    char    text[256];
} collect_t;


static int
on_event(void *arg, const char *event, size_t event_len, const char *data,
    size_t data_len)
{
    collect_t  *c = arg;
    json_t     *j, *content;

    c->events++;

    if (data_len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        c->done = 1;
        return 0;
    }

    j = json_loadb(data, data_len, 0, NULL);
    CHECK(j != NULL);
    if (j == NULL) {
        return 0;
    }

    CHECK_STR(json_string_value(json_object_get(j, "object")),
              "chat.completion.chunk");

    if (json_object_get(j, "usage")) {
        c->usage = 1;
    }

    content = json_object_get(json_object_get(json_array_get(
                  json_object_get(j, "choices"), 0), "delta"), "content");
    if (json_is_string(content)) {
        strcat(c->text, json_string_value(content));
    }

    json_decref(j);
    return 0;
}


UNIT_TEST(test_chat_json)
{
    llm_mock_t   m = { LLM_MOCK_CHAT, "demo", "Hello there", "{\"x\":1}", 7,
                       0, 0, 1700000000, 1 };
    llm_buf_t    out = LLM_BUF_INIT;
    long long    pt, ct;
    json_t      *j;

    CHECK(llm_mock_response(&m, &out, &pt, &ct) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "model")), "demo");
    CHECK_STR(json_string_value(json_object_get(json_object_get(
              json_array_get(json_object_get(j, "choices"), 0), "message"),
              "content")), "Hello there");
    CHECK(json_integer_value(json_object_get(json_object_get(j, "usage"),
                                             "completion_tokens")) == ct);
    CHECK(pt == 2 && ct == 3);
    json_decref(j);
    llm_buf_free(&out);
}


UNIT_TEST(test_chat_stream)
{
    llm_mock_t         m = { LLM_MOCK_CHAT, "demo", "one two three", "{}", 2,
                             1, 1, 1700000000, 2 };
    llm_buf_t          out = LLM_BUF_INIT;
    long long          pt, ct;
    collect_t          c;
    llm_sse_parser_t   p;

    memset(&c, 0, sizeof(c));
    CHECK(llm_mock_response(&m, &out, &pt, &ct) == 0);
    llm_sse_init(&p, 0);
    CHECK(llm_sse_feed(&p, out.data, out.len, on_event, &c) == 0);
    llm_sse_free(&p);
    CHECK_STR(c.text, "one two three");
    CHECK(c.done && c.usage);
    CHECK(c.events == 7);     /* role, 3 words, finish, usage, [DONE] */
    llm_buf_free(&out);
}


UNIT_TEST(test_embedding)
{
    llm_mock_t   m = { LLM_MOCK_EMBEDDING, "emb", "", "{\"input\":[\"a\",\"b\"]}",
                       19, 0, 0, 0, 3 };
    llm_buf_t    out = LLM_BUF_INIT;
    long long    pt, ct;
    json_t      *j, *data;

    CHECK(llm_mock_response(&m, &out, &pt, &ct) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK(j != NULL);
    data = json_object_get(j, "data");
    CHECK(json_array_size(data) == 2);
    CHECK(json_array_size(json_object_get(json_array_get(data, 1),
                                          "embedding")) == 8);
    json_decref(j);
    llm_buf_free(&out);
}


UNIT_MAIN(test_chat_json, test_chat_stream, test_embedding)
