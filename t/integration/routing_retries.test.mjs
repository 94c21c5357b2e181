// Retries and cooldowns: a failed attempt (429, 500, reset, refused,
// timeout) is retried on the next deployment before the client sees a
// byte; num_retries 0 returns the error; a single flaky deployment is
// retried after a backoff; failures past allowed_fails (and any 401) cool a
// deployment down for cooldown_time, and a group with everything cooling
// answers 429 naming the group.
import http from 'node:http';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, withGateway, makeSecret, freePort, assertOpenAIError } from '../lib/index.mjs';
import {
    routed, refused, chat, chatStreamRaw, describe, startMocks, controllable, awayFromMinuteEdge, sleep,
    PROVIDER_KEY_ENV, ANTHROPIC_KEY_ENV,
} from '../lib/routing.mjs';

const KEY = makeSecret('sk-prov-retry-');
const ENV = { [PROVIDER_KEY_ENV]: KEY, [ANTHROPIC_KEY_ENV]: KEY };
const opened = [];

async function mocks(n) {
    const list = await startMocks(n, { apiKey: KEY });
    opened.push(...list);
    return list;
}

after(() => closeAll(opened));

function gatewayOpts(model_list, router_settings = {}) {
    return { config: { model_list, router_settings }, env: ENV, workers: 2 };
}

function byModel(mock, model) {
    return mock.requests.filter((r) => r.model === model);
}

test('a failed attempt is retried on the next deployment; attempted-retries counts the retries', async () => {
    const [bad, good] = await mocks(2);
    const deadPort = await freePort();
    // Each group: the failing deployment first (order 1), a healthy one next.
    const faults = {
        'r-429-retry-after': 'fault-429', // 429 with retry-after: 1
        'r-429': 'fault-status-429', // 429 without retry-after
        'r-500': 'fault-500',
        'r-reset': 'fault-reset',
        'r-slow': 'fault-slow-headers-20000', // past the deployment's timeout: 1
    };
    const list = [];
    for (const [group, fault] of Object.entries(faults)) {
        list.push(routed(group, `${group}-bad`, bad, fault, { order: 1, ...(group === 'r-slow' ? { timeout: 1 } : {}) }));
        list.push(routed(group, `${group}-good`, good, `up-${group}`, { order: 2 }));
    }
    list.push(refused('r-refused', 'r-refused-bad', deadPort, { order: 1 }));
    list.push(routed('r-refused', 'r-refused-good', good, 'up-r-refused', { order: 2 }));
    // Two failing deployments before the healthy one: two retries.
    list.push(routed('r-two', 'r-two-500', bad, 'fault-500', { order: 1 }));
    list.push(routed('r-two', 'r-two-reset', bad, 'fault-reset', { order: 2 }));
    list.push(routed('r-two', 'r-two-good', good, 'up-r-two', { order: 3 }));

    await withGateway(gatewayOpts(list, { num_retries: 2 }), async (gw) => {
        for (const group of [...Object.keys(faults), 'r-refused']) {
            const badBefore = bad.requests.length;
            const t0 = Date.now();
            const res = await chat(gw, group);
            const elapsed = Date.now() - t0;
            assert.equal(res.status, 200, `${group}: ${describe(res)}`);
            assert.equal(res.servedBy, `${group}-good`, `${group}: ${describe(res)}`);
            assert.equal(res.retries, 1, `${group}: ${describe(res)}`);
            assert.equal(res.fallbacks, 0, `${group}: ${describe(res)}`);
            assert.equal(res.apiBase, `${good.url}/v1`, `${group}: x-litellm-model-api-base`);
            assert.equal(byModel(good, `up-${group}`).length, 1, `${group}: the healthy deployment answered once`);
            assert.equal(res.json.choices[0].message.content, byModel(good, `up-${group}`)[0].response.text);
            if (group !== 'r-refused') {
                assert.equal(bad.requests.length - badBefore, 1, `${group}: the failing deployment was tried once`);
            }
            if (group === 'r-slow') {
                assert.ok(elapsed >= 900 && elapsed < 15000, `r-slow: timeout 1 s not applied (${elapsed} ms)`);
            }
        }
        const res = await chat(gw, 'r-two');
        assert.equal(res.status, 200, describe(res));
        assert.equal(res.servedBy, 'r-two-good', describe(res));
        assert.equal(res.retries, 2, describe(res));
        assert.equal(byModel(good, 'up-r-two').length, 1);
    });
});

