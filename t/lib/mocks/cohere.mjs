// Cohere v2 wire format for the mock:
//   POST {base}/v2/chat    JSON answer, or with "stream": true SSE events
//                          (message-start, content-start/-delta/-end,
//                          tool-plan-delta, tool-call-start/-delta/-end,
//                          citation-start/-end when documents ground it,
//                          message-end carrying finish_reason and usage)
//   POST {base}/v2/embed   {"embeddings":{"float":[[..]]}, "meta":{..}}
// Auth: Authorization: Bearer KEY.  Errors are Cohere's {"message": ...}.
// The request is checked as Cohere checks it: its roles, tool messages with
// a tool_call_id, OpenAI's names (top_p, stop, tool_choice objects) refused.
// "malformed" in the prompt answers 200 with a body that is not an answer.
import { sseFrame } from '../sse.mjs';
import { replyText, chunkText, countTokens, randomId, embedText, numberProblem } from './common.mjs';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const NOT_COHERE = ['top_p', 'top_k', 'stop', 'n', 'stream_options', 'max_completion_tokens', 'user'];

function textOf(content) {
    if (typeof content === 'string') return content;
    return (content || []).map((p) => p?.text ?? '').join('');
}

function problemOf(body) {
    if (!Array.isArray(body?.messages) || !body.messages.length) return 'invalid request: messages must not be empty';
    if (typeof body.model !== 'string' || !body.model) return 'invalid request: model must be specified';
    for (const f of NOT_COHERE) if (body[f] !== undefined) return `invalid request: unknown field: parameter ${f} is not a valid field`;
    for (const [i, m] of body.messages.entries()) {
        if (!ROLES.has(m.role)) return `invalid request: messages[${i}].role must be one of system, user, assistant, tool`;
        if (m.role === 'tool' && !m.tool_call_id) return `invalid request: messages[${i}]: tool message must have a tool_call_id`;
        if (m.role === 'assistant' && m.tool_calls) {
            for (const c of m.tool_calls) {
                if (typeof c.function?.arguments !== 'string') return 'invalid request: tool call arguments must be a string';
            }
        }
    }
    if (body.tool_choice !== undefined && !['REQUIRED', 'NONE'].includes(body.tool_choice)) {
        return `invalid request: tool_choice must be one of REQUIRED, NONE (got ${JSON.stringify(body.tool_choice)})`;
    }
    return numberProblem('temperature', body.temperature, { min: 0, max: 1 })
        || numberProblem('p', body.p, { min: 0.01, max: 0.99 })
        || numberProblem('max_tokens', body.max_tokens, { min: 1, integer: true });
}

// v2 documents: strings or {id?, data: {...}}; what a grounded answer
// cites (the text's first word, from every document) in v2's shape
function documentsProblem(docs) {
    if (docs === undefined) return null;
    if (!Array.isArray(docs)) return 'invalid request: documents must be a list';
    const bad = docs.findIndex((d) => typeof d !== 'string' && (typeof d?.data !== 'object' || d.data === null));
    return bad >= 0 ? `invalid request: documents[${bad}] must be a string or have data` : null;
}

function citationsOf(docs, text) {
    if (!docs?.length || !text) return null;
    const word = text.split(' ')[0];
    const sources = docs.map((d, i) => {
        const id = typeof d === 'string' ? `doc:${i}` : (d.id ?? `doc:${i}`);
        return { type: 'document', id, document: { id, ...(typeof d === 'string' ? { snippet: d } : d.data) } };
    });
    return [{ start: 0, end: word.length, text: word, sources, type: 'TEXT_CONTENT' }];
}

function usageOf(input, output) {
    return {
        billed_units: { input_tokens: input, output_tokens: output },
        tokens: { input_tokens: input + 7, output_tokens: output },
    };
}

