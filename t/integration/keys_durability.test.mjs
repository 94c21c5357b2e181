// Keys and spend survive: controld kill -9 (state file and Redis), Redis
// restart (AOF on), Redis down then up (spend queued, nothing lost), and two
// gateway nodes sharing one Redis see each other's keys and spend.  Spend
// is checked exactly: the deployment has known per-token prices and every
// response's usage says what it must cost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, waitFor, alive, readPid,
} from '../lib/index.mjs';
import { startRedis } from '../lib/redis.mjs';
import path from 'node:path';

const PROVIDER_KEY = makeSecret('sk-prov-');
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
// 1 micro-dollar per prompt token, 2 per completion token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let mock, redis;
const gateways = [];

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    redis = await startRedis();
});

after(() => closeAll(...gateways, mock, redis ? { stop: () => redis.stop() } : null));

function config(withRedis) {
    const cfg = { model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o', PRICES)] };
    if (withRedis) cfg.router_settings = { redis_host: 'os.environ/REDIS_HOST', redis_port: 'os.environ/REDIS_PORT' };
    return cfg;
}

async function gateway(withRedis) {
    const env = { OPENAI_API_KEY: PROVIDER_KEY };
    if (withRedis) Object.assign(env, { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) });
    const gw = await startGateway({ config: config(withRedis), env });
    gateways.push(gw);
    return gw;
}

async function api(gw, method, route, body) {
    return request(`${gw.url}${route}`, { method, headers: { authorization: `Bearer ${gw.masterKey}` }, body });
}

async function generate(gw, body = {}) {
    const res = await api(gw, 'POST', '/key/generate', body);
    assert.equal(res.status, 200, res.text);
    return res.json;
}

async function info(gw, token) {
    const res = await api(gw, 'GET', `/key/info?key=${token}`);
    return res.status === 200 ? res.json.info : null;
}

/** Module enforcement + usage counters exist (GET /_llm/status has "keys"). */
async function moduleCounts(gw) {
    return 'keys' in await gw.status();
}

