// The fault matrix: every failure class of docs/routing.md, delivered by
// the provider under every segmentation a real network may produce
// (t/lib/mocks/wire.mjs), for each client API (OpenAI, Anthropic, Gemini),
// streamed and not.  The cases are generated from the tables below and run
// concurrently; each request picks its own delivery with a
// mock-wire@bad[...] marker in its prompt, which only the failing mock obeys.
//
// Before the client's first byte a failure is retried or falls back as
// docs/routing.md says (here: num_retries 0, so every retryable class goes
// to the fallback group; bad_request, auth and not_found reach the client
// with the provider's own message, in the client's format).  After the
// client got bytes, the stream ends with a well-formed error event in the
// client's format, and the key is charged for what was delivered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, startGateway, startMockProvider, makeSecret, request, freePort, waitFor } from '../lib/index.mjs';
import { formatDeployment, KEY_ENV } from '../lib/xlate.mjs';
import { INGRESS, ask, answerText, answerUsage, clientError, streamComplete, streamFailure } from '../lib/ingress.mjs';

const KEY = makeSecret('sk-prov-matrix-');
// 1 micro-dollar per prompt token, 2 per completion token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const micros = (u) => u.prompt + 2 * u.completion;

// Failure classes answered with an HTTP error (faults.mjs names).  expect:
// 'fallback' = the fallback group answers; else the client's status and
// what the provider's message says.
const CLASSES = [
    { cls: 'rate_limit', fault: '429', expect: 'fallback' },
    { cls: 'server', fault: '500', expect: 'fallback' },
    { cls: 'server-503', fault: '503', expect: 'fallback' },
    { cls: 'server-529', fault: '529', expect: 'fallback' },
    { cls: 'timeout', fault: '408', expect: 'fallback' },
    { cls: 'context_window', fault: 'context-length', expect: 'fallback', list: 'context_window_fallbacks' },
    { cls: 'content_policy', fault: 'content-policy', expect: 'fallback', list: 'content_policy_fallbacks' },
    { cls: 'bad_request', fault: '400', expect: { status: 400, message: /temperature/ } },
    { cls: 'auth', fault: '401', expect: { status: 401, message: /Incorrect API key/ } },
    { cls: 'permission', fault: '403', expect: { status: 403, message: /not allowed to use this model/ } },
    { cls: 'not_found', fault: '404', expect: { status: 404, message: /model does not exist/ } },
];

// How an error answer arrives.  bodyIntact: the whole error body arrives
// (so a class read from the body must be found); the others cut the error
// body, and only classes known from the status are checked under them.
const SEGMENTATIONS = [
    { seg: 'one-write', wire: '', bodyIntact: true },
    { seg: 'apart', wire: 'apart=40', bodyIntact: true },
    { seg: 'bytes-64', wire: 'bytes=64:1', bodyIntact: true },
    { seg: 'split-half', wire: 'split', bodyIntact: true },
    { seg: 'close', wire: 'close', bodyIntact: true },
    { seg: 'close-nolength', wire: 'close-nolength', bodyIntact: true },
    { seg: 'chunked', wire: 'chunked,split=20', bodyIntact: true },
    { seg: 'gzip', wire: 'gzip', bodyIntact: true },
    { seg: 'gzip-apart', wire: 'gzip,apart=40', bodyIntact: true },
    { seg: 'halfclose', wire: 'halfclose', bodyIntact: false },
    { seg: 'rst-body', wire: 'rst-body', bodyIntact: false },
    { seg: 'chunked-truncated', wire: 'chunked-truncated,split=20', bodyIntact: false },
    { seg: 'chunked-bad', wire: 'chunked-bad', bodyIntact: false },
    { seg: 'stall-body', wire: 'stall', bodyIntact: false },
];
const STATUS_CLASSES = new Set(['rate_limit', 'server', 'server-503', 'server-529', 'timeout']);

// Connection failures before any answer: class connect, falls back.
const CONNECT = [
    { cls: 'connect-rst', group: 'cls-ok', wire: 'rst-request' },
    { cls: 'connect-refused', group: 'cls-refused', wire: '' },
];

// A success that breaks after the provider's headers.  A stream has then
// reached the client; a whole answer is still held by the gateway.
const CUTS = [
    { cut: 'rst-headers', wire: 'rst-headers' },
    { cut: 'rst-mid-body', wire: 'rst-body=40' },
    { cut: 'rst-mid-event', wire: 'rst-event=3', streamOnly: true },
    { cut: 'halfclose', wire: 'halfclose=300' },
    { cut: 'chunked-bad', wire: 'chunked-bad=300' },
    { cut: 'stall', wire: 'stall', group: 'cls-ok-short' },
    // a close-delimited body (no Content-Length): an RST is no end of it
    { cut: 'rst-close-delimited', wire: 'close-nolength,rst-body=40' },
    // gzip-encoded (the gateway decodes it), then cut
    { cut: 'gzip-rst-mid-body', wire: 'gzip,rst-body=40' },
    { cut: 'gzip-rst-mid-event', wire: 'gzip,rst-event=3', streamOnly: true },
    { cut: 'gzip-halfclose', wire: 'gzip,halfclose' },
];

