// Building blocks for the router suites (t/integration/routing_*.test.mjs):
// deployments with known ids, a raw chat call that reports who served it,
// mocks whose behaviour a test switches at run time, and timing helpers.
//
//   routed('grp', 'grp-a', mockA, 'up-a', {order: 1})   openai deployment, model_info.id = 'grp-a'
//   routedAnthropic('grp', 'grp-b', mockB, 'claude-x')  same, Anthropic wire format
//   const res = await chat(gw, 'grp');  res.servedBy, res.retries, res.fallbacks
//   const ctl = controllable(mock);  ctl.fail(500) / ctl.delay(300) / ctl.hold() / ctl.ok()
//   await awayFromMinuteEdge(15)     rpm windows and failure counts are per unix minute
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSse } from './sse.mjs';
import { deployment } from './fixtures.mjs';
import { request } from './http.mjs';
import { startMockProvider, registerFault } from './mocks/index.mjs';

export { sleep };

export const PROVIDER_KEY_ENV = 'OPENAI_API_KEY';
export const ANTHROPIC_KEY_ENV = 'ANTHROPIC_API_KEY';

/** An openai/<providerModel> deployment of `group` on `mock` with model_info.id = id. */
export function routed(group, id, mock, providerModel, params = {}) {
    const base = mock.url ? `${mock.url}/v1` : mock;
    return deployment(group, `openai/${providerModel}`, {
        api_base: base, api_key: `os.environ/${PROVIDER_KEY_ENV}`, ...params,
    }, { id });
}

/** An anthropic/<providerModel> deployment (the gateway translates to it). */
export function routedAnthropic(group, id, mock, providerModel, params = {}) {
    return deployment(group, `anthropic/${providerModel}`, {
        api_base: mock.url, api_key: `os.environ/${ANTHROPIC_KEY_ENV}`, ...params,
    }, { id });
}

/** A deployment on a port where nothing listens (connection refused). */
export function refused(group, id, port, params = {}) {
    return deployment(group, 'openai/never-reached', {
        api_base: `http://127.0.0.1:${port}/v1`, api_key: `os.environ/${PROVIDER_KEY_ENV}`, ...params,
    }, { id });
}

/** Start `n` mocks that accept `apiKey` (OpenAI and Anthropic credentials alike). */
export async function startMocks(n, opts = {}) {
    const mocks = [];
    for (let i = 0; i < n; i++) mocks.push(await startMockProvider(opts));
    return mocks;
}

function annotate(res) {
    const h = res.headers;
    res.servedBy = h['x-litellm-model-id'] ?? null;
    res.apiBase = h['x-litellm-model-api-base'] ?? null;
    res.retries = h['x-litellm-attempted-retries'] === undefined ? null : Number(h['x-litellm-attempted-retries']);
    res.fallbacks = h['x-litellm-attempted-fallbacks'] === undefined ? null : Number(h['x-litellm-attempted-fallbacks']);
    return res;
}

/**
 * POST /v1/chat/completions for `model` on a new connection (so requests
 * spread over the nginx workers).  opts: {stream, content, timeoutMs, body}.
 * Returns the raw response plus servedBy / apiBase / retries / fallbacks.
 */
export async function chat(gw, model, opts = {}) {
    const body = opts.body || {
        model,
        messages: [{ role: 'user', content: opts.content || 'route me' }],
        ...(opts.stream ? { stream: true } : {}),
    };
    const t0 = Date.now();
    const res = await request(`${gw.url}/v1/chat/completions`, {
        headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: opts.timeoutMs ?? 30000,
    });
    res.elapsedMs = Date.now() - t0;
    return annotate(res);
}

/** POST /v1/messages (Anthropic client API) for `model`. */
export async function messages(gw, model, opts = {}) {
    const res = await request(`${gw.url}/v1/messages`, {
        headers: {
            'x-api-key': gw.masterKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json',
        },
        body: JSON.stringify({ model, max_tokens: 64, messages: [{ role: 'user', content: opts.content || 'route me' }] }),
        timeoutMs: opts.timeoutMs ?? 30000,
    });
    return annotate(res);
}

/** {servedBy: count} over responses (null key for responses without the header). */
export function tally(responses) {
    const out = {};
    for (const r of responses) out[r.servedBy] = (out[r.servedBy] || 0) + 1;
    return out;
}

/** Short description of a response for assertion messages. */
export function describe(res) {
    return `${res.status} served_by=${res.servedBy} retries=${res.retries} fallbacks=${res.fallbacks} ` +
        `body=${(res.text || '').slice(0, 240)}`;
}

