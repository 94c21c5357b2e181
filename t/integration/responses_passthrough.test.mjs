// The Responses API passed through to providers that have it (OpenAI,
// Azure): the body as the client sent it with only `model` rewritten, the
// provider's own ids, storage and typed events; usage and spend read from
// its answer; follow-ups (previous_response_id) and GET/DELETE/input_items
// routed to the deployment (provider account) that made the response, for
// the key that made it only.  Deployments without it (an OpenAI-compatible
// api_base, Anthropic) are translated as before.  Real openai SDK.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { sample } from '../lib/prom.mjs';
import { runCodex, codexInstalled } from '../lib/codex.mjs';
import { closeAll, startGateway, startMockProvider, request, waitFor, makeSecret, deployment,
    openaiDeployment } from '../lib/index.mjs';

const IN_COST = 0.000002;
const OUT_COST = 0.00001;
const PRICES = { input_cost_per_token: IN_COST, output_cost_per_token: OUT_COST };

let gw, oa, oa2, az, ant, keys;

function sdk(apiKey) {
    return new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0, timeout: 30000 });
}

before(async () => {
    keys = { oa: makeSecret('sk-oa-'), oa2: makeSecret('sk-oa2-'), az: makeSecret('az-'), ant: makeSecret('sk-ant-') };
    oa = await startMockProvider({ apiKey: keys.oa });
    oa2 = await startMockProvider({ apiKey: keys.oa2 });
    az = await startMockProvider({ apiKey: keys.az });
    ant = await startMockProvider({ apiKey: keys.ant });
    const pass = { use_chat_completions_api: false, ...PRICES };
    const azure = (name, params) => deployment(name, 'azure/my-deploy', {
        api_base: az.url, api_key: 'os.environ/AZURE_API_KEY', ...params });
    const modelList = [
        openaiDeployment('gpt-pass', oa, 'gpt-up', pass, 'OA_KEY'),
        // two provider accounts behind one group
        openaiDeployment('gpt-two', oa, 'gpt-up', pass, 'OA_KEY'),
        openaiDeployment('gpt-two', oa2, 'gpt-up', pass, 'OA2_KEY'),
        // a provider that fails: input_tokens falls back to the estimate
        openaiDeployment('gpt-fail', oa, 'fault-500', pass, 'OA_KEY'),
        // an OpenAI-compatible server: chat completions only
        openaiDeployment('gpt-chat', oa, 'gpt-up', {}, 'OA_KEY'),
        azure('az-pass', { api_version: '2025-04-01-preview', ...PRICES }),
        azure('az-v1', {}),
        azure('az-chat', { use_chat_completions_api: true }),
        deployment('claude', 'anthropic/claude-up', { api_base: ant.url, api_key: 'os.environ/ANTHROPIC_API_KEY' }),
    ];
    gw = await startGateway({
        config: {
            model_list: modelList,
            router_settings: { num_retries: 0, disable_cooldowns: true },
        },
        env: { OA_KEY: keys.oa, OA2_KEY: keys.oa2, AZURE_API_KEY: keys.az, ANTHROPIC_API_KEY: keys.ant },
    });
});

after(() => closeAll(gw, oa, oa2, az, ant));

function reset() {
    for (const m of [oa, oa2, az, ant]) m.reset();
}

async function newKey(alias) {
    const res = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: alias } });
    assert.equal(res.status, 200, res.text);
    await waitFor(async () => (await request(`${gw.url}/v1/models`, {
        method: 'GET', headers: { authorization: `Bearer ${res.json.key}` } })).status === 200,
    { what: `key ${alias} published` });
    return res.json;
}

