// A streamed answer's cost is known only when the stream ends, after the
// headers went out: it arrives as the HTTP trailer x-litellm-response-cost
// (announced by a `Trailer` header), for streams forwarded as they are and
// for streams translated between formats.  The figure must equal what the
// usage in the stream costs at the deployment's prices.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, request, waitFor,
} from '../lib/index.mjs';
import { formatDeployment, KEY_ENV } from '../lib/xlate.mjs';
import { parseSse } from '../lib/sse.mjs';

const KEY = makeSecret('sk-prov-cost-');
// 1 micro-dollar per prompt token, 2 per completion token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: KEY });
    gw = await startGateway({
        config: {
            model_list: [
                formatDeployment('via-openai', 'openai', mock, 'up-openai', PRICES),
                formatDeployment('via-gemini', 'gemini', mock, 'up-gemini', PRICES),
            ],
        },
        env: { [KEY_ENV.openai]: KEY, [KEY_ENV.gemini]: KEY },
    });
});

after(() => closeAll(gw, mock));

const micros = (prompt, completion) => prompt + 2 * completion;
const dollars = (m) => `${Math.floor(m / 1e6)}.${String(m % 1e6).padStart(6, '0')}`;

function stream(path, body, headers = {}) {
    return request(`${gw.url}${path}`, {
        headers: { authorization: `Bearer ${gw.masterKey}`, ...headers }, body,
    });
}

/** Same, with the caller's headers only (a virtual key). */
function asKey(path, body, headers) {
    return request(`${gw.url}${path}`, { headers, body });
}

function openaiUsage(text) {
    const chunks = parseSse(text).filter((e) => e.data && e.data !== '[DONE]').map((e) => JSON.parse(e.data));
    const u = chunks.find((c) => c.usage)?.usage;
    assert.ok(u, `a usage chunk in ${text.slice(-300)}`);
    return u;
}

function assertTrailer(res, expected, what) {
    assert.equal(res.status, 200, `${what}: ${res.text}`);
    assert.match(res.headers.trailer || '', /x-litellm-response-cost/i, `${what}: Trailer announced`);
    assert.equal(res.headers['x-litellm-response-cost'], undefined, `${what}: not a header`);
    assert.equal(res.trailers['x-litellm-response-cost'], dollars(expected), `${what}: trailer`);
}

test('forwarded OpenAI stream: the cost trailer equals its usage at the deployment prices', async () => {
    const res = await stream('/v1/chat/completions', {
        model: 'via-openai', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'count the cost of this stream' }],
    });
    const u = openaiUsage(res.text);
    assert.ok(u.prompt_tokens > 0 && u.completion_tokens > 0);
    assertTrailer(res, micros(u.prompt_tokens, u.completion_tokens), 'openai stream');
    assert.equal(res.trailers['x-llm-usage-estimated'], undefined);
});

test('translated streams (Gemini provider to an OpenAI client, OpenAI provider to an Anthropic client)', async () => {
    const g = await stream('/v1/chat/completions', {
        model: 'via-gemini', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'a translated stream has a cost too' }],
    });
    const gu = openaiUsage(g.text);
    assertTrailer(g, micros(gu.prompt_tokens, gu.completion_tokens), 'gemini -> openai');

    const a = await stream('/v1/messages', {
        model: 'via-openai', stream: true, max_tokens: 64,
        messages: [{ role: 'user', content: 'and in the Anthropic format' }],
    }, { 'anthropic-version': '2023-06-01' });
    const events = parseSse(a.text).filter((e) => e.data).map((e) => JSON.parse(e.data));
    // an OpenAI provider reports usage only at the end: the final
    // message_delta carries input_tokens as well
    const delta = events.filter((e) => e.type === 'message_delta').at(-1).usage;
    const input = delta.input_tokens ?? events.find((e) => e.type === 'message_start').message.usage.input_tokens;
    const output = delta.output_tokens;
    assert.ok(input > 0 && output > 0, a.text.slice(0, 300));
    assertTrailer(a, micros(input, output), 'openai -> anthropic');
});

test('a stream without usage: estimated cost in the trailer, marked estimated', async () => {
    const res = await stream('/v1/chat/completions', {
        model: 'via-openai', stream: true, stream_options: { include_usage: false },
        messages: [{ role: 'user', content: 'no usage from the provider this time' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(Number(res.trailers['x-litellm-response-cost']) > 0, JSON.stringify(res.trailers));
    assert.equal(res.trailers['x-llm-usage-estimated'], 'true');
});

test('a whole answer keeps the cost as a header, with no trailer', async () => {
    const res = await stream('/v1/chat/completions', {
        model: 'via-openai', messages: [{ role: 'user', content: 'not streamed' }],
    });
    assert.equal(res.status, 200, res.text);
    const u = res.json.usage;
    assert.equal(res.headers['x-litellm-response-cost'], dollars(micros(u.prompt_tokens, u.completion_tokens)));
    assert.equal(res.headers.trailer, undefined);
    assert.deepEqual(res.trailers, {});
});

test('a key is charged exactly what its streamed and whole answers cost', async () => {
    const gen = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'stream-spend' } });
    assert.equal(gen.status, 200, gen.text);
    const key = gen.json.key;
    if (!('keys' in await gw.status())) return;
    let expected = 0;
    for (const [model, stream] of [['via-openai', true], ['via-gemini', true], ['via-openai', false], ['via-openai', true]]) {
        const res = await asKey('/v1/chat/completions', {
            model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}),
            messages: [{ role: 'user', content: `charge me for ${model} ${stream}` }],
        }, { authorization: `Bearer ${key}` });
        assert.equal(res.status, 200, res.text);
        const u = stream ? openaiUsage(res.text) : res.json.usage;
        const m = micros(u.prompt_tokens, u.completion_tokens);
        assert.equal(stream ? res.trailers['x-litellm-response-cost'] : res.headers['x-litellm-response-cost'], dollars(m));
        expected += m;
    }
    let last;
    await waitFor(async () => {
        const info = await request(`${gw.url}/key/info?key=${gen.json.token}`, {
            method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
        last = info.json && info.json.info;
        return last && Math.round(last.lifetime_spend * 1e6) === expected;
    }, { timeoutMs: 10000, intervalMs: 200, what: `key spend ${expected} µ$ (last ${last && last.lifetime_spend})` });
});
