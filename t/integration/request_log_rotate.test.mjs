// Size-based rotation of the request log under `llmctl run/start`
// (general_settings.request_log_max_size / request_log_max_files): a full
// logs/requests.log becomes requests.log.1 (older ones shift up, the oldest
// beyond the count is removed), nginx reopens its logs, and no line is lost
// or written twice across the files.  access.log rotates alike.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment,
    request, waitFor,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
const started = [];
after(() => closeAll(...started));

async function gateway(settings) {
    const mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    started.push(mock);
    const gw = await startGateway({
        config: {
            model_list: [openaiDeployment('chat-model', mock, 'upstream-chat')],
            general_settings: settings,
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    });
    started.push(gw);
    return gw;
}

/** n requests, 8 at a time; their x-request-id values. */
async function send(gw, n) {
    const ids = [];
    let next = 0;
    const worker = async () => {
        while (next < n) {
            next++;
            const res = await request(`${gw.url}/v1/chat/completions`, {
                headers: { authorization: `Bearer ${gw.masterKey}` },
                body: { model: 'chat-model', messages: [{ role: 'user', content: `rotate me ${next}` }] },
            });
            assert.equal(res.status, 200, res.text);
            ids.push(res.headers['x-request-id']);
        }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return ids;
}

const files = (gw, base) => fs.readdirSync(gw.logDir).filter((f) => f === base || f.startsWith(`${base}.`));
const exists = (gw, f) => fs.existsSync(path.join(gw.logDir, f));

test('a full request log rotates; every request is in exactly one file, as a whole JSON line', async () => {
    const gw = await gateway({ request_log_max_size: '8KB', request_log_max_files: 50 });
    const ids = [];
    // Rounds until the supervisor (which looks every 2 s) has rotated twice.
    await waitFor(async () => {
        ids.push(...await send(gw, 40));
        return exists(gw, 'requests.log.2') && exists(gw, 'access.log.1');
    }, { timeoutMs: 120000, intervalMs: 500, what: 'requests.log.2 and access.log.1' });
    // The last lines reach the file within nginx's flush interval (1 s).
    const seen = new Map();
    const read = () => {
        seen.clear();
        for (const f of files(gw, 'requests.log')) {
            const text = gw.readLog(f);
            assert.ok(text === '' || text.endsWith('\n'), `${f} ends inside a line`);
            for (const line of text.split('\n').filter(Boolean)) {
                const rec = JSON.parse(line);             // whole lines only
                seen.set(rec.request_id, (seen.get(rec.request_id) || 0) + 1);
            }
        }
        return ids.every((id) => seen.has(id));
    };
    await waitFor(read, { timeoutMs: 30000, what: 'every request id in the request logs' });
    for (const id of ids) assert.equal(seen.get(id), 1, `request ${id} logged ${seen.get(id)} times`);
    // Rotated files were full when they were rotated.
    for (const f of files(gw, 'requests.log').filter((x) => x !== 'requests.log')) {
        assert.ok(fs.statSync(path.join(gw.logDir, f)).size >= 8192, `${f} is smaller than the limit`);
    }
    assert.match(gw.readLog('llmctl.log'), /rotated logs\/requests\.log/);
});

test('request_log_max_files bounds the rotated copies', async () => {
    const gw = await gateway({ request_log_max_size: '4KB', request_log_max_files: 2 });
    let rotations = 0;
    let last = '';
    // Keep writing until the oldest copy has been replaced twice.
    await waitFor(async () => {
        await send(gw, 30);
        const now = gw.readLog('requests.log.2').slice(0, 200);
        if (now && now !== last) { rotations++; last = now; }
        assert.ok(!exists(gw, 'requests.log.3'), 'a third rotated copy was kept');
        return rotations >= 2;
    }, { timeoutMs: 120000, intervalMs: 500, what: 'requests.log.2 replaced twice' });
    assert.deepEqual(files(gw, 'requests.log').sort(), ['requests.log', 'requests.log.1', 'requests.log.2']);
});

test('a bad request_log_max_size is an error with its place in the file', async () => {
    const mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    started.push(mock);
    await assert.rejects(startGateway({
        config: {
            model_list: [openaiDeployment('chat-model', mock, 'upstream-chat')],
            general_settings: { request_log_max_size: '10 parsecs' },
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
    }), /request_log_max_size.*size in bytes, or with a unit/s);
});
