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
