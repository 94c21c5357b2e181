/* llmctl: the operator CLI (run/start/stop/status/reload/models/test-model). */

#ifndef LLMCTL_H
#define LLMCTL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "cfg_compile.h"

typedef struct {
    char  *config;          /* absolute paths once resolved */
    char  *env;             /* NULL: .env next to the config */
    char  *listen;          /* HOST:PORT as nginx's `listen` takes it */
    char  *prefix;
    char  *workers;
    char  *ca_file;
    char  *key;             /* test-model: the key to call with */
    char  *model;           /* the positional word: test-model and
                               run-tests MODEL, restore FILE, content VERB */
    int    nargs;           /* keys/spend: their own words and flags; */
    char **args;            /* other commands: their positional words */
    int    json;            /* --json: machine-readable output */
    int    verbose;         /* --verbose */
    int    detailed;        /* status --detailed */
    int    yes;             /* reset: no confirmation question */
    int    purge;           /* reset --purge-data */
    int    include_secrets; /* backup --include-secrets */
    int    timeout;         /* test --timeout S (seconds) */
    char  *out;             /* backup --out FILE */
    char  *type;            /* content --type config|provider */
    char  *name;            /* content --name N */
    char  *file;            /* content --file F */
} llmctl_options_t;

/* Exit codes scripts rely on. */
#define LLMCTL_OK       0
#define LLMCTL_FAILED   1       /* a check failed, or the command did */
#define LLMCTL_USAGE    2
#define LLMCTL_STOPPED  3       /* status: not running */

/* llmctl_paths.c: where things are. */
char *llmctl_self_dir(void);
char *llmctl_absolute(const char *path);
char *llmctl_prefix_path(const llmctl_options_t *o, const char *rel);
char *llmctl_module_path(void);
char *llmctl_controld_path(void);
char *llmctl_conf_dir(void);
char *llmctl_ui_dir(void);
/* "http://127.0.0.1:4000" for a listen value (wildcards -> loopback). */
char *llmctl_listen_url(const char *listen);
/* A pid from a pid file if that process is alive, else 0. */
pid_t llmctl_read_live_pid(const char *path);
/* Last `lines` lines of a file to stderr (for "see the log" messages). */
void llmctl_print_tail(const char *path, int lines);

/* llmctl_args.c: the running instance's arguments, in PREFIX/run. */
int llmctl_args_save(const llmctl_options_t *o);
int llmctl_args_load(llmctl_options_t *o);

/* llmctl_render.c: PREFIX layout and generated nginx.conf. */
int llmctl_prepare_prefix(const llmctl_options_t *o);

/* Compile the config with the provider rows of PREFIX/content (as
 * controld does): 0, or -1 (res->diag says why).  cfg_result_free res. */
int llmctl_compile(const llmctl_options_t *o, cfg_result_t *res);

/* Compile the config and print messages; 0 if valid.  master_key (may be
 * NULL) receives the key in clear for test-model. */
int llmctl_validate(const llmctl_options_t *o, char **master_key);

/* llmctl_supervise.c */
int llmctl_cmd_run(llmctl_options_t *o);
int llmctl_cmd_start(llmctl_options_t *o);

/* llmctl_admin.c */
int llmctl_cmd_stop(llmctl_options_t *o);
int llmctl_cmd_status(llmctl_options_t *o);
int llmctl_cmd_reload(llmctl_options_t *o);
int llmctl_cmd_models(llmctl_options_t *o);
int llmctl_cmd_test_model(llmctl_options_t *o);
/* llmctl_status.c: status --detailed, test, run-tests, restart */
int llmctl_cmd_status_detailed(llmctl_options_t *o);
int llmctl_cmd_test(llmctl_options_t *o);
int llmctl_cmd_run_tests(llmctl_options_t *o);
int llmctl_cmd_restart(llmctl_options_t *o);

/* llmctl_backup.c: backup, restore, reset */
int llmctl_cmd_backup(llmctl_options_t *o);
int llmctl_cmd_restore(llmctl_options_t *o);
int llmctl_cmd_reset(llmctl_options_t *o);

/* llmctl_content.c: named configs and provider rows */
int llmctl_cmd_content(llmctl_options_t *o);

/* A call to controld's management socket: the answer's JSON (and status),
 * or NULL after printing why (quiet: print nothing). */
json_t *llmctl_mgmt_call(llmctl_options_t *o, const char *method,
    const char *path, json_t *body, long *status);

json_t *llmctl_mgmt_quiet(llmctl_options_t *o, const char *method,
    const char *path, json_t *body, long *status);

/* llmctl_paths.c: a live pid from PREFIX/rel, else 0. */
pid_t llmctl_live_pid(const llmctl_options_t *o, const char *rel);

/* llmctl_status.c: model_list[i].litellm_params.api_key as written in
 * the YAML (before os.environ/ or vault: resolution); NULL when the file
 * does not parse. */
json_t *llmctl_yaml_model_keys(const char *config);

/* llmctl_keys.c: keys and spend through controld's management socket */
int llmctl_cmd_keys(llmctl_options_t *o);
int llmctl_cmd_spend(llmctl_options_t *o);
/* llmctl_logs.c: the request log */
int llmctl_cmd_logs(llmctl_options_t *o);
int llmctl_cmd_stats(llmctl_options_t *o);
/* llmctl_secrets.c: where provider keys came from, Vault's health */
void llmctl_print_secrets(const llmctl_options_t *o);
/* llmctl_proxy_status.c: a live view from /metrics */
int llmctl_cmd_proxy_status(llmctl_options_t *o);
/* The master key: --key, $LITELLM_MASTER_KEY, or the running config's. */
char *llmctl_master_key(const llmctl_options_t *o);

/* GET /_llm/status over the admin socket; NULL (with a message in
 * `error`) when unreachable. */
json_t *llmctl_admin_status(const llmctl_options_t *o, char *error,
    size_t size);

void llmctl_remove_tree(const char *dir);

#endif
