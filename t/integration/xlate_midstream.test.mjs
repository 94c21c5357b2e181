// A provider that fails in the middle of a stream the gateway is
// translating: its own error event (or a cut connection) must become the
// caller's error event (Anthropic `event: error`; OpenAI and Gemini
// `data: {"error": ...}`), after the content already sent, with nothing
// after it (no finish, no message_stop, no [DONE]) and no retry.  After a
// cut connection nginx closes the client's connection without the final
// chunk (its way of marking a truncated body); the error event is what the
// SDKs act on, and it is there before the close.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, makeSecret, collectChatStream } from '../lib/index.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import { KEY_ENV, formatDeployment, anthropicClient, collectMessageStream, rawSse } from '../lib/xlate.mjs';

const FORMATS = ['openai', 'anthropic', 'gemini'];
const GROUP = { openai: 'mid-openai', anthropic: 'mid-anthropic', gemini: 'mid-gemini' };
const KEYS = Object.fromEntries(FORMATS.map((f) => [f, makeSecret(`sk-prov-${f}-`)]));
const TEXT = 'one two three four five six seven eight';
const FIRST_TWO = 'one two ';
const mocks = {};
let gw;

before(async () => {
    for (const f of FORMATS) mocks[f] = await startScriptedProvider({ apiKey: KEYS[f] });
    gw = await startGateway({
        config: {
            model_list: FORMATS.map((f) => formatDeployment(GROUP[f], f, mocks[f], `upstream-${f}`)),
            router_settings: { num_retries: 2, disable_cooldowns: true },
        },
        env: Object.fromEntries(FORMATS.map((f) => [KEY_ENV[f], KEYS[f]])),
    });
});

after(() => closeAll(gw, ...Object.values(mocks)));

function arm(f, turn) {
    for (const m of Object.values(mocks)) { m.reset(); m.script = null; }
    mocks[f].script = turn;
}

const providerError = { text: TEXT, streamError: { afterChunks: 2, status: 500, message: 'upstream exploded mid-stream' } };
const cut = { text: TEXT, breakAfterChunks: 2 };

function anthropicBody(f) {
    return { model: GROUP[f], max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'go' }] };
}

/** Client-visible text of raw Anthropic events. */
function anthropicText(events) {
    return events.map((e) => (e.json?.type === 'content_block_delta' ? e.json.delta.text ?? '' : '')).join('');
}

function openaiText(events) {
    return events.map((e) => e.json?.choices?.[0]?.delta?.content ?? '').join('');
}

function geminiText(events) {
    return events.map((e) => (e.json?.candidates?.[0]?.content?.parts || []).map((p) => p.text ?? '').join('')).join('');
}

describe('anthropic client', () => {
    for (const f of ['openai', 'gemini', 'anthropic']) {
        test(`${f} provider error event mid-stream -> event: error, nothing after`, async () => {
            arm(f, providerError);
            const res = await rawSse(`${gw.url}/v1/messages`, anthropicBody(f),
                { 'x-api-key': gw.masterKey, 'anthropic-version': '2023-06-01' });
            assert.equal(res.status, 200, 'headers were already sent when the provider failed');
            assert.equal(mocks[f].requests.length, 1, 'no retry after the first byte');
            const last = res.events[res.events.length - 1];
            assert.equal(last.event, 'error', `last event: ${res.text.slice(-400)}`);
            assert.equal(last.json?.type, 'error');
            assert.equal(typeof last.json?.error?.type, 'string');
            assert.match(last.json.error.message, /upstream exploded mid-stream/);
            const names = res.events.map((e) => e.event);
            assert.equal(names[0], 'message_start');
            assert.ok(!names.includes('message_stop') && !names.includes('message_delta'), names.join(','));
            assert.equal(names.filter((n) => n === 'error').length, 1);
            assert.equal(anthropicText(res.events), FIRST_TWO, 'content before the failure reached the client');
        });
    }

    test('SDK: messages.stream rejects with the provider\'s message; text so far was seen', async () => {
        arm('openai', providerError);
        const got = await collectMessageStream(anthropicClient(gw).messages.stream(anthropicBody('openai')));
        assert.ok(got.error, 'the stream must fail');
        assert.match(String(got.error.message), /upstream exploded mid-stream/);
        assert.equal(got.error.error?.type, 'error');
        assert.equal(got.text, FIRST_TWO);
    });

    for (const f of ['openai', 'gemini']) {
        test(`${f} provider connection cut mid-stream -> event: error (api_error)`, async () => {
            arm(f, cut);
            const res = await rawSse(`${gw.url}/v1/messages`, anthropicBody(f),
                { 'x-api-key': gw.masterKey, 'anthropic-version': '2023-06-01' });
            assert.equal(mocks[f].requests.length, 1, 'no retry after the first byte');
            const last = res.events[res.events.length - 1];
            assert.equal(last?.event, 'error', `last event: ${res.text.slice(-400)}`);
            assert.equal(last.json?.type, 'error');
            assert.equal(last.json?.error?.type, 'api_error');
            assert.ok(!res.events.some((e) => e.event === 'message_stop'));
            assert.equal(anthropicText(res.events), FIRST_TWO);
        });
    }

    test('SDK: a cut provider stream surfaces as APIError(api_error), not a network error', async () => {
        arm('gemini', cut);
        const got = await collectMessageStream(anthropicClient(gw).messages.stream(anthropicBody('gemini')));
        assert.ok(got.error, 'the stream must fail');
        assert.equal(got.error.error?.error?.type, 'api_error', `got ${got.error}`);
        assert.equal(got.text, FIRST_TWO);
    });
});

