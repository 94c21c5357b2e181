// text-completion-openai: a deployment of OpenAI's legacy /v1/completions.
// Chat requests of every client format (the openai SDK's chat completions,
// the @anthropic-ai/sdk's messages, Gemini's generateContent) reach it as
// one prompt on /v1/completions with the prefix stripped and the Bearer
// key; the text_completion answer and its SSE stream (cut at odd bytes on
// the wire) come back in the client's format with usage and cost; what a
// prompt cannot carry (tools, images) is a 400 in the client's format;
// /v1/completions itself still passes through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    closeAll, startGateway, startMockProvider, request, collectChatStream,
} from '../lib/index.mjs';
import { anthropicClient, collectMessageStream, assertAnthropicGrammar } from '../lib/xlate.mjs';

const KEY = 'sk-text-completion-0123456789';
const IN_PRICE = 0.000001; // whole micro-dollars: the gateway counts in them
const OUT_PRICE = 0.000002;
let mock, gw, client, anthropic;

before(async () => {
    mock = await startMockProvider({ apiKey: KEY });
    gw = await startGateway({
        config: {
            model_list: [
                { model_name: 'instruct', litellm_params: {
                    model: 'text-completion-openai/gpt-3.5-turbo-instruct', api_base: `${mock.url}/v1`,
                    input_cost_per_token: IN_PRICE, output_cost_per_token: OUT_PRICE,
                } },
            ],
            router_settings: { num_retries: 0, disable_cooldowns: true },
        },
        env: { OPENAI_API_KEY: KEY },
    });
    client = gw.client();
    anthropic = anthropicClient(gw);
});

after(() => closeAll(gw, mock));

/** The one request the provider got: /v1/completions, the model, the key. */
function lastCompletion() {
    const rec = mock.last();
    assert.equal(rec.path, '/v1/completions');
    assert.equal(rec.headers.authorization, `Bearer ${KEY}`);
    assert.equal(rec.body.model, 'gpt-3.5-turbo-instruct');
    assert.equal(rec.body.messages, undefined);
    assert.equal(rec.response.status, 200, JSON.stringify(rec.response));
    return rec;
}

function costOf(usage) {
    return usage.prompt_tokens * IN_PRICE + usage.completion_tokens * OUT_PRICE;
}

test('openai SDK chat, whole: one prompt on /v1/completions, sampling fields, answer, usage, cost', async () => {
    mock.reset();
    const { data: res, response } = await client.chat.completions.create({
        model: 'instruct', max_tokens: 60, temperature: 0.2, top_p: 0.8, stop: ['\n\n\n'], seed: 11,
        messages: [
            { role: 'system', content: 'You complete stories.' },
            { role: 'user', content: 'Once upon a time' },
            { role: 'assistant', content: 'there was a gateway.' },
            { role: 'user', content: 'Go on.' },
        ],
    }).withResponse();
    const rec = lastCompletion();
    const b = rec.body;
    assert.equal(b.prompt, 'You complete stories.\n\nOnce upon a time\n\nthere was a gateway.\n\nGo on.');
    assert.equal(b.max_tokens, 60);
    assert.equal(b.temperature, 0.2);
    assert.equal(b.top_p, 0.8);
    assert.deepEqual(b.stop, ['\n\n\n']);
    assert.equal(b.seed, 11);
    assert.equal(b.stream, undefined);
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, 'instruct');
    assert.equal(res.choices[0].message.role, 'assistant');
    assert.equal(res.choices[0].message.content, rec.response.body.choices[0].text);
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.deepEqual(
        [res.usage.prompt_tokens, res.usage.completion_tokens, res.usage.total_tokens],
        [rec.response.usage.prompt_tokens, rec.response.usage.completion_tokens, rec.response.usage.total_tokens]);
    const cost = Number(response.headers.get('x-litellm-response-cost'));
    assert.ok(Math.abs(cost - costOf(rec.response.usage)) < 1e-9, `cost ${cost}`);
});

test('openai SDK chat stream cut at odd bytes: text deltas, finish, the usage chunk', async () => {
    mock.reset();
    const stream = await client.chat.completions.create({
        model: 'instruct', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream me mock-wire[bytes=7:1]' }],
    });
    const out = await collectChatStream(stream);
    assert.equal(out.error, null);
    const rec = lastCompletion();
    assert.equal(rec.body.prompt, 'stream me mock-wire[bytes=7:1]');
    assert.equal(rec.body.stream, true);
    assert.deepEqual(rec.body.stream_options, { include_usage: true });
    assert.ok(rec.response.wire, 'the mock cut the answer');
    assert.ok(rec.response.text.length > 0);
    assert.equal(out.deltas.join(''), rec.response.text);
    assert.equal(out.finishReason, 'stop');
    assert.equal(out.usage.prompt_tokens, rec.response.usage.prompt_tokens);
    assert.equal(out.usage.completion_tokens, rec.response.usage.completion_tokens);
});

