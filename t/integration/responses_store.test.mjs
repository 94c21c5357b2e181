// Stored responses of the Responses API: store (default true), the
// previous_response_id follow-up (the stored conversation put in front of
// the new input, for every provider), GET/DELETE /v1/responses/{id} and
// .../input_items, with the real openai SDK and the Agents SDK.  The store
// is the gateway's shared zone: one key never reads another's, entries
// expire after responses_ttl and the oldest go when responses_max_size is
// reached.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { closeAll, startGateway, request, waitFor } from '../lib/index.mjs';
import { startFormatGateways, formatDeployment, KEY_ENV, resetMocks } from '../lib/xlate.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';

const { Agent, Runner, OpenAIProvider, setTracingDisabled } = await import('@openai/agents');
setTracingDisabled(true);

const FORMATS = ['openai', 'anthropic'];
const GROUP = { openai: 'gpt-store', anthropic: 'claude-store' };
const UPSTREAM = { openai: 'upstream-gpt', anthropic: 'upstream-claude' };
let gw, mocks, keys, client;
let small, smallMock, ttl, ttlMock;

function sdk(g, apiKey) {
    return new OpenAI({ baseURL: `${g.url}/v1`, apiKey, maxRetries: 0, timeout: 30000 });
}

/** a gateway of one openai-format group with general_settings */
async function oneGroupGateway(settings) {
    const mock = await startScriptedProvider({ apiKey: keys.openai });
    const g = await startGateway({
        config: {
            model_list: [formatDeployment(GROUP.openai, 'openai', mock, UPSTREAM.openai)],
            router_settings: { num_retries: 0, disable_cooldowns: true },
            general_settings: settings,
        },
        env: { [KEY_ENV.openai]: keys.openai },
    });
    return { g, mock };
}

before(async () => {
    ({ gw, mocks, keys } = await startFormatGateways(FORMATS, GROUP, UPSTREAM));
    client = sdk(gw, gw.masterKey);
    ({ g: small, mock: smallMock } = await oneGroupGateway({
        responses_max_size: '4KB', responses_max_entry_size: '3KB' }));
    ({ g: ttl, mock: ttlMock } = await oneGroupGateway({ responses_ttl: 1 }));
});

after(() => closeAll(gw, small, ttl, ...Object.values(mocks), smallMock, ttlMock));

function resetAll() {
    resetMocks([...Object.values(mocks), smallMock, ttlMock]);
}

async function rawGet(g, path, apiKey, method = 'GET') {
    return request(`${g.url}${path}`, { method, headers: { authorization: `Bearer ${apiKey}` } });
}

async function collect(stream) {
    const events = [];
    for await (const ev of stream) events.push(ev);
    return events;
}

async function newKey(alias) {
    const res = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: alias } });
    assert.equal(res.status, 200, res.text);
    const key = res.json.key;
    await waitFor(async () => (await rawGet(gw, '/v1/models', key)).status === 200,
                  { what: `key ${alias} published` });
    return key;
}

/** the chat messages an openai-format provider got, as [role, text] */
function openaiTurns(rec) {
    return rec.body.messages.map((m) => [m.role,
        typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('')]);
}

/** OpenAI's answers: 404 for a route's id, 400 for previous_response_id */
function assertNotFound(res, id, param, code) {
    const previous = param === 'previous_response_id';
    assert.equal(res.status, previous ? 400 : 404, res.text);
    assert.deepEqual(res.json, { error: {
        message: `${previous ? 'Previous response' : 'Response'} with id '${id}' not found.`,
        type: 'invalid_request_error', param, code } });
}

