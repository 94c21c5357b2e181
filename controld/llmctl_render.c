/*
 * The prefix layout of `llmctl run`: PREFIX/{conf,logs,run,tmp,state}, a
 * generated conf/nginx.conf from conf/nginx.conf.in and copies of the
 * drop-in conf/llm_*.conf files it includes.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_compile.h"
#include "cfg_content.h"
#include "cfg_file.h"
#include "llmctl.h"

int
llmctl_compile(const llmctl_options_t *o, cfg_result_t *res)
{
    llm_provider_set_t  providers;
    cfg_options_t       copts = { 0, &providers, NULL };
    char               *top = llmctl_prefix_path(o, "content"), err[300];
    int                 rc;

    if (cfg_content_providers(top, &providers, err, sizeof(err)) != 0) {
        memset(res, 0, sizeof(*res));
        cfg_diag_init(&res->diag);
        cfg_diag_add(&res->diag, CFG_ERROR, top, 0, 0,
                     "provider definitions: %s", err);
        free(top);
        return -1;
    }
    free(top);
    rc = cfg_compile_file_opts(o->config, o->env, &copts, res);
    llm_provider_set_free(&providers);
    return rc;
}

int
llmctl_validate(const llmctl_options_t *o, char **master_key)
{
    cfg_result_t  res;
    int           rc;

    rc = llmctl_compile(o, &res);
    cfg_diag_print(&res.diag, stderr);
    if (rc == 0 && master_key != NULL && res.master_key != NULL) {
        *master_key = strdup(res.master_key);
    }
    cfg_result_free(&res);
    return rc;
}

typedef struct {
    const char  *name;
    const char  *value;
} placeholder_t;

/* Appends src[0..len) to a growing buffer. */
static void
append(char **buf, size_t *used, size_t *cap, const char *src, size_t len)
{
    while (*used + len + 1 > *cap) {
        *cap = *cap ? *cap * 2 : 8192;
        *buf = realloc(*buf, *cap);
        if (*buf == NULL) {
            abort();
        }
    }
    memcpy(*buf + *used, src, len);
    *used += len;
    (*buf)[*used] = '\0';
}

/* Is `at` inside a comment line (first non-blank character '#')? */
static int
in_comment(const char *start, const char *at)
{
    const char  *line = at;

    while (line > start && line[-1] != '\n') {
        line--;
    }
    line += strspn(line, " \t");
    return *line == '#' && line < at;
}

/* @NAME@ -> value, except in comments (the template documents them). */
static char *
render(const char *template, const placeholder_t *ph, size_t n)
{
    const char  *p = template, *at, *end;
    char        *out = NULL;
    size_t       used = 0, cap = 0, i, len;

    while ((at = strchr(p, '@')) != NULL) {
        append(&out, &used, &cap, p, (size_t) (at - p));
        if (in_comment(template, at)) {
            append(&out, &used, &cap, "@", 1);
            p = at + 1;
            continue;
        }
        end = strchr(at + 1, '@');
        for (i = 0; end != NULL && i < n; i++) {
            len = strlen(ph[i].name);
            if ((size_t) (end - at - 1) == len
                && strncmp(at + 1, ph[i].name, len) == 0)
            {
                break;
            }
        }
        if (end != NULL && i < n) {
            append(&out, &used, &cap, ph[i].value, strlen(ph[i].value));
            p = end + 1;
        } else {
            append(&out, &used, &cap, "@", 1);   /* not a placeholder */
            p = at + 1;
        }
    }
    append(&out, &used, &cap, p, strlen(p));
    return out;
}

