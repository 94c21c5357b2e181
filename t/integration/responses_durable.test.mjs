// Stored responses are durable (issue 15): controld drains them from the
// zone into Redis (when configured) or its state file, and a node that
// does not hold an id asks controld for it.  With the real openai SDK:
//   (a) two gateway nodes sharing one Redis: made on node a, retrieved,
//       continued (previous_response_id) and listed (input_items) on node
//       b; deleted on one node, then 404 on the other; another key gets
//       404 on both;
//   (b) no Redis: an nginx restart (stop and start, not a reload) and a
//       controld restart keep them retrievable and continuable;
//   (c) responses_ttl applies to the durable copy too;
//   (d) controld down and the id not in the zone: a 503, not a 404; Redis
//       down: a 503 on the other node, and nothing lost when it is back.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { closeAll, startGateway, request, waitFor, alive } from '../lib/index.mjs';
import { formatDeployment, KEY_ENV, resetMocks } from '../lib/xlate.mjs';
import { startScriptedProvider } from '../lib/scripted.mjs';
import { startRedis } from '../lib/redis.mjs';
import { makeSecret } from '../lib/gateway.mjs';

const GROUP = 'gpt-durable';
const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, redis, a, b, solo;

function sdk(g, apiKey) {
    return new OpenAI({ baseURL: `${g.url}/v1`, apiKey, maxRetries: 0, timeout: 30000 });
}

function config(settings = {}, redisPort = null) {
    const c = {
        model_list: [formatDeployment(GROUP, 'openai', mock, 'upstream-gpt')],
        router_settings: { num_retries: 0, disable_cooldowns: true },
        general_settings: settings,
    };
    if (redisPort) c.router_settings = { ...c.router_settings, redis_host: '127.0.0.1', redis_port: redisPort };
    return c;
}

before(async () => {
    mock = await startScriptedProvider({ apiKey: PROVIDER_KEY });
    redis = await startRedis();
    const env = { [KEY_ENV.openai]: PROVIDER_KEY };
    a = await startGateway({ config: config({}, redis.port), env });
    b = await startGateway({ config: config({}, redis.port), env });
    solo = await startGateway({ config: config({ responses_ttl: 20 }), env });
});

after(() => closeAll(a, b, solo, mock, redis ? { stop: () => redis.stop() } : null));

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

async function raw(g, p, apiKey, method = 'GET', body) {
    return request(`${g.url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}` }, body });
}

/** a virtual key made on node a, once node b's module knows it too */
async function sharedKey(alias) {
    const res = await raw(a, '/key/generate', a.masterKey, 'POST', { key_alias: alias });
    assert.equal(res.status, 200, res.text);
    for (const g of [a, b]) {
        await waitFor(async () => (await raw(g, '/v1/models', res.json.key)).status === 200,
                      { timeoutMs: 15000, what: `key ${alias} on ${g.url}` });
    }
    return res.json.key;
}

function assertNotFound(res, id, previous = false) {
    assert.equal(res.status, previous ? 400 : 404, res.text);
    assert.equal(res.json.error.message, `${previous ? 'Previous response' : 'Response'} with id '${id}' not found.`);
}

/** the chat turns the openai-format mock got, as [role, text] */
function turns(rec) {
    return rec.body.messages.map((m) => [m.role,
        typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('')]);
}

