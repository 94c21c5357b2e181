// Chaos: a bounded client keeps a steady load on the gateway (a virtual key,
// a priced two-deployment group, a quarter of the requests streamed) while
// the gateway's parts are reloaded, killed and broken one after another:
//
//   llmctl reload x3, nginx -s reload x2, kill -9 controld (llmctl's
//   supervisor restarts it), kill -9 Redis and restart it on its data dir,
//   kill -9 Redis right after a usage batch landed with that batch cut from
//   its AOF (what appendfsync everysec loses in an OS crash), one deployment
//   resetting every connection and then healing.
//
// At the end it prints a table and asserts: every request answered 2xx, no
// client-side hang or connection error, and the spend booked in Redis (key,
// model group, deployments) equal to the sum of the cost of every answer,
// computed from the usage each answer carried -- nothing lost, nothing
// counted twice.  Run with `make chaos`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
    closeAll, startGateway, startMockProvider, makeSecret, request, waitFor, alive, readPid, parseSse,
} from '../lib/index.mjs';
import { startRedis } from '../lib/redis.mjs';
import { routed, controllable, sleep, PROVIDER_KEY_ENV } from '../lib/routing.mjs';

const TOTAL_MIN = Number(process.env.CHAOS_REQUESTS || 4000);  // at least this many
const TOTAL_MAX = TOTAL_MIN * 3;                                 // the client's bound
const CONCURRENCY = 16;
const RATE = 400;              // requests per second the client paces itself to
const PROVIDER_KEY = makeSecret('sk-prov-');
// 1 micro-dollar per prompt token, 2 per completion token: costs are exact
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const GROUP = 'chaos-model';
const costOf = (u) => u.prompt_tokens + 2 * u.completion_tokens;

let mockA, mockB, ctlB, redis, gw;

function config(generation) {
    const cfg = {
        model_list: [
            routed(GROUP, 'dep-a', mockA, 'up-a', PRICES),
            routed(GROUP, 'dep-b', mockB, 'up-b', PRICES),
        ],
        router_settings: {
            redis_host: 'os.environ/REDIS_HOST', redis_port: 'os.environ/REDIS_PORT',
            num_retries: 2, allowed_fails: 1, cooldown_time: 1,
        },
    };
    // each `llmctl reload` publishes a config that really differs
    if (generation % 2) cfg.model_list.push(routed('chaos-spare', 'dep-spare', mockA, 'up-spare', PRICES));
    return cfg;
}

before(async () => {
    mockA = await startMockProvider({ apiKey: PROVIDER_KEY });
    mockB = await startMockProvider({ apiKey: PROVIDER_KEY });
    ctlB = controllable(mockB);
    redis = await startRedis({ appendfsync: 'everysec' });
    gw = await startGateway({
        config: config(0), workers: 2,
        env: { [PROVIDER_KEY_ENV]: PROVIDER_KEY, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) },
    });
});

after(() => closeAll(gw, mockA, mockB, redis ? { stop: () => redis.stop() } : null));

/** The load: a bounded client that runs until stop() (and at least TOTAL_MIN requests). */
function startLoad(key) {
    const st = {
        sent: 0, ok: 0, okStream: 0, cost: 0, errors: new Map(), clientErrors: new Map(),
        servedBy: new Map(), stopping: false,
    };
    const bump = (m, k) => m.set(k, (m.get(k) || 0) + 1);
    async function one(i) {
        const stream = i % 4 === 3;
        const body = {
            model: GROUP, messages: [{ role: 'user', content: `chaos ${i} ${'w '.repeat(i % 7)}` }],
            ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        };
        let res;
        try {
            res = await request(`${gw.url}/v1/chat/completions`, {
                headers: { authorization: `Bearer ${key}` }, body, timeoutMs: 30000,
            });
        } catch (e) {
            bump(st.clientErrors, e.code || e.message.slice(0, 60));
            return;
        }
        if (res.status !== 200) {
            const err = res.json?.error || {};
            bump(st.errors, `${res.status} ${err.type || '-'} ${err.code || '-'}: ${(err.message || res.text).slice(0, 70)}`);
            return;
        }
        let usage;
        if (stream) {
            const events = parseSse(res.text);
            const last = events.filter((e) => e.data && e.data !== '[DONE]').map((e) => JSON.parse(e.data))
                .filter((c) => c.usage).pop();
            if (!events.some((e) => e.data === '[DONE]') || !last) {
                bump(st.errors, `200 stream without [DONE] or usage: ${res.text.slice(-80)}`);
                return;
            }
            usage = last.usage;
            st.okStream++;
        } else {
            usage = res.json?.usage;
            if (!usage) {
                bump(st.errors, `200 without usage: ${res.text.slice(0, 80)}`);
                return;
            }
        }
        st.ok++;
        st.cost += costOf(usage);
        bump(st.servedBy, res.headers['x-litellm-model-id'] || '?');
    }
    const start = Date.now();
    async function worker() {
        while (st.sent < TOTAL_MAX && (!st.stopping || st.sent < TOTAL_MIN)) {
            const i = st.sent++;
            const due = start + (i * 1000) / RATE;
            if (due > Date.now()) await sleep(due - Date.now());
            await one(i);
        }
    }
    st.done = Promise.all(Array.from({ length: CONCURRENCY }, worker));
    st.answered = () => st.ok + [...st.errors.values()].reduce((a, b) => a + b, 0);
    /** Let the load go on for at least ms and n more answers. */
    st.progress = async (ms, what, n = 50) => {
        const target = st.answered() + n;
        const until = Date.now() + ms;
        await waitFor(() => (st.answered() >= target && Date.now() >= until) || st.sent >= TOTAL_MAX,
            { timeoutMs: 120000, intervalMs: 20, what: `${n} answers ${what}` });
    };
    return st;
}

