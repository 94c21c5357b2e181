// Gemini clients' ways of sending a key: ?key= in the URL, x-goog-api-key,
// Authorization: Bearer; each for the master key and a virtual key, to a
// Gemini upstream (passthrough) and an OpenAI one (translated).  A wrong or
// missing key gets Gemini's error JSON.  A ?key= value never reaches
// access.log, error.log, requests.log, the request-log API or /metrics:
// the logged request line shows it masked, whatever route the request
// took (answered, refused, 404, upstream failure, key sent twice, key in
// the query beside a header); a pass-through route without auth still
// forwards it to its target as sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
    closeAll, startGateway, startMockProvider, makeSecret, request, waitFor, freePort, parseSse,
} from '../lib/index.mjs';
import { KEY_ENV, formatDeployment, assertGeminiError } from '../lib/xlate.mjs';

const KEYS = { openai: makeSecret('sk-prov-openai-'), gemini: makeSecret('gk-prov-gemini-') };
const BODY = { contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] };
const secrets = [KEYS.openai, KEYS.gemini];
let gw, oai, gem, target, vkey, deadPort;
const seenByTarget = [];

const H = {
    query: () => ({}),
    'x-goog-api-key': (k) => ({ 'x-goog-api-key': k }),
    bearer: (k) => ({ authorization: `Bearer ${k}` }),
};
const url = (path, how, k) => `${gw.url}${path}${how === 'query' ? `${path.includes('?') ? '&' : '?'}key=${k}` : ''}`;
const call = (path, how, k, body = BODY) => request(url(path, how, k), { headers: H[how](k), body });

before(async () => {
    oai = await startMockProvider({ apiKey: KEYS.openai });
    gem = await startMockProvider({ apiKey: KEYS.gemini });
    target = http.createServer((req, res) => {
        seenByTarget.push(req.url);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
    });
    await new Promise((r) => target.listen(0, '127.0.0.1', r));
    deadPort = await freePort();
    gw = await startGateway({
        workers: 1,
        config: {
            model_list: [
                formatDeployment('gem-pass', 'gemini', gem, 'gemini-upstream'),
                formatDeployment('gpt-chat', 'openai', oai, 'upstream-gpt'),
                { model_name: 'gem-dead', litellm_params: {
                    model: 'gemini/gemini-dead', api_base: `http://127.0.0.1:${deadPort}/v1beta`,
                    api_key: `os.environ/${KEY_ENV.gemini}` } },
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
            litellm_settings: { drop_params: true },
            general_settings: {
                pass_through_endpoints: [
                    { path: '/open', target: `http://127.0.0.1:${target.address().port}/opened`, auth: false },
                    { path: '/closed', target: `http://127.0.0.1:${target.address().port}/closed` },
                ],
            },
        },
        env: { [KEY_ENV.openai]: KEYS.openai, [KEY_ENV.gemini]: KEYS.gemini },
    });
    secrets.push(gw.masterKey);
    const g = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'gemini-cli' },
    });
    assert.equal(g.status, 200, g.text);
    vkey = g.json.key;
    secrets.push(vkey);
    await waitFor(async () => (await call('/v1beta/models/gem-pass:generateContent', 'bearer', vkey)).status === 200,
        { what: 'the virtual key live' });
});

after(async () => {
    await new Promise((r) => target?.close(r));
    await closeAll(gw, oai, gem);
});

