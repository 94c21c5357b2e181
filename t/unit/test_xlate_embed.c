/*
 * Gemini embedContent / batchEmbedContents <-> OpenAI embeddings; OpenAI
 * embeddings <-> Vertex AI's :predict (llm_xlate_embed_out.c's Vertex
 * row; the Cohere row is tested in test_xlate_cohere.c).
 */

#include "test_xlate_util.h"

/* what a translation wrote, as JSON; NULL when it failed */
static json_t *
out_json(int rc, llm_buf_t *out)
{
    json_t  *j = NULL;

    if (rc == 0) {
        j = json_loadb(out->data, out->len, 0, NULL);
        CHECK(j != NULL);
    }
    llm_buf_free(out);
    return j;
}

static json_t *
embed_req(const char *in, int batch, char *err, llm_buf_t *dropped)
{
    llm_buf_t  out = LLM_BUF_INIT;

    err[0] = '\0';
    return out_json(llm_xlate_embed_request(in, strlen(in), batch,
                                            "text-embedding-3", &out,
                                            dropped, err, 256), &out);
}

UNIT_TEST(test_embed_request)
{
    char       err[256];
    json_t    *j;
    llm_buf_t  dropped = LLM_BUF_INIT;

    j = embed_req("{\"model\":\"models/e\",\"content\":{\"parts\":["
                  "{\"text\":\"one\"},{\"text\":\"two\"}]},"
                  "\"taskType\":\"RETRIEVAL_QUERY\","
                  "\"outputDimensionality\":4}", 0, err, &dropped);
    CHECK(j != NULL);
    CHECK_STR(jstr(j, "model"), "text-embedding-3");
    CHECK_STR(jstr(j, "input"), "one\ntwo");
    CHECK(jint(j, "dimensions") == 4);
    CHECK(dropped.len && strcmp(dropped.data, "task_type") == 0);
    json_decref(j);

    llm_buf_reset(&dropped);
    j = embed_req("{\"requests\":[{\"model\":\"models/e\",\"content\":"
                  "{\"parts\":[{\"text\":\"a\"}]},\"title\":\"T\"},"
                  "{\"content\":{\"parts\":[{\"text\":\"b\"}]}}]}",
                  1, err, &dropped);
    CHECK(j != NULL);
    CHECK(json_array_size(jget(j, "input")) == 2);
    CHECK_STR(jstr(j, "input.0"), "a");
    CHECK_STR(jstr(j, "input.1"), "b");
    CHECK(jget(j, "dimensions") == NULL);
    CHECK(dropped.len && strcmp(dropped.data, "title") == 0);
    json_decref(j);
    llm_buf_free(&dropped);

    /* client errors: a message, no body */
    CHECK(embed_req("{\"content\":{\"parts\":[{\"inlineData\":{\"mimeType\":"
                    "\"image/png\",\"data\":\"AAAA\"}}]}}", 0, err, NULL)
          == NULL);
    CHECK(strstr(err, "only text parts") != NULL);
    CHECK(embed_req("{\"content\":{}}", 0, err, NULL) == NULL);
    CHECK(strstr(err, "content.parts") != NULL);
    CHECK(embed_req("{\"requests\":[]}", 1, err, NULL) == NULL);
    CHECK(strstr(err, "requests") != NULL);
    CHECK(embed_req("{\"requests\":[{\"content\":{\"parts\":[{\"text\":"
                    "\"a\"}]},\"outputDimensionality\":4},{\"content\":"
                    "{\"parts\":[{\"text\":\"b\"}]},"
                    "\"outputDimensionality\":8}]}", 1, err, NULL) == NULL);
    CHECK(strstr(err, "same outputDimensionality") != NULL);
    CHECK(embed_req("[1]", 0, err, NULL) == NULL);
    CHECK(err[0] != '\0');
}