test('a single flaky deployment: retried after a backoff; provider retry-after is honoured', async () => {
    const [m] = await mocks(1);
    const list = [
        // Its own path prefix: the attempts after a backoff reach it too.
        routed('flaky', 'flaky-only', m, 'fault-flaky-2', { api_base: `${m.url}/flaky/v1` }), // 500, 500, then 200
        routed('limited-ra', 'limited-ra-only', m, 'fault-ratelimited-once-2'), // 429 retry-after: 2, then 200
        routed('limited', 'limited-only', m, 'fault-ratelimited-once-0'), // 429 without retry-after, then 200
    ];
    await withGateway(gatewayOpts(list, { num_retries: 2 }), async (gw) => {
        let res = await chat(gw, 'flaky');
        assert.equal(res.status, 200, describe(res));
        assert.equal(res.servedBy, 'flaky-only');
        assert.equal(res.retries, 2, describe(res));
        assert.equal(byModel(m, 'fault-flaky-2').length, 3, 'two failures and the success');
        // Backoff 0.5 s then 1 s, each shortened by at most 25 %.  Lower
        // bounds are the property; upper ones only allow a loaded machine.
        assert.ok(res.elapsedMs >= 1100 && res.elapsedMs < 10000, `flaky: backoffs took ${res.elapsedMs} ms`);
        const [f1, f2, ok] = byModel(m, 'fault-flaky-2');
        for (const r of [f1, f2, ok]) assert.equal(r.path, '/flaky/v1/chat/completions');
        assert.ok(f2.at - f1.at >= 350, `first backoff ${f2.at - f1.at} ms`);
        assert.ok(ok.at - f2.at >= 700, `second backoff ${ok.at - f2.at} ms`);

        res = await chat(gw, 'limited-ra');
        assert.equal(res.status, 200, describe(res));
        assert.equal(res.retries, 1, describe(res));
        const [r1, r2] = byModel(m, 'fault-ratelimited-once-2');
        assert.ok(r2.at - r1.at >= 1900, `retry-after: 2 -> waited ${r2.at - r1.at} ms`);

        res = await chat(gw, 'limited');
        assert.equal(res.status, 200, describe(res));
        assert.equal(res.retries, 1, describe(res));
        const [l1, l2] = byModel(m, 'fault-ratelimited-once-0');
        assert.ok(l2.at - l1.at >= 350, `429 without retry-after: waited ${l2.at - l1.at} ms`);
    });
});

test('num_retries: 0 returns the error and the healthy deployment is not called', async () => {
    const [bad, good] = await mocks(2);
    const deadPort = await freePort();
    const list = [
        routed('nr-500', 'nr-500-bad', bad, 'fault-500', { order: 1 }),
        routed('nr-500', 'nr-500-good', good, 'up-nr-500', { order: 2 }),
        refused('nr-refused', 'nr-refused-bad', deadPort, { order: 1 }),
        routed('nr-refused', 'nr-refused-good', good, 'up-nr-refused', { order: 2 }),
    ];
    await withGateway(gatewayOpts(list, { num_retries: 0 }), async (gw) => {
        const e500 = assertOpenAIError(await chat(gw, 'nr-500'), 500, 'nr-500');
        assert.ok(!e500.message.includes(KEY));
        assertOpenAIError(await chat(gw, 'nr-refused'), 502, 'nr-refused');
        assert.equal(bad.requests.length, 1);
        assert.equal(good.requests.length, 0, 'num_retries 0: no second attempt');
    });
});

