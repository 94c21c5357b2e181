// Fault injection, chosen by the model name the mock receives.  The gateway
// rewrites the client's model to the deployment's, so a deployment whose
// model is `openai/fault-429` makes the mock answer 429 while the client asked
// for an innocent group name.
//
// Name grammar:  fault-<name>[-<arg>]   e.g. fault-429, fault-slow-headers-3000,
// fault-stream-break-3, fault-status-418, fault-flaky-2.
//
// A fault handler gets a ctx (see server.mjs) and either answers the request
// itself (return true) or adjusts ctx.opts and lets the normal answer run
// (return false).  ctx.fail(status, kind, message, headers) writes an error in
// the API format of the request (OpenAI, Anthropic or Gemini), where kind is
// one of ERROR_KINDS.  Later suites add faults with registerFault().

export const ERROR_KINDS = ['rate_limit', 'server', 'overloaded', 'auth', 'permission',
    'bad_request', 'not_found', 'context_length', 'content_policy', 'timeout'];

const registry = new Map();

/** registerFault('name', (ctx, arg) => boolean | Promise<boolean>). */
export function registerFault(name, handler) {
    registry.set(name, handler);
}

/**
 * parseFault('fault-slow-headers-3000') -> {name: 'slow-headers', arg: 3000}.
 * The longest registered name wins; arg is the numeric tail or null.
 */
export function parseFault(model) {
    if (typeof model !== 'string') return null;
    const m = /(?:^|\/)fault-(.+)$/.exec(model);
    if (!m) return null;
    const spec = m[1];
    let best = null;
    for (const name of registry.keys()) {
        if (spec === name || spec.startsWith(name + '-')) {
            if (!best || name.length > best.length) best = name;
        }
    }
    if (!best) return { name: spec, arg: null, unknown: true };
    const tail = spec.slice(best.length + 1);
    const arg = tail === '' ? null : (/^\d+$/.test(tail) ? Number(tail) : tail);
    return { name: best, arg };
}

export function faultHandler(name) {
    return registry.get(name);
}

// --- status faults: answer an error in the request's API format -----------

const statusFaults = {
    '429': [429, 'rate_limit', 'Rate limit reached for requests (mock).', { 'retry-after': '1' }],
    '500': [500, 'server', 'The server had an error while processing your request (mock).'],
    '502': [502, 'server', 'Bad gateway (mock).'],
    '503': [503, 'overloaded', 'The engine is currently overloaded (mock).'],
    '529': [529, 'overloaded', 'Overloaded (mock).'],
    '401': [401, 'auth', 'Incorrect API key provided (mock).'],
    '403': [403, 'permission', 'You are not allowed to use this model (mock).'],
    '400': [400, 'bad_request', 'Invalid value for \'temperature\': mock rejects this request.'],
    '404': [404, 'not_found', 'The model does not exist (mock).'],
    '408': [408, 'timeout', 'Request timed out (mock).'],
    'context-length': [400, 'context_length', 'This model\'s maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens (mock).'],
    'content-policy': [400, 'content_policy', 'Your request was rejected as a result of our safety system (mock).'],
};

for (const [name, [status, kind, message, headers]] of Object.entries(statusFaults)) {
    registerFault(name, (ctx) => { ctx.fail(status, kind, message, headers); return true; });
}

// fault-status-NNN: any status with a server-kind error body.
registerFault('status', (ctx, arg) => {
    const status = Number(arg) || 500;
    const kind = status === 429 ? 'rate_limit' : status >= 500 ? 'server' : 'bad_request';
    ctx.fail(status, kind, `Mock status ${status}.`);
    return true;
});

// --- connection faults ----------------------------------------------------

// Close the TCP connection without an answer.
registerFault('reset', (ctx) => { ctx.req.socket.destroy(); ctx.record.response = { reset: true }; return true; });

// Accept and never answer (until the client gives up or the mock closes).
registerFault('hang', (ctx) => { ctx.record.response = { hang: true }; return true; });

// Delay the response headers by arg ms (default 3000), then answer normally.
registerFault('slow-headers', (ctx, arg) => { ctx.opts.delayHeadersMs = Number(arg) || 3000; return false; });

// Pause arg ms (default 50) between stream chunks.
registerFault('slow-chunks', (ctx, arg) => { ctx.opts.chunkDelayMs = Number(arg) || 50; return false; });

// Send arg content chunks (default 2), then destroy the connection.  For a
// non-streaming request: send half of the announced body, then destroy.
registerFault('stream-break', (ctx, arg) => { ctx.opts.breakAfterChunks = arg === null ? 2 : Number(arg); return false; });

// The first arg requests (default 1) for this model on this mock get a 500,
// later ones succeed: for retry tests.
registerFault('flaky', (ctx, arg) => {
    const limit = arg === null ? 1 : Number(arg);
    const seen = ctx.mock.bumpCounter(`flaky:${ctx.model}`);
    if (seen <= limit) {
        ctx.fail(500, 'server', `Mock flaky failure ${seen} of ${limit}.`);
        return true;
    }
    return false;
});
