// The official openai SDK's client.responses.* against the gateway's
// /v1/responses, with the model group served by an OpenAI chat-only
// provider, Anthropic and Gemini (all translated through the canonical
// representation).  Answers are scripted on the mock, so what the SDK gets
// is checked against what the provider said, and the provider's view of
// the request against what the SDK sent.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { closeAll, startGateway, makeSecret, request, waitFor } from '../lib/index.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import {
    KEY_ENV, formatDeployment, providerPath, neutralRequest, assertItems, rawSse, rejects,
    resetMocks, providerRequests,
} from '../lib/xlate.mjs';

const FORMATS = ['openai', 'anthropic', 'gemini'];
const GROUP = { anthropic: 'claude-test', openai: 'gpt-test', gemini: 'gemini-test' };
const UPSTREAM = { anthropic: 'upstream-claude', openai: 'upstream-gpt', gemini: 'upstream-gemini' };
const KEYS = Object.fromEntries(FORMATS.map((f) => [f, makeSecret(`sk-prov-${f}-`)]));
// 1 micro-dollar per input token, 2 per output token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const mocks = {};
let gw, client;

const WEATHER = {
    type: 'function', name: 'get_weather', description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: false,
};

before(async () => {
    for (const f of FORMATS) mocks[f] = await startScriptedProvider({ apiKey: KEYS[f] });
    gw = await startGateway({
        config: {
            model_list: FORMATS.map((f) => formatDeployment(GROUP[f], f, mocks[f], UPSTREAM[f], PRICES)),
            router_settings: { num_retries: 0, disable_cooldowns: true },
        },
        env: Object.fromEntries(FORMATS.map((f) => [KEY_ENV[f], KEYS[f]])),
    });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0, timeout: 30000 });
});

after(() => closeAll(gw, ...Object.values(mocks)));

function resetAll() {
    resetMocks(Object.values(mocks));
}

/** The one request the provider of `f` received; asserts its path. */
function seenBy(f, { stream = false } = {}) {
    const [rec] = providerRequests(mocks, f, UPSTREAM[f], 1, { stream });
    return rec;
}

/** Drain a Responses event stream: {events, types, text, error}. */
async function collect(stream) {
    const out = { events: [], types: [], text: '', error: null };
    try {
        for await (const ev of stream) {
            out.events.push(ev);
            out.types.push(ev.type);
            if (ev.type === 'response.output_text.delta') out.text += ev.delta;
        }
    } catch (e) {
        out.error = e;
    }
    return out;
}

function assertSequence(events, what) {
    events.forEach((e, i) => assert.equal(e.sequence_number, i, `${what}: sequence_number of #${i} ${e.type}`));
}