describe('stored responses', () => {
    test('store by default: retrieve returns the response; previous_response_id prepends input and output', async () => {
        resetAll();
        mocks.openai.script = { text: 'Paris.' };
        const first = await client.responses.create({ model: GROUP.openai, input: 'Capital of France?' });
        assert.match(first.id, /^resp_[0-9a-f]{32}$/);
        assert.equal(first.store, true);

        const got = await client.responses.retrieve(first.id);
        assert.equal(got.id, first.id);
        assert.equal(got.object, 'response');
        assert.equal(got.output_text, 'Paris.');
        assert.deepEqual(got.output, first.output);

        mocks.openai.reset();
        mocks.openai.script = { text: 'Madrid.' };
        const second = await client.responses.create({
            model: GROUP.openai, previous_response_id: first.id, input: 'And of Spain?' });
        assert.equal(second.output_text, 'Madrid.');
        assert.equal(second.previous_response_id, first.id);
        assert.notEqual(second.id, first.id);
        assert.equal(mocks.openai.requests.length, 1);
        assert.deepEqual(openaiTurns(mocks.openai.requests[0]), [
            ['user', 'Capital of France?'], ['assistant', 'Paris.'], ['user', 'And of Spain?']]);

        // a chain: the third turn carries both earlier ones
        mocks.openai.reset();
        mocks.openai.script = { text: 'Rome.' };
        await client.responses.create({ model: GROUP.openai, previous_response_id: second.id,
                                        input: [{ role: 'user', content: 'And Italy?' }] });
        assert.deepEqual(openaiTurns(mocks.openai.requests[0]).map(([r]) => r),
                         ['user', 'assistant', 'user', 'assistant', 'user']);

        // input_items: the request's items with the earlier conversation
        const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
        assert.deepEqual(items.data.map((i) => i.role), ['user', 'assistant', 'user']);
        assert.equal(items.data[0].content[0].text, 'Capital of France?');
        assert.equal(items.data[2].content[0].text, 'And of Spain?');
        const page = await rawGet(gw, `/v1/responses/${second.id}/input_items?limit=1`, gw.masterKey);
        assert.equal(page.status, 200, page.text);
        assert.equal(page.json.object, 'list');
        assert.equal(page.json.data.length, 1);
        assert.equal(page.json.has_more, true);
        assert.equal(page.json.first_id, page.json.last_id);
        assert.equal(page.json.data[0].content[0].text, 'And of Spain?', 'newest first by default');
        const bad = await rawGet(gw, `/v1/responses/${second.id}/input_items?order=up`, gw.masterKey);
        assert.equal(bad.status, 400, bad.text);
        assert.match(bad.json.error.message, /order/);
        // the same routes without /v1
        assert.equal((await rawGet(gw, `/responses/${second.id}`, gw.masterKey)).json.id, second.id);
    });

    test('the stored conversation goes to another provider translated (openai answer -> anthropic follow-up)', async () => {
        resetAll();
        mocks.openai.script = { text: 'Blue.' };
        const first = await client.responses.create({ model: GROUP.openai, input: 'Sky colour?' });
        mocks.anthropic.script = { text: 'Green.' };
        const second = await client.responses.create({
            model: GROUP.anthropic, previous_response_id: first.id, input: 'Grass colour?' });
        assert.equal(second.output_text, 'Green.');
        const body = mocks.anthropic.requests[0].body;
        assert.deepEqual(body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
        const text = (m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''));
        assert.deepEqual(body.messages.map(text), ['Sky colour?', 'Blue.', 'Grass colour?']);
    });

    test('a tool round trip continued with previous_response_id: the call comes back before its output', async () => {
        resetAll();
        const tool = { type: 'function', name: 'get_weather', strict: false,
                       parameters: { type: 'object', properties: { city: { type: 'string' } } } };
        mocks.openai.script = { toolCalls: [{ id: 'call_p1', name: 'get_weather', args: { city: 'Paris' } }] };
        const first = await client.responses.create({ model: GROUP.openai, input: 'Weather in Paris?', tools: [tool] });
        const call = first.output.find((o) => o.type === 'function_call');
        assert.equal(call.call_id, 'call_p1');

        mocks.openai.reset();
        mocks.openai.script = { text: 'Sunny in Paris.' };
        const second = await client.responses.create({
            model: GROUP.openai, previous_response_id: first.id, tools: [tool],
            input: [{ type: 'function_call_output', call_id: 'call_p1', output: '{"sky":"clear"}' }] });
        assert.equal(second.output_text, 'Sunny in Paris.');
        const msgs = mocks.openai.requests[0].body.messages;
        assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'tool']);
        assert.equal(msgs[1].tool_calls[0].id, 'call_p1');
        assert.equal(msgs[1].tool_calls[0].function.name, 'get_weather');
        assert.equal(msgs[2].tool_call_id, 'call_p1');
        assert.equal(msgs[2].content, '{"sky":"clear"}');
    });

    test('a streamed answer is stored too', async () => {
        resetAll();
        mocks.anthropic.script = { text: 'Streamed and kept.' };
        const events = await collect(await client.responses.create({
            model: GROUP.anthropic, input: 'stream it', stream: true }));
        const done = events.find((e) => e.type === 'response.completed');
        assert.ok(done, events.map((e) => e.type).join(','));
        const got = await client.responses.retrieve(done.response.id);
        assert.equal(got.output_text, 'Streamed and kept.');
        assert.equal(got.status, 'completed');

        mocks.anthropic.reset();
        mocks.anthropic.script = { text: 'ok' };
        await collect(await client.responses.create({
            model: GROUP.anthropic, input: 'next', stream: true, previous_response_id: done.response.id }));
        const text = (m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''));
        assert.deepEqual(mocks.anthropic.requests[0].body.messages.map(text),
                         ['stream it', 'Streamed and kept.', 'next']);
    });

    test('store: false is not stored', async () => {
        resetAll();
        mocks.openai.script = { text: 'forget me' };
        const res = await client.responses.create({ model: GROUP.openai, input: 'x', store: false });
        assert.equal(res.store, false);
        assertNotFound(await rawGet(gw, `/v1/responses/${res.id}`, gw.masterKey), res.id, null, null);
    });

    test('unknown ids: OpenAI\'s errors, 404 for retrieve, delete and input_items, 400 for previous_response_id', async () => {
        resetAll();
        const id = 'resp_doesnotexist';
        await assert.rejects(client.responses.retrieve(id), (e) => e.status === 404);
        assertNotFound(await rawGet(gw, `/v1/responses/${id}`, gw.masterKey), id, null, null);
        assertNotFound(await rawGet(gw, `/v1/responses/${id}`, gw.masterKey, 'DELETE'), id, null, null);
        assertNotFound(await rawGet(gw, `/v1/responses/${id}/input_items`, gw.masterKey), id, null, null);
        const res = await request(`${gw.url}/v1/responses`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: GROUP.openai, input: 'hi', previous_response_id: id } });
        assertNotFound(res, id, 'previous_response_id', 'previous_response_not_found');
        assert.equal(mocks.openai.requests.length, 0, 'nothing was sent to the provider');
        await assert.rejects(client.responses.create({ model: GROUP.openai, input: 'hi', previous_response_id: id }),
                             (e) => e.status === 400 && e.code === 'previous_response_not_found');
        // no key: 401 as on every route
        const anon = await request(`${gw.url}/v1/responses/${id}`, { method: 'GET' });
        assert.equal(anon.status, 401);
    });

    test('delete: the SDK\'s responses.delete, then the response is gone', async () => {
        resetAll();
        mocks.openai.script = { text: 'short-lived' };
        const res = await client.responses.create({ model: GROUP.openai, input: 'x' });
        await client.responses.delete(res.id);
        assertNotFound(await rawGet(gw, `/v1/responses/${res.id}`, gw.masterKey), res.id, null, null);

        const again = await client.responses.create({ model: GROUP.openai, input: 'y' });
        const del = await rawGet(gw, `/v1/responses/${again.id}`, gw.masterKey, 'DELETE');
        assert.equal(del.status, 200, del.text);
        assert.deepEqual(del.json, { id: again.id, object: 'response', deleted: true });
    });

    test('one virtual key cannot read, continue or delete another key\'s (or the master key\'s) responses', async () => {
        resetAll();
        const k1 = await newKey('store-k1');
        const k2 = await newKey('store-k2');
        mocks.openai.script = { text: 'mine' };
        const c1 = sdk(gw, k1);
        const mine = await c1.responses.create({ model: GROUP.openai, input: 'secret' });
        assert.equal((await c1.responses.retrieve(mine.id)).output_text, 'mine');

        for (const [who, key] of [['k2', k2], ['master', gw.masterKey]]) {
            assertNotFound(await rawGet(gw, `/v1/responses/${mine.id}`, key), mine.id, null, null);
            assertNotFound(await rawGet(gw, `/v1/responses/${mine.id}/input_items`, key), mine.id, null, null);
            assertNotFound(await rawGet(gw, `/v1/responses/${mine.id}`, key, 'DELETE'), mine.id, null, null);
            const res = await request(`${gw.url}/v1/responses`, {
                headers: { authorization: `Bearer ${key}` },
                body: { model: GROUP.openai, input: 'hi', previous_response_id: mine.id } });
            assertNotFound(res, mine.id, 'previous_response_id', 'previous_response_not_found');
            assert.equal(mocks.openai.requests.length, 1, `${who}: nothing sent upstream`);
        }
        // still there for its owner
        assert.equal((await c1.responses.retrieve(mine.id)).output_text, 'mine');

        const master = await client.responses.create({ model: GROUP.openai, input: 'master' });
        await assert.rejects(c1.responses.retrieve(master.id), (e) => e.status === 404);
    });

    test('the Agents SDK continues a run with previousResponseId', async () => {
        resetAll();
        const runner = new Runner({
            modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }),
            tracingDisabled: true,
        });
        const agent = new Agent({ name: 'Memo', instructions: 'Remember things.', model: GROUP.openai });
        mocks.openai.script = { text: 'Noted: 42.' };
        const one = await runner.run(agent, 'Remember the number 42.');
        assert.equal(one.finalOutput, 'Noted: 42.');
        assert.match(one.lastResponseId, /^resp_/);

        mocks.openai.reset();
        mocks.openai.script = { text: 'It was 42.' };
        const two = await runner.run(agent, 'What was the number?', { previousResponseId: one.lastResponseId });
        assert.equal(two.finalOutput, 'It was 42.');
        const turns = openaiTurns(mocks.openai.requests[0]);
        assert.deepEqual(turns.filter(([r]) => r !== 'system'), [
            ['user', 'Remember the number 42.'], ['assistant', 'Noted: 42.'], ['user', 'What was the number?']]);
    });
});

