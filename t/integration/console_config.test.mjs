// The console's Config page and its named configs (issue 17): the content
// store llmctl content keeps, listed, viewed (compiled, secrets masked),
// added (compiled before it is kept) and applied with the zero-failure
// reload; the choice outlasts a controld restart, config.yaml comes back on
// request, and llmctl's own switch (content execute) wins over it.  Then
// the same in headless Chromium, with screenshots under build/ui-shots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request,
    readPid, alive, waitFor, toYaml, MASTER_KEY_ENV,
} from '../lib/index.mjs';
import { uiCall, uiSignIn, launchChromium, watchPage } from '../lib/console.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'build/ui-shots');
const PROVIDER_KEY = makeSecret('sk-prov-');
const LITERAL_KEY = makeSecret('sk-literal-');
let mock, gw, admin;
const secrets = [PROVIDER_KEY, LITERAL_KEY];

/** A named config's text: one model group, the gateway's master key. */
function namedYaml(model, upstream, extra = {}) {
    return toYaml({
        model_list: [openaiDeployment(model, mock, upstream, extra)],
        general_settings: { master_key: `os.environ/${MASTER_KEY_ENV}` },
    });
}

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('base-model', mock, 'upstream-base')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    secrets.push(gw.masterKey);
    fs.mkdirSync(SHOTS, { recursive: true });
    admin = await signIn(gw.masterKey);
});

after(async () => {
    if (gw) assert.deepEqual(gw.leakedSecrets(secrets), [], 'a key reached a log');
    await closeAll(gw, mock);
});

const ui = (jar, method, route, body) => uiCall(gw, jar, method, route, body);
const signIn = (key) => uiSignIn(gw, key);

async function chat(model) {
    return request(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model, messages: [{ role: 'user', content: `hello ${model}` }] },
    });
}

/** The console's view of what runs, once `pred` holds for it. */
async function source(pred = () => true, what = 'the running config') {
    let last;
    await waitFor(async () => {
        const res = await ui(admin, 'GET', '/config/named');
        assert.equal(res.status, 200, res.text);
        last = res.json;
        return pred(last.source);
    }, { timeoutMs: 30000, what });
    return last;
}

/** A model the gateway serves now: 200, answered by the expected upstream. */
async function served(model, upstream) {
    await waitFor(async () => (await chat(model)).status === 200, { timeoutMs: 30000, what: `${model} served` });
    mock.reset();
    const res = await chat(model);
    assert.equal(res.status, 200, res.text);
    assert.equal(mock.last().body.model, upstream);
}

async function restartControld() {
    const pidFile = path.join(gw.runDir, 'controld.pid');
    const old = readPid(pidFile);
    assert.ok(old && alive(old), 'controld runs');
    process.kill(old, 'SIGTERM');
    await waitFor(() => { const p = readPid(pidFile); return p && p !== old && alive(p); },
        { timeoutMs: 30000, what: 'llmctl starts controld again' });
    await signInAgain();
}

/** Sessions live in controld's memory: a new controld needs a new one. */
async function signInAgain() {
    await waitFor(async () => (await ui({}, 'POST', '/login', { key: gw.masterKey })).status === 200,
        { timeoutMs: 30000, what: 'the console API answers' });
    admin = await signIn(gw.masterKey);
}

function llmctl(...args) {
    return gw.llmctl([...args, '--prefix', gw.prefix]);
}

test('no named configs yet: config.yaml runs, the list is empty', async () => {
    const doc = await source();
    assert.equal(doc.source.named, null);
    assert.equal(doc.source.version, null);
    assert.equal(doc.source.base, gw.configPath);
    assert.equal(doc.source.file, gw.configPath);
    assert.deepEqual(doc.configs, []);
});

