/*
 * llmctl backup / restore / reset.
 *
 * A backup is a gzip'd tar (made and read by tar(1), which every Debian
 * system has) of:
 *   manifest.json   {"format": "ngx_llm-backup", "version": 1, ...}
 *   config.yaml     the config file the instance runs with
 *   state.json      keys, teams and spend: controld's table as of one
 *                   instant (GET /_ops/state), or the state file when the
 *                   gateway is stopped
 *   content/        the content store (named configs, providers)
 *   env             the .env file, only with --include-secrets
 * Virtual keys are in it only as SHA-256 tokens; provider keys only in
 * `env`, and only when asked for.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg_env.h"
#include "cfg_file.h"
#include "keys_db.h"
#include "llmctl.h"
#include "llmctl_out.h"
#include "store_api.h"

#define BACKUP_FORMAT   "ngx_llm-backup"
#define BACKUP_VERSION  1

/* Run tar(1) or cp(1) and wait.  quiet: the tool's stderr goes to
 * /dev/null, for a file we only probe (restore says in one line what is
 * wrong with it). */
static int
run_tar(char *const argv[], int quiet)
{
    pid_t  pid;
    int    status, fd;

    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        if (quiet && (fd = open("/dev/null", O_WRONLY)) != -1) {
            dup2(fd, STDERR_FILENO);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    return remove(path);
}

/* rm -rf DIR, not following symlinks (also content remove's) */
void
llmctl_remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
path_join(const char *a, const char *b)
{
    char  *out = malloc(strlen(a) + strlen(b) + 2);

    if (out == NULL) {
        abort();
    }
    sprintf(out, "%s/%s", a, b);
    return out;
}

static int
copy_file(const char *from, const char *to, int mode)
{
    char    *text;
    size_t   len;
    int      err, rc;

    text = cfg_read_file(from, &len, &err);
    if (text == NULL) {
        errno = err;
        return -1;
    }
    rc = cfg_write_file_atomic(to, text, len, mode);
    free(text);
    return rc;
}

static int
write_json(const char *path, const json_t *doc)
{
    char  *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    int    rc;

    rc = text ? cfg_write_file_atomic(path, text, strlen(text), 0600) : -1;
    free(text);
    return rc;
}

static char *
env_path(const llmctl_options_t *o)
{
    return o->env ? strdup(o->env) : cfg_env_default_path(o->config);
}

/* The key table: from the running controld, else the state file. */
static json_t *
current_state(llmctl_options_t *o, const char **from)
{
    keys_db_t   db;
    json_t     *state;
    char        err[256], *path;
    long        status = 0;

    if (llmctl_live_pid(o, "run/controld.pid") != 0) {
        state = llmctl_mgmt_call(o, "GET", "/_ops/state", NULL, &status);
        *from = "controld";
        return state;
    }
    path = llmctl_prefix_path(o, "state/keys.json");
    keys_db_init(&db);
    if (store_file_read(path, &db, err, sizeof(err)) != 0) {
        fprintf(stderr, "llmctl: %s\n", err);
        free(path);
        keys_db_free(&db);
        return NULL;
    }
    free(path);
    *from = "state file (gateway stopped)";
    state = json_pack("{s:i, s:s, s:O, s:O, s:O, s:O}", "version", 1,
                      "store", "file", "keys", db.keys, "teams", db.teams,
                      "spend", db.spend, "days", db.days);
    keys_db_free(&db);
    return state;
}

static json_t *
count_spend(const json_t *state)
{
    const char  *id;
    json_t      *v;
    json_int_t   micros = 0;

    json_object_foreach(json_object_get(json_object_get(state, "spend"),
                                        "key"), id, v)
    {
        micros += json_integer_value(json_array_get(v, 0));
    }
    return json_integer(micros);
}

int
llmctl_cmd_backup(llmctl_options_t *o)
{
    char         stage_tpl[] = "/tmp/ngx_llm-backup.XXXXXX";
    char         out_name[128], *out, *p, *content, *env;
    const char  *from = NULL;
    json_t      *state, *manifest;
    time_t       now = time(NULL);
    struct tm    tm;
    struct stat  sb;
    int          rc = LLMCTL_FAILED;
    char        *tar_argv[8];

    llmctl_args_load(o);
    if (o->config == NULL) {
        fprintf(stderr, "llmctl: no instance in %s (no run/llmctl.args): "
                "nothing to back up\n", o->prefix);
        return LLMCTL_FAILED;
    }
    gmtime_r(&now, &tm);
    strftime(out_name, sizeof(out_name), "ngx_llm-backup-%Y%m%dT%H%M%SZ.tar.gz",
             &tm);
    out = llmctl_absolute(o->out ? o->out : out_name);

    if (mkdtemp(stage_tpl) == NULL) {
        perror("llmctl: mkdtemp");
        free(out);
        return LLMCTL_FAILED;
    }

    state = current_state(o, &from);
    if (state == NULL) {
        fprintf(stderr, "llmctl: cannot read the key table; no backup "
                "written\n");
        goto done;
    }

    p = path_join(stage_tpl, "state.json");
    rc = write_json(p, state);
    free(p);
    p = path_join(stage_tpl, "config.yaml");
    if (rc != 0 || copy_file(o->config, p, 0600) != 0) {
        fprintf(stderr, "llmctl: cannot copy %s: %s\n", o->config,
                strerror(errno));
        free(p);
        rc = LLMCTL_FAILED;
        goto done;
    }
    free(p);

    content = llmctl_prefix_path(o, "content");
    if (stat(content, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        p = path_join(stage_tpl, "content");
        char  *cp_argv[] = { "cp", "-a", content, p, NULL };
        if (run_tar(cp_argv, 0) != 0) {
            fprintf(stderr, "llmctl: cannot copy %s\n", content);
            free(p);
            free(content);
            rc = LLMCTL_FAILED;
            goto done;
        }
        free(p);
    }
    free(content);

    env = env_path(o);
    if (o->include_secrets && access(env, R_OK) == 0) {
        p = path_join(stage_tpl, "env");
        copy_file(env, p, 0600);
        free(p);
    }

    manifest = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:b, s:O, s:I, "
                         "s:I}",
                         "format", BACKUP_FORMAT, "version", BACKUP_VERSION,
                         "created", (json_int_t) now, "prefix", o->prefix,
                         "config_path", o->config, "state_from", from,
                         "includes_secrets", o->include_secrets
                                             && access(env, R_OK) == 0,
                         "store", json_object_get(state, "store"),
                         "keys", (json_int_t) json_object_size(
                                     json_object_get(state, "keys")),
                         "teams", (json_int_t) json_object_size(
                                      json_object_get(state, "teams")));
    json_object_set_new(manifest, "key_spend_micros", count_spend(state));
    free(env);
    p = path_join(stage_tpl, "manifest.json");
    rc = write_json(p, manifest);
    free(p);

    tar_argv[0] = "tar";
    tar_argv[1] = "-czf";
    tar_argv[2] = out;
    tar_argv[3] = "-C";
    tar_argv[4] = stage_tpl;
    tar_argv[5] = ".";
    tar_argv[6] = NULL;
    umask(077);
    if (rc != 0 || run_tar(tar_argv, 0) != 0) {
        fprintf(stderr, "llmctl: tar -czf %s failed\n", out);
        json_decref(manifest);
        rc = LLMCTL_FAILED;
        goto done;
    }
    chmod(out, 0600);

    if (o->json) {
        json_object_set_new(manifest, "file", json_string(out));
        llmctl_print_json(manifest);
    } else {
        printf("backup written: %s\n", out);
        printf("  %-9s %lld keys, %lld teams, key spend $%.6f (from %s)\n",
               "table", json_integer_value(json_object_get(manifest, "keys")),
               json_integer_value(json_object_get(manifest, "teams")),
               (double) json_integer_value(json_object_get(manifest,
                   "key_spend_micros")) / 1e6, from);
        printf("  %-9s %s\n", "config", o->config);
        printf("  %-9s %s\n", "secrets",
               json_is_true(json_object_get(manifest, "includes_secrets"))
               ? ".env included (keep this file safe)"
               : "not included (--include-secrets adds .env)");
    }
    json_decref(manifest);
    rc = LLMCTL_OK;

done:
    json_decref(state);
    llmctl_remove_tree(stage_tpl);
    free(out);
    return rc;
}

/* ---- restore ------------------------------------------------------------ */

static json_t *
load_json(const char *dir, const char *name)
{
    char    *p = path_join(dir, name);
    json_t  *doc = json_load_file(p, 0, NULL);

    free(p);
    return doc;
}

static int
invalid(const char *file, const char *why)
{
    fprintf(stderr, "llmctl: %s is not a valid ngx_llm backup: %s; nothing "
            "was changed\n", file, why);
    return LLMCTL_FAILED;
}

/* Put a file from the backup in place, keeping what was there as
 * PATH.before-restore.  A file already there keeps its mode: a
 * config.yaml with keys in it, made 0600 by its owner, must not come
 * back 0644. */
static int
put_back(const char *from, const char *to, int mode)
{
    char         *saved = malloc(strlen(to) + sizeof(".before-restore"));
    struct stat   st;

    sprintf(saved, "%s.before-restore", to);
    if (stat(to, &st) == 0) {
        mode = (int) (st.st_mode & 0777);
        copy_file(to, saved, mode);
    }
    free(saved);
    return copy_file(from, to, mode);
}

int
llmctl_cmd_restore(llmctl_options_t *o)
{
    char         stage_tpl[] = "/tmp/ngx_llm-restore.XXXXXX";
    const char  *file = o->model;
    char        *p, *content, *env, *dir, *tar_argv[7];
    const char  *target;
    json_t      *manifest = NULL, *state = NULL, *answer;
    long         status = 0;
    int          rc = LLMCTL_FAILED;
    struct stat  sb;

    if (access(file, R_OK) != 0) {
        fprintf(stderr, "llmctl: cannot read %s: %s\n", file,
                strerror(errno));
        return LLMCTL_FAILED;
    }
    llmctl_args_load(o);
    if (llmctl_live_pid(o, "run/controld.pid") == 0 || o->config == NULL) {
        fprintf(stderr, "llmctl: restore needs the running gateway (it puts "
                "keys and spend back through controld, into Redis or the "
                "state file): llmctl start first\n");
        return LLMCTL_FAILED;
    }
    if (mkdtemp(stage_tpl) == NULL) {
        perror("llmctl: mkdtemp");
        return LLMCTL_FAILED;
    }

    tar_argv[0] = "tar";
    tar_argv[1] = "-xzf";
    tar_argv[2] = (char *) file;
    tar_argv[3] = "-C";
    tar_argv[4] = stage_tpl;
    tar_argv[5] = "--no-same-owner";
    tar_argv[6] = NULL;
    if (run_tar(tar_argv, 1) != 0) {
        rc = invalid(file, "not a gzip'd tar archive");
        goto done;
    }
    manifest = load_json(stage_tpl, "manifest.json");
    if (manifest == NULL) {
        rc = invalid(file, "no readable manifest.json");
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(manifest, "format"))
               ? json_string_value(json_object_get(manifest, "format")) : "",
               BACKUP_FORMAT) != 0)
    {
        rc = invalid(file, "manifest.json is not an ngx_llm backup's");
        goto done;
    }
    if (json_integer_value(json_object_get(manifest, "version"))
        != BACKUP_VERSION)
    {
        rc = invalid(file, "unsupported backup version");
        goto done;
    }
    state = load_json(stage_tpl, "state.json");
    p = path_join(stage_tpl, "config.yaml");
    if (state == NULL || access(p, R_OK) != 0) {
        free(p);
        rc = invalid(file, state ? "config.yaml is missing"
                                 : "state.json is missing or broken");
        goto done;
    }
    free(p);

    llmctl_progress("restoring keys, teams and spend...");
    answer = llmctl_mgmt_call(o, "POST", "/_ops/state", state, &status);
    llmctl_progress_done();
    if (answer == NULL) {
        fprintf(stderr, "llmctl: the key table was not restored; nothing "
                "was changed\n");
        goto done;
    }
    json_decref(answer);

    content = llmctl_prefix_path(o, "content");
    p = path_join(stage_tpl, "content");
    if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        char  *cp_argv[] = { "cp", "-a", p, content, NULL };
        llmctl_remove_tree(content);
        if (run_tar(cp_argv, 0) != 0) {
            fprintf(stderr, "llmctl: cannot restore %s\n", content);
        }
    }
    free(p);
    free(content);

    p = path_join(stage_tpl, "env");
    env = env_path(o);
    if (access(p, R_OK) == 0 && put_back(p, env, 0600) != 0) {
        fprintf(stderr, "llmctl: cannot write %s: %s\n", env,
                strerror(errno));
    }
    free(env);
    free(p);

    /* The config goes back where it was when backed up (after a reset
     * the instance runs the shipped default from the prefix). */
    target = json_string_value(json_object_get(manifest, "config_path"));
    if (target != NULL && target[0] == '/') {
        dir = strdup(target);
        *strrchr(dir, '/') = '\0';
        if (access(dir[0] ? dir : "/", W_OK) == 0) {
            free(o->config);
            o->config = strdup(target);
        }
        free(dir);
    }
    p = path_join(stage_tpl, "config.yaml");
    if (put_back(p, o->config, 0644) != 0) {
        fprintf(stderr, "llmctl: cannot write %s: %s\n", o->config,
                strerror(errno));
        free(p);
        goto done;
    }
    free(p);

    printf("restored %lld keys and %lld teams (key spend $%.6f); config "
           "%s\n",
           json_integer_value(json_object_get(manifest, "keys")),
           json_integer_value(json_object_get(manifest, "teams")),
           (double) json_integer_value(json_object_get(manifest,
               "key_spend_micros")) / 1e6, o->config);
    fflush(stdout);
    rc = llmctl_cmd_reload(o);

