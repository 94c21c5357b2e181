// llmctl's operator commands against a real gateway (nginx + controld, file
// store and Redis): status --detailed/--json, list-models, test, content
// (named configs), backup -> reset --purge-data -> restore; exit codes
// 0 ok / 1 failed check / 2 usage; no secret in any output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret,
    openaiDeployment, request, waitFor, makeTempDir,
} from '../lib/index.mjs';
import { startRedis } from '../lib/redis.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let mock, redis;
const gateways = [];
const outputs = [];

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    redis = await startRedis();
});

after(() => closeAll(...gateways, mock, redis ? { stop: () => redis.stop() } : null));

async function gateway(withRedis) {
    const cfg = { model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o', PRICES)] };
    const env = { OPENAI_API_KEY: PROVIDER_KEY };
    if (withRedis) {
        cfg.router_settings = { redis_host: 'os.environ/REDIS_HOST', redis_port: 'os.environ/REDIS_PORT' };
        Object.assign(env, { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) });
    }
    const gw = await startGateway({ config: cfg, env });
    gateways.push(gw);
    return gw;
}

async function ctl(gw, ...args) {
    const r = await gw.llmctl([...args, '--prefix', gw.prefix]);
    outputs.push(r.stdout + r.stderr);
    return r;
}

// The shipped default config (what reset puts in place) has master_key sk-1234.
const DEFAULT_MASTER = 'sk-1234';
const api = (gw, method, route, body, master = gw.masterKey) => request(`${gw.url}${route}`,
    { method, headers: { authorization: `Bearer ${master}` }, body });

async function keyState(gw, master = gw.masterKey) {
    const res = await api(gw, 'GET', '/key/list?return_full_object=true', undefined, master);
    assert.equal(res.status, 200, res.text);
    const keys = res.json.keys || res.json;
    const out = {};
    for (const k of keys) {
        const tok = typeof k === 'string' ? k : (k.token || k.key);
        const i = await api(gw, 'GET', `/key/info?key=${tok}`, undefined, master);
        out[i.json.info.key_alias] = Math.round(i.json.info.spend * 1e6);
    }
    return out;
}

