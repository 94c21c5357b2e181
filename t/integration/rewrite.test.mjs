// What the provider receives: the deployment's model name, the provider's
// credentials in the provider's header, the provider's URL layout, and no
// client credentials or cookies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeAll, startGateway, startMockProvider, makeSecret, deployment, openaiDeployment, request, unixRequest } from '../lib/index.mjs';

const KEYS = {
    OPENAI_API_KEY: makeSecret('sk-prov-openai-'),
    AZURE_API_KEY: makeSecret('azure-key-'),
    OPENROUTER_API_KEY: makeSecret('sk-or-'),
    VLLM_API_KEY: makeSecret('vllm-key-'),
};
const mocks = {};
let gw, client;

before(async () => {
    mocks.openai = await startMockProvider({ apiKey: KEYS.OPENAI_API_KEY });
    mocks.azure = await startMockProvider({ apiKey: KEYS.AZURE_API_KEY });
    mocks.openrouter = await startMockProvider({ apiKey: KEYS.OPENROUTER_API_KEY });
    mocks.ollama = await startMockProvider({});
    mocks.vllm = await startMockProvider({ apiKey: KEYS.VLLM_API_KEY });
    gw = await startGateway({
        config: {
            model_list: [
                openaiDeployment('gpt-4o', mocks.openai, 'provider-side-4o'),
                deployment('azure-gpt', 'azure/my-azure-deployment', {
                    api_base: mocks.azure.url, api_version: '2024-06-01', api_key: 'os.environ/AZURE_API_KEY',
                }),
                deployment('router-llama', 'openrouter/meta-llama/llama-3-8b-instruct', {
                    api_base: `${mocks.openrouter.url}/api/v1`, api_key: 'os.environ/OPENROUTER_API_KEY',
                }),
                deployment('local-llama', 'ollama/llama3', { api_base: mocks.ollama.url }),
                deployment('local-chat', 'ollama_chat/llama3.1', { api_base: mocks.ollama.url }),
                deployment('vllm-qwen', 'hosted_vllm/Qwen/Qwen2-7B', {
                    api_base: `${mocks.vllm.url}/serving`, api_key: 'os.environ/VLLM_API_KEY',
                }),
            ],
        },
        env: KEYS,
    });
    client = gw.client({
        // Client credentials and cookies that must never reach a provider.
        defaultHeaders: { 'x-api-key': gw.masterKey, cookie: 'session=client-cookie-secret' },
    });
});

after(() => closeAll(gw, Object.values(mocks)));

function assertNoClientCredentials(seen) {
    const values = Object.values(seen.headers).join('\n');
    assert.ok(!values.includes(gw.masterKey), 'the gateway master key reached the provider');
    assert.equal(seen.headers.cookie, undefined, 'client cookie forwarded');
    assert.ok(!values.includes('client-cookie-secret'));
}

const body = {
    messages: [{ role: 'user', content: 'rewrite check' }],
    temperature: 0.5,
    max_tokens: 33,
    user: 'end-user-1',
};

test('openai: deployment model, provider Bearer key, body otherwise intact', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-4o', ...body });
    const seen = mocks.openai.last();
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.body.model, 'provider-side-4o');
    assert.equal(seen.headers.authorization, `Bearer ${KEYS.OPENAI_API_KEY}`);
    assert.equal(seen.headers['x-api-key'], undefined, 'client x-api-key forwarded');
    assert.equal(seen.headers['api-key'], undefined);
    assertNoClientCredentials(seen);
    assert.equal(seen.headers.host.split(':')[0], '127.0.0.1');
    for (const k of ['messages', 'temperature', 'max_tokens', 'user']) assert.deepEqual(seen.body[k], body[k], k);
    assert.equal(res.choices[0].message.content, seen.response.text);
});

