// Building blocks for the translation suites (t/integration/xlate_*.test.mjs):
// deployments of each provider format on a mock, SDK clients for each client
// API, stream collectors and error-shape assertions per API.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { deployment } from './fixtures.mjs';
import { parseSse } from './sse.mjs';
import http from 'node:http';
import { startGateway, makeSecret } from './gateway.mjs';
import { startScriptedProvider } from './scripted.mjs';

/** The environment variable holding the provider key of each format. */
export const KEY_ENV = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY', gemini: 'GEMINI_API_KEY' };

/**
 * A model_list entry whose provider speaks `format` ('openai', 'anthropic',
 * 'gemini'), served by `mock`.  providerModel '*' passes the requested name.
 */
export function formatDeployment(modelName, format, mock, providerModel, params = {}) {
    const base = { openai: `${mock.url}/v1`, anthropic: mock.url, gemini: `${mock.url}/v1beta` }[format];
    return deployment(modelName, `${format}/${providerModel}`, {
        api_base: base, api_key: `os.environ/${KEY_ENV[format]}`, ...params,
    });
}

/**
 * One scripted mock provider per format and a gateway whose group
 * groups[f] is served by the mock of format f as model upstream[f] (no
 * retries, no cooldowns).  config is merged into the gateway config.
 * Returns {gw, mocks, keys}.
 */
export async function startFormatGateways(formats, groups, upstream, config = {}) {
    const keys = Object.fromEntries(formats.map((f) => [f, makeSecret(`sk-prov-${f}-`)]));
    const mocks = {};
    for (const f of formats) mocks[f] = await startScriptedProvider({ apiKey: keys[f] });
    const gw = await startGateway({
        config: {
            model_list: formats.map((f) => formatDeployment(groups[f], f, mocks[f], upstream[f])),
            router_settings: { num_retries: 0, disable_cooldowns: true },
            ...config,
        },
        env: Object.fromEntries(formats.map((f) => [KEY_ENV[f], keys[f]])),
    });
    return { gw, mocks, keys };
}

/** The provider's path the gateway must call for a chat-like request. */
export function providerPath(format, model, stream) {
    if (format === 'openai') return '/v1/chat/completions';
    if (format === 'anthropic') return '/v1/messages';
    return `/v1beta/models/${model}:${stream ? 'streamGenerateContent' : 'generateContent'}`;
}

/** Forget what the mocks received, and their scripts. */
export function resetMocks(mocks) {
    for (const m of mocks) { m.reset(); m.script = null; }
}

/**
 * The requests the mock of `format` received: exactly n, each on the
 * provider path of `model` (the format's upstream model).
 */
export function providerRequests(mocks, format, model, n, { stream = false } = {}) {
    const m = mocks[format];
    assert.equal(m.requests.length, n, `${format} provider got ${m.requests.length} requests, expected ${n}`);
    for (const rec of m.requests) assert.equal(rec.path, providerPath(format, model, stream), `${format} path`);
    return m.requests;
}

/** Anthropic SDK on the gateway with the master key in x-api-key. */
export function anthropicClient(gw, opts = {}) {
    return new Anthropic({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0, timeout: 30000, ...opts });
}

/**
 * Drain an Anthropic SDK MessageStream.  Returns {types, events, text,
 * final, error}: the event types in order (the SDK drops `ping`), the raw
 * events, the text deltas joined, the SDK's finalMessage() (null on error)
 * and what iteration threw.
 */
export async function collectMessageStream(stream) {
    const out = { types: [], events: [], text: '', final: null, error: null };
    try {
        for await (const ev of stream) {
            out.types.push(ev.type);
            out.events.push(ev);
            if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') out.text += ev.delta.text;
        }
        out.final = await stream.finalMessage();
    } catch (e) {
        out.error = e;
    }
    return out;
}

/**
 * Assert event types follow Anthropic's grammar exactly: message_start,
 * then per block start, delta*, stop with indexes 0, 1, ...; then
 * message_delta, message_stop.  `ping` may appear anywhere after
 * message_start.  Returns the blocks [{type, deltas}].
 */
