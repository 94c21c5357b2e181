// Router state lives in the shared zone and survives reloads: a cooldown
// and a used-up rpm window set before `nginx -s reload` and `llmctl reload`
// (with model_list reordered: state is keyed by deployment id) still hold
// after them, across two workers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { closeAll, startGateway, makeSecret, openaiDeployment, waitFor } from '../lib/index.mjs';
import {
    routed, chat, describe, tally, startMocks, controllable, awayFromMinuteEdge, sleep,
    PROVIDER_KEY_ENV,
} from '../lib/routing.mjs';

const KEY = makeSecret('sk-prov-state-');
const COOLDOWN_S = 8;
let a, b, c, gw, ctlA;

function modelList(extra = []) {
    return [
        routed('keep', 'keep-a', a, 'up-a', { order: 1 }),
        routed('keep', 'keep-b', b, 'up-b', { order: 2 }),
        routed('quota', 'quota-1', c, 'up-q1', { order: 1, rpm: 3 }),
        routed('quota', 'quota-2', c, 'up-q2', { order: 2 }),
        ...extra,
    ];
}

function config(list) {
    return { model_list: list, router_settings: { allowed_fails: 1, cooldown_time: COOLDOWN_S } };
}

/** The nginx worker pids (children of the master), from /proc. */
function workerPids(masterPid) {
    try {
        const kids = fs.readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8');
        return kids.trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
        return [];
    }
}

before(async () => {
    [a, b, c] = await startMocks(3, { apiKey: KEY });
    ctlA = controllable(a);
    gw = await startGateway({ config: config(modelList()), env: { [PROVIDER_KEY_ENV]: KEY }, workers: 2 });
});

after(() => closeAll(gw, a, b, c));

async function expectServed(group, id, n, what) {
    const results = [];
    for (let i = 0; i < n; i++) results.push(await chat(gw, group));
    for (const r of results) assert.equal(r.status, 200, `${what}: ${describe(r)}`);
    assert.deepEqual(tally(results), { [id]: n }, `${what}: ${results.map((r) => r.servedBy)}`);
    return results;
}

test('a cooldown and an rpm window survive nginx -s reload and llmctl reload', async () => {
    await awayFromMinuteEdge(20);
    await expectServed('keep', 'keep-a', 3, 'healthy order 1');

    // Two failures (allowed_fails 1) cool keep-a down for COOLDOWN_S.
    ctlA.fail(500);
    const failing = [await chat(gw, 'keep'), await chat(gw, 'keep')];
    const cooledAt = Date.now();
    for (const r of failing) assert.equal(r.servedBy, 'keep-b', describe(r));
    ctlA.ok(); // from now on only the cooldown keeps it out
    const aCalls = a.requests.length;

    // Use up quota-1's rpm (3 a minute).
    await expectServed('quota', 'quota-1', 3, 'rpm 3 deployment');
    await expectServed('quota', 'quota-2', 1, 'quota-1 saturated');

    // nginx -s reload: new workers, same zone.
    const master = gw.nginxPid;
    const oldWorkers = workerPids(master);
    assert.equal(oldWorkers.length, 2, `two workers expected, got ${oldWorkers}`);
    const sig = await gw.nginxReload();
    assert.equal(sig.code, 0, `nginx -s reload: ${sig.stdout}${sig.stderr}`);
    await waitFor(() => {
        const now = workerPids(master);
        return now.length === 2 && now.every((p) => !oldWorkers.includes(p));
    }, { timeoutMs: 10000, what: 'new nginx workers to replace the old ones' });

    await expectServed('keep', 'keep-b', 4, 'after nginx -s reload, keep-a is still cooling');
    await expectServed('quota', 'quota-2', 2, 'after nginx -s reload, quota-1 is still saturated');
    assert.equal(a.requests.length, aCalls, 'keep-a not called during its cooldown');

    // llmctl reload with model_list reordered and one model added.
    const genBefore = (await gw.status()).generation;
    const reordered = modelList().reverse();
    reordered.push(openaiDeployment('extra', b, 'up-extra'));
    const res = await gw.reload(config(reordered));
    assert.equal(res.code, 0, `llmctl reload: ${res.stdout}${res.stderr}`);
    await waitFor(async () => (await gw.status()).generation > genBefore,
        { timeoutMs: 10000, what: 'the new config generation' });
    assert.ok((await gw.status()).models.includes('extra'));

    await expectServed('keep', 'keep-b', 4, 'after llmctl reload, keep-a is still cooling');
    await expectServed('quota', 'quota-2', 2, 'after llmctl reload, quota-1 is still saturated');
    assert.equal(a.requests.length, aCalls, 'keep-a not called during its cooldown');
    const quotaCalls = c.requests.filter((r) => r.model === 'up-q1').length;
    assert.equal(quotaCalls, 3, 'quota-1 served exactly its rpm this minute');

    // The cooldown still ends on time: keep-a serves again.
    const wait = cooledAt + COOLDOWN_S * 1000 - Date.now();
    assert.ok(wait > 0, `the reloads took longer than the ${COOLDOWN_S} s cooldown`);
    await sleep(wait + 300);
    await expectServed('keep', 'keep-a', 2, 'after the cooldown');
});
