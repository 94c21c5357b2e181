// How a mock's answer goes out on the wire: segmentation and connection
// faults, so the gateway meets bytes the way a real server on a real
// network may send them.  Orthogonal to the answer itself (faults.mjs picks
// *what* is said, this picks *how* it arrives), so any fault or success can
// be combined with any delivery.
//
// A wire spec is a comma-separated list of tokens; it comes from, first
// match wins:
//   - the request header `x-mock-wire: <spec>` (direct tests);
//   - a marker `mock-wire[<spec>]` anywhere in the request body, e.g. in
//     the prompt: it survives the gateway's translation between formats, so
//     one request chooses its own delivery; `mock-wire@NAME[<spec>]` only
//     applies on the mock started with {name: 'NAME'} (say, the failing
//     deployment's, not its fallback's);
//   - mock.wire: a spec string, or (record) => spec | null, per mock.
//
// Tokens (MS = milliseconds, N/K = bytes; defaults in brackets):
//   apart=MS         headers in one write, the body MS later [30]
//   bytes=N:MS       each of the first N body bytes in its own write, MS
//                    apart [N=64, MS=2], then the rest in one write
//   split=K:MS       the body in two writes, cut at byte K [half], MS apart [30]
//   close            `Connection: close` (Content-Length kept), then FIN
//   close-nolength   `Connection: close`, no Content-Length, no chunking:
//                    the body ends where the connection does
//   chunked          `Transfer-Encoding: chunked`, one chunk per write
//   chunked-bad=K    chunked, and after K body bytes [all of them] a
//                    chunk-size line that is not hex; FIN
//   chunked-truncated  chunked, the body's chunks but no final 0-chunk; FIN
//   gzip             JSON bodies (errors included) sent with
//                    `Content-Encoding: gzip`, Content-Length of the gzip;
//                    a stream as one gzip stream, flushed (Z_SYNC_FLUSH)
//                    after each frame so every frame leaves at once
//   rst-request      RST once the request is read, nothing sent
//   rst-headers      headers, then RST
//   rst-body=K       headers and K body bytes [half], then RST
//   rst-event=N      a stream: the frames before content frame N [2] and
//                    half of that frame, then RST
//   halfclose=K      headers and K body bytes [half], then FIN (write side
//                    shut, read side open): a body shorter than announced
//   stall            headers, then nothing, connection kept open
//
// What happened is recorded on record.response.wire ({spec, sent, ended:
// 'end'|'fin'|'rst'|'stall'}).
import zlib from 'node:zlib';
import http from 'node:http';
import { sleep } from './common.mjs';

const MARKER = /mock-wire(?:@([\w.-]+))?\[([^\]]*)\]/g;

function markerSpec(mock, text) {
    for (const m of text.matchAll(MARKER)) {
        if (!m[1] || m[1] === mock.options.name) return m[2];
    }
    return null;
}

/** parseWire('apart=30,gzip') -> {apart: 30, gzip: true}; null for none. */
export function parseWire(spec) {
    if (!spec || typeof spec !== 'string') return null;
    const out = { spec };
    for (const token of spec.split(',').map((t) => t.trim()).filter(Boolean)) {
        const [name, value = ''] = token.split('=');
        const [a, b] = value.split(':').map((v) => (v === '' || v === undefined ? null : Number(v)));
        switch (name) {
        case 'apart': out.apart = a ?? 30; break;
        case 'bytes': out.bytes = { n: a ?? 64, gap: b ?? 2 }; break;
        case 'split': out.split = { at: a, gap: b ?? 30 }; break;
        case 'close': out.close = true; break;
        case 'close-nolength': out.close = true; out.noLength = true; break;
        case 'chunked': out.chunked = 'ok'; break;
        case 'chunked-bad': out.chunked = 'bad'; out.badAt = a; break;
        case 'chunked-truncated': out.chunked = 'truncated'; break;
        case 'gzip': out.gzip = true; break;
        case 'rst-request': out.cut = { where: 'request', how: 'rst' }; break;
        case 'rst-headers': out.cut = { where: 'headers', how: 'rst' }; break;
        case 'rst-body': out.cut = { where: 'body', how: 'rst', at: a }; break;
        case 'rst-event': out.cut = { where: 'event', how: 'rst', frame: a ?? 2 }; break;
        case 'halfclose': out.cut = { where: 'body', how: 'fin', at: a }; break;
        case 'stall': out.cut = { where: 'headers', how: 'stall' }; break;
        default: throw new Error(`mock wire spec: unknown token "${token}" in "${spec}"`);
        }
    }
    return out;
}

