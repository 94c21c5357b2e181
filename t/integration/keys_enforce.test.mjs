// Virtual keys enforced by the gateway from what controld publishes: a new
// key works at once, blocking/deleting stops it, expiry, allowed models,
// budgets (and their reset after budget_duration), rpm limits and a team's
// budget over its keys.  These need the module's key enforcement; they are
// skipped while GET /_llm/status has no "keys".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, waitFor,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
// 1 micro-dollar per prompt token, 2 per completion token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let mock, gw, enforcing = false;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o', PRICES),
            openaiDeployment('other', mock, 'upstream-other', PRICES)] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    enforcing = 'keys' in await gw.status();
});

after(() => closeAll(gw, mock));

const pending = () => (enforcing ? false : 'module enforcement pending');

async function api(route, body) {
    const res = await request(`${gw.url}${route}`, { headers: { authorization: `Bearer ${gw.masterKey}` }, body });
    assert.equal(res.status, 200, `${route}: ${res.text}`);
    return res.json;
}

function chat(key, model = 'gpt-4o') {
    return request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${key}` },
        body: { model, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] },
    });
}

async function statusSoon(key, want, what, model) {
    let last;
    await waitFor(async () => { last = await chat(key, model); return last.status === want; },
        { timeoutMs: 3000, intervalMs: 100, what: `${what} (last ${last && last.status} ${last && last.text})` });
    return last;
}

test('a new key works at once; block, unblock and delete take effect within a second', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await api('/key/generate', { key_alias: 'life' });
    assert.equal((await chat(k.key)).status, 200);
    await api('/key/block', { key: k.key });
    const blocked = await statusSoon(k.key, 401, 'blocked');
    assert.equal(blocked.json.error.code, '401');
    await api('/key/unblock', { key: k.key });
    await statusSoon(k.key, 200, 'unblocked');
    await api('/key/delete', { keys: [k.key] });
    await statusSoon(k.key, 401, 'deleted');
});

test('models: a key limited to one group is refused another, naming it', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await api('/key/generate', { models: ['gpt-4o'] });
    assert.equal((await chat(k.key, 'gpt-4o')).status, 200);
    const res = await chat(k.key, 'other');
    assert.ok([401, 403].includes(res.status), res.text);
    assert.match(res.json.error.message, /other/);
});

test('expired key -> 401', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await api('/key/generate', { duration: '1s' });
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await chat(k.key)).status, 401);
});

test('budget: exceeded -> 400 budget_exceeded; budget_duration resets it', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await api('/key/generate', { max_budget: 0.0002, budget_duration: '3s' });
    let res, served = 0;
    for (let i = 0; i < 40; i++) {
        res = await chat(k.key);
        if (res.status !== 200) break;
        served++;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(served > 0, 'some requests fit the budget');
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.type, 'budget_exceeded');
    // controld drains the module's counters: the spend shows up within ~1 s
    await waitFor(async () => (await request(`${gw.url}/key/info?key=${k.token}`, {
        headers: { authorization: `Bearer ${gw.masterKey}` } })).json.info.lifetime_spend > 0,
    { timeoutMs: 3000, what: 'drained spend' });
    // after the period the spend starts from 0 again
    await waitFor(async () => (await chat(k.key)).status === 200, { timeoutMs: 8000, intervalMs: 250, what: 'budget reset' });
});

test('team budget applies to the team key', async (t) => {
    if (pending()) return t.skip(pending());
    const team = await api('/team/new', { max_budget: 0.00003 });
    const k = await api('/key/generate', { team_id: team.team_id });
    let res;
    for (let i = 0; i < 20; i++) {
        res = await chat(k.key);
        if (res.status !== 200) break;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.type, 'budget_exceeded');
});

test('rpm_limit -> 429 with retry-after; x-ratelimit-* headers count down', async (t) => {
    if (pending()) return t.skip(pending());
    const k = await api('/key/generate', { rpm_limit: 2, tpm_limit: 100000 });
    const first = await chat(k.key);
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-ratelimit-limit-requests'], '2');
    assert.equal(first.headers['x-ratelimit-remaining-requests'], '1');
    assert.equal(first.headers['x-ratelimit-limit-tokens'], '100000');
    const tokensLeft = Number(first.headers['x-ratelimit-remaining-tokens']);
    assert.ok(tokensLeft > 0 && tokensLeft < 100000, first.headers['x-ratelimit-remaining-tokens']);
    const second = await chat(k.key);
    assert.equal(second.status, 200);
    assert.equal(second.headers['x-ratelimit-remaining-requests'], '0');
    assert.ok(Number(second.headers['x-ratelimit-remaining-tokens']) < tokensLeft, 'tokens count down');
    const res = await chat(k.key);
    assert.equal(res.status, 429, res.text);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(res.headers['x-ratelimit-limit-requests'], '2');
    assert.equal(res.headers['x-ratelimit-remaining-requests'], '0');
    // the master key has no limits and gets no such headers
    const open = await chat(gw.masterKey);
    assert.equal(open.headers['x-ratelimit-limit-requests'], undefined);
});
