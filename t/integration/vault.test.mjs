// Provider keys from HashiCorp Vault (general_settings.key_management_system:
// hashicorp_vault), against t/lib/mocks/vault.mjs, which speaks Vault's HTTP
// API: keys from KV v2 (vault_path_prefix and vault:MOUNT/PATH#FIELD) and
// KV v1 reach the provider; a key rotated in Vault is picked up by llmctl
// reload and by the refresh interval with no failed request; Vault down at
// start, down or sealed during a refresh, a wrong token, AppRole login; and
// the Vault token and the keys appear in no log, no llmctl output, no error
// and no state dump.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, startMockVault, makeSecret, openaiDeployment,
    deployment, pool, waitFor, run, CONTROLD, makeTempDir, request,
} from '../lib/index.mjs';

const TOKEN = makeSecret('hvs.');
const KEY_A = makeSecret('sk-vault-openai-a-');
const KEY_B = makeSecret('sk-vault-openai-b-');
const KEY_C = makeSecret('sk-vault-openai-c-');
const ANTHROPIC_KEY = makeSecret('sk-ant-vault-');
const KV1_KEY = makeSecret('sk-kv1-');
const SECRET_ID = makeSecret('secret-id-');
const ALL_SECRETS = () => [TOKEN, KEY_A, KEY_B, KEY_C, ANTHROPIC_KEY, KV1_KEY, SECRET_ID];

let vault, openai, anthropic, kv1mock;
const gateways = [];

const chat = (gw, model, content = 'hello') => gw.client().chat.completions.create({
    model, messages: [{ role: 'user', content }],
});

function vaultConfig(models, general = {}) {
    return {
        model_list: models,
        general_settings: {
            key_management_system: 'hashicorp_vault',
            vault_path_prefix: 'secret/vrooli',
            vault_refresh_interval: 3600,
            ...general,
        },
    };
}

// an OpenAI deployment with no api_key: PREFIX/openai#api_key from Vault
const openaiFromPrefix = (name, mock) => openaiDeployment(name, mock, 'gpt-4o-mini', {}, null);

// Each test's gateway stops when the test ends: one left running with a
// 1 s refresh keeps reading Vault (with its own token) during later tests.
async function gateway(t, config, env) {
    const gw = await startGateway({ config, env: { VAULT_ADDR: vault.url, ...env } });
    gateways.push(gw);
    t.after(() => gw.stop().catch(() => {}));
    return gw;
}

function secretsReport(gw) {
    return JSON.parse(fs.readFileSync(path.join(gw.prefix, 'state', 'secrets.json'), 'utf8'));
}