test('anthropic SDK messages, whole and streamed', async () => {
    mock.reset();
    const res = await anthropic.messages.create({
        model: 'instruct', max_tokens: 40, system: 'Be a poet.',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'roses are red' }] }],
    });
    let rec = lastCompletion();
    assert.equal(rec.body.prompt, 'Be a poet.\n\nroses are red');
    assert.equal(rec.body.max_tokens, 40);
    assert.equal(res.type, 'message');
    assert.equal(res.model, 'instruct');
    assert.equal(res.content[0].type, 'text');
    assert.equal(res.content[0].text, rec.response.body.choices[0].text);
    assert.equal(res.stop_reason, 'end_turn');
    assert.equal(res.usage.input_tokens, rec.response.usage.prompt_tokens);
    assert.equal(res.usage.output_tokens, rec.response.usage.completion_tokens);

    mock.reset();
    const got = await collectMessageStream(anthropic.messages.stream({
        model: 'instruct', max_tokens: 40, messages: [{ role: 'user', content: 'violets mock-wire[bytes=5:2]' }],
    }));
    assert.equal(got.error, null);
    rec = lastCompletion();
    assert.equal(rec.body.stream, true);
    assertAnthropicGrammar(got.events, 'text completions');
    assert.equal(got.text, rec.response.text);
    assert.equal(got.final.stop_reason, 'end_turn');
    assert.equal(got.final.usage.output_tokens, rec.response.usage.completion_tokens);
});

test('Gemini generateContent reaches it as a prompt', async () => {
    mock.reset();
    const r = await request(`${gw.url}/v1beta/models/instruct:generateContent`, {
        body: { contents: [{ role: 'user', parts: [{ text: 'gemini says hi' }] }], generationConfig: { maxOutputTokens: 9 } },
        headers: { 'x-goog-api-key': gw.masterKey },
    });
    assert.equal(r.status, 200, r.text);
    const rec = lastCompletion();
    assert.equal(rec.body.prompt, 'gemini says hi');
    assert.equal(rec.body.max_tokens, 9);
    assert.equal(r.json.candidates[0].content.parts[0].text, rec.response.body.choices[0].text);
    assert.equal(r.json.usageMetadata.promptTokenCount, rec.response.usage.prompt_tokens);
});

test("openai SDK chat with logprobs: completions' logprobs back in chat's shape", async () => {
    mock.reset();
    const res = await client.chat.completions.create({
        model: 'instruct', logprobs: true, top_logprobs: 2, messages: [{ role: 'user', content: 'two words please' }],
    });
    const rec = lastCompletion();
    assert.equal(rec.body.logprobs, 2);
    assert.equal(rec.body.top_logprobs, undefined);
    const want = rec.response.logprobs;
    const got = res.choices[0].logprobs.content;
    assert.equal(got.length, want.tokens.length);
    got.forEach((t, i) => {
        assert.equal(t.token, want.tokens[i]);
        assert.equal(t.logprob, want.token_logprobs[i]);
        assert.deepEqual(t.bytes, [...Buffer.from(want.tokens[i])]);
        assert.deepEqual(t.top_logprobs.map((x) => [x.token, x.logprob]), Object.entries(want.top_logprobs[i]));
    });
    assert.equal(got.map((t) => t.token).join(''), res.choices[0].message.content);
});

test('tools and images: a 400 in the client format, nothing sent', async () => {
    mock.reset();
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    await assert.rejects(
        client.chat.completions.create({ model: 'instruct', tools, messages: [{ role: 'user', content: 'x' }] }),
        (e) => e.status === 400 && /tools is not supported/.test(e.message));
    await assert.rejects(
        client.chat.completions.create({
            model: 'instruct',
            messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
        }),
        (e) => e.status === 400 && /image\/png content is not supported/.test(e.message));
    await assert.rejects(
        anthropic.messages.create({
            model: 'instruct', max_tokens: 10, tools: [{ name: 'f', input_schema: { type: 'object' } }],
            messages: [{ role: 'user', content: 'x' }],
        }),
        (e) => e.status === 400 && e.error?.error?.type === 'invalid_request_error' && /tools/.test(e.message));
    assert.equal(mock.requests.length, 0);
});

test('/v1/completions passes through as it came', async () => {
    mock.reset();
    const { data: res, response } = await client.completions.create({
        model: 'instruct', prompt: 'plain prompt', max_tokens: 5, logprobs: 2,
    }).withResponse();
    const rec = lastCompletion();
    assert.equal(rec.body.prompt, 'plain prompt');
    assert.equal(rec.body.logprobs, 2);
    assert.equal(res.object, 'text_completion');
    assert.equal(res.choices[0].text, rec.response.body.choices[0].text);
    const cost = Number(response.headers.get('x-litellm-response-cost'));
    assert.ok(Math.abs(cost - costOf(rec.response.usage)) < 1e-9, `cost ${cost}`);
});
