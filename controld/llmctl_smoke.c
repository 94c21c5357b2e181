/*
 * llmctl run-tests: a smoke suite against the running gateway for an
 * operator after a deploy.  Each step is one real request through the
 * public listener, in the API format a client would use.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_http.h"
#include "llmctl.h"
#include "llmctl_out.h"

typedef struct {
    llmctl_options_t  *o;
    char              *base;            /* http://host:port */
    char              *master;
    const char        *model;
    json_t            *results;
    int                failed;
} smoke_t;

typedef struct {
    const char  *path;
    const char  *auth;                  /* full header line */
    const char  *extra;                 /* another header line, or NULL */
    json_t      *body;                  /* taken */
} step_req_t;

static long
send_step(smoke_t *s, step_req_t *q, ctl_http_response_t *resp,
    char *error, size_t size)
{
    ctl_http_call_t   call;
    const char       *headers[3] = { q->auth, q->extra, NULL };
    char              url[1024];
    char             *text;
    int               rc;

    snprintf(url, sizeof(url), "%s%s", s->base, q->path);
    text = q->body ? json_dumps(q->body, JSON_COMPACT) : NULL;
    json_decref(q->body);
    memset(&call, 0, sizeof(call));
    call.method = text ? "POST" : "GET";
    call.url = url;
    call.body = text;
    call.headers = headers;
    call.timeout_ms = 60000;
    rc = ctl_http_call(&call, resp, error, size);
    free(text);
    return rc == 0 ? resp->status : -1;
}

static void
result(smoke_t *s, const char *name, int ok, const char *detail, double t0)
{
    double  ms = llmctl_now_ms() - t0;

    json_array_append_new(s->results, json_pack("{s:s, s:b, s:s, s:f}",
                          "test", name, "ok", ok, "detail", detail,
                          "ms", ms));
    if (!ok) {
        s->failed++;
    }
    if (!s->o->json) {
        printf("%s  %-28s %6.0f ms  %s\n",
               ok ? llmctl_green("ok  ") : llmctl_red("FAIL"), name, ms,
               detail);
        fflush(stdout);
    }
}

/* One request; ok when the status is `want` and `probe` finds its text
 * (NULL: any body). */
static void
step(smoke_t *s, const char *name, step_req_t *q, long want,
    const char *(*probe)(json_t *answer, const char *raw))
{
    ctl_http_response_t   resp;
    char                  error[256], detail[400];
    long                  status;
    json_t               *answer;
    const char           *found = NULL;
    double                t0 = llmctl_now_ms();

    status = send_step(s, q, &resp, error, sizeof(error));
    if (status < 0) {
        result(s, name, 0, error, t0);
        return;
    }
    answer = json_loads(resp.body, 0, NULL);
    if (status == want) {
        found = probe ? probe(answer, resp.body) : "";
    }
    if (found != NULL) {
        snprintf(detail, sizeof(detail), "HTTP %ld%s%.60s%s", status,
                 found[0] ? ": \"" : "", found, found[0] ? "\"" : "");
    } else {
        snprintf(detail, sizeof(detail), "HTTP %ld (want %ld): %.200s",
                 status, want, resp.body);
    }
    result(s, name, found != NULL, detail, t0);
    json_decref(answer);
    ctl_http_response_free(&resp);
}

static const char *
openai_text(json_t *a, const char *raw)
{
    (void) raw;
    return json_string_value(json_object_get(json_object_get(
        json_array_get(json_object_get(a, "choices"), 0), "message"),
        "content"));
}

static const char *
sse_done(json_t *a, const char *raw)
{
    (void) a;
    return strstr(raw, "data: ") && strstr(raw, "data: [DONE]")
           ? "data: ... [DONE]" : NULL;
}

static const char *
anthropic_text(json_t *a, const char *raw)
{
    (void) raw;
    return json_string_value(json_object_get(
        json_array_get(json_object_get(a, "content"), 0), "text"));
}

static const char *
gemini_text(json_t *a, const char *raw)
{
    (void) raw;
    return json_string_value(json_object_get(json_array_get(
        json_object_get(json_object_get(json_array_get(
            json_object_get(a, "candidates"), 0), "content"), "parts"), 0),
        "text"));
}

static const char *
openai_error(json_t *a, const char *raw)
{
    (void) raw;
    return json_string_value(json_object_get(json_object_get(a, "error"),
                                             "message"));
}

static json_t *
chat_body(const char *model, int stream)
{
    return json_pack("{s:s, s:[{s:s, s:s}], s:i, s:b}", "model", model,
                     "messages", "role", "user", "content",
                     "llmctl run-tests: reply with one word", "max_tokens",
                     16, "stream", stream);
}