UNIT_TEST(test_embed_response)
{
    llm_buf_t    out = LLM_BUF_INIT;
    llm_usage_t  u;
    json_t      *j;
    /* out of order by index; a value that needs 17 digits */
    const char  *two = "{\"object\":\"list\",\"data\":["
                       "{\"object\":\"embedding\",\"index\":1,"
                       "\"embedding\":[0.5,-0.25]},"
                       "{\"object\":\"embedding\",\"index\":0,"
                       "\"embedding\":[0.12345679104328156,1e-7]}],"
                       "\"model\":\"m\",\"usage\":{\"prompt_tokens\":5,"
                       "\"total_tokens\":5}}";
    const char  *one = "{\"data\":[{\"index\":0,\"embedding\":[0.1,0.2]}]}";

    memset(&u, 0, sizeof(u));
    CHECK(llm_xlate_embed_response(two, strlen(two), 1, &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK(j != NULL);
    CHECK(json_array_size(jget(j, "embeddings")) == 2);
    CHECK(json_real_value(jget(j, "embeddings.0.values.0"))
          == 0.12345679104328156);
    CHECK(json_real_value(jget(j, "embeddings.1.values.1")) == -0.25);
    CHECK(u.present && u.prompt_tokens == 5);
    json_decref(j);

    llm_buf_reset(&out);
    CHECK(llm_xlate_embed_response(one, strlen(one), 0, &out, NULL) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK(json_array_size(jget(j, "embedding.values")) == 2);
    CHECK(json_real_value(jget(j, "embedding.values.0")) == 0.1);
    json_decref(j);

    /* not an embeddings response: the caller answers 502 */
    llm_buf_reset(&out);
    CHECK(llm_xlate_embed_response("{\"error\":{}}", 12, 0, &out, NULL) == -1);
    CHECK(llm_xlate_embed_response(two, strlen(two), 0, &out, NULL) == -1);
    CHECK(llm_xlate_embed_response("{\"data\":[{\"embedding\":\"AAAA\"}]}", 31,
                                   0, &out, NULL) == -1);
    llm_buf_free(&out);
}

static json_t *
vertex_req(const char *in, char *err)
{
    llm_buf_t  out = LLM_BUF_INIT;

    err[0] = '\0';
    return out_json(llm_xlate_embed_request_to(LLM_WIRE_VERTEX, in,
                                               strlen(in),
                                               "text-embedding-005", &out,
                                               err, 256), &out);
}

UNIT_TEST(test_vertex_embed_request)
{
    char     err[256];
    json_t  *j;

    CHECK(llm_xlate_embed_wire(LLM_WIRE_VERTEX));
    CHECK(llm_xlate_embed_wire(LLM_WIRE_COHERE_V2));
    CHECK(!llm_xlate_embed_wire(LLM_WIRE_GEMINI));
    CHECK(!llm_xlate_embed_wire(LLM_WIRE_OPENAI));

    j = vertex_req("{\"model\":\"e\",\"input\":[\"a\",\"b\"],"
                   "\"dimensions\":256,\"task_type\":\"RETRIEVAL_QUERY\"}",
                   err);
    CHECK_STR(jstr(j, "instances.0.content"), "a");
    CHECK_STR(jstr(j, "instances.1.content"), "b");
    CHECK_STR(jstr(j, "instances.1.task_type"), "RETRIEVAL_QUERY");
    CHECK(jint(j, "parameters.outputDimensionality") == 256);
    CHECK(jget(j, "model") == NULL);        /* the model is in the path */
    json_decref(j);

    j = vertex_req("{\"input\":\"one\"}", err);
    CHECK(jlen(j, "instances") == 1);
    CHECK(jget(j, "parameters") == NULL);
    json_decref(j);

    CHECK(vertex_req("{\"input\":[[1,2]]}", err) == NULL);
    CHECK(strstr(err, "Vertex AI embeds text, not token arrays") != NULL);
    CHECK(vertex_req("{\"input\":\"x\",\"dimensions\":0}", err) == NULL);
    CHECK(strstr(err, "dimensions must be a positive integer") != NULL);
    CHECK(vertex_req("{\"input\":[]}", err) == NULL);
}

UNIT_TEST(test_vertex_embed_response)
{
    llm_buf_t    out = LLM_BUF_INIT;
    llm_usage_t  u;
    json_t      *j;
    const char  *ans = "{\"predictions\":[{\"embeddings\":{\"values\":"
                       "[0.5,-1.25],\"statistics\":{\"token_count\":3,"
                       "\"truncated\":false}}},{\"embeddings\":{\"values\":"
                       "[1,0],\"statistics\":{\"token_count\":4}}}],"
                       "\"metadata\":{\"billableCharacterCount\":20}}";
    const char  *b64 = "{\"encoding_format\":\"base64\"}";

    CHECK(llm_xlate_embed_response_from(LLM_WIRE_VERTEX, ans, strlen(ans),
                                        NULL, 0, "vx", &out, &u) == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "object"), "list");
    CHECK_STR(jstr(j, "model"), "vx");
    CHECK(jlen(j, "data") == 2);
    CHECK(jint(j, "data.1.index") == 1);
    CHECK(json_real_value(jget(j, "data.0.embedding.1")) == -1.25);
    CHECK(jint(j, "usage.prompt_tokens") == 7);
    CHECK(u.prompt_tokens == 7 && u.total_tokens == 7 && u.present);
    json_decref(j);

    llm_buf_reset(&out);
    CHECK(llm_xlate_embed_response_from(LLM_WIRE_VERTEX, ans, strlen(ans),
                                        b64, strlen(b64), "vx", &out, &u)
          == 0);
    j = json_loadb(out.data, out.len, 0, NULL);
    CHECK_STR(jstr(j, "data.0.embedding"), "AAAAPwAAoL8=");
    json_decref(j);

    /* not an answer of :predict: the caller's 502 */
    llm_buf_reset(&out);
    CHECK(llm_xlate_embed_response_from(LLM_WIRE_VERTEX, "{\"error\":{}}",
                                        12, NULL, 0, "vx", &out, &u) != 0);
    CHECK(llm_xlate_embed_response_from(LLM_WIRE_VERTEX,
          "{\"predictions\":[{\"embeddings\":{}}]}", 35, NULL, 0, "vx",
          &out, &u) != 0);
    llm_buf_free(&out);
}

UNIT_MAIN(test_embed_request, test_embed_response, test_vertex_embed_request,
          test_vertex_embed_response)