async function chat(ctx) {
    const { body } = ctx;
    const problem = problemOf(body);
    const docProblem = documentsProblem(body.documents);
    if (problem || docProblem) { ctx.fail(400, 'bad_request', problem || docProblem); return; }
    const msgs = body.messages;
    const last = msgs[msgs.length - 1];
    const prompt = last.role === 'tool' ? `tool said ${textOf(last.content)}` : textOf(last.content);
    if (/malformed/.test(prompt)) {
        ctx.sendJson({ id: 'x', generation: 'not a v2 answer' });
        return;
    }
    const tool = body.tools?.[0]?.function;
    const callTool = tool && last.role === 'user' && body.tool_choice !== 'NONE';
    const text = replyText(ctx.mock.options.reply, { model: ctx.model, prompt, api: 'cohere', body });
    const pieces = callTool ? [] : chunkText(text);
    const plan = callTool ? 'I will look up the weather.' : null;
    const input = countTokens(JSON.stringify(msgs));
    const output = callTool ? 9 : pieces.length;
    const usage = usageOf(input, output);
    const call = callTool ? { id: `${tool.name}_${randomId('').slice(0, 8)}`, type: 'function',
        function: { name: tool.name, arguments: JSON.stringify({ city: 'Paris' }) } } : null;
    const finish = callTool ? 'TOOL_CALL' : 'COMPLETE';
    const id = randomId('co-');
    const citations = callTool ? null : citationsOf(body.documents, text);

    if (!body.stream) {
        const message = { role: 'assistant' };
        if (callTool) { message.tool_plan = plan; message.tool_calls = [call]; } else message.content = [{ type: 'text', text }];
        if (citations) message.citations = citations;
        ctx.sendJson({ id, finish_reason: finish, message, usage }, { text: callTool ? plan : text, usage, call, citations });
        return;
    }
    const ev = (data) => ({ frame: sseFrame(data, data.type) });
    const frames = [ev({ id, type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } })];
    if (callTool) {
        for (const w of chunkText(plan)) frames.push({ ...ev({ type: 'tool-plan-delta', delta: { message: { tool_plan: w } } }), content: w });
        const args = call.function.arguments;
        frames.push(ev({ type: 'tool-call-start', index: 0, delta: { message: { tool_calls: { id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } } } } }));
        for (const part of [args.slice(0, 4), args.slice(4)]) {
            frames.push(ev({ type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: part } } } } }));
        }
        frames.push(ev({ type: 'tool-call-end', index: 0 }));
    } else {
        frames.push(ev({ type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } }));
        for (const piece of pieces) {
            frames.push({ ...ev({ type: 'content-delta', index: 0, delta: { message: { content: { text: piece } } } }), content: piece });
        }
        citations?.forEach((c, i) => {
            frames.push(ev({ type: 'citation-start', index: i, delta: { message: { citations: c } } }));
            frames.push(ev({ type: 'citation-end', index: i }));
        });
        frames.push(ev({ type: 'content-end', index: 0 }));
    }
    frames.push(ev({ type: 'message-end', delta: { finish_reason: finish, usage } }));
    await ctx.sendStream(frames, { text: callTool ? plan : text, usage, call, citations }, { 'content-type': 'text/event-stream' });
}

function embed(ctx) {
    const { body } = ctx;
    if (!Array.isArray(body?.texts) || !body.texts.length || body.texts.some((t) => typeof t !== 'string')) {
        ctx.fail(400, 'bad_request', 'invalid request: texts must be a non-empty list of strings');
        return;
    }
    if (!['search_document', 'search_query', 'classification', 'clustering'].includes(body.input_type)) {
        ctx.fail(400, 'bad_request', 'invalid request: input_type is required for embed models v3 and higher');
        return;
    }
    if (JSON.stringify(body.embedding_types) !== '["float"]') {
        ctx.fail(400, 'bad_request', 'mock: embedding_types must be ["float"]');
        return;
    }
    const dims = body.output_dimension || 8;
    const vectors = body.texts.map((t) => Array.from(embedText(t, dims)));
    const tokens = body.texts.reduce((n, t) => n + countTokens(t), 0);
    ctx.sendJson({ id: randomId('emb-'), embeddings: { float: vectors }, texts: body.texts,
        meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } }, response_type: 'embeddings_by_type' },
    { vectors, tokens });
}

export const cohereFormat = {
    name: 'cohere',

    match(method, path) {
        if (method !== 'POST') return null;
        if (/\/v2\/chat$/.test(path)) return { handler: chat, endpoint: 'chat' };
        if (/\/v2\/embed$/.test(path)) return { handler: embed, endpoint: 'embed' };
        return null;
    },

    authOk(ctx, key) {
        return ctx.req.headers.authorization === `Bearer ${key}`;
    },

    errorBody(status, kind, message) {
        return { id: randomId(''), message };
    },
};
