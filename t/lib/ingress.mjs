// The three client APIs the gateway serves (OpenAI chat, Anthropic
// messages, Gemini generateContent), as data: how to ask, and how to read
// an answer, a stream, an error and a stream's error event.  Suites that
// run one case per client format (t/integration/faults_*.test.mjs) go
// through here instead of copying a request and its checks three times.
//
//   const res = await ask(gw, 'openai', 'my-group', {stream, prompt, key, headers})
//   answerText('openai', res)      the assistant text (whole or streamed)
//   clientError('gemini', res)     {status, type, message} from an error answer
//   streamFailure('anthropic', res)  the final error event of a broken stream
import http from 'node:http';
import zlib from 'node:zlib';
import { parseSse } from './sse.mjs';

export const INGRESS = ['openai', 'anthropic', 'gemini'];

/** The request a client of `format` sends for `model`. */
export function clientRequest(format, model, { stream = false, prompt = 'hello', key } = {}) {
    if (format === 'openai') {
        return {
            path: '/v1/chat/completions',
            headers: { authorization: `Bearer ${key}` },
            body: {
                model, messages: [{ role: 'user', content: prompt }],
                ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
            },
        };
    }
    if (format === 'anthropic') {
        return {
            path: '/v1/messages',
            headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
            body: { model, max_tokens: 64, messages: [{ role: 'user', content: prompt }], ...(stream ? { stream: true } : {}) },
        };
    }
    return {
        path: `/v1beta/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        headers: { 'x-goog-api-key': key },
        body: { contents: [{ role: 'user', parts: [{ text: prompt }] }] },
    };
}

/**
 * POST raw bytes and read the answer whatever happens: resolves {status,
 * headers, trailers, text, json, events, cut} where cut says the
 * connection ended before the response did (never rejects on a cut; a
 * connection error before any answer gives status 0 and error).  A gzip
 * answer is decoded, as the SDKs' fetch does.
 */
export function post(url, path, body, headers = {}, { timeoutMs = 30000 } = {}) {
    const u = new URL(url);
    const payload = Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve) => {
        let settled = false;
        const settle = (v) => { if (!settled) { settled = true; resolve(v); } };
        const req = http.request({
            method: 'POST', host: u.hostname, port: u.port, path, agent: false,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
        }, (res) => {
            const parts = [];
            const finish = (cut) => {
                let raw = Buffer.concat(parts);
                // What an SDK does with a gzip answer (fetch decodes it).
                if (res.headers['content-encoding'] === 'gzip') {
                    try { raw = zlib.gunzipSync(raw); } catch { /* left as it came */ }
                }
                const text = raw.toString('utf8');
                let json;
                try { json = JSON.parse(text); } catch { json = undefined; }
                settle({ status: res.statusCode, headers: res.headers, trailers: res.trailers, text, json,
                    events: parseSse(text), cut });
            };
            res.on('data', (c) => parts.push(c));
            res.on('end', () => finish(!res.complete));
            res.on('error', () => finish(true));
            res.on('close', () => finish(!res.complete));
        });
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
        req.on('error', (error) => settle({ status: 0, error, headers: {}, text: '', events: [], cut: true }));
        req.end(payload);
    });
}

/** Ask the gateway as a client of `format`; opts as clientRequest() plus headers. */
export function ask(gw, format, model, opts = {}) {
    const q = clientRequest(format, model, { key: gw.masterKey, ...opts });
    return post(gw.url, q.path, q.body, { ...q.headers, ...(opts.headers || {}) }, opts);
}

function streamText(format, events) {
    let text = '';
    for (const e of events) {
        const j = e.json;
        if (!j) continue;
        if (format === 'openai') text += j.choices?.[0]?.delta?.content ?? '';
        else if (format === 'anthropic') text += j.type === 'content_block_delta' ? j.delta?.text ?? '' : '';
        else text += (j.candidates?.[0]?.content?.parts || []).map((p) => p.text ?? '').join('');
    }
    return text;
}

/** The assistant text of an answer (whole or streamed) in `format`. */
export function answerText(format, res) {
    if (/event-stream/.test(res.headers['content-type'] || '')) return streamText(format, res.events);
    const j = res.json;
    if (format === 'openai') return j?.choices?.[0]?.message?.content ?? null;
    if (format === 'anthropic') return j?.content?.map((b) => b.text ?? '').join('') ?? null;
    return j?.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('') ?? null;
}

/** Did a stream end the way `format` ends a complete stream? */
export function streamComplete(format, res) {
    const evs = res.events;
    if (format === 'openai') return evs.at(-1)?.data === '[DONE]';
    if (format === 'anthropic') return evs.at(-1)?.event === 'message_stop';
    return !!evs.at(-1)?.json?.candidates?.[0]?.finishReason;
}

/**
 * The error of a JSON error answer in `format`'s shape, or a string saying
 * what is wrong with it: {status, type, message}.
 */
export function clientError(format, res) {
    const j = res.json;
    if (!/application\/json/.test(res.headers['content-type'] || '')) return `content-type ${res.headers['content-type']}`;
    if (format === 'openai') {
        const e = j?.error;
        if (!e || typeof e.message !== 'string' || !e.message || !('type' in e)) return 'no OpenAI {"error": {message, type}}';
        return { status: res.status, type: e.type, message: e.message };
    }
    if (format === 'anthropic') {
        if (j?.type !== 'error' || typeof j.error?.type !== 'string' || typeof j.error?.message !== 'string') {
            return 'no Anthropic {"type": "error", "error": {type, message}}';
        }
        return { status: res.status, type: j.error.type, message: j.error.message };
    }
    const e = j?.error;
    if (!e || e.code !== res.status || typeof e.message !== 'string' || typeof e.status !== 'string') {
        return 'no Gemini {"error": {code, message, status}} with code = HTTP status';
    }
    return { status: res.status, type: e.status, message: e.message };
}

/**
 * A broken stream as `format`'s client must see it: every event parses,
 * the last one is the format's error event, and no end-of-stream marker
 * precedes it.  Returns {type, message, text (delivered before)} or a
 * string saying what is wrong.
 */
export function streamFailure(format, res) {
    const evs = res.events;
    const unparsable = evs.find((e) => e.data !== '[DONE]' && e.json === undefined);
    if (unparsable) return `an event that is not JSON: ${JSON.stringify(unparsable.data.slice(0, 200))}`;
    const last = evs.at(-1);
    if (!last) return 'no events at all';
    const rest = evs.slice(0, -1);
    if (format === 'openai') {
        if (!last.json?.error || typeof last.json.error.message !== 'string') return `last event is not {"error"}: ${last.data.slice(0, 200)}`;
        if (rest.some((e) => e.data === '[DONE]' || e.json?.choices?.[0]?.finish_reason)) return 'a finish before the error event';
        return { type: last.json.error.type, message: last.json.error.message, text: streamText(format, rest) };
    }
    if (format === 'anthropic') {
        if (last.event !== 'error' || last.json?.type !== 'error' || typeof last.json.error?.message !== 'string') {
            return `last event is not "event: error": ${last.event} ${last.data.slice(0, 200)}`;
        }
        if (rest.some((e) => e.event === 'message_stop' || e.event === 'message_delta')) return 'message_delta/stop before the error event';
        return { type: last.json.error.type, message: last.json.error.message, text: streamText(format, rest) };
    }
    const e = last.json?.error;
    if (!e || typeof e.message !== 'string' || typeof e.code !== 'number') return `last event is not {"error": {code, message}}: ${last.data.slice(0, 200)}`;
    if (rest.some((x) => x.json?.candidates?.[0]?.finishReason)) return 'a finishReason before the error event';
    return { type: e.status, message: e.message, text: streamText(format, rest) };
}

/** {prompt, completion} tokens an answer (whole or streamed) reported, or null. */
export function answerUsage(format, res) {
    const stream = /event-stream/.test(res.headers['content-type'] || '');
    const items = stream ? res.events.map((e) => e.json).filter(Boolean) : [res.json].filter(Boolean);
    let prompt = null;
    let completion = null;
    for (const j of items) {
        if (format === 'openai' && j.usage) { prompt = j.usage.prompt_tokens; completion = j.usage.completion_tokens; }
        if (format === 'anthropic') {
            const u = j.usage || j.message?.usage;
            if (u?.input_tokens !== undefined) prompt = u.input_tokens;
            if (u?.output_tokens !== undefined) completion = u.output_tokens;
        }
        if (format === 'gemini' && j.usageMetadata) {
            prompt = j.usageMetadata.promptTokenCount ?? prompt;
            completion = j.usageMetadata.candidatesTokenCount ?? completion;
        }
    }
    return prompt === null || completion === null ? null : { prompt, completion };
}
