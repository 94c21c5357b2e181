// Authentication with the master key: the three header spellings clients
// use, and 401s in OpenAI's error shape that never echo a wrong key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, assertOpenAIError, responseText,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
const WRONG_KEY = makeSecret('sk-wrong-');
const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'auth check' }] };
let mock, gw;
const responses = [];

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
});

after(() => closeAll(gw, mock));

async function post(headers, body = chat, path = '/v1/chat/completions') {
    const res = await request(`${gw.url}${path}`, { headers, body });
    responses.push(res);
    return res;
}

for (const [name, header] of [
    ['Authorization: Bearer', (k) => ({ authorization: `Bearer ${k}` })],
    ['x-api-key', (k) => ({ 'x-api-key': k })],
    ['api-key', (k) => ({ 'api-key': k })],
]) {
    test(`master key accepted via ${name}`, async () => {
        mock.reset();
        const res = await post(header(gw.masterKey));
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.choices[0].message.content, mock.last().response.text);
    });

    test(`wrong key via ${name} -> 401, provider not called`, async () => {
        mock.reset();
        const res = await post(header(WRONG_KEY));
        assertOpenAIError(res, 401, name);
        assert.equal(mock.requests.length, 0);
    });
}

test('missing key -> 401 in OpenAI shape (chat and models)', async () => {
    mock.reset();
    assertOpenAIError(await post({}), 401, 'chat without key');
    const models = await request(`${gw.url}/v1/models`);
    responses.push(models);
    assertOpenAIError(models, 401, 'models without key');
    assert.equal(mock.requests.length, 0);
});

test('Bearer with an empty or malformed value -> 401', async () => {
    assertOpenAIError(await post({ authorization: 'Bearer ' }), 401, 'empty bearer');
    assertOpenAIError(await post({ authorization: `Basic ${gw.masterKey}` }), 401, 'basic scheme');
});

test('the wrong key never appears in responses or logs', async () => {
    for (const res of responses) assert.ok(!responseText(res).includes(WRONG_KEY), 'wrong key echoed in a response');
    assert.deepEqual(gw.leakedSecrets([WRONG_KEY, gw.masterKey, PROVIDER_KEY]), []);
    // Sanity: the requests above did reach nginx's access log.
    assert.ok(gw.accessLog().split('\n').filter((l) => / 401 /.test(l)).length >= 5, 'access.log lacks the 401 lines');
});

test('a 401 before the body was read leaves the keep-alive connection in step', async () => {
    // The body of the refused request must be read off the connection:
    // left there, nginx would parse it as the client's next request.  The
    // body here even looks like one.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const u = new URL(gw.url);
    const send = (headers, body) => new Promise((resolve, reject) => {
        const req = http.request({ host: u.hostname, port: u.port, agent, method: body ? 'POST' : 'GET',
            path: body ? '/v1/chat/completions' : '/v1/models', headers }, (res) => {
            const parts = [];
            res.on('data', (c) => parts.push(c));
            res.on('end', () => resolve({ status: res.statusCode, socket: req.socket, text: Buffer.concat(parts).toString() }));
        });
        req.on('error', reject);
        req.end(body);
    });
    await new Promise((r) => setTimeout(r, 200));   // earlier requests' log lines
    const logged = gw.accessLog().split('\n').length;
    const smuggled = 'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n';
    const refused = await send({ authorization: `Bearer ${WRONG_KEY}`, 'content-type': 'application/json',
        'content-length': Buffer.byteLength(smuggled) }, smuggled);
    assert.equal(refused.status, 401, refused.text);
    const next = await send({ authorization: `Bearer ${gw.masterKey}` });
    assert.equal(next.status, 200, next.text);
    assert.equal(JSON.parse(next.text).object, 'list');
    agent.destroy();
    // two requests, two log lines: nothing was parsed out of the body
    await new Promise((r) => setTimeout(r, 200));
    const lines = gw.accessLog().split('\n').slice(logged - 1).filter(Boolean);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /"POST \/v1\/chat\/completions HTTP\/1.1" 401 /);
    assert.match(lines[1], /"GET \/v1\/models HTTP\/1.1" 200 /);
});
