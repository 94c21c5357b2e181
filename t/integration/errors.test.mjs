// Errors the gateway produces or passes through: status codes, OpenAI error
// shape, and no provider secret in any response or log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, freePort, request,
    assertOpenAIError, collectChatStream, responseText,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-err-');
const MiB = 1024 * 1024;
let mock, gw, client;
const responses = [];

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    const deadPort = await freePort(); // nothing listens here
    gw = await startGateway({
        config: {
            model_list: [
                openaiDeployment('ok', mock, 'upstream-ok'),
                openaiDeployment('refused', { url: `http://127.0.0.1:${deadPort}` }, 'upstream-refused'),
                openaiDeployment('slow', mock, 'fault-slow-headers-20000', { timeout: 1 }),
                openaiDeployment('breaks', mock, 'fault-stream-break-3'),
                openaiDeployment('rejects', mock, 'fault-400'),
            ],
            router_settings: { num_retries: 0 },
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    client = gw.client();
});

after(() => closeAll(gw, mock));

async function post(body, headers = {}) {
    const res = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json', ...headers },
        body,
        timeoutMs: 60000,
    });
    responses.push(res);
    return res;
}

const msgs = [{ role: 'user', content: 'error check' }];

test('malformed JSON -> 400', async () => {
    assertOpenAIError(await post('{"model": "ok", "messages": [', {}), 400, 'truncated JSON');
    assertOpenAIError(await post('not json at all'), 400, 'not JSON');
});

test('missing model -> 400', async () => {
    assertOpenAIError(await post(JSON.stringify({ messages: msgs })), 400, 'no model');
});

test('unknown model -> 400 or 404 naming the model', async () => {
    mock.reset();
    const res = await post(JSON.stringify({ model: 'no-such-model-xyz', messages: msgs }));
    assert.ok([400, 404].includes(res.status), `status ${res.status}`);
    const err = assertOpenAIError(res, res.status, 'unknown model');
    assert.match(err.message, /no-such-model-xyz/);
    assert.equal(mock.requests.length, 0);
});

test('body over llm_max_body_size (17 MiB > 16m) -> 413', async () => {
    mock.reset();
    const big = JSON.stringify({ model: 'ok', messages: [{ role: 'user', content: 'x'.repeat(17 * MiB) }] });
    assertOpenAIError(await post(big), 413, '17 MiB body');
    assert.equal(mock.requests.length, 0);
});

test('a 4 MiB valid body is served and reaches the provider whole', async () => {
    mock.reset();
    const content = 'y'.repeat(4 * MiB);
    const res = await post(JSON.stringify({ model: 'ok', messages: [{ role: 'user', content }] }));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const seen = mock.last();
    assert.equal(seen.body.messages[0].content.length, content.length);
    assert.equal(seen.body.messages[0].content, content);
    assert.equal(res.json.choices[0].message.content, seen.response.text);
});

test('upstream connection refused -> 502', async () => {
    assertOpenAIError(await post(JSON.stringify({ model: 'refused', messages: msgs })), 502, 'refused');
});

test('upstream timeout (timeout: 1, headers after 20 s) -> 504 long before the headers', async () => {
    const t0 = Date.now();
    const res = await post(JSON.stringify({ model: 'slow', messages: msgs }));
    const elapsed = Date.now() - t0;
    assertOpenAIError(res, 504, 'slow upstream');
    // Bounds wide enough for a loaded machine: what matters is that the
    // gateway gave up on its own timeout, not on the provider's 20 s.
    assert.ok(elapsed >= 900 && elapsed < 15000, `deployment timeout not applied: ${elapsed} ms`);
});

test('mid-stream upstream break: the client sees the chunks sent, then an error', async () => {
    mock.reset();
    const stream = await client.chat.completions.create({ model: 'breaks', stream: true, messages: msgs });
    const got = await collectChatStream(stream);
    const seen = mock.last();
    assert.equal(seen.response.broken, true);
    assert.equal(seen.response.chunks.length, 3);
    assert.deepEqual(got.deltas, seen.response.chunks, 'chunks before the break must arrive intact');
    assert.ok(got.error instanceof Error, 'the SDK must raise when the stream breaks');
    // Either the gateway cuts the client connection too (undici's fetch raises
    // TypeError "terminated") or it sends an SSE error event, which the SDK
    // raises as an APIError.  A clean end of the stream would hide the break.
    const cut = got.error instanceof TypeError && /terminated/.test(got.error.message);
    const errorEvent = got.error instanceof OpenAI.APIError;
    assert.ok(cut || errorEvent, `unexpected error: ${got.error?.name}: ${got.error?.message}`);
    assert.equal(got.finishReason, null, 'no finish_reason may be invented after a break');
    assert.equal(mock.requests.length, 1, 'no retry after the first byte reached the client');
});

test('upstream 400 passes through as 400 with the provider message', async () => {
    mock.reset();
    const res = await post(JSON.stringify({ model: 'rejects', messages: msgs }));
    const err = assertOpenAIError(res, 400, 'provider 400');
    assert.match(err.message, /mock rejects this request/);
    assert.equal(mock.requests.length, 1, 'a 400 is not retried');
});

test('no provider key in any response or log', async () => {
    for (const res of responses) assert.ok(!responseText(res).includes(PROVIDER_KEY), 'provider key in a response');
    assert.deepEqual(gw.leakedSecrets([PROVIDER_KEY, gw.masterKey]), []);
});
