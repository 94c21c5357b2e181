// Rate limits and budgets hold for the cluster, not per node: two gateways
// share one Redis, and a key used alternately on both is limited by what
// both did together (rpm, tpm, a team's rpm, a per-model rpm), and one
// budget spent on node a is refused on node b.  Between two requests the
// test waits SYNC_MS, more than the documented sync interval (drain 0.5 s
// on the node that served + drain 0.5 s on the node that reads), so the
// nodes must agree exactly: no overshoot and no double counting.  Without
// sharing, alternating 2N requests over two nodes would all pass an rpm of
// N (each node would see only its own N).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, waitFor,
} from '../lib/index.mjs';
import { startRedis } from '../lib/redis.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
// 1 micro-dollar per prompt token, 2 per completion token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const SYNC_MS = 1500;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let mock, redis, a, b, enforcing = false;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    redis = await startRedis();
    const config = {
        model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o', PRICES),
            openaiDeployment('other', mock, 'upstream-other', PRICES)],
        router_settings: { redis_host: 'os.environ/REDIS_HOST', redis_port: 'os.environ/REDIS_PORT' },
    };
    const env = { OPENAI_API_KEY: PROVIDER_KEY, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) };
    a = await startGateway({ config, env });
    b = await startGateway({ config, env });
    enforcing = 'keys' in await a.status();
});

after(() => closeAll(a, b, mock, redis ? { stop: () => redis.stop() } : null));

const pending = () => (enforcing ? false : 'module enforcement pending');

async function api(gw, route, body) {
    const res = await request(`${gw.url}${route}`, { headers: { authorization: `Bearer ${gw.masterKey}` }, body });
    assert.equal(res.status, 200, `${route}: ${res.text}`);
    return res.json;
}

/** A key (or team) made on node a, once node b knows it too (its module included). */
async function onBoth(route, body) {
    const made = await api(a, route, body);
    const info = made.key ? `/key/info?key=${made.token}` : `/team/info?team_id=${made.team_id}`;
    await waitFor(async () => (await request(`${b.url}${info}`, {
        headers: { authorization: `Bearer ${b.masterKey}` } })).status === 200,
    { timeoutMs: 5000, what: `${route} on node b` });
    await sleep(1000);             // node b's controld publishes to its module
    return made;
}

function chatBody(model, content) {
    return { model, max_tokens: 16, messages: [{ role: 'user', content }] };
}

function chat(gw, key, model = 'gpt-4o', content = 'hello') {
    return request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${key}` }, body: chatBody(model, content),
    });
}

/** The module's input estimate for a body: bytes / 4 (what tpm admission adds). */
const estimate = (body) => Math.floor(Buffer.byteLength(JSON.stringify(body)) / 4);

/** Rate windows are per UTC minute: start a test with `seconds` left in it. */
async function freshMinute(seconds) {
    const left = 60 - (Date.now() / 1000) % 60;
    if (left < seconds) await sleep(left * 1000 + 500);
}

test('rpm_limit is shared: alternating nodes admit N in total, not N per node', async (t) => {
    if (pending()) return t.skip(pending());
    const N = 4;
    const k = await onBoth('/key/generate', { key_alias: 'shared-rpm', rpm_limit: N });
    await freshMinute(2 * N * SYNC_MS / 1000 + 8);

    const admitted = { a: 0, b: 0 };
    const refused = [];
    for (let i = 0; i < 2 * N; i++) {
        const [name, gw] = i % 2 ? ['b', b] : ['a', a];
        const res = await chat(gw, k.key);
        if (res.status === 200) {
            admitted[name]++;
        } else {
            assert.equal(res.status, 429, res.text);
            assert.equal(res.json.error.type, 'rate_limit_error');
            assert.ok(Number(res.headers['retry-after']) > 0);
            refused.push(name);
        }
        await sleep(SYNC_MS);
    }
    // exactly N: neither more (shared) nor fewer (own traffic not counted twice)
    assert.equal(admitted.a + admitted.b, N, JSON.stringify(admitted));
    assert.ok(admitted.a < N && admitted.b < N, 'each node alone was under the limit');
    assert.ok(refused.includes('a') && refused.includes('b'), 'both nodes refused');
});

test('tpm_limit is shared: tokens served by either node count on both', async (t) => {
    if (pending()) return t.skip(pending());
    const content = 'x'.repeat(400);
    const body = chatBody('gpt-4o', content);
    const est = estimate(body);
    const T = 4 * est;
    const k = await onBoth('/key/generate', { key_alias: 'shared-tpm', tpm_limit: T });
    await freshMinute(8 * SYNC_MS / 1000 + 8);

    let cluster = 0;
    const node = { a: 0, b: 0 };
    let sharedRefusal = false;
    for (let i = 0; i < 8; i++) {
        const [name, gw] = i % 2 ? ['b', b] : ['a', a];
        const res = await chat(gw, k.key, 'gpt-4o', content);
        if (res.status === 200) {
            assert.ok(cluster + est <= T, `admitted over the cluster's tpm: ${cluster} + ${est} > ${T}`);
            cluster += res.json.usage.total_tokens;
            node[name] += res.json.usage.total_tokens;
        } else {
            assert.equal(res.status, 429, res.text);
            assert.ok(cluster + est > T, `refused early: ${cluster} + ${est} <= ${T}`);
            if (node[name] + est <= T) sharedRefusal = true;     // its own count would have passed
        }
        await sleep(SYNC_MS);
    }
    assert.ok(sharedRefusal, `a node refused on the other node's tokens (a ${node.a}, b ${node.b}, T ${T})`);
});

