// Anthropic Messages wire format for the mock: POST {base}/v1/messages (JSON
// and the SSE event sequence message_start .. message_stop) and
// /v1/messages/count_tokens.  Requires the key (when the mock has one)
// and `anthropic-version`, like the real API.
import { sseFrame } from '../sse.mjs';
import { replyText, chunkText, countTokens, randomId, contentText, numberProblem } from './common.mjs';

const ERROR_TYPES = {
    rate_limit: 'rate_limit_error',
    server: 'api_error',
    overloaded: 'overloaded_error',
    auth: 'authentication_error',
    permission: 'permission_error',
    bad_request: 'invalid_request_error',
    not_found: 'not_found_error',
    context_length: 'invalid_request_error',
    content_policy: 'invalid_request_error',
    timeout: 'timeout_error',
};

function promptOf(body) {
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    for (let i = messages.length - 1; i >= 0; i--) {
        if (messages[i]?.role === 'user') return contentText(messages[i].content);
    }
    return '';
}

function allText(body) {
    const sys = typeof body?.system === 'string' ? body.system : contentText(body?.system);
    const msgs = (body?.messages || []).map((m) => contentText(m?.content)).join('\n');
    return `${sys}\n${msgs}`;
}

export async function messages(ctx) {
    const { body } = ctx;
    if (typeof body?.max_tokens !== 'number') {
        ctx.fail(400, 'bad_request', 'max_tokens: Field required');
        return;
    }
    if (!Array.isArray(body?.messages) || !body.messages.length) {
        ctx.fail(400, 'bad_request', 'messages: Field required');
        return;
    }
    const prompt = promptOf(body);
    const text = replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'anthropic', body });
    const pieces = chunkText(text);
    const input_tokens = countTokens(allText(body));
    const output_tokens = pieces.length;
    const id = randomId('msg_');
    const model = ctx.model;

    if (!body.stream) {
        ctx.sendJson({
            id, type: 'message', role: 'assistant', model,
            content: [{ type: 'text', text }],
            stop_reason: 'end_turn', stop_sequence: null,
            usage: { input_tokens, output_tokens },
        }, { text, usage: { input_tokens, output_tokens } });
        return;
    }
    const ev = (type, data) => ({ frame: sseFrame({ type, ...data }, type) });
    const frames = [
        ev('message_start', {
            message: {
                id, type: 'message', role: 'assistant', model, content: [],
                stop_reason: null, stop_sequence: null,
                usage: { input_tokens, output_tokens: 1 },
            },
        }),
        ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        ev('ping', {}),
    ];
    for (const piece of pieces) {
        frames.push({
            frame: sseFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }, 'content_block_delta'),
            content: piece,
        });
    }
    frames.push(ev('content_block_stop', { index: 0 }));
    frames.push(ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens } }));
    frames.push(ev('message_stop', {}));
    await ctx.sendStream(frames, { text, usage: { input_tokens, output_tokens } }, { 'request-id': randomId('req_') });
}

export function countTokensHandler(ctx) {
    ctx.sendJson({ input_tokens: countTokens(allText(ctx.body)) });
}

export const anthropicFormat = {
    name: 'anthropic',

    match(method, path) {
        if (method !== 'POST') return null;
        if (/\/messages\/count_tokens$/.test(path)) return { handler: countTokensHandler, endpoint: 'count_tokens' };
        if (/\/messages$/.test(path)) return { handler: messages, endpoint: 'messages' };
        return null;
    },

    // The API takes `x-api-key`; newer SDKs send the same key as a Bearer
    // token, which the real API also accepts.  Tests of the gateway assert
    // the exact header the gateway chose from the recorded request.
    authOk(ctx, key) {
        return ctx.req.headers['x-api-key'] === key || ctx.req.headers.authorization === `Bearer ${key}`;
    },

    checkRequest(ctx) {
        if (!ctx.req.headers['anthropic-version']) return 'anthropic-version: header is required';
        return null;
    },

    checkBody(body) {
        return numberProblem('max_tokens', body?.max_tokens, { min: 1, integer: true })
            || numberProblem('temperature', body?.temperature, { min: 0, max: 1 });
    },

    errorBody(status, kind, message) {
        return { type: 'error', error: { type: ERROR_TYPES[kind] || 'api_error', message } };
    },
};
