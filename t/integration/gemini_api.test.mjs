// The Gemini API surface beyond generateContent: countTokens (the provider's
// endpoint when it has one, else the gateway's estimate; x-llm-token-count
// says which), models list/get from the config's groups, embedContent and
// batchEmbedContents translated to an OpenAI embeddings provider, the
// v1 / v1beta / v1alpha prefixes, and errors in Gemini's error JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, startMockProvider, makeSecret, request } from '../lib/index.mjs';
import { KEY_ENV, formatDeployment, assertGeminiError } from '../lib/xlate.mjs';

let GoogleGenAI = null;
try {
    ({ GoogleGenAI } = await import('@google/genai'));
} catch { /* the SDK cases are skipped without it */ }
const NO_SDK = GoogleGenAI ? false : '@google/genai is not installed in t/node_modules';

const KEYS = { openai: makeSecret('sk-prov-openai-'), gemini: makeSecret('gk-prov-gemini-') };
let gw, oai, gem;

before(async () => {
    oai = await startMockProvider({ apiKey: KEYS.openai });
    gem = await startMockProvider({ apiKey: KEYS.gemini });
    gw = await startGateway({
        config: {
            model_list: [
                formatDeployment('gem-pass', 'gemini', gem, 'gemini-upstream'),
                formatDeployment('gpt-chat', 'openai', oai, 'upstream-gpt'),
                formatDeployment('embed-oai', 'openai', oai, 'text-embedding-3-small'),
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
            litellm_settings: { drop_params: true },
        },
        env: { [KEY_ENV.openai]: KEYS.openai, [KEY_ENV.gemini]: KEYS.gemini },
    });
});

after(() => closeAll(gw, oai, gem));

const H = () => ({ 'x-goog-api-key': gw.masterKey });
const CONTENTS = { contents: [{ role: 'user', parts: [{ text: 'How many tokens are in this sentence?' }] }] };

function post(path, body, headers = H()) {
    return request(`${gw.url}${path}`, { body, headers });
}

test('countTokens: a Gemini upstream counts (provider), an OpenAI one is estimated', async () => {
    gem.reset();
    const p = await post('/v1beta/models/gem-pass:countTokens', CONTENTS);
    assert.equal(p.status, 200, p.text);
    assert.equal(p.headers['x-llm-token-count'], 'provider');
    assert.ok(Number.isInteger(p.json.totalTokens) && p.json.totalTokens > 0, p.text);
    const seen = gem.requests.filter((r) => /:countTokens$/.test(r.path));
    assert.equal(seen.length, 1, 'the Gemini provider was asked to count');
    assert.equal(seen[0].path, '/v1beta/models/gemini-upstream:countTokens');

    oai.reset();
    const e = await post('/v1beta/models/gpt-chat:countTokens', CONTENTS);
    assert.equal(e.status, 200, e.text);
    assert.equal(e.headers['x-llm-token-count'], 'estimate');
    assert.ok(Number.isInteger(e.json.totalTokens) && e.json.totalTokens > 0, e.text);
    assert.equal(oai.requests.length, 0, 'an estimate calls no provider');
});

test('countTokens through @google/genai', { skip: NO_SDK }, async () => {
    const ai = new GoogleGenAI({ apiKey: gw.masterKey, httpOptions: { baseUrl: gw.url } });
    const r = await ai.models.countTokens({ model: 'gpt-chat', contents: 'Count these words please' });
    assert.ok(r.totalTokens > 0, JSON.stringify(r));
});

test('models list and get in Gemini shape, on v1, v1beta and v1alpha', async () => {
    for (const v of ['v1', 'v1beta', 'v1alpha']) {
        const l = await request(`${gw.url}/${v}/models`, { headers: H() });
        assert.equal(l.status, 200, `${v}: ${l.text}`);
        const names = l.json.models.map((m) => m.name).sort();
        assert.deepEqual(names, ['models/embed-oai', 'models/gem-pass', 'models/gpt-chat'], v);
        const g = await request(`${gw.url}/${v}/models/gpt-chat`, { headers: H() });
        assert.equal(g.status, 200, `${v}: ${g.text}`);
        assert.equal(g.json.name, 'models/gpt-chat');
        const u = await request(`${gw.url}/${v}/models/no-such-model`, { headers: H() });
        assertGeminiError(u, 404, 'NOT_FOUND', `${v} unknown model`);
    }
});

test('models.list / models.get through @google/genai', { skip: NO_SDK }, async () => {
    const ai = new GoogleGenAI({ apiKey: gw.masterKey, httpOptions: { baseUrl: gw.url } });
    const names = [];
    for await (const m of await ai.models.list()) names.push(m.name);
    assert.ok(names.includes('models/gem-pass') && names.includes('models/gpt-chat'), names.join());
    const m = await ai.models.get({ model: 'gem-pass' });
    assert.equal(m.name, 'models/gem-pass');
});

test('embedContent and batchEmbedContents to an OpenAI embeddings provider', async () => {
    oai.reset();
    const one = await post('/v1beta/models/embed-oai:embedContent',
        { content: { parts: [{ text: 'hello world' }] } });
    assert.equal(one.status, 200, one.text);
    assert.ok(Array.isArray(one.json.embedding.values) && one.json.embedding.values.length > 0, one.text);
    const rec = oai.requests.at(-1);
    assert.equal(rec.path, '/v1/embeddings');
    assert.equal(rec.body.model, 'text-embedding-3-small');
    assert.equal(rec.headers.authorization, `Bearer ${KEYS.openai}`);

    const batch = await post('/v1/models/embed-oai:batchEmbedContents', {
        requests: ['alpha', 'beta', 'gamma'].map((t) => ({
            model: 'models/embed-oai', content: { parts: [{ text: t }] },
        })),
    });
    assert.equal(batch.status, 200, batch.text);
    assert.equal(batch.json.embeddings.length, 3, batch.text);
    for (const e of batch.json.embeddings) assert.ok(e.values.length > 0);
    assert.deepEqual(oai.requests.at(-1).body.input, ['alpha', 'beta', 'gamma']);
});

test('embedContent through @google/genai', { skip: NO_SDK }, async () => {
    const ai = new GoogleGenAI({ apiKey: gw.masterKey, httpOptions: { baseUrl: gw.url } });
    const r = await ai.models.embedContent({ model: 'embed-oai', contents: ['one', 'two'] });
    assert.equal(r.embeddings.length, 2, JSON.stringify(r));
    assert.ok(r.embeddings[0].values.length > 0);
});

test('errors are Gemini error JSON', async () => {
    const bad = await request(`${gw.url}/v1beta/models/gpt-chat:countTokens`,
        { body: '{"contents": [', headers: { ...H(), 'content-type': 'application/json' } });
    assertGeminiError(bad, 400, 'INVALID_ARGUMENT', 'bad JSON');
    const unk = await post('/v1beta/models/no-such-model:embedContent',
        { content: { parts: [{ text: 'x' }] } });
    assertGeminiError(unk, 404, 'NOT_FOUND', 'unknown model');
    const key = await post('/v1beta/models/gpt-chat:countTokens', CONTENTS, { 'x-goog-api-key': 'sk-wrong' });
    assertGeminiError(key, 401, null, 'wrong key');
    const big = await request(`${gw.url}/v1beta/models/embed-oai:embedContent`, {
        body: JSON.stringify({ content: { parts: [{ text: 'x'.repeat(64 * 1024 * 1024) }] } }),
        headers: { ...H(), 'content-type': 'application/json' },
    });
    assertGeminiError(big, 413, null, 'oversized body');
});