// A success the provider gzip-encodes although the gateway asked for no
// encoding (some providers and proxies do), however its bytes arrive: the
// client gets it decoded, in its own format, and is charged its usage.
const GZIP_OK = [
    { seg: 'gzip', wire: 'gzip' },
    { seg: 'gzip-apart', wire: 'gzip,apart=40' },
    { seg: 'gzip-bytes-64', wire: 'gzip,bytes=64:1' },
    { seg: 'gzip-split', wire: 'gzip,split' },
    { seg: 'gzip-chunked', wire: 'gzip,chunked,split=20' },
    { seg: 'gzip-close-nolength', wire: 'gzip,close-nolength' },
];

let bad, good, gw, refusedPort;

before(async () => {
    bad = await startMockProvider({ apiKey: KEY, name: 'bad' });
    good = await startMockProvider({ apiKey: KEY, name: 'good' });
    refusedPort = await freePort();
    const dep = (group, model, params = {}) => formatDeployment(group, 'openai', bad, model, { ...PRICES, ...params });
    const fallbacks = [];
    const cwf = [];
    const cpf = [];
    for (const c of CLASSES) {
        const entry = { [`cls-${c.cls}`]: ['fb'] };
        if (c.list === 'context_window_fallbacks') cwf.push(entry);
        else if (c.list === 'content_policy_fallbacks') cpf.push(entry);
        else fallbacks.push(entry);
    }
    for (const g of ['cls-ok', 'cls-refused']) fallbacks.push({ [g]: ['fb'] });
    gw = await startGateway({
        config: {
            model_list: [
                ...CLASSES.map((c) => dep(`cls-${c.cls}`, `fault-${c.fault}`, { timeout: 3 })),
                dep('cls-ok', 'up-ok', { timeout: 3 }),
                dep('cls-ok-short', 'up-ok', { timeout: 1 }),
                formatDeployment('cls-refused', 'openai', { url: `http://127.0.0.1:${refusedPort}` }, 'never', PRICES),
                formatDeployment('fb', 'openai', good, 'up-fb', PRICES),
            ],
            router_settings: {
                num_retries: 0, disable_cooldowns: true,
                fallbacks, context_window_fallbacks: cwf, content_policy_fallbacks: cpf,
            },
        },
        env: { [KEY_ENV.openai]: KEY },
    });
});

after(() => closeAll(gw, bad, good));

async function newKey(alias) {
    const res = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: alias } });
    assert.equal(res.status, 200, res.text);
    return res.json;
}

/**
 * The key's spend row once `settled(row)` holds.  Requests count at
 * admission and spend when the request ends (then controld drains the
 * zone), so a test waits for the figure it expects, and a wrong one shows
 * in the timeout message.
 */
async function spendWhen(token, settled, what) {
    let row;
    await waitFor(async () => {
        const res = await request(`${gw.url}/global/spend/keys`, {
            method: 'GET', headers: { authorization: `Bearer ${gw.masterKey}` } });
        row = (res.json || []).find((r) => r.api_key === token);
        return row && settled(row);
    }, { timeoutMs: 20000, intervalMs: 250, what: `${what} (key spend row: ${JSON.stringify(row)})` });
    return row;
}

const show = (res) => `${res.status} cut=${res.cut} ${(res.text || '').slice(0, 400)}`;

/** A fallback's answer: 200 from the `fb` group, complete, in the client's format. */
function assertFallback(format, stream, res, what) {
    assert.equal(res.status, 200, `${what}: ${show(res)}`);
    assert.equal(res.headers['x-litellm-attempted-fallbacks'], '1', `${what}: fallbacks header`);
    assert.match(answerText(format, res) || '', /^Mock reply from up-fb: /, `${what}: ${show(res)}`);
    if (stream) assert.ok(streamComplete(format, res), `${what}: stream complete: ${show(res)}`);
    const usage = answerUsage(format, res);
    assert.ok(usage, `${what}: usage in the answer`);
    return usage;
}

function assertClientError(format, res, status, message, what) {
    assert.equal(res.status, status, `${what}: ${show(res)}`);
    const err = clientError(format, res);
    assert.equal(typeof err, 'object', `${what}: ${err}: ${show(res)}`);
    if (message) assert.match(err.message, message, `${what}: the provider's own message`);
    return err;
}

