// The key management API through the gateway (nginx `llm_management` ->
// controld): the whole key and team lifecycle with the master key, LiteLLM's
// shapes, errors naming the field, 401 for anything but the master key,
// keys declared in config.yaml, and `llmctl keys` / `llmctl spend`.
// State-file mode (no Redis); keys_durability covers Redis.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, assertOpenAIError,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
const DECLARED_KEY = makeSecret('sk-declared-');
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
let mock, gw;
const secrets = [PROVIDER_KEY, DECLARED_KEY];

function config() {
    return {
        model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o')],
        general_settings: {
            master_key: 'os.environ/LITELLM_MASTER_KEY',
            teams: [{ team_id: 'declared-team', team_alias: 'Declared', max_budget: 7 }],
            keys: [{ key: 'os.environ/DECLARED_KEY', key_alias: 'declared', team_id: 'declared-team', rpm_limit: 30 }],
        },
    };
}

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({ config: config(), env: { OPENAI_API_KEY: PROVIDER_KEY, DECLARED_KEY } });
});

after(async () => {
    if (gw) assert.deepEqual(gw.leakedSecrets(secrets), [], 'a key reached a log');
    await closeAll(gw, mock);
});

/** A management call with the master key (or `key`). */
async function api(method, route, body, key = gw.masterKey) {
    const headers = key ? { authorization: `Bearer ${key}` } : {};
    return request(`${gw.url}${route}`, { method, headers, body });
}

async function ok(method, route, body) {
    const res = await api(method, route, body);
    assert.equal(res.status, 200, `${method} ${route} -> ${res.status} ${res.text}`);
    return res.json;
}

async function generate(body = {}) {
    const out = await ok('POST', '/key/generate', body);
    secrets.push(out.key);
    return out;
}

test('generate: sk- key from the CSPRNG, returned once, stored as its SHA-256', async () => {
    const a = await generate({ key_alias: 'gen-a', max_budget: 1.5, budget_duration: '30d', models: ['gpt-4o'],
        tpm_limit: 1000, rpm_limit: 10, max_parallel_requests: 2, metadata: { owner: 'qa' },
        model_rpm_limit: { 'gpt-4o': 5 }, duration: '1h' });
    const b = await generate();
    assert.match(a.key, /^sk-[A-Za-z0-9_-]{32,}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(a.token, sha256(a.key));
    assert.equal(a.key_name, `sk-...${a.key.slice(-4)}`);
    assert.equal(a.key_alias, 'gen-a');
    assert.equal(a.max_budget, 1.5);
    assert.equal(a.spend, 0);
    assert.equal(a.budget_duration, '30d');
    assert.ok(Date.parse(a.budget_reset_at) > Date.now() + 29 * 86400e3);
    assert.ok(Date.parse(a.expires) > Date.now() + 3500e3 && Date.parse(a.expires) < Date.now() + 3700e3);
    assert.deepEqual(a.models, ['gpt-4o']);
    assert.deepEqual(a.metadata, { owner: 'qa' });
    assert.deepEqual(a.model_rpm_limit, { 'gpt-4o': 5 });
    assert.equal(a.max_parallel_requests, 2);

    // Never again in clear: info, list and the state file hold the hash only.
    const info = await ok('GET', `/key/info?key=${a.token}`);
    assert.equal(info.info.token, a.token);
    assert.ok(!JSON.stringify(info).includes(a.key));
    const state = fs.readFileSync(path.join(gw.prefix, 'state', 'keys.json'), 'utf8');
    assert.ok(state.includes(a.token));
    assert.ok(!state.includes(a.key), 'the state file must not hold a key in clear');
    assert.equal(fs.statSync(path.join(gw.prefix, 'state', 'keys.json')).mode & 0o777, 0o600);
});

test('generate: bad input -> 400 naming the field; a custom key is accepted', async () => {
    for (const [body, param] of [
        [{ max_budget: -1 }, 'max_budget'],
        [{ max_budget: 'lots' }, 'max_budget'],
        [{ budget_duration: 'forever' }, 'budget_duration'],
        [{ duration: 12 }, 'duration'],
        [{ models: 'gpt-4o' }, 'models'],
        [{ rpm_limit: 1.5 }, 'rpm_limit'],
        [{ tpm_limit: -3 }, 'tpm_limit'],
        [{ team_id: 'no-such-team' }, 'team_id'],
        [{ key: 'not-sk' }, 'key'],
    ]) {
        const res = await api('POST', '/key/generate', body);
        const err = assertOpenAIError(res, 400, JSON.stringify(body));
        assert.equal(err.param, param, JSON.stringify(body));
        assert.equal(err.code, '400');
    }
    assertOpenAIError(await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' }, body: '{"key_alias":',
    }), 400, 'broken JSON');

    const custom = makeSecret('sk-custom-');
    const out = await generate({ key: custom, key_alias: 'custom' });
    assert.equal(out.key, custom);
    assert.equal(out.token, sha256(custom));
    assertOpenAIError(await api('POST', '/key/generate', { key: custom }), 400, 'duplicate');
});

