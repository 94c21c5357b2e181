// LiteLLM also serves its OpenAI routes without /v1, and health probes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request } from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw, bare;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: {
            model_list: [
                openaiDeployment('chat-model', mock, 'upstream-chat'),
                openaiDeployment('embed-model', mock, 'upstream-embed'),
            ],
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    bare = new OpenAI({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0 });
});

after(() => closeAll(gw, mock));

test('/chat/completions without /v1', async () => {
    mock.reset();
    const res = await bare.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'no v1' }] });
    const seen = mock.last();
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.body.model, 'upstream-chat');
    assert.equal(res.choices[0].message.content, seen.response.text);
});

test('/models without /v1', async () => {
    const page = await bare.models.list();
    assert.deepEqual(page.data.map((m) => m.id).sort(), ['chat-model', 'embed-model']);
});

test('/embeddings without /v1', async () => {
    mock.reset();
    const res = await bare.embeddings.create({ model: 'embed-model', input: 'no v1', encoding_format: 'float' });
    const seen = mock.last();
    assert.equal(seen.path, '/v1/embeddings');
    assert.deepEqual(res.data[0].embedding, seen.response.body.data[0].embedding);
});

for (const path of ['/health/liveliness', '/health/readiness']) {
    test(`${path} answers 200 without a key`, async () => {
        const res = await request(`${gw.url}${path}`);
        assert.equal(res.status, 200, res.text);
        assert.ok(res.text.length > 0);
    });
}
