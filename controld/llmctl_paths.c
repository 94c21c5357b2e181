/* Locating llmctl's companions and the files of a prefix. */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_file.h"
#include "llmctl.h"

static char *
xstrdup(const char *s)
{
    char  *d = strdup(s);

    if (d == NULL) {
        abort();
    }
    return d;
}

static char *
join(const char *a, const char *b)
{
    size_t  len = strlen(a) + strlen(b) + 2;
    char   *out = malloc(len);

    if (out == NULL) {
        abort();
    }
    snprintf(out, len, "%s/%s", a, b);
    return out;
}

char *
llmctl_self_dir(void)
{
    char     path[PATH_MAX];
    ssize_t  n;
    char    *slash;

    n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0) {
        return xstrdup(".");
    }
    path[n] = '\0';
    slash = strrchr(path, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    return xstrdup(path[0] ? path : "/");
}

char *
llmctl_absolute(const char *path)
{
    char  cwd[PATH_MAX], resolved[PATH_MAX];

    if (realpath(path, resolved) != NULL) {
        return xstrdup(resolved);
    }
    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
        return xstrdup(path);
    }
    return join(cwd, path);
}

char *
llmctl_prefix_path(const llmctl_options_t *o, const char *rel)
{
    return join(o->prefix, rel);
}

/* First existing candidate, or the last one (so errors name a real path). */
static char *
first_existing(const char *env_name, const char *beside_self,
    const char *fallback)
{
    const char  *env = env_name ? getenv(env_name) : NULL;
    char        *dir, *candidate;

    if (env != NULL && env[0] != '\0') {
        return xstrdup(env);
    }
    if (beside_self != NULL) {
        dir = llmctl_self_dir();
        candidate = join(dir, beside_self);
        free(dir);
        if (access(candidate, F_OK) == 0) {
            return candidate;
        }
        free(candidate);
    }
    return xstrdup(fallback);
}

char *
llmctl_module_path(void)
{
    /* the build tree's name, then Debian's (libnginx-mod-http-llm) */
    return first_existing("LLM_MODULE", "ngx_llm_module.so",
                          "/usr/lib/nginx/modules/ngx_http_llm_module.so");
}

char *
llmctl_controld_path(void)
{
    /* beside llmctl in the build tree; the package puts the daemon in
     * /usr/sbin and llmctl in /usr/bin */
    return first_existing(NULL, "controld", "/usr/sbin/controld");
}

/*
 * The directory of a file found like first_existing(): $env_name names the
 * directory itself; otherwise the directory of `beside_self` or of
 * `fallback`, whichever exists first.
 */
static char *
dir_holding(const char *env_name, const char *beside_self,
    const char *fallback)
{
    char  *path = first_existing(env_name, beside_self, fallback);
    char  *slash;

    if (getenv(env_name) == NULL || getenv(env_name)[0] == '\0') {
        slash = strrchr(path, '/');
        *slash = '\0';
    }
    return path;
}

/* The console's files: ui/ beside llmctl (build/ui), else the package's. */
char *
llmctl_ui_dir(void)
{
    return dir_holding("LLM_UI_DIR", "ui/index.html",
                       "/usr/share/ngx_llm/ui/index.html");
}

char *
llmctl_conf_dir(void)
{
    return dir_holding("LLM_CONF_DIR", "../conf/nginx.conf.in",
                       "/usr/share/ngx_llm/conf/nginx.conf.in");
}

char *
llmctl_listen_url(const char *listen)
{
    char         host[300];
    const char  *colon = strrchr(listen, ':');
    size_t       len;
    char        *url;

    if (colon == NULL) {                      /* just a port */
        snprintf(host, sizeof(host), "127.0.0.1:%s", listen);
    } else if (strncmp(listen, "0.0.0.0:", 8) == 0
               || strncmp(listen, "*:", 2) == 0)
    {
        snprintf(host, sizeof(host), "127.0.0.1%s", colon);
    } else if (strncmp(listen, "[::]:", 5) == 0) {
        snprintf(host, sizeof(host), "[::1]%s", colon);
    } else {
        snprintf(host, sizeof(host), "%s", listen);
    }

    len = strlen(host) + sizeof("http://");
    url = malloc(len);
    if (url == NULL) {
        abort();
    }
    snprintf(url, len, "http://%s", host);
    return url;
}

pid_t
llmctl_read_live_pid(const char *path)
{
    char   *text;
    long    pid;
    int     err;

    text = cfg_read_file(path, NULL, &err);
    if (text == NULL) {
        return 0;
    }
    pid = strtol(text, NULL, 10);
    free(text);

    if (pid <= 0 || (kill((pid_t) pid, 0) != 0 && errno != EPERM)) {
        return 0;
    }
    return (pid_t) pid;
}

void
llmctl_print_tail(const char *path, int lines)
{
    char        *text, *p;
    size_t       len;
    int          err, seen = 0;

    text = cfg_read_file(path, &len, &err);
    if (text == NULL || len == 0) {
        free(text);
        return;
    }
    p = text + len;
    if (p > text && p[-1] == '\n') {
        p--;
    }
    while (p > text) {
        if (p[-1] == '\n' && ++seen == lines) {
            break;
        }
        p--;
    }
    fprintf(stderr, "--- last lines of %s ---\n%s%s", path, p,
            text[len - 1] == '\n' ? "" : "\n");
    free(text);
}

pid_t
llmctl_live_pid(const llmctl_options_t *o, const char *rel)
{
    char   *path = llmctl_prefix_path(o, rel);
    pid_t   pid = llmctl_read_live_pid(path);

    free(path);
    return pid;
}
