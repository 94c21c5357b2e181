// OpenAI's Responses API for the mock (POST /responses, GET and DELETE
// /responses/{id}, GET /responses/{id}/input_items, POST
// /responses/{id}/cancel of a background one, GET /responses/{id}?stream=true
// (a background stream's events again, after starting_after), POST
// /responses/input_tokens), in OpenAI's exact
// wire format: the response object, the typed SSE events of a stream, the
// list and deletion objects and the errors.  Responses are kept in memory
// per mock (store defaults to true, as at OpenAI), with their input items,
// so previous_response_id and the read routes work as they do there.
// Azure serves the same under /openai/responses?api-version=V and
// /openai/v1/responses.
import crypto from 'node:crypto';
import { sseFrame } from '../sse.mjs';
import { replyText, chunkText, countTokens, contentText } from './common.mjs';

const hex = (n) => crypto.randomBytes(n).toString('hex');

/** The prompt of a Responses input: the string, or the last user item's text. */
function inputText(input) {
    if (typeof input === 'string') return input;
    const items = Array.isArray(input) ? input : [];
    for (let i = items.length - 1; i >= 0; i--) {
        const it = items[i];
        if (it?.role === 'user') return contentText(it.content);
    }
    return '';
}

/** Input items as OpenAI lists them: each with an id, a string as one message. */
function inputItems(input) {
    const items = typeof input === 'string'
        ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }]
        : (Array.isArray(input) ? input : []);
    return items.map((it) => ({ id: it.id ?? `msg_${hex(24)}`, type: it.type ?? 'message', ...it,
        ...(it.role && !it.status ? { status: 'completed' } : {}) }));
}

function store(mock) {
    mock.responsesStore ??= new Map();
    return mock.responsesStore;
}

function notFound(ctx, id, previous = false) {
    const body = previous
        ? { error: { message: `Previous response with id '${id}' not found.`, type: 'invalid_request_error',
            param: 'previous_response_id', code: 'previous_response_not_found' } }
        : { error: { message: `Response with id '${id}' not found.`, type: 'invalid_request_error',
            param: null, code: null } };
    ctx.record.response = { status: previous ? 400 : 404, error: body };
    ctx.writeJson(previous ? 400 : 404, body, {}, false);
}

/** The response object, as OpenAI returns it. */
function responseObject(body, { id, created, status, output, usage }) {
    return {
        id, object: 'response', created_at: created, status,
        background: false, error: null, incomplete_details: null,
        instructions: body.instructions ?? null,
        max_output_tokens: body.max_output_tokens ?? null, max_tool_calls: null,
        model: body.model, output,
        parallel_tool_calls: body.parallel_tool_calls ?? true,
        previous_response_id: body.previous_response_id ?? null,
        prompt_cache_key: null, reasoning: { effort: null, summary: null },
        safety_identifier: null, service_tier: 'default', store: body.store ?? true,
        temperature: body.temperature ?? 1.0,
        text: { format: { type: 'text' }, verbosity: 'medium' },
        tool_choice: body.tool_choice ?? 'auto', tools: body.tools ?? [],
        top_logprobs: 0, top_p: body.top_p ?? 1.0, truncation: 'disabled',
        usage, user: null, metadata: body.metadata ?? {},
    };
}

export async function createResponse(ctx) {
    const body = ctx.body ?? {};
    const kept = store(ctx.mock);
    let history = [];
    if (body.previous_response_id != null) {
        const prev = kept.get(body.previous_response_id);
        if (!prev) { notFound(ctx, body.previous_response_id, true); return; }
        history = [...prev.input, ...prev.response.output];
    }
    const prompt = inputText(body.input);
    const text = replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'responses', body });
    const pieces = chunkText(text);
    const input_tokens = countTokens(JSON.stringify(history) + prompt);
    const usage = {
        input_tokens, input_tokens_details: { cached_tokens: 0 },
        output_tokens: pieces.length, output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input_tokens + pieces.length,
    };
    const id = `resp_${hex(24)}`;
    const msgId = `msg_${hex(24)}`;
    const created = Math.floor(Date.now() / 1000);
    const message = {
        id: msgId, type: 'message', status: 'completed', role: 'assistant',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
    };
    // a background request answers queued; its stream runs to the end
    const done = body.background && !body.stream
        ? { ...responseObject(body, { id, created, status: 'queued', output: [], usage: null }), background: true }
        : { ...responseObject(body, { id, created, status: 'completed', output: [message], usage }),
            background: !!body.background };
    if (body.store !== false) {
        kept.set(id, { response: done, input: inputItems(body.input), auth: ctx.req.headers.authorization ?? ctx.req.headers['api-key'] });
    }
    if (!body.stream) {
        ctx.sendJson(done, { text, usage, responseId: id });
        return;
    }
    let seq = 0;
    const events = [];
    const ev = (type, fields) => {
        const e = { type, sequence_number: seq++, ...fields };
        events.push(e);
        return { frame: sseFrame(e, type) };
    };
    const pending = responseObject(body, { id, created, status: 'in_progress', output: [], usage: null });
    const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
    const frames = [
        ev('response.created', { response: pending }),
        ev('response.in_progress', { response: pending }),
        ev('response.output_item.added', { output_index: 0,
            item: { id: msgId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } }),
        ev('response.content_part.added', { item_id: msgId, output_index: 0, content_index: 0, part }),
    ];
    for (const piece of pieces) {
        frames.push({ ...ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0,
            delta: piece, logprobs: [], obfuscation: hex(4) }), content: piece });
    }
    frames.push(ev('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] }));
    frames.push(ev('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0,
        part: { ...part, text } }));
    frames.push(ev('response.output_item.done', { output_index: 0, item: message }));
    frames.push(ev('response.completed', { response: done }));
    // a background stream can be streamed again (GET ?stream=true)
    if (body.background && kept.has(id)) kept.get(id).events = events;
    await ctx.sendStream(frames, { text, usage, responseId: id });
}

