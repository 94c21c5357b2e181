// The mock provider server: one node http/https server on 127.0.0.1 that
// speaks the OpenAI (incl. Azure, OpenRouter, Ollama, vLLM paths), Anthropic
// and Gemini wire formats, records every request, and injects faults chosen
// by model name (faults.mjs).
//
//   const mock = await startMockProvider({apiKey, tls, reply, chunkDelayMs});
//   mock.url                 'http://127.0.0.1:PORT' (or https://localhost:PORT with tls)
//   vertex: a token server (vertex.mjs) whose live tokens Vertex requests
//                            must carry as Bearer
//   aws: {accessKeyId, secretAccessKey, region, sessionToken}  the
//                            credentials Bedrock requests must be signed with
//   mock.requests            [{method, path, query, headers, rawBody, body, tls, format,
//                              model, response: {status, stream, chunks, text, usage}}]
//   mock.last(), mock.reset(), mock.close()
//   mock.onRequest = async (ctx) => handled?   ad-hoc behaviour for one test
//   mock.wire = 'apart=30' | (record) => spec   how answers go out on the
//                            wire (segmentation, RST, stalls, gzip; wire.mjs);
//                            also per request: header x-mock-wire or a
//                            mock-wire[spec] marker in the request body
//   refuses: [[pathPrefix, ['logit_bias', ...]], ...]   a request under
//                            pathPrefix with one of those top-level fields
//                            gets the 400 that provider answers it with
import http from 'node:http';
import https from 'node:https';
import { freePort } from '../ports.mjs';
import { onExit } from '../tmp.mjs';
import { parseFault, faultHandler } from './faults.mjs';
import { sleep } from './common.mjs';
import { WireWriter, wireFor } from './wire.mjs';
import { openaiFormat } from './openai.mjs';
import { anthropicFormat } from './anthropic.mjs';
import { geminiFormat } from './gemini.mjs';
import { bedrockFormat } from './bedrock.mjs';
import { cohereFormat } from './cohere.mjs';
import { vertexFormat } from './vertex.mjs';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

// Anthropic, Vertex (before Gemini: its paths end the same), Gemini,
// Bedrock and Cohere first: OpenAI matches generic suffixes.
const FORMATS = [anthropicFormat, vertexFormat, geminiFormat, bedrockFormat, cohereFormat, openaiFormat];

class RequestContext {
    constructor(mock, req, res, record) {
        this.mock = mock;
        this.req = req;
        this.res = res;
        this.record = record;
        this.opts = {
            delayHeadersMs: 0,
            chunkDelayMs: mock.options.chunkDelayMs || 0,
            breakAfterChunks: null,
        };
        this.wire = null;       // parsed wire spec (wire.mjs) or null
        this.format = null;
        this.route = null;
        this.model = null;
        this.body = null;
    }

    get gone() {
        return this.res.destroyed || this.res.writableEnded || this.req.socket.destroyed;
    }

    /** Error answer in this request's API format. */
    fail(status, kind, message, headers = {}) {
        const body = (this.format || openaiFormat).errorBody(status, kind, message);
        this.record.response = { status, error: body, kind };
        this.writeJson(status, body, headers, false);
    }

    writeJson(status, obj, headers = {}, allowBreak = true) {
        if (this.gone) return;
        const text = JSON.stringify(obj);
        let buf = Buffer.from(text);
        if (this.wire) {
            this.sendWire(status, buf, headers).catch((e) => console.error('[mock] wire', e));
            return;
        }
        this.res.writeHead(status, {
            'content-type': 'application/json',
            'content-length': buf.length,
            ...this.mock.options.responseHeaders,
            ...headers,
        });
        if (allowBreak && this.opts.breakAfterChunks !== null) {
            // Announce the whole body, deliver half, then cut the connection.
            this.res.write(buf.subarray(0, Math.floor(buf.length / 2)));
            this.record.response.broken = true;
            setTimeout(() => this.req.socket.destroy(), 20);
            return;
        }
        this.res.end(buf);
    }

    /** A JSON answer delivered under this request's wire spec (wire.mjs). */
    async sendWire(status, buf, headers) {
        const h = { 'content-type': 'application/json', ...this.mock.options.responseHeaders, ...headers };
        const out = new WireWriter(this, this.wire);
        buf = out.encode(buf, h);
        if (await out.head(status, h, buf.length) && await out.write(buf)) await out.end();
    }

