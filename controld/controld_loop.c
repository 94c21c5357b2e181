/*
 * The daemon: compile, resolve, snapshot, publish; then wait for a signal
 * or the next DNS round.  Single-threaded: signals are blocked and taken
 * synchronously with sigtimedwait(), so no handler runs mid-publish.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "cfg_file.h"
#include "cfg_resolve.h"
#include "controld.h"
#include "ctl_http.h"
#include "ctl_log.h"

#define PUBLISH_RETRY_MS  500
#define PUBLISH_URL       "http://localhost/_llm/config"

typedef struct {
    const controld_options_t  *opts;
    json_t                    *compiled;    /* last good compile, no addrs */
    cfg_dns_t                  dns;
    char                      *published;   /* text nginx last accepted */
    char                      *pending;     /* text still to publish */
    int                        waiting;     /* "waiting for nginx" said */
} controld_t;

static double
now_seconds(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
log_dns(const char *message)
{
    ctl_log("%s", message);
}

/* Compiles the config; messages go to the log.  Returns the doc or NULL. */
static json_t *
compile(const controld_options_t *opts)
{
    cfg_result_t   res;
    json_t        *doc;
    size_t         i;

    cfg_compile_file(opts->config, opts->env, &res);
    for (i = 0; i < res.diag.count; i++) {
        ctl_log("%s", res.diag.items[i].text);
    }
    doc = res.doc;
    res.doc = NULL;
    cfg_result_free(&res);
    return doc;
}

/*
 * Resolve hosts and, if the result differs from what nginx has (or `force`,
 * after an operator reload), snapshot it and queue it for publishing.
 */
static void
refresh(controld_t *cd, int force)
{
    json_t  *doc;
    char    *text;

    doc = json_deep_copy(cd->compiled);
    cfg_dns_resolve(&cd->dns, doc, log_dns);
    text = cfg_dump(doc, 0);
    json_decref(doc);

    if (!force && cd->published != NULL && strcmp(text, cd->published) == 0) {
        free(text);
        return;
    }

    /* The snapshot goes first so a restarted nginx never loads older
     * config than what it was last given. */
    if (cfg_write_file_atomic(cd->opts->snapshot, text, strlen(text), 0600)
        != 0)
    {
        ctl_log("cannot write snapshot %s: %s", cd->opts->snapshot,
                strerror(errno));
    }

    free(cd->pending);
    cd->pending = text;
}

/* One publish attempt.  Returns 1 when the pending text is settled. */
static int
publish(controld_t *cd)
{
    ctl_http_response_t   resp;
    char                  error[256];
    json_t               *answer;

    if (ctl_http_request(cd->opts->admin_socket, "POST", PUBLISH_URL,
                         cd->pending, NULL, 10000, &resp, error,
                         sizeof(error)) != 0
        || resp.status >= 500)
    {
        if (!cd->waiting) {
            ctl_log("waiting for nginx on %s (%s); retrying every %d ms",
                    cd->opts->admin_socket,
                    resp.body ? "server error"
                    : access(cd->opts->admin_socket, F_OK) != 0
                      ? "no socket yet" : error,
                    PUBLISH_RETRY_MS);
            cd->waiting = 1;
        }
        ctl_http_response_free(&resp);
        return 0;
    }
    cd->waiting = 0;

    answer = json_loads(resp.body, 0, NULL);
    if (resp.status == 200) {
        ctl_log("published generation %lld (%zu deployments)",
                json_integer_value(json_object_get(answer, "generation")),
                json_array_size(json_object_get(cd->compiled,
                                                "deployments")));
        free(cd->published);
        cd->published = cd->pending;
    } else {
        /* Retrying the same document would fail the same way. */
        ctl_log("nginx rejected the config (HTTP %ld): %.300s", resp.status,
                json_string_value(json_object_get(answer, "error"))
                    ? json_string_value(json_object_get(answer, "error"))
                    : resp.body);
        free(cd->pending);
    }
    cd->pending = NULL;
    json_decref(answer);
    ctl_http_response_free(&resp);
    return 1;
}

static void
reload(controld_t *cd)
{
    json_t  *doc;

    ctl_log("SIGHUP: reloading %s", cd->opts->config);
    doc = compile(cd->opts);
    if (doc == NULL) {
        ctl_log("reload failed; the running config stays in place");
        return;
    }
    json_decref(cd->compiled);
    cd->compiled = doc;
    refresh(cd, 1);
}

static void
write_pid_file(const char *path)
{
    char  buf[32];

    snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());
    if (cfg_write_file_atomic(path, buf, strlen(buf), 0644) != 0) {
        ctl_log("cannot write pid file %s: %s", path, strerror(errno));
    }
}

int
controld_run(const controld_options_t *opts)
{
    controld_t        cd;
    sigset_t          set;
    struct timespec   wait;
    double            next_resolve, left;
    int               sig, rc = 0;

    memset(&cd, 0, sizeof(cd));
    cd.opts = opts;
    cfg_dns_init(&cd.dns);

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    cd.compiled = compile(opts);
    if (cd.compiled == NULL) {
        ctl_log("the config has errors; not starting");
        cfg_dns_free(&cd.dns);
        return 1;
    }
    if (opts->pid_file != NULL) {
        write_pid_file(opts->pid_file);
    }
    ctl_log("started (config %s, admin socket %s)", opts->config,
            opts->admin_socket);

    refresh(&cd, 1);
    next_resolve = now_seconds() + opts->resolve_interval;

    for ( ;; ) {
        if (cd.pending != NULL) {
            publish(&cd);
        }

        left = next_resolve - now_seconds();
        if (cd.pending != NULL && left > PUBLISH_RETRY_MS / 1000.0) {
            left = PUBLISH_RETRY_MS / 1000.0;
        }
        if (left < 0) {
            left = 0;
        }
        wait.tv_sec = (time_t) left;
        wait.tv_nsec = (long) ((left - (double) wait.tv_sec) * 1e9);

        sig = sigtimedwait(&set, NULL, &wait);

        if (sig == SIGTERM || sig == SIGINT) {
            ctl_log("%s: exiting", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP) {
            reload(&cd);
            continue;
        }
        if (sig == -1 && errno != EAGAIN && errno != EINTR) {
            ctl_log("sigtimedwait: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (now_seconds() >= next_resolve) {
            refresh(&cd, 0);
            next_resolve = now_seconds() + opts->resolve_interval;
        }
    }

    if (opts->pid_file != NULL) {
        unlink(opts->pid_file);
    }
    json_decref(cd.compiled);
    cfg_dns_free(&cd.dns);
    free(cd.published);
    free(cd.pending);
    return rc;
}
