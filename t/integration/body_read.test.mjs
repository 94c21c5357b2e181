// How request bodies are read: the gateway reads a body bigger than the
// connection's header buffer into one buffer of the body's size (the part
// that came with the headers first), so it is scanned where it lies.  What
// the provider gets must be the client's bytes, whatever way they arrive:
// with the headers or after them, in one write or in many slow ones, and
// with the next request pipelined behind them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment } from '../lib/index.mjs';

const OPENAI_API_KEY = makeSecret('sk-prov-');
let gw, mock;

before(async () => {
    mock = await startMockProvider({ apiKey: OPENAI_API_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('gpt-4o', mock, 'provider-4o')] },
        env: { OPENAI_API_KEY },
    });
});

after(() => closeAll(gw, mock));

// A chat body of about `size` bytes whose text changes every few bytes, so
// a misplaced or repeated piece cannot go unnoticed; escapes and UTF-8 too.
function chatBody(size, tag) {
    const words = [];
    for (let i = 0, len = 0; len < size; i++) {
        words.push(`${tag}${i}\\"é\n`);
        len += words[i].length + 1;
    }
    return JSON.stringify({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: words.join(' ') }],
        max_tokens: 7,
    });
}

// What the provider must receive for `body`: the same bytes, with the
// model's value replaced by the deployment's.
function expectedUpstream(body) {
    return body.replace('"model":"gpt-4o"', '"model":"provider-4o"');
}

// Raw HTTP/1.1 over one socket: `pieces` are written one by one with
// `gapMs` between them; resolves with everything read until `responses`
// complete answers arrived (by Content-Length) or the socket closed.
function rawExchange(pieces, { gapMs = 0, responses = 1 } = {}) {
    const u = new URL(gw.url);
    return new Promise((resolve, reject) => {
        const sock = net.connect(Number(u.port), u.hostname);
        let data = Buffer.alloc(0);
        const done = () => { sock.destroy(); resolve(data.toString('latin1')); };
        const complete = () => parseResponses(data.toString('latin1')).length >= responses;
        sock.on('data', (c) => { data = Buffer.concat([data, c]); if (complete()) done(); });
        sock.on('end', done);
        sock.on('error', reject);
        sock.on('connect', async () => {
            for (const p of pieces) {
                sock.write(p);
                if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
            }
        });
    });
}

function postHead(body) {
    return 'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n'
        + `Authorization: Bearer ${gw.masterKey}\r\nContent-Type: application/json\r\n`
        + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
}

// The answers in `text`, in order, each {status, body}, read by their
// Content-Length (every answer here has one).
function parseResponses(text) {
    const out = [];
    for (;;) {
        const head = text.indexOf('\r\n\r\n');
        if (head < 0) return out;
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
        const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
        if (!status || !len || text.length < head + 4 + Number(len[1])) return out;
        out.push({ status: Number(status[1]), body: text.slice(head + 4, head + 4 + Number(len[1])) });
        text = text.slice(head + 4 + Number(len[1]));
    }
}

function statuses(text) {
    return parseResponses(text).map((r) => r.status);
}

test('a big body in one write reaches the provider byte for byte', async () => {
    const body = chatBody(300 * 1024, 'one');
    mock.reset();
    const text = await rawExchange([postHead(body) + body]);
    assert.deepEqual(statuses(text), [200], text.slice(0, 300));
    assert.equal(mock.requests.length, 1);
    assert.equal(mock.last().rawBody, expectedUpstream(body));
});

test('a body arriving in slow pieces, the first with the headers', async () => {
    const body = chatBody(120 * 1024, 'slow');
    const bytes = Buffer.from(postHead(body) + body);
    // the headers and 700 body bytes, then pieces of varied size
    const head = Buffer.byteLength(postHead(body));
    const pieces = [bytes.subarray(0, head + 700)];
    for (let at = head + 700, n = 1; at < bytes.length; n++) {
        const len = (n * 7919) % 40000 + 1;
        pieces.push(bytes.subarray(at, at + len));
        at += len;
    }
    mock.reset();
    const text = await rawExchange(pieces, { gapMs: 5 });
    assert.deepEqual(statuses(text), [200], text.slice(0, 300));
    assert.equal(mock.last().rawBody, expectedUpstream(body));
});

test('the headers alone first, the whole body after them', async () => {
    const body = chatBody(90 * 1024, 'after');
    mock.reset();
    const text = await rawExchange([postHead(body), body], { gapMs: 30 });
    assert.deepEqual(statuses(text), [200], text.slice(0, 300));
    assert.equal(mock.last().rawBody, expectedUpstream(body));
});

test('requests pipelined behind big bodies on one connection', async () => {
    const first = chatBody(200 * 1024, 'first');
    const second = chatBody(64 * 1024, 'second');
    const get = 'GET /v1/models HTTP/1.1\r\nHost: gw\r\n'
        + `Authorization: Bearer ${gw.masterKey}\r\n\r\n`;
    mock.reset();
    // all three requests in one write: the next request's bytes follow the
    // first body on the wire
    const text = await rawExchange([postHead(first) + first + postHead(second) + second + get],
        { responses: 3 });
    assert.deepEqual(statuses(text), [200, 200, 200], text.slice(0, 300));
    assert.equal(JSON.parse(parseResponses(text)[2].body).object, 'list');
    assert.equal(mock.requests.length, 2);
    assert.equal(mock.requests[0].rawBody, expectedUpstream(first));
    assert.equal(mock.requests[1].rawBody, expectedUpstream(second));
});

test('a big body that is not JSON: 400 in OpenAI shape, connection still usable', async () => {
    const bad = '{"model":"gpt-4o","messages":[' + 'x'.repeat(100 * 1024) + ']}';
    const get = 'GET /v1/models HTTP/1.1\r\nHost: gw\r\n'
        + `Authorization: Bearer ${gw.masterKey}\r\n\r\n`;
    mock.reset();
    const text = await rawExchange([postHead(bad) + bad + get], { responses: 2 });
    assert.deepEqual(statuses(text), [400, 200], text.slice(0, 300));
    const [refused, models] = parseResponses(text);
    assert.match(JSON.parse(refused.body).error.message, /JSON/i);
    assert.equal(JSON.parse(models.body).object, 'list');
    assert.equal(mock.requests.length, 0);
});