async function status(gw) {
    const res = await gw.llmctl(['status', '--prefix', gw.prefix]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    return res.stdout;
}

/** No secret in any log, llmctl output, secrets.json or `controld --print`. */
async function assertNoLeak(gw) {
    assert.deepEqual(gw.leakedSecrets(ALL_SECRETS()), [], 'a secret reached a log or llmctl output');
    const report = fs.readFileSync(path.join(gw.prefix, 'state', 'secrets.json'), 'utf8');
    for (const s of ALL_SECRETS()) assert.ok(!report.includes(s), 'secrets.json holds a secret');
    const printed = await run(CONTROLD, ['--config', gw.configPath, '--env', gw.envPath, '--print'],
        { logDir: gw.dir, timeoutMs: 60000 });
    for (const s of ALL_SECRETS()) {
        assert.ok(!(printed.stdout + printed.stderr).includes(s), 'controld --print shows a secret');
    }
}

before(async () => {
    vault = await startMockVault({ token: TOKEN });
    vault.mount('kv', 1);
    vault.put('secret/vrooli/openai', { api_key: KEY_A });
    vault.put('secret/vrooli/anthropic', { api_key: ANTHROPIC_KEY });
    vault.put('kv/gateway/extra', { token: KV1_KEY });
    openai = await startMockProvider({ apiKey: KEY_A });
    anthropic = await startMockProvider({ apiKey: ANTHROPIC_KEY });
    kv1mock = await startMockProvider({ apiKey: KV1_KEY });
});

after(async () => {
    for (const gw of gateways) await gw.stop().catch(() => {});
    await closeAll(openai, anthropic, kv1mock, vault);
});

test('keys from Vault KV v2 (prefix and vault: refs) and KV v1 reach the providers; status names the source, last 4 only', async (t) => {
    const gw = await gateway(t, vaultConfig([
        openaiFromPrefix('from-prefix', openai),
        deployment('claude', 'anthropic/claude-3-5-haiku', {
            api_base: anthropic.url, api_key: 'vault:secret/vrooli/anthropic#api_key',
        }),
        openaiDeployment('from-kv1', kv1mock, 'gpt-4o', { api_key: 'vault:kv/gateway/extra#token' }, null),
    ]), { VAULT_TOKEN: TOKEN });

    const a = await chat(gw, 'from-prefix', 'via prefix');
    assert.ok(a.choices[0].message.content.includes('via prefix'));
    assert.equal(openai.last().headers.authorization, `Bearer ${KEY_A}`);

    await chat(gw, 'claude');
    assert.equal(anthropic.last().headers['x-api-key'], ANTHROPIC_KEY);

    await chat(gw, 'from-kv1');
    assert.equal(kv1mock.last().headers.authorization, `Bearer ${KV1_KEY}`);

    // what Vault was asked: KV v2 under /data/, KV v1 without, the token in X-Vault-Token
    const paths = vault.requests.map((r) => r.path);
    assert.ok(paths.includes('/v1/secret/data/vrooli/openai'), paths.join(' '));
    assert.ok(paths.includes('/v1/secret/data/vrooli/anthropic'));
    assert.ok(paths.includes('/v1/kv/gateway/extra'));
    assert.ok(vault.requests.filter((r) => r.path.startsWith('/v1/secret/')).every((r) => r.token === TOKEN));

    const report = secretsReport(gw);
    assert.equal(report.vault.reachable, true);
    assert.equal(report.vault.error, null);
    const sources = Object.fromEntries(report.keys.map((k) => [k.model_name, k]));
    assert.equal(sources['from-prefix'].source, 'vault secret/vrooli/openai#api_key');
    assert.equal(sources['from-prefix'].key, `...${KEY_A.slice(-4)}`);
    assert.equal(sources.claude.source, 'vault secret/vrooli/anthropic#api_key');
    assert.equal(sources['from-kv1'].source, 'vault kv/gateway/extra#token');

    const out = await status(gw);
    assert.match(out, /vault: http:\/\/127\.0\.0\.1:\d+ \(token auth\), reachable, prefix secret\/vrooli/);
    assert.match(out, new RegExp(`from-prefix\\s+openai\\s+vault secret/vrooli/openai#api_key\\s+\\.\\.\\.${KEY_A.slice(-4)}`));
    await assertNoLeak(gw);
});

// The snapshot (state/config.json) is the one file under the prefix with
// provider keys in clear: nginx loads it on a cold start, before controld
// is up, to reach the providers (docs/secrets.md).  It is 0600 in a 0700
// directory; nothing else there, no status, backup or /metrics has them.
test('Vault keys in clear only in the 0600 snapshot nginx loads; not in status --detailed, backup, /metrics, other state', async (t) => {
    const gw = await gateway(t, vaultConfig([
        openaiFromPrefix('from-prefix', openai),
        deployment('claude', 'anthropic/claude-3-5-haiku', {
            api_base: anthropic.url, api_key: 'vault:secret/vrooli/anthropic#api_key',
        }),
    ]), { VAULT_TOKEN: TOKEN });
    await chat(gw, 'from-prefix');
    await chat(gw, 'claude');

    const keys = [KEY_A, ANTHROPIC_KEY];
    const withKeys = [];
    const walk = (dir) => {
        for (const f of fs.readdirSync(dir)) {
            const p = path.join(dir, f);
            const st = fs.lstatSync(p);
            if (st.isDirectory()) walk(p);
            else if (st.isFile()) {
                const text = fs.readFileSync(p, 'latin1');
                assert.ok(!text.includes(TOKEN), `the Vault token in ${p}`);
                if (keys.some((k) => text.includes(k))) withKeys.push([path.relative(gw.prefix, p), st.mode & 0o777]);
            }
        }
    };
    walk(gw.prefix);
    assert.deepEqual(withKeys, [['state/config.json', 0o600]], 'provider keys in clear only in the snapshot, 0600');
    assert.equal(fs.statSync(path.join(gw.prefix, 'state')).mode & 0o777, 0o700);
    const snap = JSON.parse(fs.readFileSync(path.join(gw.prefix, 'state', 'config.json'), 'utf8'));
    assert.ok(JSON.stringify(snap).includes(KEY_A), 'nginx needs the key from the snapshot');

    for (const args of [['status', '--detailed'], ['status', '--detailed', '--json'], ['test']]) {
        const res = await gw.llmctl([...args, '--prefix', gw.prefix]);
        const out = res.stdout + res.stderr;
        for (const s of ALL_SECRETS()) assert.ok(!out.includes(s), `llmctl ${args.join(' ')} shows a secret`);
        if (args[0] === 'status') assert.ok(out.includes(KEY_A.slice(-4)), `llmctl ${args.join(' ')}: last 4 shown`);
    }
    const archive = path.join(gw.dir, 'backup.tgz');
    const b = await gw.llmctl(['backup', '--out', archive, '--prefix', gw.prefix]);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.equal(fs.statSync(archive).mode & 0o777, 0o600);
    const x = path.join(gw.dir, 'backup-x');
    fs.mkdirSync(x);
    const tar = await run('tar', ['xzf', archive, '-C', x], { timeoutMs: 60000 });
    assert.equal(tar.code, 0, tar.stderr);
    for (const f of fs.readdirSync(x)) {
        const text = fs.readFileSync(path.join(x, f), 'utf8');
        for (const s of ALL_SECRETS()) assert.ok(!text.includes(s), `backup's ${f} holds a secret`);
    }
    const m = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
    assert.equal(m.status, 200);
    const metrics = await m.text();
    for (const s of ALL_SECRETS()) assert.ok(!metrics.includes(s), '/metrics shows a secret');
    await assertNoLeak(gw);
});

test('a key rotated in Vault: llmctl reload picks it up; Vault down at reload keeps the last good key', async (t) => {
    vault.put('secret/vrooli/openai', { api_key: KEY_A });
    openai.options.apiKey = KEY_A;
    const gw = await gateway(t, vaultConfig([openaiFromPrefix('m', openai)]), { VAULT_TOKEN: TOKEN });
    await chat(gw, 'm');
    assert.equal(openai.last().headers.authorization, `Bearer ${KEY_A}`);

    // rotate: the provider accepts both while the new key is rolled out
    openai.options.apiKey = [KEY_A, KEY_B];
    vault.put('secret/vrooli/openai', { api_key: KEY_B });
    const res = await gw.reload();
    assert.equal(res.code, 0, res.stdout + res.stderr);
    await chat(gw, 'm');
    assert.equal(openai.last().headers.authorization, `Bearer ${KEY_B}`);
    openai.options.apiKey = KEY_B;                 // the old key revoked

    // Vault goes away: a reload keeps the last good key and says so
    await vault.stop();
    try {
        const res2 = await gw.reload();
        assert.equal(res2.code, 0, res2.stdout + res2.stderr);
        const answer = await chat(gw, 'm', 'vault is down');
        assert.ok(answer.choices[0].message.content.includes('vault is down'));
        assert.equal(openai.last().headers.authorization, `Bearer ${KEY_B}`);
        const report = secretsReport(gw);
        assert.equal(report.vault.reachable, false);
        assert.deepEqual(report.vault.stale_paths, ['secret/vrooli/openai']);
        assert.match(report.vault.error, /cannot read secret\/vrooli\/openai from Vault/);
        const out = await status(gw);
        assert.match(out, /UNREACHABLE/);
        assert.match(out, /last good secret kept for secret\/vrooli\/openai/);
        assert.match(fs.readFileSync(path.join(gw.logDir, 'controld.log'), 'utf8'),
            /vault: cannot read secret\/vrooli\/openai from Vault: .*the last good secrets stay in force/);
    } finally {
        await vault.start();
    }
    await assertNoLeak(gw);
});

test('rotation by the refresh interval under load: no failed request; Vault down and sealed during refreshes', async (t) => {
    vault.put('secret/vrooli/openai', { api_key: KEY_B });
    openai.options.apiKey = KEY_B;
    const gw = await gateway(t, vaultConfig([openaiFromPrefix('m', openai)], { vault_refresh_interval: 1 }),
        { VAULT_TOKEN: TOKEN });
    await chat(gw, 'm');

    let stop = false, sent = 0;
    const failures = [];
    const load = pool(4, 4, async () => {
        while (!stop) {
            sent++;
            try { await chat(gw, 'm', `load ${sent}`); } catch (e) { failures.push(e.message); }
        }
    });
    try {
        openai.options.apiKey = [KEY_B, KEY_C];
        vault.put('secret/vrooli/openai', { api_key: KEY_C });
        // the old key is revoked once the provider has seen only the new
        // one for a while (a request already in flight keeps the old one)
        const newOnly = () => {
            const last = openai.requests.slice(-20);
            return last.length === 20 && last.every((r) => r.headers.authorization === `Bearer ${KEY_C}`);
        };
        await waitFor(newOnly, { timeoutMs: 120000, what: 'the rotated key to reach the provider' });
        openai.options.apiKey = KEY_C;
        const reads = vault.reads('secret/data/vrooli/openai').length;

        await vault.stop();
        await waitFor(() => secretsReport(gw).vault.reachable === false,
            { timeoutMs: 120000, what: 'status to say Vault is unreachable' });
        const served = openai.requests.length;
        await waitFor(() => openai.requests.length > served + 20, { timeoutMs: 120000, what: 'requests while Vault is down' });
        await vault.start();
        await waitFor(() => vault.reads('secret/data/vrooli/openai').length > reads
            && secretsReport(gw).vault.reachable === true,
            { timeoutMs: 120000, what: 'Vault to be read again' });

        vault.seal();
        await waitFor(() => /Vault is sealed/.test(secretsReport(gw).vault.error || ''),
            { timeoutMs: 120000, what: 'status to say Vault is sealed' });
        const served2 = openai.requests.length;
        await waitFor(() => openai.requests.length > served2 + 20, { timeoutMs: 120000, what: 'requests while sealed' });
        vault.unseal();
    } finally {
        stop = true;
        vault.unseal();
        if (!vault.server) await vault.start();
    }
    await load;
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
    assert.ok(sent > 40, `only ${sent} requests were sent`);
    await assertNoLeak(gw);
});

test('Vault down at start: controld starts, the model is disabled naming Vault; served once Vault is back', async (t) => {
    vault.put('secret/vrooli/openai', { api_key: KEY_C });
    openai.options.apiKey = KEY_C;
    await vault.stop();
    let gw;
    try {
        gw = await gateway(t, vaultConfig([openaiFromPrefix('m', openai)], { vault_refresh_interval: 1 }),
            { VAULT_TOKEN: TOKEN });
        const st = await gw.status();
        assert.equal(st.disabled.length, 1);
        assert.match(st.disabled[0].reason, /no credentials for provider 'openai': cannot read secret\/vrooli\/openai from Vault/);
        await assert.rejects(chat(gw, 'm'), (e) => e.status === 400 && /Vault/.test(e.message));
        assert.equal(secretsReport(gw).vault.reachable, false);
    } finally {
        await vault.start();
    }
    await waitFor(async () => (await gw.status()).disabled.length === 0,
        { timeoutMs: 120000, what: 'the refresh to enable the model' });
    await chat(gw, 'm');
    assert.equal(openai.last().headers.authorization, `Bearer ${KEY_C}`);
    await assertNoLeak(gw);
});

test('a wrong Vault token: 403 from Vault disables what needs it, with a clear reason and no token anywhere', async (t) => {
    const wrong = makeSecret('hvs.wrong-');
    const gw = await gateway(t, vaultConfig([openaiFromPrefix('m', openai)]), { VAULT_TOKEN: wrong });
    const st = await gw.status();
    assert.match(st.disabled[0].reason, /cannot read secret\/vrooli\/openai from Vault: HTTP 403: permission denied/);
    await assert.rejects(chat(gw, 'm'), (e) => e.status === 400 && /permission denied/.test(e.message));
    assert.match(await status(gw), /vault error: cannot read secret\/vrooli\/openai from Vault: HTTP 403: permission denied/);
    assert.deepEqual(gw.leakedSecrets([wrong]), []);
    assert.ok(vault.requests.some((r) => r.token === wrong), 'the token was sent in X-Vault-Token');
    await assertNoLeak(gw);
});

test('AppRole: controld logs in with role_id/secret_id and reads with the token it got', async (t) => {
    vault.addRole('gateway-role', SECRET_ID, { ttl: 3600 });
    openai.options.apiKey = KEY_C;
    const gw = await gateway(t, vaultConfig([openaiFromPrefix('m', openai)]),
        { VAULT_ROLE_ID: 'gateway-role', VAULT_SECRET_ID: SECRET_ID });
    await chat(gw, 'm');
    assert.equal(openai.last().headers.authorization, `Bearer ${KEY_C}`);
    const login = vault.requests.find((r) => r.path === '/v1/auth/approle/login');
    assert.deepEqual(JSON.parse(login.body), { role_id: 'gateway-role', secret_id: SECRET_ID });
    // this gateway is the only one running: its reads carry the token
    // the login gave, never the static one
    const reads = vault.requests.slice(vault.requests.indexOf(login))
        .filter((r) => r.path === '/v1/secret/data/vrooli/openai');
    assert.ok(reads.length > 0, 'no read after the login');
    for (const read of reads) {
        assert.match(read.token, /^hvs\./);
        assert.notEqual(read.token, TOKEN);
    }
    assert.equal(secretsReport(gw).vault.auth, 'approle');
    await assertNoLeak(gw);
});

test('config errors: vault: without key_management_system; a bad vault_path_prefix', async (t) => {
    const bad = await run(CONTROLD, ['--check', '--config', writeTemp('model_list:\n  - model_name: m\n    litellm_params:\n'
        + '      model: openai/x\n      api_key: "vault:secret/a#b"\n')], { timeoutMs: 60000 });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /config\.yaml:5:\d+: error: .*vault:secret\/a#b needs general_settings\.key_management_system: hashicorp_vault/);
    const prefix = await run(CONTROLD, ['--check', '--config', writeTemp('general_settings:\n'
        + '  key_management_system: hashicorp_vault\n  vault_path_prefix: vrooli\n')], { timeoutMs: 60000 });
    assert.equal(prefix.code, 1);
    assert.match(prefix.stderr, /config\.yaml:3:\d+: error: general_settings\.vault_path_prefix: expected MOUNT\/PATH/);
});

function writeTemp(text) {
    const dir = makeTempDir('ngx-llm-vault-cfg');
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, text);
    return file;
}