describe('input token count', () => {
    // POST /v1/responses/input_tokens answers as count_tokens does: the
    // gateway's estimate (no provider counts Responses input), said so in
    // x-llm-token-count, nothing sent upstream
    test('the SDK\'s responses.inputTokens.count: the estimate, in OpenAI\'s shape, for both paths', async () => {
        resetAll();
        const short = await client.responses.inputTokens.count({ model: GROUP.openai, input: 'hi' });
        assert.equal(short.object, 'response.input_tokens');
        assert.ok(Number.isInteger(short.input_tokens) && short.input_tokens > 0, JSON.stringify(short));
        const long = await client.responses.inputTokens.count({
            model: GROUP.anthropic, instructions: 'Be brief.',
            input: [{ role: 'user', content: [{ type: 'input_text', text: 'count these words '.repeat(50) }] }],
        });
        assert.ok(long.input_tokens > short.input_tokens + 100, `${long.input_tokens} vs ${short.input_tokens}`);
        const raw = await request(`${gw.url}/responses/input_tokens`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: GROUP.openai, input: 'hi' } });
        assert.equal(raw.status, 200, raw.text);
        assert.equal(raw.headers['x-llm-token-count'], 'estimate');
        assert.deepEqual(raw.json, short);
        for (const m of Object.values(mocks)) assert.equal(m.requests.length, 0, 'nothing went upstream');
        const unknown = await request(`${gw.url}/v1/responses/input_tokens`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: 'no-such-model', input: 'hi' } });
        assert.equal(unknown.status, 404, unknown.text);
        assert.match(unknown.json.error.message, /no-such-model/);
    });
});