/** The pids of pid's children (nginx's workers). */
function childPids(pid) {
    try {
        return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
        return [];
    }
}

async function api(method, route, body) {
    return request(`${gw.url}${route}`, { method, headers: { authorization: `Bearer ${gw.masterKey}` }, body });
}

async function spendIn(kindId) {
    const h = await redis.hgetall(`llm:spend:${kindId}`);
    return Number(h.spend_micros || 0);
}

/** kill -9 Redis right after a usage batch was booked, and lose that batch
 * the way an OS crash loses what `appendfsync everysec` had not fsynced:
 * the AOF is cut back to its length before the batch. */
async function loseLastBatch(log) {
    const aof = redis.aofFile();
    const v0 = Number(await redis.command('GET', 'llm:spend:version'));
    const size0 = fs.statSync(aof).size;
    await waitFor(async () => Number(await redis.command('GET', 'llm:spend:version')) > v0,
        { timeoutMs: 10000, intervalMs: 2, what: 'a usage batch booked in Redis' });
    await redis.kill();
    const size1 = fs.statSync(aof).size;
    fs.truncateSync(aof, size0);
    log.push(`redis: kill -9 right after batch ${v0 + 1}; AOF cut back by ${size1 - size0} bytes`);
    assert.ok(size1 > size0, 'the batch was in the AOF before the cut');
    await redis.start();
    const v = Number(await redis.command('GET', 'llm:spend:version'));
    log.push(`redis: restarted on the same dir, spend version ${v} (batch ${v0 + 1} ${v <= v0 ? 'lost' : 'kept'})`);
}

