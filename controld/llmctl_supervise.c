/*
 * `llmctl run` and `llmctl start`: a small supervisor that owns nginx and
 * controld as children.  Signals are blocked and taken with sigtimedwait()
 * so that stopping, reloading and reaping never race each other.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "cfg_file.h"
#include "ctl_http.h"
#include "ctl_logrotate.h"
#include "llmctl.h"

#define NGINX_STOP_SECONDS     30
#define CONTROLD_STOP_SECONDS  5
#define START_WAIT_SECONDS     30
#define CONTROLD_QUICK_SECONDS     5
#define CONTROLD_MAX_QUICK_DEATHS  5
#define LOG_CHECK_SECONDS          2

typedef struct {
    llmctl_options_t  *o;
    pid_t              nginx;
    pid_t              controld;
    char              *controld_config;    /* what controld was started with */
    char              *controld_env;
    time_t             controld_started;
    int                controld_quick_deaths;  /* in a row, soon after start */
    long long          log_max_bytes;          /* rotation, from the config */
    int                log_max_files;
    time_t             log_next_check;
} supervisor_t;

static void configure_rotation(supervisor_t *s);

/* The logs the supervisor rotates (nginx writes them, reopens on USR1). */
static const char *const  rotated_logs[] = {
    "logs/requests.log", "logs/access.log"
};

static void
sleep_ms(long ms)
{
    struct timespec  ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static char *
xstrdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
describe_status(int status, char *out, size_t size)
{
    if (WIFEXITED(status)) {
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(out, size, "was killed by signal %d", WTERMSIG(status));
    } else {
        snprintf(out, size, "stopped");
    }
}

/* fork + exec with signals unblocked, in its own process group so that a
 * terminal's Ctrl-C reaches only the supervisor, which stops things in
 * order. */
static pid_t
spawn(char *const argv[])
{
    sigset_t  none;
    pid_t     pid;

    pid = fork();
    if (pid != 0) {
        return pid;
    }
    setpgid(0, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], argv);
    fprintf(stderr, "llmctl: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static pid_t
start_nginx(supervisor_t *s)
{
    const char  *bin = getenv("NGINX_BIN");
    char        *conf = llmctl_prefix_path(s->o, "conf/nginx.conf");
    char        *log = llmctl_prefix_path(s->o, "logs/error.log");
    char        *argv[] = { (char *) (bin && bin[0] ? bin : "/usr/sbin/nginx"),
                            "-p", s->o->prefix, "-c", conf, "-e", log, NULL };

    s->nginx = spawn(argv);
    free(conf);
    free(log);
    return s->nginx;
}

static pid_t
start_controld(supervisor_t *s)
{
    char   *bin = llmctl_controld_path();
    char   *sock = llmctl_prefix_path(s->o, "run/admin.sock");
    char   *snap = llmctl_prefix_path(s->o, "state/config.json");
    char   *pid = llmctl_prefix_path(s->o, "run/controld.pid");
    char   *log = llmctl_prefix_path(s->o, "logs/controld.log");
    char   *mgmt = llmctl_prefix_path(s->o, "run/controld.sock");
    char   *state = llmctl_prefix_path(s->o, "state/keys.json");
    char   *reqlog = llmctl_prefix_path(s->o, "logs/requests.log");
    char   *content = llmctl_prefix_path(s->o, "content");
    char   *argv[24];
    int     n = 0;

    argv[n++] = bin;
    argv[n++] = "--config";
    argv[n++] = s->o->config;
    if (s->o->env != NULL) {
        argv[n++] = "--env";
        argv[n++] = s->o->env;
    }
    argv[n++] = "--admin-socket";
    argv[n++] = sock;
    argv[n++] = "--snapshot";
    argv[n++] = snap;
    argv[n++] = "--pid-file";
    argv[n++] = pid;
    argv[n++] = "--log-file";
    argv[n++] = log;
    argv[n++] = "--mgmt-socket";
    argv[n++] = mgmt;
    argv[n++] = "--state-file";
    argv[n++] = state;
    argv[n++] = "--request-log";
    argv[n++] = reqlog;
    argv[n++] = "--content-dir";
    argv[n++] = content;
    argv[n] = NULL;

    s->controld = spawn(argv);

    free(s->controld_config);
    free(s->controld_env);
    s->controld_config = xstrdup_or_null(s->o->config);
    s->controld_env = xstrdup_or_null(s->o->env);

    free(bin);
    free(sock);
    free(snap);
    free(pid);
    free(log);
    free(mgmt);
    free(state);
    free(reqlog);
    free(content);
    s->controld_started = time(NULL);
    return s->controld;
}

/* Waits for one child up to `seconds`; returns 1 once it has been reaped. */
static int
reap_within(pid_t pid, int seconds)
{
    int    i, status;
    pid_t  r;

    for (i = 0; i < seconds * 10; i++) {
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r == -1 && errno == ECHILD)) {
            return 1;
        }
        sleep_ms(100);
    }
    return 0;
}

