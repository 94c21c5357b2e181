/*
 * The config compiler: LiteLLM-style config.yaml + .env -> the canonical
 * JSON of docs/architecture.md ("The canonical config").  Used by controld
 * (publish), llmctl (validate before acting) and the unit tests.
 */

#ifndef CFG_COMPILE_H
#define CFG_COMPILE_H

#include <jansson.h>

#include "cfg_diag.h"
#include "cfg_env.h"
#include "llm_provider.h"

typedef struct {
    int                        strict;     /* --strict: what would disable a
                                              deployment is an error */
    const llm_provider_set_t  *providers;  /* provider rows defined at run
                                              time; NULL: built-in only */
} cfg_options_t;

typedef struct {
    json_t      *doc;         /* the canonical config; NULL on failure */
    char        *master_key;  /* in clear, for llmctl test-model only:
                                 never logged, never in doc */
    cfg_diag_t   diag;        /* warnings, and errors when doc is NULL */
} cfg_result_t;

/*
 * Compile YAML text.  `file` names it in messages.  Returns 0 on success,
 * -1 when there were errors (see res->diag).  Always call cfg_result_free.
 */
int cfg_compile_text(const char *yaml, size_t len, const char *file,
    const cfg_env_t *env, cfg_result_t *res);

/*
 * Compile a config file; env_path NULL means ".env" next to the config
 * (optional), otherwise the file must exist.
 */
int cfg_compile_file(const char *config_path, const char *env_path,
    cfg_result_t *res);

/* The same with options (NULL: the defaults). */
int cfg_compile_text_opts(const char *yaml, size_t len, const char *file,
    const cfg_env_t *env, const cfg_options_t *opts, cfg_result_t *res);
int cfg_compile_file_opts(const char *config_path, const char *env_path,
    const cfg_options_t *opts, cfg_result_t *res);

void cfg_result_free(cfg_result_t *res);

/* The document as text: compact for publishing, indented for people. */
char *cfg_dump(const json_t *doc, int pretty);

/* A copy with every secret replaced by "...<last 4>" (for --print). */
json_t *cfg_redact(const json_t *doc);

/* "...abcd" for a secret, or "..." when it is too short to show any part. */
void cfg_secret_hint(const char *secret, char *out, size_t size);

#endif
