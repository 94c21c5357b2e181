/*
 * Commands that talk to a running instance: stop, status, reload, models,
 * test-model.  They find it through PREFIX/run (pid files, llmctl.args and
 * the admin socket).
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "ctl_http.h"
#include "llmctl.h"

static void
sleep_ms(long ms)
{
    struct timespec  ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static pid_t
live_pid(const llmctl_options_t *o, const char *rel)
{
    char   *path = llmctl_prefix_path(o, rel);
    pid_t   pid = llmctl_read_live_pid(path);

    free(path);
    return pid;
}

json_t *
llmctl_admin_status(const llmctl_options_t *o, char *error, size_t size)
{
    ctl_http_response_t   resp;
    char                 *sock = llmctl_prefix_path(o, "run/admin.sock");
    json_t               *status = NULL;

    if (access(sock, F_OK) != 0) {
        snprintf(error, size, "no admin socket %s", sock);
        free(sock);
        return NULL;
    }
    if (ctl_http_request(sock, "GET", "http://localhost/_llm/status", NULL,
                         NULL, 5000, &resp, error, size) == 0)
    {
        if (resp.status == 200) {
            status = json_loads(resp.body, 0, NULL);
            if (status == NULL) {
                snprintf(error, size, "unreadable answer from the admin API");
            }
        } else {
            snprintf(error, size, "admin API answered HTTP %ld", resp.status);
        }
        ctl_http_response_free(&resp);
    }
    free(sock);
    return status;
}

int
llmctl_cmd_stop(llmctl_options_t *o)
{
    pid_t  pid = live_pid(o, "run/llmctl.pid");
    int    i;

    if (pid == 0) {
        printf("not running (prefix %s)\n", o->prefix);
        return 0;
    }
    if (kill(pid, SIGTERM) != 0) {
        fprintf(stderr, "llmctl: cannot signal pid %ld: %s\n", (long) pid,
                strerror(errno));
        return 1;
    }
    for (i = 0; i < 300; i++) {
        if (kill(pid, 0) != 0) {
            printf("stopped (prefix %s)\n", o->prefix);
            return 0;
        }
        sleep_ms(100);
    }
    fprintf(stderr, "llmctl: pid %ld still running after 30 s\n", (long) pid);
    return 1;
}

/* Deployments controld could not serve, one line each with the reason. */
static void
print_disabled(const json_t *disabled)
{
    size_t   i;
    json_t  *d;

    if (json_array_size(disabled) == 0) {
        return;
    }
    printf("disabled: %zu\n", json_array_size(disabled));
    json_array_foreach(disabled, i, d) {
        printf("  %s (%s): %s\n",
               json_string_value(json_object_get(d, "model_name")),
               json_string_value(json_object_get(d, "model")),
               json_string_value(json_object_get(d, "reason")));
    }
}

int
llmctl_cmd_status(llmctl_options_t *o)
{
    pid_t    sup = live_pid(o, "run/llmctl.pid");
    json_t  *status;
    char     error[256], *url;

    if (o->detailed || o->json) {
        return llmctl_cmd_status_detailed(o);
    }
    if (sup == 0) {
        printf("not running (prefix %s)\n", o->prefix);
        return 3;
    }
    llmctl_args_load(o);

    printf("running (prefix %s)\n", o->prefix);
    printf("pids: llmctl %ld, nginx %ld, controld %ld\n", (long) sup,
           (long) live_pid(o, "run/nginx.pid"),
           (long) live_pid(o, "run/controld.pid"));
    if (o->listen != NULL) {
        url = llmctl_listen_url(o->listen);
        printf("listen: %s\n", url);
        free(url);
    }
    if (o->config != NULL) {
        printf("config: %s\n", o->config);
    }

    status = llmctl_admin_status(o, error, sizeof(error));
    if (status == NULL) {
        printf("admin: unreachable (%s)\n", error);
    } else {
        printf("generation: %lld\ndeployments: %lld\nmodels: %zu\n",
               json_integer_value(json_object_get(status, "generation")),
               json_integer_value(json_object_get(status, "deployments")),
               json_array_size(json_object_get(status, "models")));
        print_disabled(json_object_get(status, "disabled"));
        json_decref(status);
    }
    return 0;
}

