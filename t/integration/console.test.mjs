// The admin console (/ui/): its API checked directly (session cookie, CSRF,
// roles: a non-admin key reaches only its own key), then the real thing in
// headless Chromium driven by puppeteer-core: sign in, create a key, use it
// through the gateway, see its spend, block it and see the gateway refuse
// it, sign out; a non-admin key's view.  Screenshots of every page go to
// build/ui-shots/ for a reviewer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, unixRequest, makeTempDir,
} from '../lib/index.mjs';
import { uiCall, uiSignIn, launchChromium, watchPage } from '../lib/console.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'build/ui-shots');
const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw;
const secrets = [PROVIDER_KEY];

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: {
            model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o',
                { input_cost_per_token: 0.0001, output_cost_per_token: 0.0002 }),
            // a provider the gateway does not know: compiled as disabled
            { model_name: 'mystery', litellm_params: { model: 'nosuchprovider/m1', api_base: `${mock.url}/v1` } },
            // its provider refuses the key: a 401 cools it down at once
            openaiDeployment('refusing', mock, 'fault-401', { cooldown_time: 3600 })],
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    secrets.push(gw.masterKey);
    fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
    if (gw) assert.deepEqual(gw.leakedSecrets(secrets), [], 'a key reached a log');
    await closeAll(gw, mock);
});

const ui = (jar, method, route, body, opts) => uiCall(gw, jar, method, route, body, opts);
const signIn = (key) => uiSignIn(gw, key);

async function generate(jar, body) {
    const res = await ui(jar, 'POST', '/key/generate', body);
    assert.equal(res.status, 200, res.text);
    secrets.push(res.json.key);
    return res.json;
}