describe('bounds', () => {
    test('responses_max_size: the oldest are evicted first; an entry over responses_max_entry_size is not kept', async () => {
        resetAll();
        const c = sdk(small, small.masterKey);
        smallMock.script = { text: 'ok' };
        const ids = [];
        for (let i = 0; i < 12; i++) {
            ids.push((await c.responses.create({ model: GROUP.openai, input: `turn ${i}` })).id);
        }
        assertNotFound(await rawGet(small, `/v1/responses/${ids[0]}`, small.masterKey), ids[0], null, null);
        const last = await rawGet(small, `/v1/responses/${ids[11]}`, small.masterKey);
        assert.equal(last.status, 200, last.text);
        const kept = [];
        for (const id of ids) kept.push((await rawGet(small, `/v1/responses/${id}`, small.masterKey)).status);
        // what is kept is the newest ones, in one run at the end
        const firstKept = kept.indexOf(200);
        assert.ok(firstKept > 0, kept.join(','));
        assert.deepEqual(kept.slice(firstKept), kept.slice(firstKept).map(() => 200), kept.join(','));

        const big = await c.responses.create({ model: GROUP.openai, input: 'x'.repeat(5000) });
        assert.equal(big.output_text, 'ok', 'answered even though not kept');
        assertNotFound(await rawGet(small, `/v1/responses/${big.id}`, small.masterKey), big.id, null, null);
        // and the ones already kept were not pushed out for it
        assert.equal((await rawGet(small, `/v1/responses/${ids[11]}`, small.masterKey)).status, 200);
    });

    test('responses_ttl: a response expires', async () => {
        resetAll();
        const c = sdk(ttl, ttl.masterKey);
        ttlMock.script = { text: 'brief' };
        const res = await c.responses.create({ model: GROUP.openai, input: 'x' });
        await waitFor(async () => (await rawGet(ttl, `/v1/responses/${res.id}`, ttl.masterKey)).status === 404,
                      { timeoutMs: 20000, intervalMs: 200, what: 'the response to expire' });
        const follow = await request(`${ttl.url}/v1/responses`, {
            headers: { authorization: `Bearer ${ttl.masterKey}` },
            body: { model: GROUP.openai, input: 'hi', previous_response_id: res.id } });
        assertNotFound(follow, res.id, 'previous_response_id', 'previous_response_not_found');
    });
});
