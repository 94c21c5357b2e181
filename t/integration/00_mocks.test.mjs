// Self-test of the mock providers, without the gateway: the official SDKs
// must accept what the mocks send, so a failure in later suites points at
// the gateway and not at the mocks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import net from 'node:net';
import zlib from 'node:zlib';
import { startMockProvider, chunkText, parseWire } from '../lib/mocks/index.mjs';
import { makeTestPki } from '../lib/certs.mjs';
import { request } from '../lib/http.mjs';
import { parseSse } from '../lib/sse.mjs';

const KEY = 'sk-mock-provider-key-1234';
let mock;

before(async () => { mock = await startMockProvider({ apiKey: KEY, name: 'self' }); });
after(async () => { await mock.close(); });

test('openai SDK: chat, stream with usage, completions, embeddings, models', async () => {
    const client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi there' }] });
    assert.equal(chat.choices[0].message.content, 'Mock reply from m1: you said hi there');
    assert.equal(chat.usage.total_tokens, chat.usage.prompt_tokens + chat.usage.completion_tokens);

    const stream = await client.chat.completions.create({
        model: 'm1', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream me' }],
    });
    const deltas = [];
    let usage = null;
    for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) deltas.push(chunk.choices[0].delta.content);
        if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual(deltas, mock.last().response.chunks);
    assert.deepEqual(deltas, chunkText('Mock reply from m1: you said stream me'));
    assert.deepEqual(usage, mock.last().response.usage);

    const cmpl = await client.completions.create({ model: 'm2', prompt: 'legacy' });
    assert.equal(cmpl.choices[0].text, 'Mock reply from m2: you said legacy');

    const emb = await client.embeddings.create({ model: 'e1', input: ['a', 'b'] });
    assert.equal(emb.data.length, 2);
    assert.equal(emb.data[0].embedding.length, 8);
    assert.equal(mock.last().body.encoding_format, 'base64');
    assert.ok(emb.data[0].embedding.every((x) => x >= -1 && x < 1));

    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['mock-model']);
});

test('wrong provider key -> 401 in OpenAI shape', async () => {
    const client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(client.models.list(), (e) => e.status === 401 && e.error?.code === 'invalid_api_key');
});

test('azure path needs api-version and api-key', async () => {
    const path = '/openai/deployments/my-dep/chat/completions';
    const body = { messages: [{ role: 'user', content: 'x' }] };
    const ok = await request(`${mock.url}${path}?api-version=2024-06-01`, { headers: { 'api-key': KEY }, body });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.model, 'my-dep');
    const noVersion = await request(`${mock.url}${path}`, { headers: { 'api-key': KEY }, body });
    assert.equal(noVersion.status, 400);
    const bearer = await request(`${mock.url}${path}?api-version=1`, { headers: { authorization: `Bearer ${KEY}` }, body });
    assert.equal(bearer.status, 401);
});

test('faults: 429 with retry-after, 500, reset, stream-break, slow-headers, flaky', async () => {
    const client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const msgs = [{ role: 'user', content: 'x' }];
    const r429 = await request(`${mock.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${KEY}` }, body: { model: 'fault-429', messages: msgs } });
    assert.equal(r429.status, 429);
    assert.equal(r429.headers['retry-after'], '1');
    assert.equal(r429.json.error.code, 'rate_limit_exceeded');
    await assert.rejects(client.chat.completions.create({ model: 'fault-500', messages: msgs }), (e) => e.status === 500);
    await assert.rejects(request(`${mock.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${KEY}` }, body: { model: 'fault-reset', messages: msgs } }));

    const stream = await client.chat.completions.create({ model: 'fault-stream-break-3', stream: true, messages: msgs });
    const got = [];
    await assert.rejects((async () => { for await (const c of stream) if (c.choices[0]?.delta?.content) got.push(c.choices[0].delta.content); })());
    assert.equal(got.length, 3);
    assert.equal(mock.last().response.broken, true);

    const t0 = Date.now();
    await client.chat.completions.create({ model: 'fault-slow-headers-300', messages: msgs });
    assert.ok(Date.now() - t0 >= 290);

    await assert.rejects(client.chat.completions.create({ model: 'fault-flaky-1', messages: msgs }), (e) => e.status === 500);
    const ok = await client.chat.completions.create({ model: 'fault-flaky-1', messages: msgs });
    assert.ok(ok.choices[0].message.content.startsWith('Mock reply from fault-flaky-1'));
});