    /** Successful JSON answer; records what was sent. */
    sendJson(obj, extra = {}, headers = {}) {
        this.record.response = { status: 200, stream: false, body: obj, ...extra };
        this.writeJson(200, obj, headers);
    }

    /**
     * Stream frames (already SSE-encoded strings).  frames: [{frame, content}]
     * where content (string or undefined) marks a content chunk; honours
     * chunkDelayMs and breakAfterChunks (counted in content chunks).
     */
    async sendStream(frames, extra = {}, headers = {}) {
        const response = { status: 200, stream: true, chunks: [], frames: [], ...extra };
        this.record.response = response;
        if (this.gone) return;
        const h = {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            ...this.mock.options.responseHeaders,
            ...headers,
        };
        const out = this.wire ? new WireWriter(this, this.wire) : null;
        if (out) {
            out.gzipStream(h);
            if (!await out.head(200, h, null)) return;
        } else {
            this.res.writeHead(200, h);
            this.res.flushHeaders();
        }
        let contentSent = 0;
        for (const { frame, content } of frames) {
            if (this.gone) { response.aborted = true; return; }
            if (content !== undefined && this.opts.breakAfterChunks !== null &&
                contentSent >= this.opts.breakAfterChunks) {
                response.broken = true;
                // Let the already written chunks leave before the cut.
                await sleep(20);
                this.req.socket.destroy();
                return;
            }
            if (out) {
                if (!await out.write(await out.squeeze(Buffer.from(frame)), { frame: content !== undefined })) {
                    response.broken = true;
                    return;
                }
            } else this.res.write(frame);
            response.frames.push(frame);
            if (content !== undefined) {
                response.chunks.push(content);
                contentSent++;
                if (this.opts.chunkDelayMs) await sleep(this.opts.chunkDelayMs);
            }
        }
        if (out) {
            if (out.gz && !await out.write(await out.squeeze(null))) return;
            await out.end();
        } else this.res.end();
    }
}

export class MockProvider {
    constructor(options = {}) {
        this.options = { responseHeaders: {}, ...options };
        this.requests = [];
        this.counters = new Map();
        this.sockets = new Set();
        this.onRequest = null;
        this.wire = options.wire || null;   // wire.mjs spec for every answer
        this.server = null;
        this.port = 0;
        this.url = '';
    }

    get apiKey() { return this.options.apiKey; }