done:
    json_decref(manifest);
    json_decref(state);
    llmctl_remove_tree(stage_tpl);
    return rc;
}

/* ---- reset -------------------------------------------------------------- */

static int
confirmed(const llmctl_options_t *o)
{
    char  line[16];

    if (o->yes) {
        return 1;
    }
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "llmctl: reset --purge-data removes every key, team, "
                "spend record, log and the content store; add --yes to do it "
                "without a terminal\n");
        return 0;
    }
    fprintf(stderr, "This removes every virtual key, team, spend record, "
            "log and the content store of %s.\nType 'yes' to go on: ",
            o->prefix);
    if (fgets(line, sizeof(line), stdin) == NULL) {
        return 0;
    }
    return strcmp(line, "yes\n") == 0;
}

static int
truncate_logs(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
    (void) ftw;
    if (flag == FTW_F && S_ISREG(sb->st_mode)) {
        /* open files (nginx, controld) write on at offset 0: O_APPEND */
        if (truncate(path, 0) != 0) {
            fprintf(stderr, "llmctl: cannot empty %s: %s\n", path,
                    strerror(errno));
        }
    }
    return 0;
}

static int
purge(llmctl_options_t *o)
{
    json_t  *empty, *answer;
    char    *dir;
    long     status = 0;

    empty = json_pack("{s:i, s:{}, s:{}, s:{}, s:{}}", "version", 1, "keys",
                      "teams", "spend", "days");
    answer = llmctl_mgmt_call(o, "POST", "/_ops/state", empty, &status);
    json_decref(empty);
    if (answer == NULL) {
        fprintf(stderr, "llmctl: keys and spend were not removed; nothing "
                "was changed\n");
        return -1;
    }
    json_decref(answer);
    dir = llmctl_prefix_path(o, "content");
    llmctl_remove_tree(dir);
    free(dir);
    dir = llmctl_prefix_path(o, "logs");
    nftw(dir, truncate_logs, 16, FTW_PHYS);
    free(dir);
    printf("purged: keys, teams, spend, logs and the content store\n");
    return 0;
}