describe('openai client', () => {
    for (const f of ['anthropic', 'gemini', 'openai']) {
        test(`${f} provider error event mid-stream -> data: {"error"}, no finish, no [DONE]`, async () => {
            arm(f, providerError);
            const res = await rawSse(`${gw.url}/v1/chat/completions`,
                { model: GROUP[f], stream: true, messages: [{ role: 'user', content: 'go' }] },
                { authorization: `Bearer ${gw.masterKey}` });
            assert.equal(res.status, 200);
            assert.equal(mocks[f].requests.length, 1, 'no retry after the first byte');
            const last = res.events[res.events.length - 1];
            assert.ok(last?.json?.error, `last event is an error: ${res.text.slice(-400)}`);
            assert.match(last.json.error.message, /upstream exploded mid-stream/);
            assert.ok(!res.events.some((e) => e.data === '[DONE]'), 'no [DONE] after an error');
            assert.ok(!res.events.some((e) => e.json?.choices?.[0]?.finish_reason), 'no finish_reason after an error');
            assert.equal(openaiText(res.events), FIRST_TWO);
        });
    }

    test('SDK: iteration throws the provider\'s error after the deltas so far', async () => {
        arm('anthropic', providerError);
        const got = await collectChatStream(await gw.client().chat.completions.create({
            model: GROUP.anthropic, stream: true, messages: [{ role: 'user', content: 'go' }],
        }));
        assert.ok(got.error, 'the stream must fail');
        assert.match(String(got.error.message), /upstream exploded mid-stream/);
        assert.equal(got.deltas.join(''), FIRST_TWO);
        assert.equal(got.finishReason, null);
    });

    test('anthropic provider connection cut mid-stream -> data: {"error"} (502 api_error)', async () => {
        arm('anthropic', cut);
        const res = await rawSse(`${gw.url}/v1/chat/completions`,
            { model: GROUP.anthropic, stream: true, messages: [{ role: 'user', content: 'go' }] },
            { authorization: `Bearer ${gw.masterKey}` });
        assert.equal(mocks.anthropic.requests.length, 1);
        const last = res.events[res.events.length - 1];
        assert.ok(last?.json?.error, `last event is an error: ${res.text.slice(-400)}`);
        assert.ok(!res.events.some((e) => e.data === '[DONE]'));
        assert.equal(openaiText(res.events), FIRST_TWO);
    });
});

describe('gemini client', () => {
    for (const f of ['openai', 'anthropic']) {
        test(`${f} provider error event mid-stream -> data: {"error": {code, message, status}}`, async () => {
            arm(f, providerError);
            const res = await rawSse(`${gw.url}/v1beta/models/${GROUP[f]}:streamGenerateContent?alt=sse`,
                { contents: [{ role: 'user', parts: [{ text: 'go' }] }] }, { 'x-goog-api-key': gw.masterKey });
            assert.equal(res.status, 200);
            assert.equal(mocks[f].requests.length, 1);
            const last = res.events[res.events.length - 1];
            assert.ok(last?.json?.error, `last event is an error: ${res.text.slice(-400)}`);
            assert.equal(typeof last.json.error.code, 'number');
            assert.equal(typeof last.json.error.status, 'string');
            assert.match(last.json.error.message, /upstream exploded mid-stream/);
            assert.ok(!res.events.some((e) => e.json?.candidates?.[0]?.finishReason), 'no finishReason after an error');
            assert.equal(geminiText(res.events), FIRST_TWO);
        });
    }
});

test('gateway logs are clean of secrets', (t) => {
    for (const l of gw.errorLog().split('\n').filter((x) => /\[(error|crit)\]/.test(x)).slice(-8)) t.diagnostic(`error.log: ${l.slice(0, 300)}`);
    assert.deepEqual(gw.leakedSecrets([...Object.values(KEYS), gw.masterKey]), []);
});
