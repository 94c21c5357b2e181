// Gemini clients (/v1beta/models/{m}:generateContent and
// :streamGenerateContent?alt=sse) against an OpenAI-format and an
// Anthropic-format provider.  Plain HTTP checks the wire shapes and both key
// placements (x-goog-api-key, ?key=); the @google/genai SDK, when it is
// installed in t/node_modules, checks that a real Gemini client is happy.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, makeSecret, request } from '../lib/index.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import {
    KEY_ENV, formatDeployment, providerPath, neutralRequest, assertItems, rawSse, assertGeminiError,
    resetMocks, providerRequests,
} from '../lib/xlate.mjs';

let GoogleGenAI = null;
try {
    ({ GoogleGenAI } = await import('@google/genai'));
} catch { /* optional: the SDK tests are skipped without it */ }
const NO_SDK = GoogleGenAI ? false : '@google/genai is not installed in t/node_modules';

const FORMATS = ['openai', 'anthropic'];
const GROUP = { openai: 'gpt-via-gemini', anthropic: 'claude-via-gemini' };
const UPSTREAM = { openai: 'upstream-gpt', anthropic: 'upstream-claude' };
const KEYS = Object.fromEntries(FORMATS.map((f) => [f, makeSecret(`sk-prov-${f}-`)]));
const mocks = {};
let gw;

const DECLS = [
    {
        name: 'get_weather', description: 'Current weather for a city',
        parameters: { type: 'OBJECT', properties: { city: { type: 'STRING', description: 'City name' } }, required: ['city'] },
    },
    {
        name: 'get_time', description: 'Local time in a city',
        parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
    },
];

before(async () => {
    for (const f of FORMATS) mocks[f] = await startScriptedProvider({ apiKey: KEYS[f] });
    gw = await startGateway({
        config: {
            model_list: FORMATS.map((f) => formatDeployment(GROUP[f], f, mocks[f], UPSTREAM[f])),
            router_settings: { num_retries: 0, disable_cooldowns: true },
            litellm_settings: { drop_params: true },
        },
        env: Object.fromEntries(FORMATS.map((f) => [KEY_ENV[f], KEYS[f]])),
    });
});

after(() => closeAll(gw, ...Object.values(mocks)));

function resetAll() {
    resetMocks(Object.values(mocks));
}

function seenBy(f, { stream = false } = {}) {
    const [rec] = providerRequests(mocks, f, UPSTREAM[f], 1, { stream });
    assert.equal(rec.body.model, UPSTREAM[f]);
    if (f === 'openai') assert.equal(rec.headers.authorization, `Bearer ${KEYS.openai}`);
    else assert.equal(rec.headers['x-api-key'], KEYS.anthropic);
    assert.equal(rec.headers['x-goog-api-key'], undefined, 'the client key is not forwarded');
    assert.equal(rec.query.key, undefined);
    return rec;
}

function geminiUrl(model, method, query = '') {
    return `${gw.url}/v1beta/models/${model}:${method}${query}`;
}

function post(model, method, body, { query = '', headers } = {}) {
    return request(geminiUrl(model, method, query), {
        body, headers: headers ?? { 'x-goog-api-key': gw.masterKey },
    });
}

const BASIC = {
    systemInstruction: { parts: [{ text: 'Be concise.' }] },
    contents: [{ role: 'user', parts: [{ text: 'What is nginx?' }] }],
    generationConfig: { temperature: 0.3, maxOutputTokens: 88 },
};