test('cooldown: allowed_fails 1, cooldown_time 2; 401 and 404 cool at once; all cooling -> 429 naming the group', async () => {
    const [a, b, c] = await mocks(3);
    const ctlA = controllable(a);
    const list = [
        routed('cool', 'cool-a', a, 'up-a', { order: 1 }),
        routed('cool', 'cool-b', b, 'up-b', { order: 2 }),
        // Their own cooldown_time 60: a second request lands inside the
        // cooldown on however slow a machine.
        routed('auth', 'auth-bad', c, 'fault-401', { order: 1, cooldown_time: 60 }),
        routed('auth', 'auth-good', b, 'up-auth', { order: 2 }),
        routed('gone', 'gone-bad', c, 'fault-404', { order: 1, cooldown_time: 60 }),
        routed('gone', 'gone-good', b, 'up-gone', { order: 2 }),
        routed('allcool', 'allcool-1', c, 'fault-500', { cooldown_time: 60 }),
        routed('allcool', 'allcool-2', c, 'fault-503', { cooldown_time: 60 }),
    ];
    await withGateway(gatewayOpts(list, { allowed_fails: 1, cooldown_time: 2, num_retries: 2 }), async (gw) => {
        await awayFromMinuteEdge(8);
        let res = await chat(gw, 'cool');
        assert.equal(res.servedBy, 'cool-a', describe(res));

        ctlA.fail(500);
        const failing = [await chat(gw, 'cool'), await chat(gw, 'cool')];
        for (const r of failing) {
            assert.equal(r.status, 200, describe(r));
            assert.equal(r.servedBy, 'cool-b', describe(r));
            assert.equal(r.retries, 1, describe(r));
        }
        assert.equal(a.requests.length, 3);
        const cooledAt = a.requests[2].at; // the second failure: count 2 > allowed_fails 1
        ctlA.ok();
        let during = 0;
        while (a.requests.length === 3 && Date.now() - cooledAt < 20000) {
            res = await chat(gw, 'cool');
            assert.equal(res.status, 200, describe(res));
            if (a.requests.length === 3) {
                assert.equal(res.servedBy, 'cool-b', describe(res));
                assert.equal(res.retries, 0, 'a cooling deployment is skipped, not tried');
                during++;
            }
            await sleep(50);
        }
        assert.equal(a.requests.length, 4, 'A is tried again after its cooldown');
        const gap = a.requests[3].at - cooledAt;
        // The lower bound is the property (A is skipped for its cooldown);
        // the upper one only says it came back, on however slow a machine.
        assert.ok(gap >= 1500 && gap < 20000, `A came back ${gap} ms after its cooldown began (cooldown_time 2 s)`);
        assert.ok(during >= 1, 'no request was served while A was cooling');

        // 401: no retry, the client gets it; the deployment cools at once.
        res = await chat(gw, 'auth');
        assertOpenAIError(res, 401, 'provider 401');
        assert.equal(byModel(b, 'up-auth').length, 0, '401 is not retried');
        res = await chat(gw, 'auth');
        assert.equal(res.status, 200, describe(res));
        assert.equal(res.servedBy, 'auth-good', describe(res));
        assert.equal(res.retries, 0, describe(res));
        assert.equal(byModel(c, 'fault-401').length, 1, 'after a 401 the deployment cools down at once');

        // 404 likewise: passed through, not retried, immediate cooldown.
        assertOpenAIError(await chat(gw, 'gone'), 404, 'provider 404');
        assert.equal(byModel(b, 'up-gone').length, 0, '404 is not retried');
        res = await chat(gw, 'gone');
        assert.equal(res.servedBy, 'gone-good', describe(res));
        assert.equal(byModel(c, 'fault-404').length, 1, 'after a 404 the deployment cools down at once');

        // Every deployment failing: they cool down, then the group answers 429.
        const seen = [];
        for (let i = 0; i < 5; i++) {
            res = await chat(gw, 'allcool');
            seen.push(res.status);
            if (res.status === 429) break;
        }
        assert.equal(res.status, 429, `allcool never answered 429: ${seen}`);
        const calls = c.requests.length;
        res = await chat(gw, 'allcool');
        const err = assertOpenAIError(res, 429, 'all cooling');
        assert.match(err.message, /allcool/, 'the 429 names the model group');
        const ra = Number(res.headers['retry-after']);
        assert.ok(ra >= 1 && ra <= 60, `Retry-After ${res.headers['retry-after']} (cooldown_time 60)`);
        assert.equal(c.requests.length, calls, 'no provider call while everything cools');
    });
});

