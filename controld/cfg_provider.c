/* Provider table (see cfg_provider.h). */

#include <string.h>

#include "cfg_provider.h"

static const cfg_provider_t  providers[] = {
    { "openai",      "openai",    "https://api.openai.com/v1",     0 },
    { "openrouter",  "openai",    "https://openrouter.ai/api/v1",  0 },
    { "ollama",      "openai",    "http://localhost:11434",        1 },
    { "ollama_chat", "openai",    "http://localhost:11434",        1 },
    { "hosted_vllm", "openai",    NULL,                            1 },
    { "azure",       "openai",    NULL,                            0 },
    { "anthropic",   "anthropic", "https://api.anthropic.com",     1 },
    { "gemini",      "gemini",
      "https://generativelanguage.googleapis.com/v1beta",          0 },
};

const cfg_provider_t *
cfg_provider_find(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
        if (strlen(providers[i].name) == len
            && strncmp(providers[i].name, name, len) == 0)
        {
            return &providers[i];
        }
    }
    return NULL;
}

const char *
cfg_provider_names(void)
{
    return "openai, azure, openrouter, ollama, ollama_chat, hosted_vllm, "
           "anthropic, gemini";
}
