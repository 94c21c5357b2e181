// A mock provider whose answer a test scripts in neutral terms ("say this
// text, call these tools, stop for this reason, report this usage, fail
// like this"), rendered in whatever wire format the request arrived in
// (OpenAI, Anthropic or Gemini).  Translation suites use it to give the
// three provider formats the same answer and check that each client API
// sees it the same way.
//
//   const mock = await startScriptedProvider({apiKey});
//   mock.script = {text: 'Hi', usage: {prompt: 20, completion: 3}};
//   mock.script = (record) => turn | null     per request; null = stock mock
//   mock.script = null                          stock mock (echo reply)
//
// A turn:
//   text          assistant text (may be '' or absent)
//   toolCalls     [{id, name, args}]  (Gemini has no ids: they are not sent)
//   thinking      {text, signature}  Anthropic only: a signed thinking block
//                 before the text (other formats ignore it)
//   stop          'end' | 'length' | 'tool' | 'stop_sequence'
//                 (default: 'tool' with toolCalls, else 'end')
//   stopSequence  the matched sequence, for stop: 'stop_sequence'
//   usage         {prompt, completion, cacheRead, cacheWrite} in OpenAI's
//                 meaning: prompt counts every input token, cached included
//   error         {status, message, headers}  answer an error instead
//   streamError   {afterChunks, status, message}  stream that many content
//                 chunks, then the provider's own mid-stream error event
//   breakAfterChunks  n   stream n content chunks, then cut the connection
//
// Everything the stock mock records is recorded too (record.body, .model,
// .path, .headers, ...); record.response gets {status, stream, text,
// toolCalls, usage, chunks, frames}.  count_tokens / countTokens requests
// and any request while mock.script is null go to the stock handlers.
import { startMockProvider } from './mocks/index.mjs';
import { sseFrame } from './sse.mjs';
import { chunkText, countTokens } from './mocks/common.mjs';

const KIND_BY_STATUS = { 400: 'bad_request', 401: 'auth', 403: 'permission', 404: 'not_found',
    408: 'timeout', 429: 'rate_limit', 503: 'overloaded', 529: 'overloaded' };

function kindFor(status) {
    return KIND_BY_STATUS[status] || (status >= 500 ? 'server' : 'bad_request');
}

/** The expected stop kind of a turn. */
export function stopOf(turn) {
    return turn.stop || (turn.toolCalls?.length ? 'tool' : 'end');
}

/** Usage with defaults filled in (the mock always reports usage). */
export function usageOf(turn) {
    const u = turn.usage || {};
    return {
        prompt: u.prompt ?? 11,
        completion: u.completion ?? 7,
        cacheRead: u.cacheRead ?? 0,
        cacheWrite: u.cacheWrite ?? 0,
    };
}

/** Cut a string into `n` roughly equal, non-empty pieces (fewer if short). */
export function splitInto(s, n = 3) {
    if (s.length <= 1) return [s];
    const size = Math.max(1, Math.ceil(s.length / n));
    const out = [];
    for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
    return out;
}

// --- OpenAI -----------------------------------------------------------------

const OPENAI_FINISH = { end: 'stop', length: 'length', tool: 'tool_calls', stop_sequence: 'stop' };

function openaiUsage(u) {
    return {
        prompt_tokens: u.prompt,
        completion_tokens: u.completion,
        total_tokens: u.prompt + u.completion,
        prompt_tokens_details: { cached_tokens: u.cacheRead },
    };
}

function openaiToolCalls(calls) {
    return calls.map((c) => ({
        id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) },
    }));
}

const openaiRender = {
    json(turn, model) {
        const calls = turn.toolCalls || [];
        return {
            id: 'chatcmpl-scripted', object: 'chat.completion', created: 1700000000, model,
            choices: [{
                index: 0,
                message: {
                    role: 'assistant',
                    content: turn.text ?? null,
                    ...(calls.length ? { tool_calls: openaiToolCalls(calls) } : {}),
                },
                logprobs: null,
                finish_reason: OPENAI_FINISH[stopOf(turn)],
            }],
            usage: openaiUsage(usageOf(turn)),
        };
    },

    stream(turn, model, body) {
        const withUsage = body?.stream_options?.include_usage === true;
        const chunk = (delta, finish = null, extra = {}) => ({
            id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1700000000, model,
            choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
            ...extra,
        });
        const frames = [{ frame: sseFrame(chunk({ role: 'assistant', content: '' })) }];
        for (const piece of turn.text ? chunkText(turn.text) : []) {
            frames.push({ frame: sseFrame(chunk({ content: piece })), content: piece });
        }
        (turn.toolCalls || []).forEach((c, index) => {
            frames.push({
                frame: sseFrame(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] })),
                content: '',
            });
            for (const frag of splitInto(JSON.stringify(c.args))) {
                frames.push({ frame: sseFrame(chunk({ tool_calls: [{ index, function: { arguments: frag } }] })), content: frag });
            }
        });
        const tail = [{ frame: sseFrame(chunk({}, OPENAI_FINISH[stopOf(turn)])) }];
        if (withUsage) tail.push({ frame: sseFrame(chunk(null, null, { usage: openaiUsage(usageOf(turn)) })) });
        tail.push({ frame: sseFrame('[DONE]') });
        return { frames, tail };
    },

    streamError(status, message) {
        return sseFrame({ error: { message, type: kindFor(status) === 'rate_limit' ? 'rate_limit_error' : 'server_error', param: null, code: null } });
    },
};

