// The console's request-log API (/ui/api/request/log and /request/stats,
// controld reading nginx's request log and its rotations): newest first,
// paged, filtered by model, status (code or class), key (alias or hash
// prefix) and time; an admin session sees every line, a plain key's only
// its own; no key in any answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, waitFor,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw, alpha, beta, admin, ids = [];
const secrets = [PROVIDER_KEY];

async function ui(jar, route) {
    return request(`${gw.url}/ui/api${route}`, { method: 'GET', headers: jar.cookie ? { cookie: jar.cookie } : {} });
}
async function signIn(key) {
    const res = await request(`${gw.url}/ui/api/login`, { method: 'POST', body: { key } });
    assert.equal(res.status, 200, res.text);
    return { cookie: res.headers['set-cookie'][0].split(';')[0], csrf: res.json.csrf };
}
const chat = (key, model = 'chat-model') => request(`${gw.url}/v1/chat/completions`, {
    headers: { authorization: `Bearer ${key}` },
    body: { model, messages: [{ role: 'user', content: 'hi' }] },
});
const logLines = () => gw.readLog('requests.log').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const noSecret = (text) => { for (const s of secrets) assert.ok(!text.includes(s), 'a key in an answer'); };

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    // one worker: each nginx worker buffers its own lines (buffer=64k
    // flush=1s), so with two a line can reach the file after a newer one
    gw = await startGateway({
        workers: 1,
        config: { model_list: [openaiDeployment('chat-model', mock, 'upstream-chat',
            { input_cost_per_token: 0.0001, output_cost_per_token: 0.0002 })] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    secrets.push(gw.masterKey);
    const gen = async (alias) => {
        const r = await request(`${gw.url}/key/generate`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: alias },
        });
        assert.equal(r.status, 200, r.text);
        secrets.push(r.json.key);
        return r.json.key;
    };
    alpha = await gen('alpha');
    beta = await gen('beta');
    await waitFor(async () => (await chat(beta)).status === 200, { what: 'keys live' });
    for (const [key, model] of [[gw.masterKey], [gw.masterKey], [alpha], [gw.masterKey, 'nope'], [alpha], [beta]]) {
        const r = await chat(key, model);
        ids.push(r.headers['x-request-id']);
    }
    await waitFor(() => ids.every((id) => gw.readLog('requests.log').includes(id)), { what: 'log flushed' });
    admin = await signIn(gw.masterKey);
});

after(async () => {
    if (gw) assert.deepEqual(gw.leakedSecrets(secrets), [], 'a key reached a log');
    await closeAll(gw, mock);
});

test('admin: newest first, every line, with ts; no key in the answer', async () => {
    const res = await ui(admin, '/request/log?size=500');
    assert.equal(res.status, 200, res.text);
    noSecret(res.text);
    const { entries } = res.json;
    const all = logLines();
    assert.equal(entries.length, all.length);
    assert.deepEqual(entries.map((e) => e.request_id), all.map((l) => l.request_id).reverse());
    assert.equal(entries[0].request_id, ids[ids.length - 1]);
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].ts >= entries[i].ts);
    assert.equal(entries[0].ts, Math.floor(Date.parse(entries[0].time) / 1000));
    assert.equal(res.json.has_more, false);
    assert.equal(res.json.log_found, true);
});

test('paging: pages do not overlap and add up to the log', async () => {
    const all = logLines().map((l) => l.request_id).reverse();
    const p1 = await ui(admin, '/request/log?size=2&page=1&order=desc');
    const p2 = await ui(admin, '/request/log?size=2&page=2');
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(p1.json.entries.map((e) => e.request_id), all.slice(0, 2));
    assert.deepEqual(p2.json.entries.map((e) => e.request_id), all.slice(2, 4));
    assert.equal(p1.json.has_more, true);
    const last = await ui(admin, `/request/log?size=2&page=${Math.ceil(all.length / 2)}`);
    assert.equal(last.json.has_more, false);
    assert.equal((await ui(admin, '/request/log?size=2&page=999')).json.entries.length, 0);
});

test('filters: model, status code and class, key alias and hash prefix, since/until', async () => {
    const get = async (q) => { const r = await ui(admin, '/request/log?size=500&' + q); assert.equal(r.status, 200, r.text); return r.json.entries; };
    const all = logLines();
    const byModel = await get('model=nope');
    assert.equal(byModel.length, all.filter((l) => l.model === 'nope').length);
    assert.ok(byModel.length >= 1 && byModel.every((e) => e.model === 'nope'));
    const cls = await get('status=4xx');
    assert.equal(cls.length, all.filter((l) => l.status >= 400 && l.status < 500).length);
    assert.ok(cls.length >= 1);
    const ok = await get('status=200');
    assert.equal(ok.length, all.filter((l) => l.status === 200).length);
    const a = await get('key=alpha');
    assert.equal(a.length, 2);
    assert.ok(a.every((e) => e.key_alias === 'alpha'));
    const hash = crypto.createHash('sha256').update(alpha).digest('hex');
    assert.deepEqual((await get('key=' + hash.slice(0, 6))).map((e) => e.request_id), a.map((e) => e.request_id));
    assert.deepEqual((await get('key=' + hash)).map((e) => e.request_id), a.map((e) => e.request_id));
    const future = Math.floor(Date.now() / 1000) + 3600;
    assert.equal((await get('since=' + future)).length, 0);
    assert.equal((await get('until=1000')).length, 0);
    assert.equal((await get('since=1000&key=alpha&status=200')).length, 2);
});

