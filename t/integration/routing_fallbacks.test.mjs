// Fallbacks and the first-byte rule: a failing group falls back to other
// groups (here an Anthropic-format provider behind an OpenAI client, so the
// answer is translated), default_fallbacks and max_fallbacks apply; a
// response that breaks after its first byte is never retried, the client
// gets the error, and the break counts toward the deployment's cooldown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, makeSecret, assertOpenAIError, collectChatStream } from '../lib/index.mjs';
import {
    routed, routedAnthropic, chat, chatStreamRaw, describe, startMocks, awayFromMinuteEdge,
    PROVIDER_KEY_ENV, ANTHROPIC_KEY_ENV,
} from '../lib/routing.mjs';

const KEY = makeSecret('sk-prov-fb-');
let bad, claude, good, breaker, gw;

function byModel(mock, model) {
    return mock.requests.filter((r) => r.model === model);
}

before(async () => {
    [bad, claude, good, breaker] = await startMocks(4, { apiKey: KEY });
    const model_list = [
        routed('fb-a', 'fb-a-1', bad, 'fault-500'),
        routed('fb-a', 'fb-a-2', bad, 'fault-503'),
        routedAnthropic('fb-claude', 'fb-claude-1', claude, 'claude-fb'),
        routed('fb-c', 'fb-c-1', bad, 'fault-502'), // no entry of its own: default_fallbacks
        routed('fb-d', 'fb-d-1', bad, 'fault-500'),
        routed('fb-e', 'fb-e-1', bad, 'fault-status-500'),
        routed('fb-f', 'fb-f-1', bad, 'fault-status-503'),
        routed('fb-g', 'fb-g-1', bad, 'fault-status-504'),
        // context window: the error body decides, no retry in the group
        routed('cw', 'cw-1', bad, 'fault-context-length'),
        routed('cw', 'cw-2', bad, 'fault-context-length'),
        routed('cw-big', 'cw-big-1', good, 'up-cw-big'),
        routed('cw-none', 'cw-none-1', bad, 'fault-context-length'),
        routed('bad-req', 'bad-req-1', bad, 'fault-400'),
        // first-byte rule
        routed('sb', 'sb-break', breaker, 'fault-stream-break-2', { order: 1 }),
        routed('sb', 'sb-good', good, 'up-sb', { order: 2 }),
        routed('sbj', 'sbj-break', breaker, 'fault-stream-break', { order: 1 }),
        routed('sbj', 'sbj-good', good, 'up-sbj', { order: 2 }),
    ];
    gw = await startGateway({
        config: {
            model_list,
            router_settings: {
                num_retries: 1,
                allowed_fails: 1,
                cooldown_time: 30,
                max_fallbacks: 2,
                context_window_fallbacks: [{ cw: ['cw-big'] }],
                fallbacks: [
                    { 'fb-a': ['fb-claude'] },
                    { 'bad-req': ['fb-claude'] },
                    { 'fb-d': ['fb-e', 'fb-f', 'fb-claude'] },
                    { 'fb-g': ['fb-e', 'fb-claude'] },
                ],
                default_fallbacks: ['fb-claude'],
            },
        },
        env: { [PROVIDER_KEY_ENV]: KEY, [ANTHROPIC_KEY_ENV]: KEY },
        workers: 2,
    });
});

after(() => closeAll(gw, bad, claude, good, breaker));

test('group A failing falls back to an Anthropic-format group; the OpenAI client gets the translated answer', async () => {
    await awayFromMinuteEdge(10);
    const res = await chat(gw, 'fb-a', { content: 'fallback please' });
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.servedBy, 'fb-claude-1', describe(res));
    assert.equal(res.fallbacks, 1, describe(res));
    assert.equal(res.retries, 0, describe(res));
    assert.equal(res.apiBase, `${claude.url}/v1`, 'x-litellm-model-api-base of the Anthropic deployment');
    const seen = claude.last();
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.format, 'anthropic');
    assert.equal(seen.body.model, 'claude-fb');
    assert.equal(seen.headers['x-api-key'], KEY);
    assert.equal(res.json.object, 'chat.completion', res.text);
    assert.equal(res.json.choices[0].message.content, seen.response.text, 'translated Anthropic answer');
    // num_retries 1: both deployments of fb-a were tried before the fallback.
    assert.equal(byModel(bad, 'fault-500').length + byModel(bad, 'fault-503').length, 2);
});

test('a stream falls back too, translated from Anthropic SSE to OpenAI chunks', async () => {
    const stream = await gw.client().chat.completions.create({
        model: 'fb-a', stream: true, messages: [{ role: 'user', content: 'stream fallback' }],
    });
    const got = await collectChatStream(stream);
    assert.equal(got.error, null, `stream error: ${got.error?.message}`);
    const seen = claude.last();
    assert.equal(seen.body.stream, true);
    assert.equal(got.deltas.join(''), seen.response.text);
    assert.equal(got.finishReason, 'stop');
});

test('while every deployment of A cools down, requests go to the fallback without calling A', async () => {
    // allowed_fails 1: the two requests above failed each deployment of fb-a twice.
    const calls = bad.requests.length;
    const res = await chat(gw, 'fb-a');
    assert.equal(res.status, 200, `all of fb-a cooling, fallbacks [fb-claude]: ${describe(res)}`);
    assert.equal(res.servedBy, 'fb-claude-1', describe(res));
    assert.equal(res.fallbacks, 1, describe(res));
    assert.equal(bad.requests.length, calls, 'cooling deployments are not called');
});

test('default_fallbacks serve a group without a fallbacks entry', async () => {
    const before = claude.requests.length;
    const res = await chat(gw, 'fb-c');
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.servedBy, 'fb-claude-1', describe(res));
    assert.equal(res.fallbacks, 1, describe(res));
    assert.equal(claude.requests.length, before + 1);
});

