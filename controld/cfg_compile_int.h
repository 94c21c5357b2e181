/* Internal interfaces between the parts of the config compiler. */

#ifndef CFG_COMPILE_INT_H
#define CFG_COMPILE_INT_H

#include "cfg_ctx.h"

/* model_list (a YAML sequence) -> deployments (a JSON array). */
int cfg_compile_models(cfg_ctx_t *ctx, yaml_node_t *list, json_t *deployments);

/* A JSON object holding every setting at its default value. */
json_t *cfg_default_settings(void);

/* router_settings / litellm_settings (same vocabulary) into settings. */
int cfg_compile_settings(cfg_ctx_t *ctx, yaml_node_t *node,
    const char *section, json_t *settings);

/* general_settings: only master_key is used; *master_key gets its value. */
int cfg_compile_general(cfg_ctx_t *ctx, yaml_node_t *node, char **master_key,
    yaml_node_t **master_key_node, json_t *doc);

#endif