async function spendOf(token) {
    const info = await request(`${gw.url}/key/info?key=${token}`, {
        method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
    return info.json?.info?.lifetime_spend;
}

const micros = (u) => Math.round(u.input_tokens * IN_COST * 1e6) + Math.round(u.output_tokens * OUT_COST * 1e6);

describe('passthrough to OpenAI', () => {
    test('the body goes as sent, model rewritten; the answer and its id are the provider\'s', async () => {
        reset();
        const raw = '{"model": "gpt-pass",\n "input": "Say hi",  "x_future_field": {"keep": [1, 2.50, "\\u00e9"]},'
            + ' "reasoning": {"effort": "low"}, "tools": [{"type": "web_search"}]}';
        const res = await request(`${gw.url}/v1/responses`, {
            headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' }, body: raw });
        assert.equal(res.status, 200, res.text);
        assert.equal(oa.requests.length, 1);
        const rec = oa.requests[0];
        assert.equal(rec.method, 'POST');
        assert.equal(rec.path, '/v1/responses');
        assert.equal(rec.rawBody, raw.replace('"model": "gpt-pass"', '"model": "gpt-up"'));
        assert.equal(rec.headers.authorization, `Bearer ${keys.oa}`);
        assert.equal(res.json.id, rec.response.responseId, 'the provider\'s own id');
        assert.deepEqual(res.json, rec.response.body, 'the answer as the provider sent it');
        assert.match(res.headers['x-litellm-response-cost'], /^[0-9.]+$/);
        assert.equal(Math.round(Number(res.headers['x-litellm-response-cost']) * 1e6), micros(res.json.usage));
    });

    test('a stream passes through event by event; no stream_options added', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const events = [];
        for await (const ev of await client.responses.create({ model: 'gpt-pass', input: 'Stream it', stream: true })) {
            events.push(ev);
        }
        const rec = oa.requests[0];
        assert.equal(rec.path, '/v1/responses');
        assert.equal(rec.body.stream, true);
        assert.equal(rec.body.stream_options, undefined);
        assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
        assert.equal(events[0].type, 'response.created');
        const done = events.at(-1);
        assert.equal(done.type, 'response.completed');
        assert.equal(done.response.id, rec.response.responseId);
        assert.equal(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''),
                     rec.response.text);
    });

    test('spend and usage come from the provider\'s answers, JSON and stream', async () => {
        reset();
        const k = await newKey('pass-spend');
        const client = sdk(k.key);
        const tokens = async (name) => sample((await request(`${gw.url}/metrics`, {
            method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } })).text, name,
        { model_group: 'gpt-pass' }) ?? 0;
        const inBefore = await tokens('llm_input_tokens_total');
        const outBefore = await tokens('llm_output_tokens_total');
        const first = await client.responses.create({ model: 'gpt-pass', input: 'charge me' });
        let expected = micros(first.usage);
        let final;
        for await (const ev of await client.responses.create({ model: 'gpt-pass', input: 'charge me more', stream: true })) {
            if (ev.type === 'response.completed') final = ev.response;
        }
        expected += micros(final.usage);
        assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0);
        let last;
        await waitFor(async () => {
            last = await spendOf(k.token);
            return last !== undefined && Math.round(last * 1e6) === expected;
        }, { timeoutMs: 10000, intervalMs: 200, what: `key spend ${expected} µ$ (last ${last})` });
        assert.equal(await tokens('llm_input_tokens_total') - inBefore,
                     first.usage.input_tokens + final.usage.input_tokens);
        assert.equal(await tokens('llm_output_tokens_total') - outBefore,
                     first.usage.output_tokens + final.usage.output_tokens);
    });

    test('follow-ups, retrieve, input items and delete reach the provider, for the key that made it', async () => {
        reset();
        const owner = await newKey('pass-owner');
        const other = await newKey('pass-other');
        const client = sdk(owner.key);
        const first = await client.responses.create({ model: 'gpt-pass', input: 'Capital of France?' });
        assert.match(first.id, /^resp_[0-9a-f]{48}$/, 'OpenAI\'s id, not the gateway\'s');

        const second = await client.responses.create({ model: 'gpt-pass', input: 'And Spain?',
                                                       previous_response_id: first.id });
        assert.equal(oa.requests[1].body.previous_response_id, first.id, 'sent as it came');
        assert.equal(oa.requests[1].body.input, 'And Spain?', 'nothing prepended');
        assert.equal(second.previous_response_id, first.id);

        oa.reset();
        const got = await client.responses.retrieve(first.id);
        assert.equal(got.id, first.id);
        assert.equal(oa.requests[0].method, 'GET');
        assert.equal(oa.requests[0].path, `/v1/responses/${first.id}`);
        assert.equal(oa.requests[0].headers.authorization, `Bearer ${keys.oa}`);

        const items = await client.responses.inputItems.list(first.id, { limit: 5, order: 'asc' });
        assert.equal(oa.requests[1].path, `/v1/responses/${first.id}/input_items`);
        assert.deepEqual(oa.requests[1].query, { limit: '5', order: 'asc' });
        assert.equal(items.data[0].content[0].text, 'Capital of France?');

        // reading back costs nothing: the spend is the three answers'
        const third = await client.responses.create({ model: 'gpt-pass', input: 'And Italy?' });
        const expected = micros(first.usage) + micros(second.usage) + micros(third.usage);
        let last;
        await waitFor(async () => {
            last = await spendOf(owner.token);
            return last !== undefined && Math.round(last * 1e6) === expected;
        }, { timeoutMs: 10000, intervalMs: 200, what: `key spend ${expected} µ$ (last ${last})` });

        // another key: the same answers as for an id never seen, nothing sent
        oa.reset();
        const intruder = sdk(other.key);
        for (const call of [() => intruder.responses.retrieve(first.id), () => intruder.responses.delete(first.id),
            () => intruder.responses.inputItems.list(first.id)]) {
            await assert.rejects(call(), (e) => e.status === 404
                && e.error?.message === `Response with id '${first.id}' not found.`);
        }
        await assert.rejects(intruder.responses.create({ model: 'gpt-pass', input: 'x', previous_response_id: first.id }),
            (e) => e.status === 400 && e.code === 'previous_response_not_found');
        assert.equal(oa.requests.length, 0);

        // delete: the provider deletes it, and then answers 404 itself
        await client.responses.delete(first.id);
        assert.equal(oa.requests[0].method, 'DELETE');
        assert.equal(oa.requests[0].path, `/v1/responses/${first.id}`);
        await assert.rejects(client.responses.retrieve(first.id), (e) => e.status === 404);
        assert.equal(oa.requests[1].path, `/v1/responses/${first.id}`);
    });

    test('cancel of a background response reaches the provider; only for its key', async () => {
        reset();
        const owner = await newKey('cancel-owner');
        const other = await newKey('cancel-other');
        const client = sdk(owner.key);
        const bg = await client.responses.create({ model: 'gpt-pass', input: 'long job', background: true });
        assert.equal(bg.status, 'queued');
        await assert.rejects(sdk(other.key).responses.cancel(bg.id), (e) => e.status === 404);
        assert.equal(oa.requests.length, 1);
        const cancelled = await client.responses.cancel(bg.id);
        assert.equal(cancelled.status, 'cancelled');
        assert.equal(oa.requests[1].method, 'POST');
        assert.equal(oa.requests[1].path, `/v1/responses/${bg.id}/cancel`);

        // not a background one: the provider's 400; a translated one: ours
        const plain = await client.responses.create({ model: 'gpt-pass', input: 'quick' });
        await assert.rejects(client.responses.cancel(plain.id), (e) => e.status === 400 && /background/.test(e.message));
        const translated = await client.responses.create({ model: 'claude', input: 'quick' });
        await assert.rejects(client.responses.cancel(translated.id), (e) => e.status === 400 && /background/.test(e.message));
    });

    test('GET ?stream=true of a background stream: the provider\'s events again, after starting_after', async () => {
        reset();
        const owner = await newKey('restream-owner');
        const other = await newKey('restream-other');
        const client = sdk(owner.key);
        const first = [];
        for await (const ev of await client.responses.create({ model: 'gpt-pass', input: 'a long story',
                                                               background: true, stream: true })) {
            first.push(ev);
        }
        const id = first.at(-1).response.id;
        assert.equal(first.at(-1).type, 'response.completed');

        oa.reset();
        const again = [];
        for await (const ev of await client.responses.retrieve(id, { stream: true, starting_after: 3 })) {
            again.push(ev);
        }
        const rec = oa.requests[0];
        assert.equal(rec.method, 'GET');
        assert.equal(rec.path, `/v1/responses/${id}`);
        assert.deepEqual(rec.query, { stream: 'true', starting_after: '3' });
        assert.equal(rec.headers.authorization, `Bearer ${keys.oa}`);
        assert.ok(again.length > 3, 'the events after number 3');
        assert.deepEqual(again.map((e) => e.sequence_number), rec.response.replayed);
        assert.deepEqual(again, first.filter((e) => e.sequence_number > 3), 'as the provider sent them');

        // from the start, without starting_after
        const all = [];
        for await (const ev of await client.responses.retrieve(id, { stream: true })) all.push(ev);
        assert.deepEqual(all, first);
        assert.deepEqual(oa.requests[1].query, { stream: 'true' });

        // another key: 404, nothing sent
        await assert.rejects(sdk(other.key).responses.retrieve(id, { stream: true }), (e) => e.status === 404);
        assert.equal(oa.requests.length, 2);

        // not a background one: the provider's 400 as it sent it; a
        // gateway-stored (translated) one: ours, nothing sent upstream
        const plain = await client.responses.create({ model: 'gpt-pass', input: 'quick' });
        await assert.rejects(client.responses.retrieve(plain.id, { stream: true }),
            (e) => e.status === 400 && e.error?.message === oa.requests.at(-1).response.error.error.message);
        const translated = await client.responses.create({ model: 'claude', input: 'quick' });
        ant.reset();
        await assert.rejects(client.responses.retrieve(translated.id, { stream: true }),
            (e) => e.status === 400 && e.error?.message === 'Only responses created with background=true can be streamed.');
        assert.equal(ant.requests.length, 0);
        assert.equal((await client.responses.retrieve(translated.id)).id, translated.id, 'as JSON it is there');
    });

    test('a follow-up goes to the provider account that made the response', async () => {
        reset();
        const client = sdk(gw.masterKey);
        let prev = await client.responses.create({ model: 'gpt-two', input: 'turn 0' });
        const maker = oa.requests.length ? oa : oa2;
        const otherMock = maker === oa ? oa2 : oa;
        assert.equal(maker.requests.length, 1);
        for (let i = 1; i <= 4; i++) {
            prev = await client.responses.create({ model: 'gpt-two', input: `turn ${i}`, previous_response_id: prev.id });
        }
        assert.equal(maker.requests.length, 5);
        assert.equal(otherMock.requests.length, 0);

        // a group without a deployment on that account cannot continue it
        const res = await request(`${gw.url}/v1/responses`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'claude', input: 'x', previous_response_id: prev.id } });
        assert.equal(res.status, 400, res.text);
        assert.match(res.json.error.message, /same provider account/);
        assert.equal(ant.requests.length, 0);
    });
});