export function assertAnthropicGrammar(events, what = '') {
    const evs = events.filter((e) => e.type !== 'ping');
    const types = evs.map((e) => e.type);
    assert.equal(types[0], 'message_start', `${what}: first event in ${types.join(',')}`);
    assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop'], `${what}: last events in ${types.join(',')}`);
    const blocks = [];
    let open = null;
    for (const e of evs.slice(1, -2)) {
        if (e.type === 'content_block_start') {
            assert.equal(open, null, `${what}: block ${e.index} started while ${open?.index} open (${types.join(',')})`);
            assert.equal(e.index, blocks.length, `${what}: block index`);
            open = { index: e.index, type: e.content_block.type, start: e.content_block, deltas: [] };
        } else if (e.type === 'content_block_delta') {
            assert.ok(open, `${what}: delta outside a block (${types.join(',')})`);
            assert.equal(e.index, open.index, `${what}: delta index`);
            open.deltas.push(e.delta);
        } else if (e.type === 'content_block_stop') {
            assert.ok(open, `${what}: stop outside a block`);
            assert.equal(e.index, open.index, `${what}: stop index`);
            blocks.push(open);
            open = null;
        } else {
            assert.fail(`${what}: unexpected event ${e.type} between blocks (${types.join(',')})`);
        }
    }
    assert.equal(open, null, `${what}: a block was never closed`);
    return blocks;
}

/**
 * Raw POST with SSE parsing: {status, headers, text, events: [{event, data,
 * json}], aborted}.  A response the server cuts short still resolves, with
 * what arrived and aborted: true, so tests can say what the client saw.
 */
export function rawSse(url, body, headers) {
    const u = new URL(url);
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = http.request({
            method: 'POST', host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false,
            headers: {
                accept: 'text/event-stream', 'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload), ...headers,
            },
        }, (res) => {
            const parts = [];
            let aborted = false;
            const finish = () => {
                const text = Buffer.concat(parts).toString('utf8');
                let json;
                try { json = JSON.parse(text); } catch { json = undefined; }
                resolve({ status: res.statusCode, headers: res.headers, text, json, events: parseSse(text), aborted });
            };
            res.on('data', (c) => parts.push(c));
            res.on('aborted', () => { aborted = true; });
            res.on('error', () => { aborted = true; finish(); });
            res.on('end', finish);
        });
        req.setTimeout(30000, () => req.destroy(new Error(`request timeout: POST ${url}`)));
        req.on('error', reject);
        req.end(payload);
    });
}

/** Assert an Anthropic SDK error: status and Anthropic's error body shape. */
export function assertAnthropicSdkError(err, status, type, what = '') {
    assert.ok(err, `${what}: expected an error`);
    assert.equal(err.status, status, `${what}: status (${err.message})`);
    assert.equal(err.error?.type, 'error', `${what}: body.type in ${JSON.stringify(err.error)}`);
    assert.equal(typeof err.error?.error?.message, 'string', `${what}: body.error.message`);
    assert.ok(err.error.error.message.length > 0, `${what}: empty message`);
    if (type) assert.equal(err.error.error.type, type, `${what}: error type in ${JSON.stringify(err.error)}`);
    return err.error.error;
}

/** Assert a raw response carries Gemini's error shape with this status. */
export function assertGeminiError(res, status, statusName, what = '') {
    const where = `${what} -> ${res.status} ${res.text?.slice(0, 300)}`;
    assert.equal(res.status, status, `status ${where}`);
    assert.match(String(res.headers['content-type']), /application\/json/, `content-type ${where}`);
    const err = res.json?.error;
    assert.ok(err && typeof err === 'object', `no {"error": {...}} in ${where}`);
    assert.equal(err.code, status, `error.code ${where}`);
    assert.equal(typeof err.message, 'string', `error.message ${where}`);
    assert.ok(err.message.length > 0, `empty message ${where}`);
    if (statusName) assert.equal(err.status, statusName, `error.status ${where}`);
    return err;
}

/** Await a promise that must reject; returns the error. */
export async function rejects(promise, what = 'call') {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    assert.fail(`${what} succeeded but should have failed`);
}

// --- what the provider received, in neutral terms ---------------------------
//
// neutralRequest(format, body) reads a provider request of any format into
//   {system: [texts], items: [{role: 'user'|'assistant', kind: 'text'|'call'|'result',
//     text?, id?, name?, args?, content?, isError?}], tools: [{name, description, schema}],
//    maxTokens, temperature, stream}
// so one assertion covers the three formats.  It is written from the public
// wire formats, independently of the gateway's C translator.

function textOf(content) {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : p?.text ?? '')).join('');
    return '';
}

/** Gemini schemas upper-case `type`; lower-case it back for comparisons. */
export function lowerSchemaTypes(schema) {
    if (Array.isArray(schema)) return schema.map(lowerSchemaTypes);
    if (!schema || typeof schema !== 'object') return schema;
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
        out[k] = k === 'type' && typeof v === 'string' ? v.toLowerCase() : lowerSchemaTypes(v);
    }
    return out;
}

