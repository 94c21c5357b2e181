// Every row of the provider table (ngx_llm_module/src/core/
// llm_provider_table.c), one line each, against the mock provider: the
// provider's request path, its auth header carrying the key from the
// provider's own environment variable (no api_key in the config, as
// LiteLLM does it), the model name with the prefix stripped, and a streamed
// answer.  api_base points at the mock with the provider's own base path,
// so the path the mock sees is the one the real service would.
//
// Adding a provider: one row in the table, one line here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    REPO_DIR, closeAll, startGateway, startMockProvider, makeSecret, deployment, collectChatStream, run, CONTROLD,
} from '../lib/index.mjs';

// prefix, default api_base (null: the config must give one), key variable,
// auth header, wire ('openai' | 'anthropic' | 'gemini' | 'azure' | 'cohere')
const ROWS = [
    ['openai', 'https://api.openai.com/v1', 'OPENAI_API_KEY', 'authorization'],
    ['azure', null, 'AZURE_API_KEY', 'api-key', 'azure'],
    ['openrouter', 'https://openrouter.ai/api/v1', 'OPENROUTER_API_KEY', 'authorization'],
    ['ollama', 'http://localhost:11434', 'OLLAMA_API_KEY', 'authorization'],
    ['ollama_chat', 'http://localhost:11434', 'OLLAMA_API_KEY', 'authorization'],
    ['hosted_vllm', null, 'HOSTED_VLLM_API_KEY', 'authorization'],
    ['anthropic', 'https://api.anthropic.com', 'ANTHROPIC_API_KEY', 'x-api-key', 'anthropic'],
    ['gemini', 'https://generativelanguage.googleapis.com/v1beta', 'GEMINI_API_KEY', 'x-goog-api-key', 'gemini'],
    ['cohere', 'https://api.cohere.com', 'COHERE_API_KEY', 'authorization', 'cohere'],
    ['cohere_chat', 'https://api.cohere.com', 'COHERE_API_KEY', 'authorization', 'cohere'],
    ['groq', 'https://api.groq.com/openai/v1', 'GROQ_API_KEY', 'authorization'],
    ['mistral', 'https://api.mistral.ai/v1', 'MISTRAL_API_KEY', 'authorization'],
    ['codestral', 'https://codestral.mistral.ai/v1', 'CODESTRAL_API_KEY', 'authorization'],
    ['deepseek', 'https://api.deepseek.com/beta', 'DEEPSEEK_API_KEY', 'authorization'],
    ['together_ai', 'https://api.together.xyz/v1', 'TOGETHER_API_KEY', 'authorization'],
    ['fireworks_ai', 'https://api.fireworks.ai/inference/v1', 'FIREWORKS_API_KEY', 'authorization'],
    ['perplexity', 'https://api.perplexity.ai', 'PERPLEXITYAI_API_KEY', 'authorization'],
    ['xai', 'https://api.x.ai/v1', 'XAI_API_KEY', 'authorization'],
    ['deepinfra', 'https://api.deepinfra.com/v1/openai', 'DEEPINFRA_API_KEY', 'authorization'],
    ['cerebras', 'https://api.cerebras.ai/v1', 'CEREBRAS_API_KEY', 'authorization'],
    ['nvidia_nim', 'https://integrate.api.nvidia.com/v1', 'NVIDIA_NIM_API_KEY', 'authorization'],
    ['sambanova', 'https://api.sambanova.ai/v1', 'SAMBANOVA_API_KEY', 'authorization'],
    ['hyperbolic', 'https://api.hyperbolic.xyz/v1', 'HYPERBOLIC_API_KEY', 'authorization'],
    ['novita', 'https://api.novita.ai/v3/openai', 'NOVITA_API_KEY', 'authorization'],
    ['nebius', 'https://api.studio.nebius.ai/v1', 'NEBIUS_API_KEY', 'authorization'],
    ['featherless_ai', 'https://api.featherless.ai/v1', 'FEATHERLESS_AI_API_KEY', 'authorization'],
    ['lm_studio', 'http://localhost:1234/v1', 'LM_STUDIO_API_KEY', 'authorization'],
    ['llamafile', 'http://127.0.0.1:8080/v1', 'LLAMAFILE_API_KEY', 'authorization'],
    ['xinference', 'http://127.0.0.1:9997/v1', 'XINFERENCE_API_KEY', 'authorization'],
    ['github', 'https://models.inference.ai.azure.com', 'GITHUB_API_KEY', 'authorization'],
    ['huggingface', 'https://router.huggingface.co/v1', 'HF_TOKEN', 'authorization'],
    ['cloudflare', 'https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1',
        'CLOUDFLARE_API_KEY', 'authorization'],
    ['dashscope', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'DASHSCOPE_API_KEY', 'authorization'],
    ['moonshot', 'https://api.moonshot.ai/v1', 'MOONSHOT_API_KEY', 'authorization'],
    ['volcengine', 'https://ark.cn-beijing.volces.com/api/v3', 'VOLCENGINE_API_KEY', 'authorization'],
    ['openai_like', null, 'OPENAI_LIKE_API_KEY', 'authorization'],
    ['custom_openai', null, 'CUSTOM_OPENAI_API_KEY', 'authorization'],
    ['litellm_proxy', null, 'LITELLM_PROXY_API_KEY', 'authorization'],
    ['databricks', null, 'DATABRICKS_API_KEY', 'authorization'],
    ['azure_ai', null, 'AZURE_AI_API_KEY', 'authorization'],
    ['meta_llama', 'https://api.llama.com/compat/v1', 'LLAMA_API_KEY', 'authorization'],
    ['ai21_chat', 'https://api.ai21.com/studio/v1', 'AI21_API_KEY', 'authorization'],
    ['friendliai', 'https://api.friendli.ai/serverless/v1', 'FRIENDLIAI_API_KEY', 'authorization'],
    ['galadriel', 'https://api.galadriel.com/v1', 'GALADRIEL_API_KEY', 'authorization'],
    ['nscale', 'https://inference.api.nscale.com/v1', 'NSCALE_API_KEY', 'authorization'],
];