/** Half-width of a k-sigma interval for a binomial count (n trials, share p). */
export function binomialTolerance(n, p, k = 4) {
    return k * Math.sqrt(n * p * (1 - p));
}

/**
 * Rate windows and failure counts are kept per unix minute; a test that
 * needs several requests in one window waits when fewer than `needS`
 * seconds of the current minute are left.
 */
export async function awayFromMinuteEdge(needS = 15) {
    const left = 60000 - (Date.now() % 60000);
    if (left < needS * 1000) await sleep(left + 200);
}

/**
 * Switch a mock's behaviour at run time (mock.onRequest).  Modes:
 *   ok()          the stock answer
 *   fail(status, headers)   an error in the request's API format
 *   delay(ms)     the stock answer after ms
 *   hold()        keep every request open until release() (then answer)
 *   reset()       close the connection without an answer
 */
export function controllable(mock) {
    const ctl = {
        mode: 'ok', status: 500, headers: {}, delayMs: 0, held: [],
        ok() { ctl.mode = 'ok'; return ctl; },
        fail(status = 500, headers = {}) { Object.assign(ctl, { mode: 'fail', status, headers }); return ctl; },
        delay(ms) { Object.assign(ctl, { mode: 'delay', delayMs: ms }); return ctl; },
        hold() { ctl.mode = 'hold'; return ctl; },
        reset() { ctl.mode = 'reset'; return ctl; },
        /** Let every held request answer; new requests use the current mode. */
        release() { for (const go of ctl.held.splice(0)) go(); },
        get holding() { return ctl.held.length; },
    };
    const kinds = { 401: 'auth', 404: 'not_found', 408: 'timeout', 429: 'rate_limit', 503: 'overloaded' };
    mock.onRequest = async (ctx) => {
        switch (ctl.mode) {
        case 'fail':
            ctx.fail(ctl.status, kinds[ctl.status] || (ctl.status >= 500 ? 'server' : 'bad_request'),
                `controlled failure ${ctl.status} (mock)`, ctl.headers);
            return true;
        case 'delay':
            await sleep(ctl.delayMs);
            return false;
        case 'hold':
            ctx.record.held = true;
            await new Promise((resolve) => ctl.held.push(resolve));
            return false;
        case 'reset':
            ctx.req.socket.destroy();
            ctx.record.response = { reset: true };
            return true;
        default:
            return false;
        }
    };
    return ctl;
}

// fault-ratelimited-once-N: the first request for this model on this mock
// gets a 429 with `retry-after: N` (no header when N is 0), later ones succeed.
registerFault('ratelimited-once', (ctx, arg) => {
    const seen = ctx.mock.bumpCounter(`ratelimited-once:${ctx.model}`);
    if (seen > 1) return false;
    const headers = arg ? { 'retry-after': String(arg) } : {};
    ctx.fail(429, 'rate_limit', 'Rate limit reached (mock, once).', headers);
    return true;
});

/**
 * Wait until fn() is truthy (poll every 10 ms) or fail after timeoutMs: a
 * deadline for a failure, long enough for a loaded machine, never a bound
 * the test asserts.
 */
export async function until(fn, timeoutMs = 30000, what = 'condition') {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
        if (await fn()) return;
        await sleep(10);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * A streaming chat request read raw: resolves (never rejects on a cut) with
 * {status, headers, text, events (parsed SSE), cut (connection ended
 * without a clean end of the response), servedBy, retries, fallbacks}.
 */
export function chatStreamRaw(gw, model, opts = {}) {
    const body = JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: opts.content || 'stream me' }] });
    const u = new URL(gw.url);
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const req = http.request({
            method: 'POST', host: u.hostname, port: u.port, path: '/v1/chat/completions', agent: false,
            headers: {
                authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
            },
        }, (res) => {
            const parts = [];
            let settled = false;
            const finish = (cut) => {
                if (settled) return;
                settled = true;
                const text = Buffer.concat(parts).toString('utf8');
                resolve(annotate({
                    status: res.statusCode, headers: res.headers, text, events: parseSse(text), cut,
                    elapsedMs: Date.now() - t0,
                }));
            };
            res.on('data', (c) => parts.push(c));
            res.on('end', () => finish(!res.complete));
            res.on('aborted', () => finish(true));
            res.on('error', () => finish(true));
            res.on('close', () => finish(!res.complete));
        });
        req.setTimeout(opts.timeoutMs ?? 30000, () => req.destroy(new Error('stream request timeout')));
        req.on('error', reject);
        req.end(body);
    });
}
