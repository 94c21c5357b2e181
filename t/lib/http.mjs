// Raw HTTP client for tests that need more control than an SDK gives:
// exact status and headers, error bodies, huge bodies, unix sockets.
// Resolves with the response even when the server answers early and closes
// while the body is still being sent (the 413 case).
import http from 'node:http';

/**
 * request(url, {method, headers, body, socketPath, timeoutMs})
 *   -> {status, headers, trailers, text, json (or undefined), raw (Buffer)}
 * body: string | Buffer | object (sent as JSON).
 */
export function request(url, opts = {}) {
    const u = new URL(url);
    let body = opts.body;
    const headers = { ...(opts.headers || {}) };
    if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') {
        body = JSON.stringify(body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
            headers['content-type'] = 'application/json';
        }
    }
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const method = opts.method || (body === undefined ? 'GET' : 'POST');

    return new Promise((resolve, reject) => {
        let settled = false;
        const done = (fn, v) => { if (!settled) { settled = true; fn(v); } };
        const req = http.request({
            method,
            host: u.hostname,
            port: u.port,
            path: u.pathname + u.search,
            headers,
            socketPath: opts.socketPath,
            agent: false,
        }, (res) => {
            const parts = [];
            res.on('data', (c) => parts.push(c));
            res.on('error', (e) => done(reject, e));
            res.on('end', () => {
                const raw = Buffer.concat(parts);
                const text = raw.toString('utf8');
                let json;
                try { json = JSON.parse(text); } catch { json = undefined; }
                done(resolve, { status: res.statusCode, headers: res.headers, trailers: res.trailers, text, json, raw });
            });
        });
        req.setTimeout(opts.timeoutMs ?? 30000, () => req.destroy(new Error(`request timeout: ${method} ${url}`)));
        // An early answer (413) may reset the connection while we still write;
        // the response event has usually fired by then, so only reject if not.
        req.on('error', (e) => setTimeout(() => done(reject, e), 200));
        if (body !== undefined) req.end(body); else req.end();
    });
}

/** Same as request() but to a unix socket: unixRequest(socketPath, '/path', opts). */
export function unixRequest(socketPath, path, opts = {}) {
    return request(`http://localhost${path}`, { ...opts, socketPath });
}

/** Run `count` async jobs with at most `concurrency` in flight; returns results in order. */
export async function pool(count, concurrency, job) {
    const results = new Array(count);
    let next = 0;
    async function worker() {
        while (next < count) {
            const i = next++;
            results[i] = await job(i).then((v) => ({ ok: true, value: v }), (e) => ({ ok: false, error: e }));
        }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return results;
}