    async start() {
        this.port = this.options.port || await freePort();
        const handler = (req, res) => this.handle(req, res).catch((err) => {
            console.error('[mock] handler error', err);
            if (!res.headersSent) { res.writeHead(500); res.end(String(err)); } else res.destroy();
        });
        if (this.options.tls) {
            const { cert, key } = this.options.tls;
            this.server = https.createServer({ cert, key }, handler);
        } else {
            this.server = http.createServer(handler);
        }
        // Outlive nginx's upstream keepalive_timeout (60s), or nginx may reuse
        // a connection the mock is closing and see a spurious error.
        this.server.keepAliveTimeout = 120000;
        this.server.headersTimeout = 125000;
        this.server.requestTimeout = 0;
        this.connections = 0;
        const track = (sock) => {
            this.connections++;
            this.sockets.add(sock);
            sock.on('close', () => this.sockets.delete(sock));
        };
        this.server.on(this.options.tls ? 'secureConnection' : 'connection', track);
        if (this.options.tls) this.server.on('connection', track);
        await new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(this.port, this.options.host || '127.0.0.1', resolve);
        });
        // A mock must never keep a test process alive on its own (node 20's
        // runner waits for the event loop to drain after the last test).
        this.server.unref();
        const host = this.options.tls ? 'localhost' : (this.options.host || '127.0.0.1');
        this.url = `${this.options.tls ? 'https' : 'http'}://${host}:${this.port}`;
        onExit(() => { for (const s of this.sockets) s.destroy(); });
        return this;
    }

    bumpCounter(name) {
        const n = (this.counters.get(name) || 0) + 1;
        this.counters.set(name, n);
        return n;
    }

    last() { return this.requests[this.requests.length - 1]; }

    reset() { this.requests.length = 0; this.counters.clear(); }

    async close() {
        if (!this.server) return;
        for (const s of this.sockets) s.destroy();
        await new Promise((resolve) => this.server.close(() => resolve()));
        this.server = null;
    }

    async handle(req, res) {
        const parts = [];
        for await (const c of req) parts.push(c);
        const raw = Buffer.concat(parts);
        const u = new URL(req.url, 'http://mock');
        const record = {
            seq: this.requests.length + 1,
            at: Date.now(),
            method: req.method,
            url: req.url,
            path: u.pathname,
            query: Object.fromEntries(u.searchParams),
            headers: { ...req.headers },
            rawHeaders: req.rawHeaders.slice(),
            rawBody: raw.toString('utf8'),
            bodyBytes: raw.length,
            body: null,
            tls: req.socket.encrypted ? { servername: req.socket.servername || null } : null,
            format: null,
            model: null,
            response: {},
        };
        this.requests.push(record);
        const ctx = new RequestContext(this, req, res, record);
        ctx.wire = wireFor(this, req, record);
        if (ctx.wire?.cut?.where === 'request') {
            new WireWriter(ctx, ctx.wire).finish('rst');
            return;
        }

        let route = null;
        for (const format of FORMATS) {
            route = format.match(req.method, u.pathname, u.searchParams);
            if (route) { ctx.format = format; break; }
        }
        record.format = ctx.format?.name ?? null;
        ctx.route = route;

        if (this.onRequest && await this.onRequest(ctx)) return;

        if (!route) {
            ctx.fail(404, 'not_found', `mock: no route for ${req.method} ${u.pathname}`);
            return;
        }
        // apiKey may be a list: the keys a provider accepts while one is rotated
        const keys = [].concat(this.apiKey ?? []);
        if (keys.length && !keys.some((k) => ctx.format.authOk(ctx, k))) {
            ctx.fail(401, 'auth', 'mock: missing or wrong provider credentials');
            return;
        }
        const problem = ctx.format.checkRequest?.(ctx);
        if (problem) { ctx.fail(400, 'bad_request', problem); return; }
        if (raw.length) {
            // Like the real APIs: JSON must be UTF-8 ("We could not parse the
            // JSON body of your request"), and numbers within their ranges.
            try {
                ctx.body = JSON.parse(UTF8.decode(raw));
            } catch {
                ctx.fail(400, 'bad_request', 'We could not parse the JSON body of your request (mock: not UTF-8 JSON).');
                return;
            }
            const bad = ctx.format.checkBody?.(ctx.body);
            if (bad) { ctx.fail(400, 'bad_request', bad); return; }
            const refused = refusedField(this.options.refuses, u.pathname, ctx.body);
            if (refused) {
                record.body = ctx.body;
                // the shape Groq, Cerebras and the like answer with
                ctx.fail(400, 'bad_request', `'${refused}' : property '${refused}' is unsupported, please remove it`);
                return;
            }
        }
        record.body = ctx.body;
        ctx.model = route.model ?? ctx.body?.model ?? null;
        record.model = ctx.model;

        const fault = parseFault(ctx.model);
        if (fault) {
            record.fault = fault;
            const fh = faultHandler(fault.name);
            if (!fh) { ctx.fail(400, 'bad_request', `mock: unknown fault ${fault.name}`); return; }
            if (await fh(ctx, fault.arg)) return;
        }
        if (ctx.opts.delayHeadersMs) await sleep(ctx.opts.delayHeadersMs);
        if (ctx.gone) { record.response = { aborted: true }; return; }
        await route.handler(ctx);
    }
}

/** The first top-level field of body the provider under path refuses. */
function refusedField(refuses, path, body) {
    if (!refuses || body === null || typeof body !== 'object') return null;
    for (const [prefix, fields] of refuses) {
        if (!path.startsWith(prefix)) continue;
        const hit = fields.find((f) => Object.hasOwn(body, f));
        if (hit) return hit;
    }
    return null;
}

/** Start a mock provider.  options: {apiKey (a key or a list of keys), tls: {cert, key}, reply, chunkDelayMs, port, host (a loopback address)}. */
export async function startMockProvider(options = {}) {
    return new MockProvider(options).start();
}
