// Cohere's v2 API behind every client format: /v2/chat requests in
// Cohere's names (p, k, stop_sequences, REQUIRED/NONE, tool messages with
// a tool_call_id), answers, SSE events (cut at odd bytes on the wire) and
// usage back in the client's terms, tool calls round trip, /v1/embeddings
// through /v2/embed, a 429 falling back, Cohere's {"message"} errors
// reaching the client, and an answer that is not one being a 502; an
// OpenAI client's documents and the answer's citations, whole and streamed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, request, collectChatStream, parseSse,
} from '../lib/index.mjs';

const KEY = 'co-test-key-0123456789abcdef';
const IN_PRICE = 0.0000025;
const OUT_PRICE = 0.00001;
let mock, backup, gw, client;

before(async () => {
    mock = await startMockProvider({ apiKey: KEY });
    backup = await startMockProvider({ name: 'backup' });
    const cohere = (model, extra = {}) => ({
        model, api_base: mock.url, input_cost_per_token: IN_PRICE, output_cost_per_token: OUT_PRICE, ...extra,
    });
    gw = await startGateway({
        config: {
            model_list: [
                // the key from COHERE_API_KEY
                { model_name: 'command', litellm_params: cohere('cohere/command-r-plus') },
                { model_name: 'command-chat', litellm_params: cohere('cohere_chat/command-a-03-2025', { api_key: KEY }) },
                { model_name: 'cohere-badkey', litellm_params: cohere('cohere/command-r', { api_key: 'co-wrong-key-000000000000' }) },
                { model_name: 'cohere-throttled', litellm_params: cohere('cohere/fault-429') },
                { model_name: 'cohere-embed', litellm_params: cohere('cohere/embed-english-v3.0'), model_info: { mode: 'embedding' } },
                { model_name: 'openai-backup', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${backup.url}/v1`, api_key: 'sk-backup-000000000000' } },
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true, fallbacks: [{ 'cohere-throttled': ['openai-backup'] }] },
        },
        env: { COHERE_API_KEY: KEY },
    });
    client = gw.client();
});

after(() => closeAll(gw, mock, backup));

function post(path, body, headers = {}) {
    return request(`${gw.url}${path}`, { body, headers: { authorization: `Bearer ${gw.masterKey}`, ...headers } });
}

function lastCohere(path = '/v2/chat') {
    const rec = mock.last();
    assert.equal(rec.format, 'cohere');
    assert.equal(rec.path, path);
    assert.equal(rec.headers.authorization, `Bearer ${KEY}`);
    assert.equal(rec.response.status, 200, JSON.stringify(rec.response));
    return rec;
}

const TOOLS = [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

test('openai SDK, whole answer: Cohere names on the wire, answer, usage and cost', async () => {
    const { data: res, response } = await client.chat.completions.create({
        model: 'command', max_tokens: 100, temperature: 0.3, top_p: 0.9, stop: ['\n\n'], seed: 7,
        frequency_penalty: 0.1, presence_penalty: 0.2, response_format: { type: 'json_object' },
        messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hello cohere' }],
    }).withResponse();
    assert.match(res.choices[0].message.content, /you said hello cohere/);
    assert.equal(res.choices[0].finish_reason, 'stop');
    const rec = lastCohere();
    const b = rec.body;
    assert.equal(b.model, 'command-r-plus');
    assert.deepEqual(b.messages[0], { role: 'system', content: 'Be terse.' });
    assert.equal(b.messages[1].role, 'user');
    assert.equal(b.max_tokens, 100);
    assert.equal(b.p, 0.9);
    assert.deepEqual(b.stop_sequences, ['\n\n']);
    assert.equal(b.seed, 7);
    assert.equal(b.frequency_penalty, 0.1);
    assert.equal(b.presence_penalty, 0.2);
    assert.deepEqual(b.response_format, { type: 'json_object' });
    assert.equal(b.stream, undefined);
    const tokens = rec.response.usage.tokens;
    assert.equal(res.usage.prompt_tokens, tokens.input_tokens);
    assert.equal(res.usage.completion_tokens, tokens.output_tokens);
    const cost = Number(response.headers.get('x-litellm-response-cost'));
    const want = tokens.input_tokens * IN_PRICE + tokens.output_tokens * OUT_PRICE;
    assert.ok(Math.abs(cost - want) < 1e-9, `cost ${cost}, want ${want}`);
});

test('openai SDK, stream cut at odd bytes: deltas, finish and the usage chunk', async () => {
    const stream = await client.chat.completions.create({
        model: 'command-chat', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream me mock-wire[bytes=7:1]' }],
    });
    const out = await collectChatStream(stream);
    assert.equal(out.error, null);
    const rec = lastCohere();
    assert.equal(rec.body.stream, true);
    assert.equal(rec.body.model, 'command-a-03-2025');
    assert.ok(rec.response.wire, 'the mock cut the answer');
    assert.equal(out.deltas.join(''), rec.response.text);
    assert.equal(out.finishReason, 'stop');
    assert.equal(out.usage.prompt_tokens, rec.response.usage.tokens.input_tokens);
    assert.equal(out.usage.completion_tokens, rec.response.usage.tokens.output_tokens);
});

test('tool calls round trip, whole and streamed; tool_choice required', async () => {
    const res = await client.chat.completions.create({
        model: 'command', tools: TOOLS, tool_choice: 'required', messages: [{ role: 'user', content: 'weather?' }],
    });
    const call = res.choices[0].message.tool_calls[0];
    assert.equal(res.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    let rec = lastCohere();
    assert.equal(rec.body.tools[0].type, 'function');
    assert.equal(rec.body.tools[0].function.name, 'get_weather');
    assert.equal(rec.body.tool_choice, 'REQUIRED');
    assert.equal(call.id, rec.response.call.id);
    assert.match(res.choices[0].message.content, /look up the weather/);

    const res2 = await client.chat.completions.create({
        model: 'command', tools: TOOLS, messages: [
            { role: 'user', content: 'weather?' }, res.choices[0].message,
            { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    });
    assert.match(res2.choices[0].message.content, /tool said sunny/);
    rec = lastCohere();
    const sent = rec.body.messages;
    assert.equal(sent[1].role, 'assistant');
    assert.equal(sent[1].tool_calls[0].id, call.id);
    assert.equal(typeof sent[1].tool_calls[0].function.arguments, 'string');
    assert.equal(sent[1].tool_plan, 'I will look up the weather.');
    assert.deepEqual(sent[2], { role: 'tool', tool_call_id: call.id, content: 'sunny' });

    const stream = await client.chat.completions.create({
        model: 'command', stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'weather, streamed? mock-wire[bytes=13:1]' }],
    });
    const out = await collectChatStream(stream);
    assert.equal(out.error, null);
    assert.equal(out.finishReason, 'tool_calls');
    const calls = out.chunks.flatMap((c) => c.choices?.[0]?.delta?.tool_calls || []);
    assert.equal(calls[0].id, lastCohere().response.call.id);
    assert.deepEqual(JSON.parse(calls.map((t) => t.function?.arguments || '').join('')), { city: 'Paris' });
});

test('Anthropic client: whole and streamed, tool_use blocks', async () => {
    const res = await post('/v1/messages', { model: 'command', max_tokens: 64, system: 'Be kind.', top_k: 5,
        messages: [{ role: 'user', content: 'hi from anthropic' }] }, { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.type, 'message');
    assert.match(res.json.content[0].text, /hi from anthropic/);
    assert.equal(res.json.stop_reason, 'end_turn');
    const rec = lastCohere();
    assert.equal(rec.body.k, 5);
    assert.deepEqual(rec.body.messages[0], { role: 'system', content: 'Be kind.' });
    assert.equal(res.json.usage.input_tokens, rec.response.usage.tokens.input_tokens);

    const s = await post('/v1/messages', { model: 'command', max_tokens: 64, stream: true,
        tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'tools, streamed mock-wire[bytes=11:1]' }] },
    { 'anthropic-version': '2023-06-01' });
    assert.equal(s.status, 200, s.text);
    const evs = parseSse(s.text);
    const names = evs.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.equal(names[names.length - 1], 'message_stop');
    const tool = evs.find((e) => e.event === 'content_block_start' && e.json.content_block.type === 'tool_use');
    assert.equal(tool.json.content_block.name, 'get_weather');
    const json = evs.filter((e) => e.json?.delta?.type === 'input_json_delta').map((e) => e.json.delta.partial_json).join('');
    assert.deepEqual(JSON.parse(json), { city: 'Paris' });
    const delta = evs.find((e) => e.event === 'message_delta').json;
    assert.equal(delta.delta.stop_reason, 'tool_use');
    assert.equal(delta.usage.output_tokens, lastCohere().response.usage.tokens.output_tokens);
});

test('Gemini and Responses clients: whole and streamed text', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi from gemini' }] }] };
    const res = await post('/v1beta/models/command:generateContent', body);
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.candidates[0].content.parts[0].text, /hi from gemini/);
    assert.equal(res.json.usageMetadata.promptTokenCount, lastCohere().response.usage.tokens.input_tokens);

    const s = await post('/v1beta/models/command:streamGenerateContent?alt=sse', body);
    assert.equal(s.status, 200, s.text);
    const text = parseSse(s.text).map((e) => e.json?.candidates?.[0]?.content?.parts?.[0]?.text || '').join('');
    assert.equal(text, lastCohere().response.text);

    const r = await post('/v1/responses', { model: 'command', input: 'hi from responses', stream: true });
    assert.equal(r.status, 200, r.text);
    const evs = parseSse(r.text);
    const done = evs.find((e) => e.event === 'response.completed');
    assert.ok(done, r.text);
    const deltas = evs.filter((e) => e.event === 'response.output_text.delta').map((e) => e.json.delta).join('');
    assert.equal(deltas, lastCohere().response.text);
    assert.equal(done.json.response.usage.output_tokens, lastCohere().response.usage.tokens.output_tokens);
});

test("documents (LiteLLM's extension) reach /v2/chat; citations come back, whole and streamed", async () => {
    const documents = ['Emperor penguins are the tallest.', { title: 'Tall penguins', snippet: 'They reach 1.2 m.' },
        { id: 'kb-7', data: { text: 'Penguins live in the south.' } }];
    const res = await client.chat.completions.create({
        model: 'command', documents, messages: [{ role: 'user', content: 'which penguins are tallest?' }],
    });
    let rec = lastCohere();
    assert.deepEqual(rec.body.documents, [documents[0], { data: documents[1] }, documents[2]]);
    const want = rec.response.citations;
    assert.equal(want.length, 1, 'the mock cited the documents');
    assert.equal(res.choices[0].message.content, rec.response.text);
    assert.deepEqual(res.choices[0].message.citations, want);
    assert.equal(want[0].sources[1].document.title, 'Tall penguins');
    assert.equal(want[0].sources[2].id, 'kb-7');

    const stream = await client.chat.completions.create({
        model: 'command', stream: true, documents, messages: [{ role: 'user', content: 'again mock-wire[bytes=9:2]' }],
    });
    const cited = [];
    let text = '';
    for await (const chunk of stream) {
        const d = chunk.choices[0]?.delta ?? {};
        if (d.citations) cited.push(...d.citations);
        if (d.content) text += d.content;
    }
    rec = lastCohere();
    assert.equal(text, rec.response.text);
    assert.deepEqual(cited, rec.response.citations);

    // not a list: refused by the gateway, in OpenAI's format, before Cohere
    await assert.rejects(
        client.chat.completions.create({ model: 'command', documents: 'nope', messages: [{ role: 'user', content: 'x' }] }),
        (e) => e.status === 400 && /documents must be an array/.test(e.message));
});

test('embeddings: /v1/embeddings through /v2/embed, floats and base64, usage', async () => {
    const res = await post('/v1/embeddings', { model: 'cohere-embed', input: ['one text', 'another'], encoding_format: 'float' });
    assert.equal(res.status, 200, res.text);
    const rec = lastCohere('/v2/embed');
    assert.deepEqual(rec.body, { model: 'embed-english-v3.0', texts: ['one text', 'another'], input_type: 'search_document', embedding_types: ['float'] });
    assert.equal(res.json.object, 'list');
    assert.equal(res.json.data.length, 2);
    assert.equal(res.json.data[1].index, 1);
    assert.deepEqual(res.json.data[0].embedding, rec.response.vectors[0]);
    assert.equal(res.json.usage.prompt_tokens, rec.response.tokens);

    // the SDK asks for base64 and decodes little-endian float32s
    const sdk = await client.embeddings.create({ model: 'cohere-embed', input: 'a query', input_type: 'search_query', dimensions: 16 });
    const rec2 = lastCohere('/v2/embed');
    assert.equal(rec2.body.input_type, 'search_query');
    assert.equal(rec2.body.output_dimension, 16);
    assert.equal(sdk.data[0].embedding.length, 16);
    rec2.response.vectors[0].forEach((v, i) => assert.ok(Math.abs(v - sdk.data[0].embedding[i]) < 1e-6));

    const bad = await post('/v1/embeddings', { model: 'cohere-embed', input: [[1, 2, 3]] });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.json.error.message, /token arrays/);
});

test('a 429 from Cohere falls back to another provider', async () => {
    backup.reset();
    const res = await client.chat.completions.create({ model: 'cohere-throttled', messages: [{ role: 'user', content: 'fallback please' }] });
    assert.match(res.choices[0].message.content, /fallback please/);
    assert.equal(backup.requests.length, 1);
    assert.ok(mock.requests.some((r) => r.body?.model === 'fault-429' && r.response.status === 429));
});

test("Cohere's errors reach the client in its format with Cohere's message", async () => {
    const res = await post('/v1/chat/completions', { model: 'cohere-badkey', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.error.type, 'authentication_error');
    assert.match(res.json.error.message, /wrong provider credentials/);

    const an = await post('/v1/messages', { model: 'command', max_tokens: 5, temperature: 1.5, messages: [{ role: 'user', content: 'x' }] },
        { 'anthropic-version': '2023-06-01' });
    assert.equal(an.status, 400, an.text);
    assert.equal(an.json.type, 'error');
    assert.match(an.json.error.message, /temperature/);
    assert.ok(!(gw.allLogs() + JSON.stringify(await gw.status())).includes(KEY), 'the key reached a log');
});

test('a 200 that is not a Cohere answer is a 502, not a crash', async () => {
    const res = await post('/v1/chat/completions', { model: 'command', messages: [{ role: 'user', content: 'malformed please' }] });
    assert.equal(res.status, 502, res.text);
    assert.match(res.json.error.message, /could not be translated/);
});