describe('two nodes, one Redis', () => {
    test('made on node a: retrieved, continued and listed on node b; Redis holds it under the key', async () => {
        resetMocks([mock]);
        const key = await sharedKey('durable-a');
        mock.script = { text: 'Paris.' };
        const first = await sdk(a, key).responses.create({ model: GROUP, input: 'Capital of France?' });

        // node b never saw it: its zone misses and controld reads Redis
        let got;
        await waitFor(async () => (got = await raw(b, `/v1/responses/${first.id}`, key)).status === 200,
                      { timeoutMs: 15000, what: 'the response on node b' });
        assert.deepEqual(got.json.output, first.output);
        const viaSdk = await sdk(b, key).responses.retrieve(first.id);
        assert.equal(viaSdk.output_text, 'Paris.');

        const stored = await redis.command('GET', `llm:resp:${sha256(key)}:${first.id}`);
        assert.ok(stored && JSON.parse(stored).response.id === first.id, 'Redis has it under the key digest');
        const pttl = await redis.command('PTTL', `llm:resp:${sha256(key)}:${first.id}`);
        assert.ok(pttl > 0 && pttl <= 3600 * 1000, `its TTL is the remaining responses_ttl (${pttl})`);

        const items = await sdk(b, key).responses.inputItems.list(first.id);
        assert.equal(items.data.length, 1);
        assert.equal(items.data[0].content[0].text, 'Capital of France?');

        mock.reset();
        mock.script = { text: 'Madrid.' };
        const second = await sdk(b, key).responses.create({
            model: GROUP, previous_response_id: first.id, input: 'And of Spain?' });
        assert.equal(second.output_text, 'Madrid.');
        assert.equal(mock.requests.length, 1);
        assert.deepEqual(turns(mock.requests[0]), [
            ['user', 'Capital of France?'], ['assistant', 'Paris.'], ['user', 'And of Spain?']]);

        // the follow-up, made on node b, continues on node a
        mock.reset();
        mock.script = { text: 'Rome.' };
        let third;
        await waitFor(async () => {
            third = await raw(a, '/v1/responses', key, 'POST',
                              { model: GROUP, previous_response_id: second.id, input: 'And Italy?' });
            return third.status === 200;
        }, { timeoutMs: 15000, what: 'the follow-up on node a' });
        assert.deepEqual(turns(mock.requests.at(-1)).map(([, t]) => t),
            ['Capital of France?', 'Paris.', 'And of Spain?', 'Madrid.', 'And Italy?']);
    });

    test('another key: 404 on both nodes, 400 for previous_response_id; deleted on one node, gone on the other', async () => {
        resetMocks([mock]);
        const key = await sharedKey('durable-owner');
        const other = await sharedKey('durable-other');
        mock.script = { text: 'ok' };
        const mine = await sdk(a, key).responses.create({ model: GROUP, input: 'secret' });
        await waitFor(async () => (await raw(b, `/v1/responses/${mine.id}`, key)).status === 200,
                      { timeoutMs: 15000, what: 'the response on node b' });

        for (const g of [a, b]) {
            assertNotFound(await raw(g, `/v1/responses/${mine.id}`, other), mine.id);
            assertNotFound(await raw(g, `/v1/responses/${mine.id}/input_items`, other), mine.id);
            assertNotFound(await raw(g, `/v1/responses/${mine.id}`, other, 'DELETE'), mine.id);
            assertNotFound(await raw(g, '/v1/responses', other, 'POST',
                                     { model: GROUP, input: 'x', previous_response_id: mine.id }), mine.id, true);
        }
        assert.equal((await raw(a, `/v1/responses/${mine.id}`, key)).status, 200, 'the other key deleted nothing');

        // made on a, deleted on b (which does not hold it), gone on a
        const del = await sdk(b, key).responses.delete(mine.id);
        assert.deepEqual(del, { id: mine.id, object: 'response', deleted: true });
        assertNotFound(await raw(b, `/v1/responses/${mine.id}`, key), mine.id);
        await waitFor(async () => (await raw(a, `/v1/responses/${mine.id}`, key)).status === 404,
                      { timeoutMs: 15000, what: 'the deletion reaching node a' });
        assertNotFound(await raw(a, `/v1/responses/${mine.id}`, key), mine.id);
        assertNotFound(await raw(b, `/v1/responses/${mine.id}`, key, 'DELETE'), mine.id);
        assert.equal(await redis.command('EXISTS', `llm:resp:${sha256(key)}:${mine.id}`), 0);

        // made on a, deleted on a (its zone's tombstone is drained), gone on b
        const again = await sdk(a, key).responses.create({ model: GROUP, input: 'twice' });
        await waitFor(async () => (await raw(b, `/v1/responses/${again.id}`, key)).status === 200,
                      { timeoutMs: 15000, what: 'the second response on node b' });
        const gone = await raw(a, `/v1/responses/${again.id}`, key, 'DELETE');
        assert.equal(gone.status, 200, gone.text);
        assert.deepEqual(gone.json, { id: again.id, object: 'response', deleted: true });
        await waitFor(async () => (await raw(b, `/v1/responses/${again.id}`, key)).status === 404,
                      { timeoutMs: 15000, what: 'the deletion reaching node b' });
    });
    test('Redis down: a new response is served from its zone, a 503 on the other node, and written when Redis is back', async () => {
        resetMocks([mock]);
        const key = await sharedKey('durable-outage');
        mock.script = { text: 'later' };
        let made;
        await redis.kill();
        try {
            made = await sdk(a, key).responses.create({ model: GROUP, input: 'during the outage' });
            assert.equal((await raw(a, `/v1/responses/${made.id}`, key)).status, 200, 'node a holds it');
            const res = await raw(b, `/v1/responses/${made.id}`, key);
            assert.equal(res.status, 503, res.text);
            assert.match(res.json.error.message, /stored responses are unavailable/);
            const follow = await raw(b, '/v1/responses', key, 'POST',
                                     { model: GROUP, input: 'x', previous_response_id: made.id });
            assert.equal(follow.status, 503, follow.text);
            assert.equal(mock.requests.length, 1, 'the follow-up was not sent upstream');
        } finally {
            await redis.start();
        }
        // it stayed pending in node a's zone and is drained once Redis answers
        await waitFor(async () => (await raw(b, `/v1/responses/${made.id}`, key)).status === 200,
                      { timeoutMs: 40000, intervalMs: 250, what: 'the response on node b after the outage' });
        assert.equal((await sdk(b, key).responses.retrieve(made.id)).output_text, 'later');
    });
});