test('azure: deployment path, api-version query, api-key header', async () => {
    const res = await client.chat.completions.create({ model: 'azure-gpt', ...body });
    const seen = mocks.azure.last();
    assert.equal(seen.path, '/openai/deployments/my-azure-deployment/chat/completions');
    assert.equal(seen.query['api-version'], '2024-06-01');
    assert.equal(seen.headers['api-key'], KEYS.AZURE_API_KEY);
    assert.equal(seen.headers.authorization, undefined, 'azure takes api-key, not Authorization');
    assertNoClientCredentials(seen);
    assert.deepEqual(seen.body.messages, body.messages);
    assert.equal(res.choices[0].message.content, seen.response.text);
});

test('openrouter: {api_base}/chat/completions with the model path after the provider', async () => {
    await client.chat.completions.create({ model: 'router-llama', ...body });
    const seen = mocks.openrouter.last();
    assert.equal(seen.path, '/api/v1/chat/completions');
    assert.equal(seen.body.model, 'meta-llama/llama-3-8b-instruct');
    assert.equal(seen.headers.authorization, `Bearer ${KEYS.OPENROUTER_API_KEY}`);
    assertNoClientCredentials(seen);
});

test('ollama and ollama_chat: /v1 appended to api_base, no key -> no Authorization', async () => {
    mocks.ollama.reset();
    await client.chat.completions.create({ model: 'local-llama', ...body });
    await client.chat.completions.create({ model: 'local-chat', ...body, stream: true }).then(async (s) => { for await (const _ of s); });
    const [a, b] = mocks.ollama.requests;
    assert.equal(a.path, '/v1/chat/completions');
    assert.equal(a.body.model, 'llama3');
    assert.equal(a.headers.authorization, undefined);
    assertNoClientCredentials(a);
    assert.equal(b.path, '/v1/chat/completions');
    assert.equal(b.body.model, 'llama3.1');
    assert.equal(b.body.stream, true);
});

test('hosted_vllm: /v1 appended to a custom base path, Bearer key', async () => {
    await client.chat.completions.create({ model: 'vllm-qwen', ...body });
    const seen = mocks.vllm.last();
    assert.equal(seen.path, '/serving/v1/chat/completions');
    assert.equal(seen.body.model, 'Qwen/Qwen2-7B');
    assert.equal(seen.headers.authorization, `Bearer ${KEYS.VLLM_API_KEY}`);
    assertNoClientCredentials(seen);
});

test('no provider key in any log', async () => {
    assert.deepEqual(gw.leakedSecrets([...Object.values(KEYS), gw.masterKey]), []);
});

// The key becomes a header line: controld refuses a control character in
// it, and a config published around controld (a hand-edited snapshot) gets
// no header line out of one either.
test('a key with a line break, published around controld, is never sent', async () => {
    const original = fs.readFileSync(path.join(gw.prefix, 'state', 'config.json'), 'utf8');
    const cfg = JSON.parse(original);
    const dep = cfg.deployments.find((d) => d.api_key === KEYS.OPENAI_API_KEY);
    dep.api_key = `${KEYS.OPENAI_API_KEY}\r\nX-Injected: 1`;
    const pub = await unixRequest(gw.adminSocket, '/_llm/config', { body: JSON.stringify(cfg) });
    assert.equal(pub.status, 200, pub.text);
    try {
        const before = mocks.openai.requests.length;
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        });
        assert.equal(mocks.openai.requests.length, before + 1, res.text);
        const seen = mocks.openai.last();
        assert.equal(seen.headers['x-injected'], undefined, 'a header injected through the key');
        assert.equal(seen.headers.authorization, undefined, 'the broken key sent anyway');
        assert.match(gw.errorLog(), /api_key has a control character, not sent/);
        assert.ok(!gw.errorLog().includes(KEYS.OPENAI_API_KEY), 'the key in the error log');
    } finally {
        const back = await unixRequest(gw.adminSocket, '/_llm/config', { body: original });
        assert.equal(back.status, 200, back.text);
    }
});