/** n chat requests with `key`; returns the micro-dollars they must cost. */
async function spendWith(gw, key, n) {
    let micros = 0;
    for (let i = 0; i < n; i++) {
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${key}` },
            body: { model: 'gpt-4o', messages: [{ role: 'user', content: `request ${i} ${'x'.repeat(i)}` }] },
        });
        assert.equal(res.status, 200, res.text);
        micros += res.json.usage.prompt_tokens + 2 * res.json.usage.completion_tokens;
    }
    return micros;
}

async function waitSpend(gw, token, micros, what) {
    let last;
    await waitFor(async () => {
        last = await info(gw, token);
        return last && Math.round(last.lifetime_spend * 1e6) === micros;
    }, { timeoutMs: 10000, intervalMs: 200, what: `${what}: spend ${micros} (last ${last && last.lifetime_spend})` });
}

/** llmctl start on a stopped gateway's prefix: a new nginx, a new zone. */
async function startAgain(gw) {
    const res = await gw.llmctl(['start', '--config', gw.configPath, '--env', gw.envPath, '--listen', gw.listen,
        '--prefix', gw.prefix]);
    assert.equal(res.code, 0, res.stderr);
    gw.stopped = false;
    gw.rememberPids();
}

/** kill -9 controld; llmctl's supervisor starts a new one. */
async function killControld(gw) {
    const pidFile = path.join(gw.runDir, 'controld.pid');
    const old = readPid(pidFile);
    process.kill(old, 'SIGKILL');
    await waitFor(() => { const p = readPid(pidFile); return p && p !== old && alive(p); },
        { timeoutMs: 15000, what: 'a restarted controld' });
    gw.controldPid = readPid(pidFile);
    await waitFor(async () => (await api(gw, 'GET', '/key/list')).status === 200, { timeoutMs: 10000, what: 'management API' });
}

test('state file: keys and spend survive controld kill -9 and a full restart', async () => {
    const gw = await gateway(false);
    const k = await generate(gw, { key_alias: 'durable', max_budget: 100 });
    const counting = await moduleCounts(gw);
    let spent = 0;
    if (counting) {
        spent += await spendWith(gw, k.key, 3);
        await waitSpend(gw, k.token, spent, 'before kill');
    }
    await killControld(gw);
    assert.equal((await info(gw, k.token)).key_alias, 'durable');
    if (counting) {
        await waitSpend(gw, k.token, spent, 'after kill, nothing counted twice');
        spent += await spendWith(gw, k.key, 2);
        await waitSpend(gw, k.token, spent, 'after kill, new spend');
    }
    await gw.stop();
});

test('state file: a restart on the same prefix keeps keys', async () => {
    const gw = await gateway(false);
    const k = await generate(gw, { key_alias: 'restart' });
    await gw.stop();
    await startAgain(gw);
    assert.equal((await info(gw, k.token)).key_alias, 'restart');
    await gw.stop();
});

test('redis: records are hashes by token, spend counters exact; kill -9 controld', async () => {
    const gw = await gateway(true);
    const k = await generate(gw, { key_alias: 'in-redis', max_budget: 50, metadata: { a: 1 } });
    const stored = await redis.hgetall(`llm:key:${k.token}`);
    assert.equal(JSON.parse(stored.key_alias), 'in-redis');
    assert.equal(JSON.parse(stored.max_budget_micros), 50000000);
    assert.ok(await redis.command('SISMEMBER', 'llm:keys', k.token));
    const dump = JSON.stringify(await redis.command('KEYS', '*'));
    assert.ok(!dump.includes(k.key));
    for (const name of await redis.command('KEYS', 'llm:key:*')) {
        assert.ok(!JSON.stringify(await redis.hgetall(name)).includes(k.key), 'no key in clear in Redis');
    }

    if (await moduleCounts(gw)) {
        let spent = await spendWith(gw, k.key, 3);
        await waitSpend(gw, k.token, spent, 'drained to redis');
        assert.equal(Number((await redis.hgetall(`llm:spend:key:${k.token}`)).spend_micros), spent);
        await killControld(gw);
        await waitSpend(gw, k.token, spent, 'after kill -9');
        spent += await spendWith(gw, k.key, 2);
        await waitSpend(gw, k.token, spent, 'after kill -9, new spend');
        assert.equal(Number((await redis.hgetall(`llm:spend:key:${k.token}`)).spend_micros), spent);
    } else {
        await killControld(gw);
        assert.equal((await info(gw, k.token)).key_alias, 'in-redis');
    }
    await gw.stop();
});

test('redis restart (AOF) keeps keys; Redis down: reads served, writes 503, spend queued; up: nothing lost', async () => {
    const gw = await gateway(true);
    const k = await generate(gw, { key_alias: 'outage' });
    const counting = await moduleCounts(gw);

    await redis.stop();
    await redis.start();
    await waitFor(async () => (await api(gw, 'POST', '/key/generate', { key_alias: 'after-restart' })).status === 200,
        { timeoutMs: 15000, intervalMs: 300, what: 'writes after a redis restart' });
    assert.equal((await info(gw, k.token)).key_alias, 'outage');
    assert.ok(await redis.command('SISMEMBER', 'llm:keys', k.token), 'the key survived the restart in Redis');

    let spent = 0;
    if (counting) {
        spent = await spendWith(gw, k.key, 2);
        await waitSpend(gw, k.token, spent, 'before the outage');
    }
    await redis.kill();
    const down = await api(gw, 'POST', '/key/generate', {});
    assert.equal(down.status, 503, down.text);
    assert.equal(down.json.error.code, '503');
    assert.equal((await api(gw, 'GET', '/key/list')).status, 200, 'reads work from memory');
    if (counting) spent += await spendWith(gw, k.key, 3);   // the key keeps working

    await redis.start();
    await waitFor(async () => (await api(gw, 'POST', '/key/generate', { key_alias: 'back' })).status === 200,
        { timeoutMs: 20000, intervalMs: 300, what: 'writes after Redis returned' });
    if (counting) {
        await waitSpend(gw, k.token, spent, 'after the outage');
        assert.equal(Number((await redis.hgetall(`llm:spend:key:${k.token}`)).spend_micros), spent);
    }
    await gw.stop();
});

test('two nodes sharing Redis: keys created on one work on the other; spend is shared', async () => {
    const a = await gateway(true);
    const b = await gateway(true);
    const k = await generate(a, { key_alias: 'shared', max_budget: 10 });
    await waitFor(async () => (await info(b, k.token)) !== null, { timeoutMs: 5000, what: 'the key on node b' });
    if (!await moduleCounts(a)) return;

    await waitFor(async () => (await request(`${b.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${k.key}` },
        body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'probe' }] },
    })).status === 200, { timeoutMs: 5000, what: 'node b accepting the key' });
    // the probe cost something too: read it back from Redis before counting
    await waitFor(async () => Number((await redis.hgetall(`llm:spend:key:${k.token}`)).spend_micros || 0) > 0,
        { timeoutMs: 5000, what: 'probe spend' });
    let spent = Number((await redis.hgetall(`llm:spend:key:${k.token}`)).spend_micros);
    spent += await spendWith(a, k.key, 2);
    spent += await spendWith(b, k.key, 3);
    await waitSpend(a, k.token, spent, 'node a sees both nodes');
    await waitSpend(b, k.token, spent, 'node b sees both nodes');

    const d = await api(b, 'POST', '/key/delete', { keys: [k.key] });
    assert.equal(d.status, 200);
    await waitFor(async () => (await info(a, k.token)) === null, { timeoutMs: 5000, what: 'the delete on node a' });
    await a.stop();
    await b.stop();
});

test('redis: nginx restart keeps acknowledged spend, and the budget is enforced on top of it', async () => {
    const gw = await gateway(true);
    if (!await moduleCounts(gw)) return;
    const k = await generate(gw, { key_alias: 'restart-spend' });
    // max_tokens keeps the admission reservation near the real cost
    const ask = async (i) => request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${k.key}` },
        body: { model: 'gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: `restart ${i}` }] },
    });
    let spent = 0, cost = 0;
    for (let i = 0; i < 5; i++) {
        const res = await ask(i);
        assert.equal(res.status, 200, res.text);
        cost = res.json.usage.prompt_tokens + 2 * res.json.usage.completion_tokens;
        spent += cost;
    }
    await waitSpend(gw, k.token, spent, 'acknowledged before the restart');

    // a full nginx restart: the zone and its counters are gone
    const epoch = async () => (await request('http://localhost/_llm/usage', {
        socketPath: path.join(gw.runDir, 'admin.sock') })).json.epoch;
    const before = await epoch();
    await gw.stop();
    await startAgain(gw);
    assert.notEqual(await epoch(), before, 'a new zone');
    await waitSpend(gw, k.token, spent, 'after the restart: nothing lost, nothing counted twice');

    // room for about one more request: only the spend from before the
    // restart can make the gateway refuse the second one
    const upd = await api(gw, 'POST', '/key/update', { key: k.key, max_budget: (spent + 1.5 * cost) / 1e6 });
    assert.equal(upd.status, 200, upd.text);
    await new Promise((r) => setTimeout(r, 1500));      // published to nginx within ~1 s
    let admitted = 0, last;
    await waitFor(async () => {
        last = await ask(100 + admitted);
        if (last.status === 200) admitted++;
        return last.status === 400;
    }, { timeoutMs: 10000, intervalMs: 100, what: 'budget_exceeded after the restart' });
    assert.equal(last.json.error.type, 'budget_exceeded', last.text);
    assert.ok(admitted <= 2, `admitted ${admitted} requests on a budget with room for about one`);
    await gw.stop();
});
