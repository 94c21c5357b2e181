// OpenAI wire format for the mock: chat completions (JSON and SSE in
// OpenAI's exact chunk shape), legacy completions, embeddings, models.
// Paths are matched by suffix so one mock serves every base path:
// /v1/... (openai, ollama, vLLM), /api/v1/... (openrouter), and Azure's
// /openai/deployments/{dep}/...?api-version=V (auth by `api-key`); the
// Responses API (openai_responses.mjs), Azure's under /openai/.
import { sseFrame } from '../sse.mjs';
import { replyText, chunkText, countTokens, randomId, embedText, contentText, numberProblem } from './common.mjs';
import { matchResponses } from './openai_responses.mjs';

const ERROR_TYPES = {
    rate_limit: ['requests', 'rate_limit_exceeded'],
    server: ['server_error', null],
    overloaded: ['server_error', 'overloaded'],
    auth: ['invalid_request_error', 'invalid_api_key'],
    permission: ['invalid_request_error', 'model_not_allowed'],
    bad_request: ['invalid_request_error', null],
    not_found: ['invalid_request_error', 'model_not_found'],
    context_length: ['invalid_request_error', 'context_length_exceeded'],
    content_policy: ['invalid_request_error', 'content_policy_violation'],
    timeout: ['timeout', null],
};

function chatPrompt(body) {
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    for (let i = messages.length - 1; i >= 0; i--) {
        if (messages[i]?.role === 'user') return contentText(messages[i].content);
    }
    return messages.length ? contentText(messages[messages.length - 1].content) : '';
}

function completionPrompt(body) {
    const p = body?.prompt;
    if (Array.isArray(p)) return p.map((x) => (typeof x === 'string' ? x : '')).join('\n');
    return typeof p === 'string' ? p : '';
}

function usageFor(prompt, completionPieces) {
    const prompt_tokens = countTokens(prompt);
    return { prompt_tokens, completion_tokens: completionPieces, total_tokens: prompt_tokens + completionPieces };
}

function wantsUsage(body) {
    return body?.stream_options?.include_usage === true;
}

async function chatCompletions(ctx) {
    const { body } = ctx;
    const prompt = chatPrompt(body);
    const text = replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'openai', body });
    const pieces = chunkText(text);
    const usage = usageFor(prompt, pieces.length);
    const id = randomId('chatcmpl-');
    const created = Math.floor(Date.now() / 1000);
    const model = ctx.model;

    if (!body?.stream) {
        ctx.sendJson({
            id, object: 'chat.completion', created, model,
            system_fingerprint: 'fp_mock',
            choices: [{
                index: 0,
                message: { role: 'assistant', content: text, refusal: null },
                logprobs: null,
                finish_reason: 'stop',
            }],
            usage,
        }, { text, usage });
        return;
    }
    const withUsage = wantsUsage(body);
    const chunk = (choices, extra = {}) => ({
        id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_mock',
        choices, ...(withUsage ? { usage: null } : {}), ...extra,
    });
    const frames = [{
        frame: sseFrame(chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }])),
    }];
    for (const piece of pieces) {
        frames.push({
            frame: sseFrame(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }])),
            content: piece,
        });
    }
    frames.push({ frame: sseFrame(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }])) });
    if (withUsage) frames.push({ frame: sseFrame(chunk([], { usage })) });
    frames.push({ frame: sseFrame('[DONE]') });
    await ctx.sendStream(frames, { text, usage: withUsage ? usage : null });
}

/** Completions' logprobs for the answer's pieces: made-up but well-formed. */
function logprobsOf(pieces, n) {
    let offset = 0;
    const out = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    pieces.forEach((piece, i) => {
        const lp = -0.01 * (i + 1);
        out.tokens.push(piece);
        out.token_logprobs.push(lp);
        const top = { [piece]: lp };
        for (let k = 1; k < n; k++) top[`${piece}~${k}`] = lp - k;
        out.top_logprobs.push(top);
        out.text_offset.push(offset);
        offset += piece.length;
    });
    return out;
}

