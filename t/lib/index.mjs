// ngx_llm integration-test harness.
//
// Running
//   make test                 unit tests, then every integration suite
//   make test-integration     integration suites only (builds first)
//   make test-integration SUITE=reload         one suite (integration/reload.test.mjs)
//   cd t && node --test --test-concurrency=1 integration/            all suites
//   cd t && node --test integration/openai_sdk.test.mjs              one suite
//   cd t && node --test --test-name-pattern='azure' integration/rewrite.test.mjs
// Suites run one at a time (--test-concurrency=1): each starts real nginx
// workers and controld, and the machine has two cores.  00_mocks.test.mjs
// checks the mocks against the SDKs without a gateway.
// Writing a suite: start mocks and a gateway in before(), end with
// after(() => closeAll(gw, mock)) so a failed log check never leaves a mock
// open; use withGateway() for a gateway that lives inside one test.
//
// Environment knobs
//   TEST_KEEP=1       keep temp dirs (gateway prefixes with logs, config.yaml,
//                     .env, test PKI) when a suite fails; paths are printed
//   TEST_VERBOSE=1    echo every llmctl/nginx command and its output
//   LLM_BUILD_DIR     where llmctl, controld, ngx_llm_module.so are (build/)
//   LLMCTL, CONTROLD, LLM_MODULE   override a single binary's path
//   NGINX_BIN         nginx used for `-s reload` and cold starts (/usr/sbin/nginx)
//
// Pieces
//   gateway.mjs  startGateway(): llmctl start/stop/reload in a temp prefix,
//                log checks ([alert]/[emerg]/Sanitizer fail the suite), secrets grep
//   mocks/       mock providers (OpenAI/Azure/OpenRouter/Ollama/vLLM, Anthropic,
//                Gemini) recording every request; faults by model name
//                (mocks/faults.mjs: fault-429, fault-slow-headers-3000, ...)
//   certs.mjs    test CA + localhost server cert + an unrelated CA (openssl CLI)
//   http.mjs     raw HTTP client (exact status/headers, unix sockets, pool())
//   sse.mjs      SSE frame/parse;  yaml.mjs  tiny YAML/.env emitter
//   ports.mjs, tmp.mjs, proc.mjs   free ports, temp dirs + exit cleanup, processes
export * from './env.mjs';
export { startGateway, withGateway, Gateway, makeSecret, badLogLines, MASTER_KEY_ENV } from './gateway.mjs';
export { startMockProvider, MockProvider, registerFault, parseFault, chunkText, countTokens, startMockVault, MockVault,
    startVertexTokenServer, serviceAccount } from './mocks/index.mjs';
export { makeTestPki } from './certs.mjs';
export { deployment, openaiDeployment, collectChatStream, assertOpenAIError, responseText } from './fixtures.mjs';
export { request, unixRequest, pool } from './http.mjs';
export { parseSse, sseFrame } from './sse.mjs';
export { toYaml, toDotEnv } from './yaml.mjs';
export { freePort } from './ports.mjs';
export { makeTempDir, onExit } from './tmp.mjs';
export { run, alive, readPid, waitFor } from './proc.mjs';

/** An OpenAI-style error body: {"error": {message, type, param, code}}. */
export function isOpenAIError(json) {
    return !!json && typeof json === 'object' && json.error && typeof json.error === 'object' &&
        typeof json.error.message === 'string' && json.error.message.length > 0 &&
        'type' in json.error && 'param' in json.error && 'code' in json.error;
}

/**
 * Stop gateways and close mocks, all of them, even when one fails (a failed
 * log check must not leave a mock open and the suite hanging); then throw
 * the first failure.  Use in after(): after(() => closeAll(gw, mock)).
 */
export async function closeAll(...things) {
    const errors = [];
    for (const thing of things.flat()) {
        if (!thing) continue;
        try {
            if (typeof thing.stop === 'function') await thing.stop();
            else if (typeof thing.close === 'function') await thing.close();
        } catch (e) {
            errors.push(e);
        }
    }
    if (errors.length) throw errors[0];
}