test('attempted-fallbacks counts every fallback group tried', async () => {
    const res = await chat(gw, 'fb-g');
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.servedBy, 'fb-claude-1', describe(res));
    assert.equal(res.fallbacks, 2, `fb-g -> fb-e (fails) -> fb-claude: ${describe(res)}`);
    assert.equal(byModel(bad, 'fault-status-500').length >= 1, true, 'fb-e was tried');
});

test('max_fallbacks 2 bounds the chain: the third fallback is never called', async () => {
    const before = claude.requests.length;
    const eBefore = byModel(bad, 'fault-status-500').length;
    const fBefore = byModel(bad, 'fault-status-503').length;
    const res = await chat(gw, 'fb-d');
    assert.ok(res.status >= 500, `fb-d -> fb-e, fb-f (both fail), fb-claude beyond max_fallbacks: ${describe(res)}`);
    assertOpenAIError(res, res.status, 'fallbacks exhausted');
    assert.equal(claude.requests.length, before, 'the third fallback group must not be called');
    // fb-e may already be cooling from the previous test; fb-f is fresh.
    assert.ok(byModel(bad, 'fault-status-500').length >= eBefore);
    assert.ok(byModel(bad, 'fault-status-503').length > fBefore, 'fb-f (second fallback) was tried');
});

test('a stream that breaks after the first byte is not retried; the client gets an error event', async () => {
    await awayFromMinuteEdge(8);
    const goodBefore = good.requests.length;
    const res = await chatStreamRaw(gw, 'sb');
    assert.equal(res.status, 200);
    assert.equal(res.servedBy, 'sb-break');
    const sent = breaker.last().response;
    assert.equal(sent.broken, true);
    assert.deepEqual(sent.chunks.length, 2);
    const deltas = res.events.map((e) => e.json?.choices?.[0]?.delta?.content).filter(Boolean);
    assert.deepEqual(deltas, sent.chunks, 'the chunks sent before the break arrive intact');
    const errors = res.events.filter((e) => e.json && e.json.error);
    assert.equal(errors.length, 1, `expected one error event after the break, got: ${res.text.slice(-400)}`);
    assert.ok(typeof errors[0].json.error.message === 'string' && errors[0].json.error.message.length > 0);
    assert.ok(!res.events.some((e) => e.data === '[DONE]'), 'no [DONE] after a break');
    assert.ok(!res.events.some((e) => e.json?.choices?.[0]?.finish_reason), 'no finish_reason invented');
    assert.equal(good.requests.length, goodBefore, 'no retry after the first byte');
});

test('a broken stream counts as a failure: after allowed_fails the deployment cools down', async () => {
    const breaks = byModel(breaker, 'fault-stream-break-2').length;
    // The second break in this minute exceeds allowed_fails 1.
    const second = await chatStreamRaw(gw, 'sb');
    assert.equal(second.servedBy, 'sb-break', describe(second));
    assert.equal(byModel(breaker, 'fault-stream-break-2').length, breaks + 1);
    for (let i = 0; i < 3; i++) {
        const res = await chatStreamRaw(gw, 'sb');
        assert.equal(res.status, 200);
        assert.equal(res.servedBy, 'sb-good', `after two broken streams (request ${i + 3}, breaks at ` +
            `${byModel(breaker, 'fault-stream-break-2').map((r) => r.at % 60000)}, now ${Date.now() % 60000}, ` +
            `second cut=${second.cut} error events=${second.events.filter((e) => e.json?.error).length}): ${describe(res)}`);
        assert.equal(res.retries, 0);
        assert.ok(res.events.some((e) => e.data === '[DONE]'), 'the healthy stream completes');
    }
    assert.equal(byModel(breaker, 'fault-stream-break-2').length, breaks + 1, 'the cooling deployment is not called');
});

test('a non-stream response cut after its headers is not retried either', async () => {
    const goodBefore = byModel(good, 'up-sbj').length;
    const plain = await chat(gw, 'sbj').then((r) => r, (e) => ({ error: e }));
    assert.ok(plain.error || plain.status !== 200 || plain.json === undefined,
        `a cut JSON body must not look like a complete answer: ${plain.status} ${plain.text?.slice(0, 200)}`);
    assert.equal(byModel(good, 'up-sbj').length, goodBefore, 'no retry once the client got the headers');
});


test('a context-length error goes straight to context_window_fallbacks, without retrying the group', async () => {
    const before = byModel(bad, 'fault-context-length').length;
    const res = await chat(gw, 'cw', { content: 'a very long prompt' });
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.servedBy, 'cw-big-1', describe(res));
    assert.equal(res.fallbacks, 1, describe(res));
    // one failed attempt in group cw, not two: context errors are not retried
    assert.equal(byModel(bad, 'fault-context-length').length - before, 1);
});

test('a context-length error without a context_window entry takes the general fallbacks (default_fallbacks here)', async () => {
    const res = await chat(gw, 'cw-none', { content: 'too long' });
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.servedBy, 'fb-claude-1', describe(res));
    assert.equal(res.fallbacks, 1, describe(res));
});

test('any other 400 reaches the client as the provider said it, and never falls back', async () => {
    const before = claude.requests.length;
    const res = await chat(gw, 'bad-req', { content: 'x' });
    assert.equal(res.status, 400, describe(res));
    assert.match(JSON.stringify(res.json), /Invalid value for 'temperature'/, describe(res));
    assert.equal(res.json.error.type, 'invalid_request_error', describe(res));
    assert.equal(res.json.error.code, null, 'the provider\'s own body, not one of ours');
    assert.equal(claude.requests.length, before, 'a bad request never falls back');
});