const ACCOUNT = 'acct-0123456789';
const KEYS = Object.fromEntries(ROWS.map(([name]) => [name, makeSecret(`key-${name}-`)]));
let mock, gw, table;

/** The base path the gateway must put in front of the endpoint. */
function basePath(name, base) {
    let p = `/${name}/base`;
    if (base !== null) p = new URL(base.replace('{CLOUDFLARE_ACCOUNT_ID}', ACCOUNT)).pathname.replace(/\/$/, '');
    // local servers and anthropic get "/v1" when the base lacks it
    const appendV1 = ['ollama', 'ollama_chat', 'anthropic', 'hosted_vllm', 'lm_studio', 'llamafile', 'xinference'];
    if (appendV1.includes(name) && !p.endsWith('/v1')) p += '/v1';
    return p;
}

function providerModel(name, wire) {
    // a model name with a slash of its own stays whole after the prefix
    return wire === 'gemini' || wire === 'azure' ? `${name}-model` : `vendor/${name}-model`;
}

function expectedPath(name, base, wire) {
    const p = basePath(name, base);
    const model = providerModel(name, wire);
    if (wire === 'azure') return `${p}/openai/deployments/${model}/chat/completions`;
    if (wire === 'anthropic') return `${p}/messages`;
    if (wire === 'gemini') return `${p}/models/${model}:streamGenerateContent`;
    if (wire === 'cohere') return `${p}/v2/chat`;
    return `${p}/chat/completions`;
}

