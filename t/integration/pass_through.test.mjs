// general_settings.pass_through_endpoints: a path goes to its target URL
// through nginx's proxy, bytes as they are, both bodies streamed; the
// listed headers are added (os.environ/ expanded), forward_headers sends
// the client's too, the gateway's key never reaches the target, the
// target's status (4xx included) is the client's, and a path no route
// lists is not caught.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { closeAll, startGateway, makeSecret, request, run, waitFor, makeTempDir } from '../lib/index.mjs';
import { sample } from '../lib/prom.mjs';

const MASTER = 'sk-pass-master-1234';
const TARGET_KEY = makeSecret('co-');
let target, gw;
const seen = [];

// The target: records what it got (headers, path, a hash of the body as it
// streamed in) and answers by path, in several writes.
function startTarget() {
    const server = http.createServer((req, res) => {
        const hash = crypto.createHash('sha256');
        let bytes = 0;
        let chunks = 0;
        req.on('data', (c) => { hash.update(c); bytes += c.length; chunks++; });
        req.on('end', () => {
            const rec = { method: req.method, url: req.url, headers: req.headers, bytes, chunks, sha: hash.digest('hex') };
            seen.push(rec);
            if (req.url.startsWith('/v1/rerank-bad')) {
                res.writeHead(422, { 'content-type': 'application/json', 'x-target': 'yes' });
                res.end('{"message":"invalid request: query is required"}');
                return;
            }
            if (req.url.startsWith('/stream')) {
                // a large answer in many writes: 4 MB in 64 KB pieces
                res.writeHead(200, { 'content-type': 'application/octet-stream' });
                const piece = Buffer.alloc(65536, 'z');
                let left = 64;
                const more = () => {
                    while (left > 0) {
                        left--;
                        if (!res.write(piece)) { res.once('drain', more); return; }
                    }
                    res.end();
                };
                more();
                return;
            }
            res.writeHead(200, { 'content-type': 'application/json', 'x-target': 'yes' });
            res.write('{"echo":');
            setTimeout(() => res.end(JSON.stringify(rec) + '}'), 20);
        });
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function call(method, path, { headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request(`${gw.url}${path}`, { method, headers }, (res) => {
            const hash = crypto.createHash('sha256');
            const parts = [];
            let bytes = 0;
            res.on('data', (c) => { hash.update(c); bytes += c.length; if (bytes <= 1 << 20) parts.push(c); });
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes, sha: hash.digest('hex'), text: Buffer.concat(parts).toString() }));
            res.on('error', reject);
        });
        req.on('error', reject);
        if (typeof body === 'function') body(req); else req.end(body);
    });
}

before(async () => {
    target = await startTarget();
    const base = `http://127.0.0.1:${target.address().port}`;
    gw = await startGateway({
        masterKey: MASTER,
        env: { COHERE_API_KEY: TARGET_KEY },
        config: {
            model_list: [{ model_name: 'm', litellm_params: { model: 'openai/gpt-4o', api_base: base, api_key: 'x' } }],
            general_settings: {
                master_key: MASTER,
                pass_through_endpoints: [
                    {
                        path: '/v1/rerank', target: `${base}/v1/rerank`,
                        headers: { Authorization: 'bearer os.environ/COHERE_API_KEY', 'X-Static': 'one' },
                        forward_headers: true,
                    },
                    { path: '/v1/rerank-bad', target: `${base}/v1/rerank-bad`, headers: { 'X-Static': 'two' } },
                    { path: '/upload', target: `${base}/stream/in`, include_subpath: true },
                    { path: '/open', target: `${base}/opened`, auth: false },
                ],
            },
        },
    });
});

after(() => closeAll(gw, { close: () => new Promise((r) => target.close(r)) }));