describe('input token count at the provider', () => {
    test('responses.inputTokens.count: OpenAI and Azure count; the body goes with model rewritten', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const params = { model: 'gpt-pass', instructions: 'Be brief.', input: [{ role: 'user', content: 'count me please' }] };
        const got = await client.responses.inputTokens.count(params);
        const rec = oa.requests[0];
        assert.equal(rec.method, 'POST');
        assert.equal(rec.path, '/v1/responses/input_tokens');
        assert.equal(rec.headers.authorization, `Bearer ${keys.oa}`);
        assert.deepEqual(rec.body, { ...params, model: 'gpt-up' });
        assert.deepEqual(got, { object: 'response.input_tokens', input_tokens: rec.response.inputTokens });

        const raw = await request(`${gw.url}/v1/responses/input_tokens`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: 'az-pass', input: 'hello azure' } });
        assert.equal(raw.status, 200, raw.text);
        assert.equal(raw.headers['x-llm-token-count'], 'provider');
        const arec = az.requests[0];
        assert.equal(arec.path, '/openai/responses/input_tokens');
        assert.deepEqual(arec.query, { 'api-version': '2025-04-01-preview' });
        assert.equal(arec.headers['api-key'], keys.az);
        assert.equal(arec.body.model, 'my-deploy');
        assert.deepEqual(raw.json, { object: 'response.input_tokens', input_tokens: arec.response.inputTokens });

        const v1 = await sdk(gw.masterKey).responses.inputTokens.count({ model: 'az-v1', input: 'v1' });
        assert.equal(az.requests[1].path, '/openai/v1/responses/input_tokens');
        assert.equal(v1.input_tokens, az.requests[1].response.inputTokens);
    });

    test('the client\'s 4xx comes back as the provider said it; a failing provider gives the estimate', async () => {
        reset();
        const bad = await request(`${gw.url}/v1/responses/input_tokens`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: 'gpt-pass', input: 42 } });
        assert.equal(bad.status, 400, bad.text);
        assert.deepEqual(bad.json, oa.requests[0].response.error);

        const failed = await request(`${gw.url}/v1/responses/input_tokens`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: 'gpt-fail', input: 'hi there' } });
        assert.equal(oa.requests[1].path, '/v1/responses/input_tokens');
        assert.equal(oa.requests[1].response.status, 500);
        assert.equal(failed.status, 200, failed.text);
        assert.equal(failed.headers['x-llm-token-count'], 'estimate; the provider failed');
        assert.equal(failed.json.object, 'response.input_tokens');
        assert.ok(Number.isInteger(failed.json.input_tokens) && failed.json.input_tokens > 0);

        // a translated deployment: the estimate, nothing sent
        ant.reset();
        const est = await request(`${gw.url}/v1/responses/input_tokens`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { model: 'claude', input: 'hi there' } });
        assert.equal(est.headers['x-llm-token-count'], 'estimate');
        assert.equal(est.json.input_tokens, failed.json.input_tokens, 'the same estimate');
        assert.equal(ant.requests.length, 0);
    });
});