before(async () => {
    mock = await startMockProvider({});
    const res = await run(CONTROLD, ['--providers'], {});
    assert.equal(res.code, 0, res.stderr);
    table = JSON.parse(res.stdout);

    const env = { CLOUDFLARE_ACCOUNT_ID: ACCOUNT };
    for (const [name, , keyEnv] of ROWS) env[keyEnv] = KEYS[name];
    // ollama and ollama_chat share OLLAMA_API_KEY, cohere and cohere_chat
    // COHERE_API_KEY: the last one written wins
    KEYS.ollama = KEYS.ollama_chat = env.OLLAMA_API_KEY;
    KEYS.cohere = KEYS.cohere_chat = env.COHERE_API_KEY;

    const model_list = ROWS.map(([name, base, , , wire]) => {
        // the provider's own base path on the mock; cloudflare's account
        // placeholder is filled from CLOUDFLARE_ACCOUNT_ID as in the default
        const path = name === 'cloudflare' ? '/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1'
            : base === null ? `/${name}/base` : new URL(base).pathname.replace(/\/$/, '');
        return deployment(`${name}-m`, `${name}/${providerModel(name, wire)}`, { api_base: `${mock.url}${path}` });
    });
    gw = await startGateway({ config: { model_list, router_settings: { num_retries: 0 } }, env });
});

after(() => closeAll(gw, mock));

test('the table has a test line for every row, and each line agrees with it', () => {
    const names = table.map((r) => r.name).sort();
    assert.deepEqual(ROWS.map((r) => r[0]).filter((n) => names.includes(n)).length, ROWS.length,
        `lines for rows that do not exist: ${ROWS.map((r) => r[0]).filter((n) => !names.includes(n))}`);
    // bedrock signs with SigV4 and speaks Converse, vertex_ai needs an OAuth2
    // token exchange, text-completion-openai renders chat as a prompt: their
    // own suites (bedrock, vertex, text_completion .test.mjs)
    const OWN_SUITE = ['text-completion-openai', 'bedrock', 'vertex_ai'];
    const untested = names.filter((n) => !ROWS.some((r) => r[0] === n) && !OWN_SUITE.includes(n));
    assert.deepEqual(untested, [], 'every row of the table needs a line here');
    for (const [name, base, keyEnv, header] of ROWS) {
        const row = table.find((r) => r.name === name);
        assert.equal(row.api_base, base, `${name}: default api_base`);
        assert.equal(row.key_env[0], keyEnv, `${name}: key variable`);
        assert.equal(row.auth === 'header' ? row.auth_header : 'authorization', header, `${name}: auth header`);
    }
});

for (const [name, base, keyEnv, header, wire = 'openai'] of ROWS) {
    test(`${name}: path, ${header} with ${keyEnv}, prefix stripped, streamed`, async () => {
        mock.reset();
        const stream = await gw.client().chat.completions.create({
            model: `${name}-m`, stream: true, messages: [{ role: 'user', content: `hello ${name}` }],
        });
        const out = await collectChatStream(stream);
        assert.equal(out.error, null, `${name}: stream failed: ${out.error}`);
        assert.equal(mock.requests.length, 1, `${name}: one request to the provider`);
        const seen = mock.last();
        assert.equal(seen.path, expectedPath(name, base, wire), `${name}: path`);
        const want = header === 'authorization' ? `Bearer ${KEYS[name]}` : KEYS[name];
        assert.equal(seen.headers[header], want, `${name}: ${header}`);
        if (header !== 'authorization') assert.equal(seen.headers.authorization, undefined);
        if (wire === 'azure') assert.ok(seen.query['api-version'], 'azure: api-version');
        if (wire === 'openai' || wire === 'anthropic' || wire === 'cohere') {
            assert.equal(seen.body.model, providerModel(name, wire), `${name}: model sent`);
            assert.equal(seen.body.stream, true);
        }
        assert.ok(out.deltas.length >= 1, `${name}: streamed deltas`);
        assert.equal(out.deltas.join(''), seen.response.text, `${name}: the answer arrives whole`);
    });
}

test('docs/providers.md has a line for every row and README says how many', () => {
    const doc = fs.readFileSync(path.join(REPO_DIR, 'docs/providers.md'), 'utf8');
    for (const row of table) assert.ok(doc.includes(`| \`${row.name}/\` |`), `docs/providers.md lacks ${row.name}`);
    assert.match(doc, new RegExp(`\\*\\*${table.length} providers\\*\\*`));
    const readme = fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8').split('\n\n')[1];
    assert.match(readme, new RegExp(`any of ${table.length}\\s+providers`));
});

test('no provider key in any log', () => {
    assert.deepEqual(gw.leakedSecrets(Object.values(KEYS)), []);
});