test('pass-through: the listed headers reach the target, the client\'s with forward_headers, never the gateway key', async () => {
    seen.length = 0;
    const body = '{"query":"q","documents":["a","b"]}';
    const res = await call('POST', '/v1/rerank?top_n=2', {
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json', 'x-client': 'c1', 'x-static': 'client' },
        body,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-target'], 'yes');
    assert.equal(seen.length, 1);
    const got = seen[0];
    assert.equal(got.url, '/v1/rerank?top_n=2');
    assert.equal(got.method, 'POST');
    assert.equal(got.headers.authorization, `bearer ${TARGET_KEY}`);
    assert.equal(got.headers['x-static'], 'one');         // listed wins over the client's
    assert.equal(got.headers['x-client'], 'c1');          // forward_headers
    assert.equal(got.headers['content-type'], 'application/json');
    assert.match(got.headers.host, /^127\.0\.0\.1:\d+$/);
    assert.equal(got.sha, crypto.createHash('sha256').update(body).digest('hex'));
    // the answer is the target's bytes, not translated
    assert.ok(res.text.startsWith('{"echo":{"method":"POST"'), res.text);
    assert.ok(!JSON.stringify(got.headers).includes(MASTER));
});

test('pass-through: without forward_headers only the listed headers (and the body\'s type) go; a 4xx of the target is the client\'s', async () => {
    seen.length = 0;
    const res = await call('POST', '/v1/rerank-bad', {
        headers: { 'x-api-key': MASTER, 'content-type': 'application/json', 'x-client': 'c2' },
        body: '{}',
    });
    assert.equal(res.status, 422);
    assert.equal(res.text, '{"message":"invalid request: query is required"}');
    assert.equal(res.headers['x-target'], 'yes');
    const got = seen[0];
    assert.equal(got.headers['x-static'], 'two');
    assert.equal(got.headers['x-client'], undefined);
    assert.equal(got.headers['x-api-key'], undefined);
    assert.equal(got.headers['content-type'], 'application/json');
});

test('pass-through: a large body streams to the target in pieces and a large answer streams back (include_subpath)', async () => {
    seen.length = 0;
    const piece = crypto.randomBytes(65536);
    const total = 160;                   // 10 MB, over client_body_buffer_size
    const want = crypto.createHash('sha256');
    for (let i = 0; i < total; i++) want.update(piece);
    const res = await call('PUT', '/upload/a%20b/c', {
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        body: (req) => {
            let left = total;
            const more = () => {
                while (left > 0) {
                    left--;
                    if (!req.write(piece)) { req.once('drain', more); return; }
                }
                req.end();
            };
            more();
        },
    });
    assert.equal(res.status, 200);
    assert.equal(res.bytes, 64 * 65536);
    const got = seen[0];
    assert.equal(got.url, '/stream/in/a%20b/c');
    assert.equal(got.method, 'PUT');
    assert.equal(got.bytes, total * 65536);
    assert.equal(got.sha, want.digest('hex'));
});

test('pass-through: auth is the gateway\'s key unless the route says auth: false', async () => {
    seen.length = 0;
    const none = await call('POST', '/v1/rerank', { body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(none.status, 401);
    assert.match(JSON.parse(none.text).error.message, /missing API key/);
    const bad = await call('POST', '/v1/rerank', { body: '{}', headers: { authorization: 'Bearer sk-wrong' } });
    assert.equal(bad.status, 401);
    assert.equal(seen.length, 0);

    const open = await call('GET', '/open?x=1');
    assert.equal(open.status, 200);
    assert.equal(seen[0].url, '/opened?x=1');
});

test('pass-through: a path no route lists is not caught (404 in the API format), nor one only starting like a route', async () => {
    seen.length = 0;
    for (const path of ['/v1/unknown', '/v1/rerankx', '/v1/rerank/sub', '/uploadx']) {
        const res = await call('POST', path, { headers: { authorization: `Bearer ${MASTER}` }, body: '{}' });
        assert.equal(res.status, 404, path);
        assert.match(JSON.parse(res.text).error.message, /no such route/, path);
    }
    assert.equal(seen.length, 0);
});

test('pass-through: counted in /metrics and written to the request log by the configured path, no tokens or cost', async () => {
    const res = await call('POST', '/v1/rerank-bad?secret_q=1', { headers: { 'x-api-key': MASTER }, body: '{}' });
    assert.equal(res.status, 422);
    assert.equal(res.headers['x-request-id'], undefined, 'the target\'s headers only');

    const m = await request(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } });
    assert.equal(m.status, 200, m.text);
    const pt = { endpoint: 'pass_through' };
    // earlier tests: one 200 and two 401s on /v1/rerank, a 422 before this one
    assert.equal(sample(m.text, 'llm_requests_total', { ...pt, route: '/v1/rerank', status_class: '2xx' }), 1);
    assert.equal(sample(m.text, 'llm_requests_total', { ...pt, route: '/v1/rerank', status_class: '4xx' }), 2);
    assert.equal(sample(m.text, 'llm_requests_total', { ...pt, route: '/v1/rerank-bad', status_class: '4xx' }), 2);
    assert.equal(sample(m.text, 'llm_requests_total', { ...pt, route: '/upload', status_class: '2xx' }), 1);
    assert.equal(sample(m.text, 'llm_requests_total', { ...pt, route: '/open', status_class: '2xx' }), 1);
    assert.equal(sample(m.text, 'llm_request_duration_seconds_count', { ...pt, route: '/v1/rerank-bad' }), 2);
    assert.equal(sample(m.text, 'llm_request_duration_seconds_bucket', { ...pt, route: '/upload', le: '+Inf' }), 1);
    // the route is the configured path: never a subpath, a query or a path no route lists
    for (const bad of ['a%20b', 'secret_q', 'top_n', '/v1/unknown', '/uploadx']) assert.ok(!m.text.includes(bad), bad);
    // no token or spend series for them
    assert.equal(sample(m.text, 'llm_input_tokens_total', pt), null);
    assert.equal(sample(m.text, 'llm_spend_usd_total', pt), null);

    const file = path.join(makeTempDir('ngx-llm-pass-metrics'), 'scrape.prom');
    fs.writeFileSync(file, m.text);
    const check = await run('/bin/sh', ['-c', `promtool check metrics < ${file}`]);
    assert.equal(check.code, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'promtool has no lint complaints');

    const passLines = () => gw.readLog('requests.log').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((l) => l.endpoint === 'pass_through');
    await waitFor(() => passLines().length >= 7, { timeoutMs: 20000, what: 'pass-through lines in requests.log' });
    const lines = passLines();
    const bad = lines.filter((l) => l.route === '/v1/rerank-bad');
    assert.equal(bad.length, 2);
    assert.deepEqual(bad.map((l) => l.status), [422, 422]);
    assert.equal(typeof bad[0].latency_ms, 'number');
    assert.match(bad[0].request_id, /^[0-9a-f]{32}$/);
    assert.equal(bad[0].key_alias, null);
    assert.deepEqual(lines.filter((l) => l.route === '/v1/rerank').map((l) => l.status).sort(), [200, 401, 401]);
    assert.deepEqual(lines.filter((l) => l.route === '/upload').map((l) => l.status), [200]);
    for (const l of lines) {
        for (const k of ['tokens_in', 'tokens_out', 'cost', 'model']) assert.ok(!(k in l), `${k} in ${JSON.stringify(l)}`);
    }
    const all = gw.readLog('requests.log');
    for (const secret of [MASTER, TARGET_KEY, 'secret_q']) assert.ok(!all.includes(secret), 'no secret or query in the log');
});
