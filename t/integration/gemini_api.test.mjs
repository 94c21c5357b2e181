// The Gemini API surface beyond generateContent: countTokens (the provider's
// endpoint when it has one, else the gateway's estimate; x-llm-token-count
// says which), models list/get from the config's groups, embedContent and
// batchEmbedContents translated to an OpenAI embeddings provider, the
// v1 / v1beta / v1alpha prefixes, and errors in Gemini's error JSON.
// Then what translation does with tools, toolConfig, thinkingConfig and
// safetySettings when the provider is OpenAI or Anthropic (the upstream
// body is what docs/gemini-api.md describes), and passes as is to Gemini.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, startMockProvider, makeSecret, request } from '../lib/index.mjs';
import { KEY_ENV, formatDeployment, assertGeminiError } from '../lib/xlate.mjs';

let GoogleGenAI = null;
try {
    ({ GoogleGenAI } = await import('@google/genai'));
} catch { /* the SDK cases are skipped without it */ }
const NO_SDK = GoogleGenAI ? false : '@google/genai is not installed in t/node_modules';

const KEYS = {
    openai: makeSecret('sk-prov-openai-'), gemini: makeSecret('gk-prov-gemini-'),
    anthropic: makeSecret('sk-ant-prov-'),
};
let gw, oai, gem, ant;

