// llmctl content --type provider (issue 16): a provider row added as data,
// JSON or YAML, serves the config's deployments after a reload without a
// rebuild: its default api_base (with an {ENV} placeholder), key variable
// and auth scheme reach the provider; a wrong definition is refused; the
// rows outlast a controld restart; one that serves a deployment cannot be
// removed, and removed it no longer serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, request, readPid, alive, waitFor, run, CONTROLD,
} from '../lib/index.mjs';

const ACME_KEY = makeSecret('sk-acme-');
const BETA_KEY = makeSecret('bk-beta-');
let acme, beta, gw;

const CONFIG = {
    model_list: [
        { model_name: 'acme-chat', litellm_params: { model: 'acme/acme-large' } },
        { model_name: 'beta-chat', litellm_params: { model: 'beta/b-1' } },
    ],
};

before(async () => {
    acme = await startMockProvider({ apiKey: ACME_KEY });
    beta = await startMockProvider({});
    gw = await startGateway({
        config: CONFIG,
        env: { ACME_API_KEY: ACME_KEY, BETA_TOKEN: BETA_KEY, BETA_HOST: beta.url },
    });
});

after(async () => {
    if (gw) assert.deepEqual(gw.leakedSecrets([ACME_KEY, BETA_KEY, gw.masterKey]), [], 'a key reached a log');
    await closeAll(gw, acme, beta);
});

function llmctl(...args) {
    return gw.llmctl([...args, '--prefix', gw.prefix]);
}

function file(name, text) {
    const p = path.join(gw.dir, name);
    fs.writeFileSync(p, text);
    return p;
}

function chat(model) {
    return request(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model, messages: [{ role: 'user', content: `hello ${model}` }] },
    });
}

test('before any row: the deployments of an unknown provider are disabled, the gateway says so', async () => {
    const res = await chat('acme-chat');
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.message, /model "acme-chat" cannot be served: its deployment is disabled: .*acme/);
    assert.equal(acme.requests.length, 0);
});

test('a definition that is not a row is refused, with why, and nothing is kept', async () => {
    const cases = [
        ['bad-wire.json', '{"wire": "smoke-signals", "api_base": "http://x/v1"}', /'wire': unknown wire format "smoke-signals"/],
        ['bad-auth.json', '{"auth": "telepathy"}', /'auth': unknown auth scheme/],
        ['bad-name.json', '{"name": "other", "api_base": "http://x/v1"}', /'name' is "other", but it is kept as acme/],
        ['not-a-map.yaml', '- a\n- b\n', /expected a mapping/],
        ['broken.json', '{"wire": ', /line \d+/],
    ];
    for (const [name, text, why] of cases) {
        const res = await llmctl('content', 'add', '--type', 'provider', '--name', 'acme', '--file', file(name, text));
        assert.equal(res.code, 1, `${name}: ${res.stdout}${res.stderr}`);
        assert.match(res.stderr, why, name);
        assert.match(res.stderr, /not added/);
    }
    assert.ok(!fs.existsSync(path.join(gw.prefix, 'content/provider/acme')));
    const list = await llmctl('content', 'list', '--type', 'provider', '--json');
    assert.deepEqual(JSON.parse(list.stdout), []);
});