async function completions(ctx) {
    const { body } = ctx;
    const prompt = completionPrompt(body);
    const text = replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'openai-completions', body });
    const pieces = chunkText(text);
    const usage = usageFor(prompt, pieces.length);
    const id = randomId('cmpl-');
    const created = Math.floor(Date.now() / 1000);
    const model = ctx.model;
    // logprobs: N asks for each token's logprob and the N most likely
    const logprobs = Number.isInteger(body?.logprobs) ? logprobsOf(pieces, body.logprobs) : null;
    if (!body?.stream) {
        ctx.sendJson({
            id, object: 'text_completion', created, model,
            choices: [{ text, index: 0, logprobs, finish_reason: 'stop' }],
            usage,
        }, { text, usage, logprobs });
        return;
    }
    const withUsage = wantsUsage(body);
    const chunk = (choices, extra = {}) => ({
        id, object: 'text_completion', created, model, choices,
        ...(withUsage ? { usage: null } : {}), ...extra,
    });
    const frames = pieces.map((piece) => ({
        frame: sseFrame(chunk([{ text: piece, index: 0, logprobs: null, finish_reason: null }])),
        content: piece,
    }));
    frames.push({ frame: sseFrame(chunk([{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }])) });
    if (withUsage) frames.push({ frame: sseFrame(chunk([], { usage })) });
    frames.push({ frame: sseFrame('[DONE]') });
    await ctx.sendStream(frames, { text, usage: withUsage ? usage : null });
}

async function embeddings(ctx) {
    const { body } = ctx;
    let inputs = body?.input;
    if (!Array.isArray(inputs) || (inputs.length && typeof inputs[0] === 'number')) inputs = [inputs];
    const dims = Number(body?.dimensions) || 8;
    const base64 = body?.encoding_format === 'base64';
    let tokens = 0;
    const data = inputs.map((input, index) => {
        const text = Array.isArray(input) ? input.join(' ') : String(input ?? '');
        tokens += countTokens(text);
        const vec = embedText(text, dims);
        return {
            object: 'embedding', index,
            embedding: base64 ? Buffer.from(vec.buffer).toString('base64') : Array.from(vec),
        };
    });
    const usage = { prompt_tokens: tokens, total_tokens: tokens };
    ctx.sendJson({ object: 'list', data, model: ctx.model, usage }, { usage, inputs });
}

function models(ctx) {
    const ids = ctx.mock.options.models || ['mock-model'];
    ctx.sendJson({
        object: 'list',
        data: ids.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'mock' })),
    });
}

const AZURE = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;
const ENDPOINTS = [
    [/\/chat\/completions$/, 'POST', chatCompletions],
    [/\/completions$/, 'POST', completions],
    [/\/embeddings$/, 'POST', embeddings],
    [/\/models$/, 'GET', models],
];
const AZURE_HANDLERS = { 'chat/completions': chatCompletions, completions, embeddings };

export const openaiFormat = {
    name: 'openai',

    match(method, path) {
        const resp = matchResponses(method, path);
        if (resp) return resp;
        const az = AZURE.exec(path);
        if (az) {
            return method === 'POST'
                ? { handler: AZURE_HANDLERS[az[2]], model: decodeURIComponent(az[1]), azure: true, endpoint: az[2] }
                : null;
        }
        for (const [re, m, handler] of ENDPOINTS) {
            if (re.test(path) && m === method) return { handler, endpoint: handler.name };
        }
        return null;
    },

    authOk(ctx, key) {
        if (ctx.route.azure) return ctx.req.headers['api-key'] === key;
        return ctx.req.headers.authorization === `Bearer ${key}`;
    },

    checkRequest(ctx) {
        if (ctx.route.azure && !ctx.route.azureV1 && !ctx.record.query['api-version']) {
            return 'mock: azure request without api-version query parameter';
        }
        if (ctx.req.method === 'POST' && !/^application\/json/i.test(ctx.req.headers['content-type'] || '')) {
            return `mock: content-type must be application/json, got ${ctx.req.headers['content-type']}`;
        }
        return null;
    },

    checkBody(body) {
        return numberProblem('temperature', body?.temperature, { min: 0, max: 2 })
            || numberProblem('max_tokens', body?.max_tokens, { min: 1, integer: true })
            || numberProblem('max_completion_tokens', body?.max_completion_tokens, { min: 1, integer: true });
    },

    errorBody(status, kind, message) {
        const [type, code] = ERROR_TYPES[kind] || ['api_error', null];
        return { error: { message, type, param: null, code } };
    },
};