/** The wire spec for a request (see the header comment), parsed, or null. */
export function wireFor(mock, req, record) {
    let spec = req.headers['x-mock-wire'];
    if (!spec) spec = markerSpec(mock, record.rawBody);
    if (!spec && mock.wire) spec = typeof mock.wire === 'function' ? mock.wire(record) : mock.wire;
    return parseWire(spec || null);
}

/** Does this spec write the answer itself on the raw socket? */
function raw(w) {
    return !!(w.noLength || w.chunked === 'bad' || w.chunked === 'truncated');
}

function headBytes(status, headers) {
    let text = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Status'}\r\n`;
    for (const [k, v] of Object.entries(headers)) {
        if (v !== undefined && v !== null) text += `${k}: ${v}\r\n`;
    }
    return Buffer.from(`${text}\r\n`);
}

function rst(sock) {
    if (typeof sock.resetAndDestroy === 'function') sock.resetAndDestroy();
    else sock.destroy();
}

/**
 * Delivers one answer under a wire spec.  Usage (server.mjs):
 *   const out = new WireWriter(ctx, w);
 *   if (await out.head(status, headers, lengthOrNull)) ... (false: cut)
 *   await out.write(buf, {frame}) ... ; await out.end()
 * Every method returns false once the connection is gone, so the caller
 * stops.
 */
export class WireWriter {
    constructor(ctx, w) {
        this.ctx = ctx;
        this.w = w || {};
        this.res = ctx.res;
        this.sock = ctx.req.socket;
        this.sent = 0;          // body bytes sent
        this.total = null;      // announced body length, if any
        this.frames = 0;        // content frames seen (streams)
        this.dead = false;
        this.info = { spec: this.w.spec || null, sent: 0, ended: null };
        ctx.record.response.wire = this.info;
    }

    get gone() { return this.dead || this.sock.destroyed; }

    finish(how) {
        this.info.ended = how;
        this.info.sent = this.sent;
        if (how === 'rst') rst(this.sock);
        else if (how === 'fin') this.sock.end();
        if (how !== 'end' && how !== 'stall') this.dead = true;
        return false;
    }

    /** Compress a JSON body when the spec says gzip. */
    encode(buf, headers) {
        if (!this.w.gzip) return buf;
        headers['content-encoding'] = 'gzip';
        return zlib.gzipSync(buf);
    }

    /**
     * A stream's frames, gzip-compressed when the spec says gzip: call once
     * before head(), then squeeze(frame) gives each frame's bytes (and
     * squeeze(null) the gzip trailer).
     */
    gzipStream(headers) {
        if (!this.w.gzip) return;
        headers['content-encoding'] = 'gzip';
        this.gz = zlib.createGzip();
        this.gzOut = [];
        this.gz.on('data', (d) => this.gzOut.push(d));
    }

    async squeeze(buf) {
        if (!this.gz) return buf || Buffer.alloc(0);
        if (buf) {
            this.gz.write(buf);
            await new Promise((resolve) => this.gz.flush(zlib.constants.Z_SYNC_FLUSH, resolve));
        } else {
            await new Promise((resolve) => { this.gz.once('end', resolve); this.gz.end(); });
        }
        await new Promise((resolve) => setImmediate(resolve));
        const out = Buffer.concat(this.gzOut);
        this.gzOut = [];
        return out;
    }