describe('passthrough failures', () => {
    test('a stream the provider breaks off ends with an error event; nothing is kept', async () => {
        reset();
        const id = 'resp_' + 'b'.repeat(48);
        oa.onRequest = async (ctx) => {
            ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
            ctx.res.write(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created',
                sequence_number: 0, response: { id, object: 'response', status: 'in_progress', output: [] } })}\n\n`);
            setTimeout(() => ctx.req.socket.destroy(), 50);
            return true;
        };
        const client = sdk(gw.masterKey);
        const seen = [];
        try {
            await assert.rejects(async () => {
                for await (const ev of await client.responses.create({ model: 'gpt-pass', input: 'x', stream: true })) {
                    seen.push(ev.type);
                }
            }, /broke off/);
        } finally {
            oa.onRequest = null;
        }
        assert.deepEqual(seen, ['response.created']);
        await assert.rejects(client.responses.retrieve(id), (e) => e.status === 404);
        assert.equal(oa.requests.length, 1, 'the retrieve did not go upstream');
    });

    test('the provider\'s error answers come back as it sent them', async () => {
        reset();
        const client = sdk(gw.masterKey);
        await assert.rejects(client.responses.create({ model: 'gpt-pass', input: 'x', temperature: 7 }),
            (e) => e.status === 400 && /temperature/.test(e.message));
        assert.equal(oa.requests.length, 1);
    });
});

describe('Codex CLI through the passthrough', () => {
    test('codex exec with web_search left on: the request reaches OpenAI with its built-in tool', {
        skip: !codexInstalled() && 'codex not installed', timeout: 180000 }, async () => {
        reset();
        const r = await runCodex({ baseUrl: gw.url, key: gw.masterKey, model: 'gpt-pass', prompt: 'Say hello',
                                   webSearch: null, timeoutMs: 150000 });
        assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr.slice(-1500)}`);
        const posts = oa.requests.filter((q) => q.method === 'POST');
        assert.ok(posts.length >= 1);
        assert.ok(posts.every((q) => q.path === '/v1/responses'), posts.map((q) => q.path).join(','));
        const body = posts[0].body;
        assert.equal(body.model, 'gpt-up');
        assert.equal(body.stream, true);
        assert.ok(body.tools.some((t) => t.type === 'web_search'), JSON.stringify(body.tools.map((t) => t.type)));
        assert.match(r.lastMessage ?? r.stdout, /Mock reply from gpt-up/);
    });
});