before(async () => {
    oai = await startMockProvider({ apiKey: KEYS.openai });
    gem = await startMockProvider({ apiKey: KEYS.gemini });
    ant = await startMockProvider({ apiKey: KEYS.anthropic });
    gw = await startGateway({
        config: {
            model_list: [
                formatDeployment('gem-pass', 'gemini', gem, 'gemini-upstream'),
                formatDeployment('gpt-chat', 'openai', oai, 'upstream-gpt'),
                formatDeployment('embed-oai', 'openai', oai, 'text-embedding-3-small'),
                formatDeployment('claude', 'anthropic', ant, 'claude-upstream'),
                formatDeployment('gpt-strict', 'openai', oai, 'upstream-strict', { drop_params: false }),
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
            litellm_settings: { drop_params: true },
        },
        env: { [KEY_ENV.openai]: KEYS.openai, [KEY_ENV.gemini]: KEYS.gemini,
            [KEY_ENV.anthropic]: KEYS.anthropic },
    });
});

after(() => closeAll(gw, oai, gem, ant));

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
        assert.deepEqual(names, ['models/claude', 'models/embed-oai', 'models/gem-pass', 'models/gpt-chat',
            'models/gpt-strict'], v);
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

// ---------------------------------------------------------------- translation

const TOOLS = [{
    functionDeclarations: [
        {
            name: 'get_weather', description: 'Weather for a city',
            parameters: { type: 'OBJECT', properties: { city: { type: 'STRING', nullable: true } }, required: ['city'] },
        },
        { name: 'get_time', parametersJsonSchema: { type: 'object', properties: { tz: { type: 'string' } } } },
        { name: 'list_files' },
    ],
}];
const ASK = { contents: [{ role: 'user', parts: [{ text: 'What is the weather in Paris?' }] }] };
const mode = (m, names) => ({ functionCallingConfig: { mode: m, ...(names ? { allowedFunctionNames: names } : {}) } });

/** The gateway's request to the provider behind `model`, and the answer. */
async function sent(model, body) {
    const mock = { 'gpt-chat': oai, 'gpt-strict': oai, claude: ant, 'gem-pass': gem }[model];
    mock.reset();
    const res = await post(`/v1beta/models/${model}:generateContent`, body);
    return { res, up: mock.requests.at(-1)?.body };
}

test('tools: functionDeclarations become OpenAI functions and Anthropic tools, schemas in JSON Schema', async () => {
    const o = await sent('gpt-chat', { ...ASK, tools: TOOLS });
    assert.equal(o.res.status, 200, o.res.text);
    assert.deepEqual(o.up.tools.map((t) => t.function.name), ['get_weather', 'get_time', 'list_files']);
    assert.deepEqual(o.up.tools[0], { type: 'function', function: {
        name: 'get_weather', description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } });
    assert.deepEqual(o.up.tools[1].function.parameters, { type: 'object', properties: { tz: { type: 'string' } } });
    assert.deepEqual(o.up.tools[2].function.parameters, { type: 'object', properties: {} });
    assert.equal(o.up.tool_choice, undefined, 'no toolConfig, no tool_choice');

    const a = await sent('claude', { ...ASK, tools: TOOLS });
    assert.equal(a.res.status, 200, a.res.text);
    assert.deepEqual(a.up.tools[0], { name: 'get_weather', description: 'Weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } });
    assert.equal(a.up.tools.length, 3);
});

test('toolConfig: AUTO, ANY, ANY with names, NONE to OpenAI and Anthropic', async () => {
    const cases = [
        [mode('AUTO'), 'auto', { type: 'auto' }, 3],
        [mode('VALIDATED'), 'auto', { type: 'auto' }, 3],
        [mode('ANY'), 'required', { type: 'any' }, 3],
        [mode('ANY', ['get_time']), { type: 'function', function: { name: 'get_time' } },
            { type: 'tool', name: 'get_time' }, 3],
        // several allowed names: the other declarations are not offered
        [mode('ANY', ['get_time', 'list_files']), 'required', { type: 'any' }, 2],
        [mode('NONE'), 'none', { type: 'none' }, 3],
    ];
    for (const [toolConfig, forOpenAI, forAnthropic, ntools] of cases) {
        const what = JSON.stringify(toolConfig);
        const o = await sent('gpt-chat', { ...ASK, tools: TOOLS, toolConfig });
        assert.equal(o.res.status, 200, `${what}: ${o.res.text}`);
        assert.deepEqual(o.up.tool_choice, forOpenAI, what);
        assert.equal(o.up.tools.length, ntools, what);
        const a = await sent('claude', { ...ASK, tools: TOOLS, toolConfig });
        assert.equal(a.res.status, 200, `${what}: ${a.res.text}`);
        if (forAnthropic) assert.deepEqual(a.up.tool_choice, forAnthropic, what);
        else assert.ok(a.up.tool_choice?.type === 'none' || a.up.tools === undefined, `${what}: ${JSON.stringify(a.up)}`);
    }
});

test('built-in tools (googleSearch, codeExecution): a 400 naming the tool, dropped with drop_params: true, kept for Gemini', async () => {
    const strict = await sent('gpt-strict', { ...ASK, tools: [{ googleSearch: {} }] });
    const err = assertGeminiError(strict.res, 400, 'INVALID_ARGUMENT', 'googleSearch, drop_params: false');
    assert.match(err.message, /googleSearch/);
    assert.equal(strict.up, undefined, 'the provider was not called');
    // this suite's litellm_settings.drop_params: true drops a built-in tool
    for (const model of ['gpt-chat', 'claude']) {
        const r = await sent(model, { ...ASK, tools: [{ googleSearch: {} }, ...TOOLS] });
        assert.equal(r.res.status, 200, r.res.text);
        assert.match(r.res.headers['x-llm-dropped-params'], /googleSearch/, model);
        assert.equal(r.up.tools.length, 3, model);
    }
    const g = await sent('gem-pass', { ...ASK, tools: [{ googleSearch: {} }, { codeExecution: {} }] });
    assert.equal(g.res.status, 200, g.res.text);
    assert.deepEqual(g.up.tools, [{ googleSearch: {} }, { codeExecution: {} }]);
});

test('thinkingConfig: budget and level to reasoning_effort (OpenAI) and thinking (Anthropic)', async () => {
    const gc = (thinkingConfig, extra = {}) => ({ ...ASK, generationConfig: { thinkingConfig, ...extra } });
    const cases = [
        [{ thinkingBudget: 1024 }, 'low', 1024],
        [{ thinkingBudget: 8192, includeThoughts: true }, 'high', 8192],
        [{ thinkingBudget: -1 }, 'medium', 2048],
        [{ thinkingLevel: 'HIGH' }, 'high', 4096],
        [{ thinkingLevel: 'medium' }, 'medium', 2048],
        [{ thinkingLevel: 'low' }, 'low', 1024],
        [{ thinkingBudget: 0 }, undefined, undefined],
    ];
    for (const [tc, effort, budget] of cases) {
        const what = JSON.stringify(tc);
        const o = await sent('gpt-chat', gc(tc));
        assert.equal(o.res.status, 200, `${what}: ${o.res.text}`);
        assert.equal(o.up.reasoning_effort, effort, what);
        const a = await sent('claude', gc(tc, { maxOutputTokens: 500 }));
        assert.equal(a.res.status, 200, `${what}: ${a.res.text}`);
        if (budget) {
            assert.deepEqual(a.up.thinking, { type: 'enabled', budget_tokens: budget }, what);
            assert.equal(a.up.max_tokens, 500 + budget, `${what}: the answer budget kept on top of thinking`);
        } else {
            assert.equal(a.up.thinking, undefined, what);
            assert.equal(a.up.max_tokens, 500);
        }
    }
    // Anthropic refuses temperature and top_k with thinking: both are hints
    const a = await sent('claude', gc({ thinkingBudget: 2048 }, { temperature: 0.2, topK: 40 }));
    assert.equal(a.res.status, 200, a.res.text);
    assert.equal(a.up.temperature, undefined);
    assert.equal(a.up.top_k, undefined);
    assert.match(a.res.headers['x-llm-dropped-params'], /temperature other than 1/);
    assert.match(a.res.headers['x-llm-dropped-params'], /top_k/);
    const g = await sent('gem-pass', gc({ thinkingLevel: 'HIGH', includeThoughts: false }));
    assert.deepEqual(g.up.generationConfig.thinkingConfig, { thinkingLevel: 'HIGH', includeThoughts: false });
});

test('safetySettings: dropped and named for OpenAI and Anthropic, a 400 with drop_params: false, kept for Gemini', async () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }];
    for (const model of ['gpt-chat', 'claude']) {
        const r = await sent(model, { ...ASK, safetySettings });
        assert.equal(r.res.status, 200, r.res.text);
        assert.equal(r.res.headers['x-llm-dropped-params'], 'safetySettings', model);
        assert.equal(JSON.stringify(r.up).includes('HARM_CATEGORY'), false, model);
    }
    const strict = await sent('gpt-strict', { ...ASK, safetySettings });
    const err = assertGeminiError(strict.res, 400, 'INVALID_ARGUMENT', 'drop_params: false');
    assert.match(err.message, /safetySettings/);
    const g = await sent('gem-pass', { ...ASK, safetySettings });
    assert.equal(g.res.status, 200, g.res.text);
    assert.deepEqual(g.up.safetySettings, safetySettings);
    assert.equal(g.res.headers['x-llm-dropped-params'], undefined);
});