test('anthropic SDK: messages, stream event sequence, count_tokens', async () => {
    const client = new Anthropic({ baseURL: mock.url, apiKey: KEY, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-x', max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(msg.content[0].text, 'Mock reply from claude-x: you said hello');
    assert.ok(mock.last().headers['anthropic-version']);
    const stream = client.messages.stream({ model: 'claude-x', max_tokens: 50, messages: [{ role: 'user', content: 'streamed' }] });
    const final = await stream.finalMessage();
    assert.equal(final.content[0].text, 'Mock reply from claude-x: you said streamed');
    assert.equal(final.stop_reason, 'end_turn');
    const events = parseSse(mock.last().response.frames.join('')).map((e) => e.event);
    assert.deepEqual([events[0], events[1], events.at(-2), events.at(-1)],
        ['message_start', 'content_block_start', 'message_delta', 'message_stop']);
    const count = await client.messages.countTokens({ model: 'claude-x', messages: [{ role: 'user', content: 'abcdefgh' }] });
    assert.ok(count.input_tokens >= 2);
    const bad = await request(`${mock.url}/v1/messages`, { headers: { 'x-api-key': KEY }, body: { model: 'c', max_tokens: 1, messages: [] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.type, 'error');
});

test('gemini: generateContent and streamGenerateContent?alt=sse', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'gem' }] }] };
    const r = await request(`${mock.url}/v1beta/models/gemini-x:generateContent`, { headers: { 'x-goog-api-key': KEY }, body });
    assert.equal(r.status, 200);
    assert.equal(r.json.candidates[0].content.parts[0].text, 'Mock reply from gemini-x: you said gem');
    const s = await request(`${mock.url}/v1beta/models/gemini-x:streamGenerateContent?alt=sse`, { headers: { 'x-goog-api-key': KEY }, body });
    const text = parseSse(s.text).map((e) => e.json.candidates[0].content.parts[0].text).join('');
    assert.equal(text, 'Mock reply from gemini-x: you said gem');
    const unauth = await request(`${mock.url}/v1beta/models/gemini-x:generateContent`, { body });
    assert.equal(unauth.status, 401);
    assert.equal(unauth.json.error.status, 'UNAUTHENTICATED');
});

test('tls mock verifies against the test CA only', async () => {
    const pki = makeTestPki();
    const tlsMock = await startMockProvider({ apiKey: KEY, tls: { cert: pki.cert, key: pki.key } });
    try {
        const https = await import('node:https');
        const get = (ca) => new Promise((resolve, reject) => {
            https.get(`${tlsMock.url}/v1/models`, { ca, headers: { authorization: `Bearer ${KEY}` } }, (res) => {
                res.resume(); res.on('end', () => resolve(res.statusCode));
            }).on('error', reject);
        });
        assert.equal(await get(pki.ca), 200);
        assert.equal(tlsMock.last().tls.servername, 'localhost');
        const fs = await import('node:fs');
        await assert.rejects(get(fs.readFileSync(pki.otherCaFile)), /certificate/);
    } finally {
        await tlsMock.close();
    }
});

// --- wire modes (t/lib/mocks/wire.mjs): what actually crosses the socket ---

/**
 * One raw HTTP/1.1 exchange: resolves {head, body (Buffer, as received,
 * transfer coding included), reads: [Buffer] (one per socket read), ended:
 * 'fin' | 'rst' | 'timeout'}.
 */
