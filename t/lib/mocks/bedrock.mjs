// AWS Bedrock Converse wire format for the mock:
//   POST {base}/model/{modelId}/converse          JSON answer
//   POST {base}/model/{modelId}/converse-stream   application/vnd.amazon.eventstream
// Every request must carry a valid AWS Signature Version 4 for the mock's
// credentials (mock option aws: {accessKeyId, secretAccessKey, region,
// sessionToken?}): the signature is recomputed here with node:crypto, and a
// wrong one gets AWS's 403 InvalidSignatureException, an unknown key id its
// 403 UnrecognizedClientException.  Streams are real event-stream messages
// (prelude, headers, payload, CRC32s), which the wire specs (wire.mjs) may
// cut at any byte.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { replyText, chunkText, countTokens } from './common.mjs';

// kind (faults.mjs) -> [AWS exception name, stream exception name]
const EXCEPTIONS = {
    rate_limit: 'ThrottlingException',
    overloaded: 'ServiceUnavailableException',
    server: 'InternalServerException',
    auth: 'UnrecognizedClientException',
    permission: 'AccessDeniedException',
    bad_request: 'ValidationException',
    not_found: 'ResourceNotFoundException',
    context_length: 'ValidationException',
    content_policy: 'ValidationException',
    timeout: 'ModelTimeoutException',
};

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding of every byte but the unreserved ones (and '/'). */
function uriEncode(s) {
    return Array.from(Buffer.from(s, 'utf8')).map((b) => {
        const c = String.fromCharCode(b);
        return /[A-Za-z0-9\-._~/]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }).join('');
}

/**
 * The expected Authorization for a request as AWS computes it: canonical
 * request (the path as sent, encoded once more), string to sign, derived key.
 */
export function sigv4Expected({ method, rawPath, query, headers, body }, signedHeaders, creds, date) {
    const canonHeaders = signedHeaders.map((h) => `${h}:${String(headers[h] ?? '').trim()}\n`).join('');
    const q = query ? query.split('&').sort().map((p) => (p.includes('=') ? p : `${p}=`)).join('&') : '';
    const canonical = [method, uriEncode(rawPath), q, canonHeaders, signedHeaders.join(';'), sha256(body)].join('\n');
    const scope = `${date.slice(0, 8)}/${creds.region}/bedrock/aws4_request`;
    const sts = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
    let key = hmac(`AWS4${creds.secretAccessKey}`, date.slice(0, 8));
    for (const part of [creds.region, 'bedrock', 'aws4_request']) key = hmac(key, part);
    return { signature: hmac(key, sts).toString('hex'), scope };
}

