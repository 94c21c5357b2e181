/*
 * The daemon: compile, resolve, snapshot, publish; then wait for a signal,
 * a management API request or the next timer (DNS round, usage drain, key
 * publishing; keys_service.c).  Single-threaded: signals are blocked and
 * read from a signalfd in the same poll(), so no handler runs mid-publish.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "cfg_file.h"
#include "cfg_resolve.h"
#include "controld.h"
#include "ctl_http.h"
#include "ctl_log.h"
#include "http_server.h"
#include "keys_config.h"
#include "keys_service.h"
#include "mgmt.h"

#define PUBLISH_RETRY_MS  500
#define PUBLISH_URL       "http://localhost/_llm/config"

typedef struct {
    const controld_options_t  *opts;
    json_t                    *compiled;    /* last good compile, no addrs */
    cfg_dns_t                  dns;
    char                      *published;   /* text nginx last accepted */
    char                      *pending;     /* text still to publish */
    int                        waiting;     /* "waiting for nginx" said */
    keys_service_t            *keys;        /* NULL without --state-file */
    http_server_t             *mgmt;        /* NULL without --mgmt-socket */
    cfg_env_t                  env;         /* for REDIS_* */
} controld_t;

/*
 * The key table's snapshot sits next to the config's (nginx.conf.in names
 * both): PREFIX/state/config.json -> PREFIX/state/keys-snapshot.json.
 */
static const char *
keys_snapshot_path(const char *config_snapshot)
{
    static char  path[4096];
    const char  *slash;

    slash = strrchr(config_snapshot, '/');
    if (slash == NULL) {
        snprintf(path, sizeof(path), "keys-snapshot.json");
    } else {
        snprintf(path, sizeof(path), "%.*s/keys-snapshot.json",
                 (int) (slash - config_snapshot), config_snapshot);
    }
    return path;
}

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
    cfg_options_t  copts = { opts->strict, NULL };
    json_t        *doc;
    size_t         i;

    cfg_compile_file_opts(opts->config, opts->env, &copts, &res);
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

/* Master key, model groups and the keys/teams declared in config.yaml. */
static void
configure_keys(controld_t *cd)
{
    cfg_diag_t   diag;
    json_t      *keys = NULL, *teams = NULL;
    size_t       i;

    if (cd->keys == NULL) {
        return;
    }
    cfg_diag_init(&diag);
    if (keys_config_load(cd->opts->config, cd->opts->env, &keys, &teams,
                         &diag) != 0)
    {
        ctl_log("config: the declared keys/teams have errors; they are "
                "left as they were");
    }
    for (i = 0; i < diag.count; i++) {
        ctl_log("%s", diag.items[i].text);
    }
    cfg_diag_free(&diag);
    keys_service_configure(cd->keys, cd->compiled, keys, teams);
    json_decref(keys);
    json_decref(teams);
}

static const char *
env_lookup(const char *name, void *arg)
{
    return cfg_env_lookup(arg, name);
}

/* Keys service and management API, when asked for. */
static int
start_keys(controld_t *cd)
{
    keys_service_options_t  ko;
    cfg_diag_t              diag;
    char                    err[256], *default_env = NULL;

    if (cd->opts->state_file == NULL) {
        return 0;
    }
    cfg_diag_init(&diag);
    cfg_env_init(&cd->env);
    if (cd->opts->env == NULL) {
        default_env = cfg_env_default_path(cd->opts->config);
    }
    cfg_env_load(&cd->env, cd->opts->env ? cd->opts->env : default_env, 0,
                 &diag);
    free(default_env);
    cfg_diag_free(&diag);

    ko.admin_socket = cd->opts->admin_socket;
    ko.state_path = cd->opts->state_file;
    ko.keys_snapshot = keys_snapshot_path(cd->opts->snapshot);
    cd->keys = keys_service_create(&ko, cd->compiled, env_lookup, &cd->env);
    cd->keys->request_log = cd->opts->request_log;
    configure_keys(cd);

    if (cd->opts->mgmt_socket != NULL) {
        cd->mgmt = http_server_listen(cd->opts->mgmt_socket, mgmt_handle,
                                      cd->keys, err, sizeof(err));
        if (cd->mgmt == NULL) {
            ctl_log("cannot serve the management API: %s", err);
            return -1;
        }
        ctl_log("management API on %s", cd->opts->mgmt_socket);
    }
    return 0;
}