test("a team's rpm is shared across its keys on both nodes", async (t) => {
    if (pending()) return t.skip(pending());
    const team = await onBoth('/team/new', { team_alias: 'shared-team', rpm_limit: 3 });
    const k1 = await onBoth('/key/generate', { team_id: team.team_id });
    const k2 = await onBoth('/key/generate', { team_id: team.team_id });
    await freshMinute(6 * SYNC_MS / 1000 + 8);

    const statuses = [];
    let last;
    for (let i = 0; i < 6; i++) {
        last = await (i % 2 ? chat(b, k2.key) : chat(a, k1.key));
        statuses.push(last.status);
        if (last.status !== 200) assert.match(last.json.error.message, /team/, last.text);
        await sleep(SYNC_MS);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
});

test('model_rpm_limit counts that model only, across nodes', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await onBoth('/key/generate', { key_alias: 'per-model', model_rpm_limit: { 'gpt-4o': 2 } });
    await freshMinute(8 * SYNC_MS / 1000 + 8);

    const step = async (gw, model) => { const res = await chat(gw, k.key, model); await sleep(SYNC_MS); return res.status; };
    // traffic to another model does not use up gpt-4o's window
    assert.equal(await step(a, 'other'), 200);
    assert.equal(await step(b, 'other'), 200);
    assert.equal(await step(a, 'other'), 200);
    assert.equal(await step(a, 'gpt-4o'), 200);
    assert.equal(await step(b, 'gpt-4o'), 200);
    // the third gpt-4o request this minute, on either node, is over the limit
    assert.equal(await step(a, 'gpt-4o'), 429);
    const refused = await chat(b, k.key, 'gpt-4o');
    assert.equal(refused.status, 429);
    assert.match(refused.json.error.message, /model=gpt-4o/, 'the message names the model');
    await sleep(SYNC_MS);
    // ... and the other model still works
    assert.equal(await step(b, 'other'), 200);
});

test('one budget for the cluster: spent on node a, refused on node b', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await onBoth('/key/generate', { key_alias: 'shared-budget', max_budget: 0.0003 });
    let res, served = 0;
    for (let i = 0; i < 60; i++) {
        res = await chat(a, k.key);
        if (res.status !== 200) break;
        served++;
    }
    assert.ok(served > 0, 'some requests fit the budget');
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.type, 'budget_exceeded');

    // node b learns the spend within the sync interval (drain + poll)
    let last;
    await waitFor(async () => { last = await chat(b, k.key); return last.status === 400; },
        { timeoutMs: 30000, intervalMs: 250, what: `budget refused on node b (last ${last && last.status})` });
    assert.equal(last.json.error.type, 'budget_exceeded');
});

test('Redis down: each node still enforces the limit on its own window', async (t) => {
    if (pending()) return t.skip(pending());
    const N = 3;
    const k = await onBoth('/key/generate', { key_alias: 'redis-down', rpm_limit: N });
    await freshMinute(15);
    await redis.kill();
    try {
        const statuses = [];
        for (let i = 0; i < N + 1; i++) statuses.push((await chat(a, k.key)).status);
        assert.deepEqual(statuses, [...Array(N).fill(200), 429]);
        // node b's own window is empty: with the shared store gone it admits
        // up to N itself (the documented fallback: limits hold per node)
        assert.equal((await chat(b, k.key)).status, 200);
    } finally {
        await redis.start();
    }
});