static void
virtual_key_round_trip(smoke_t *s, const char *bearer)
{
    json_t       *answer, *body;
    const char   *key;
    char          auth[300], *copy;
    long          status = 0;
    step_req_t    q;
    double        t0 = llmctl_now_ms();

    body = json_pack("{s:s, s:[s], s:s}", "key_alias", "llmctl-run-tests",
                     "models", s->model, "duration", "10m");
    answer = llmctl_mgmt_quiet(s->o, "POST", "/key/generate", body, &status);
    json_decref(body);
    key = json_string_value(json_object_get(answer, "key"));
    if (key == NULL) {
        result(s, "virtual key: generate", 0, "POST /key/generate failed "
               "(controld's management API)", t0);
        json_decref(answer);
        return;
    }
    result(s, "virtual key: generate", 1, "key ...(last 4 only)", t0);
    copy = strdup(key);
    json_decref(answer);

    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", copy);
    q = (step_req_t) { "/v1/chat/completions", auth, NULL,
                       chat_body(s->model, 0) };
    step(s, "virtual key: chat", &q, 200, openai_text);

    body = json_pack("{s:[s]}", "keys", copy);
    answer = llmctl_mgmt_quiet(s->o, "POST", "/key/delete", body, &status);
    json_decref(body);
    json_decref(answer);
    q = (step_req_t) { "/v1/chat/completions", auth, NULL,
                       chat_body(s->model, 0) };
    step(s, "virtual key: deleted -> 401", &q, 401, openai_error);

    memset(auth, 0, sizeof(auth));
    memset(copy, 0, strlen(copy));
    free(copy);
    (void) bearer;
}

int
llmctl_cmd_run_tests(llmctl_options_t *o)
{
    smoke_t               s;
    ctl_http_response_t   resp;
    step_req_t            q;
    json_t               *models, *doc;
    char                  auth[1100], xkey[1100], gkey[1100], path[600];
    char                  error[256];
    const char           *first;

    memset(&s, 0, sizeof(s));
    s.o = o;
    s.results = json_array();
    if (llmctl_args_load(o) != 0 || o->listen == NULL
        || llmctl_live_pid(o, "run/llmctl.pid") == 0)
    {
        fprintf(stderr, "llmctl: not running in %s\n", o->prefix);
        json_decref(s.results);
        return LLMCTL_FAILED;
    }
    s.base = llmctl_listen_url(o->listen);
    s.master = llmctl_master_key(o);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
             s.master ? s.master : "");
    snprintf(xkey, sizeof(xkey), "x-api-key: %s", s.master ? s.master : "");
    snprintf(gkey, sizeof(gkey), "x-goog-api-key: %s",
             s.master ? s.master : "");

    /* The model: as given, else the first the gateway lists. */
    models = NULL;
    q = (step_req_t) { "/v1/models", auth, NULL, NULL };
    if (send_step(&s, &q, &resp, error, sizeof(error)) == 200) {
        models = json_loads(resp.body, 0, NULL);
    }
    if (resp.body != NULL) {
        ctl_http_response_free(&resp);
    }
    first = json_string_value(json_object_get(json_array_get(
                json_object_get(models, "data"), 0), "id"));
    s.model = o->model ? o->model : first;
    if (s.model == NULL) {
        fprintf(stderr, "llmctl: GET %s/v1/models gave no model to test "
                "(%s)\n", s.base, models ? "empty list" : error);
        goto done;
    }
    if (!o->json) {
        printf("run-tests against %s, model %s\n", s.base, s.model);
    }

    q = (step_req_t) { "/v1/chat/completions", auth, NULL,
                       chat_body(s.model, 0) };
    step(&s, "openai chat", &q, 200, openai_text);
    q = (step_req_t) { "/v1/chat/completions", auth, NULL,
                       chat_body(s.model, 1) };
    step(&s, "openai chat stream", &q, 200, sse_done);
    q = (step_req_t) { "/v1/messages", xkey, "anthropic-version: 2023-06-01",
                       json_pack("{s:s, s:i, s:[{s:s, s:s}]}", "model",
                                 s.model, "max_tokens", 16, "messages",
                                 "role", "user", "content",
                                 "llmctl run-tests") };
    step(&s, "anthropic messages", &q, 200, anthropic_text);
    snprintf(path, sizeof(path), "/v1beta/models/%s:generateContent",
             s.model);
    q = (step_req_t) { path, gkey, NULL,
                       json_pack("{s:[{s:s, s:[{s:s}]}]}", "contents",
                                 "role", "user", "parts", "text",
                                 "llmctl run-tests") };
    step(&s, "gemini generateContent", &q, 200, gemini_text);
    q = (step_req_t) { "/v1/chat/completions",
                       "Authorization: Bearer sk-llmctl-run-tests-wrong-key",
                       NULL, chat_body(s.model, 0) };
    step(&s, "key auth: wrong key -> 401", &q, 401, openai_error);
    virtual_key_round_trip(&s, auth);

done:
    if (o->json) {
        doc = json_pack("{s:b, s:s?, s:O}", "ok", s.failed == 0 && s.model,
                        "model", s.model, "tests", s.results);
        llmctl_print_json(doc);
        json_decref(doc);
    } else if (s.model != NULL) {
        printf("%zu tests, %d failed\n", json_array_size(s.results),
               s.failed);
    }
    json_decref(models);
    json_decref(s.results);
    memset(auth, 0, sizeof(auth));
    memset(xkey, 0, sizeof(xkey));
    memset(gkey, 0, sizeof(gkey));
    if (s.master != NULL) {
        memset(s.master, 0, strlen(s.master));
        free(s.master);
    }
    free(s.base);
    return s.failed || s.model == NULL ? LLMCTL_FAILED : LLMCTL_OK;
}