test('a JSON row and a YAML row, loaded by a reload: the deployments reach their providers with their keys', async () => {
    let res = await llmctl('content', 'add', '--type', 'provider', '--name', 'acme', '--file', file('acme.json', JSON.stringify({
        wire: 'openai', auth: 'bearer', api_base: `${acme.url}/v1`, key_env: ['ACME_API_KEY'],
        endpoints: ['chat', 'embeddings'], rejects: ['logit_bias'],
    })));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^added provider acme version 1 /);
    res = await llmctl('content', 'add', '--type', 'provider', '--name', 'beta', '--file', file('beta.yaml', [
        'name: beta',
        'wire: openai',
        'auth: header',
        'auth_header: x-beta-key',
        'api_base: "{BETA_HOST}/v1"',
        'key_env: BETA_TOKEN',
        'endpoints: [chat]',
        '',
    ].join('\n')));
    assert.equal(res.code, 0, res.stderr);

    const list = await llmctl('content', 'list', '--type', 'provider');
    assert.match(list.stdout, /^acme\s+1\s+1\s/m);
    assert.match(list.stdout, /^beta\s+1\s+1\s/m);

    res = await llmctl('content', 'execute', '--type', 'provider', '--name', 'acme');
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /loading provider acme: validate, then reload\nreloaded: generation \d+/);

    acme.reset();
    res = await chat('acme-chat');
    assert.equal(res.status, 200, res.text);
    assert.equal(acme.last().path, '/v1/chat/completions');
    assert.equal(acme.last().body.model, 'acme-large');
    assert.equal(acme.last().headers.authorization, `Bearer ${ACME_KEY}`);

    // the row's endpoints: beta serves chat only, as any built-in row would
    beta.reset();
    res = await request(`${gw.url}/v1/embeddings`, {
        method: 'POST', headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model: 'beta-chat', input: 'x' },
    });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.message, /provider "beta" does not serve \/v1\/embeddings/);
    assert.equal(beta.requests.length, 0);

    beta.reset();
    res = await chat('beta-chat');
    assert.equal(res.status, 200, res.text);
    assert.equal(beta.last().headers['x-beta-key'], BETA_KEY);
    assert.equal(beta.last().headers.authorization, undefined);
    assert.equal(beta.last().body.model, 'b-1');

    // what the gateway lists now
    const models = await request(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
    assert.deepEqual(models.json.data.map((m) => m.id).sort(), ['acme-chat', 'beta-chat']);
});

test('controld --check and --print read the rows with --content-dir; without it the provider is unknown', async () => {
    let res = await run(CONTROLD, ['--check', '--strict', '--config', gw.configPath, '--env', gw.envPath,
        '--content-dir', path.join(gw.prefix, 'content')], { logDir: gw.dir });
    assert.equal(res.code, 0, res.stderr);
    res = await run(CONTROLD, ['--print', '--config', gw.configPath, '--env', gw.envPath,
        '--content-dir', path.join(gw.prefix, 'content')], { logDir: gw.dir });
    assert.equal(res.code, 0, res.stderr);
    const printed = JSON.parse(res.stdout);
    const dep = printed.deployments.find((d) => d.model_name === 'beta-chat');
    assert.equal(dep.provider, 'beta');
    assert.equal(dep.auth, 'header');
    assert.ok(!res.stdout.includes(BETA_KEY), 'the key is shortened');
    res = await run(CONTROLD, ['--check', '--strict', '--config', gw.configPath, '--env', gw.envPath], { logDir: gw.dir });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /acme/);
});

test('the rows outlast a controld restart', async () => {
    const pidFile = path.join(gw.runDir, 'controld.pid');
    const old = readPid(pidFile);
    process.kill(old, 'SIGTERM');
    await waitFor(() => { const p = readPid(pidFile); return p && p !== old && alive(p); },
        { timeoutMs: 30000, what: 'llmctl starts controld again' });
    await waitFor(async () => (await chat('acme-chat')).status === 200, { timeoutMs: 30000, what: 'acme served' });
    acme.reset();
    const res = await chat('acme-chat');
    assert.equal(res.status, 200, res.text);
    assert.equal(acme.requests.length, 1);
});

test('a row that serves the config stays; out of the config, it is removed and no longer serves', async () => {
    let res = await llmctl('content', 'remove', '--type', 'provider', '--name', 'acme');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /provider acme serves 1 deployment\(s\) of .*config\.yaml; take them out of the config first/);

    // a new version replaces the old one at the next reload
    res = await llmctl('content', 'add', '--type', 'provider', '--name', 'beta', '--file', file('beta2.json',
        JSON.stringify({ wire: 'openai', auth: 'bearer', api_base: `${beta.url}/v1`, key_env: 'BETA_TOKEN' })));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /version 2/);
    res = await gw.reload({ model_list: [CONFIG.model_list[1]] });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    beta.reset();
    res = await chat('beta-chat');
    assert.equal(res.status, 200, res.text);
    assert.equal(beta.last().headers.authorization, `Bearer ${BETA_KEY}`, 'version 2: bearer');

    res = await llmctl('content', 'remove', '--type', 'provider', '--name', 'acme');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /removed provider acme \(1 versions\)/);
    res = await gw.reload({ model_list: [...CONFIG.model_list] });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    acme.reset();
    res = await chat('acme-chat');
    assert.ok(res.status >= 400, res.text);
    assert.equal(acme.requests.length, 0);
    assert.equal((await chat('beta-chat')).status, 200);
});