// A 404 goes to the client as the provider sent it (no error_page for it),
// so its deployment must be cooled when its header is passed on, not when
// the request is logged: here the body comes 1.5 s after the header, and
// the next request is made as soon as the header arrives.
test('a 404 cools its deployment before the client sees it (the next request, sent on its header, goes elsewhere)', async () => {
    const [bad, good] = await mocks(2);
    const list = [
        routed('late', 'late-bad', bad, 'fault-404', { order: 1, cooldown_time: 60 }),
        routed('late', 'late-good', good, 'up-late', { order: 2 }),
    ];
    await withGateway(gatewayOpts(list, { allowed_fails: 5 }), async (gw) => {
        const first = await new Promise((resolve, reject) => {
            const body = JSON.stringify({
                model: 'late',
                messages: [{ role: 'user', content: 'mock-wire[close-nolength,apart=1500]' }],
            });
            const req = http.request(`${gw.url}/v1/chat/completions`, {
                method: 'POST',
                headers: {
                    authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json',
                    'content-length': Buffer.byteLength(body),
                },
            }, (res) => {
                const chunks = [];
                const done = new Promise((ok) => {
                    res.on('data', (c) => chunks.push(c));
                    res.on('end', () => ok(Buffer.concat(chunks).toString()));
                    res.on('error', () => ok(Buffer.concat(chunks).toString()));
                });
                resolve({ status: res.statusCode, served: res.headers['x-litellm-model-id'], done });
            });
            req.on('error', reject);
            req.end(body);
        });
        assert.equal(first.status, 404);
        assert.equal(first.served, 'late-bad');
        // the first answer's body is still on its way
        const second = await chat(gw, 'late');
        assert.equal(second.status, 200, describe(second));
        assert.equal(second.servedBy, 'late-good', describe(second));
        assert.equal(byModel(bad, 'fault-404').length, 1, 'the 404ing deployment was not asked again');
        const text = await first.done;
        assert.match(text, /does not exist/, `the 404 body reached the client: ${text}`);
    });
});

test('stream_timeout applies to streams, timeout to the rest (per deployment)', async () => {
    const [slow, good] = await mocks(2);
    const list = [
        routed('st', 'st-slow', slow, 'fault-slow-headers-1500', { order: 1, timeout: 5, stream_timeout: 0.5 }),
        routed('st', 'st-good', good, 'up-st', { order: 2 }),
    ];
    await withGateway(gatewayOpts(list, { num_retries: 1 }), async (gw) => {
        const s = await chatStreamRaw(gw, 'st');
        assert.equal(s.status, 200, describe(s));
        assert.equal(s.servedBy, 'st-good', `stream past stream_timeout 0.5 s: ${describe(s)}`);
        assert.equal(s.retries, 1, describe(s));
        // Served by st-good says stream_timeout fired; the lower bound says not early.
        assert.ok(s.elapsedMs >= 450, `stream_timeout 0.5 s: answered after ${s.elapsedMs} ms`);
        const j = await chat(gw, 'st');
        assert.equal(j.status, 200, describe(j));
        assert.equal(j.servedBy, 'st-slow', `non-stream within timeout 5 s: ${describe(j)}`);
        assert.ok(j.elapsedMs >= 1400, `served after ${j.elapsedMs} ms`);
    });
});

test('a deployment\'s own cooldown_time overrides router_settings.cooldown_time', async () => {
    const [a, b] = await mocks(2);
    const ctlA = controllable(a);
    const list = [
        routed('pdc', 'pdc-a', a, 'up-a', { order: 1, cooldown_time: 1 }),
        routed('pdc', 'pdc-b', b, 'up-b', { order: 2 }),
    ];
    await withGateway(gatewayOpts(list, { allowed_fails: 1, cooldown_time: 30 }), async (gw) => {
        await awayFromMinuteEdge(8);
        ctlA.fail(500);
        for (let i = 0; i < 2; i++) assert.equal((await chat(gw, 'pdc')).servedBy, 'pdc-b');
        const cooledAt = a.requests[1].at;
        ctlA.ok();
        let back = null;
        // back well before the router's 30 s: its own 1 s applied
        while (Date.now() - cooledAt < 20000) {
            const res = await chat(gw, 'pdc');
            if (res.servedBy === 'pdc-a') { back = a.requests[2].at - cooledAt; break; }
            await sleep(50);
        }
        assert.ok(back !== null && back >= 800 && back < 20000,
            `deployment cooldown_time 1 (router 30): pdc-a back after ${back === null ? '> 20000' : back} ms`);
    });
});