for (const who of ['master', 'virtual']) {
    for (const how of ['query', 'x-goog-api-key', 'bearer']) {
        test(`${who} key via ${how}: generateContent to Gemini and OpenAI, stream, countTokens, models`, async () => {
            const k = who === 'master' ? gw.masterKey : vkey;
            gem.reset();
            const p = await call('/v1beta/models/gem-pass:generateContent', how, k);
            assert.equal(p.status, 200, p.text);
            assert.ok(p.json.candidates[0].content.parts[0].text.length > 0, p.text);
            const up = gem.requests.at(-1);
            assert.equal(up.path, '/v1beta/models/gemini-upstream:generateContent');
            assert.equal(up.headers['x-goog-api-key'], KEYS.gemini, 'the provider key upstream');
            assert.equal(up.query.key, undefined, 'the client key is not forwarded in the query');
            assert.notEqual(up.headers.authorization, `Bearer ${k}`, 'nor as a Bearer');

            oai.reset();
            const t = await call('/v1/models/gpt-chat:generateContent', how, k);
            assert.equal(t.status, 200, t.text);
            assert.equal(oai.requests.at(-1).headers.authorization, `Bearer ${KEYS.openai}`);

            const s = await call('/v1beta/models/gpt-chat:streamGenerateContent?alt=sse', how, k);
            assert.equal(s.status, 200, s.text);
            assert.ok(parseSse(s.text).length > 0, s.text);

            const c = await call('/v1alpha/models/gem-pass:countTokens', how, k);
            assert.equal(c.status, 200, c.text);

            const l = await request(url('/v1beta/models', how, k), { headers: H[how](k) });
            assert.equal(l.status, 200, l.text);
            assert.ok(l.json.models.some((m) => m.name === 'models/gem-pass'), l.text);
        });
    }
}

test('a wrong key, by each way, is 401 in Gemini error JSON; the provider is not called', async () => {
    const wrong = makeSecret('gk-wrong-');
    secrets.push(wrong);
    gem.reset();
    for (const how of ['query', 'x-goog-api-key', 'bearer']) {
        const r = await call('/v1beta/models/gem-pass:generateContent', how, wrong);
        const err = assertGeminiError(r, 401, 'UNAUTHENTICATED', `wrong key via ${how}`);
        assert.ok(!r.text.includes(wrong), 'the wrong key echoed');
        assert.match(err.message, /invalid API key/i);
        const m = await request(url('/v1beta/models', how, wrong), { headers: H[how](wrong) });
        assertGeminiError(m, 401, 'UNAUTHENTICATED', `models list, wrong key via ${how}`);
    }
    assert.equal(gem.requests.length, 0);
    const none = await request(`${gw.url}/v1beta/models/gem-pass:generateContent`, { body: BODY });
    const err = assertGeminiError(none, 401, 'UNAUTHENTICATED', 'no key');
    assert.match(err.message, /x-goog-api-key/);
});