// --- Anthropic --------------------------------------------------------------

const ANTHROPIC_STOP = { end: 'end_turn', length: 'max_tokens', tool: 'tool_use', stop_sequence: 'stop_sequence' };
const ANTHROPIC_ERROR = { 400: 'invalid_request_error', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error', 503: 'overloaded_error' };

function anthropicUsage(u) {
    return {
        input_tokens: u.prompt - u.cacheRead - u.cacheWrite,
        output_tokens: u.completion,
        cache_read_input_tokens: u.cacheRead,
        cache_creation_input_tokens: u.cacheWrite,
    };
}

const anthropicRender = {
    json(turn, model) {
        const content = [];
        if (turn.thinking) content.push({ type: 'thinking', thinking: turn.thinking.text, signature: turn.thinking.signature });
        if (turn.text) content.push({ type: 'text', text: turn.text });
        for (const c of turn.toolCalls || []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.args });
        const stop = stopOf(turn);
        return {
            id: 'msg_scripted', type: 'message', role: 'assistant', model, content,
            stop_reason: ANTHROPIC_STOP[stop],
            stop_sequence: stop === 'stop_sequence' ? turn.stopSequence : null,
            usage: anthropicUsage(usageOf(turn)),
        };
    },

    stream(turn, model) {
        const ev = (type, data, content) => ({ frame: sseFrame({ type, ...data }, type), content });
        const u = anthropicUsage(usageOf(turn));
        const frames = [
            ev('message_start', {
                message: {
                    id: 'msg_scripted', type: 'message', role: 'assistant', model, content: [],
                    stop_reason: null, stop_sequence: null, usage: { ...u, output_tokens: 1 },
                },
            }),
            ev('ping', {}),
        ];
        let index = 0;
        if (turn.thinking) {
            frames.push(ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } }));
            for (const piece of chunkText(turn.thinking.text)) {
                frames.push(ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }, piece));
            }
            frames.push(ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: turn.thinking.signature } }));
            frames.push(ev('content_block_stop', { index }));
            index++;
        }
        if (turn.text) {
            frames.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
            for (const piece of chunkText(turn.text)) {
                frames.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }, piece));
            }
            frames.push(ev('content_block_stop', { index }));
            index++;
        }
        for (const c of turn.toolCalls || []) {
            frames.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } }, ''));
            for (const frag of splitInto(JSON.stringify(c.args))) {
                frames.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: frag } }, frag));
            }
            frames.push(ev('content_block_stop', { index }));
            index++;
        }
        const stop = stopOf(turn);
        const tail = [
            ev('message_delta', {
                delta: { stop_reason: ANTHROPIC_STOP[stop], stop_sequence: stop === 'stop_sequence' ? turn.stopSequence : null },
                usage: { output_tokens: u.output_tokens },
            }),
            ev('message_stop', {}),
        ];
        return { frames, tail };
    },

    streamError(status, message) {
        return sseFrame({ type: 'error', error: { type: ANTHROPIC_ERROR[status] || 'api_error', message } }, 'error');
    },
};

// --- Gemini -----------------------------------------------------------------