for (const f of FORMATS) {
    describe(`gemini client -> ${f} provider`, () => {
        test('generateContent (x-goog-api-key): request mapped, answer in Gemini shape', async () => {
            resetAll();
            mocks[f].script = { text: 'A web server.', usage: { prompt: 25, completion: 4, cacheRead: 5 } };
            const res = await post(GROUP[f], 'generateContent', BASIC);
            assert.equal(res.status, 200, res.text);
            const seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.system, ['Be concise.']);
            assertItems(f, seen.items, [{ role: 'user', kind: 'text', text: 'What is nginx?' }]);
            assert.equal(seen.maxTokens, 88);
            assert.equal(seen.temperature, 0.3);
            assert.equal(seen.stream, false);

            const cand = res.json.candidates?.[0];
            assert.ok(cand, res.text);
            assert.equal(cand.content.role, 'model');
            assert.deepEqual(cand.content.parts.map((p) => p.text).join(''), 'A web server.');
            assert.equal(cand.finishReason, 'STOP');
            assert.equal(res.json.usageMetadata.promptTokenCount, 25);
            assert.equal(res.json.usageMetadata.candidatesTokenCount, 4);
            assert.equal(res.json.usageMetadata.totalTokenCount, 29);
            assert.equal(res.json.usageMetadata.cachedContentTokenCount, 5);
            assert.equal(res.json.modelVersion, GROUP[f]);
        });

        test('generateContent with ?key=: same answer; a wrong ?key= is 401 in Gemini shape', async () => {
            resetAll();
            mocks[f].script = { text: 'query key works' };
            const res = await post(GROUP[f], 'generateContent', BASIC, { query: `?key=${gw.masterKey}`, headers: {} });
            assert.equal(res.status, 200, res.text);
            seenBy(f);
            assert.equal(res.json.candidates[0].content.parts[0].text, 'query key works');

            resetAll();
            const bad = await post(GROUP[f], 'generateContent', BASIC, { query: '?key=sk-wrong-1111', headers: {} });
            assertGeminiError(bad, 401, 'UNAUTHENTICATED', 'wrong ?key=');
            assert.equal(mocks[f].requests.length, 0);
        });

        test('finishReason MAX_TOKENS', async () => {
            resetAll();
            mocks[f].script = { text: 'cut short', stop: 'length' };
            const res = await post(GROUP[f], 'generateContent', BASIC);
            assert.equal(res.status, 200, res.text);
            seenBy(f);
            assert.equal(res.json.candidates[0].finishReason, 'MAX_TOKENS');
        });

        test('streamGenerateContent?alt=sse: JSON events, text in order, finish + usage last', async () => {
            resetAll();
            const text = 'Nginx is an event driven web server.';
            mocks[f].script = { text, usage: { prompt: 19, completion: 7 } };
            const res = await rawSse(geminiUrl(GROUP[f], 'streamGenerateContent', '?alt=sse'), BASIC,
                { 'x-goog-api-key': gw.masterKey });
            assert.equal(res.status, 200, res.text);
            assert.match(String(res.headers['content-type']), /text\/event-stream/);
            assert.equal(neutralRequest(f, seenBy(f)).stream, true);
            assert.ok(res.events.length >= 3, `several events: ${res.text}`);
            for (const e of res.events) {
                assert.ok(e.json?.candidates, `each event is a GenerateContentResponse: ${e.data}`);
                assert.equal(e.event, null, 'Gemini events are unnamed');
            }
            const got = res.events.map((e) => (e.json.candidates[0].content?.parts || []).map((p) => p.text ?? '').join('')).join('');
            assert.equal(got, text);
            const last = res.events[res.events.length - 1].json;
            assert.equal(last.candidates[0].finishReason, 'STOP');
            assert.equal(last.usageMetadata.promptTokenCount, 19);
            assert.equal(last.usageMetadata.candidatesTokenCount, 7);
            assert.ok(res.events.slice(0, -1).every((e) => !e.json.candidates[0].finishReason), 'finishReason only at the end');
        });

        test('function calling round trip: calls whole, responses matched to their calls', async () => {
            resetAll();
            const calls = [
                { id: f === 'openai' ? 'call_g1' : 'toolu_g1', name: 'get_weather', args: { city: 'Rome' } },
                { id: f === 'openai' ? 'call_g2' : 'toolu_g2', name: 'get_time', args: { city: 'Cairo' } },
            ];
            mocks[f].script = { toolCalls: calls };
            const body = {
                contents: [{ role: 'user', parts: [{ text: 'Weather in Rome, time in Cairo' }] }],
                tools: [{ functionDeclarations: DECLS }],
                toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
            };
            const res = await post(GROUP[f], 'generateContent', body);
            assert.equal(res.status, 200, res.text);
            const seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.tools.map((t) => [t.name, t.description]), DECLS.map((d) => [d.name, d.description]));
            assert.deepEqual(seen.tools[0].schema,
                { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
                'Gemini schema types arrive lower-cased for the provider');
            const parts = res.json.candidates[0].content.parts;
            const fcs = parts.filter((p) => p.functionCall).map((p) => p.functionCall);
            assert.deepEqual(fcs.map((c) => [c.name, c.args]), calls.map((c) => [c.name, c.args]));
            assert.equal(res.json.candidates[0].finishReason, 'STOP');

            resetAll();
            mocks[f].script = { text: 'Rome is sunny; Cairo 14:00.' };
            const res2 = await post(GROUP[f], 'generateContent', {
                ...body,
                contents: [
                    ...body.contents,
                    { role: 'model', parts: fcs.map((c) => ({ functionCall: c })) },
                    {
                        role: 'user', parts: [
                            { functionResponse: { name: 'get_weather', response: { content: 'sunny' } } },
                            { functionResponse: { name: 'get_time', response: { content: '14:00' } } },
                        ],
                    },
                ],
            });
            assert.equal(res2.status, 200, res2.text);
            const items = neutralRequest(f, seenBy(f)).items;
            const callItems = items.filter((i) => i.kind === 'call');
            assert.deepEqual(callItems.map((c) => [c.name, c.args]), calls.map((c) => [c.name, c.args]));
            assert.ok(callItems.every((c) => typeof c.id === 'string' && c.id), 'the gateway gives the calls ids');
            assert.notEqual(callItems[0].id, callItems[1].id);
            assertItems(f, items, [
                { role: 'user', kind: 'text', text: 'Weather in Rome, time in Cairo' },
                { role: 'assistant', kind: 'call', id: callItems[0].id, name: 'get_weather', args: { city: 'Rome' } },
                { role: 'assistant', kind: 'call', id: callItems[1].id, name: 'get_time', args: { city: 'Cairo' } },
                { role: 'user', kind: 'result', id: callItems[0].id, content: 'sunny' },
                { role: 'user', kind: 'result', id: callItems[1].id, content: '14:00' },
            ], 'function responses');
            assert.equal(res2.json.candidates[0].content.parts[0].text, 'Rome is sunny; Cairo 14:00.');
        });

        test('streamed function calls arrive whole, one part each', async () => {
            resetAll();
            const calls = [
                { id: 'toolu_x1', name: 'get_weather', args: { city: 'Lagos', days: 2 } },
                { id: 'toolu_x2', name: 'get_time', args: { city: 'Quito' } },
            ];
            mocks[f].script = { text: 'Looking up.', toolCalls: calls };
            const res = await rawSse(geminiUrl(GROUP[f], 'streamGenerateContent', '?alt=sse'), {
                contents: [{ role: 'user', parts: [{ text: 'Lagos weather, Quito time' }] }],
                tools: [{ functionDeclarations: DECLS }],
            }, { 'x-goog-api-key': gw.masterKey });
            assert.equal(res.status, 200, res.text);
            seenBy(f, { stream: true });
            const parts = res.events.flatMap((e) => e.json?.candidates?.[0]?.content?.parts || []);
            assert.equal(parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join(''), 'Looking up.');
            const fcs = parts.filter((p) => p.functionCall).map((p) => p.functionCall);
            assert.deepEqual(fcs.map((c) => [c.name, c.args]), calls.map((c) => [c.name, c.args]));
        });

        test('provider errors in Gemini\'s shape (400, 429, 500)', async () => {
            for (const [status, name] of [[400, 'INVALID_ARGUMENT'], [429, 'RESOURCE_EXHAUSTED'], [500, 'INTERNAL']]) {
                resetAll();
                const message = `scripted ${status} from ${f}`;
                mocks[f].script = { error: { status, message } };
                const res = await post(GROUP[f], 'generateContent', BASIC);
                const err = assertGeminiError(res, status, name, `${f} provider ${status}`);
                if (status === 400) assert.match(err.message, new RegExp(message));
                assert.ok(!res.text.includes(KEYS[f]));
            }
        });

        test('@google/genai SDK (apiVersion v1beta): generateContent, generateContentStream, functionCalls', { skip: NO_SDK }, async () => {
            const ai = new GoogleGenAI({ apiKey: gw.masterKey, httpOptions: { baseUrl: gw.url, apiVersion: 'v1beta' } });
            resetAll();
            mocks[f].script = { text: 'SDK says hi.', usage: { prompt: 12, completion: 3 } };
            const res = await ai.models.generateContent({
                model: GROUP[f], contents: 'Hello SDK',
                config: { systemInstruction: 'Be brief.', temperature: 0.1, maxOutputTokens: 40 },
            });
            const seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.system, ['Be brief.']);
            assertItems(f, seen.items, [{ role: 'user', kind: 'text', text: 'Hello SDK' }]);
            assert.equal(seen.maxTokens, 40);
            assert.equal(res.text, 'SDK says hi.');
            assert.equal(res.usageMetadata.promptTokenCount, 12);
            assert.equal(res.usageMetadata.candidatesTokenCount, 3);

            resetAll();
            mocks[f].script = { text: 'Streaming through the SDK works fine.' };
            let text = '';
            let chunks = 0;
            for await (const chunk of await ai.models.generateContentStream({ model: GROUP[f], contents: 'stream' })) {
                text += chunk.text ?? '';
                chunks++;
            }
            seenBy(f, { stream: true });
            assert.equal(text, 'Streaming through the SDK works fine.');
            assert.ok(chunks >= 2);

            resetAll();
            mocks[f].script = { toolCalls: [{ id: 'toolu_sdk', name: 'get_weather', args: { city: 'Kyiv' } }] };
            const res3 = await ai.models.generateContent({
                model: GROUP[f], contents: 'Weather in Kyiv?', config: { tools: [{ functionDeclarations: DECLS }] },
            });
            seenBy(f);
            assert.deepEqual(res3.functionCalls.map((c) => [c.name, c.args]), [['get_weather', { city: 'Kyiv' }]]);

            resetAll();
            mocks[f].script = { error: { status: 429, message: 'slow down' } };
            await assert.rejects(ai.models.generateContent({ model: GROUP[f], contents: 'x' }),
                (e) => e.status === 429 && /RESOURCE_EXHAUSTED/.test(e.message));
        });
    });
}

