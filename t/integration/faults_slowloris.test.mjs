// Slow-loris bodies: a client sending its body 1 byte a second is cut at
// client_body_timeout (set short here), and while such clients hang on,
// the workers keep serving everyone else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, waitFor } from '../lib/index.mjs';

const KEY = makeSecret('sk-prov-loris-');
const SLOW_CLIENTS = 40;
const BODY_BYTES = 120;
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: KEY });
    gw = await startGateway({ config: { model_list: [openaiDeployment('ok', mock, 'up-ok')] }, env: { OPENAI_API_KEY: KEY } });
    // A short body timeout: the time nginx waits between two reads.
    fs.appendFileSync(path.join(gw.prefix, 'conf', 'llm_site.conf'), '\nclient_body_timeout 400ms;\n');
    const res = await gw.nginxReload();
    assert.equal(res.code, 0, res.stderr);
    await waitFor(() => /client_body_timeout 400ms/.test(fs.readFileSync(path.join(gw.prefix, 'conf', 'llm_site.conf'), 'utf8')));
});

after(() => closeAll(gw, mock));

/** Send headers, then the body one byte a second; resolves {sent, answer} when the server ends it. */
function slowClient() {
    const u = new URL(gw.url);
    return new Promise((resolve) => {
        const sock = net.connect(Number(u.port), u.hostname);
        let sent = 0;
        let answer = '';
        let timer = null;
        const done = () => { clearInterval(timer); sock.destroy(); resolve({ sent, answer }); };
        sock.on('data', (c) => { answer += c.toString('latin1'); });
        sock.on('close', done);
        sock.on('error', done);
        sock.on('connect', () => {
            sock.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${gw.masterKey}\r\n` +
                `content-type: application/json\r\ncontent-length: ${BODY_BYTES}\r\n\r\n`);
            timer = setInterval(() => {
                if (sent >= BODY_BYTES || sock.destroyed) return;
                sock.write('{');
                sent++;
            }, 1000);
        });
    });
}

test('slow-loris bodies are cut at client_body_timeout; other clients are served meanwhile', async () => {
    // wait for the reloaded workers to take over (old ones finish their requests)
    await new Promise((r) => setTimeout(r, 500));
    const slow = Array.from({ length: SLOW_CLIENTS }, slowClient);
    const served = [];
    for (let i = 0; i < 5; i++) {
        const res = await request(`${gw.url}/v1/chat/completions`, {
            headers: { authorization: `Bearer ${gw.masterKey}` },
            body: { model: 'ok', messages: [{ role: 'user', content: `meanwhile ${i}` }] },
        });
        served.push(res.status);
    }
    assert.deepEqual(served, [200, 200, 200, 200, 200], 'served while slow clients hang on');
    const results = await Promise.all(slow);
    for (const r of results) {
        assert.ok(r.sent < BODY_BYTES / 4, `cut long before the body was complete (sent ${r.sent} of ${BODY_BYTES})`);
        assert.ok(r.answer === '' || /^HTTP\/1\.1 4\d\d/.test(r.answer), `no success for a cut body: ${r.answer.slice(0, 100)}`);
    }
    assert.equal(mock.requests.filter((r) => r.bodyBytes && r.rawBody.startsWith('{{')).length, 0, 'nothing partial reached the provider');
});
