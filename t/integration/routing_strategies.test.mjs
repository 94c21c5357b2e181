// Router strategies over real mocks: which deployment of a model group
// serves, by simple-shuffle weights, order, least-busy (shared across two
// workers), latency, usage with rpm limits, and cost.  Who served is read
// from x-litellm-model-id and cross-checked against each mock's request log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, withGateway, makeSecret, pool, startMockProvider, unixRequest,
} from '../lib/index.mjs';
import {
    routed, chat, messages, tally, describe, startMocks, controllable, binomialTolerance,
    awayFromMinuteEdge, until, sleep, PROVIDER_KEY_ENV, ANTHROPIC_KEY_ENV,
} from '../lib/routing.mjs';

const KEY = makeSecret('sk-prov-route-');
const ENV = { [PROVIDER_KEY_ENV]: KEY, [ANTHROPIC_KEY_ENV]: KEY };
const opened = [];

async function mocks(n) {
    const list = await startMocks(n, { apiKey: KEY });
    opened.push(...list);
    return list;
}

after(() => closeAll(opened));

function gatewayOpts(model_list, router_settings = {}, extra = {}) {
    return { config: { model_list, router_settings }, env: ENV, workers: 2, ...extra };
}

test('simple-shuffle: weights 3:1 and rpm 3000:1000 split ~400 requests 3:1', async () => {
    const [a, b, c, d] = await mocks(4);
    const list = [
        routed('weighted', 'w-heavy', a, 'up-a', { weight: 3 }),
        routed('weighted', 'w-light', b, 'up-b', { weight: 1 }),
        routed('by-rpm', 'r-heavy', c, 'up-c', { rpm: 3000 }),
        routed('by-rpm', 'r-light', d, 'up-d', { rpm: 1000 }),
    ];
    await withGateway(gatewayOpts(list), async (gw) => {
        const N = 400;
        const tol = binomialTolerance(N, 0.75, 4); // ~34.6
        for (const [group, heavy, light, mh, ml] of [
            ['weighted', 'w-heavy', 'w-light', a, b], ['by-rpm', 'r-heavy', 'r-light', c, d]]) {
            const results = await pool(N, 8, () => chat(gw, group));
            const failed = results.filter((r) => !r.ok || r.value.status !== 200);
            assert.equal(failed.length, 0, `failures: ${failed.slice(0, 3).map((r) => r.error?.message ||
                describe(r.value)).join(' | ')}`);
            const counts = tally(results.map((r) => r.value));
            assert.deepEqual(Object.keys(counts).sort(), [heavy, light].sort(), `served by ${JSON.stringify(counts)}`);
            assert.equal(counts[heavy] + counts[light], N);
            assert.ok(Math.abs(counts[heavy] - 0.75 * N) <= tol,
                `${group}: heavy deployment served ${counts[heavy]} of ${N}, expected 300 ± ${tol.toFixed(1)}`);
            // The header names the mock that really answered.
            assert.equal(mh.requests.length, counts[heavy], `${heavy}: mock log vs header`);
            assert.equal(ml.requests.length, counts[light], `${light}: mock log vs header`);
        }
    });
});

test('cost-based-routing: the cheapest deployment serves everything', async () => {
    const [a, b] = await mocks(2);
    const list = [
        routed('priced', 'p-dear', a, 'up-dear', { input_cost_per_token: 0.00003, output_cost_per_token: 0.00006 }),
        routed('priced', 'p-cheap', b, 'up-cheap', { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }),
    ];
    await withGateway(gatewayOpts(list, { routing_strategy: 'cost-based-routing' }), async (gw) => {
        const results = await pool(30, 4, () => chat(gw, 'priced'));
        const counts = tally(results.map((r) => r.value));
        assert.deepEqual(counts, { 'p-cheap': 30 }, JSON.stringify(counts));
        assert.equal(a.requests.length, 0);
        assert.equal(b.requests.length, 30);
    });
});