static void
stop_child(pid_t *pid, int first_signal, int seconds)
{
    if (*pid <= 0) {
        return;
    }
    kill(*pid, first_signal);
    if (!reap_within(*pid, seconds)) {
        kill(*pid, SIGTERM);
        if (!reap_within(*pid, 5)) {
            kill(*pid, SIGKILL);
            reap_within(*pid, 5);
        }
    }
    *pid = 0;
}

/* nginx first (graceful: in-flight requests finish), then controld. */
static void
stop_all(supervisor_t *s)
{
    stop_child(&s->nginx, SIGQUIT, NGINX_STOP_SECONDS);
    stop_child(&s->controld, SIGTERM, CONTROLD_STOP_SECONDS);
}

static void
remove_pid_files(const llmctl_options_t *o)
{
    static const char *const  files[] = {
        "run/llmctl.pid", "run/controld.pid"
    };
    size_t                    i;
    char                     *path;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        path = llmctl_prefix_path(o, files[i]);
        unlink(path);
        free(path);
    }
}

/* SIGHUP: a new config/env path (from `llmctl reload --config`) needs a
 * new controld; otherwise controld re-reads its files itself. */
static void
reload(supervisor_t *s)
{
    llmctl_options_t  latest;

    memset(&latest, 0, sizeof(latest));
    latest.prefix = s->o->prefix;
    if (llmctl_args_load(&latest) == 0
        && (!same(latest.config, s->controld_config)
            || !same(latest.env, s->controld_env)))
    {
        printf("llmctl: reload: switching to %s\n", latest.config);
        fflush(stdout);
        free(s->o->config);
        free(s->o->env);
        s->o->config = latest.config;
        s->o->env = latest.env;
        latest.config = latest.env = NULL;
        stop_child(&s->controld, SIGTERM, CONTROLD_STOP_SECONDS);
        start_controld(s);
    } else if (s->controld > 0) {
        kill(s->controld, SIGHUP);
    }
    free(latest.config);
    free(latest.env);
    free(latest.listen);
    configure_rotation(s);
}

/* general_settings.request_log_max_size / _max_files, or the defaults. */
static void
configure_rotation(supervisor_t *s)
{
    cfg_result_t   res;
    json_t        *r, *v;

    s->log_max_bytes = CTL_LOGROTATE_MAX_BYTES;
    s->log_max_files = CTL_LOGROTATE_MAX_FILES;
    memset(&res, 0, sizeof(res));
    if (llmctl_compile(s->o, &res) == 0) {
        r = json_object_get(res.doc, "request_log");
        v = json_object_get(r, "max_bytes");
        if (json_is_integer(v)) {
            s->log_max_bytes = json_integer_value(v);
        }
        v = json_object_get(r, "max_files");
        if (json_is_integer(v)) {
            s->log_max_files = (int) json_integer_value(v);
        }
    }
    cfg_result_free(&res);
}

/* A log past its size becomes NAME.1 and nginx reopens its logs. */
static void
rotate_logs(supervisor_t *s)
{
    size_t   i;
    char    *path;
    int      rc, rotated = 0;

    for (i = 0; i < sizeof(rotated_logs) / sizeof(rotated_logs[0]); i++) {
        path = llmctl_prefix_path(s->o, rotated_logs[i]);
        rc = ctl_logrotate(path, s->log_max_bytes, s->log_max_files);
        if (rc < 0) {
            printf("llmctl: cannot rotate %s: %s\n", path, strerror(errno));
        } else if (rc > 0) {
            printf("llmctl: rotated %s (request_log_max_size %lld bytes, "
                   "%d kept)\n", rotated_logs[i], s->log_max_bytes,
                   s->log_max_files);
            rotated = 1;
        }
        free(path);
    }
    fflush(stdout);
    if (rotated && s->nginx > 0) {
        kill(s->nginx, SIGUSR1);
    }
}

