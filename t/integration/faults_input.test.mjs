// Bad input and limits: each case gets a clear error in the client's own
// API format (OpenAI, Anthropic or Gemini), reaches no provider unless
// the provider is the one to refuse it (then its refusal comes back), and
// leaks nothing: no secret in any answer or log, no header or path a
// client smuggled into the provider's request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { closeAll, startGateway, startMockProvider, makeSecret, responseText } from '../lib/index.mjs';
import { formatDeployment, KEY_ENV } from '../lib/xlate.mjs';
import { INGRESS, ask, post, clientRequest, clientError } from '../lib/ingress.mjs';

const KEYS = { openai: makeSecret('sk-prov-in-oa-'), anthropic: makeSecret('sk-prov-in-an-'), gemini: makeSecret('sk-prov-in-ge-') };
const MiB = 1024 * 1024;
const mocks = {};
let gw, capture;

/**
 * A provider stand-in that records the raw bytes of each request head
 * (request line and header lines exactly as sent) and answers 404: what a
 * client's model name becomes on the wire.
 */
async function startCapture() {
    const heads = [];
    const server = net.createServer((sock) => {
        let data = '';
        sock.on('data', (c) => {
            data += c.toString('latin1');
            if (!data.includes('\r\n\r\n')) return;
            heads.push(data.slice(0, data.indexOf('\r\n\r\n')));
            const body = '{"error":{"code":404,"message":"capture: no such model","status":"NOT_FOUND"}}';
            sock.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
        });
        sock.on('error', () => {});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${server.address().port}`, heads, close: () => new Promise((r) => server.close(r)) };
}

before(async () => {
    for (const f of INGRESS) mocks[f] = await startMockProvider({ apiKey: KEYS[f] });
    capture = await startCapture();
    gw = await startGateway({
        config: {
            model_list: [
                ...INGRESS.map((f) => formatDeployment(`to-${f}`, f, mocks[f], `up-${f}`)),
                // the client's model name goes to the provider (in the
                // Gemini path, in an OpenAI body)
                formatDeployment('wild-gemini/*', 'gemini', capture, '*'),
                formatDeployment('wild-openai/*', 'openai', capture, '*'),
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
        },
        env: Object.fromEntries(INGRESS.map((f) => [KEY_ENV[f], KEYS[f]])),
    });
});

after(async () => {
    const leaked = gw ? gw.leakedSecrets([...Object.values(KEYS), gw.masterKey]) : [];
    await closeAll(gw, ...Object.values(mocks), capture);
    assert.deepEqual(leaked, [], 'no provider key or master key in any log');
});

function resetMocks() { for (const m of Object.values(mocks)) m.reset(); }
const providerCalls = () => Object.values(mocks).reduce((n, m) => n + m.requests.length, 0);

/** A raw body as a client of `format` would send it to the group `to-<provider>`. */
function rawAs(format, provider, bodyText) {
    const q = clientRequest(format, `to-${provider}`, { key: gw.masterKey });
    return post(gw.url, q.path, bodyText, q.headers);
}

/** The client body of `format` with `extra` members, as JSON text. */
function bodyAs(format, provider, extra = {}, prompt = 'bad input') {
    const q = clientRequest(format, `to-${provider}`, { key: gw.masterKey, prompt });
    return JSON.stringify({ ...q.body, ...extra });
}

function assertRefused(format, res, status, what, message) {
    const where = `${what}: ${res.status} ${(res.text || '').slice(0, 300)}`;
    assert.equal(res.status, status, where);
    const err = clientError(format, res);
    assert.equal(typeof err, 'object', `${where}: ${err}`);
    if (message) assert.match(err.message, message, where);
    assert.ok(err.message.length < 1024, `${what}: a short message, not an echo of the input`);
    assert.ok(!responseText(res).includes(KEYS.openai) && !responseText(res).includes(gw.masterKey), `${what}: no secret`);
    return err;
}

// The provider each client format is sent to here: always another format,
// so the request is translated (parsed), not forwarded as it came.
const OTHER = { openai: 'anthropic', anthropic: 'gemini', gemini: 'openai' };

for (const format of INGRESS) {
    const to = OTHER[format];

    test(`${format}: a body over llm_max_body_size (17 MiB > 16m) -> 413`, async () => {
        resetMocks();
        const res = await rawAs(format, to, bodyAs(format, to, {}, 'x'.repeat(17 * MiB)));
        assertRefused(format, res, 413, 'oversized');
        assert.equal(providerCalls(), 0);
    });

    test(`${format}: JSON nested 5,000 deep -> 400`, async () => {
        resetMocks();
        const deep = '['.repeat(5000) + ']'.repeat(5000);
        const text = bodyAs(format, to).replace(/\}$/, `,"metadata_deep":${deep}}`);
        assertRefused(format, await rawAs(format, to, text), 400, 'deep JSON');
        assert.equal(providerCalls(), 0);
    });

    test(`${format}: 10,000 messages are translated and delivered whole`, async () => {
        resetMocks();
        const n = 10000;
        const q = clientRequest(format, `to-${to}`, { key: gw.masterKey });
        const turns = Array.from({ length: n }, (_, i) => `turn ${i}`);
        if (format === 'gemini') {
            q.body.contents = turns.map((t, i) => ({ role: i % 2 ? 'model' : 'user', parts: [{ text: t }] }));
        } else {
            q.body.messages = turns.map((t, i) => ({ role: i % 2 ? 'assistant' : 'user', content: t }));
        }
        const res = await post(gw.url, q.path, q.body, q.headers);
        assert.equal(res.status, 200, res.text.slice(0, 300));
        const got = mocks[to].last().body;
        const items = to === 'gemini' ? got.contents : got.messages;
        const texts = items.map((m) => (to === 'gemini' ? m.parts.map((p) => p.text).join('')
            : typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('')));
        assert.deepEqual(texts, turns);
    });

    test(`${format}: invalid UTF-8 in a string -> 400`, async () => {
        resetMocks();
        const [head, tail] = bodyAs(format, to, {}, 'MARK').split('MARK');
        const body = Buffer.concat([Buffer.from(head), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(tail)]);
        assertRefused(format, await rawAs(format, to, body), 400, 'invalid UTF-8');
        assert.equal(providerCalls(), 0);
    });

    test(`${format}: a raw NUL byte -> 400; an escaped \\u0000 reaches the provider intact`, async () => {
        resetMocks();
        const [head, tail] = bodyAs(format, to, {}, 'MARK').split('MARK');
        const raw = Buffer.concat([Buffer.from(`${head}a`), Buffer.from([0]), Buffer.from(`b${tail}`)]);
        assertRefused(format, await rawAs(format, to, raw), 400, 'raw NUL');
        assert.equal(providerCalls(), 0);
        const res = await rawAs(format, to, `${head}a\\u0000b${tail}`);
        assert.equal(res.status, 200, res.text.slice(0, 300));
        assert.ok(mocks[to].last().rawBody.includes('a\\u0000b'), `provider got ${mocks[to].last().rawBody.slice(0, 300)}`);
    });

    test(`${format}: out-of-range max_tokens and temperature -> 400 in the client's format`, async () => {
        const tokens = format === 'gemini' ? (v) => ({ generationConfig: { maxOutputTokens: v } }) : (v) => ({ max_tokens: v });
        const temp = format === 'gemini' ? (v) => ({ generationConfig: { temperature: v } }) : (v) => ({ temperature: v });
        const cases = [
            ['max_tokens 1e400', tokens('1e400')],
            ['max_tokens 2^64+1', tokens('18446744073709551617')],
            ['max_tokens 1e30', tokens('1e30')],
            ['max_tokens -1', tokens('-1')],
            ['max_tokens 1.5', tokens('1.5')],
            ['temperature 1e400', temp('1e400')],
            ['temperature 7', temp('7')],
            ['temperature -5', temp('-5')],
        ];
        for (const [what, extra] of cases) {
            resetMocks();
            // numbers as raw JSON text: 1e400 is not a JS number
            const text = bodyAs(format, to, extra).replace(/"(-?[0-9][0-9.e+-]*)"/g, '$1');
            const res = await rawAs(format, to, text);
            assertRefused(format, res, 400, what);
            assert.ok(mocks[to].requests.every((r) => r.response.status !== 200), `${what}: no provider answered it`);
        }
    });

    test(`${format}: a 10 KB model name -> 4xx naming the problem, not echoing it`, async () => {
        resetMocks();
        const model = `m${'x'.repeat(10 * 1024)}`;
        const q = clientRequest(format, model, { key: gw.masterKey });
        const res = await post(gw.url, q.path, q.body, q.headers);
        assert.ok([400, 404, 414].includes(res.status), `status ${res.status} ${res.text.slice(0, 200)}`);
        const err = assertRefused(format, res, res.status, '10 KB model');
        assert.ok(!err.message.includes('x'.repeat(200)), 'the model is not echoed whole');
        assert.equal(providerCalls(), 0);
    });
}