// The refresh reads Vault on a thread: a Vault that accepts and never
// answers holds that read (up to its timeout), never controld's loop, so
// the management API and key publishing go on meanwhile.
test('a Vault that stalls during a refresh holds nothing: a key is made and serves while the read waits', async (t) => {
    vault.put('secret/vrooli/openai', { api_key: KEY_A });
    openai.options.apiKey = KEY_A;
    const gw = await gateway(t, vaultConfig([openaiFromPrefix('m', openai)], { vault_refresh_interval: 1 }),
        { VAULT_TOKEN: TOKEN });
    await chat(gw, 'm');
    vault.stall = true;
    try {
        await waitFor(() => vault.requests.some((r) => r.stalled && r.open),
            { timeoutMs: 60000, what: 'a refresh read waiting on the stalled Vault' });
        const held = vault.requests.filter((r) => r.stalled && r.open);
        const made = await request(`${gw.url}/key/generate`, {
            headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'during-stall' },
        });
        assert.equal(made.status, 200, made.text);
        await waitFor(async () => (await request(`${gw.url}/v1/models`,
            { method: 'GET', headers: { authorization: `Bearer ${made.json.key}` } })).status === 200,
            { timeoutMs: 60000, what: 'the new key live in nginx' });
        const answer = await gw.client({ apiKey: made.json.key }).chat.completions.create({
            model: 'm', messages: [{ role: 'user', content: 'while Vault stalls' }],
        });
        assert.ok(answer.choices[0].message.content);
        // the read that was waiting when the key was made is waiting still:
        // nothing above waited for it to time out
        assert.ok(held.some((r) => r.open), 'the management API waited for Vault');
    } finally {
        vault.stall = false;
    }
    const reads = vault.reads('secret/data/vrooli/openai').length;
    await waitFor(() => vault.reads('secret/data/vrooli/openai').length > reads
        && secretsReport(gw).vault.reachable === true,
        { timeoutMs: 120000, what: 'the refresh to read Vault again' });
    await chat(gw, 'm');
    await assertNoLeak(gw);
});