test('info, list: LiteLLM shapes, filters, pages; unknown key -> 404', async () => {
    const k = await generate({ key_alias: 'listed' });
    const byKey = await ok('GET', `/key/info?key=${encodeURIComponent(k.key)}`);
    assert.equal(byKey.info.token, k.token);
    assert.equal(byKey.info.key_alias, 'listed');

    const list = await ok('GET', '/key/list');
    assert.ok(Array.isArray(list.keys));
    assert.ok(list.total_count >= 4);
    assert.equal(list.current_page, 1);
    assert.ok(list.keys.every((t) => typeof t === 'string' && /^[0-9a-f]{64}$/.test(t)));

    const full = await ok('GET', '/key/list?key_alias=listed&return_full_object=true');
    assert.equal(full.total_count, 1);
    assert.equal(full.keys[0].token, k.token);
    const page = await ok('GET', '/key/list?size=1&page=2');
    assert.equal(page.keys.length, 1);
    assert.equal(page.total_pages, list.total_count);

    const missing = assertOpenAIError(await api('GET', `/key/info?key=${'0'.repeat(64)}`), 404, 'unknown');
    assert.equal(missing.param, 'key');
    assertOpenAIError(await api('GET', '/key/info'), 400, 'no key');
});

test('update, block, unblock', async () => {
    const k = await generate({ key_alias: 'upd' });
    const up = await ok('POST', '/key/update', { key: k.key, max_budget: 2, rpm_limit: 7, models: ['a', 'b'], spend: 0.25 });
    assert.equal(up.max_budget, 2);
    assert.equal(up.rpm_limit, 7);
    assert.deepEqual(up.models, ['a', 'b']);
    assert.equal(up.spend, 0.25);
    assert.equal(up.key_alias, 'upd', 'fields not given stay');

    const cleared = await ok('POST', '/key/update', { key: k.token, max_budget: null, rpm_limit: null });
    assert.equal(cleared.max_budget, null);
    assert.equal(cleared.rpm_limit, null);

    assert.equal(assertOpenAIError(await api('POST', '/key/update', { key: k.key, max_budget: -2 }), 400).param, 'max_budget');
    assertOpenAIError(await api('POST', '/key/update', { key: makeSecret('sk-nope-') }), 404, 'unknown key');
    assert.equal(assertOpenAIError(await api('POST', '/key/update', { max_budget: 1 }), 400).param, 'key');

    assert.equal((await ok('POST', '/key/block', { key: k.key })).blocked, true);
    assert.equal((await ok('GET', `/key/info?key=${k.token}`)).info.blocked, true);
    assert.equal((await ok('POST', '/key/unblock', { key: k.key })).blocked, false);
});