test('order: order 1 serves while healthy, order 2 while it is down, order 1 again after cooldown', async () => {
    const [a, b] = await mocks(2);
    const portA = a.port;
    const list = [
        routed('ordered', 'o-first', a, 'up-first', { order: 1 }),
        routed('ordered', 'o-second', b, 'up-second', { order: 2 }),
    ];
    await withGateway(gatewayOpts(list, { allowed_fails: 1, cooldown_time: 2 }), async (gw) => {
        for (let i = 0; i < 10; i++) {
            const res = await chat(gw, 'ordered');
            assert.equal(res.status, 200, describe(res));
            assert.equal(res.servedBy, 'o-first', describe(res));
            assert.equal(res.retries, 0, describe(res));
        }
        assert.equal(a.requests.length, 10);
        assert.equal(b.requests.length, 0, 'order 2 must not serve while order 1 is healthy');

        await awayFromMinuteEdge(6);
        await a.close(); // connection refused from now on
        const down = [];
        for (let i = 0; i < 5; i++) down.push(await chat(gw, 'ordered'));
        const cooledAt = Date.now();
        for (const res of down) {
            assert.equal(res.status, 200, describe(res));
            assert.equal(res.servedBy, 'o-second', describe(res));
        }
        // allowed_fails 1: the first two requests try order 1 (refused) and are
        // retried on order 2; the second failure starts the cooldown.
        assert.deepEqual(down.map((r) => r.retries), [1, 1, 0, 0, 0],
            `attempted-retries while order 1 is down: ${down.map((r) => r.retries)}`);

        const revived = await startMockProvider({ apiKey: KEY, port: portA });
        opened.push(revived);
        let back = null;
        const seen = [];
        while (Date.now() - cooledAt < 30000) {
            const res = await chat(gw, 'ordered');
            assert.equal(res.status, 200, describe(res));
            seen.push(res.servedBy);
            if (res.servedBy === 'o-first') { back = Date.now() - cooledAt; break; }
            await sleep(100);
        }
        assert.ok(back !== null, `order 1 never served again after it came back: ${seen.join(',')}`);
        // not before its cooldown ended (the upper side only says it came back)
        assert.ok(back >= 1500, `order 1 served again ${back} ms after its cooldown began (cooldown_time 2 s)`);
        for (let i = 0; i < 5; i++) {
            const res = await chat(gw, 'ordered');
            assert.equal(res.servedBy, 'o-first', describe(res));
        }
        assert.equal(revived.requests.length, 6);
    });
});

test('least-busy (2 workers): in-flight counts are shared, concurrent requests go to the idle deployment', async () => {
    const [a, b] = await mocks(2);
    const ctlA = controllable(a).hold();
    const ctlB = controllable(b).hold();
    const list = [routed('busy', 'lb-a', a, 'up-a'), routed('busy', 'lb-b', b, 'up-b')];
    await withGateway(gatewayOpts(list, { routing_strategy: 'least-busy' }), async (gw) => {
        // Both hold: ten requests, each sent once the previous one reached a
        // mock, must split exactly 5/5 (random picks would not).
        const held = [];
        for (let i = 0; i < 10; i++) {
            // held through the burst below: no client deadline a slow box meets
            held.push(chat(gw, 'busy', { timeoutMs: 300000 }));
            await until(() => a.requests.length + b.requests.length === i + 1, 30000, `request ${i + 1} to reach a mock`);
        }
        assert.deepEqual([a.requests.length, b.requests.length], [5, 5], 'least-busy must balance in-flight requests');

        // B becomes fast and lets its five go; A still holds five.  A request
        // leaves the in-flight count in the log phase, a moment after the
        // client has its answer, so the burst starts once the gateway itself
        // counts none in flight on B; then B may count one or two more than
        // the two the burst keeps open: A's five leave a margin for that.
        ctlB.ok();
        ctlB.release();
        await until(() => b.requests.every((r) => r.response.status === 200), 30000, 'B to answer its held requests');
        const bInFlight = async () => (await unixRequest(gw.adminSocket, '/_llm/status'))
            .json.deployment_states.find((d) => d.id === 'lb-b').in_flight;
        await until(async () => await bInFlight() === 0, 30000, 'the gateway to count B\'s five as done');
        const burst = await pool(30, 2, () => chat(gw, 'busy'));
        const counts = tally(burst.map((r) => r.value));
        assert.deepEqual(counts, { 'lb-b': 30 }, `with A holding 5 requests, a burst of 30 (2 at a time): ${JSON.stringify(counts)}`);
        assert.equal(a.requests.length, 5, 'A must get nothing while it is the busier one');

        ctlA.ok();
        ctlA.release();
        const first = await Promise.all(held);
        assert.deepEqual(tally(first), { 'lb-a': 5, 'lb-b': 5 });
        for (const res of first) assert.equal(res.status, 200, describe(res));
    });
});