function readOpenAI(body) {
    const out = { system: [], items: [], tools: [] };
    for (const m of body.messages || []) {
        if (m.role === 'system' || m.role === 'developer') {
            if (Array.isArray(m.content)) for (const p of m.content) out.system.push(p.text ?? '');
            else out.system.push(m.content ?? '');
        } else if (m.role === 'tool') {
            out.items.push({ role: 'user', kind: 'result', id: m.tool_call_id, content: textOf(m.content) });
        } else {
            const text = textOf(m.content);
            if (text) out.items.push({ role: m.role, kind: 'text', text });
            for (const c of m.tool_calls || []) {
                out.items.push({ role: 'assistant', kind: 'call', id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) });
            }
        }
    }
    for (const t of body.tools || []) {
        out.tools.push({ name: t.function.name, description: t.function.description, schema: t.function.parameters });
    }
    out.maxTokens = body.max_completion_tokens ?? body.max_tokens;
    out.temperature = body.temperature;
    out.stream = body.stream === true;
    return out;
}

function readAnthropic(body) {
    const out = { system: [], items: [], tools: [] };
    if (typeof body.system === 'string') out.system.push(body.system);
    else for (const b of body.system || []) out.system.push(b.text);
    for (const m of body.messages || []) {
        const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
        for (const b of blocks) {
            if (b.type === 'text') out.items.push({ role: m.role, kind: 'text', text: b.text });
            else if (b.type === 'tool_use') out.items.push({ role: m.role, kind: 'call', id: b.id, name: b.name, args: b.input });
            else if (b.type === 'tool_result') {
                out.items.push({ role: m.role, kind: 'result', id: b.tool_use_id, content: textOf(b.content), ...(b.is_error ? { isError: true } : {}) });
            } else out.items.push({ role: m.role, kind: b.type });
        }
    }
    for (const t of body.tools || []) out.tools.push({ name: t.name, description: t.description, schema: t.input_schema });
    out.maxTokens = body.max_tokens;
    out.temperature = body.temperature;
    out.stream = body.stream === true;
    return out;
}

function readGemini(body, path = '') {
    const out = { system: [], items: [], tools: [] };
    for (const p of body.systemInstruction?.parts || []) out.system.push(p.text);
    for (const c of body.contents || []) {
        const role = c.role === 'model' ? 'assistant' : 'user';
        for (const p of c.parts || []) {
            if (typeof p.text === 'string') out.items.push({ role, kind: 'text', text: p.text });
            else if (p.functionCall) out.items.push({ role, kind: 'call', name: p.functionCall.name, args: p.functionCall.args ?? {} });
            else if (p.functionResponse) {
                const r = p.functionResponse.response;
                const content = typeof r?.content === 'string' ? r.content
                    : typeof r?.error === 'string' ? r.error : JSON.stringify(r);
                out.items.push({ role, kind: 'result', name: p.functionResponse.name, content, ...(typeof r?.error === 'string' ? { isError: true } : {}) });
            } else out.items.push({ role, kind: Object.keys(p)[0] });
        }
    }
    for (const t of body.tools || []) {
        for (const f of t.functionDeclarations || []) {
            out.tools.push({ name: f.name, description: f.description, schema: lowerSchemaTypes(f.parameters) });
        }
    }
    out.maxTokens = body.generationConfig?.maxOutputTokens;
    out.temperature = body.generationConfig?.temperature;
    out.stream = /:streamGenerateContent$/.test(path);
    return out;
}

export function neutralRequest(format, record) {
    const body = record.body;
    if (format === 'openai') return readOpenAI(body);
    if (format === 'anthropic') return readAnthropic(body);
    return readGemini(body, record.path);
}

/**
 * Compare provider items with the expected ones.  Gemini carries no call
 * ids (ids are dropped from the expectation) but names its results.
 */
export function assertItems(format, got, expected, what = '') {
    const exp = expected.map((e) => {
        const x = { ...e };
        if (format === 'gemini') delete x.id;
        else delete x.name_of_result;
        if (format === 'gemini' && x.kind === 'result') { x.name = x.name_of_result; }
        delete x.name_of_result;
        return x;
    });
    assert.deepEqual(got, exp, `${what}: provider items\n got ${JSON.stringify(got)}\n exp ${JSON.stringify(exp)}`);
}