for (const f of FORMATS) {
    describe(`responses client -> ${f} provider`, () => {
        test('responses.create: text, instructions, max_output_tokens, usage', async () => {
            resetAll();
            const usage = { prompt: 40, completion: 6, cacheRead: f === 'gemini' ? 0 : 8 };
            mocks[f].script = { text: `Bonjour from the ${f} side.`, usage };
            const res = await client.responses.create({
                model: GROUP[f], instructions: 'You are terse.', input: 'Say hello in French',
                max_output_tokens: 123, temperature: 0.25,
            });
            const seen = neutralRequest(f, seenBy(f));
            assert.deepEqual(seen.system, ['You are terse.']);
            assertItems(f, seen.items, [{ role: 'user', kind: 'text', text: 'Say hello in French' }], 'request');
            assert.equal(seen.maxTokens, 123);
            assert.equal(seen.temperature, 0.25);
            assert.equal(seen.stream, false);

            assert.equal(res.object, 'response');
            assert.match(res.id, /^resp_/);
            assert.equal(res.status, 'completed');
            assert.equal(res.model, GROUP[f]);
            // the request's settings echoed, defaults for what it left out
            assert.equal(res.instructions, 'You are terse.');
            assert.equal(res.max_output_tokens, 123);
            assert.equal(res.temperature, 0.25);
            assert.equal(res.tool_choice, 'auto');
            assert.equal(res.parallel_tool_calls, true);
            assert.equal(res.truncation, 'disabled');
            assert.equal(res.previous_response_id, null);
            assert.equal(res.store, true);
            assert.equal(res.output_text, `Bonjour from the ${f} side.`);
            const msg = res.output.find((o) => o.type === 'message');
            assert.equal(msg.role, 'assistant');
            assert.deepEqual(msg.content.map((c) => [c.type, c.text]), [['output_text', `Bonjour from the ${f} side.`]]);
            assert.equal(res.usage.input_tokens, usage.prompt);
            assert.equal(res.usage.output_tokens, usage.completion);
            assert.equal(res.usage.total_tokens, usage.prompt + usage.completion);
            assert.equal(res.usage.input_tokens_details.cached_tokens, usage.cacheRead);
        });

        test('stream: typed events in order with sequence_number, usage in response.completed', async () => {
            resetAll();
            const text = `Streaming through ${f}, piece by piece.`;
            mocks[f].script = { text, usage: { prompt: 21, completion: 9 } };
            const got = await collect(await client.responses.create({
                model: GROUP[f], input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream it' }] }],
                stream: true,
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            assert.equal(seenBy(f, { stream: true }).response.stream, true);
            assertSequence(got.events, f);
            assert.deepEqual(got.types.slice(0, 4), ['response.created', 'response.in_progress',
                'response.output_item.added', 'response.content_part.added'], got.types.join(','));
            assert.deepEqual(got.types.slice(-4), ['response.output_text.done', 'response.content_part.done',
                'response.output_item.done', 'response.completed'], got.types.join(','));
            assert.ok(got.types.filter((t) => t === 'response.output_text.delta').length >= 1);
            assert.equal(got.text, text);
            const done = got.events.at(-1).response;
            assert.equal(done.status, 'completed');
            assert.equal(done.id, got.events[0].response.id);
            assert.match(done.id, /^resp_/);
            assert.equal(done.usage.input_tokens, 21);
            assert.equal(done.usage.output_tokens, 9);
            assert.equal(got.events.find((e) => e.type === 'response.output_text.done').text, text);
        });

        test('function tool round trip: function_call with call_id, then function_call_output', async () => {
            resetAll();
            mocks[f].script = { toolCalls: [{ id: 'call_w1', name: 'get_weather', args: { city: 'Paris' } }] };
            const first = await client.responses.create({
                model: GROUP[f], input: 'Weather in Paris?', tools: [WEATHER], tool_choice: 'auto',
            });
            const rec = seenBy(f);
            const seen = neutralRequest(f, rec);
            assert.deepEqual(seen.tools.map((t) => t.name), ['get_weather']);
            assert.deepEqual(seen.tools[0].schema, WEATHER.parameters);
            const call = first.output.find((o) => o.type === 'function_call');
            assert.ok(call, JSON.stringify(first.output));
            assert.equal(call.name, 'get_weather');
            assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
            assert.ok(call.call_id, 'call_id present');
            if (f !== 'gemini') assert.equal(call.call_id, 'call_w1');

            resetAll();
            mocks[f].script = { text: 'It is sunny in Paris.' };
            const second = await client.responses.create({
                model: GROUP[f], tools: [WEATHER],
                input: [
                    { role: 'user', content: 'Weather in Paris?' },
                    { type: 'function_call', call_id: call.call_id, name: 'get_weather', arguments: call.arguments },
                    { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' },
                ],
            });
            const seen2 = neutralRequest(f, seenBy(f));
            assertItems(f, seen2.items, [
                { role: 'user', kind: 'text', text: 'Weather in Paris?' },
                { role: 'assistant', kind: 'call', id: call.call_id, name: 'get_weather', args: { city: 'Paris' } },
                { role: f === 'openai' ? 'user' : 'user', kind: 'result', id: call.call_id, content: '{"sky":"sunny"}', name_of_result: 'get_weather' },
            ], 'round trip');
            assert.equal(second.output_text, 'It is sunny in Paris.');
        });

        test('stream with a function call: arguments delta/done, item done, completed', async () => {
            resetAll();
            mocks[f].script = { toolCalls: [{ id: 'call_s1', name: 'get_weather', args: { city: 'Oslo' } }] };
            const got = await collect(await client.responses.create({
                model: GROUP[f], input: 'Weather in Oslo?', tools: [WEATHER], stream: true,
            }));
            assert.equal(got.error, null, `stream error: ${got.error}`);
            assertSequence(got.events, f);
            const added = got.events.find((e) => e.type === 'response.output_item.added' && e.item.type === 'function_call');
            assert.ok(added, got.types.join(','));
            assert.equal(added.item.name, 'get_weather');
            const deltas = got.events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
            const done = got.events.find((e) => e.type === 'response.function_call_arguments.done');
            assert.ok(done, got.types.join(','));
            assert.deepEqual(JSON.parse(done.arguments), { city: 'Oslo' });
            assert.equal(deltas, done.arguments);
            assert.equal(got.types.at(-1), 'response.completed');
            const final = got.events.at(-1).response;
            const item = final.output.find((o) => o.type === 'function_call');
            assert.deepEqual(JSON.parse(item.arguments), { city: 'Oslo' });
            assert.equal(item.call_id, added.item.call_id);
        });

        test('a fault after the first byte ends in response.failed, not a cut connection', async () => {
            resetAll();
            mocks[f].script = { text: 'this answer will not finish because the provider fails', streamError: { afterChunks: 2, status: 500, message: 'upstream broke' } };
            const res = await rawSse(`${gw.url}/v1/responses`, { model: GROUP[f], input: 'fail midway', stream: true },
                { authorization: `Bearer ${gw.masterKey}` });
            assert.equal(res.status, 200);
            assert.equal(res.aborted, false, res.text.slice(-400));
            const evs = res.events.filter((e) => e.json);
            assert.equal(evs[0].json.type, 'response.created');
            const last = evs.at(-1).json;
            assert.equal(last.type, 'response.failed', res.text.slice(-400));
            assert.equal(last.response.status, 'failed');
            assert.ok(last.response.error && last.response.error.message, JSON.stringify(last.response));
            evs.forEach((e, i) => assert.equal(e.json.sequence_number, i));
        });
    });
}

test('a cut connection after the first byte also ends in response.failed', async () => {
    resetAll();
    mocks.openai.script = { text: 'one two three four five six seven', breakAfterChunks: 2 };
    const res = await rawSse(`${gw.url}/v1/responses`, { model: GROUP.openai, input: 'cut me', stream: true },
        { authorization: `Bearer ${gw.masterKey}` });
    assert.equal(res.status, 200);
    const evs = res.events.filter((e) => e.json);
    assert.equal(evs.at(-1).json.type, 'response.failed', res.text.slice(-400));
});

test('/responses (no /v1) is the same route', async () => {
    resetAll();
    mocks.openai.script = { text: 'short path' };
    const res = await request(`${gw.url}/responses`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: GROUP.openai, input: 'hi' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.object, 'response');
    assert.equal(res.json.output[0].content[0].text, 'short path');
});

describe('errors in OpenAI error JSON', () => {
    test('invalid JSON: 400 invalid_request_error, nothing sent upstream', async () => {
        resetAll();
        const res = await request(`${gw.url}/v1/responses`, {
            headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
            body: '{"model": "gpt-test", "input": ',
        });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.error.type, 'invalid_request_error');
        assert.ok(res.json.error.message);
        for (const m of Object.values(mocks)) assert.equal(m.requests.length, 0);
    });

    test('max_output_tokens named twice: 400, as parsers would read it differently', async () => {
        resetAll();
        const res = await request(`${gw.url}/v1/responses`, {
            headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
            body: '{"model":"gpt-test","input":"x","max_output_tokens":5,"max_output_tokens":50000}',
        });
        assert.equal(res.status, 400, res.text);
        assert.match(res.json.error.message, /max_output_tokens/);
        assert.equal(mocks.openai.requests.length, 0);
    });

    test('unknown model: the SDK gets an error naming the model', async () => {
        const err = await rejects(client.responses.create({ model: 'no-such-model', input: 'x' }));
        assert.ok(err.status === 400 || err.status === 404, `status ${err.status}`);
        assert.match(err.message, /no-such-model/);
        assert.ok(err.error && err.error.type, JSON.stringify(err.error));
    });

    test('wrong key: 401, the key not echoed', async () => {
        const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-wrong-key-123456789', maxRetries: 0 });
        const err = await rejects(bad.responses.create({ model: GROUP.openai, input: 'x' }));
        assert.equal(err.status, 401);
        assert.ok(!JSON.stringify(err.error).includes('sk-wrong-key-123456789'));
    });

    for (const tool of ['web_search', 'file_search', 'code_interpreter']) {
        test(`built-in tool ${tool} to a provider without it: 400 naming the tool`, async () => {
            resetAll();
            const spec = tool === 'file_search' ? { type: tool, vector_store_ids: ['vs_1'] }
                : tool === 'code_interpreter' ? { type: tool, container: { type: 'auto' } } : { type: tool };
            const err = await rejects(client.responses.create({ model: GROUP.anthropic, input: 'x', tools: [spec] }));
            assert.equal(err.status, 400);
            assert.match(err.message, new RegExp(tool));
            assert.equal(err.error.type, 'invalid_request_error');
            assert.equal(mocks.anthropic.requests.length, 0);
        });
    }
});

test('usage is charged to the virtual key and logged with ingress responses', async () => {
    const gen = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'responses-spend' } });
    assert.equal(gen.status, 200, gen.text);
    const keyClient = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gen.json.key, maxRetries: 0 });
    resetAll();
    mocks.anthropic.script = { text: 'charged', usage: { prompt: 30, completion: 5 } };
    const a = await keyClient.responses.create({ model: GROUP.anthropic, input: 'charge me' });
    assert.equal(a.usage.input_tokens, 30);
    mocks.openai.script = { text: 'charged in a stream', usage: { prompt: 12, completion: 4 } };
    const s = await collect(await keyClient.responses.create({ model: GROUP.openai, input: 'charge me too', stream: true }));
    assert.equal(s.error, null);
    const expected = (30 + 2 * 5) + (12 + 2 * 4);
    if ('keys' in await gw.status()) {
        let last;
        await waitFor(async () => {
            const info = await request(`${gw.url}/key/info?key=${gen.json.token}`, {
                method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
            last = info.json && info.json.info;
            return last && Math.round(last.lifetime_spend * 1e6) === expected;
        }, { timeoutMs: 30000, intervalMs: 200, what: `key spend ${expected} µ$ (last ${last && last.lifetime_spend})` });
    }
    const lines = () => gw.readLog('requests.log').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    let mine;
    await waitFor(() => (mine = lines().filter((l) => l.ingress === 'responses' && l.tokens_in === 30)).length > 0,
        { timeoutMs: 30000, what: 'request log line of the responses request' });
    assert.equal(mine[0].model, GROUP.anthropic);
    assert.equal(mine[0].provider, 'anthropic');
    assert.equal(mine[0].tokens_out, 5);
    assert.equal(mine[0].status, 200);
    assert.ok(!gw.allLogs().includes(gen.json.key), 'the virtual key is in no log');
});
