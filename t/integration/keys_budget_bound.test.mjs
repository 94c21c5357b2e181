// The concurrency bound on budgets: admission reserves each request's
// worst-case cost atomically, so a burst of parallel requests on one key
// cannot together pass its budget; and the spend recorded afterwards is
// exactly the sum of the costs the responses carried.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, makeSecret, openaiDeployment, request, waitFor,
} from '../lib/index.mjs';

const PROVIDER_KEY = makeSecret('sk-prov-');
// 1 micro-dollar per prompt token, 2 per completion token
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const BUDGET_USD = 0.0005;            // 500 micro-dollars
let mock, gw;

before(async () => {
    mock = await startMockProvider({ apiKey: PROVIDER_KEY });
    gw = await startGateway({
        config: {
            // the provider holds each answer 400 ms: all 50 are in flight at once
            model_list: [openaiDeployment('slow', mock, 'fault-slow-headers-400', PRICES)],
        },
        env: { OPENAI_API_KEY: PROVIDER_KEY },
        workers: 2,
    });
});

after(() => closeAll(gw, mock));

async function api(route, body) {
    const res = await request(`${gw.url}${route}`, {
        headers: { authorization: `Bearer ${gw.masterKey}` }, body,
    });
    assert.equal(res.status, 200, `${route}: ${res.text}`);
    return res.json;
}

test('50 parallel requests cannot spend past a small budget; recorded spend is exact', async (t) => {
    const k = await api('/key/generate', { key_alias: 'burst', max_budget: BUDGET_USD });
    const body = { model: 'slow', max_tokens: 16, messages: [{ role: 'user', content: 'hello there' }] };
    // worst case reserved per request: body bytes / 4 prompt tokens + 16 completion tokens
    const reserve = Math.ceil(JSON.stringify(body).length / 4) * 1 + 16 * 2;

    const results = await Promise.all(Array.from({ length: 50 }, () => request(
        `${gw.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${k.key}` }, body })));

    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    assert.ok(ok.length >= 1, 'the budget admits some requests');
    assert.ok(ok.length <= Math.floor(500 / reserve),
              `${ok.length} admitted, but only ${Math.floor(500 / reserve)} reservations of ${reserve} fit`);
    for (const r of refused) {
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.error.type, 'budget_exceeded', r.text);
    }

    // the real costs the answers carried, in micro-dollars
    const spent = ok.reduce((sum, r) => sum + Math.round(Number(r.headers['x-litellm-response-cost']) * 1e6), 0);
    t.diagnostic(`admitted ${ok.length} of 50 (reservation ${reserve}), spent ${spent} of 500 micro-dollars`);
    assert.ok(spent > 0 && spent <= 500, `spent ${spent} micro-dollars of 500`);

    // controld drains the zone and makes it durable: exactly what was charged
    let info;
    await waitFor(async () => {
        info = await api(`/key/info?key=${encodeURIComponent(k.key)}`);
        return Math.round(info.info.spend * 1e6) === spent;
    }, { timeoutMs: 5000, intervalMs: 200, what: `durable spend ${spent} (last ${info && info.info.spend})` });
});
