/*
 * The built-in provider rows (see llm_provider.h).  Base URLs and key
 * variables are LiteLLM's (litellm/litellm_core_utils/
 * get_llm_provider_logic.py and each provider's config), so a LiteLLM
 * user's environment works unchanged.  "rejects" lists request fields the
 * provider answers with a 400; with drop_params they are taken out.
 *
 * Keep docs/providers.md and t/integration/providers_table.test.mjs in step
 * with this table.
 */

#include "llm_provider.h"


#define OAI     LLM_WIRE_OPENAI
#define BEARER  LLM_AUTH_BEARER
#define ALL     LLM_EP_ALL
#define CHAT_EMB_MODELS  (LLM_EP_CHAT | LLM_EP_EMBEDDINGS | LLM_EP_MODELS)
#define CHAT_MODELS      (LLM_EP_CHAT | LLM_EP_MODELS)

/* what the OpenAI-compatible servers of open models most often refuse */
#define NO_LOGIT_BIAS    "logit_bias"
#define NO_LOGPROBS      "logit_bias,logprobs,top_logprobs"


static const llm_provider_row_t  llm_provider_rows[] = {

    /* name, wire, auth, auth_header,
       api_base, key_env, base_env, region_env, endpoints, quirks, rejects */

    { "openai", OAI, BEARER, NULL,
      "https://api.openai.com/v1", "OPENAI_API_KEY",
      "OPENAI_BASE_URL,OPENAI_API_BASE", NULL, ALL | LLM_EP_RESPONSES, 0,
      NULL },

    { "text-completion-openai", LLM_WIRE_OPENAI_COMPLETIONS, BEARER, NULL,
      "https://api.openai.com/v1", "OPENAI_API_KEY",
      "OPENAI_BASE_URL,OPENAI_API_BASE", NULL,
      LLM_EP_CHAT | LLM_EP_COMPLETIONS | LLM_EP_MODELS, 0,
      "tools,tool_choice,parallel_tool_calls,response_format" },

    { "azure", OAI, LLM_AUTH_HEADER, "api-key",
      NULL, "AZURE_API_KEY,AZURE_OPENAI_API_KEY", "AZURE_API_BASE", NULL,
      LLM_EP_CHAT | LLM_EP_COMPLETIONS | LLM_EP_EMBEDDINGS
      | LLM_EP_RESPONSES, LLM_PQ_AZURE_PATH, NULL },

    { "openrouter", OAI, BEARER, NULL,
      "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY,OR_API_KEY",
      "OPENROUTER_API_BASE", NULL, CHAT_MODELS | LLM_EP_COMPLETIONS, 0,
      NULL },

    { "ollama", OAI, BEARER, NULL,
      "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", NULL,
      ALL, LLM_PQ_APPEND_V1 | LLM_PQ_KEY_OPTIONAL, NULL },

    { "ollama_chat", OAI, BEARER, NULL,
      "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", NULL,
      ALL, LLM_PQ_APPEND_V1 | LLM_PQ_KEY_OPTIONAL, NULL },

    { "hosted_vllm", OAI, BEARER, NULL,
      NULL, "HOSTED_VLLM_API_KEY", "HOSTED_VLLM_API_BASE", NULL,
      ALL, LLM_PQ_APPEND_V1 | LLM_PQ_KEY_OPTIONAL, NULL },

    { "anthropic", LLM_WIRE_ANTHROPIC, LLM_AUTH_HEADER, "x-api-key",
      "https://api.anthropic.com", "ANTHROPIC_API_KEY",
      "ANTHROPIC_API_BASE,ANTHROPIC_BASE_URL", NULL,
      CHAT_MODELS | LLM_EP_COUNT_TOKENS, LLM_PQ_APPEND_V1, NULL },

    { "gemini", LLM_WIRE_GEMINI, LLM_AUTH_HEADER, "x-goog-api-key",
      "https://generativelanguage.googleapis.com/v1beta",
      "GEMINI_API_KEY,GOOGLE_API_KEY", "GEMINI_API_BASE", NULL,
      CHAT_EMB_MODELS | LLM_EP_COUNT_TOKENS, 0, NULL },

    /* native wire formats */

    /* Converse and ConverseStream, signed with SigV4 (no key) */
    { "bedrock", LLM_WIRE_BEDROCK_CONVERSE, LLM_AUTH_SIGV4, NULL,
      "https://bedrock-runtime.{region}.amazonaws.com", NULL,
      "AWS_BEDROCK_RUNTIME_ENDPOINT",
      "AWS_REGION_NAME,AWS_REGION,AWS_DEFAULT_REGION", LLM_EP_CHAT, 0,
      NULL },

    /* Cohere's v2 API: /v2/chat and /v2/embed */
    { "cohere", LLM_WIRE_COHERE_V2, BEARER, NULL,
      "https://api.cohere.com", "COHERE_API_KEY,CO_API_KEY",
      "COHERE_API_BASE", NULL, LLM_EP_CHAT | LLM_EP_EMBEDDINGS, 0, NULL },

    { "cohere_chat", LLM_WIRE_COHERE_V2, BEARER, NULL,
      "https://api.cohere.com", "COHERE_API_KEY,CO_API_KEY",
      "COHERE_API_BASE", NULL, LLM_EP_CHAT | LLM_EP_EMBEDDINGS, 0, NULL },

    /* Vertex AI: Gemini's wire format under the project's path, with an
       OAuth2 token controld gets for the service account (cfg_vertex.c);
       Claude models speak Anthropic's, embedding models :predict (the
       model families of llm_provider_family.c) */
    { "vertex_ai", LLM_WIRE_VERTEX, LLM_AUTH_OAUTH2, NULL,
      "https://{location}-aiplatform.googleapis.com", NULL, NULL,
      "VERTEXAI_LOCATION,VERTEX_LOCATION",
      LLM_EP_CHAT | LLM_EP_EMBEDDINGS | LLM_EP_COUNT_TOKENS, 0, NULL },

    /* the OpenAI-compatible family */

    { "groq", OAI, BEARER, NULL,
      "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_API_BASE",
      NULL, CHAT_MODELS, 0, NO_LOGPROBS },

    { "mistral", OAI, BEARER, NULL,
      "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "MISTRAL_API_BASE",
      NULL, CHAT_EMB_MODELS, 0, NO_LOGPROBS ",user" },

    { "codestral", OAI, BEARER, NULL,
      "https://codestral.mistral.ai/v1", "CODESTRAL_API_KEY",
      "CODESTRAL_API_BASE", NULL, CHAT_MODELS, 0, NO_LOGPROBS ",user" },

    { "deepseek", OAI, BEARER, NULL,
      "https://api.deepseek.com/beta", "DEEPSEEK_API_KEY",
      "DEEPSEEK_API_BASE", NULL, CHAT_MODELS | LLM_EP_COMPLETIONS, 0,
      NO_LOGIT_BIAS },

    { "together_ai", OAI, BEARER, NULL,
      "https://api.together.xyz/v1",
      "TOGETHER_API_KEY,TOGETHER_AI_API_KEY,TOGETHERAI_API_KEY,"
      "TOGETHER_AI_TOKEN", "TOGETHER_AI_API_BASE", NULL, ALL, 0, NULL },

    { "fireworks_ai", OAI, BEARER, NULL,
      "https://api.fireworks.ai/inference/v1",
      "FIREWORKS_API_KEY,FIREWORKS_AI_API_KEY,FIREWORKSAI_API_KEY,"
      "FIREWORKS_AI_TOKEN", "FIREWORKS_API_BASE", NULL, ALL, 0, NULL },

    { "perplexity", OAI, BEARER, NULL,
      "https://api.perplexity.ai", "PERPLEXITYAI_API_KEY,PERPLEXITY_API_KEY",
      "PERPLEXITY_API_BASE", NULL, LLM_EP_CHAT, 0,
      NO_LOGPROBS ",n,tools,tool_choice,parallel_tool_calls,seed" },

    { "xai", OAI, BEARER, NULL,
      "https://api.x.ai/v1", "XAI_API_KEY", "XAI_API_BASE", NULL,
      CHAT_MODELS, 0, NO_LOGIT_BIAS },

    { "deepinfra", OAI, BEARER, NULL,
      "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY",
      "DEEPINFRA_API_BASE", NULL, ALL, 0, NULL },

    { "cerebras", OAI, BEARER, NULL,
      "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", "CEREBRAS_API_BASE",
      NULL, CHAT_MODELS, 0,
      NO_LOGIT_BIAS ",frequency_penalty,presence_penalty" },

    { "nvidia_nim", OAI, BEARER, NULL,
      "https://integrate.api.nvidia.com/v1", "NVIDIA_NIM_API_KEY",
      "NVIDIA_NIM_API_BASE", NULL, CHAT_EMB_MODELS, 0, NO_LOGIT_BIAS },

    { "sambanova", OAI, BEARER, NULL,
      "https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY",
      "SAMBANOVA_API_BASE", NULL, CHAT_MODELS, 0,
      NO_LOGPROBS ",n,frequency_penalty,presence_penalty" },

    { "hyperbolic", OAI, BEARER, NULL,
      "https://api.hyperbolic.xyz/v1", "HYPERBOLIC_API_KEY",
      "HYPERBOLIC_API_BASE", NULL, CHAT_MODELS | LLM_EP_COMPLETIONS, 0,
      NULL },

    { "novita", OAI, BEARER, NULL,
      "https://api.novita.ai/v3/openai", "NOVITA_API_KEY",
      "NOVITA_API_BASE", NULL, CHAT_MODELS | LLM_EP_COMPLETIONS, 0, NULL },

    { "nebius", OAI, BEARER, NULL,
      "https://api.studio.nebius.ai/v1", "NEBIUS_API_KEY",
      "NEBIUS_API_BASE", NULL, ALL, 0, NULL },

    { "featherless_ai", OAI, BEARER, NULL,
      "https://api.featherless.ai/v1", "FEATHERLESS_AI_API_KEY",
      "FEATHERLESS_AI_API_BASE", NULL, CHAT_MODELS | LLM_EP_COMPLETIONS, 0,
      NULL },

    { "lm_studio", OAI, BEARER, NULL,
      "http://localhost:1234/v1", "LM_STUDIO_API_KEY", "LM_STUDIO_API_BASE",
      NULL, ALL, LLM_PQ_APPEND_V1 | LLM_PQ_KEY_OPTIONAL, NULL },

    { "llamafile", OAI, BEARER, NULL,
      "http://127.0.0.1:8080/v1", "LLAMAFILE_API_KEY", "LLAMAFILE_API_BASE",
      NULL, ALL, LLM_PQ_APPEND_V1 | LLM_PQ_KEY_OPTIONAL, NULL },

    { "xinference", OAI, BEARER, NULL,
      "http://127.0.0.1:9997/v1", "XINFERENCE_API_KEY",
      "XINFERENCE_API_BASE", NULL, ALL,
      LLM_PQ_APPEND_V1 | LLM_PQ_KEY_OPTIONAL, NULL },

    { "github", OAI, BEARER, NULL,
      "https://models.inference.ai.azure.com", "GITHUB_API_KEY",
      "GITHUB_API_BASE", NULL, CHAT_EMB_MODELS, 0, NULL },

    /* Hugging Face's OpenAI-compatible router over its inference providers */
    { "huggingface", OAI, BEARER, NULL,
      "https://router.huggingface.co/v1", "HF_TOKEN,HUGGINGFACE_API_KEY",
      "HF_API_BASE,HUGGINGFACE_API_BASE", NULL, CHAT_MODELS, 0, NULL },

    /* Workers AI's OpenAI-compatible endpoint: the account is in the URL */
    { "cloudflare", OAI, BEARER, NULL,
      "https://api.cloudflare.com/client/v4/accounts/"
      "{CLOUDFLARE_ACCOUNT_ID}/ai/v1", "CLOUDFLARE_API_KEY",
      "CLOUDFLARE_API_BASE", NULL, CHAT_EMB_MODELS, 0, NO_LOGPROBS },

    { "dashscope", OAI, BEARER, NULL,
      "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
      "DASHSCOPE_API_KEY", "DASHSCOPE_API_BASE", NULL, CHAT_EMB_MODELS, 0,
      NULL },

    { "moonshot", OAI, BEARER, NULL,
      "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", "MOONSHOT_API_BASE",
      NULL, CHAT_MODELS, 0, NO_LOGIT_BIAS },

    { "volcengine", OAI, BEARER, NULL,
      "https://ark.cn-beijing.volces.com/api/v3",
      "VOLCENGINE_API_KEY,ARK_API_KEY", "VOLCENGINE_API_BASE", NULL,
      CHAT_EMB_MODELS, 0, NULL },

    /* any OpenAI-compatible server at the api_base the config gives */
    { "openai_like", OAI, BEARER, NULL,
      NULL, "OPENAI_LIKE_API_KEY", "OPENAI_LIKE_API_BASE", NULL, ALL,
      LLM_PQ_KEY_OPTIONAL, NULL },

    { "custom_openai", OAI, BEARER, NULL,
      NULL, "CUSTOM_OPENAI_API_KEY", "CUSTOM_OPENAI_API_BASE", NULL, ALL,
      LLM_PQ_KEY_OPTIONAL, NULL },

    /* another LiteLLM proxy or ngx_llm in front */
    { "litellm_proxy", OAI, BEARER, NULL,
      NULL, "LITELLM_PROXY_API_KEY", "LITELLM_PROXY_API_BASE", NULL, ALL,
      0, NULL },

    /* {base} is https://<workspace>/serving-endpoints */
    { "databricks", OAI, BEARER, NULL,
      NULL, "DATABRICKS_API_KEY", "DATABRICKS_API_BASE", NULL,
      LLM_EP_CHAT | LLM_EP_COMPLETIONS | LLM_EP_EMBEDDINGS, 0, NULL },

    /* Azure AI Foundry models: the endpoint's /models inference API */
    { "azure_ai", OAI, BEARER, NULL,
      NULL, "AZURE_AI_API_KEY", "AZURE_AI_API_BASE", NULL,
      LLM_EP_CHAT | LLM_EP_EMBEDDINGS, 0, NULL },

    { "meta_llama", OAI, BEARER, NULL,
      "https://api.llama.com/compat/v1", "LLAMA_API_KEY", "LLAMA_API_BASE",
      NULL, CHAT_MODELS, 0, NO_LOGPROBS },

    { "ai21_chat", OAI, BEARER, NULL,
      "https://api.ai21.com/studio/v1", "AI21_API_KEY", "AI21_API_BASE",
      NULL, LLM_EP_CHAT, 0, NO_LOGPROBS },

    { "friendliai", OAI, BEARER, NULL,
      "https://api.friendli.ai/serverless/v1",
      "FRIENDLIAI_API_KEY,FRIENDLI_TOKEN", "FRIENDLI_API_BASE", NULL,
      CHAT_MODELS | LLM_EP_COMPLETIONS, 0, NULL },

    { "galadriel", OAI, BEARER, NULL,
      "https://api.galadriel.com/v1", "GALADRIEL_API_KEY",
      "GALADRIEL_API_BASE", NULL, LLM_EP_CHAT, 0, NULL },

    { "nscale", OAI, BEARER, NULL,
      "https://inference.api.nscale.com/v1", "NSCALE_API_KEY",
      "NSCALE_API_BASE", NULL, CHAT_MODELS, 0, NULL },
};


size_t
llm_provider_builtin_count(void)
{
    return sizeof(llm_provider_rows) / sizeof(llm_provider_rows[0]);
}


const llm_provider_row_t *
llm_provider_builtin_at(size_t i)
{
    return i < llm_provider_builtin_count() ? &llm_provider_rows[i] : NULL;
}
