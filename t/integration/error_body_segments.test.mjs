// A provider's 4xx is classified, and reported to the client, by its whole
// body however its bytes arrive: headers and body in one write, the body
// 50 ms after the headers, the body in pieces, or chunked a chunk a write
// (t/lib/segmented.mjs).  For each ingress API (OpenAI, Anthropic, Gemini):
// a context_length_exceeded 400 falls back through context_window_fallbacks
// to the group that can take it, and a plain 400 reaches the client with
// the provider's own message, in the client's error format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, makeSecret, request, assertOpenAIError } from '../lib/index.mjs';
import { routed, startMocks, describe, PROVIDER_KEY_ENV } from '../lib/routing.mjs';
import { assertGeminiError } from '../lib/xlate.mjs';
import { startSegmentedProvider, TEMP_MESSAGE } from '../lib/segmented.mjs';

const KEY = makeSecret('sk-prov-seg-');
const SEGMENTS = ['whole', 'late', 'split', 'chunked'];
let seg, big, gw;

before(async () => {
    seg = await startSegmentedProvider();
    [big] = await startMocks(1, { apiKey: KEY });
    const model_list = [routed('big', 'big-1', big, 'up-big')];
    const context_window_fallbacks = [];
    for (const s of SEGMENTS) {
        model_list.push(routed(`cw-${s}`, `cw-${s}-1`, seg, `cw-${s}`));
        model_list.push(routed(`temp-${s}`, `temp-${s}-1`, seg, `temp-${s}`));
        context_window_fallbacks.push({ [`cw-${s}`]: ['big'] });
    }
    gw = await startGateway({
        config: {
            model_list,
            router_settings: { num_retries: 0, context_window_fallbacks },
        },
        env: { [PROVIDER_KEY_ENV]: KEY },
    });
});

after(() => closeAll(gw, seg, big));

const INGRESS = {
    openai: (model) => request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model, messages: [{ role: 'user', content: 'a long prompt' }], temperature: 0.5 },
    }),
    anthropic: (model) => request(`${gw.url}/v1/messages`, {
        headers: { 'x-api-key': gw.masterKey, 'anthropic-version': '2023-06-01' },
        body: { model, max_tokens: 64, messages: [{ role: 'user', content: 'a long prompt' }] },
    }),
    gemini: (model) => request(`${gw.url}/v1beta/models/${model}:generateContent`, {
        headers: { 'x-goog-api-key': gw.masterKey },
        body: { contents: [{ role: 'user', parts: [{ text: 'a long prompt' }] }] },
    }),
};

function answerText(api, res) {
    if (api === 'openai') return res.json?.choices?.[0]?.message?.content;
    if (api === 'anthropic') return res.json?.content?.[0]?.text;
    return res.json?.candidates?.[0]?.content?.parts?.[0]?.text;
}

for (const api of Object.keys(INGRESS)) {
    for (const s of SEGMENTS) {
        test(`${api} client, body ${s}: context_length_exceeded falls back to the bigger group`, async () => {
            const before = big.requests.length;
            const res = await INGRESS[api](`cw-${s}`);
            const what = `${api}/${s}: ${describe(res)}`;
            assert.equal(res.status, 200, what);
            assert.equal(res.headers['x-litellm-model-id'], 'big-1', what);
            assert.equal(res.headers['x-litellm-attempted-fallbacks'], '1', what);
            assert.equal(big.requests.length, before + 1, what);
            assert.equal(typeof answerText(api, res), 'string', what);
            assert.ok(answerText(api, res).length > 0, what);
        });

        test(`${api} client, body ${s}: a plain 400 carries the provider's own message`, async () => {
            const res = await INGRESS[api](`temp-${s}`);
            const what = `${api}/${s}`;
            if (api === 'openai') {
                const err = assertOpenAIError(res, 400, what);
                assert.equal(err.message, TEMP_MESSAGE, what);
                assert.equal(err.type, 'invalid_request_error', what);
                assert.equal(err.param, 'temperature', what);
            } else if (api === 'anthropic') {
                assert.equal(res.status, 400, `${what}: ${res.text}`);
                assert.equal(res.json?.type, 'error', `${what}: ${res.text}`);
                assert.equal(res.json?.error?.type, 'invalid_request_error', `${what}: ${res.text}`);
                assert.equal(res.json?.error?.message, TEMP_MESSAGE, `${what}: ${res.text}`);
            } else {
                const err = assertGeminiError(res, 400, 'INVALID_ARGUMENT', what);
                assert.equal(err.message, TEMP_MESSAGE, what);
            }
        });
    }
}

test('every attempt reached the segmented provider once: no retry of a 400 in its group', () => {
    const per = {};
    for (const m of seg.requests) per[m] = (per[m] || 0) + 1;
    for (const s of SEGMENTS) {
        assert.equal(per[`cw-${s}`], 3, `cw-${s}: ${JSON.stringify(per)}`);
        assert.equal(per[`temp-${s}`], 3, `temp-${s}: ${JSON.stringify(per)}`);
    }
});
