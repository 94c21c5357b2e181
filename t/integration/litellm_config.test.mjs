// LiteLLM's own example config (t/fixtures/litellm/proxy_server_config.yaml,
// see SOURCE.md there) starts with warnings only: what cannot be served is
// disabled with its reason (file:line:col), settings that mean nothing here
// say why, and every deployment the gateway serves answers through the
// mock.  For the second part only the URLs change: the fixture's api_base
// hosts and the providers' *_API_BASE variables point at the mock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, run, CONTROLD, REPO_DIR, makeTempDir, request,
} from '../lib/index.mjs';

const FIXTURE = path.join(REPO_DIR, 't/fixtures/litellm/proxy_server_config.yaml');
const TEXT = fs.readFileSync(FIXTURE, 'utf8');
const KEYS = {
    OPENAI_API_KEY: makeSecret('sk-openai-'),
    AZURE_API_KEY: makeSecret('azure-'),
    ANTHROPIC_API_KEY: makeSecret('sk-ant-'),
    GROQ_API_KEY: makeSecret('gsk-'),
    MISTRAL_API_KEY: makeSecret('mistral-'),
};
let mock, gw;

async function check(env, extra = []) {
    const dir = makeTempDir('ngx-llm-litellm');
    const envFile = path.join(dir, '.env');
    fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    return run(CONTROLD, ['--check', ...extra, '--config', FIXTURE, '--env', envFile], {});
}

test('the unchanged fixture: controld --check passes with warnings only, each saying why', async () => {
    const res = await check({});
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stderr.trim().split('\n');
    assert.deepEqual(lines.filter((l) => /: error: /.test(l)), []);
    const has = (re) => assert.ok(lines.some((l) => re.test(l)), `no line matching ${re}:\n${res.stderr}`);
    has(/proxy_server_config\.yaml:\d+:\d+: warning: model_list\[5\]: deployment 'sagemaker-completion-model' disabled: provider 'sagemaker' is not supported by this gateway/);
    has(/proxy_server_config\.yaml:\d+:\d+: warning: model_list\[\d+\]: deployment 'groq\/\*' disabled: environment variable GROQ_API_KEY is not set/);
    has(/warning: general_settings\.store_model_in_db: ignored: models come from config\.yaml only/);
    has(/warning: general_settings\.database_connection_pool_limit: ignored: there is no database/);
    has(/warning: general_settings\.proxy_batch_write_at: ignored: /);
    has(/warning: router_settings\.redis_host: environment variable REDIS_HOST is not set .*Redis is not used/);

    // with the keys, only what cannot be served at all stays disabled
    const keyed = await check(KEYS);
    assert.equal(keyed.code, 0, keyed.stderr);
    const disabled = keyed.stderr.split('\n').filter((l) => / disabled: /.test(l));
    assert.equal(disabled.length, 2, disabled.join('\n'));
    assert.match(disabled.join('\n'), /'dall-e-2' disabled: incomplete: no deployment name after 'azure\/'/);
    assert.match(disabled.join('\n'), /'sagemaker-completion-model' disabled: provider 'sagemaker'/);

    // --strict makes them errors
    const strict = await check(KEYS, ['--strict']);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /error: model_list\[5\]: deployment 'sagemaker-completion-model' disabled/);
});

before(async () => {
    mock = await startMockProvider({});
    const text = TEXT
        .replaceAll('https://openai-gpt-4-test-v-1.openai.azure.com/', `${mock.url}/`)
        .replaceAll('https://exampleopenaiendpoint-production.up.railway.app/', `${mock.url}/`);
    const env = {
        ...KEYS,
        OPENAI_API_BASE: `${mock.url}/v1`,
        ANTHROPIC_API_BASE: mock.url,
        GROQ_API_BASE: `${mock.url}/openai/v1`,
        MISTRAL_API_BASE: `${mock.url}/v1`,
    };
    gw = await startGateway({ config: text, env, masterKey: 'sk-1234' });
});

after(() => closeAll(gw, mock));

// every model group of the fixture the gateway serves, and how to ask it
const CHAT = [
    'gpt-3.5-turbo-end-user-test', 'gpt-3.5-turbo', 'gpt-3.5-turbo-large', 'gpt-4',
    'fake-openai-endpoint', 'fake-openai-endpoint-2', 'fake-openai-endpoint-3',
    'my-special-fake-model-alias-name', 'bad-model', 'gpt-4o-mini',
    'anthropic/claude-3-5-haiku', 'groq/llama-3.1-8b-instant',
];