for (const format of INGRESS) {
    for (const stream of [false, true]) {
        const mode = stream ? 'stream' : 'whole';

        test(`${format} ${mode}: failure classes x segmentations before the first byte`, { concurrency: 12 }, async (t) => {
            const key = await newKey(`matrix-${format}-${mode}`);
            let charged = 0;
            let answered = 0;
            const cases = [];
            for (const c of CLASSES) {
                for (const s of SEGMENTATIONS) {
                    if (!s.bodyIntact && !STATUS_CLASSES.has(c.cls)) continue;
                    cases.push({ ...c, ...s, group: `cls-${c.cls}`, name: `${c.cls} / ${s.seg}` });
                }
            }
            for (const c of CONNECT) cases.push({ ...c, expect: 'fallback', name: `${c.cls}` });
            await Promise.all(cases.map((c) => t.test(c.name, async () => {
                const prompt = `${c.name} mock-wire@bad[${c.wire}]`;
                const res = await ask(gw, format, c.group, { stream, prompt, key: key.key });
                if (c.expect === 'fallback') {
                    const usage = assertFallback(format, stream, res, c.name);
                    charged += micros(usage);
                    answered++;
                } else {
                    assertClientError(format, res, c.expect.status, c.expect.message, c.name);
                }
            })));
            // Charged exactly the fallback answers: errors cost nothing.
            await spendWhen(key.token, (row) => row.spend_micros === charged,
                `spend = the ${answered} answers' usage, ${charged} micro-dollars`);
        });

        test(`${format} ${mode}: a gzip-encoded success`, { concurrency: 6 }, async (t) => {
            const key = await newKey(`gzip-${format}-${mode}`);
            let charged = 0;
            await Promise.all(GZIP_OK.map((c) => t.test(c.seg, async () => {
                const res = await ask(gw, format, 'cls-ok',
                    { stream, prompt: `ok ${c.seg} mock-wire@bad[${c.wire}]`, key: key.key });
                assert.equal(res.status, 200, `${c.seg}: ${show(res)}`);
                assert.equal(res.headers['content-encoding'], undefined, `${c.seg}: decoded by the gateway`);
                assert.match(answerText(format, res) || '', /^Mock reply from up-ok: you said ok /, `${c.seg}: ${show(res)}`);
                if (stream) assert.ok(streamComplete(format, res), `${c.seg}: stream complete: ${show(res)}`);
                const usage = answerUsage(format, res);
                assert.ok(usage && usage.prompt > 0, `${c.seg}: usage in the answer: ${show(res)}`);
                charged += micros(usage);
            })));
            await spendWhen(key.token, (row) => row.spend_micros === charged,
                `spend = the answers' usage, ${charged} micro-dollars`);
        });

        test(`${format} ${mode}: provider breaks after its headers`, { concurrency: 8 }, async (t) => {
            const cuts = CUTS.filter((c) => stream || !c.streamOnly);
            await Promise.all(cuts.map((c) => t.test(c.cut, async () => {
                const key = await newKey(`cut-${format}-${mode}-${c.cut}`);
                const res = await ask(gw, format, c.group || 'cls-ok',
                    { stream, prompt: `cut ${c.cut} mock-wire@bad[${c.wire}]`, key: key.key });
                if (!stream) {
                    // The gateway holds a whole answer until it is complete:
                    // the client gets an error in its format, nothing partial.
                    const err = assertClientError(format, res, 502, /broke off|provider/, c.cut);
                    assert.ok(err.message.length < 300);
                    return;
                }
                assert.equal(res.status, 200, `${c.cut}: ${show(res)}`);
                const fail = streamFailure(format, res);
                assert.equal(typeof fail, 'object', `${c.cut}: ${fail}\n${show(res)}`);
                assert.ok('Mock reply from up-ok: you said cut'.startsWith(fail.text.trim().slice(0, 30)) || fail.text === '',
                    `${c.cut}: delivered text is the start of the reply: ${JSON.stringify(fail.text)}`);
                // Charged for the prompt and what was delivered, once.
                const row = await spendWhen(key.token, (r) => r.prompt_tokens > 0, 'the prompt charged');
                assert.equal(row.requests, 1, JSON.stringify(row));
                assert.ok(row.completion_tokens >= Math.ceil(fail.text.length / 4),
                    `delivered text charged (${fail.text.length} chars): ${JSON.stringify(row)}`);
                assert.equal(row.spend_micros, row.prompt_tokens + 2 * row.completion_tokens, JSON.stringify(row));
            })));
        });
    }
}