test('chaos: reloads, kills and a resetting deployment under load; spend exact', async () => {
    const gen = await api('POST', '/key/generate', { key_alias: 'chaos', max_budget: 1000 });
    assert.equal(gen.status, 200, gen.text);
    const { key, token } = gen.json;
    const log = [];
    const t0 = Date.now();
    const stamp = (what) => log.push(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${what}`);

    const load = startLoad(key);
    const booked$ = () => spendIn(`key:${token}`);
    try {
        await load.progress(1000, 'at the start');
        for (let i = 1; i <= 3; i++) {
            const r = await gw.reload(config(i));
            assert.equal(r.code, 0, `llmctl reload: ${r.stdout}${r.stderr}`);
            stamp(`llmctl reload #${i}`);
            await load.progress(600, `after llmctl reload #${i}`);
        }
        for (let i = 1; i <= 2; i++) {
            const workers = childPids(gw.nginxPid);
            const r = await gw.nginxReload();
            assert.equal(r.code, 0, `nginx -s reload: ${r.stdout}${r.stderr}`);
            await waitFor(() => !childPids(gw.nginxPid).some((p) => workers.includes(p)),
                { timeoutMs: 30000, what: 'the old nginx workers to drain and exit' });
            stamp(`nginx -s reload #${i}: old workers ${workers.join(',')} drained and exited`);
            await load.progress(600, `after nginx reload #${i}`);
        }

        const pidFile = path.join(gw.runDir, 'controld.pid');
        const old = readPid(pidFile);
        process.kill(old, 'SIGKILL');
        stamp(`kill -9 controld (pid ${old})`);
        await waitFor(() => { const p = readPid(pidFile); return p && p !== old && alive(p); },
            { timeoutMs: 20000, what: 'the supervisor to restart controld' });
        gw.controldPid = readPid(pidFile);
        stamp(`controld restarted by llmctl (pid ${gw.controldPid})`);
        await load.progress(1000, 'after the controld restart');

        await redis.kill();
        stamp(`kill -9 redis (cost answered so far ${load.cost})`);
        await load.progress(1500, 'while Redis is down');
        await redis.start();
        stamp(`redis restarted on the same data dir: key spend ${await booked$()}, ` +
            `answered ${load.cost} (the rest waits in the module's counters)`);
        await load.progress(1000, 'after the Redis restart');

        const lost = [];
        await loseLastBatch(lost);
        for (const l of lost) stamp(l);
        await load.progress(1000, 'after the lost batch');

        const resetsBefore = mockB.requests.filter((r) => r.response?.reset).length;
        ctlB.reset();
        stamp('dep-b resets every connection');
        await load.progress(1500, 'while dep-b resets');
        ctlB.ok();
        const resets = mockB.requests.filter((r) => r.response?.reset).length - resetsBefore;
        stamp(`dep-b healed (it had reset ${resets} connections)`);
        assert.ok(resets > 0, 'dep-b really reset connections');
        const servedB = load.servedBy.get('dep-b') || 0;
        await waitFor(() => (load.servedBy.get('dep-b') || 0) > servedB + 20,
            { timeoutMs: 60000, intervalMs: 50, what: 'dep-b serving again after healing' });
        stamp('dep-b serving again');
        await load.progress(500, 'at the end');
    } finally {
        load.stopping = true;
        await load.done;
    }
    stamp(`load done: ${load.sent} requests`);

    // Everything answered is booked once, after every crash: wait for the drain.
    let key$ = 0, group$ = 0, deps$ = 0;
    const booked = async () => {
        [key$, group$] = [await spendIn(`key:${token}`), await spendIn(`model:${GROUP}`)];
        deps$ = (await spendIn('deployment:dep-a')) + (await spendIn('deployment:dep-b'));
        return key$ === load.cost && group$ === load.cost && deps$ === load.cost;
    };
    await waitFor(booked, { timeoutMs: 15000, intervalMs: 250, what: 'spend to reach the answers\' cost' })
        .catch(() => {});
    const info = await api('GET', `/key/info?key=${token}`);
    const apiSpend = Math.round(info.json.info.lifetime_spend * 1e6);

    const errors = [...load.errors].map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`);
    const clientErrors = [...load.clientErrors].map(([k, n]) => `  ${String(n).padStart(6)}  client: ${k}`);
    const table = [
        '',
        '== chaos: events',
        ...log,
        '== chaos: results',
        `  requests sent                 ${load.sent}`,
        `  answered 2xx                  ${load.ok} (${load.okStream} streamed; ` +
            `${[...load.servedBy].map(([d, n]) => `${d} ${n}`).join(', ')})`,
        `  answered with an error        ${load.answered() - load.ok}`,
        ...errors,
        `  client hangs / conn errors    ${[...load.clientErrors.values()].reduce((a, b) => a + b, 0)}`,
        ...clientErrors,
        `  cost of the answers (usage)   ${load.cost} micro-USD`,
        `  spend booked: key             ${key$}  (${key$ - load.cost >= 0 ? '+' : ''}${key$ - load.cost})`,
        `  spend booked: model group     ${group$}  (${group$ - load.cost >= 0 ? '+' : ''}${group$ - load.cost})`,
        `  spend booked: deployments     ${deps$}  (${deps$ - load.cost >= 0 ? '+' : ''}${deps$ - load.cost})`,
        `  /key/info spend               ${apiSpend}`,
        '',
    ].join('\n');
    process.stdout.write(table);

    assert.equal(load.clientErrors.size, 0, `client-side hangs or connection errors:${table}`);
    assert.equal(load.errors.size, 0, `answers that were not 2xx:${table}`);
    assert.ok(load.sent >= TOTAL_MIN, `at least ${TOTAL_MIN} requests sent`);
    assert.equal(load.ok, load.sent, 'every request answered 2xx');
    assert.equal(key$, load.cost, `key spend == cost of the answers:${table}`);
    assert.equal(group$, load.cost, `model group spend == cost of the answers:${table}`);
    assert.equal(deps$, load.cost, `deployment spend == cost of the answers:${table}`);
    assert.equal(apiSpend, load.cost, `/key/info spend == cost of the answers:${table}`);
    assert.ok(!gw.leakedSecrets([key, gw.masterKey, PROVIDER_KEY]).length, 'no secret in any log');
});