const GEMINI_FINISH = { end: 'STOP', length: 'MAX_TOKENS', tool: 'STOP', stop_sequence: 'STOP' };
const GEMINI_STATUS = { 400: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

function geminiUsage(u) {
    return {
        promptTokenCount: u.prompt,
        candidatesTokenCount: u.completion,
        totalTokenCount: u.prompt + u.completion,
        ...(u.cacheRead ? { cachedContentTokenCount: u.cacheRead } : {}),
    };
}

function geminiResponse(model, parts, finish, usage) {
    return {
        candidates: [{ content: { parts, role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
        ...(usage ? { usageMetadata: usage } : {}),
        modelVersion: model,
        responseId: 'scripted-response',
    };
}

const geminiRender = {
    json(turn, model) {
        const parts = [];
        if (turn.text) parts.push({ text: turn.text });
        for (const c of turn.toolCalls || []) parts.push({ functionCall: { name: c.name, args: c.args } });
        return geminiResponse(model, parts, GEMINI_FINISH[stopOf(turn)], geminiUsage(usageOf(turn)));
    },

    stream(turn, model) {
        // Text piece by piece, each call whole; finishReason and usage ride on
        // the last event, as Gemini does.
        const events = [];
        for (const piece of turn.text ? chunkText(turn.text) : []) events.push({ parts: [{ text: piece }], content: piece });
        for (const c of turn.toolCalls || []) {
            events.push({ parts: [{ functionCall: { name: c.name, args: c.args } }], content: JSON.stringify(c.args) });
        }
        if (!events.length) events.push({ parts: [{ text: '' }], content: '' });
        const u = usageOf(turn);
        const frames = events.map((e, i) => {
            const last = i === events.length - 1;
            const body = geminiResponse(model, e.parts, last ? GEMINI_FINISH[stopOf(turn)] : null,
                last ? geminiUsage(u) : { promptTokenCount: u.prompt });
            return { frame: sseFrame(body).replace(/\n\n$/, '\r\n\r\n'), content: e.content, last };
        });
        // The last event carries content and the finish together; keep it out
        // of the content frames so a mid-stream error comes before it.
        const tail = [frames.pop()];
        return { frames, tail };
    },

    streamError(status, message) {
        return sseFrame({ error: { code: status, message, status: GEMINI_STATUS[status] || 'INTERNAL' } });
    },
};

const RENDER = { openai: openaiRender, anthropic: anthropicRender, gemini: geminiRender };

/** Summary of a turn in one shape, recorded as record.response. */
function summary(turn, stream) {
    return {
        status: 200, stream, text: turn.text ?? '', toolCalls: turn.toolCalls || [],
        usage: usageOf(turn), stop: stopOf(turn),
    };
}

async function handleScripted(mock, ctx) {
    const { record } = ctx;
    if (!ctx.route || !mock.script) return false;
    const endpoint = ctx.route.endpoint;
    if (endpoint === 'count_tokens' || endpoint === 'countTokens') return false;
    if (ctx.format.name === 'openai' && endpoint !== 'chatCompletions' && endpoint !== 'chat/completions') return false;
    if (mock.apiKey && !ctx.format.authOk(ctx, mock.apiKey)) return false;
    if (ctx.format.checkRequest?.(ctx)) return false;
    let body;
    try { body = JSON.parse(record.rawBody); } catch { return false; }
    record.body = body;
    record.model = ctx.route.model ?? body?.model ?? null;
    ctx.body = body;
    ctx.model = record.model;

    const turn = typeof mock.script === 'function' ? mock.script(record) : mock.script;
    if (!turn) return false;
    record.turn = turn;

    if (ctx.format.name === 'anthropic') {
        // What the real API insists on, so a translator that forgets it fails.
        if (typeof body?.max_tokens !== 'number') { ctx.fail(400, 'bad_request', 'max_tokens: Field required'); return true; }
        if (!Array.isArray(body?.messages) || !body.messages.length) { ctx.fail(400, 'bad_request', 'messages: Field required'); return true; }
        if (body.thinking?.type === 'enabled' && ['any', 'tool'].includes(body.tool_choice?.type)) {
            ctx.fail(400, 'bad_request', 'Thinking may not be enabled when tool_choice forces tool use.');
            return true;
        }
        if (body.thinking?.type === 'enabled' && !(body.max_tokens > body.thinking.budget_tokens)) {
            ctx.fail(400, 'bad_request', '`max_tokens` must be greater than `thinking.budget_tokens`');
            return true;
        }
    }
    if (ctx.format.name === 'gemini' && (!Array.isArray(body?.contents) || !body.contents.length)) {
        ctx.fail(400, 'bad_request', '* GenerateContentRequest.contents: contents is not specified');
        return true;
    }
    if (turn.error) {
        const { status, message, headers } = turn.error;
        ctx.fail(status, kindFor(status), message || `scripted error ${status}`, headers || {});
        return true;
    }

    const render = RENDER[ctx.format.name];
    const stream = ctx.format.name === 'gemini' ? !!ctx.route.stream : body?.stream === true;
    if (!stream) {
        ctx.sendJson(render.json(turn, record.model), summary(turn, false));
        return true;
    }
    if (ctx.format.name === 'gemini' && record.query.alt !== 'sse') {
        ctx.fail(400, 'bad_request', 'scripted mock: streamGenerateContent without alt=sse is not scripted');
        return true;
    }
    const { frames, tail } = render.stream(turn, record.model, body);
    let all = frames.concat(tail);
    if (turn.streamError) {
        // Cut after N content chunks and append the provider's error event.
        const { afterChunks = 1, status = 500, message = 'scripted mid-stream failure' } = turn.streamError;
        const out = [];
        let seen = 0;
        for (const f of frames) {
            if (f.content !== undefined) {
                if (seen >= afterChunks) break;
                seen++;
            }
            out.push(f);
        }
        out.push({ frame: render.streamError(status, message) });
        all = out;
    }
    if (turn.breakAfterChunks !== undefined) ctx.opts.breakAfterChunks = turn.breakAfterChunks;
    await ctx.sendStream(all, summary(turn, true));
    return true;
}

/** Start a scripted mock provider.  options as startMockProvider(). */
export async function startScriptedProvider(options = {}) {
    const mock = await startMockProvider(options);
    mock.script = options.script ?? null;
    mock.onRequest = (ctx) => handleScripted(mock, ctx);
    return mock;
}

/** Requests of one endpoint kind: 'messages', 'count_tokens', 'chatCompletions', 'generateContent', ... */
export function requestsTo(mock, endpointRe) {
    return mock.requests.filter((r) => endpointRe.test(r.path));
}

export { countTokens };
