// A cold start of nginx alone (controld down): the virtual keys controld
// last published come back from their snapshot, so they keep working, and
// a key controld never published is still refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request,
    NGINX_BIN, waitFor, alive, badLogLines,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-cold-');
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: { model_list: [openaiDeployment('gpt-4o', mock, 'upstream-4o')] },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
});

after(() => closeAll(gw, mock));

function chat(g, key) {
    return request(`${g.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${key}` },
        body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'cold' }] },
    });
}

test('virtual keys work after nginx restarts without controld', async () => {
    const gen = await request(`${gw.url}/key/generate`, {
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: { key_alias: 'cold', models: ['gpt-4o'] },
    });
    assert.equal(gen.status, 200, gen.text);
    const key = gen.json.key;
    await waitFor(async () => (await chat(gw, key)).status === 200,
                  { timeoutMs: 3000, what: 'the new key to work' });

    const snapshot = path.join(gw.prefix, 'state', 'keys-snapshot.json');
    assert.ok(fs.existsSync(snapshot), 'controld wrote the keys snapshot');
    assert.equal(fs.statSync(snapshot).mode & 0o777, 0o600);
    assert.ok(!fs.readFileSync(snapshot, 'utf8').includes(key), 'only digests, never the key');

    await gw.stop();
    assert.ok(!alive(gw.controldPid), 'controld is down');

    const child = spawn(NGINX_BIN, ['-p', gw.prefix, '-c', gw.nginxConf,
                                    '-e', path.join(gw.logDir, 'error.log')], { stdio: 'ignore' });
    try {
        await waitFor(async () => {
            try {
                return (await request(`${gw.url}/health/liveliness`, { timeoutMs: 1000 })).status > 0;
            } catch {
                return false;
            }
        }, { timeoutMs: 10000, what: 'nginx to accept connections' });

        const res = await chat(gw, key);
        assert.equal(res.status, 200, res.text);
        const wrong = await chat(gw, makeSecret('sk-never-published-'));
        assert.equal(wrong.status, 401, wrong.text);
    } finally {
        if (child.exitCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGQUIT');
            await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
            if (alive(child.pid)) child.kill('SIGKILL');
        }
    }
    assert.deepEqual(badLogLines(gw.errorLog()), []);
});