static void
reload(controld_t *cd)
{
    json_t  *doc;

    ctl_log("reloading %s", cd->opts->config);
    doc = compile(cd->opts);
    if (doc == NULL) {
        ctl_log("reload failed; the running config stays in place");
        return;
    }
    json_decref(cd->compiled);
    cd->compiled = doc;
    configure_keys(cd);
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
    controld_t               cd;
    sigset_t                 set;
    struct signalfd_siginfo  si;
    struct pollfd            fds[80];
    double                   next_resolve, left, keys_left;
    int                      sig, sigfd, nfds, rc = 0;

    memset(&cd, 0, sizeof(cd));
    cd.opts = opts;
    cfg_dns_init(&cd.dns);

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd == -1) {
        ctl_log("signalfd: %s", strerror(errno));
        return 1;
    }

    cd.compiled = compile(opts);
    if (cd.compiled == NULL) {
        ctl_log("the config has errors; not starting");
        cfg_dns_free(&cd.dns);
        close(sigfd);
        return 1;
    }
    if (opts->pid_file != NULL) {
        write_pid_file(opts->pid_file);
    }
    ctl_log("started (config %s, admin socket %s)", opts->config,
            opts->admin_socket);

    refresh(&cd, 1);
    if (start_keys(&cd) != 0) {
        rc = 1;
        goto done;
    }
    next_resolve = now_seconds() + opts->resolve_interval;

    for ( ;; ) {
        if (cd.pending != NULL) {
            publish(&cd);
        }
        keys_left = cd.keys != NULL ? keys_service_tick(cd.keys) : 1e9;

        left = next_resolve - now_seconds();
        if (cd.pending != NULL && left > PUBLISH_RETRY_MS / 1000.0) {
            left = PUBLISH_RETRY_MS / 1000.0;
        }
        if (keys_left < left) {
            left = keys_left;
        }
        if (left < 0) {
            left = 0;
        }

        fds[0].fd = sigfd;
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        nfds = 1;
        if (cd.mgmt != NULL) {
            nfds += http_server_pollfds(cd.mgmt, fds + 1,
                                        (int) (sizeof(fds) / sizeof(fds[0]))
                                        - 1);
        }

        if (poll(fds, (nfds_t) nfds, (int) (left * 1000) + 1) == -1
            && errno != EINTR)
        {
            ctl_log("poll: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (cd.mgmt != NULL) {
            http_server_process(cd.mgmt, fds + 1, nfds - 1);
            if (cd.keys->reload_requested) {    /* the console's "apply" */
                cd.keys->reload_requested = 0;
                reload(&cd);
                continue;
            }
        }

        sig = 0;
        if ((fds[0].revents & POLLIN)
            && read(sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
        {
            sig = (int) si.ssi_signo;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            ctl_log("%s: exiting", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP) {
            reload(&cd);
            continue;
        }
        if (now_seconds() >= next_resolve) {
            refresh(&cd, 0);
            next_resolve = now_seconds() + opts->resolve_interval;
        }
    }

done:
    if (opts->pid_file != NULL) {
        unlink(opts->pid_file);
    }
    http_server_close(cd.mgmt);
    keys_service_free(cd.keys);
    if (opts->state_file != NULL) {
        cfg_env_free(&cd.env);
    }
    close(sigfd);
    json_decref(cd.compiled);
    cfg_dns_free(&cd.dns);
    free(cd.published);
    free(cd.pending);
    return rc;
}