export async function getResponse(ctx) {
    const hit = store(ctx.mock).get(ctx.route.responseId);
    if (!hit) { notFound(ctx, ctx.route.responseId); return; }
    const q = ctx.record.query;
    if (q.stream !== 'true') { ctx.sendJson(hit.response); return; }
    // the events again, those after starting_after: only for a response
    // created with background and stream
    if (!hit.events) {
        const body = { error: { message: 'This response cannot be streamed because it was not created with '
            + 'background=true and stream=true.', type: 'invalid_request_error', param: 'stream', code: null } };
        ctx.record.response = { status: 400, error: body };
        ctx.writeJson(400, body, {}, false);
        return;
    }
    const after = q.starting_after === undefined ? -1 : Number(q.starting_after);
    const events = hit.events.filter((e) => e.sequence_number > after);
    await ctx.sendStream(events.map((e) => ({ frame: sseFrame(e, e.type) })),
        { responseId: hit.response.id, replayed: events.map((e) => e.sequence_number) });
}

export function deleteResponse(ctx) {
    const id = ctx.route.responseId;
    if (!store(ctx.mock).delete(id)) { notFound(ctx, id); return; }
    ctx.sendJson({ id, object: 'response', deleted: true });
}

export function listInputItems(ctx) {
    const hit = store(ctx.mock).get(ctx.route.responseId);
    if (!hit) { notFound(ctx, ctx.route.responseId); return; }
    const q = ctx.record.query;
    const limit = Number(q.limit ?? 20);
    let items = q.order === 'asc' ? [...hit.input] : [...hit.input].reverse();
    if (q.after) items = items.slice(items.findIndex((it) => it.id === q.after) + 1);
    const data = items.slice(0, limit);
    ctx.sendJson({ object: 'list', data, first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null, has_more: items.length > limit });
}

export function cancelResponse(ctx) {
    const hit = store(ctx.mock).get(ctx.route.responseId);
    if (!hit) { notFound(ctx, ctx.route.responseId); return; }
    if (!hit.response.background) {
        const body = { error: { message: 'Only responses created with background=true can be cancelled.',
            type: 'invalid_request_error', param: null, code: null } };
        ctx.record.response = { status: 400, error: body };
        ctx.writeJson(400, body, {}, false);
        return;
    }
    hit.response = { ...hit.response, status: 'cancelled' };
    ctx.sendJson(hit.response);
}

/** POST /responses/input_tokens: a deterministic count of the input and instructions. */
export function countInputTokens(ctx) {
    const body = ctx.body ?? {};
    if (typeof body.input !== 'string' && !Array.isArray(body.input)) {
        const err = { error: { message: "Invalid type for 'input': expected a string or an array of input items.",
            type: 'invalid_request_error', param: 'input', code: 'invalid_type' } };
        ctx.record.response = { status: 400, error: err };
        ctx.writeJson(400, err, {}, false);
        return;
    }
    const input_tokens = countTokens(JSON.stringify(body.input) + (body.instructions ?? ''));
    ctx.sendJson({ object: 'response.input_tokens', input_tokens }, { inputTokens: input_tokens });
}

const ROUTES = [
    [/\/responses\/input_tokens$/, 'POST', countInputTokens],
    [/\/responses$/, 'POST', createResponse],
    [/\/responses\/([^/]+)$/, 'GET', getResponse],
    [/\/responses\/([^/]+)$/, 'DELETE', deleteResponse],
    [/\/responses\/([^/]+)\/input_items$/, 'GET', listInputItems],
    [/\/responses\/([^/]+)\/cancel$/, 'POST', cancelResponse],
];

/** The route of a Responses path, or null; Azure's under /openai/. */
export function matchResponses(method, path) {
    for (const [re, m, handler] of ROUTES) {
        const hit = re.exec(path);
        if (hit && m === method) {
            const azure = path.startsWith('/openai/');
            return { handler, endpoint: 'responses', responseId: hit[1] ? decodeURIComponent(hit[1]) : null,
                azure, azureV1: path.startsWith('/openai/v1/') };
        }
    }
    return null;
}