/*
 * controld died on its own: nginx keeps serving with what it has (config,
 * keys, counters in the zone), so start controld again; it reloads its
 * state and re-reads the module's usage counters, losing nothing.  Only a
 * controld that keeps dying right after start stops the gateway.
 */
static int
controld_died(supervisor_t *s, int status)
{
    char   how[64], *log;

    describe_status(status, how, sizeof(how));
    s->controld = 0;
    log = llmctl_prefix_path(s->o, "logs/controld.log");
    if (time(NULL) - s->controld_started < CONTROLD_QUICK_SECONDS) {
        s->controld_quick_deaths++;
    } else {
        s->controld_quick_deaths = 0;
    }
    if (s->controld_quick_deaths >= CONTROLD_MAX_QUICK_DEATHS) {
        fprintf(stderr, "llmctl: controld %s %d times right after starting; "
                "see %s\n", how, s->controld_quick_deaths, log);
        llmctl_print_tail(log, 20);
        free(log);
        stop_all(s);
        return 1;
    }
    fprintf(stderr, "llmctl: controld %s unexpectedly; restarting it (see "
            "%s)\n", how, log);
    free(log);
    sleep_ms(200L << s->controld_quick_deaths);
    if (start_controld(s) < 0) {
        stop_all(s);
        return 1;
    }
    return 0;
}

/* A child we did not stop has exited: say which and where to look. */
static int
child_died(supervisor_t *s, pid_t pid, int status)
{
    char         how[64];
    char        *log;
    const char  *what;

    if (pid == s->controld) {
        return controld_died(s, status);
    }
    describe_status(status, how, sizeof(how));
    what = "nginx";
    s->nginx = 0;
    log = llmctl_prefix_path(s->o, "logs/error.log");

    fprintf(stderr, "llmctl: %s %s unexpectedly; see %s\n", what, how, log);
    llmctl_print_tail(log, 20);
    free(log);

    stop_all(s);
    return 1;
}

static int
write_pid(const llmctl_options_t *o)
{
    char   buf[32], *path = llmctl_prefix_path(o, "run/llmctl.pid");
    int    rc;

    snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());
    rc = cfg_write_file_atomic(path, buf, strlen(buf), 0644);
    free(path);
    return rc;
}

static int
supervise(llmctl_options_t *o)
{
    supervisor_t      s;
    sigset_t          set;
    struct timespec   tick = { 1, 0 };
    int               sig, status, rc = 0;
    pid_t             pid;
    char             *url;

    memset(&s, 0, sizeof(s));
    s.o = o;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);

    if (write_pid(o) != 0 || llmctl_args_save(o) != 0) {
        fprintf(stderr, "llmctl: cannot write %s/run: %s\n", o->prefix,
                strerror(errno));
        return 1;
    }

    if (start_nginx(&s) < 0 || start_controld(&s) < 0) {
        fprintf(stderr, "llmctl: fork: %s\n", strerror(errno));
        stop_all(&s);
        remove_pid_files(o);
        return 1;
    }

    url = llmctl_listen_url(o->listen);
    printf("ngx_llm listening on %s (prefix %s)\n", url, o->prefix);
    fflush(stdout);
    free(url);
    configure_rotation(&s);

    for ( ;; ) {
        sig = sigtimedwait(&set, NULL, &tick);

        if (sig == SIGINT || sig == SIGTERM) {
            printf("llmctl: stopping\n");
            fflush(stdout);
            stop_all(&s);
            break;
        }
        if (sig == SIGHUP) {
            reload(&s);
            continue;
        }

        if (time(NULL) >= s.log_next_check) {
            rotate_logs(&s);
            s.log_next_check = time(NULL) + LOG_CHECK_SECONDS;
        }

        /* SIGCHLD, or a periodic look in case one was coalesced. */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == s.nginx || pid == s.controld) {
                rc = child_died(&s, pid, status);
                if (rc != 0) {
                    break;
                }
            }
        }
        if (rc != 0) {
            break;
        }
    }

    remove_pid_files(o);
    free(s.controld_config);
    free(s.controld_env);
    return rc;
}