describe('no Redis: controld\'s state file', () => {
    test('kept across a full restart of nginx and controld, continued after it, and expired with responses_ttl', async () => {
        resetMocks([mock]);
        const c = sdk(solo, solo.masterKey);
        mock.script = { text: 'Blue.' };
        const first = await c.responses.create({ model: GROUP, input: 'Favourite colour?' });
        const file = path.join(solo.prefix, 'state', 'responses.json');
        await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(first.id),
                      { timeoutMs: 10000, what: 'the response in responses.json' });
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);

        const pids = [solo.nginxPid, solo.controldPid];
        await solo.stop();
        solo.stopped = false;
        solo.started = false;
        await solo.start();
        assert.ok(pids.every((p) => !alive(p)), 'nginx and controld are new processes');
        assert.notEqual(solo.nginxPid, pids[0]);

        const got = await c.responses.retrieve(first.id);
        assert.equal(got.output_text, 'Blue.');
        mock.reset();
        mock.script = { text: 'Green.' };
        const next = await c.responses.create({ model: GROUP, previous_response_id: first.id, input: 'Another?' });
        assert.equal(next.output_text, 'Green.');
        assert.deepEqual(turns(mock.requests[0]),
            [['user', 'Favourite colour?'], ['assistant', 'Blue.'], ['user', 'Another?']]);

        // (c) the durable copy expires too: this node's zone never held it
        await waitFor(async () => (await raw(solo, `/v1/responses/${first.id}`, solo.masterKey)).status === 404,
                      { timeoutMs: 40000, intervalMs: 500, what: 'the durable copy to expire' });
        assertNotFound(await raw(solo, `/v1/responses/${first.id}`, solo.masterKey), first.id);
        assertNotFound(await raw(solo, '/v1/responses', solo.masterKey, 'POST',
                                 { model: GROUP, input: 'x', previous_response_id: first.id }), first.id, true);
    });

    test('controld down: what the zone holds is served; another id is a 503, not a 404', async () => {
        resetMocks([mock]);
        const c = sdk(solo, solo.masterKey);
        mock.script = { text: 'here' };
        const held = await c.responses.create({ model: GROUP, input: 'kept in the zone' });
        process.kill(solo.controldPid, 'SIGTERM');
        await waitFor(() => !alive(solo.controldPid), { what: 'controld to exit' });

        assert.equal((await c.responses.retrieve(held.id)).output_text, 'here');
        const missing = 'resp_' + 'ab'.repeat(16);
        for (const res of [
            await raw(solo, `/v1/responses/${missing}`, solo.masterKey),
            await raw(solo, `/v1/responses/${missing}`, solo.masterKey, 'DELETE'),
            await raw(solo, '/v1/responses', solo.masterKey, 'POST',
                      { model: GROUP, input: 'x', previous_response_id: missing }),
        ]) {
            assert.equal(res.status, 503, res.text);
            assert.match(res.json.error.message, /stored responses are unavailable/);
            assert.equal(typeof res.json.error.type, 'string');
        }
        assert.equal(mock.requests.length, 1, 'nothing was sent upstream for the follow-up');
        await assert.rejects(c.responses.retrieve(missing), (e) => e.status === 503);
    });
});