/** n chat requests with `key`; returns the micro-dollars they must cost. */
async function spendWith(gw, key, n) {
    let micros = 0;
    for (let i = 0; i < n; i++) {
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${key}` },
            body: { model: 'gpt-4o', messages: [{ role: 'user', content: `r${i}` }] },
        });
        assert.equal(res.status, 200, res.text);
        micros += res.json.usage.prompt_tokens + 2 * res.json.usage.completion_tokens;
    }
    return micros;
}

for (const withRedis of [false, true]) {
    const store = withRedis ? 'Redis' : 'file store';

    test(`${store}: status --detailed --json, list-models --json, test`, async () => {
        const gw = await gateway(withRedis);
        let r = await ctl(gw, 'status', '--detailed', '--json');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const st = JSON.parse(r.stdout);
        assert.equal(st.running, true);
        assert.equal(st.store.store, withRedis ? 'redis' : 'file');
        assert.equal(st.store.available, true);
        assert.equal(st.deployments.length, 1);
        assert.equal(st.deployments[0].model_name, 'gpt-4o');
        assert.equal(st.deployments[0].key, `...${PROVIDER_KEY.slice(-4)}`);
        r = await ctl(gw, 'status-detailed');
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\s+store\s+(file|redis) \S+, ok/m);
        assert.ok(!r.stdout.includes('(null)'));
        assert.ok(!r.stdout.includes('\u001b['), 'no colour off a TTY');
        r = await ctl(gw, 'list-models', '--json');
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), ['gpt-4o']);
        r = await ctl(gw, 'test', '--timeout', '30', '--json');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const t = JSON.parse(r.stdout);
        assert.equal(t.ok, true);
        assert.deepEqual(t.checks.map((c) => c.check.split(' ')[0]), ['gateway', 'controld', 'key', 'provider']);
        assert.ok(t.checks.every((c) => c.ok === true));
        assert.equal((await ctl(gw, 'status', '--bogus')).code, 2);
        assert.equal((await ctl(gw, 'test', '--timeout', 'x')).code, 2);
        assert.deepEqual(gw.leakedSecrets([PROVIDER_KEY, gw.masterKey]), []);
    });

    // Both stores, two Redis gateways sharing one Redis (the status test's
    // is still running): what a second node would see.
    test(`${store}: backup -> reset --purge-data -> restore brings back keys and spend exactly`, async () => {
        const gw = await gateway(withRedis);
        const team = await api(gw, 'POST', '/team/new', { team_id: 'team-ops', team_alias: 'Ops', max_budget: 10 });
        assert.equal(team.status, 200, team.text);
        const a = (await api(gw, 'POST', '/key/generate', { key_alias: 'alpha', team_id: 'team-ops' })).json.key;
        const b = (await api(gw, 'POST', '/key/generate', { key_alias: 'beta' })).json.key;
        await waitFor(async () => (await request(`${gw.url}/v1/models`,
            { method: 'GET', headers: { authorization: `Bearer ${b}` } })).status === 200,
            { timeoutMs: 30000, what: 'keys live' });
        // Every answer's cost is in the store before the backup: a usage
        // batch still in flight would land after it and the round trip
        // could not be exact.
        const before = { alpha: await spendWith(gw, a, 3), beta: await spendWith(gw, b, 2) };
        let seen;
        await waitFor(async () => JSON.stringify(seen = await keyState(gw)) === JSON.stringify(before),
            { timeoutMs: 30000, what: 'all spend recorded' }).catch(() => {});
        assert.deepEqual(seen, before, 'all spend recorded before the backup');
        // a config.yaml its owner made 0600 (it may hold keys) stays 0600
        fs.chmodSync(gw.configPath, 0o600);
        const dir = makeTempDir('ops-backup-');
        const file = path.join(dir, 'b.tar.gz');
        let r = await ctl(gw, 'backup', '--out', file);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(fs.statSync(file).size > 0);
        r = await ctl(gw, 'reset', '--purge-data', '--yes');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        await waitFor(async () => (await api(gw, 'GET', '/key/list', undefined, DEFAULT_MASTER)).status === 200,
            { timeoutMs: 30000, what: 'default config live' });
        assert.deepEqual(await keyState(gw, DEFAULT_MASTER), {});
        assert.equal((await api(gw, 'GET', '/team/info?team_id=team-ops', undefined, DEFAULT_MASTER)).status, 404);
        assert.ok(!fs.readFileSync(gw.configPath, 'utf8').includes('sk-1234'), 'the user config is unchanged');
        r = await ctl(gw, 'restore', '--yes', file);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(fs.statSync(gw.configPath).mode & 0o777, 0o600, 'restore kept the config\'s mode');
        let now;
        await waitFor(async () => JSON.stringify(now = await keyState(gw)) === JSON.stringify(before),
            { timeoutMs: 30000, what: 'keys and spend back' }).catch(() => {});
        assert.deepEqual(now, before);
        const ti = await api(gw, 'GET', '/team/info?team_id=team-ops');
        assert.equal(ti.status, 200, ti.text);
        assert.equal(ti.json.team_info?.team_alias ?? ti.json.team_alias, 'Ops');
        const bogus = path.join(dir, 'bogus.tar.gz');
        fs.writeFileSync(bogus, 'not a backup');
        r = await ctl(gw, 'restore', '--yes', bogus);
        assert.equal(r.code, 1);
        // one line saying what is wrong, not tar's and gzip's complaints
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /is not a valid ngx_llm backup: not a gzip'd tar archive; nothing was changed/);
        assert.deepEqual(gw.leakedSecrets([PROVIDER_KEY, gw.masterKey, a, b]), []);
        for (const o of outputs) for (const s of [PROVIDER_KEY, gw.masterKey, a, b]) assert.ok(!o.includes(s));
    });
}

test('content: add, list, get, execute (reload), remove named configs; usage errors', async () => {
    const gw = await gateway(false);
    const dir = makeTempDir('ops-content-');
    const file = path.join(dir, 'two.yaml');
    const cfg = fs.readFileSync(gw.configPath, 'utf8').replace(/model_name: "?gpt-4o"?/, 'model_name: gpt-4o-two');
    assert.ok(cfg.includes('gpt-4o-two'));
    fs.writeFileSync(file, cfg);
    let r = await ctl(gw, 'content', 'add', '--type', 'config', '--name', 'two', '--file', file);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await ctl(gw, 'content', 'list', '--type', 'config', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('two'));
    r = await ctl(gw, 'content', 'get', '--type', 'config', '--name', 'two');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('gpt-4o-two'));
    r = await ctl(gw, 'content', 'execute', '--type', 'config', '--name', 'two');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await waitFor(async () => {
        const m = await request(`${gw.url}/v1/models`, { method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
        return m.status === 200 && m.json.data.some((d) => d.id === 'gpt-4o-two');
    }, { timeoutMs: 30000, what: 'named config live' });
    const badFile = path.join(dir, 'bad.yaml');
    fs.writeFileSync(badFile, 'model_list: [ {{{ nope');
    r = await ctl(gw, 'content', 'add', '--type', 'config', '--name', 'bad', '--file', badFile);
    if (r.code === 0) r = await ctl(gw, 'content', 'execute', '--type', 'config', '--name', 'bad');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    r = await ctl(gw, 'content', 'list', '--type', 'config', '--json');
    const listed = JSON.parse(r.stdout);
    assert.equal(listed.find((c) => c.name === 'two').active, true);
    r = await ctl(gw, 'content', 'remove', '--type', 'config', '--name', 'two');
    assert.equal(r.code, 1, 'the active config is not removed');
    assert.match(r.stderr, /active config/);
    const three = path.join(dir, 'three.yaml');
    fs.writeFileSync(three, cfg.replace('gpt-4o-two', 'gpt-4o-three'));
    assert.equal((await ctl(gw, 'content', 'add', '--type', 'config', '--name', 'three', '--file', three)).code, 0);
    r = await ctl(gw, 'content', 'remove', '--type', 'config', '--name', 'three');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = await ctl(gw, 'content', 'list', '--type', 'config', '--json');
    const names = JSON.parse(r.stdout).map((c) => c.name);
    assert.ok(names.includes('two') && !names.includes('three'), names.join(','));
    assert.equal((await ctl(gw, 'content', 'frob', '--type', 'config')).code, 2);
    assert.equal((await ctl(gw, 'content', 'get', '--type', 'config')).code, 2);
    for (const o of outputs) for (const s of [PROVIDER_KEY, gw.masterKey]) assert.ok(!o.includes(s));
});