    async head(status, headers, length) {
        const h = { ...headers };
        const w = this.w;
        if (length !== null && !w.noLength && !w.chunked) h['content-length'] = length;
        else delete h['content-length'];
        if (w.chunked) h['transfer-encoding'] = 'chunked';
        if (w.close) h.connection = 'close';
        this.total = h['content-length'] ?? null;
        if (this.gone) return false;
        if (raw(w)) {
            if (!w.chunked && !h.connection) h.connection = 'close';
            this.sock.write(headBytes(status, h));
        } else {
            this.res.writeHead(status, h);
            this.res.flushHeaders();
        }
        if (w.cut?.where === 'headers') {
            if (w.cut.how === 'stall') { this.info.ended = 'stall'; this.dead = true; return false; }
            await sleep(20);
            return this.finish(w.cut.how);
        }
        if (w.apart) await sleep(w.apart);
        return !this.gone;
    }

    /** One write to the connection, framed as the spec's transfer coding says. */
    rawWrite(buf) {
        if (!buf.length || this.gone) return;
        const w = this.w;
        if (!raw(w)) { this.res.write(buf); } else if (w.chunked) {
            this.sock.write(Buffer.concat([Buffer.from(`${buf.length.toString(16)}\r\n`), buf, Buffer.from('\r\n')]));
        } else this.sock.write(buf);
        this.sent += buf.length;
    }

    /** Body bytes; frame: true marks a stream's content frame (for rst-event). */
    async write(buf, { frame = false } = {}) {
        if (this.gone) return false;
        const w = this.w;
        if (frame) {
            this.frames++;
            if (w.cut?.where === 'event' && this.frames === w.cut.frame) {
                this.rawWrite(buf.subarray(0, Math.max(1, buf.length >> 1)));
                await sleep(20);
                return this.finish('rst');
            }
        }
        let pieces = [buf];
        const start = this.sent;
        if (w.bytes && start < w.bytes.n) {
            const n = Math.min(w.bytes.n - start, buf.length);
            pieces = [...buf.subarray(0, n)].map((b) => Buffer.from([b]));
            pieces.push(buf.subarray(n));
        } else if (w.split) {
            const at = (w.split.at ?? (this.total ? this.total >> 1 : buf.length >> 1)) - start;
            if (at > 0 && at < buf.length) pieces = [buf.subarray(0, at), buf.subarray(at)];
        }
        const gap = w.bytes ? w.bytes.gap : w.split ? w.split.gap : 0;
        for (let i = 0; i < pieces.length; i++) {
            const p = pieces[i];
            if (w.chunked === 'bad' && w.badAt !== null && this.sent + p.length >= w.badAt) {
                this.rawWrite(p.subarray(0, Math.max(0, w.badAt - this.sent)));
                return this.badChunk();
            }
            if (w.cut?.where === 'body') {
                const at = w.cut.at ?? (this.total ? this.total >> 1 : buf.length >> 1);
                if (this.sent + p.length >= at) {
                    this.rawWrite(p.subarray(0, Math.max(0, at - this.sent)));
                    await sleep(20);
                    return this.finish(w.cut.how);
                }
            }
            this.rawWrite(p);
            if (gap && i < pieces.length - 1 && p.length) await sleep(gap);
            if (this.gone) return false;
        }
        return true;
    }

    async badChunk() {
        this.sock.write('zz\r\nnot a chunk\r\n');
        await sleep(20);
        return this.finish('fin');
    }

    async end() {
        if (this.gone) return false;
        const w = this.w;
        if (w.cut?.where === 'body' && w.cut.at === null && this.total === null) {
            // A stream with no length announced: cut where the body ends.
            await sleep(20);
            return this.finish(w.cut.how);
        }
        if (!raw(w)) {
            this.res.end();
        } else if (w.chunked === 'bad') {
            return this.badChunk();
        } else if (w.chunked === 'truncated') {
            await sleep(20);
            return this.finish('fin');
        } else {
            return this.finish('fin');
        }
        this.info.ended = 'end';
        this.info.sent = this.sent;
        return true;
    }
}