test('bad parameters: 400 naming the parameter', async () => {
    for (const q of ['status=7zz', 'size=0', 'size=100000', 'page=x', 'order=asc', 'since=-5']) {
        const r = await ui(admin, '/request/log?' + q);
        assert.equal(r.status, 400, q);
        assert.equal(r.json.error.param, q.split('=')[0], q);
    }
    for (const q of ['window=1y', 'by=colour', 'window=400d']) {
        const r = await ui(admin, '/request/stats?' + q);
        assert.equal(r.status, 400, q);
    }
});

test('a plain key sees only its own lines, whatever it asks; no session is 401', async () => {
    const jar = await signIn(beta);
    const mine = await ui(jar, '/request/log?size=500');
    assert.equal(mine.status, 200, mine.text);
    const betas = logLines().filter((l) => l.key_alias === 'beta').map((l) => l.request_id).reverse();
    assert.ok(betas.length >= 2);   // the "keys live" probe and the request
    assert.deepEqual(mine.json.entries.map((e) => e.request_id), betas);
    assert.equal(mine.json.entries[0].request_id, ids[5]);
    assert.equal((await ui(jar, '/request/log?key=alpha')).json.entries.length, 0);
    const st = await ui(jar, '/request/stats?window=1h');
    assert.equal(st.json.total.requests, betas.length);
    assert.equal((await ui({}, '/request/log')).status, 401);
    assert.equal((await ui({ cookie: 'llm_session=' + 'a'.repeat(64) }, '/request/stats')).status, 401);
});

test('stats: totals, exact latency percentiles, groups by key and a per-minute series', async () => {
    const all = logLines();
    const r = await ui(admin, '/request/stats?window=1h&bucket=60&by=key');
    assert.equal(r.status, 200, r.text);
    noSecret(r.text);
    const s = r.json;
    assert.equal(s.total.requests, all.length);
    assert.equal(s.total.errors, all.filter((l) => l.status >= 400).length);
    assert.equal(s.total.tokens_out, all.reduce((n, l) => n + l.tokens_out, 0));
    assert.ok(Math.abs(s.total.cost - all.reduce((n, l) => n + l.cost, 0)) < 1e-9);
    const lat = all.map((l) => l.latency_ms).sort((x, y) => x - y);
    const rank = (q) => lat[Math.min(lat.length, Math.max(1, Math.ceil(q * lat.length))) - 1];
    assert.equal(s.total.latency_ms.p50, rank(0.5));
    assert.equal(s.total.latency_ms.p99, rank(0.99));
    assert.equal(s.series.length, 60);
    assert.equal(s.series.reduce((n, p) => n + p.requests, 0), all.length);
    assert.ok(s.series.every((p, i) => i === 0 || p.t - s.series[i - 1].t === 60));
    const groups = Object.fromEntries(s.groups.map((g) => [g.name, g.requests]));
    assert.equal(groups.alpha, 2);
    assert.equal(groups.beta, all.filter((l) => l.key_alias === 'beta').length);
    assert.equal(groups['(master key)'], all.filter((l) => l.key_alias === null && l.key_hash === null).length);
    assert.ok(s.top_errors.some((e) => /^4\d\d /.test(e.error) && e.count >= 1));
});

test('rotated files (requests.log.1, .2) are read after the current one, and since stops the scan', async () => {
    const old = (minutesAgo, id) => JSON.stringify({
        time: new Date(Date.now() - minutesAgo * 60e3).toISOString().replace(/\.\d+Z$/, '+00:00'),
        status: 503, request_id: id, key_alias: null, key_hash: null, model: 'chat-model', model_group: 'chat-model',
        deployment: null, provider: 'openai', error: 'server', latency_ms: 7, tokens_in: 0, tokens_out: 0, cost: 0,
    });
    const dir = gw.logDir;
    // .1 ends with a line still being written elsewhere: only whole lines count
    fs.writeFileSync(path.join(dir, 'requests.log.1'), old(120, 'rot-1a') + '\n' + old(90, 'rot-1b') + '\n');
    fs.writeFileSync(path.join(dir, 'requests.log.2'), old(200, 'rot-2a') + '\n');
    const res = await ui(admin, '/request/log?size=500');
    const got = res.json.entries.map((e) => e.request_id);
    assert.deepEqual(got.slice(-3), ['rot-1b', 'rot-1a', 'rot-2a']);
    const recent = await ui(admin, `/request/log?size=500&since=${Math.floor(Date.now() / 1000) - 3600}`);
    assert.ok(!recent.json.entries.some((e) => String(e.request_id).startsWith('rot-')));
    const hourly = await ui(admin, '/request/stats?window=3h&by=model');
    assert.equal(hourly.json.total.server_errors, 2 + logLines().filter((l) => l.status >= 500).length);
});
