// llmctl logs: the request log's last lines, filtered, as a table or JSON,
// and --follow; exit codes 0 / 1 (no log) / 2 (usage).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment,
    request, waitFor, LLMCTL, makeTempDir,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw, vkey;

const chat = (key, model) => request(`${gw.url}/v1/chat/completions`, {
    headers: { authorization: `Bearer ${key}` },
    body: { model, messages: [{ role: 'user', content: 'hi' }] },
});

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('chat-model', mock, 'upstream-chat')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    const gen = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'ops-bot' },
    });
    vkey = gen.json.key;
    await waitFor(async () => (await chat(vkey, 'chat-model')).status === 200, { timeoutMs: 5000, what: 'key live' });
    for (let i = 0; i < 3; i++) assert.equal((await chat(gw.masterKey, 'chat-model')).status, 200);
    assert.ok((await chat(gw.masterKey, 'nope')).status >= 400);
    const last = await chat(gw.masterKey, 'chat-model');
    const id = last.headers['x-request-id'];
    await waitFor(() => gw.readLog('requests.log').includes(id), { timeoutMs: 5000, what: 'log flushed' });
});

after(() => closeAll(gw, mock));

const logs = (...args) => gw.llmctl(['logs', '--prefix', gw.prefix, ...args]);
const jsonLines = (out) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('N and --json: the last N lines, oldest first', async () => {
    const r = await logs('3', '--json');
    assert.equal(r.code, 0, r.stderr);
    const got = jsonLines(r.stdout);
    assert.equal(got.length, 3);
    const all = jsonLines(gw.readLog('requests.log'));
    assert.deepEqual(got.map((l) => l.request_id), all.slice(-3).map((l) => l.request_id));
});

test('filters: --model, --status 4xx / CODE, --key ALIAS', async () => {
    const byModel = jsonLines((await logs('--json', '--model', 'chat-model')).stdout);
    assert.ok(byModel.length >= 5);
    assert.ok(byModel.every((l) => l.model_group === 'chat-model' || l.model === 'chat-model'));
    const errors = jsonLines((await logs('--json', '--status', '4xx')).stdout);
    assert.ok(errors.length >= 1);
    assert.ok(errors.every((l) => l.status >= 400 && l.status < 500));
    const ok = jsonLines((await logs('--json', '--status', '200')).stdout);
    assert.ok(ok.every((l) => l.status === 200) && ok.length >= 4);
    const byKey = jsonLines((await logs('--json', '--key', 'ops-bot')).stdout);
    assert.ok(byKey.length >= 1);
    assert.ok(byKey.every((l) => l.key_alias === 'ops-bot'));
});

test('the table: a header, aligned columns, no colour off a TTY, no key', async () => {
    const r = await logs('5');
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trimEnd().split('\n');
    assert.match(rows[0], /^TIME\s+ST\s+MODEL\s+DEPLOYMENT\s+PROVIDER\s+KEY\s+LATENCY/);
    assert.equal(rows.length, 6);
    assert.ok(!r.stdout.includes('\u001b['), 'no colour when stdout is not a TTY');
    const col = rows[0].indexOf('ST');
    for (const row of rows.slice(1)) assert.match(row.slice(col, col + 3), /^\d{3}$/);
    for (const s of [vkey, gw.masterKey, PROVIDER_KEY]) assert.ok(!r.stdout.includes(s));
});

test('exit codes: 2 for bad usage, 1 without a log', async () => {
    assert.equal((await logs('--status', '7zz')).code, 2);
    assert.equal((await logs('--bogus')).code, 2);
    assert.equal((await logs('-3')).code, 2);
    const empty = makeTempDir('ngx-llm-nolog');
    const r = await gw.llmctl(['logs', '--prefix', empty]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read/);
});

test('--follow prints requests made after it started', async () => {
    const child = spawn(LLMCTL, ['logs', '--prefix', gw.prefix, '1', '--json', '--follow'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    try {
        await waitFor(() => out.includes('\n'), { timeoutMs: 5000, what: 'the first line' });
        const res = await chat(gw.masterKey, 'chat-model');
        const id = res.headers['x-request-id'];
        await waitFor(() => out.includes(id), { timeoutMs: 10000, what: 'the followed line' });
    } finally {
        child.kill('SIGTERM');
    }
});

// ---- llmctl stats ---------------------------------------------------------

const stats = (...args) => gw.llmctl(['stats', '--prefix', gw.prefix, ...args]);
const rank = (vals, q) => {
    const v = [...vals].sort((a, b) => a - b);
    return v[Math.min(v.length, Math.max(1, Math.ceil(q * v.length))) - 1];
};

test('stats --json: totals, exact percentiles, by model and by key, from the log', async () => {
    const all = jsonLines(gw.readLog('requests.log'));
    const r = await stats('--since', '1h', '--by', 'model', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.total.requests, all.length);
    assert.equal(s.total.errors, all.filter((l) => l.status >= 400).length);
    assert.equal(s.total.latency_ms.p50, rank(all.map((l) => l.latency_ms), 0.5));
    assert.equal(s.total.latency_ms.p95, rank(all.map((l) => l.latency_ms), 0.95));
    assert.equal(s.total.tokens_in, all.reduce((n, l) => n + l.tokens_in, 0));
    const chatLines = all.filter((l) => (l.model_group || l.model) === 'chat-model');
    assert.equal(s.groups.find((g) => g.name === 'chat-model').requests, chatLines.length);
    assert.ok(s.top_errors.length >= 1 && /^4\d\d /.test(s.top_errors[0].error));
    assert.equal(s.by, 'model');
    const byKey = JSON.parse((await stats('--by', 'key', '--json')).stdout);
    assert.equal(byKey.groups.find((g) => g.name === 'ops-bot').requests, all.filter((l) => l.key_alias === 'ops-bot').length);
    const only4xx = JSON.parse((await stats('--status', '4xx', '--json')).stdout);
    assert.equal(only4xx.total.requests, all.filter((l) => l.status >= 400 && l.status < 500).length);
    assert.equal(only4xx.total.success_rate, 0);
    for (const sec of [vkey, gw.masterKey, PROVIDER_KEY]) assert.ok(!r.stdout.includes(sec) && !byKey.groups.some((g) => g.name === sec));
});

test('stats: an aligned table with a TOTAL row; usage errors exit 2, no log exits 1', async () => {
    const r = await stats('--since', '24h', '--by', 'provider');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => /^provider\s+REQUESTS\s+SUCCESS\s+P50\s+P95\s+P99\s+TOKENS IN\/OUT\s+COST$/.test(l));
    assert.ok(head > 0, r.stdout);
    const col = lines[head].indexOf('REQUESTS');
    const total = lines.find((l) => l.startsWith('TOTAL'));
    assert.ok(total, r.stdout);
    assert.match(total.slice(col), /^\d+\s/);
    assert.match(r.stdout, /TTFT \(streams\) p50/);
    assert.ok(!r.stdout.includes('\u001b['));
    for (const bad of [['--since', '1y'], ['--by', 'colour'], ['--status', '7zz'], ['--bogus'], ['--since']]) {
        assert.equal((await stats(...bad)).code, 2, bad.join(' '));
    }
    const empty = makeTempDir('ngx-llm-nolog');
    const none = await gw.llmctl(['stats', '--prefix', empty]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /cannot read/);
});
