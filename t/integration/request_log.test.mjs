// The request log: one JSON line per gateway request in logs/requests.log
// (nginx's access_log with the llm_json format), its id returned to the
// client as x-request-id / x-litellm-call-id, and never a key in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment,
    request, waitFor,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('chat-model', mock, 'upstream-chat')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
});

after(() => closeAll(gw, mock));

const lines = () => gw.readLog('requests.log').split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function lineFor(id) {
    let found;
    await waitFor(() => (found = lines().find((l) => l.request_id === id)) !== undefined,
        { timeoutMs: 5000, what: `request log line ${id}` });
    return found;
}

test('a request leaves one JSON line with its id, model, deployment, tokens and cost', async () => {
    const res = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model: 'chat-model', messages: [{ role: 'user', content: 'log me' }] },
    });
    assert.equal(res.status, 200, res.text);
    const id = res.headers['x-request-id'];
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(res.headers['x-litellm-call-id'], id);

    const line = await lineFor(id);
    assert.equal(line.status, 200);
    assert.equal(line.model, 'chat-model');
    assert.equal(line.model_group, 'chat-model');
    assert.equal(line.provider, 'openai');
    assert.equal(line.ingress, 'openai');
    assert.equal(typeof line.deployment, 'string');
    assert.equal(line.error, null);
    assert.equal(line.stream, false);
    assert.equal(line.tokens_in, res.json.usage.prompt_tokens);
    assert.equal(line.tokens_out, res.json.usage.completion_tokens);
    assert.equal(typeof line.cost, 'number');
    assert.equal(line.attempts, 1);
    assert.equal(line.retries, 0);
    assert.equal(line.fallbacks, 0);
    assert.ok(line.latency_ms >= 0);
    assert.match(line.time, /^\d{4}-\d\d-\d\dT/);
    assert.equal(lines().filter((l) => l.request_id === id).length, 1, 'one line per request');
});

test('ids differ per request; a stream logs its TTFT; an error its class', async () => {
    const client = new OpenAI({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
        .create({ model: 'chat-model', stream: true, messages: [{ role: 'user', content: 's' }] }).withResponse();
    for await (const _ of stream) { /* drain */ }
    const sid = response.headers.get('x-request-id');
    const sline = await lineFor(sid);
    assert.equal(sline.stream, true);
    assert.equal(typeof sline.ttft_ms, 'number');

    const bad = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] },
    });
    assert.ok(bad.status >= 400);
    const bid = bad.headers['x-request-id'];
    assert.notEqual(bid, sid);
    const bline = await lineFor(bid);
    assert.equal(bline.status, bad.status);
    assert.equal(typeof bline.error, 'string');
    assert.equal(bline.deployment, null);
    assert.equal(bline.model, 'no-such-model');
});

test('a virtual key is logged by alias and hash prefix; no key, master or provider, is ever written', async () => {
    const gen = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body: { key_alias: 'ci-"bot"' },
    });
    assert.equal(gen.status, 200, gen.text);
    const vkey = gen.json.key;
    let res;
    await waitFor(async () => {
        res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${vkey}` },
            body: { model: 'chat-model', messages: [{ role: 'user', content: 'as a key' }] },
        });
        return res.status === 200;
    }, { timeoutMs: 5000, what: 'the new key to work' });
    const line = await lineFor(res.headers['x-request-id']);
    assert.equal(line.key_alias, 'ci-"bot"', 'the alias survives JSON escaping');
    assert.match(line.key_hash, /^[0-9a-f]{8}$/);

    const wrong = makeSecret('sk-wrong-');
    const denied = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${wrong}` },
        body: { model: 'chat-model', messages: [{ role: 'user', content: 'x' }] },
    });
    assert.equal(denied.status, 401);
    await lineFor(denied.headers['x-request-id']);

    const text = gw.readLog('requests.log');
    for (const secret of [vkey, wrong, gw.masterKey, PROVIDER_KEY]) {
        assert.ok(!text.includes(secret), 'a key in the request log');
        assert.ok(!text.includes(secret.slice(-12)), 'part of a key in the request log');
    }
});

test('nginx -s reopen starts a new file', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const file = path.join(gw.logDir, 'requests.log');
    fs.renameSync(file, `${file}.1`);
    const r = await gw.nginxSignal('reopen');
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => fs.existsSync(file), { timeoutMs: 5000, what: 'requests.log reopened' });
    const res = await request(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
    await lineFor(res.headers['x-request-id']);
});