static int
make_dir(const char *prefix, const char *rel, mode_t mode)
{
    char  path[4096];

    snprintf(path, sizeof(path), "%s%s%s", prefix, rel[0] ? "/" : "", rel);
    if (mkdir(path, mode) != 0 && errno != EEXIST) {
        fprintf(stderr, "llmctl: cannot create %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int
copy_file(const char *from, const char *to)
{
    char    *text;
    size_t   len;
    int      err;

    text = cfg_read_file(from, &len, &err);
    if (text == NULL) {
        fprintf(stderr, "llmctl: cannot read %s: %s\n", from, strerror(err));
        return -1;
    }
    err = cfg_write_file_atomic(to, text, len, 0644);
    free(text);
    if (err != 0) {
        fprintf(stderr, "llmctl: cannot write %s: %s\n", to, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * conf/llm_*.conf and llm_*.json -> PREFIX/conf/ (nginx.conf includes
 * them, and reads the price table, by name).
 */
static int
copy_dropins(const char *conf_dir, const char *prefix)
{
    DIR            *dir;
    struct dirent  *e;
    char            from[4096], to[4096];
    size_t          len;
    int             rc = 0;

    dir = opendir(conf_dir);
    if (dir == NULL) {
        fprintf(stderr, "llmctl: cannot open %s: %s\n", conf_dir,
                strerror(errno));
        return -1;
    }
    while ((e = readdir(dir)) != NULL) {
        len = strlen(e->d_name);
        if (strncmp(e->d_name, "llm_", 4) != 0 || len < 9
            || (strcmp(e->d_name + len - 5, ".conf") != 0
                && strcmp(e->d_name + len - 5, ".json") != 0))
        {
            continue;
        }
        snprintf(from, sizeof(from), "%s/%s", conf_dir, e->d_name);
        snprintf(to, sizeof(to), "%s/conf/%s", prefix, e->d_name);
        if (copy_file(from, to) != 0) {
            rc = -1;
        }
    }
    closedir(dir);
    return rc;
}

int
llmctl_prepare_prefix(const llmctl_options_t *o)
{
    static const char *const  dirs[] = { "", "conf", "logs", "run", "tmp" };
    char         *conf_dir, *module, *socket, *snapshot, *text, *out, *conf;
    char         *mgmt, *ui;
    char          template_path[4096];
    size_t        i;
    int           err, rc = -1;
    placeholder_t ph[12];
    char          metrics_server[1024];
    const char   *names, *mlisten;
    cfg_result_t  res;

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (make_dir(o->prefix, dirs[i], 0755) != 0) {
            return -1;
        }
    }
    /* state/ holds the snapshot with provider keys. */
    if (make_dir(o->prefix, "state", 0700) != 0) {
        return -1;
    }

    conf_dir = llmctl_conf_dir();
    module = llmctl_module_path();
    socket = llmctl_prefix_path(o, "run/admin.sock");
    snapshot = llmctl_prefix_path(o, "state/config.json");
    conf = llmctl_prefix_path(o, "conf/nginx.conf");
    mgmt = llmctl_prefix_path(o, "run/controld.sock");
    ui = llmctl_ui_dir();

    snprintf(template_path, sizeof(template_path), "%s/nginx.conf.in",
             conf_dir);
    text = cfg_read_file(template_path, NULL, &err);
    if (text == NULL) {
        fprintf(stderr, "llmctl: cannot read %s: %s (set LLM_CONF_DIR)\n",
                template_path, strerror(err));
        goto done;
    }
    if (access(module, R_OK) != 0) {
        fprintf(stderr, "llmctl: warning: module %s not found (set "
                "LLM_MODULE)\n", module);
    }

    ph[0] = (placeholder_t) { "MODULE_PATH", module };
    ph[1] = (placeholder_t) { "PREFIX", o->prefix };
    ph[2] = (placeholder_t) { "LISTEN", o->listen };
    ph[3] = (placeholder_t) { "WORKERS", o->workers };
    ph[4] = (placeholder_t) { "ADMIN_SOCKET", socket };
    ph[5] = (placeholder_t) { "SNAPSHOT", snapshot };
    ph[6] = (placeholder_t) { "CA_FILE", o->ca_file };
    /* As root, nginx would drop its workers to `nobody`, who cannot read a
     * prefix under root's home; stay root as the operator asked. */
    ph[7] = (placeholder_t) { "USER", geteuid() == 0 ? "user root;" : "" };
    /* controld's management API (/key/..., /team/..., /spend/...) */
    ph[8] = (placeholder_t) { "MGMT_SOCKET", mgmt };
    /* the console's static files (build/ui, or the package's) */
    ph[9] = (placeholder_t) { "UI_DIR", ui };

    /* general_settings.metrics_names / metrics_listen */
    names = "native";
    mlisten = NULL;
    metrics_server[0] = '\0';
    memset(&res, 0, sizeof(res));
    if (llmctl_compile(o, &res) == 0) {
        json_t  *m = json_object_get(res.doc, "metrics");

        if (json_string_value(json_object_get(m, "names")) != NULL) {
            names = json_string_value(json_object_get(m, "names"));
        }
        mlisten = json_string_value(json_object_get(m, "listen"));
    }
    if (mlisten != NULL) {
        snprintf(metrics_server, sizeof(metrics_server),
                 "    # general_settings.metrics_listen: /metrics without "
                 "auth\n"
                 "    server {\n"
                 "        listen  %s;\n"
                 "        access_log  off;\n"
                 "        location = /metrics { llm_metrics %s; }\n"
                 "        location / { return 404; }\n"
                 "    }\n", mlisten, names);
    }
    ph[10] = (placeholder_t) { "METRICS_NAMES", names };
    ph[11] = (placeholder_t) { "METRICS_SERVER", metrics_server };

    out = render(text, ph, sizeof(ph) / sizeof(ph[0]));
    cfg_result_free(&res);
    free(text);
    if (cfg_write_file_atomic(conf, out, strlen(out), 0644) != 0) {
        fprintf(stderr, "llmctl: cannot write %s: %s\n", conf,
                strerror(errno));
        free(out);
        goto done;
    }
    free(out);

    if (copy_dropins(conf_dir, o->prefix) != 0) {
        goto done;
    }

    /* A socket left by a killed nginx would make its bind() fail. */
    if (unlink(socket) != 0 && errno != ENOENT) {
        fprintf(stderr, "llmctl: cannot remove stale %s: %s\n", socket,
                strerror(errno));
        goto done;
    }
    rc = 0;

done:
    free(conf_dir);
    free(module);
    free(socket);
    free(snapshot);
    free(conf);
    free(mgmt);
    free(ui);
    return rc;
}