for (const model of CHAT) {
    test(`fixture: chat with ${model} answers through the mock`, async () => {
        mock.reset();
        const res = await gw.client({ apiKey: 'sk-1234' }).chat.completions.create({
            model, messages: [{ role: 'user', content: `hi from ${model}` }],
        });
        assert.equal(mock.requests.length, 1);
        assert.equal(res.choices[0].message.content, mock.last().response.text);
    });
}

test('fixture: provider wildcards keep LiteLLM\'s prefix semantics (the prefix names the provider, the rest is its model)', async () => {
    for (const [model, path, sent] of [
        ['anthropic/claude-3-5-haiku', '/v1/messages', 'claude-3-5-haiku'],
        ['groq/llama-3.1-8b-instant', '/openai/v1/chat/completions', 'llama-3.1-8b-instant'],
    ]) {
        mock.reset();
        const stream = await gw.client({ apiKey: 'sk-1234' }).chat.completions.create({
            model, stream: true, messages: [{ role: 'user', content: 'wild' }],
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices?.[0]?.delta?.content ?? '';
        assert.equal(mock.last().path, path, model);
        assert.equal(mock.last().body.model, sent, model);
        assert.equal(text, mock.last().response.text, model);
    }
});

test('fixture: the alias goes to its group (fake-openai-endpoint-3 deployments)', async () => {
    mock.reset();
    await gw.client({ apiKey: 'sk-1234' }).chat.completions.create({
        model: 'my-special-fake-model-alias-name', messages: [{ role: 'user', content: 'alias' }],
    });
    assert.match(mock.last().body.model, /^my-fake-model(-2)?$/);
    assert.equal(mock.last().headers.authorization, 'Bearer my-fake-key');
});

test('fixture: /v1/models lists the groups and the alias, as LiteLLM does', async () => {
    const list = await gw.client({ apiKey: 'sk-1234' }).models.list();
    const ids = list.data.map((m) => m.id);
    // the model_names of the fixture (patterns as written), the alias after them
    const names = [...TEXT.matchAll(/^ {2}- model_name: "?([^"\s#]+)/gm)].map((m) => m[1])
        .filter((n) => !['sagemaker-completion-model', 'dall-e-2'].includes(n));
    for (const model of names) assert.ok(ids.includes(model), `${model} listed: ${ids}`);
    assert.equal(ids.filter((id) => id === 'my-special-fake-model-alias-name').length, 1, 'the alias once');
    assert.ok(list.data.every((m) => m.object === 'model'));
});

test('/v1/models: a hidden alias is served but not listed', async () => {
    const small = await startGateway({
        config: {
            model_list: [{ model_name: 'real', litellm_params: { model: 'openai/m', api_base: `${mock.url}/v1`, api_key: 'k' } }],
            router_settings: { model_group_alias: { shown: 'real', secret: { model: 'real', hidden: true } } },
        },
        masterKey: 'sk-1234',
    });
    try {
        const ids = (await small.client({ apiKey: 'sk-1234' }).models.list()).data.map((m) => m.id);
        assert.deepEqual(ids.sort(), ['real', 'shown']);
        mock.reset();
        const res = await small.client({ apiKey: 'sk-1234' }).chat.completions.create({
            model: 'secret', messages: [{ role: 'user', content: 'x' }],
        });
        assert.equal(res.choices[0].message.content, mock.last().response.text);
    } finally {
        await small.stop();
    }
});

test('fixture: embeddings on azure and mistral answer through the mock', async () => {
    for (const model of ['text-embedding-ada-002', 'mistral-embed']) {
        mock.reset();
        const res = await gw.client({ apiKey: 'sk-1234' }).embeddings.create({ model, input: 'embed me' });
        assert.equal(mock.requests.length, 1, model);
        assert.ok(res.data[0].embedding.length > 0, model);
    }
    mock.reset();
    await gw.client({ apiKey: 'sk-1234' }).embeddings.create({ model: 'mistral-embed', input: 'x' });
    assert.equal(mock.last().headers.authorization, `Bearer ${KEYS.MISTRAL_API_KEY}`);
    assert.equal(mock.last().path, '/v1/embeddings');
});

test('fixture: gpt-instruct (text-completion-openai) answers /v1/completions', async () => {
    mock.reset();
    const res = await gw.client({ apiKey: 'sk-1234' }).completions.create({
        model: 'gpt-instruct', prompt: 'Say this is a test',
    });
    assert.equal(mock.last().path, '/v1/completions');
    assert.equal(mock.last().body.model, 'gpt-3.5-turbo-instruct');
    assert.ok(res.choices[0].text.length > 0);
});

test('fixture: llmctl status lists each disabled deployment with its reason', async () => {
    const st = await gw.status();
    const reasons = Object.fromEntries(st.disabled.map((d) => [d.model_name, d.reason]));
    assert.match(reasons['sagemaker-completion-model'], /provider 'sagemaker' is not supported by this gateway/);
    assert.match(reasons['dall-e-2'], /no deployment name after 'azure\/'/);
    const res = await gw.llmctl(['status', '--prefix', gw.prefix]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /disabled: 2/);
    assert.match(res.stdout, /sagemaker-completion-model \(sagemaker\/berri-benchmarking-Llama-2-70b-chat-hf-4\): provider 'sagemaker'/);
    assert.deepEqual(gw.leakedSecrets(Object.values(KEYS)), []);
});

test('fixture: /health lists each disabled deployment with its reason, in LiteLLM\'s shape', async () => {
    const res = await request(`${gw.url}/health`, { method: 'GET', headers: { authorization: 'Bearer sk-1234' } });
    assert.equal(res.status, 200, res.text);
    const h = res.json;
    assert.equal(h.unhealthy_count, h.unhealthy_endpoints.length);
    assert.equal(h.healthy_count, h.healthy_endpoints.length);
    const bad = Object.fromEntries(h.unhealthy_endpoints.map((e) => [e.model_name, e]));
    assert.match(bad['sagemaker-completion-model'].error, /provider 'sagemaker' is not supported by this gateway/);
    assert.match(bad['dall-e-2'].error, /no deployment name after 'azure\/'/);
    assert.equal(bad['dall-e-2'].disabled, true);
    assert.ok(h.healthy_endpoints.some((e) => e.model_name === 'groq/*' && e.provider === 'groq'));
    for (const v of Object.values(KEYS)) assert.ok(!res.text.includes(v), 'no provider key in /health');
    assert.ok(!res.text.includes('my-fake-key'), 'no api_key in /health');
    const anon = await request(`${gw.url}/health`, { method: 'GET' });
    assert.equal(anon.status, 401, 'a key is needed, as in LiteLLM');
});

test('a model whose deployments are all disabled gets the reason, in the client\'s format', async () => {
    // (in the fixture the "*" group catches these names, as in LiteLLM)
    const small = await startGateway({
        config: {
            model_list: [
                { model_name: 'sagemaker-completion-model', litellm_params: { model: 'sagemaker/llama-2' } },
                { model_name: 'dall-e-2', litellm_params: { model: 'azure/', api_base: mock.url, api_key: 'k' } },
            ],
        },
        masterKey: 'sk-1234',
    });
    try {
        mock.reset();
        const err = await small.client({ apiKey: 'sk-1234' }).chat.completions.create({
            model: 'sagemaker-completion-model', messages: [{ role: 'user', content: 'x' }],
        }).then(() => null, (e) => e);
        assert.ok(err, 'must fail');
        assert.equal(err.status, 400);
        assert.equal(err.error?.type, 'invalid_request_error');
        assert.match(err.message, /model "sagemaker-completion-model" cannot be served: its deployment is disabled: provider 'sagemaker' is not supported by this gateway/);

        const res = await request(`${small.url}/v1/messages`, {
            headers: { 'x-api-key': 'sk-1234', 'anthropic-version': '2023-06-01' },
            body: { model: 'dall-e-2', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
        });
        assert.equal(res.status, 400);
        assert.equal(res.json.type, 'error');
        assert.match(res.json.error.message, /model "dall-e-2" cannot be served: .*no deployment name after 'azure\/'/);

        // and a Gemini client, in Gemini's error shape
        const gem = await request(`${small.url}/v1beta/models/sagemaker-completion-model:generateContent`, {
            headers: { 'x-goog-api-key': 'sk-1234' },
            body: { contents: [{ role: 'user', parts: [{ text: 'x' }] }] },
        });
        assert.equal(gem.status, 400, gem.text);
        assert.equal(gem.json.error.code, 400);
        assert.equal(gem.json.error.status, 'INVALID_ARGUMENT');
        assert.match(gem.json.error.message, /model "sagemaker-completion-model" cannot be served: .*provider 'sagemaker' is not supported/);
        assert.equal(mock.requests.length, 0, 'nothing reaches a provider');
    } finally {
        await small.stop();
    }
});