/** null when the request is signed right, else [status, exception, message]. */
function signatureProblem(ctx) {
    const creds = ctx.mock.options.aws;
    const h = ctx.req.headers;
    const auth = h.authorization || '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return [403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'];
    const [, keyId, scope, signed, signature] = m;
    if (keyId !== creds.accessKeyId) {
        return [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'];
    }
    const signedHeaders = signed.split(';');
    for (const need of ['host', 'x-amz-date']) {
        if (!signedHeaders.includes(need)) return [403, 'InvalidSignatureException', `'${need}' must be a signed header`];
    }
    if (creds.sessionToken && (h['x-amz-security-token'] !== creds.sessionToken || !signedHeaders.includes('x-amz-security-token'))) {
        return [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'];
    }
    const date = h['x-amz-date'] || '';
    const skew = Math.abs(Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now());
    if (!(skew < 5 * 60 * 1000)) return [403, 'InvalidSignatureException', 'Signature expired: the request time is too skewed.'];
    const rawPath = ctx.req.url.split('?')[0];
    const query = ctx.req.url.includes('?') ? ctx.req.url.slice(ctx.req.url.indexOf('?') + 1) : '';
    const want = sigv4Expected({ method: ctx.req.method, rawPath, query, headers: h, body: ctx.record.rawBody }, signedHeaders, creds, date);
    if (scope !== want.scope) return [403, 'InvalidSignatureException', `Credential should be scoped to a valid region (${want.scope}).`];
    if (signature !== want.signature) {
        ctx.record.expectedSignature = want.signature;
        return [403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.'];
    }
    return null;
}

/** One event-stream message: string headers, then the payload. */
export function eventMessage(headers, payload) {
    const hs = Buffer.concat(Object.entries(headers).map(([k, v]) => {
        const name = Buffer.from(k);
        const value = Buffer.from(v);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(value.length);
        return Buffer.concat([Buffer.from([name.length]), name, Buffer.from([7]), len, value]);
    }));
    const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const total = 12 + hs.length + body.length + 4;
    const prelude = Buffer.alloc(8);
    prelude.writeUInt32BE(total, 0);
    prelude.writeUInt32BE(hs.length, 4);
    const pcrc = Buffer.alloc(4);
    pcrc.writeUInt32BE(zlib.crc32(prelude) >>> 0);
    const head = Buffer.concat([prelude, pcrc, hs, body]);
    const mcrc = Buffer.alloc(4);
    mcrc.writeUInt32BE(zlib.crc32(head) >>> 0);
    return Buffer.concat([head, mcrc]);
}

const event = (type, payload) => eventMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    // real events carry a "p" field of padding
    { ...payload, p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0'.slice(0, 5 + Math.floor(Math.random() * 40)) });

function textOf(content) {
    return (content || []).map((b) => b.text ?? (b.toolResult ? textOf(b.toolResult.content) : '')).join('');
}

function promptOf(body) {
    const msgs = body?.messages || [];
    for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === 'user') return textOf(msgs[i].content);
    return '';
}

function problemOf(body) {
    if (!Array.isArray(body?.messages) || !body.messages.length) return 'A conversation must start with a user message.';
    for (let i = 0; i < body.messages.length; i++) {
        const m = body.messages[i];
        if (m.role !== 'user' && m.role !== 'assistant') return `The role ${m.role} is not valid.`;
        if (i > 0 && body.messages[i - 1].role === m.role) return 'A conversation must alternate between user and assistant roles.';
        if (!Array.isArray(m.content) || !m.content.length) return 'The content field in the Message object is empty.';
    }
    if (body.model !== undefined) return 'Malformed input request: extraneous key [model] is not permitted';
    return null;
}

async function converse(ctx, stream) {
    const bad = signatureProblem(ctx);
    if (bad) { failAws(ctx, ...bad); return; }
    const { body } = ctx;
    const problem = problemOf(body);
    if (problem) { failAws(ctx, 400, 'ValidationException', problem); return; }
    const prompt = promptOf(body);
    const inputTokens = countTokens(JSON.stringify(body.messages) + JSON.stringify(body.system || ''));
    if (/too long for bedrock/.test(prompt)) {
        failAws(ctx, 400, 'ValidationException', 'Input is too long for requested model.');
        return;
    }
    // a request with tools whose last turn is a user text: the model calls the first tool
    const tool = body.toolConfig?.tools?.[0]?.toolSpec;
    const lastUser = body.messages[body.messages.length - 1];
    const callTool = tool && !lastUser.content.some((b) => b.toolResult);
    const text = callTool ? 'Let me look that up.' : replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'bedrock', body });
    const pieces = chunkText(text);
    const outputTokens = pieces.length + (callTool ? 5 : 0);
    const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
    const toolUse = callTool ? { toolUseId: `tooluse_${crypto.randomBytes(8).toString('hex')}`, name: tool.name, input: { city: 'Paris' } } : null;
    const stopReason = callTool ? 'tool_use' : 'end_turn';

    if (!stream) {
        const content = [{ text }];
        if (toolUse) content.push({ toolUse });
        ctx.sendJson({ output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 12 } },
            { text, usage, toolUse }, { 'x-amzn-requestid': crypto.randomUUID() });
        return;
    }
    const frames = [{ frame: event('messageStart', { role: 'assistant' }) }];
    for (const piece of pieces) {
        frames.push({ frame: event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } }), content: piece });
    }
    frames.push({ frame: event('contentBlockStop', { contentBlockIndex: 0 }) });
    if (toolUse) {
        const args = JSON.stringify(toolUse.input);
        frames.push({ frame: event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: toolUse.toolUseId, name: toolUse.name } } }) });
        frames.push({ frame: event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: args.slice(0, 5) } } }) });
        frames.push({ frame: event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: args.slice(5) } } }) });
        frames.push({ frame: event('contentBlockStop', { contentBlockIndex: 1 }) });
    }
    frames.push({ frame: event('messageStop', { stopReason }) });
    frames.push({ frame: event('metadata', { usage, metrics: { latencyMs: 12 } }) });
    await ctx.sendStream(frames, { text, usage, toolUse }, {
        'content-type': 'application/vnd.amazon.eventstream',
        'x-amzn-requestid': crypto.randomUUID(),
    });
}

/** An AWS error: the status, x-amzn-ErrorType and {"message"}. */
function failAws(ctx, status, exception, message) {
    const body = { message };
    ctx.record.response = { status, error: body, kind: exception };
    ctx.writeJson(status, body, { 'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, false);
}

const PATH = /\/model\/([^/]+)\/(converse|converse-stream)$/;

export const bedrockFormat = {
    name: 'bedrock',

    match(method, path) {
        if (method !== 'POST') return null;
        const m = PATH.exec(path);
        if (!m) return null;
        const stream = m[2] === 'converse-stream';
        return { model: decodeURIComponent(m[1]), endpoint: m[2], handler: (ctx) => converse(ctx, stream) };
    },

    // checked per request in the handler (the signature covers the body)
    authOk() { return true; },

    errorBody(status, kind, message) {
        return { message, __type: EXCEPTIONS[kind] || 'InternalServerException' };
    },
};
