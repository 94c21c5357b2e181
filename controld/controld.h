/* controld: compiles config.yaml and publishes it to nginx (see main). */

#ifndef CONTROLD_H
#define CONTROLD_H

typedef struct {
    const char  *config;
    const char  *env;               /* NULL: .env next to the config */
    const char  *admin_socket;
    const char  *snapshot;
    const char  *pid_file;
    const char  *log_file;
    int          resolve_interval;  /* seconds */
    const char  *mgmt_socket;       /* management API; NULL: none */
    const char  *state_file;        /* keys: state file or Redis cache;
                                       NULL: keys are not managed */
    const char  *request_log;       /* nginx's JSON-lines request log, for
                                       the console's request-log API */
    const char  *content_dir;       /* named configs (cfg_content.h);
                                       NULL: the console cannot apply
                                       one */
    int          strict;            /* --strict: a deployment that cannot
                                       be served is an error */
} controld_options_t;

/* The daemon's main loop; returns the process exit code. */
int controld_run(const controld_options_t *opts);

#endif