async function chat(key) {
    return request(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${key}` },
        body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello console' }] },
    });
}

test('static files: index, app and the shipped uPlot, with a strict CSP', async () => {
    const res = await request(`${gw.url}/ui/`);
    assert.equal(res.status, 200);
    assert.match(res.text, /<script src="app.js" defer>/);
    const csp = res.headers['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const uplot = await request(`${gw.url}/ui/vendor/uPlot.iife.js`);
    assert.equal(uplot.status, 200);
    assert.match(uplot.text, /uPlot/);
    // nothing in the page refers to another origin
    const app = await request(`${gw.url}/ui/app.js`);
    assert.doesNotMatch(res.text + app.text, /https?:\/\/(?!localhost)/);
});

test('sign-in: master key gets an admin session cookie (HttpOnly, SameSite=Strict, not Secure over http)', async () => {
    const jar = await signIn(gw.masterKey);
    assert.equal(jar.role, 'admin');
    assert.match(jar.setCookie, /^llm_session=[0-9a-f]{64}; Path=\/ui\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    assert.match(jar.csrf, /^[0-9a-f]{64}$/);
    const s = await ui(jar, 'GET', '/session');
    assert.equal(s.status, 200);
    assert.equal(s.json.csrf, jar.csrf);
});

test('the cookie is Secure when nginx got the request over TLS (X-LLM-Scheme), and a client cannot fake that', async () => {
    const sock = path.join(gw.prefix, 'run/controld.sock');
    const tls = await unixRequest(sock, '/ui/api/login', {
        method: 'POST', headers: { 'x-llm-scheme': 'https' }, body: { key: gw.masterKey },
    });
    assert.equal(tls.status, 200);
    assert.match(tls.headers['set-cookie'][0], /; HttpOnly; SameSite=Strict; Secure$/);
    // through nginx over plain HTTP: nginx sets X-LLM-Scheme from $scheme
    const plain = await request(`${gw.url}/ui/api/login`, {
        method: 'POST', headers: { 'x-llm-scheme': 'https' }, body: { key: gw.masterKey },
    });
    assert.equal(plain.status, 200);
    assert.doesNotMatch(plain.headers['set-cookie'][0], /Secure/);
});

test('sign-in refusals: wrong key 401, unknown key 401, non-JSON 415', async () => {
    let res = await ui({}, 'POST', '/login', { key: 'sk-wrong-key' });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.type, 'auth_error');
    assert.equal(res.headers['set-cookie'], undefined);
    res = await ui({}, 'POST', '/login', { });
    assert.equal(res.status, 400);
    res = await ui({}, 'POST', '/login', `key=${gw.masterKey}`, { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(res.status, 415, 'a cross-site form post cannot sign in');
});

test('five failed sign-ins from one address: that address waits (429), others do not', async () => {
    const sock = path.join(gw.prefix, 'run/controld.sock');
    const login = (addr, key) => unixRequest(sock, '/ui/api/login', {
        method: 'POST', headers: { 'x-llm-client': addr }, body: { key },
    });
    for (let i = 0; i < 5; i++) assert.equal((await login('192.0.2.7', `sk-guess-${i}`)).status, 401);
    const locked = await login('192.0.2.7', gw.masterKey);
    assert.equal(locked.status, 429, 'even the right key waits');
    assert.equal(locked.headers['retry-after'], '30');
    assert.equal((await login('192.0.2.8', gw.masterKey)).status, 200, 'another address is not affected');
    // through nginx, a client cannot pick its own address
    const res = await request(`${gw.url}/ui/api/login`, {
        method: 'POST', headers: { 'x-llm-client': '192.0.2.7' }, body: { key: gw.masterKey },
    });
    assert.equal(res.status, 200);
});

test('no session: every console call is 401; a forged cookie too', async () => {
    for (const [m, r] of [['GET', '/key/list'], ['GET', '/config'], ['GET', '/self'], ['POST', '/key/generate']]) {
        const res = await ui({}, m, r, {});
        assert.equal(res.status, 401, `${m} ${r}`);
    }
    const res = await ui({ cookie: `llm_session=${'a'.repeat(64)}` }, 'GET', '/key/list');
    assert.equal(res.status, 401);
});

test('CSRF: state-changing calls need the session token, GETs do not', async () => {
    const jar = await signIn(gw.masterKey);
    let res = await ui(jar, 'POST', '/key/generate', { key_alias: 'no-csrf' }, { csrf: null });
    assert.equal(res.status, 403);
    assert.match(res.json.error.message, /CSRF/);
    res = await ui(jar, 'POST', '/key/generate', { key_alias: 'bad-csrf' }, { csrf: 'f'.repeat(64) });
    assert.equal(res.status, 403);
    const list = await ui(jar, 'GET', '/key/list?key_alias=no-csrf');
    assert.equal(list.status, 200);
    assert.equal(list.json.total_count, 0, 'nothing was created without the token');
    const made = await generate(jar, { key_alias: 'with-csrf' });
    assert.match(made.key, /^sk-/);
});

test('non-admin key: own key only; every admin call 403 (console) or 401 (management API)', async () => {
    const admin = await signIn(gw.masterKey);
    const made = await generate(admin, { key_alias: 'plain-user', max_budget: 3, rpm_limit: 7 });
    const user = await signIn(made.key);
    assert.equal(user.role, 'key');
    const self = await ui(user, 'GET', '/self');
    assert.equal(self.status, 200);
    assert.equal(self.json.key, made.token);
    assert.equal(self.json.info.key_alias, 'plain-user');
    assert.equal(self.json.info.rpm_limit, 7);
    for (const [m, r, b] of [['GET', '/key/list'], ['GET', `/key/info?key=${made.token}`], ['GET', '/team/list'],
        ['GET', '/global/spend/keys'], ['GET', '/config'], ['GET', '/gateway'], ['POST', '/key/generate', {}],
        ['POST', '/key/update', { key: made.token, max_budget: 1000 }], ['POST', '/key/unblock', { key: made.token }],
        ['POST', '/config/apply', {}]]) {
        const res = await ui(user, m, r, b);
        assert.equal(res.status, 403, `${m} ${r} -> ${res.status}`);
    }
    const info = await ui(admin, 'GET', `/key/info?key=${made.token}`);
    assert.equal(info.json.info.max_budget, 3, 'the refused update changed nothing');
    // and the key cannot use the management API directly either
    const direct = await request(`${gw.url}/key/list`, { headers: { authorization: `Bearer ${made.key}` } });
    assert.equal(direct.status, 401);
});

test('a virtual key with metadata.role admin gets an admin session; blocking it ends the session', async () => {
    const admin = await signIn(gw.masterKey);
    const made = await generate(admin, { key_alias: 'ops-admin', metadata: { role: 'admin' } });
    const ops = await signIn(made.key);
    assert.equal(ops.role, 'admin');
    assert.equal((await ui(ops, 'GET', '/key/list')).status, 200);
    assert.equal((await ui(admin, 'POST', '/key/block', { key: made.token })).status, 200);
    assert.equal((await ui(ops, 'GET', '/key/list')).status, 401, 'a blocked key is signed out');
    assert.equal((await ui({}, 'POST', '/login', { key: made.key })).status, 401);
});

test('gateway state: a deployment cooled by a provider 401 shows cooling, until when and why', async () => {
    const res = await request(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model: 'refusing', messages: [{ role: 'user', content: 'Hello' }] },
    });
    assert.equal(res.status, 401, res.text);
    const jar = await signIn(gw.masterKey);
    const g = await ui(jar, 'GET', '/gateway');
    assert.equal(g.status, 200, g.text);
    const states = g.json.status.deployment_states;
    assert.ok(Array.isArray(states), g.text);
    const cooling = states.filter((d) => d.model_name === 'refusing');
    assert.equal(cooling.length, 1, g.text);
    assert.equal(cooling[0].state, 'cooling');
    assert.equal(cooling[0].reason, 'auth');
    const now = Date.now() / 1000;
    assert.ok(cooling[0].until > now + 3000 && cooling[0].until <= now + 3601, `until ${cooling[0].until}`);
    const healthy = states.filter((d) => d.model_name === 'gpt-4o');
    assert.equal(healthy.length, 1);
    assert.equal(healthy[0].state, 'healthy');
    assert.ok(!g.text.includes(PROVIDER_KEY) && !g.text.includes(gw.masterKey));
});

test('logout ends the session and expires the cookie', async () => {
    const jar = await signIn(gw.masterKey);
    const old = jar.cookie;
    const res = await ui(jar, 'POST', '/logout', {});
    assert.equal(res.status, 200);
    assert.match(res.headers['set-cookie'][0], /^llm_session=; Path=\/ui\/; Max-Age=0; HttpOnly; SameSite=Strict/);
    assert.equal((await ui({ cookie: old }, 'GET', '/session')).status, 401);
});

test('config view: secrets masked, no provider or master key', async () => {
    const jar = await signIn(gw.masterKey);
    const res = await ui(jar, 'GET', '/config');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.json.deployments));
    assert.ok(!res.text.includes(PROVIDER_KEY));
    assert.ok(!res.text.includes(gw.masterKey));
    assert.equal(res.json.master_key_sha256, undefined);
    const g = await ui(jar, 'GET', '/gateway');
    assert.equal(g.status, 200);
    assert.ok(g.json.status.generation >= 1);
    assert.ok(g.json.usage.epoch);
});

test('config apply: controld re-reads config.yaml and publishes a new generation', async () => {
    const jar = await signIn(gw.masterKey);
    const before = (await ui(jar, 'GET', '/gateway')).json.status.generation;
    const res = await ui(jar, 'POST', '/config/apply', {});
    assert.equal(res.status, 202);
    let now = before;
    for (let i = 0; i < 50 && now <= before; i++) {
        await new Promise((r) => setTimeout(r, 100));
        now = (await ui(jar, 'GET', '/gateway')).json.status.generation;
    }
    assert.ok(now > before, `generation ${before} -> ${now}`);
    const chatRes = await chat(gw.masterKey);
    assert.equal(chatRes.status, 200, 'serving after the reload');
});

// ---- the browser ----------------------------------------------------------

const launch = launchChromium;

async function shot(page, name) {
    await new Promise((r) => setTimeout(r, 300));      // let charts draw
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function goto(page, hash, selector) {
    // A viewport change with isMobile reloads the page: a hash set while
    // the reloaded page signs back in can be lost, so set it again.
    for (let attempt = 0; ; attempt++) {
        await page.evaluate((h) => { location.hash = h; }, hash);
        try {
            await page.waitForSelector(selector, { visible: true, timeout: 20000 });
            return;
        } catch (e) {
            if (attempt === 2) throw e;
        }
    }
}

test('browser: sign in, create a key, use it, see its spend, block it, sign out', async () => {
    const browser = await launch();
    let problems = [];
    try {
        const page = await browser.newPage();
        problems = watchPage(page, gw);
        await page.setViewport({ width: 1280, height: 900 });
        await page.goto(`${gw.url}/ui/`);
        await page.waitForSelector('#login-key', { visible: true });
        await shot(page, '01-sign-in');

        // a wrong key: a message, no session
        await page.type('#login-key', 'sk-not-this-one');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);

        await page.$eval('#login-key', (el) => { el.value = ''; });
        await page.type('#login-key', gw.masterKey);
        await page.keyboard.press('Enter');
        await page.waitForSelector('.top nav a[data-page="overview"][aria-current="page"]', { visible: true });
        await page.waitForFunction(() => document.querySelectorAll('.u-wrap, .uplot').length >= 1);
        await page.waitForFunction(() => [...document.querySelectorAll('.pill.bad')]
            .some((p) => /^disabled: /.test(p.textContent)));
        // the deployment a provider 401 cooled (an API test above made it so)
        await page.waitForFunction(() => [...document.querySelectorAll('.pill.warn')]
            .some((p) => /^cooling until .+ \(auth\)$/.test(p.textContent)));
        const cookies = await page.cookies();
        const sessionCookie = cookies.find((c) => c.name === 'llm_session');
        assert.ok(sessionCookie.httpOnly && sessionCookie.sameSite === 'Strict');
        assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the session cookie');
        await shot(page, '02-overview');

        // create a key with the form (keyboard only for the alias)
        await goto(page, '#/keys', '#key-form');
        await page.focus('#k-alias');
        await page.keyboard.type('browser-key');
        await page.type('#k-budget', '5');
        await page.type('#k-rpm', '100');
        await page.click('#k-submit');
        await page.waitForSelector('#new-key', { visible: true });
        const key = await page.$eval('#new-key', (el) => el.textContent);
        secrets.push(key);
        assert.match(key, /^sk-/);
        await page.waitForSelector('#keys-table tbody tr[data-token]');
        await shot(page, '03-keys-new-key');

        // through the gateway with it
        const res = await chat(key);
        assert.equal(res.status, 200, res.text);

        // its spend appears (drained every 500 ms) on the keys page
        let spendText = '';
        for (let i = 0; i < 40 && !/\$0\.0*[1-9]/.test(spendText); i++) {
            await new Promise((r) => setTimeout(r, 250));
            await goto(page, '#/overview', '.stat');
            await goto(page, '#/keys', '#keys-table tbody tr[data-token]');
            spendText = await page.evaluate(() => [...document.querySelectorAll('#keys-table tbody tr')]
                .find((tr) => tr.textContent.includes('browser-key'))?.textContent || '');
        }
        assert.match(spendText, /\$0\.0*[1-9]\d* of \$5/, `spend shown: ${spendText}`);
        await shot(page, '04-keys-spend');

        // edit it: a new budget
        const editRow = await page.evaluateHandle(() => [...document.querySelectorAll('#keys-table tbody tr')]
            .find((tr) => tr.textContent.includes('browser-key')));
        await (await editRow.$('button')).click();
        await page.waitForFunction(() => document.querySelector('#k-alias').value === 'browser-key');
        await page.$eval('#k-budget', (el) => { el.value = ''; });
        await page.type('#k-budget', '6');
        await page.click('#k-submit');
        await page.waitForFunction(() => [...document.querySelectorAll('#keys-table tbody tr')]
            .find((tr) => tr.textContent.includes('browser-key'))?.textContent.includes('of $6'));

        // keyboard only: Tab to the Spend link, Enter
        let onSpend = false;
        for (let i = 0; i < 30 && !onSpend; i++) {
            await page.keyboard.press('Tab');
            onSpend = await page.evaluate(() => document.activeElement?.dataset?.page === 'spend');
        }
        assert.ok(onSpend, 'the Spend link is reachable with Tab');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#spend-table', { visible: true });
        await page.waitForFunction(() => document.querySelector('#spend-table').textContent.includes('browser-key'));
        await shot(page, '05-spend');

        // CSV export: the file the browser saves
        const downloads = makeTempDir('ngx-llm-downloads');
        const cdp = await page.createCDPSession();
        await cdp.send('Page.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
        await page.click('#s-csv');
        let csv = null;
        for (let i = 0; i < 50 && csv === null; i++) {
            await new Promise((r) => setTimeout(r, 100));
            const f = fs.readdirSync(downloads).find((n) => n.endsWith('.csv'));
            if (f) csv = fs.readFileSync(path.join(downloads, f), 'utf8');
        }
        assert.ok(csv, 'a CSV was saved');
        const [head, ...lines] = csv.trim().split('\n');
        assert.equal(head, 'key,spend_usd,requests,prompt_tokens,completion_tokens');
        assert.ok(lines.some((l) => /^browser-key,0\.0*[1-9][\d.e-]*,1,\d+,\d+$/.test(l)), csv);
        await page.select('#s-by', 'provider');
        await page.waitForFunction(() => document.querySelector('#spend-table')?.textContent.includes('openai'));
        await goto(page, '#/log', '#page h1');
        await shot(page, '06-request-log');
        await goto(page, '#/config', '#config-json');
        const cfgText = await page.$eval('#config-json', (el) => el.textContent);
        assert.ok(!cfgText.includes(PROVIDER_KEY), 'no provider key on the config page');
        await shot(page, '07-config');

        // block it from the table: the gateway refuses it
        await goto(page, '#/keys', '#keys-table tbody tr[data-token]');
        const row = await page.evaluateHandle(() => [...document.querySelectorAll('#keys-table tbody tr')]
            .find((tr) => tr.textContent.includes('browser-key')));
        await (await row.$('button[data-action="block"]')).click();
        await page.waitForFunction(() => [...document.querySelectorAll('#keys-table tbody tr')]
            .find((tr) => tr.textContent.includes('browser-key'))?.textContent.includes('blocked'));
        const refused = await chat(key);
        assert.equal(refused.status, 401, refused.text);
        await shot(page, '08-keys-blocked');

        // phone width
        await page.setViewport({ width: 390, height: 844, isMobile: true });
        await page.waitForSelector('.top nav a[data-page="overview"]', { visible: true, timeout: 60000 });
        await goto(page, '#/overview', '.stat');
        await shot(page, '09-overview-phone');
        await goto(page, '#/keys', '#keys-table');
        await shot(page, '10-keys-phone');
        await page.setViewport({ width: 1280, height: 900 });

        // sign out: back to the form, and the old session is gone
        await page.click('#logout');
        await page.waitForSelector('#login-key', { visible: true });
        const after = await page.evaluate(async () => (await fetch('/ui/api/key/list')).status);
        assert.equal(after, 401);
        assert.deepEqual(problems, [], 'no script errors, CSP violations or outside fetches');
    } finally {
        await browser.close();
    }
});

test('browser: a non-admin key sees its own key only', async () => {
    const admin = await signIn(gw.masterKey);
    const made = await generate(admin, { key_alias: 'viewer', max_budget: 2, tpm_limit: 5000 });
    const browser = await launch();
    try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1280, height: 800 });
        await page.goto(`${gw.url}/ui/#/keys`);
        await page.waitForSelector('#login-key', { visible: true });
        await page.type('#login-key', made.key);
        await page.keyboard.press('Enter');
        await page.waitForSelector('#self-table', { visible: true });
        const text = await page.$eval('#self-table', (el) => el.textContent);
        assert.match(text, /viewer/);
        assert.match(text, /of \$2/);
        assert.match(text, /5,?000 tokens\/min/);
        const adminLinks = await page.$$eval('.top nav a[data-admin]', (as) => as.filter((a) => !a.hidden).length);
        assert.equal(adminLinks, 0, 'no admin pages offered');
        // asking for an admin page shows the own key instead, and the API says no
        await page.evaluate(() => { location.hash = '#/keys'; });
        await page.waitForSelector('#self-table', { visible: true });
        const status = await page.evaluate(async () => (await fetch('/ui/api/key/list')).status);
        assert.equal(status, 403);
        await shot(page, '11-own-key');
    } finally {
        await browser.close();
    }
});

