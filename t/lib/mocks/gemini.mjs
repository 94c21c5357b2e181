// Gemini (generativelanguage v1beta) wire format for the mock:
// POST {base}/models/{model}:generateContent, :streamGenerateContent
// (?alt=sse -> SSE frames; otherwise a JSON array), :countTokens.
// Auth: `x-goog-api-key` header or `key` query parameter.
import { sseFrame } from '../sse.mjs';
import { replyText, chunkText, countTokens, numberProblem } from './common.mjs';

const STATUS_NAMES = {
    400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND', 408: 'DEADLINE_EXCEEDED', 429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

function partsText(parts) {
    return (parts || []).map((p) => p?.text ?? '').join('');
}

function promptOf(body) {
    const contents = Array.isArray(body?.contents) ? body.contents : [];
    for (let i = contents.length - 1; i >= 0; i--) {
        if (!contents[i]?.role || contents[i].role === 'user') return partsText(contents[i].parts);
    }
    return '';
}

function allText(body) {
    const sys = partsText(body?.systemInstruction?.parts);
    return `${sys}\n${(body?.contents || []).map((c) => partsText(c?.parts)).join('\n')}`;
}

function response(model, text, finish, usage) {
    return {
        candidates: [{
            content: { parts: [{ text }], role: 'model' },
            ...(finish ? { finishReason: 'STOP' } : {}),
            index: 0,
        }],
        ...(usage ? { usageMetadata: usage } : {}),
        modelVersion: model,
        responseId: 'mock-response',
    };
}

export async function generate(ctx) {
    const { body } = ctx;
    if (!Array.isArray(body?.contents) || !body.contents.length) {
        ctx.fail(400, 'bad_request', '* GenerateContentRequest.contents: contents is not specified');
        return;
    }
    const prompt = promptOf(body);
    const text = replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'gemini', body });
    const pieces = chunkText(text);
    const promptTokenCount = countTokens(allText(body));
    const usage = { promptTokenCount, candidatesTokenCount: pieces.length, totalTokenCount: promptTokenCount + pieces.length };

    if (!ctx.route.stream) {
        ctx.sendJson(response(ctx.model, text, true, usage), { text, usage });
        return;
    }
    if (ctx.record.query.alt === 'sse') {
        const frames = pieces.map((piece, i) => ({
            frame: sseFrame(response(ctx.model, piece, i === pieces.length - 1,
                i === pieces.length - 1 ? usage : { promptTokenCount })).replace(/\n\n$/, '\r\n\r\n'),
            content: piece,
        }));
        await ctx.sendStream(frames, { text, usage });
        return;
    }
    // Without alt=sse Gemini streams one JSON array.
    ctx.sendJson(pieces.map((piece, i) => response(ctx.model, piece, i === pieces.length - 1,
        i === pieces.length - 1 ? usage : { promptTokenCount })), { text, usage, chunks: pieces });
}

export function countTokensHandler(ctx) {
    const body = ctx.body?.generateContentRequest || ctx.body;
    ctx.sendJson({ totalTokens: countTokens(allText(body)) });
}

const PATH = /\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

export const geminiFormat = {
    name: 'gemini',

    match(method, path) {
        const m = PATH.exec(path);
        if (!m || method !== 'POST') return null;
        const model = decodeURIComponent(m[1]);
        if (m[2] === 'countTokens') return { handler: countTokensHandler, model, endpoint: m[2] };
        return { handler: generate, model, stream: m[2] === 'streamGenerateContent', endpoint: m[2] };
    },

    authOk(ctx, key) {
        return ctx.req.headers['x-goog-api-key'] === key || ctx.record.query.key === key;
    },

    checkBody(body) {
        const g = body?.generationConfig || {};
        return numberProblem('generation_config.temperature', g.temperature, { min: 0, max: 2 })
            || numberProblem('generation_config.max_output_tokens', g.maxOutputTokens, { min: 1, integer: true });
    },

    errorBody(status, kind, message) {
        return { error: { code: status, message, status: STATUS_NAMES[status] || 'UNKNOWN' } };
    },
};