function rawExchange(url, path, body, headers = {}, { waitMs = 1500 } = {}) {
    const u = new URL(url);
    return new Promise((resolve) => {
        const sock = net.connect(Number(u.port), u.hostname);
        sock.setNoDelay(true);
        const reads = [];
        let settled = false;
        const done = (ended) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            sock.destroy();
            const all = Buffer.concat(reads);
            const at = all.indexOf('\r\n\r\n');
            resolve({ head: all.subarray(0, at).toString('latin1'), body: all.subarray(at + 4), reads, ended });
        };
        const timer = setTimeout(() => done('timeout'), waitMs);
        sock.on('data', (c) => reads.push(c));
        sock.on('end', () => done('fin'));
        sock.on('error', (e) => done(e.code === 'ECONNRESET' ? 'rst' : e.code));
        const payload = JSON.stringify(body);
        const lines = [`POST ${path} HTTP/1.1`, `host: ${u.host}`, 'content-type: application/json',
            `authorization: Bearer ${KEY}`, `content-length: ${Buffer.byteLength(payload)}`,
            ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
        sock.write(`${lines.join('\r\n')}\r\n\r\n${payload}`);
    });
}

const chatPath = '/v1/chat/completions';

/** Body offsets at which a socket read ended. */
function bodyCuts(x) {
    const headLen = Buffer.byteLength(x.head, 'latin1') + 4;
    const cuts = [];
    let seen = 0;
    for (const r of x.reads) { seen += r.length; if (seen > headLen) cuts.push(seen - headLen); }
    return cuts;
}
const errBody = { model: 'fault-context-length', messages: [{ role: 'user', content: 'x' }] };
const headerOf = (head, name) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];

test('wire: parseWire reads the documented tokens and refuses unknown ones', () => {
    assert.deepEqual(parseWire('apart=50,bytes=8:1,gzip'), { spec: 'apart=50,bytes=8:1,gzip', apart: 50, bytes: { n: 8, gap: 1 }, gzip: true });
    assert.deepEqual(parseWire('rst-event').cut, { where: 'event', how: 'rst', frame: 2 });
    assert.equal(parseWire(''), null);
    assert.throws(() => parseWire('teleport'), /unknown token/);
});

test('wire: apart and bytes=N deliver headers and body in separate reads; with keep-alive', async () => {
    const apart = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'apart=60' }, { waitMs: 400 });
    assert.ok(apart.reads.length >= 2, `reads: ${apart.reads.length}`);
    assert.ok(apart.reads[0].toString().endsWith('\r\n\r\n'), 'first read is exactly the header block');
    assert.equal(JSON.parse(apart.body).error.code, 'context_length_exceeded');
    assert.equal(apart.ended, 'timeout', 'connection kept alive');

    const bytes = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'bytes=16:3' }, { waitMs: 400 });
    const bodyReads = bytes.reads.slice(1);
    assert.ok(bodyReads.length >= 10, `16 one-byte writes should not all coalesce (${bodyReads.length} reads)`);
    assert.ok(bodyReads.slice(0, 8).every((r) => r.length === 1), bodyReads.map((r) => r.length).join(','));
    assert.equal(Number(headerOf(bytes.head, 'content-length')), bytes.body.length);
    assert.equal(JSON.parse(bytes.body).error.code, 'context_length_exceeded');

    const split = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'split=5:40' }, { waitMs: 400 });
    assert.ok(bodyCuts(split).includes(5), `a read ends at body byte 5: ${bodyCuts(split)}`);
    assert.equal(JSON.parse(split.body).error.type, 'invalid_request_error');
});