describe('gemini client: paths and gateway errors', () => {
    // @google/genai 3.x calls {base}/v1/models/{m}:generateContent by default
    // (Google serves both /v1 and /v1beta), so a gateway that knows only
    // /v1beta breaks the current SDK unless the user sets apiVersion.
    test('@google/genai SDK with its default API version (/v1/models/...)', { skip: NO_SDK }, async () => {
        const ai = new GoogleGenAI({ apiKey: gw.masterKey, httpOptions: { baseUrl: gw.url } });
        resetAll();
        mocks.openai.script = { text: 'v1 path works' };
        const res = await ai.models.generateContent({ model: GROUP.openai, contents: 'hi' });
        seenBy('openai');
        assert.equal(res.text, 'v1 path works');
        resetAll();
        mocks.openai.script = { text: 'v1 stream path works' };
        let text = '';
        for await (const chunk of await ai.models.generateContentStream({ model: GROUP.openai, contents: 'hi' })) text += chunk.text ?? '';
        seenBy('openai', { stream: true });
        assert.equal(text, 'v1 stream path works');
    });

    test('unknown model: 4xx in Gemini shape; wrong header key: 401', async () => {
        resetAll();
        const res = await post('no-such-model', 'generateContent', BASIC);
        assert.ok([400, 404].includes(res.status), `status ${res.status} ${res.text}`);
        assertGeminiError(res, res.status, res.status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', 'unknown model');
        const bad = await post(GROUP.openai, 'generateContent', BASIC, { headers: { 'x-goog-api-key': 'sk-wrong-2222' } });
        assertGeminiError(bad, 401, 'UNAUTHENTICATED', 'wrong x-goog-api-key');
        for (const m of Object.values(mocks)) assert.equal(m.requests.length, 0);
    });

    // The ?key= tests above put the master key in the query string: the
    // access log must not record it.
    test('gateway logs have neither provider keys nor the master key (?key=)', (t) => {
        for (const l of gw.errorLog().split('\n').filter((x) => /\[(error|crit)\]/.test(x)).slice(-8)) t.diagnostic(`error.log: ${l.slice(0, 300)}`);
        assert.deepEqual(gw.leakedSecrets([...Object.values(KEYS), gw.masterKey]), []);
    });
});
