/*
 * What every part of the config compiler shares: the loaded YAML document
 * (libyaml keeps each node's position, which is how messages get their
 * line:col), the file name shown in messages, the diagnostics and the env.
 */

#ifndef CFG_CTX_H
#define CFG_CTX_H

#include <jansson.h>
#include <yaml.h>

#include "cfg_diag.h"
#include "cfg_env.h"
#include "llm_provider.h"

typedef struct {
    yaml_document_t            doc;
    const char                *file;
    cfg_diag_t                *diag;
    const cfg_env_t           *env;
    const llm_provider_set_t  *providers;   /* run-time rows; may be NULL */

    /* --strict or general_settings.strict_config: what would disable a
     * deployment (or a setting) is an error instead of a warning */
    int                        strict;

    /*
     * While set, an `os.environ/NAME` that is not set is no error: the
     * value reads as absent and the first such NAME is kept here (with its
     * node), so the caller can disable what needed it.
     */
    int                        defer_env;
    const char                *missing_env;
    const yaml_node_t         *missing_env_node;
} cfg_ctx_t;

/* Paths in messages look like "model_list[1].litellm_params.rpm". */
#define CFG_PATH_MAX  256

/* out = "base.name" (or "name" at the top level); cut to CFG_PATH_MAX. */
void cfg_path(char *out, const char *base, const char *name);

/* out = "base[index]". */
void cfg_path_index(char *out, const char *base, size_t index);

#define cfg_for_each_pair(node, pair)                                        \
    for ((pair) = (node)->data.mapping.pairs.start;                           \
         (pair) < (node)->data.mapping.pairs.top; (pair)++)

#define cfg_for_each_item(node, item)                                        \
    for ((item) = (node)->data.sequence.items.start;                          \
         (item) < (node)->data.sequence.items.top; (item)++)

yaml_node_t *cfg_node(cfg_ctx_t *ctx, int index);

/* "a string", "a list", "a mapping": for "expected X, got Y" messages. */
const char *cfg_kind(const yaml_node_t *node);

/* An empty or null-ish plain scalar: the key is treated as not given. */
int cfg_is_null(const yaml_node_t *node);

void cfg_error(cfg_ctx_t *ctx, const yaml_node_t *node, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cfg_warning(cfg_ctx_t *ctx, const yaml_node_t *node, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* 1 when s has a control character (it would break a header line). */
int cfg_has_control_char(const char *s);

/* A warning, or an error under --strict (strict_config). */
void cfg_soft_error(cfg_ctx_t *ctx, const yaml_node_t *node,
    const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "file:l:c: warning: unknown key 'x' in <path> (ignored)" */
void cfg_warn_unknown_key(cfg_ctx_t *ctx, const yaml_node_t *key,
    const char *path);

/* A mapping key as text, or NULL (after an error) when it is not a scalar. */
const char *cfg_key(cfg_ctx_t *ctx, const yaml_node_t *key, const char *path);

/*
 * Typed value readers.  Each resolves `os.environ/NAME` first and accepts
 * numbers written as strings.  They return 1 when a value was stored, 0 when
 * the node is null (treated as absent) and -1 after recording an error.
 */
int cfg_get_string(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    char **out);
int cfg_get_uint(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    long long *out);
int cfg_get_number(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    double *out);
int cfg_get_size_bytes(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    long long *out);
int cfg_get_duration_ms(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    long long *out);
int cfg_get_bool(cfg_ctx_t *ctx, yaml_node_t *node, const char *path,
    int *out);

/* 1 for a mapping, 0 for null, -1 (with an error) for anything else. */
int cfg_expect_mapping(cfg_ctx_t *ctx, yaml_node_t *node, const char *path);
int cfg_expect_list(cfg_ctx_t *ctx, yaml_node_t *node, const char *path);

/*
 * Any YAML subtree as JSON, for values carried through unchanged: plain
 * scalars become numbers, booleans or null when they look like one.
 * Returns NULL after an error.
 */
json_t *cfg_to_json(cfg_ctx_t *ctx, yaml_node_t *node, const char *path);

#endif