test('regenerate: a new key with the same settings; the old one is gone', async () => {
    const k = await generate({ key_alias: 'regen', max_budget: 3 });
    const r = await ok('POST', '/key/regenerate', { key: k.key, max_budget: 4 });
    secrets.push(r.key);
    assert.match(r.key, /^sk-/);
    assert.notEqual(r.key, k.key);
    assert.equal(r.token, sha256(r.key));
    assert.equal(r.key_alias, 'regen');
    assert.equal(r.max_budget, 4);
    assertOpenAIError(await api('GET', `/key/info?key=${k.token}`), 404, 'old key');

    const r2 = await ok('POST', `/key/${encodeURIComponent(r.key)}/regenerate`, {});
    secrets.push(r2.key);
    assert.notEqual(r2.token, r.token);
    assert.equal((await ok('GET', `/key/info?key=${r2.token}`)).info.key_alias, 'regen');
});

test('delete by keys and by key_aliases; unknown -> 404 and nothing deleted', async () => {
    const a = await generate({ key_alias: 'del-a' });
    const b = await generate({ key_alias: 'del-b' });
    assertOpenAIError(await api('POST', '/key/delete', { keys: [a.key, makeSecret('sk-nope-')] }), 404, 'partly unknown');
    assert.equal((await ok('GET', `/key/info?key=${a.token}`)).info.key_alias, 'del-a');

    const out = await ok('POST', '/key/delete', { keys: [a.key] });
    assert.deepEqual(out.deleted_keys, [a.token]);
    assertOpenAIError(await api('GET', `/key/info?key=${a.token}`), 404);
    assert.deepEqual((await ok('POST', '/key/delete', { key_aliases: ['del-b'] })).deleted_keys, ['del-b']);
    assertOpenAIError(await api('GET', `/key/info?key=${b.token}`), 404);
    assertOpenAIError(await api('POST', '/key/delete', {}), 400, 'nothing named');
});