test('a header over large_client_header_buffers -> 400 that reads as an error in every format', async () => {
    for (const format of INGRESS) {
        resetMocks();
        const q = clientRequest(format, `to-${OTHER[format]}`, { key: gw.masterKey });
        const res = await post(gw.url, q.path, q.body, { ...q.headers, 'x-pad': 'p'.repeat(20 * 1024) });
        assertRefused(format, res, 400, `${format} 20 KB header`, /header is longer/);
        assert.equal(providerCalls(), 0);
    }
});

test('openai, anthropic: duplicate "model" or "stream" keys -> 400, nothing sent', async () => {
    const msgs = '"messages":[{"role":"user","content":"dup"}]';
    for (const [format, path, extra] of [['openai', '/v1/chat/completions', ''], ['anthropic', '/v1/messages', ',"max_tokens":5']]) {
        const q = clientRequest(format, 'to-gemini', { key: gw.masterKey });
        for (const dup of ['"model":"to-gemini","model":"to-openai"', '"model":"to-gemini","stream":false,"stream":true',
            '"model":"to-gemini","MODEL":"to-openai"', '"model":"to-gemini","max_tokens":5,"max_tokens":9999']) {
            resetMocks();
            const text = `{${dup},${msgs}${dup.includes('max_tokens') ? '' : extra}}`;
            assertRefused(format, await post(gw.url, path, text, q.headers), 400, `${format} ${dup}`);
            assert.equal(providerCalls(), 0, `${format} ${dup}`);
        }
    }
});