test('wire: the prompt marker and mock.wire choose the delivery too', async () => {
    const marked = await rawExchange(mock.url, chatPath,
        { model: 'fault-500', messages: [{ role: 'user', content: 'mock-wire[close-nolength]' }] });
    assert.equal(marked.ended, 'fin');
    assert.equal(headerOf(marked.head, 'content-length'), undefined);
    assert.equal(headerOf(marked.head, 'transfer-encoding'), undefined);
    assert.equal(headerOf(marked.head, 'connection'), 'close');
    assert.equal(JSON.parse(marked.body).error.type, 'server_error');
    const named = await rawExchange(mock.url, chatPath,
        { model: 'fault-500', messages: [{ role: 'user', content: 'mock-wire@other[rst-request] mock-wire@self[close]' }] });
    assert.equal(named.ended, 'fin', 'only the marker naming this mock applies');
    assert.equal(headerOf(named.head, 'connection'), 'close');
    mock.wire = 'close';
    try {
        const viaMock = await rawExchange(mock.url, chatPath, errBody);
        assert.equal(viaMock.ended, 'fin');
        assert.equal(headerOf(viaMock.head, 'connection'), 'close');
        assert.equal(Number(headerOf(viaMock.head, 'content-length')), viaMock.body.length);
    } finally {
        mock.wire = null;
    }
});

test('wire: chunked, chunked-bad, chunked-truncated, gzip', async () => {
    const ok = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'chunked,split=7:10' }, { waitMs: 300 });
    assert.equal(headerOf(ok.head, 'transfer-encoding'), 'chunked');
    assert.match(ok.body.toString(), /^7\r\n\{"error\r\n/);
    assert.match(ok.body.toString(), /\r\n0\r\n\r\n$/);
    const bad = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'chunked-bad' });
    assert.match(bad.body.toString(), /\r\nzz\r\n/);
    assert.equal(bad.ended, 'fin');
    const badAt = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'chunked-bad=9' });
    assert.match(badAt.body.toString(), /^9\r\n\{"error":\r\nzz\r\n/);
    const cut = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'chunked-truncated' });
    assert.equal(cut.ended, 'fin');
    assert.doesNotMatch(cut.body.toString(), /\r\n0\r\n\r\n$/);
    const gz = await rawExchange(mock.url, chatPath, errBody, { 'x-mock-wire': 'gzip,bytes=4' }, { waitMs: 300 });
    assert.equal(headerOf(gz.head, 'content-encoding'), 'gzip');
    assert.equal(Number(headerOf(gz.head, 'content-length')), gz.body.length);
    assert.equal(JSON.parse(zlib.gunzipSync(gz.body)).error.code, 'context_length_exceeded');
});

test('wire: RST after the request, after the headers, mid-body, mid-event; half-close; stall', async () => {
    const okBody = { model: 'm1', messages: [{ role: 'user', content: 'hello wire' }] };
    const r1 = await rawExchange(mock.url, chatPath, okBody, { 'x-mock-wire': 'rst-request' });
    assert.equal(r1.ended, 'rst');
    assert.equal(r1.reads.length, 0);
    const r2 = await rawExchange(mock.url, chatPath, okBody, { 'x-mock-wire': 'rst-headers' });
    assert.equal(r2.ended, 'rst');
    assert.match(r2.head, /^HTTP\/1.1 200/);
    assert.equal(r2.body.length, 0);
    const r3 = await rawExchange(mock.url, chatPath, okBody, { 'x-mock-wire': 'rst-body=10' });
    assert.equal(r3.ended, 'rst');
    assert.equal(r3.body.length, 10);
    assert.ok(Number(headerOf(r3.head, 'content-length')) > 10);
    const r4 = await rawExchange(mock.url, chatPath, { ...okBody, stream: true }, { 'x-mock-wire': 'rst-event=3' });
    assert.equal(r4.ended, 'rst');
    const sse = r4.body.toString();
    assert.equal((sse.match(/"content":"[^"]/g) || []).length, 2, sse);
    const r5 = await rawExchange(mock.url, chatPath, okBody, { 'x-mock-wire': 'halfclose' });
    assert.equal(r5.ended, 'fin');
    assert.equal(r5.body.length, Math.floor(Number(headerOf(r5.head, 'content-length')) / 2));
    const r6 = await rawExchange(mock.url, chatPath, okBody, { 'x-mock-wire': 'stall' }, { waitMs: 300 });
    assert.equal(r6.ended, 'timeout');
    assert.match(r6.head, /^HTTP\/1.1 200/);
    assert.equal(r6.body.length, 0);
    assert.equal(mock.last().response.wire.ended, 'stall');
});