test('the named-config calls need an admin session, and CSRF on apply', async () => {
    let res = await ui({}, 'GET', '/config/named');
    assert.equal(res.status, 401);
    res = await ui({ cookie: admin.cookie }, 'POST', '/config/named/apply', { name: 'x' });
    assert.equal(res.status, 403, 'no X-CSRF-Token');
    const k = await ui(admin, 'POST', '/key/generate', { key_alias: 'plain' });
    assert.equal(k.status, 200, k.text);
    secrets.push(k.json.key);
    const plain = await signIn(k.json.key);
    for (const [m, r] of [['GET', '/config/named'], ['GET', '/config/named/get?name=a'],
        ['POST', '/config/named/add'], ['POST', '/config/named/apply'], ['POST', '/config/base/apply']]) {
        res = await ui(plain, m, r, { name: 'a', yaml: 'model_list: []' });
        assert.equal(res.status, 403, `${m} ${r} for a plain key`);
        assert.equal(res.json.error.type, 'auth_error');
    }
});

test('llmctl content add shows in the console; the console adds versions, compiled first', async () => {
    const file = path.join(gw.dir, 'blue.yaml');
    fs.writeFileSync(file, namedYaml('blue-model', 'upstream-blue'));
    const add = await llmctl('content', 'add', '--type', 'config', '--name', 'blue', '--file', file);
    assert.equal(add.code, 0, add.stderr);

    let doc = await source();
    assert.deepEqual(doc.configs.map((c) => [c.name, c.versions, c.latest, c.active]), [['blue', 1, 1, false]]);
    assert.match(doc.configs[0].updated, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    // a second version through the console
    let res = await ui(admin, 'POST', '/config/named/add',
        { name: 'blue', yaml: namedYaml('blue-model', 'upstream-blue-2') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.version, 2);
    res = await ui(admin, 'POST', '/config/named/add', { name: 'green', yaml: namedYaml('green-model', 'upstream-green') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.version, 1);

    const list = await llmctl('content', 'list', '--type', 'config', '--json');
    assert.equal(list.code, 0, list.stderr);
    const rows = Object.fromEntries(JSON.parse(list.stdout).map((r) => [r.name, r]));
    assert.equal(rows.blue.versions, 2);
    assert.equal(rows.green.versions, 1);
    const got = await llmctl('content', 'get', '--type', 'config', '--name', 'blue');
    assert.match(got.stdout, /upstream-blue-2/);
});

test('what the console refuses to keep: YAML or config errors (with the messages), bad names, no text', async () => {
    const before = (await source()).configs;
    let res = await ui(admin, 'POST', '/config/named/add', { name: 'broken', yaml: 'model_list: [\n  - {' });
    assert.equal(res.status, 400);
    assert.match(res.json.error.message, /errors; it was not added/);
    assert.ok(res.json.error.messages.length >= 1, res.text);

    // valid YAML, but the compiler refuses it (model_list entries need model_name)
    res = await ui(admin, 'POST', '/config/named/add',
        { name: 'broken', yaml: toYaml({ model_list: [{ litellm_params: { model: 'openai/x' } }] }) });
    assert.equal(res.status, 400, res.text);
    assert.ok(res.json.error.messages.some((m) => /model_name/.test(m)), res.text);

    for (const name of ['', '.hidden', '../up', 'a/b', 'x'.repeat(65)]) {
        res = await ui(admin, 'POST', '/config/named/add', { name, yaml: namedYaml('m', 'u') });
        assert.equal(res.status, 400, `name ${JSON.stringify(name)}`);
        assert.equal(res.json.error.param, 'name');
    }
    res = await ui(admin, 'POST', '/config/named/add', { name: 'empty' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.param, 'yaml');
    assert.deepEqual((await source()).configs, before, 'nothing was kept');
    assert.ok(!fs.existsSync(path.join(gw.prefix, 'content/config/broken')));
});

test('view: a version compiled, not run, secrets masked', async () => {
    let res = await ui(admin, 'POST', '/config/named/add', { name: 'literal',
        yaml: namedYaml('lit-model', 'upstream-lit', { api_key: LITERAL_KEY }) });
    assert.equal(res.status, 200, res.text);
    res = await ui(admin, 'GET', '/config/named/get?name=literal');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.ok, true);
    assert.equal(res.json.version, 1);
    assert.doesNotMatch(res.text, new RegExp(LITERAL_KEY), 'the key is masked');
    assert.ok(JSON.stringify(res.json.config).includes('upstream-lit'));
    res = await ui(admin, 'GET', '/config/named/get?name=blue&version=1');
    assert.equal(res.status, 200, res.text);
    assert.ok(JSON.stringify(res.json.config).includes('"upstream-blue"'));
    res = await ui(admin, 'GET', '/config/named/get?name=blue&version=7');
    assert.equal(res.status, 404);
    res = await ui(admin, 'GET', '/config/named/get?name=nosuch');
    assert.equal(res.status, 404);
    assert.match(res.json.error.message, /no named config nosuch/);
    await chat('base-model');
    assert.equal((await source()).source.named, null, 'viewing runs nothing');
});

test('apply: the gateway serves the named config at once, llmctl sees it active', async () => {
    const res = await ui(admin, 'POST', '/config/named/apply', { name: 'blue' });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual([res.json.applying, res.json.version], ['blue', 2]);
    const doc = await source((s) => s.named === 'blue', 'blue runs');
    assert.equal(doc.source.version, 2);
    assert.equal(doc.source.base, gw.configPath);
    assert.equal(doc.configs.find((c) => c.name === 'blue').active, true);
    await served('blue-model', 'upstream-blue-2');
    const old = await chat('base-model');
    assert.ok([400, 404].includes(old.status), `config.yaml's model is gone with it (${old.status})`);

    const list = await llmctl('content', 'list', '--type', 'config');
    assert.match(list.stdout, /^blue\s+2\s+2\s+\S+ \S+\s+\*$/m);
    const rm = await llmctl('content', 'remove', '--type', 'config', '--name', 'blue');
    assert.equal(rm.code, 1, 'the running one cannot be removed');
    assert.match(rm.stderr, /blue is the active config/);
});

test('apply refuses what would not run, and what runs stays', async () => {
    // kept, with the compiler's warning: a deployment without its key is
    // compiled disabled (an error only under --strict)
    let res = await ui(admin, 'POST', '/config/named/add', { name: 'needs-env',
        yaml: namedYaml('env-model', 'upstream-env', { api_key: 'os.environ/NAMED_ONLY_KEY' }) });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.messages.some((m) => /NAMED_ONLY_KEY/.test(m)), res.text);

    res = await ui(admin, 'POST', '/config/named/apply', { name: 'nosuch' });
    assert.equal(res.status, 404);
    res = await ui(admin, 'POST', '/config/named/apply', { name: 'blue', version: 9 });
    assert.equal(res.status, 404);
    res = await ui(admin, 'POST', '/config/named/apply', { name: '../../etc' });
    assert.equal(res.status, 400);

    // a stored version edited by hand into something that does not compile
    fs.writeFileSync(path.join(gw.prefix, 'content/config/green/1.yaml'),
        toYaml({ model_list: [{ litellm_params: { model: 'openai/x' } }] }));
    res = await ui(admin, 'POST', '/config/named/apply', { name: 'green' });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.message, /what runs is unchanged/);
    assert.ok(res.json.error.messages.some((m) => /model_name/.test(m)), res.text);
    assert.equal((await source()).source.named, 'blue');
    await served('blue-model', 'upstream-blue-2');
});

test('a controld restart keeps running the applied named config', async () => {
    await restartControld();
    const doc = await source((s) => s && s.named === 'blue', 'blue after the restart');
    assert.equal(doc.source.version, 2);
    await served('blue-model', 'upstream-blue-2');
    assert.match(gw.readLog('controld.log'), /running the named config .*content\/config\/blue\/2\.yaml \(applied in place of /);
});

test('back to config.yaml: it runs, and keeps running after a restart', async () => {
    let res = await ui(admin, 'POST', '/config/base/apply');
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.applying, gw.configPath);
    let doc = await source((s) => s.named === null, 'config.yaml again');
    assert.equal(doc.source.file, gw.configPath);
    assert.ok(doc.configs.every((c) => !c.active));
    await served('base-model', 'upstream-base');
    assert.ok(!fs.existsSync(path.join(gw.prefix, 'content/config/.active')));

    await restartControld();
    doc = await source((s) => s && s.file === gw.configPath, 'config.yaml after the restart');
    assert.equal(doc.source.named, null);
    await served('base-model', 'upstream-base');
});

test('llmctl content execute after a console apply: llmctl\'s choice wins, the console\'s is forgotten', async () => {
    let res = await ui(admin, 'POST', '/config/named/apply', { name: 'literal' });
    assert.equal(res.status, 202, res.text);
    await source((s) => s.named === 'literal', 'literal runs');
    const ex = await llmctl('content', 'execute', '--type', 'config', '--name', 'blue');
    assert.equal(ex.code, 0, ex.stdout + ex.stderr);
    await signInAgain();
    const doc = await source((s) => s && s.named === 'blue', 'blue through llmctl');
    assert.equal(doc.source.base, doc.source.file, 'blue is controld\'s --config now');
    await served('blue-model', 'upstream-blue-2');
    assert.ok(!fs.existsSync(path.join(gw.prefix, 'content/config/.active')), 'the console\'s choice is gone');
    assert.match(gw.readLog('controld.log'), /applied earlier was for another --config/);

    // and back to the instance's own config.yaml for the browser test
    const back = await gw.llmctl(['reload', '--prefix', gw.prefix, '--config', gw.configPath]);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    await signInAgain();
    await source((s) => s && s.file === gw.configPath && s.named === null, 'config.yaml through llmctl');
});

// ---- the browser ----------------------------------------------------------

test('browser: the Config page adds, shows and applies a named config, and refuses a broken one', async () => {
    const browser = await launchChromium();
    let problems = [];
    try {
        const page = await browser.newPage();
        problems = watchPage(page, gw);
        await page.setViewport({ width: 1280, height: 900 });
        await page.goto(`${gw.url}/ui/`);
        await page.waitForSelector('#login-key', { visible: true });
        await page.type('#login-key', gw.masterKey);
        await page.keyboard.press('Enter');
        await page.waitForSelector('.top nav', { visible: true });
        await page.evaluate(() => { location.hash = '#/config'; });
        await page.waitForSelector('#named-table', { visible: true });
        const running = await page.$eval('#config-running', (el) => el.textContent);
        assert.equal(running, gw.configPath);

        // a broken config: the compiler's messages on the page, nothing kept
        await page.type('#named-name', 'from-browser');
        await page.$eval('#named-yaml', (el, v) => { el.value = v; }, 'model_list:\n  - litellm_params: {model: openai/x}\n');
        await page.click('#named-save');
        await page.waitForFunction(() => document.querySelector('#config-errors').children.length > 0);
        const errors = await page.$eval('#config-errors', (el) => el.textContent);
        assert.match(errors, /model_name/);
        await page.screenshot({ path: path.join(SHOTS, 'config-refused.png'), fullPage: true });
        assert.equal(await page.$('#named-table tr[data-name="from-browser"]'), null);

        // a good one: saved, listed, viewed, applied, running
        await page.$eval('#named-yaml', (el, v) => { el.value = v; }, namedYaml('browser-model', 'upstream-browser'));
        await page.click('#named-save');
        await page.waitForSelector('#named-table tr[data-name="from-browser"]', { visible: true });
        await page.click('button[data-view="from-browser"]');
        await page.waitForFunction(() => /upstream-browser/.test(document.querySelector('#named-view')?.textContent || ''));
        await page.click('button[data-apply="from-browser"]');
        await page.waitForFunction(() => /Applying from-browser version 1/.test(document.querySelector('#config-status').textContent));
        await page.waitForFunction(() => /named config from-browser, version 1/.test(document.querySelector('#config-running')?.textContent || ''),
            { timeout: 30000 });
        await page.waitForSelector('#named-table tr[data-name="from-browser"] .pill.good', { visible: true });
        await page.screenshot({ path: path.join(SHOTS, 'config-named.png'), fullPage: true });
        await served('browser-model', 'upstream-browser');

        // and back to config.yaml from the page
        await page.click('#apply-base');
        await page.waitForFunction((p) => document.querySelector('#config-running')?.textContent === p,
            { timeout: 30000 }, gw.configPath);
        await served('base-model', 'upstream-base');
        assert.deepEqual(problems, []);
    } finally {
        await browser.close();
    }
});
