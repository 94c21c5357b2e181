// A provider stand-in that writes an OpenAI error the way a real server on
// a real network may: status line and headers in one write, the JSON body
// in later ones.  The provider model name picks both the error and the
// segmentation, "<error>-<segmentation>":
//   error         cw    400 context_length_exceeded (OpenAI's wording)
//                 temp  400 with a message of its own ("temperature 7 ...")
//   segmentation  whole    head and body in one write
//                 late     head, 50 ms, then the body
//                 split    head, then the body in 3 pieces 20 ms apart
//                 chunked  Transfer-Encoding: chunked, a chunk a write
// (The general segmentation modes of t/lib/mocks/ are issue #13's "faults"
// work; this is the minimum the error-body regression needs.)
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const TEMP_MESSAGE = 'temperature 7 is out of range: it must be between 0 and 2';

const ERRORS = {
    cw: {
        message: "This model's maximum context length is 8192 tokens. However, your messages "
            + 'resulted in 9001 tokens. Please reduce the length of the messages.',
        type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded',
    },
    temp: { message: TEMP_MESSAGE, type: 'invalid_request_error', param: 'temperature', code: null },
};

async function answer(sock, model) {
    const [kind, seg] = String(model).split('-');
    const body = Buffer.from(JSON.stringify({ error: ERRORS[kind] ?? ERRORS.temp }));
    const head = (extra) => Buffer.from('HTTP/1.1 400 Bad Request\r\n'
        + 'Content-Type: application/json\r\nx-request-id: req_seg\r\n' + extra + '\r\n');
    const write = (b) => { if (!sock.destroyed) sock.write(b); };

    if (seg === 'whole') {
        write(Buffer.concat([head(`Content-Length: ${body.length}\r\n`), body]));
        return;
    }
    if (seg === 'chunked') {
        write(head('Transfer-Encoding: chunked\r\n'));
        const half = body.length >> 1;
        for (const piece of [body.subarray(0, half), body.subarray(half)]) {
            await sleep(20);
            write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
        }
        await sleep(20);
        write(Buffer.from('0\r\n\r\n'));
        return;
    }
    write(head(`Content-Length: ${body.length}\r\n`));
    if (seg === 'late') {
        await sleep(50);
        write(body);
        return;
    }
    const cut = [0, 5, Math.floor(body.length / 2), body.length];
    for (let i = 0; i + 1 < cut.length; i++) {
        await sleep(20);
        write(body.subarray(cut[i], cut[i + 1]));
    }
}

/** Starts it on a free port: {url, requests: [model, ...], close()}. */
export async function startSegmentedProvider() {
    const requests = [];
    const sockets = new Set();
    const server = net.createServer((sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => {});
        let buf = Buffer.alloc(0);
        sock.on('data', (d) => {
            buf = Buffer.concat([buf, d]);
            for (;;) {
                const end = buf.indexOf('\r\n\r\n');
                if (end < 0) return;
                const len = Number(/content-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString())?.[1] ?? 0);
                if (buf.length < end + 4 + len) return;
                let model;
                try { model = JSON.parse(buf.subarray(end + 4, end + 4 + len)).model; } catch { model = ''; }
                buf = buf.subarray(end + 4 + len);
                requests.push(model);
                answer(sock, model);
            }
        });
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    return {
        url: `http://127.0.0.1:${server.address().port}`,
        requests,
        close: () => new Promise((ok) => {
            for (const s of sockets) s.destroy();
            server.close(() => ok());
        }),
    };
}