test('browser: the request log (newest first, filters, keyboard, phone) and the Overview charts from it', async () => {
    const admin = await signIn(gw.masterKey);
    const made = await generate(admin, { key_alias: 'log-key' });
    let ok = null;
    for (let i = 0; i < 100 && ok === null; i++) {      // the key reaches nginx within a publish
        const r = await chat(made.key);
        if (r.status === 200) ok = r; else await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(ok, 'the new key works');
    const bad = await request(`${gw.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${made.key}` },
        body: { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] },
    });
    assert.ok(bad.status >= 400 && bad.status < 500, bad.text);
    const last = await chat(made.key);
    assert.equal(last.status, 200, last.text);
    const lastId = last.headers['x-request-id'];
    for (let i = 0; i < 300 && !gw.readLog('requests.log').includes(lastId); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(gw.readLog('requests.log').includes(lastId), 'the request log has the request');

    const browser = await launch();
    let problems = [];
    try {
        const page = await browser.newPage();
        problems = watchPage(page, gw);
        await page.setViewport({ width: 1280, height: 900 });
        await page.goto(`${gw.url}/ui/#/log`);
        await page.waitForSelector('#login-key', { visible: true });
        await page.type('#login-key', gw.masterKey);
        await page.keyboard.press('Enter');
        await goto(page, '#/log', '#log-table tbody tr');
        // newest first: the last request made is the first row
        assert.equal(await page.$eval('#log-table tbody tr', (tr) => tr.dataset.requestId), lastId);
        const ts = await page.$$eval('#log-table tbody tr', (trs) => trs.map((tr) => tr.dataset.requestId));
        const fromLog = gw.readLog('requests.log').split('\n').filter(Boolean).map((l) => JSON.parse(l).request_id).reverse();
        assert.deepEqual(ts, fromLog.slice(0, ts.length));

        // filter by key alias, then by status class, with the keyboard
        await page.focus('#l-key');
        await page.keyboard.type('log-key');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => [...document.querySelectorAll('#log-table tbody tr')].length > 0
            && [...document.querySelectorAll('#log-table tbody tr')].every((tr) => tr.textContent.includes('log-key')));
        const keyRows = await page.$$eval('#log-table tbody tr', (trs) => trs.map((tr) => tr.dataset.requestId));
        assert.equal(keyRows[0], lastId);
        assert.ok(keyRows.includes(ok.headers['x-request-id']));
        await page.focus('#l-status');
        await page.keyboard.type('4xx');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => {
            const rows = [...document.querySelectorAll('#log-table tbody tr')];
            return rows.length === 1 && /^4\d\d /.test(rows[0].querySelector('.pill').textContent);
        });
        assert.equal(await page.$eval('#log-table tbody tr', (tr) => tr.dataset.requestId), bad.headers['x-request-id']);
        await shot(page, '12-request-log-filtered');

        // keyboard: rows take focus, arrows move between them
        await page.$eval('#l-status', (el) => { el.value = ''; });
        await page.click('#l-apply');
        await page.waitForFunction(() => document.querySelectorAll('#log-table tbody tr').length >= 2);
        await page.focus('#log-table tbody tr');
        await page.keyboard.press('ArrowDown');
        const focused = await page.evaluate(() => document.activeElement?.dataset?.requestId);
        assert.equal(focused, keyRows[1]);
        await page.setViewport({ width: 390, height: 844, isMobile: true });
        await goto(page, '#/log', '#log-table tbody tr');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
        await shot(page, '13-request-log-phone');
        await page.setViewport({ width: 1280, height: 900 });

        // Overview: the cards and charts agree with the request log's stats
        await goto(page, '#/overview', '#ov-chart-lat .uplot');
        const stats = (await ui(admin, 'GET', '/request/stats?window=1h&bucket=60')).json;
        assert.ok(stats.total.requests >= 3);
        const lat = await page.$eval('#ov-lat', (el) => el.textContent);
        assert.equal(lat, `${stats.total.latency_ms.p50} ms / ${stats.total.latency_ms.p99} ms`);
        const err = await page.$eval('#ov-err', (el) => el.textContent);
        assert.equal(err, (100 * stats.total.errors / stats.total.requests).toFixed(1) + ' %');
        assert.equal(await page.$$eval('.chart .uplot', (c) => c.length), 5);   // 4 + spend per day
        await page.click('button[data-span="day"]');
        await page.waitForSelector('button[data-span="day"][aria-pressed="true"]');
        await page.waitForFunction(() => /last day/.test(document.querySelector('#ov-window-note').textContent));
        await shot(page, '14-overview-charts-day');
        assert.deepEqual(problems, []);
    } finally {
        await browser.close();
    }
});
