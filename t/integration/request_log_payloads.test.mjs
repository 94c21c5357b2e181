// general_settings.log_payloads: the request log line carries the client's
// request and the provider's answer, each cut at log_payloads_max_size on a
// UTF-8 boundary and marked when cut; off (the default), no content at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment,
    request, waitFor,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw, plain;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    const config = (general) => ({
        model_list: [openaiDeployment('chat-model', mock, 'upstream-chat')],
        general_settings: general,
    });
    gw = await startGateway({
        config: config({ log_payloads: true, log_payloads_max_size: 256 }),
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    plain = await startGateway({ config: config({}), env: { OPENAI_API_KEY: PROVIDER_KEY } });
});

after(() => closeAll(gw, plain, mock));

async function lineFor(g, id) {
    let found;
    await waitFor(() => (found = g.readLog('requests.log').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l)).find((l) => l.request_id === id)) !== undefined,
    { timeoutMs: 30000, what: `request log line ${id}` });
    return found;
}

async function chat(g, body, path = '/v1/chat/completions') {
    const res = await request(`${g.url}${path}`, {
        headers: { authorization: `Bearer ${g.masterKey}`, 'anthropic-version': '2023-06-01' },
        body,
    });
    assert.equal(res.status, 200, res.text);
    return { res, line: await lineFor(g, res.headers['x-request-id']) };
}

test('a small request and its answer are in the line whole', async () => {
    const body = { model: 'chat-model', messages: [{ role: 'user', content: 'log my words' }] };
    const { res, line } = await chat(gw, body);
    assert.deepEqual(JSON.parse(line.request_body), body);
    assert.equal(line.request_truncated, false);
    // The mock's answer is longer than 256 bytes: cut, and marked.
    assert.ok(res.text.length > 256);
    assert.equal(line.response_truncated, true);
    assert.ok(Buffer.byteLength(line.response_body) <= 256);
    assert.ok(res.text.startsWith(line.response_body), 'the logged answer is the start of what the provider sent');
});

test('a long prompt is cut at the size on a UTF-8 boundary', async () => {
    const content = 'é€😀'.repeat(200);                    // 2-, 3- and 4-byte sequences
    const { line } = await chat(gw, { model: 'chat-model', messages: [{ role: 'user', content }] });
    assert.equal(line.request_truncated, true);
    const bytes = Buffer.from(line.request_body, 'utf8');
    assert.ok(bytes.length <= 256 && bytes.length > 240, `${bytes.length} bytes`);
    assert.ok(!line.request_body.includes('\ufffd'), 'a multi-byte character was split');
    assert.ok(line.request_body.startsWith('{"model":"chat-model"'));
});

test('a stream: the answer as its first SSE events', async () => {
    const { line } = await chat(gw, { model: 'chat-model', stream: true, messages: [{ role: 'user', content: 's' }] });
    assert.equal(line.stream, true);
    assert.match(line.response_body, /^data: \{/);
});

test('an Anthropic client: the request as the client wrote it, the answer as the provider sent it', async () => {
    const body = { model: 'chat-model', max_tokens: 16, messages: [{ role: 'user', content: 'anthropic words' }] };
    const { res, line } = await chat(gw, body, '/v1/messages');
    assert.equal(res.json.type, 'message');
    assert.deepEqual(JSON.parse(line.request_body), body);
    assert.equal(line.ingress, 'anthropic');
    assert.match(line.response_body, /"object":\s*"chat\.completion"/);
});

test('without log_payloads no content is logged', async () => {
    const { line } = await chat(plain, { model: 'chat-model', messages: [{ role: 'user', content: 'secret words' }] });
    for (const k of ['request_body', 'response_body', 'request_truncated', 'response_truncated']) {
        assert.ok(!(k in line), `${k} is in the line`);
    }
    assert.ok(!plain.readLog('requests.log').includes('secret words'));
});

test('keys stay out of the line with payloads on', () => {
    assert.deepEqual(gw.leakedSecrets([PROVIDER_KEY, gw.masterKey]), []);
});
