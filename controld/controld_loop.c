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
#include "cfg_content.h"
#include "cfg_file.h"
#include "cfg_resolve.h"
#include "cfg_vault.h"
#include "controld.h"
#include "ctl_http.h"
#include "ctl_log.h"
#include "ctl_oauth.h"
#include "http_server.h"
#include "keys_config.h"
#include "keys_service.h"
#include "mgmt.h"

#define PUBLISH_RETRY_MS  500
#define PUBLISH_URL       "http://localhost/_llm/config"

typedef struct {
    const controld_options_t  *opts;
    char                      *config;      /* what runs: --config, or the
                                               named config applied in its
                                               place (cfg_content.h) */
    char                      *env_path;    /* --env, else the .env beside
                                               --config, for a named config
                                               too (it has none of its own) */
    json_t                    *compiled;    /* last good compile, no addrs */
    cfg_dns_t                  dns;
    char                      *published;   /* text nginx last accepted */
    char                      *pending;     /* text still to publish */
    int                        waiting;     /* "waiting for nginx" said */
    keys_service_t            *keys;        /* NULL without --state-file */
    http_server_t             *mgmt;        /* NULL without --mgmt-socket */
    cfg_env_t                  env;         /* for REDIS_* */

    /* what the running config was compiled from: a Vault refresh
     * compiles the same text again, never an edit not yet reloaded */
    char                      *source;
    size_t                     source_len;
    cfg_env_t                  source_env;
    cfg_vault_t               *vault;       /* keeps the last good secrets */
    llm_provider_set_t         providers;   /* rows of the content store */
    long long                  vault_refresh;   /* seconds; 0: no Vault */
    json_t                    *secrets;     /* the last report written */
    ctl_oauth_t               *oauth;       /* Vertex AI access tokens */
} controld_t;

/*
 * Files controld writes next to the config's snapshot (nginx.conf.in names
 * it): PREFIX/state/config.json -> PREFIX/state/<name>.
 */
static const char *
sibling_path(const char *config_snapshot, const char *name, char *path,
    size_t size)
{
    const char  *slash;

    slash = strrchr(config_snapshot, '/');
    if (slash == NULL) {
        snprintf(path, size, "%s", name);
    } else {
        snprintf(path, size, "%.*s/%s", (int) (slash - config_snapshot),
                 config_snapshot, name);
    }
    return path;
}