/* Refuses to start a second instance in the same prefix. */
static int
already_running(const llmctl_options_t *o)
{
    char   *path = llmctl_prefix_path(o, "run/llmctl.pid");
    pid_t   pid = llmctl_read_live_pid(path);

    free(path);
    if (pid > 0) {
        fprintf(stderr, "llmctl: already running in %s (pid %ld); use "
                "`llmctl stop --prefix %s` first\n", o->prefix, (long) pid,
                o->prefix);
        return 1;
    }
    return 0;
}

int
llmctl_cmd_run(llmctl_options_t *o)
{
    if (already_running(o) || llmctl_validate(o, NULL) != 0
        || llmctl_prepare_prefix(o) != 0)
    {
        return 1;
    }
    return supervise(o);
}

static int
ready(const char *url)
{
    ctl_http_response_t  resp;
    char                 error[256];
    int                  ok;

    if (ctl_http_request(NULL, "GET", url, NULL, NULL, 2000, &resp, error,
                         sizeof(error)) != 0)
    {
        return 0;
    }
    ok = resp.status == 200;
    ctl_http_response_free(&resp);
    return ok;
}

static void
start_failed(const llmctl_options_t *o, const char *why)
{
    char   *path;
    pid_t   pid;

    fprintf(stderr, "llmctl: %s\n", why);
    path = llmctl_prefix_path(o, "logs/llmctl.log");
    llmctl_print_tail(path, 20);
    free(path);
    path = llmctl_prefix_path(o, "logs/error.log");
    llmctl_print_tail(path, 10);
    free(path);

    path = llmctl_prefix_path(o, "run/llmctl.pid");
    pid = llmctl_read_live_pid(path);
    free(path);
    if (pid > 0) {
        kill(pid, SIGTERM);
    }
}

int
llmctl_cmd_start(llmctl_options_t *o)
{
    char    *log, *url, *ready_url, *pid_path, *nginx_pid;
    pid_t    pid;
    int      fd, i, status;

    if (already_running(o) || llmctl_validate(o, NULL) != 0
        || llmctl_prepare_prefix(o) != 0)
    {
        return 1;
    }

    log = llmctl_prefix_path(o, "logs/llmctl.log");
    pid_path = llmctl_prefix_path(o, "run/llmctl.pid");
    unlink(pid_path);
    nginx_pid = llmctl_prefix_path(o, "run/nginx.pid");
    unlink(nginx_pid);
    free(nginx_pid);
    fflush(NULL);

    pid = fork();
    if (pid < 0) {
        perror("llmctl: fork");
        return 1;
    }
    if (pid == 0) {
        /* Double fork: the supervisor is not our child and has no
         * controlling terminal. */
        setsid();
        if (fork() != 0) {
            _exit(0);
        }
        fd = open("/dev/null", O_RDONLY);
        dup2(fd, 0);
        close(fd);
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (chdir("/") != 0) {
            _exit(1);
        }
        _exit(supervise(o));
    }
    waitpid(pid, &status, 0);

    url = llmctl_listen_url(o->listen);
    ready_url = malloc(strlen(url) + sizeof("/health/readiness"));
    sprintf(ready_url, "%s/health/readiness", url);

    nginx_pid = llmctl_prefix_path(o, "run/nginx.pid");

    for (i = 0; i < START_WAIT_SECONDS * 5; i++) {
        /* nginx writes its pid file only after binding, so a readiness
         * answer with it means ours answered, not some other server. */
        if (llmctl_read_live_pid(nginx_pid) > 0
            && llmctl_read_live_pid(pid_path) > 0 && ready(ready_url))
        {
            printf("ngx_llm listening on %s (prefix %s)\n", url, o->prefix);
            free(url);
            free(ready_url);
            free(log);
            free(pid_path);
            free(nginx_pid);
            return 0;
        }
        /* The supervisor writes its pid at once; gone means it failed. */
        if (i >= 10 && llmctl_read_live_pid(pid_path) == 0) {
            start_failed(o, "the gateway exited during start-up");
            goto failed;
        }
        sleep_ms(200);
    }
    start_failed(o, "the gateway did not become ready within 30 s; stopped");

failed:
    free(nginx_pid);
    free(url);
    free(ready_url);
    free(log);
    free(pid_path);
    return 1;
}