int
llmctl_cmd_models(llmctl_options_t *o)
{
    json_t  *status, *model;
    char     error[256], *url;
    size_t   i;

    status = llmctl_admin_status(o, error, sizeof(error));
    if (status == NULL) {
        fprintf(stderr, "llmctl: %s (is it running? llmctl status --prefix "
                "%s)\n", error, o->prefix);
        return 1;
    }
    if (o->json) {
        model = json_object_get(status, "models");
        url = json_dumps(model, JSON_INDENT(2));
        printf("%s\n", url);
        free(url);
        json_decref(status);
        return 0;
    }
    json_array_foreach(json_object_get(status, "models"), i, model) {
        printf("%s\n", json_string_value(model));
    }
    json_decref(status);
    return 0;
}

static long long
current_generation(const llmctl_options_t *o)
{
    char       error[256];
    json_t    *status = llmctl_admin_status(o, error, sizeof(error));
    long long  gen;

    if (status == NULL) {
        return -1;
    }
    gen = json_integer_value(json_object_get(status, "generation"));
    json_decref(status);
    return gen;
}

int
llmctl_cmd_reload(llmctl_options_t *o)
{
    pid_t       sup = live_pid(o, "run/llmctl.pid");
    long long   before, now = -1;
    char       *log;
    int         i;

    if (sup == 0) {
        fprintf(stderr, "llmctl: not running (prefix %s)\n", o->prefix);
        return 3;
    }
    if (llmctl_args_load(o) != 0 || o->config == NULL) {
        fprintf(stderr, "llmctl: cannot read %s/run/llmctl.args\n",
                o->prefix);
        return 1;
    }

    /* Validate here so a broken config never reaches the running one. */
    if (llmctl_validate(o, NULL) != 0) {
        fprintf(stderr, "llmctl: reload refused; the running config is "
                "unchanged\n");
        return 1;
    }

    before = current_generation(o);
    if (llmctl_args_save(o) != 0 || kill(sup, SIGHUP) != 0) {
        fprintf(stderr, "llmctl: cannot signal pid %ld: %s\n", (long) sup,
                strerror(errno));
        return 1;
    }

    for (i = 0; i < 100; i++) {
        sleep_ms(100);
        now = current_generation(o);
        if (now > before) {
            printf("reloaded: generation %lld\n", now);
            return 0;
        }
    }

    log = llmctl_prefix_path(o, "logs/controld.log");
    fprintf(stderr, "llmctl: no new generation within 10 s (still %lld); "
            "see %s\n", now, log);
    llmctl_print_tail(log, 10);
    free(log);
    return 1;
}

int
llmctl_cmd_test_model(llmctl_options_t *o)
{
    ctl_http_response_t   resp;
    char                  error[256], *url, *body, *key = NULL;
    const char           *text, *message;
    json_t               *request, *answer;
    int                   rc = 1;

    llmctl_args_load(o);
    if (o->listen == NULL) {
        fprintf(stderr, "llmctl: not running in %s (no run/llmctl.args)\n",
                o->prefix);
        return 1;
    }

    key = llmctl_master_key(o);

    request = json_pack("{s:s, s:[{s:s, s:s}], s:i}", "model", o->model,
                        "messages", "role", "user", "content",
                        "Reply with one short sentence: are you working?",
                        "max_tokens", 64);
    body = json_dumps(request, JSON_COMPACT);
    json_decref(request);

    url = llmctl_listen_url(o->listen);
    url = realloc(url, strlen(url) + sizeof("/v1/chat/completions"));
    strcat(url, "/v1/chat/completions");

    if (ctl_http_request(NULL, "POST", url, body, key, 120000, &resp, error,
                         sizeof(error)) != 0)
    {
        fprintf(stderr, "llmctl: %s: %s\n", url, error);
        goto done;
    }

    answer = json_loads(resp.body, 0, NULL);
    text = json_string_value(json_object_get(json_object_get(
               json_array_get(json_object_get(answer, "choices"), 0),
               "message"), "content"));
    message = json_string_value(json_object_get(
                  json_object_get(answer, "error"), "message"));

    if (resp.status == 200 && text != NULL) {
        printf("%s\n", text);
        rc = 0;
    } else {
        fprintf(stderr, "llmctl: %s answered HTTP %ld: %.500s\n", o->model,
                resp.status, message ? message : resp.body);
    }
    json_decref(answer);
    ctl_http_response_free(&resp);

done:
    if (key != NULL) {
        memset(key, 0, strlen(key));
        free(key);
    }
    free(body);
    free(url);
    return rc;
}
