// llmctl run-tests (the operator's smoke suite after a deploy) and llmctl
// restart against a real gateway: every step goes through the public
// listener to a mock provider in its wire format; a broken provider fails
// the run with exit 1 and names the step; restart replaces nginx and
// controld and keeps keys and spend; exit 2 on a usage error; no secret in
// any output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment,
    request, waitFor, readPid,
} from '../lib/index.mjs';
import path from 'node:path';

const PROVIDER_KEY = makeSecret('sk-prov-');
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let mock, gw;
const outputs = [];

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('smoke-model', mock, 'upstream-smoke', PRICES)] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
});

after(async () => {
    for (const text of outputs) {
        for (const s of [PROVIDER_KEY, gw.masterKey]) assert.ok(!text.includes(s), 'a key in llmctl output');
    }
    await closeAll(gw, mock);
});

async function ctl(...args) {
    const r = await gw.llmctl([...args, '--prefix', gw.prefix]);
    outputs.push(r.stdout + r.stderr);
    return r;
}

const STEPS = ['openai chat', 'openai chat stream', 'anthropic messages', 'gemini generateContent',
    'key auth: wrong key -> 401', 'virtual key: generate', 'virtual key: chat', 'virtual key: deleted -> 401'];

test('run-tests: every step passes against a healthy gateway; each reached the provider', async () => {
    mock.reset();
    const r = await ctl('run-tests', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    assert.equal(doc.model, 'smoke-model');
    assert.deepEqual(doc.tests.map((t) => t.test), STEPS);
    for (const t of doc.tests) assert.equal(t.ok, true, `${t.test}: ${t.detail}`);
    // four API formats + the virtual key's chat: five answers from the provider,
    // all rewritten to the deployment's model; the refused ones never left
    const upstream = mock.requests.filter((q) => q.model === 'upstream-smoke');
    assert.equal(upstream.length, 5, JSON.stringify(mock.requests.map((q) => q.path)));
    assert.ok(upstream.every((q) => q.headers.authorization === `Bearer ${PROVIDER_KEY}`));
    assert.equal(upstream.filter((q) => q.body.stream === true).length, 1);
    // the smoke key is deleted afterwards
    const keys = await request(`${gw.url}/key/list`, { method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
    assert.equal(keys.status, 200, keys.text);
    assert.ok(!JSON.stringify(keys.json).includes('llmctl-run-tests'), 'the smoke key was left behind');
});

test('run-tests: text output, one aligned line per step and a total', async () => {
    const r = await ctl('run-tests', 'smoke-model');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^run-tests against http:\/\/127\.0\.0\.1:\d+, model smoke-model$/);
    const stepLines = lines.slice(1, -1);
    assert.equal(stepLines.length, STEPS.length);
    for (const [i, l] of stepLines.entries()) {
        assert.ok(l.startsWith('ok  '), l);
        assert.ok(l.includes(STEPS[i]), l);
    }
    assert.equal(lines[lines.length - 1], `${STEPS.length} tests, 0 failed`);
});

test('run-tests: a failing provider fails the run (exit 1) and names the steps', async () => {
    mock.onRequest = async (ctx) => { ctx.fail(500, 'server', 'the provider is down'); return true; };
    try {
        const r = await ctl('run-tests', '--json');
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.equal(doc.ok, false);
        const failed = doc.tests.filter((t) => !t.ok).map((t) => t.test);
        assert.deepEqual(failed, ['openai chat', 'openai chat stream', 'anthropic messages',
            'gemini generateContent', 'virtual key: chat']);
        // the checks that do not need the provider still pass
        for (const name of ['key auth: wrong key -> 401', 'virtual key: generate', 'virtual key: deleted -> 401']) {
            assert.equal(doc.tests.find((t) => t.test === name).ok, true, name);
        }
        assert.match(doc.tests[0].detail, /HTTP 5\d\d \(want 200\)/);
    } finally {
        mock.onRequest = null;
    }
});

test('run-tests: an unknown model fails; a usage error exits 2', async () => {
    const r = await ctl('run-tests', '--json', 'no-such-model');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).tests[0].ok, false);
    const u = await ctl('run-tests', '--no-such-flag');
    assert.equal(u.code, 2, u.stdout + u.stderr);
});

test('restart: new nginx and controld, same listener; keys and spend kept', async () => {
    const gen = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'survivor' },
    });
    assert.equal(gen.status, 200, gen.text);
    const key = gen.json.key;
    const chat = () => request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${key}` },
        body: { model: 'smoke-model', messages: [{ role: 'user', content: 'hi' }] },
    });
    await waitFor(async () => (await chat()).status === 200, { what: 'the new key live' });
    const info = async () => {
        const i = await request(`${gw.url}/key/info?key=${key}`, { method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
        assert.equal(i.status, 200, i.text);
        return i.json.info;
    };
    await waitFor(async () => (await info()).spend > 0, { what: 'spend recorded' });
    const spendBefore = (await info()).spend;
    const nginxBefore = readPid(path.join(gw.runDir, 'nginx.pid'));
    const controldBefore = readPid(path.join(gw.runDir, 'controld.pid'));

    const r = await ctl('restart');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(key));
    gw.rememberPids();
    assert.notEqual(gw.nginxPid, nginxBefore);
    assert.notEqual(gw.controldPid, controldBefore);

    await waitFor(async () => (await chat()).status === 200, { what: 'the key works after restart' });
    const after = await info();
    assert.equal(after.key_alias, 'survivor');
    assert.ok(after.spend >= spendBefore, `spend ${after.spend} < ${spendBefore}`);
    // run-tests passes on the restarted gateway
    const smoke = await ctl('run-tests', '--json');
    assert.equal(smoke.code, 0, smoke.stdout);
});

test('restart with nothing running in the prefix: exit 1 with a message', async () => {
    const r = await gw.llmctl(['restart', '--prefix', path.join(gw.dir, 'nothing-here')]);
    outputs.push(r.stdout + r.stderr);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /no instance to restart/);
});

test('test: the key store line says where the store is (the state file here)', async () => {
    const r = await ctl('test', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const store = JSON.parse(r.stdout).checks.find((c) => c.check === 'key store');
    assert.equal(store.ok, true);
    assert.equal(store.detail, `file ${path.join(gw.prefix, 'state', 'keys.json')}`);
});