test('a model name cannot inject headers, path segments or a query into the provider request', async () => {
    const attempts = [
        'wild-gemini/g\r\nX-Injected: 1',
        'wild-gemini/g\nX-Injected: 1',
        'wild-gemini/../../v1/other?key=stolen#',
        'wild-gemini/a b HTTP/1.1',
        'wild-openai/m\r\nX-Injected: 1',
    ];
    for (const model of attempts) {
        capture.heads.length = 0;
        resetMocks();
        const res = await post(gw.url, '/v1/chat/completions',
            JSON.stringify({ model, messages: [{ role: 'user', content: 'inject' }] }),
            { authorization: `Bearer ${gw.masterKey}` });
        const what = JSON.stringify(model);
        assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
        // Gemini names the model in the URL: the gateway refuses it itself.
        // An OpenAI deployment carries it in the JSON body, escaped, and the
        // capture mock's own 404 passes through as the provider wrote it.
        if (model.startsWith('wild-gemini/')) {
            assert.equal(res.status, 400, `${what}: refused by the gateway`);
            assert.equal(typeof clientError('openai', res), 'object', `${what}: OpenAI error shape: ${res.text.slice(0, 200)}`);
            assert.equal(capture.heads.length, 0, `${what}: nothing sent to the provider`);
        }
        for (const head of capture.heads) {
            const [line, ...headers] = head.split('\r\n');
            assert.match(line, /^POST \S+ HTTP\/1\.1$/, `${what}: one well-formed request line: ${JSON.stringify(line)}`);
            const [, target] = line.split(' ');
            assert.ok(!/\/\.\.\//.test(target) && !/[?&]key=/.test(target) && !target.includes('#'),
                `${what}: no path or query from the client: ${target}`);
            assert.ok(!headers.some((h) => /^x-injected:/i.test(h)), `${what}: no injected header in ${JSON.stringify(headers)}`);
        }
    }
});

test('headers forwarded upstream (anthropic-beta) cannot carry another header', async () => {
    // Raw requests: obs-fold, bare CR and a NUL in the forwarded header.
    const body = JSON.stringify({ model: 'to-anthropic', max_tokens: 5, messages: [{ role: 'user', content: 'beta' }] });
    const u = new URL(gw.url);
    const sendRaw = (headerLines) => new Promise((resolve) => {
        const sock = net.connect(Number(u.port), u.hostname);
        let data = '';
        sock.on('data', (c) => { data += c.toString('latin1'); });
        sock.on('close', () => resolve(data));
        sock.on('error', () => resolve(data));
        sock.setTimeout(10000, () => sock.destroy());
        sock.write(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${gw.masterKey}\r\nanthropic-version: 2023-06-01\r\n` +
            `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n` +
            `${headerLines}\r\n${body}`);
    });
    for (const lines of [
        'anthropic-beta: tools-2024\r\n x-injected: folded\r\n',
        'anthropic-beta: tools-2024\rx-injected: bare-cr\r\n',
        'anthropic-beta: tools-2024\0x-injected: nul\r\n',
    ]) {
        resetMocks();
        const answer = await sendRaw(lines);
        assert.match(answer, /^HTTP\/1\.1 (200|400)/, `${JSON.stringify(lines)} -> ${answer.slice(0, 200)}`);
        for (const r of mocks.anthropic.requests) {
            assert.ok(!Object.keys(r.headers).includes('x-injected'), `provider headers ${JSON.stringify(r.headers)}`);
            assert.ok(!/x-injected/i.test(r.headers['anthropic-beta'] || ''), `anthropic-beta: ${r.headers['anthropic-beta']}`);
        }
    }
});