static const char *
keys_snapshot_path(const char *config_snapshot)
{
    static char  path[4096];

    return sibling_path(config_snapshot, "keys-snapshot.json", path,
                        sizeof(path));
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

/*
 * Where the keys came from and Vault's health, for `llmctl status`
 * (state/secrets.json; last 4 characters of a key at most).  Vault going
 * away or coming back is said in the log once, not at every refresh.
 */
static void
report_secrets(controld_t *cd, json_t *report)
{
    char         path[4096], *text;
    json_t      *vault, *was;
    const char  *error;
    size_t       stale;

    vault = json_object_get(report, "vault");
    was = json_object_get(cd->secrets, "vault");
    error = json_string_value(json_object_get(vault, "error"));
    stale = json_array_size(json_object_get(vault, "stale_paths"));

    if (vault != NULL && error != NULL
        && !json_equal(json_object_get(was, "error"),
                       json_object_get(vault, "error")))
    {
        ctl_log("vault: %s; %s", error,
                stale ? "the last good secrets stay in force"
                      : "what needs those secrets is disabled");
    } else if (vault != NULL && error == NULL
               && json_is_string(json_object_get(was, "error")))
    {
        ctl_log("vault: secrets read again from %s",
                json_string_value(json_object_get(vault, "addr")));
    }

    if (cd->secrets != NULL && json_equal(cd->secrets, report)) {
        json_decref(report);
        return;
    }
    json_decref(cd->secrets);
    cd->secrets = report;

    text = cfg_dump(report, 1);
    sibling_path(cd->opts->snapshot, "secrets.json", path, sizeof(path));
    if (cfg_write_file_atomic(path, text, strlen(text), 0600) != 0) {
        ctl_log("cannot write %s: %s", path, strerror(errno));
    }
    free(text);
}

/*
 * Compiles the config (read again from its file and .env when `reread`,
 * else the text the running config came from).  Messages go to the log,
 * unless `quiet` and nothing changed.  Returns the doc or NULL.
 */
/*
 * The provider rows kept in the content store, read again with the config;
 * a definition gone wrong since (edited by hand) keeps the last good rows.
 */
static void
load_providers(controld_t *cd)
{
    llm_provider_set_t  set;
    char                err[300];

    if (cd->opts->content_dir == NULL) {
        return;
    }
    if (cfg_content_providers(cd->opts->content_dir, &set, err, sizeof(err))
        != 0)
    {
        ctl_log("provider definitions: %s; the last good ones stay in "
                "force", err);
        return;
    }
    if (set.nrows != cd->providers.nrows) {
        ctl_log("%zu provider definitions from %s/provider", set.nrows,
                cd->opts->content_dir);
    }
    llm_provider_set_free(&cd->providers);
    cd->providers = set;
}

static json_t *
compile(controld_t *cd, const char *path, int reread, int quiet)
{
    const controld_options_t  *opts = cd->opts;
    cfg_result_t               res;
    cfg_options_t              copts = { opts->strict, &cd->providers,
                                         cd->vault };
    cfg_env_t                  env;
    cfg_diag_t                 diag;
    json_t                    *doc;
    char                      *text;
    size_t                     i, len;
    int                        err;

    if (reread) {
        load_providers(cd);
        cfg_diag_init(&diag);
        cfg_env_init(&env);
        cfg_env_load(&env, cd->env_path, opts->env != NULL, &diag);
        for (i = 0; i < diag.count; i++) {
            ctl_log("%s", diag.items[i].text);
        }
        text = cfg_read_file(path, &len, &err);
        if (text == NULL || diag.errors > 0) {
            if (text == NULL) {
                ctl_log("%s: cannot read config: %s", path, strerror(err));
            }
            cfg_diag_free(&diag);
            cfg_env_free(&env);
            free(text);
            return NULL;
        }
        cfg_diag_free(&diag);
    } else {
        text = cd->source;
        len = cd->source_len;
        env = cd->source_env;
    }

    cfg_compile_text_opts(text, len, path, &env, &copts, &res);

    quiet = quiet && res.doc != NULL && cd->compiled != NULL
            && json_equal(res.doc, cd->compiled);
    for (i = 0; !quiet && i < res.diag.count; i++) {
        ctl_log("%s", res.diag.items[i].text);
    }
    doc = res.doc;
    res.doc = NULL;

    if (doc != NULL) {
        report_secrets(cd, res.secrets);
        res.secrets = NULL;
        cd->vault_refresh = res.vault_refresh;
    }
    if (reread && doc != NULL) {
        free(cd->source);
        cfg_env_free(&cd->source_env);
        cd->source = text;
        cd->source_len = len;
        cd->source_env = env;
    } else if (reread) {
        free(text);
        cfg_env_free(&env);
    }
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
    ctl_oauth_apply(cd->oauth, doc);
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
    if (keys_config_load(cd->config, cd->env_path, &keys, &teams, &diag)
        != 0)
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

/* What runs, for the console: the file, and which named config it is. */
static void
describe_source(controld_t *cd)
{
    char  name[CFG_CONTENT_NAME_MAX + 1];
    int   version = 0;

    if (cd->keys == NULL) {
        return;
    }
    if (cd->opts->content_dir != NULL) {
        version = cfg_content_which(cd->opts->content_dir, cd->config, name);
    }
    json_decref(cd->keys->config_source);
    cd->keys->config_source = json_pack("{s:s, s:s, s:o, s:o}",
        "file", cd->config, "base", cd->opts->config,
        "named", version ? json_string(name) : json_null(),
        "version", version ? json_integer(version) : json_null());
}

/*
 * The console's check before it keeps or applies a config: text (from
 * `name`) compiled as the running config would be, nothing run.  0 when it
 * compiles; *view (if asked) is the result with secrets masked.
 */
static int
check_config(void *arg, const char *name, const char *text, size_t len,
    json_t *messages, json_t **view)
{
    controld_t     *cd = arg;
    cfg_options_t   copts = { cd->opts->strict, &cd->providers, cd->vault };
    cfg_result_t    res;
    cfg_env_t       env;
    cfg_diag_t      diag;
    size_t          i;
    int             rc = -1;

    cfg_diag_init(&diag);
    cfg_env_init(&env);
    cfg_env_load(&env, cd->env_path, cd->opts->env != NULL, &diag);
    for (i = 0; i < diag.count; i++) {
        json_array_append_new(messages, json_string(diag.items[i].text));
    }
    if (diag.errors == 0) {
        cfg_compile_text_opts(text, len, name, &env, &copts, &res);
        for (i = 0; i < res.diag.count; i++) {
            json_array_append_new(messages,
                                  json_string(res.diag.items[i].text));
        }
        if (res.doc != NULL) {
            rc = 0;
            if (view != NULL) {
                *view = cfg_redact(res.doc);
                json_object_del(*view, "master_key_sha256");
            }
        }
        cfg_result_free(&res);
    }
    cfg_diag_free(&diag);
    cfg_env_free(&env);
    return rc;
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
    char                    err[256];

    if (cd->opts->state_file == NULL) {
        return 0;
    }
    cfg_diag_init(&diag);
    cfg_env_init(&cd->env);
    cfg_env_load(&cd->env, cd->env_path, 0, &diag);
    cfg_diag_free(&diag);

    ko.admin_socket = cd->opts->admin_socket;
    ko.state_path = cd->opts->state_file;
    ko.keys_snapshot = keys_snapshot_path(cd->opts->snapshot);
    cd->keys = keys_service_create(&ko, cd->compiled, env_lookup, &cd->env);
    cd->keys->request_log = cd->opts->request_log;
    cd->keys->content_dir = cd->opts->content_dir;
    cd->keys->check_config = check_config;
    cd->keys->check_arg = cd;
    describe_source(cd);
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

/* Compiles path and runs it; one with errors leaves what runs in place. */
static int
run_config(controld_t *cd, const char *path)
{
    json_t  *doc;

    doc = compile(cd, path, 1, 0);
    if (doc == NULL) {
        ctl_log("%s has errors; the running config (%s) stays in place",
                path, cd->config);
        return -1;
    }
    if (strcmp(path, cd->config) != 0) {
        free(cd->config);
        cd->config = strdup(path);
    }
    json_decref(cd->compiled);
    cd->compiled = doc;
    describe_source(cd);
    configure_keys(cd);
    refresh(cd, 1);
    return 0;
}

static void
reload(controld_t *cd)
{
    ctl_log("reloading %s", cd->config);
    run_config(cd, cd->config);
}

/*
 * The console's "apply": a named config (or "" for --config again) runs,
 * and the choice is recorded so that a restart runs it too.
 */
static void
switch_config(controld_t *cd, const char *named)
{
    const char  *path = named[0] ? named : cd->opts->config;

    ctl_log("switching to %s", path);
    if (run_config(cd, path) == 0
        && cfg_content_set_active(cd->opts->content_dir, cd->opts->config,
                                  named[0] ? named : NULL) < 0)
    {
        ctl_log("cannot record the active config in %s: %s; a restart "
                "runs %s", cd->opts->content_dir, strerror(errno),
                cd->opts->config);
    }
}

/*
 * At start: the named config the console applied in place of --config,
 * if it was applied to this --config; a choice made for another one is
 * forgotten, and one that no longer compiles gives way to --config.
 */
static void
choose_config(controld_t *cd)
{
    const char  *top = cd->opts->content_dir;
    char        *named, *text;
    json_t      *messages;
    size_t       len;
    int          err;

    cd->config = strdup(cd->opts->config);
    if (top == NULL) {
        return;
    }
    named = cfg_content_active(top, cd->opts->config);
    if (named == NULL) {
        if (cfg_content_set_active(top, cd->opts->config, NULL) == 1) {
            ctl_log("the named config applied earlier was for another "
                    "--config (or is gone); running %s", cd->opts->config);
        }
        return;
    }
    messages = json_array();
    text = cfg_read_file(named, &len, &err);
    if (text == NULL
        || check_config(cd, named, text, len, messages, NULL) != 0)
    {
        ctl_log("the applied named config %s has errors now; running %s "
                "instead", named, cd->opts->config);
        free(named);
    } else {
        ctl_log("running the named config %s (applied in place of %s)",
                named, cd->opts->config);
        free(cd->config);
        cd->config = named;
    }
    free(text);
    json_decref(messages);
}

/*
 * The Vault refresh: the running config compiled again with secrets read
 * afresh; published only when something changed (a rotated key, Vault
 * back after an outage).  A failed read keeps the last good secrets.
 */
static void
refresh_secrets(controld_t *cd)
{
    json_t      *doc;
    const char  *was, *now;

    doc = compile(cd, cd->config, 0, 1);
    if (doc == NULL) {
        ctl_log("vault refresh: the config did not compile; the running "
                "config stays in place");
        return;
    }
    if (json_equal(doc, cd->compiled)) {
        json_decref(doc);
        return;
    }
    was = json_string_value(json_object_get(cd->compiled,
                                            "master_key_sha256"));
    now = json_string_value(json_object_get(doc, "master_key_sha256"));
    ctl_log("vault refresh: secrets changed; publishing");
    json_decref(cd->compiled);
    cd->compiled = doc;
    if ((was == NULL) != (now == NULL)
        || (was != NULL && strcmp(was, now) != 0))
    {
        configure_keys(cd);
    }
    refresh(cd, 0);
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
    double                   next_resolve, next_vault, left, keys_left;
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

    cd.vault = cfg_vault_create();
    cd.oauth = ctl_oauth_create();
    if (cd.oauth == NULL) {
        ctl_log("out of memory");
        close(sigfd);
        return 1;
    }
    cfg_env_init(&cd.source_env);
    cd.env_path = opts->env != NULL ? strdup(opts->env)
                                    : cfg_env_default_path(opts->config);
    choose_config(&cd);
    cd.compiled = compile(&cd, cd.config, 1, 0);
    if (cd.compiled == NULL) {
        ctl_log("the config has errors; not starting");
        llm_provider_set_free(&cd.providers);
        free(cd.config);
        free(cd.env_path);
        cfg_dns_free(&cd.dns);
        cfg_vault_free(cd.vault);
        json_decref(cd.secrets);
        cfg_env_free(&cd.source_env);
        close(sigfd);
        return 1;
    }
    if (opts->pid_file != NULL) {
        write_pid_file(opts->pid_file);
    }
    ctl_log("started (config %s, admin socket %s)", cd.config,
            opts->admin_socket);

    refresh(&cd, 1);
    if (start_keys(&cd) != 0) {
        rc = 1;
        goto done;
    }
    next_resolve = now_seconds() + opts->resolve_interval;
    next_vault = now_seconds() + (double) cd.vault_refresh;

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
        if (cd.vault_refresh > 0 && next_vault - now_seconds() < left) {
            left = next_vault - now_seconds();
        }
        if (left < 0) {
            left = 0;
        }

        fds[0].fd = sigfd;
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        fds[1].fd = cfg_vault_prefetch_fd(cd.vault);    /* -1: none */
        fds[1].events = POLLIN;
        fds[1].revents = 0;
        fds[2].fd = ctl_oauth_fd(cd.oauth);
        fds[2].events = POLLIN;
        fds[2].revents = 0;
        nfds = 3;
        if (cd.mgmt != NULL) {
            nfds += http_server_pollfds(cd.mgmt, fds + 3,
                                        (int) (sizeof(fds) / sizeof(fds[0]))
                                        - 3);
        }

        if (poll(fds, (nfds_t) nfds, (int) (left * 1000) + 1) == -1
            && errno != EINTR)
        {
            ctl_log("poll: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (cd.mgmt != NULL) {
            http_server_process(cd.mgmt, fds + 3, nfds - 3);
            if (cd.keys->switch_to != NULL) {   /* a named config */
                switch_config(&cd, cd.keys->switch_to);
                free(cd.keys->switch_to);
                cd.keys->switch_to = NULL;
                next_vault = now_seconds() + (double) cd.vault_refresh;
                continue;
            }
            if (cd.keys->reload_requested) {    /* the console's "apply" */
                cd.keys->reload_requested = 0;
                reload(&cd);
                next_vault = now_seconds() + (double) cd.vault_refresh;
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
            next_vault = now_seconds() + (double) cd.vault_refresh;
            continue;
        }
        if (fds[2].revents & POLLIN) {     /* a token came, or failed */
            ctl_oauth_drain(cd.oauth);
            refresh(&cd, 0);
        }
        if (now_seconds() >= next_resolve) {
            refresh(&cd, 0);
            next_resolve = now_seconds() + opts->resolve_interval;
        }
        if (fds[1].revents != 0 && cfg_vault_prefetch_finish(cd.vault)) {
            refresh_secrets(&cd);       /* compiles with what was read */
        }
        if (cd.vault_refresh > 0 && now_seconds() >= next_vault) {
            /* Vault is read on a thread; the loop goes on serving.  With
             * nothing read yet (no round used Vault) the compile reads. */
            if (cfg_vault_prefetch_fd(cd.vault) == -1
                && cfg_vault_prefetch_start(cd.vault) == -1)
            {
                refresh_secrets(&cd);
            }
            next_vault = now_seconds() + (double) cd.vault_refresh;
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
    json_decref(cd.secrets);
    cfg_vault_free(cd.vault);
    ctl_oauth_free(cd.oauth);
    llm_provider_set_free(&cd.providers);
    free(cd.source);
    cfg_env_free(&cd.source_env);
    cfg_dns_free(&cd.dns);
    free(cd.config);
    free(cd.env_path);
    free(cd.published);
    free(cd.pending);
    return rc;
}
