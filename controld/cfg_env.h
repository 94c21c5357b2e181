/*
 * The .env file and `os.environ/NAME` look-ups.  The process environment
 * wins over the file, as in LiteLLM (python-dotenv does not override).
 */

#ifndef CFG_ENV_H
#define CFG_ENV_H

#include "cfg_diag.h"

typedef struct {
    char   **names;
    char   **values;
    size_t   count;
} cfg_env_t;

void cfg_env_init(cfg_env_t *env);
void cfg_env_free(cfg_env_t *env);

/*
 * Parse .env text: KEY=VALUE lines, `#` comments, optional `export `,
 * single or double quotes (double quotes understand \n \t \" \\).  Bad lines
 * are warnings.  Returns 0.
 */
int cfg_env_parse(cfg_env_t *env, const char *text, const char *file,
    cfg_diag_t *diag);

/*
 * Load a .env file.  A missing file is an error only when must_exist is set
 * (an explicit --env); returns -1 on error, 0 otherwise.
 */
int cfg_env_load(cfg_env_t *env, const char *path, int must_exist,
    cfg_diag_t *diag);

/* Process environment first, then the file; NULL when unset. */
const char *cfg_env_lookup(const cfg_env_t *env, const char *name);

/* The conventional default: ".env" in the directory of the config file. */
char *cfg_env_default_path(const char *config_path);

#endif