int
llmctl_cmd_reset(llmctl_options_t *o)
{
    char  *shipped, *conf, *target;
    int    rc;

    if (llmctl_live_pid(o, "run/llmctl.pid") == 0
        || llmctl_args_load(o) != 0)
    {
        fprintf(stderr, "llmctl: reset works on a running instance; none "
                "in %s\n", o->prefix);
        return LLMCTL_FAILED;
    }
    if (o->purge && !confirmed(o)) {
        fprintf(stderr, "llmctl: not confirmed; nothing was changed\n");
        return LLMCTL_FAILED;
    }
    if (o->purge && purge(o) != 0) {
        return LLMCTL_FAILED;
    }

    /* The shipped default goes into the prefix; the user's own file is not
     * touched (`llmctl reload --config FILE` goes back to it). */
    conf = llmctl_conf_dir();
    shipped = path_join(conf, "config.yaml");
    target = llmctl_prefix_path(o, "conf/default-config.yaml");
    if (copy_file(shipped, target, 0644) != 0) {
        fprintf(stderr, "llmctl: cannot copy %s: %s\n", shipped,
                strerror(errno));
        free(conf);
        free(shipped);
        free(target);
        return LLMCTL_FAILED;
    }
    printf("config: %s (shipped default; %s is unchanged)\n", target,
           o->config);
    free(o->config);
    o->config = target;
    free(conf);
    free(shipped);
    fflush(stdout);
    rc = llmctl_cmd_reload(o);
    return rc;
}
