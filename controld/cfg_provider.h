/*
 * The provider table: which wire format each provider speaks and where it
 * lives by default (docs/architecture.md, "Provider rules").
 */

#ifndef CFG_PROVIDER_H
#define CFG_PROVIDER_H

#include <stddef.h>

typedef struct {
    const char  *name;          /* the prefix in litellm_params.model */
    const char  *api;           /* openai | anthropic | gemini */
    const char  *default_base;  /* NULL: api_base is required */
    int          append_v1;     /* add "/v1" to the path when it lacks it */
} cfg_provider_t;

/* Azure's api-version when the config gives none. */
#define CFG_AZURE_DEFAULT_API_VERSION  "2024-10-21"

const cfg_provider_t *cfg_provider_find(const char *name, size_t len);

/* "openai, azure, ..." for error messages. */
const char *cfg_provider_names(void);

#endif