test('teams: new, update, info, list, delete (with its keys)', async () => {
    const t = await ok('POST', '/team/new', { team_alias: 'ops', max_budget: 10, budget_duration: '1mo', rpm_limit: 100, models: ['gpt-4o'] });
    assert.match(t.team_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(t.max_budget, 10);
    const named = await ok('POST', '/team/new', { team_id: 'team-x', team_alias: 'X' });
    assert.equal(named.team_id, 'team-x');
    assert.equal(assertOpenAIError(await api('POST', '/team/new', { team_id: 'team-x' }), 400).param, 'team_id');
    assert.equal(assertOpenAIError(await api('POST', '/team/new', { max_budget: -1 }), 400).param, 'max_budget');

    const up = await ok('POST', '/team/update', { team_id: t.team_id, tpm_limit: 5000, blocked: true });
    assert.equal(up.tpm_limit, 5000);
    assert.equal(up.blocked, true);
    assertOpenAIError(await api('POST', '/team/update', { team_id: 'nope', tpm_limit: 1 }), 404);

    const k = await generate({ team_id: t.team_id, key_alias: 'in-team' });
    const info = await ok('GET', `/team/info?team_id=${t.team_id}`);
    assert.equal(info.team_id, t.team_id);
    assert.equal(info.team_info.team_alias, 'ops');
    assert.deepEqual(info.keys.map((x) => x.token), [k.token]);
    const list = await ok('GET', '/team/list');
    assert.ok(list.some((x) => x.team_id === t.team_id && x.keys.includes(k.token)));

    const del = await ok('POST', '/team/delete', { team_ids: [t.team_id] });
    assert.deepEqual(del.deleted_teams, [t.team_id]);
    assert.equal(del.deleted_keys, 1);
    assertOpenAIError(await api('GET', `/team/info?team_id=${t.team_id}`), 404);
    assertOpenAIError(await api('GET', `/key/info?key=${k.token}`), 404, 'the team key went with it');
    assertOpenAIError(await api('POST', '/team/delete', { team_ids: ['nope'] }), 404);
});

test('keys and teams declared in config.yaml are there, by hash only', async () => {
    const info = await ok('GET', `/key/info?key=${sha256(DECLARED_KEY)}`);
    assert.equal(info.info.key_alias, 'declared');
    assert.equal(info.info.team_id, 'declared-team');
    assert.equal(info.info.rpm_limit, 30);
    assert.equal(info.info.source, 'config');
    assert.equal(info.info.key_name, `sk-...${DECLARED_KEY.slice(-4)}`);
    const team = await ok('GET', '/team/info?team_id=declared-team');
    assert.equal(team.team_info.max_budget, 7);
});

test('only the master key: a virtual key, a wrong key or none -> 401', async () => {
    const k = await generate({ key_alias: 'not-admin' });
    for (const [what, key] of [['virtual key', k.key], ['wrong key', makeSecret('sk-wrong-')], ['no key', null]]) {
        for (const [method, route] of [['POST', '/key/generate'], ['GET', '/key/list'], ['GET', '/team/list'],
            ['GET', '/spend/keys'], ['GET', '/global/spend']]) {
            const res = await api(method, route, method === 'POST' ? {} : undefined, key);
            assertOpenAIError(res, 401, `${what} ${route}`);
            if (key) assert.ok(!res.text.includes(key), 'the key is not echoed');
        }
    }
});

test('spend routes: /spend/keys, /global/spend', async () => {
    const keys = await ok('GET', '/spend/keys');
    assert.ok(Array.isArray(keys) && keys.length > 0);
    assert.ok(keys.every((k) => typeof k.spend === 'number' && /^[0-9a-f]{64}$/.test(k.token)));
    const g = await ok('GET', '/global/spend');
    assert.equal(typeof g.spend, 'number');
    assert.ok('max_budget' in g);
    assertOpenAIError(await api('GET', '/key/nothing-here'), 404, 'unknown route');
    assertOpenAIError(await api('GET', '/key/generate'), 405, 'wrong method');
});

test('llmctl keys generate/list/info/block/delete and llmctl spend', async () => {
    const gen = await gw.llmctl(['keys', '--prefix', gw.prefix, 'generate', '--alias', 'cli', '--budget', '2.5',
        '--models', 'gpt-4o,other', '--rpm', '9']);
    assert.equal(gen.code, 0, gen.stderr);
    const key = gen.stdout.match(/^key: +(sk-\S+)$/m)[1];
    const token = gen.stdout.match(/^token: +([0-9a-f]{64})$/m)[1];
    // Printed once on purpose (llmctl's own output); never in a log.
    assert.ok(!gw.allLogs().includes(key));
    assert.equal(token, sha256(key));

    const list = await gw.llmctl(['keys', '--prefix', gw.prefix]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${token.slice(0, 12)} +sk-\\.\\.\\.${key.slice(-4).replace(/[-]/g, '\\-')} +cli `));
    assert.ok(!list.stdout.includes(key), 'list shows no key in clear');

    const info = await gw.llmctl(['keys', '--prefix', gw.prefix, 'info', key]);
    assert.equal(info.code, 0, info.stderr);
    const shown = JSON.parse(info.stdout);
    assert.equal(shown.max_budget, 2.5);
    assert.deepEqual(shown.models, ['gpt-4o', 'other']);
    assert.equal(shown.rpm_limit, 9);

    assert.equal((await gw.llmctl(['keys', '--prefix', gw.prefix, 'block', token])).code, 0);
    assert.equal((await ok('GET', `/key/info?key=${token}`)).info.blocked, true);
    assert.equal((await gw.llmctl(['keys', '--prefix', gw.prefix, 'delete', key])).code, 0);
    assertOpenAIError(await api('GET', `/key/info?key=${token}`), 404);
    const gone = await gw.llmctl(['keys', '--prefix', gw.prefix, 'info', token]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /HTTP 404/);
    const bad = await gw.llmctl(['keys', '--prefix', gw.prefix, 'generate', '--budget', 'lots']);
    assert.equal(bad.code, 2);

    const spend = await gw.llmctl(['spend', '--prefix', gw.prefix]);
    assert.equal(spend.code, 0, spend.stderr);
    for (const section of ['keys (token)', 'teams', 'model groups', 'deployments', 'days (UTC)']) {
        assert.ok(spend.stdout.includes(section), `llmctl spend shows ${section}`);
    }
});