test('latency-based-routing: the faster deployment gets the traffic, and loses it when it slows down', async () => {
    const [a, b] = await mocks(2);
    const ctlA = controllable(a).ok();
    const ctlB = controllable(b).delay(150);
    const list = [routed('fast', 'lat-a', a, 'up-a'), routed('fast', 'lat-b', b, 'up-b')];
    const settings = { routing_strategy: 'latency-based-routing', routing_strategy_args: { lowest_latency_buffer: 0.1 } };
    await withGateway(gatewayOpts(list, settings), async (gw) => {
        // Warm-up: an unmeasured deployment counts as 0 ms, so both get sampled.
        for (let i = 0; i < 4; i++) assert.equal((await chat(gw, 'fast')).status, 200);
        assert.ok(a.requests.length >= 1 && b.requests.length >= 1,
            `warm-up must sample both: a=${a.requests.length} b=${b.requests.length}`);

        const steady = [];
        for (let i = 0; i < 20; i++) steady.push(await chat(gw, 'fast'));
        const counts = tally(steady);
        assert.equal(counts['lat-a'], 20, `A (~1 ms) vs B (~150 ms): ${JSON.stringify(counts)}`);

        // A becomes slow, B fast: A's average climbs past B's within a few samples.
        ctlA.delay(500);
        ctlB.ok();
        const moved = [];
        for (let i = 0; i < 20; i++) moved.push(await chat(gw, 'fast'));
        const servedByA = moved.filter((r) => r.servedBy === 'lat-a').length;
        assert.ok(servedByA >= 1 && servedByA <= 6,
            `after A slowed to 500 ms it served ${servedByA} of 20 (expected a few, until its average passes 150 ms)`);
        assert.deepEqual(tally(moved.slice(-10)), { 'lat-b': 10 }, `last 10: ${moved.slice(-10).map((r) => r.servedBy)}`);
    });
});

test('usage-based-routing-v2 + rpm: a deployment stops at its rpm; a saturated group answers 429 with Retry-After', async () => {
    const [a, b] = await mocks(2);
    const list = [
        routed('metered', 'u-five', a, 'up-a', { rpm: 5 }),
        routed('metered', 'u-ten', b, 'up-b', { rpm: 10 }),
    ];
    await withGateway(gatewayOpts(list, { routing_strategy: 'usage-based-routing-v2' }), async (gw) => {
        await awayFromMinuteEdge(8);
        const results = await pool(15, 3, () => chat(gw, 'metered'));
        for (const r of results) assert.equal(r.value?.status, 200, r.error?.message || describe(r.value));
        assert.deepEqual(tally(results.map((r) => r.value)), { 'u-five': 5, 'u-ten': 10 });
        assert.equal(a.requests.length, 5, 'rpm 5 deployment must stop after 5 requests this minute');
        assert.equal(b.requests.length, 10);

        const leftS = Math.ceil((60000 - (Date.now() % 60000)) / 1000);
        const res = await chat(gw, 'metered');
        assert.equal(res.status, 429, describe(res));
        assert.match(String(res.headers['content-type']), /application\/json/);
        const err = res.json?.error;
        assert.ok(err && typeof err.message === 'string' && 'type' in err && 'code' in err && 'param' in err,
            `OpenAI error shape: ${res.text}`);
        assert.match(err.message, /metered/, 'the message names the model group');
        const ra = Number(res.headers['retry-after']);
        assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 60, `Retry-After: ${res.headers['retry-after']}`);
        assert.ok(Math.abs(ra - leftS) <= 2, `Retry-After ${ra} s, but the minute ends in ${leftS} s`);

        const anth = await messages(gw, 'metered');
        assert.equal(anth.status, 429, describe(anth));
        assert.equal(anth.json?.type, 'error', `Anthropic error shape: ${anth.text}`);
        assert.equal(anth.json?.error?.type, 'rate_limit_error', `Anthropic error type: ${anth.text}`);
        assert.match(anth.json.error.message, /metered/);
        const ra2 = Number(anth.headers['retry-after']);
        assert.ok(Number.isInteger(ra2) && ra2 >= 1 && ra2 <= 60, `Retry-After on /v1/messages: ${anth.headers['retry-after']}`);
        assert.equal(a.requests.length + b.requests.length, 15, 'no provider call for a saturated group');
    });
});