test('?key= masked in the logs whatever the route: 404, upstream failure, twice, beside a header', async () => {
    const k1 = makeSecret('gk-twice-a-'), k2 = makeSecret('gk-twice-b-'), k3 = makeSecret('gk-upper-');
    secrets.push(k1, k2, k3);
    const r404 = await request(`${gw.url}/v1beta/models/gem-pass:noSuchMethod?key=${vkey}`, { body: BODY });
    assertGeminiError(r404, 404, 'NOT_FOUND', 'unknown method');
    const route404 = await request(`${gw.url}/v1beta/nothing-here?key=${vkey}`, { method: 'GET' });
    assert.equal(route404.status, 404);
    // the upstream refuses the connection: nginx logs the request line
    const dead = await request(`${gw.url}/v1beta/models/gem-dead:generateContent?key=${vkey}`, { body: BODY });
    assertGeminiError(dead, dead.status, null, 'dead upstream');
    assert.ok(dead.status >= 500, dead.text);
    const twice = await request(`${gw.url}/v1beta/models/gem-pass:generateContent?key=${vkey}&alt=json&key=${k1}`,
        { body: BODY });
    assert.equal(twice.status, 200, twice.text);
    const upper = await request(`${gw.url}/v1beta/models/gem-pass:generateContent?KEY=${k3}`, { body: BODY });
    assertGeminiError(upper, 401, 'UNAUTHENTICATED', 'KEY= is a key too');
    const both = await request(`${gw.url}/v1beta/models/gem-pass:generateContent?key=${k2}`,
        { headers: { 'x-goog-api-key': vkey }, body: BODY });
    assert.equal(both.status, 200, both.text);
    const mgmt = await request(`${gw.url}/metrics?key=${k2}`, { method: 'GET', headers: H.bearer(gw.masterKey) });
    assert.equal(mgmt.status, 200);
    assert.ok(!mgmt.text.includes(vkey) && !mgmt.text.includes(gw.masterKey) && !mgmt.text.includes(k2));

    await waitFor(() => gw.errorLog().includes('gem-dead'), { what: 'the upstream failure in error.log' });
    await waitFor(() => gw.accessLog().includes('noSuchMethod') && gw.readLog('requests.log').includes('gem-dead'),
        { what: 'access.log and requests.log flushed' });
    const access = gw.accessLog();
    assert.match(access, /"POST \/v1beta\/models\/gem-pass:noSuchMethod\?key=\*{8,} HTTP/, access.slice(-2000));
    assert.match(access, /\?key=\*+&alt=json&key=\*+ HTTP/, 'both values masked');
    assert.match(access, /\?KEY=\*+ HTTP/);
    assert.match(gw.errorLog(), /request: "POST \/v1beta\/models\/gem-dead:generateContent\?key=\*+ HTTP/);
});

test('a pass-through route without auth forwards ?key= as sent; one with auth takes it as the gateway key', async () => {
    const theirs = makeSecret('gk-theirs-');
    secrets.push(theirs);
    seenByTarget.length = 0;
    const open = await request(`${gw.url}/open?alt=x&key=${theirs}`, { method: 'GET' });
    assert.equal(open.status, 200, open.text);
    assert.equal(seenByTarget.at(-1), `/opened?alt=x&key=${theirs}`, 'the target gets the query as sent');
    const closed = await request(`${gw.url}/closed?key=${vkey}`, { method: 'GET' });
    assert.equal(closed.status, 200, closed.text);
    assert.ok(!seenByTarget.at(-1).includes(vkey), `the gateway key reached the target: ${seenByTarget.at(-1)}`);
    const refused = await request(`${gw.url}/closed?key=${theirs}`, { method: 'GET' });
    assert.equal(refused.status, 401);
    await waitFor(() => gw.accessLog().includes('/closed?key=*'), { what: 'access.log' });
    assert.ok(!gw.accessLog().includes(theirs));
});

test('management routes: /key/info?key= answers; an oversized body is the module\'s 413, logging no key', async () => {
    const info = await request(`${gw.url}/key/info?key=${vkey}`, { method: 'GET', headers: H.bearer(gw.masterKey) });
    assert.equal(info.status, 200, info.text);
    assert.equal(info.json.info?.key_alias ?? info.json.key_alias, 'gemini-cli', info.text);
    // over the management routes' 1 MB limit: were it nginx's
    // client_max_body_size, checked before the module masked the query,
    // error.log would have the key in the request line
    const big = await request(`${gw.url}/key/info?key=${vkey}&key=${vkey}`, {
        headers: { ...H.bearer(gw.masterKey), 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    assert.equal(big.status, 413, big.text);
    assert.match(big.json.error.message, /llm_max_body_size/);
    assert.ok(!gw.errorLog().includes(vkey), 'the key in error.log');
});

test('no key reaches access.log, error.log, requests.log, the request-log API or /metrics', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // requests.log flush=1s
    assert.deepEqual(gw.leakedSecrets(secrets), [], 'a key reached a log or llmctl output');
    const login = await request(`${gw.url}/ui/api/login`, { method: 'POST', body: { key: gw.masterKey } });
    assert.equal(login.status, 200, login.text);
    const cookie = login.headers['set-cookie'][0].split(';')[0];
    const logApi = await request(`${gw.url}/ui/api/request/log?size=500`, { method: 'GET', headers: { cookie } });
    assert.equal(logApi.status, 200, logApi.text);
    assert.ok(logApi.json.data?.length || logApi.json.lines?.length || logApi.text.length > 100, logApi.text);
    const metrics = await request(`${gw.url}/metrics`, { method: 'GET', headers: H.bearer(gw.masterKey) });
    assert.equal(metrics.status, 200);
    for (const s of secrets) {
        assert.ok(!logApi.text.includes(s), 'a key in the request-log API');
        assert.ok(!metrics.text.includes(s), 'a key in /metrics');
    }
    const lines = gw.readLog('requests.log').split('\n').filter(Boolean);
    assert.ok(lines.length >= 20, `requests.log has ${lines.length} lines`);
});