describe('passthrough to Azure', () => {
    test('a dated api-version: /openai/responses?api-version=V, the deployment as model, api-key', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const r = await client.responses.create({ model: 'az-pass', input: 'Hello Azure', metadata: { a: 'b' } });
        const rec = az.requests[0];
        assert.equal(rec.path, '/openai/responses');
        assert.deepEqual(rec.query, { 'api-version': '2025-04-01-preview' });
        assert.equal(rec.headers['api-key'], keys.az);
        assert.equal(rec.headers.authorization, undefined);
        assert.equal(rec.body.model, 'my-deploy');
        assert.deepEqual(rec.body.metadata, { a: 'b' });
        assert.equal(r.id, rec.response.responseId);

        const got = await client.responses.retrieve(r.id);
        assert.equal(got.id, r.id);
        assert.equal(az.requests[1].path, `/openai/responses/${r.id}`);
        assert.deepEqual(az.requests[1].query, { 'api-version': '2025-04-01-preview' });

        // a background stream again: same deployment, key and api-version
        const bg = [];
        for await (const ev of await client.responses.create({ model: 'az-pass', input: 'bg', background: true,
                                                               stream: true })) {
            bg.push(ev);
        }
        az.reset();
        const again = [];
        const id = bg.at(-1).response.id;
        for await (const ev of await client.responses.retrieve(id, { stream: true, starting_after: 5 })) {
            again.push(ev);
        }
        assert.equal(az.requests[0].path, `/openai/responses/${id}`);
        assert.deepEqual(az.requests[0].query, { 'api-version': '2025-04-01-preview', stream: 'true',
                                                 starting_after: '5' });
        assert.equal(az.requests[0].headers['api-key'], keys.az);
        assert.deepEqual(again, bg.filter((e) => e.sequence_number > 5));
    });

    test('an older api-version uses the v1 API: /openai/v1/responses; a stream', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const types = [];
        for await (const ev of await client.responses.create({ model: 'az-v1', input: 'v1 please', stream: true })) {
            types.push(ev.type);
        }
        assert.equal(az.requests[0].path, '/openai/v1/responses');
        assert.deepEqual(az.requests[0].query, {});
        assert.equal(types[0], 'response.created');
        assert.equal(types.at(-1), 'response.completed');
    });

    test('use_chat_completions_api: true translates to the deployment\'s chat completions', async () => {
        reset();
        const r = await sdk(gw.masterKey).responses.create({ model: 'az-chat', input: 'chat please' });
        assert.equal(az.requests[0].path, '/openai/deployments/my-deploy/chat/completions');
        assert.match(r.id, /^resp_[0-9a-f]{32}$/);
    });
});

describe('translated deployments as before', () => {
    test('an openai/ deployment with a custom api_base gets chat completions; the gateway stores', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const r = await client.responses.create({ model: 'gpt-chat', input: 'Via chat' });
        assert.equal(oa.requests[0].path, '/v1/chat/completions');
        assert.match(r.id, /^resp_[0-9a-f]{32}$/, 'the gateway\'s id');
        const got = await client.responses.retrieve(r.id);
        assert.equal(got.id, r.id);
        assert.equal(oa.requests.length, 1, 'read from the gateway\'s store');
    });

    test('Anthropic: translated and stored by the gateway', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const r = await client.responses.create({ model: 'claude', input: 'Hello Claude' });
        assert.equal(ant.requests[0].path, '/v1/messages');
        assert.match(r.id, /^resp_[0-9a-f]{32}$/);
        assert.equal((await client.responses.retrieve(r.id)).id, r.id);
    });

    test('a gateway-stored previous response continued on a passthrough group is translated with its conversation', async () => {
        reset();
        const client = sdk(gw.masterKey);
        const first = await client.responses.create({ model: 'claude', input: 'First turn' });
        const second = await client.responses.create({ model: 'gpt-pass', input: 'Second turn',
                                                       previous_response_id: first.id });
        const rec = oa.requests[0];
        assert.equal(rec.path, '/v1/chat/completions');
        assert.deepEqual(rec.body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
        assert.match(second.id, /^resp_[0-9a-f]{32}$/);
    });
});
